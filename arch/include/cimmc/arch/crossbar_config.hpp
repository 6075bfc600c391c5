// CrossbarConfig: how a layer's integer GEMM is laid out on crossbar arrays and read out
// (keys in data/hw/README.md). Read from a hardware TOML file (examples in data/hw/, each commented):
//
//   [crossbar]  rows (R, rows activated in parallel per subarray), columns, bits_per_cell (1..8,
//               multi-level cells), input_bits, dac_bits (input bits applied at once: 1 =
//               bit-serial, input_bits = one multi-level DAC pulse), weight_bits, signed_scheme,
//               encoding
//   [readout]   kind = "ideal" | "adc" | "stochastic_mtj" | "zebra_lcu", with [readout.adc],
//               [readout.mtj], [readout.lcu]
//   [noise]     model = "physical" (cell_sigma_lsb, sense_sigma_lsb, offset_sigma_lsb: LSB of one
//               unit-cell signal) | "relative_full_scale" (sigma_fraction, proportional_fraction,
//               offset_fraction: fractions)
//   [gemms]     digital_first, digital_last, digital = [GEMM indices]: GEMMs computed exactly in
//               digital logic (the network numbers its Conv/Linear layers 0, 1, ... and maps them
//               onto GEMM indices; the former table name [layers] is read until cimmc 0.2)
//   [periphery] the organisation around each physical array (circuit/periphery.hpp): array_rows,
//               columns_per_adc, accumulator_bits, activation_bits_out, lcu_columns_shared,
//               digital_mac_units
//   [cell]      the storage cell (device::StorageCellModel): technology = "sram" | "rram" | "mtj",
//               levels, on_conductance_S, on_off_ratio, programming_sigma, stuck-at rates; its
//               per-cell conductance deviations are drawn per layer and trial by the backends
//
// Signed schemes (how a signed weight is stored):
//  - twos_complement: each digit column is read single-ended and its sign applied in the
//    shift-add; with the two's-complement encoding that is the classic negative-weighted MSB
//    column;
//  - differential: a positive and a negative column per digit (slice) whose currents are
//    subtracted in analog before the readout, so the readout sees a signed PS;
//  - offset_binary: the array stores w + 2^(B-1) unsigned; 2^(B-1)·Σa is subtracted digitally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cimmc/arch/zero_bit_encoding.hpp"
#include "cimmc/circuit/noise_model.hpp"
#include "cimmc/circuit/periphery.hpp"
#include "cimmc/circuit/readout.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/device/storage_cell.hpp"

namespace cimmc::arch {

enum class SignedScheme { kTwosComplement, kDifferential, kOffsetBinary };
std::string_view signed_scheme_name(SignedScheme s);

// Which GEMMs run exactly in digital logic instead of on the crossbar ([gemms], keys = fields).
struct DigitalGemms {
  bool digital_first = false;  // the first GEMM (index 0) (StoX keeps it digital)
  bool digital_last = false;   // the last GEMM
  std::vector<int> digital;    // further GEMM indices
};

struct CrossbarConfig {
  int rows = 128;         // R: rows activated in parallel per subarray
  int columns = 128;      // physical columns per subarray (mapping and cost)
  int bits_per_cell = 1;  // 1..8: a cell stores bits_per_cell consecutive weight digits
  int input_bits = 8;     // activation bits, fed in streams of dac_bits, LSB stream first
  int dac_bits = 1;       // input bits one row's DAC applies at once (1 = bit-serial)
  int weight_bits = 8;
  SignedScheme signed_scheme = SignedScheme::kTwosComplement;
  Encoding encoding = Encoding::kTwosComplement;
  circuit::ReadoutParams readout;
  circuit::NoiseParams noise;
  device::StorageCellModel cell;  // an SRAM bit (exact) unless [cell] says otherwise
  circuit::Periphery periphery;   // organisation of the periphery (cost model only)
  DigitalGemms gemms;             // GEMMs kept digital
  std::string description;

  // Largest value one cell stores: 2^bits_per_cell - 1.
  int max_cell_value() const { return (1 << bits_per_cell) - 1; }
  // Largest input one row's DAC applies: 2^dac_bits - 1.
  int max_input_value() const { return (1 << dac_bits) - 1; }
  // Input streams per activation (array reads per subarray and GEMM row): ceil(input_bits / dac_bits).
  int input_streams() const { return (input_bits + dac_bits - 1) / dac_bits; }
  // Largest analog accumulation of one column: R · max cell value · max input value.
  double full_scale() const { return static_cast<double>(rows) * max_cell_value() * max_input_value(); }
  // Whether GEMM `gemm` (0-based) of `gemm_count` GEMMs runs digitally, exactly.
  bool is_digital(int gemm, int gemm_count) const;
  // Throws core::ConfigError listing every inconsistency (used after programmatic edits).
  void validate() const;
};

// Reads a whole hardware document (tables above; unknown keys are errors). `--set` overrides
// should be applied to the document first (core::config::apply_overrides).
CrossbarConfig read_crossbar_config(const core::config::Document& doc);
// parse_file + apply_overrides + read_crossbar_config.
CrossbarConfig load_crossbar_config(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

}  // namespace cimmc::arch
