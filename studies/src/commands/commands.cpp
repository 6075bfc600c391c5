// The list of the program's commands, in the order `cimmc --help` shows them.
#include "cimmc/studies/cli.hpp"

namespace cimmc::cli {

void register_all(Registry& r) {
  register_version(r);
  register_inspect(r);
}

}  // namespace cimmc::cli
