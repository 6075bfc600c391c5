// Writes sample files through the core HDF5 writer for the command-line tests:
// a valid cimmc file, one of a newer major format version, and an HDF5 file that is not cimmc's.
#include <cstdio>
#include <vector>

#include "cimmc/core/hdf5.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  {
    cimmc::core::h5::AtomicFile out(dir + "/sample.h5");
    auto& f = out.file();
    cimmc::core::h5::write_provenance(f, "cimmc.test", {1, 0}, 42, "[device]\npreset = \"x\"\n");
    auto g = f.create_group("curves");
    g.set_attr("device", std::string("sot_mtj"));
    std::vector<double> half(6, 0.5);
    g.write<double>("p_switch", std::span<const double>(half), {2, 3}, "1", {"current", "pulse_width"});
    g.write_1d<double>("current", std::vector<double>{1e-4, 2e-4}, "A", "current");
    out.commit();
  }
  {
    cimmc::core::h5::AtomicFile out(dir + "/newer.h5");
    cimmc::core::h5::write_provenance(out.file(), "cimmc.test", {9, 0}, 1, "");
    out.commit();
  }
  {
    auto f = cimmc::core::h5::File::create(dir + "/foreign.h5");
    f.write_scalar<double>("x", 1.0, "1");
  }
  return 0;
}
