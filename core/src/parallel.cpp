#include "cimmc/core/parallel.hpp"

#include <omp.h>

namespace cimmc {
int max_threads() { return omp_get_max_threads(); }
}  // namespace cimmc
