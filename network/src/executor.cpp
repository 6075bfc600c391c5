#include "cimmc/network/executor.hpp"

#include <map>

namespace cimmc::network {

namespace {
struct Entry {
  std::string description;
  BackendFactory factory;
};
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> r;
  return r;
}
}  // namespace

bool register_backend(const std::string& name, const std::string& description, BackendFactory factory) {
  registry()[name] = Entry{description, std::move(factory)};
  return true;
}

const BackendFactory* find_backend(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second.factory;
}

std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  for (const auto& [n, e] : registry()) out.push_back(n);
  return out;
}

}  // namespace cimmc::network
