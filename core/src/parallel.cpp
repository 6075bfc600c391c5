#include "cimmc/core/parallel.hpp"

#include <omp.h>

namespace cimmc::core {
int max_threads() { return omp_get_max_threads(); }
}  // namespace cimmc::core
