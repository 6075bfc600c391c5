#include <cstdio>
#include <string>

#include "cimmc/core/rng.hpp"
#include "cimmc/core/version.hpp"

int main() {
  cimmc::rng::Stream s(1, {cimmc::rng::Purpose::kTest, 0, 0, 0});
  const double u = s.uniform();
  std::printf("cimmc %s %s\n", std::string(cimmc::version::version()).c_str(), u > 0 && u < 1 ? "ok" : "bad");
  return u > 0 && u < 1 ? 0 : 1;
}
