// What this build of cimmc is: version, source revision, compiler and options.
#pragma once

#include <string_view>

namespace cimmc::core::version {

std::string_view version();       // "0.1.0"
std::string_view git_sha1();      // the source revision at configure time, or "unknown"
std::string_view compiler();      // "GNU 12.2.0"
std::string_view build_type();    // "Release"
std::string_view options();       // "CIMMC_NATIVE=ON CIMMC_WITH_MPI=OFF ..."
std::string_view dependencies();  // "Eigen 3.4.0, HDF5 1.10.8, ..." (one per line)

}  // namespace cimmc::core::version
