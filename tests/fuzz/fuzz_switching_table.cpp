// Switching tables (cimmc.switching_table, docs/formats.md) through device::SwitchingTable::load,
// by structured mutations (hdf5_mutator.hpp) of data/tables/stox_converter_1ns.h5. A table that
// loads is evaluated at currents across and beyond its grid: probability() is documented to be
// defined for every finite input and in [0, 1].
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "cimmc/device/switching_table.hpp"
#include "hdf5_mutator.hpp"

using namespace cimmc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<char> base = fuzz::read_bytes(fuzz::source_path("data/tables/stox_converter_1ns.h5"));
  static const auto file = fuzz::scratch("table.h5");
  fuzz::Input in(data, size);
  fuzz::write_mutated(base, file, in);
  fuzz::expect_success_or_cimmc_error([&] {
    const device::SwitchingTable t = device::SwitchingTable::load(file);
    const auto& c = t.currents_A();
    const auto& w = t.pulse_widths_s();
    const double lo = c.front(), hi = c.back();
    for (double pulse : {w.front(), w.back(), 0.5 * (w.front() + w.back())}) {
      for (double current : {lo - 1.0, lo, 0.5 * (lo + hi), hi, hi + 1.0, -hi}) {
        const double p = t.probability(current, pulse);
        if (!(p >= 0.0 && p <= 1.0)) {
          std::fprintf(stderr, "fuzz: probability(%g, %g) = %g outside [0, 1]\n", current, pulse, p);
          std::abort();
        }
      }
    }
  });
  return 0;
}
