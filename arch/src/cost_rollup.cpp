#include "cimmc/arch/cost_rollup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/circuit/component_cost.hpp"
#include "cimmc/core/error.hpp"

namespace cimmc::arch {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// The engine's mapping of a layer under `config`, taken from the engine itself on a 1×1 layer
// (the planes and column groups depend on the encoding, scheme and cell bits, not on the weight
// values).
struct Mapping {
  std::vector<ColumnGroup> groups;
  std::vector<int> plane_position;  // digit position of each plane; -1 for the adaptive-flip flag
  int physical = 0;                 // Σ over groups of the sides that hold cells
};
// The mapping does not depend on the readout: probe with the ideal one (no readout tables).
CrossbarConfig mapping_only(CrossbarConfig config) {
  config.readout.kind = circuit::ReadoutKind::kIdeal;
  return config;
}

Mapping mapping_of(const CrossbarConfig& config, int gemm_index = 0) {
  const std::int8_t w = 0;
  const CrossbarLayer probe(mapping_only(config), gemm_index, std::span<const std::int8_t>(&w, 1), 1, 1);
  Mapping m;
  m.groups = probe.column_groups();
  for (const auto& name : probe.plane_names()) {
    const auto caret = name.find('^');
    m.plane_position.push_back(caret == std::string::npos ? -1 : std::stoi(name.substr(caret + 1)));
  }
  for (const auto& g : m.groups) m.physical += (g.positive.empty() ? 0 : 1) + (g.negative.empty() ? 0 : 1);
  return m;
}

// Probability that a side of a group holds a nonzero cell (planes independent).
double side_density(const std::vector<ColumnGroup::Plane>& side, const std::vector<double>& plane) {
  double none = 1.0;
  for (const auto& p : side) none *= 1.0 - plane[static_cast<std::size_t>(p.plane)];
  return 1.0 - none;
}

// Probability that a group (either side) holds a nonzero cell: the + and − digits of one position
// exclude each other, positions are independent.
double group_density(const ColumnGroup& g, const Mapping& m, const std::vector<double>& plane) {
  std::map<int, double> by_position;
  for (const auto* side : {&g.positive, &g.negative})
    for (const auto& p : *side) {
      const int position = m.plane_position[static_cast<std::size_t>(p.plane)];
      by_position[position == -1 ? -1000 - p.plane : position] += plane[static_cast<std::size_t>(p.plane)];
    }
  double none = 1.0;
  for (const auto& [position, d] : by_position) none *= 1.0 - std::min(1.0, d);
  return 1.0 - none;
}

void check_densities(const CrossbarConfig& config, const LayerShape& shape, const Mapping& m, const BitDensities& d) {
  const auto in_range = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return x >= 0 && x <= 1; });
  };
  if (d.input_by_bit.empty() ||
      (d.input_by_bit.size() != 1 && d.input_by_bit.size() != static_cast<std::size_t>(config.input_bits)))
    throw core::ArgumentError(fmt::format("layer {}: {} input bit densities for {} input bits (expected 1 or {})",
                                          shape.name, d.input_by_bit.size(), config.input_bits, config.input_bits));
  if (d.weight_by_plane.size() != m.plane_position.size())
    throw core::ArgumentError(fmt::format("layer {}: {} weight plane densities for a mapping of {} planes", shape.name,
                                          d.weight_by_plane.size(), m.plane_position.size()));
  if (!in_range(d.input_by_bit) || !in_range(d.weight_by_plane))
    throw core::ArgumentError(fmt::format("layer {}: bit densities must be in [0, 1]", shape.name));
}
}  // namespace

int physical_columns_per_output(const CrossbarConfig& config) { return mapping_of(config).physical; }

int column_groups_per_output(const CrossbarConfig& config) {
  return static_cast<int>(mapping_of(config).groups.size());
}

BitDensities BitDensities::uniform(const CrossbarConfig& config, double input, double weight) {
  if (!(input >= 0 && input <= 1) || !(weight >= 0 && weight <= 1))
    throw core::ArgumentError(fmt::format("bit densities must be in [0, 1] (input {}, weight {})", input, weight));
  const Mapping m = mapping_of(config);
  std::map<int, int> planes_at;
  for (int p : m.plane_position) ++planes_at[p];
  BitDensities d;
  d.input_by_bit = {input};
  for (int p : m.plane_position) d.weight_by_plane.push_back(p < 0 ? weight : weight / planes_at[p]);
  return d;
}

BitDensities measured_densities(const CrossbarConfig& config, std::span<const std::int8_t> weights, int n, int k,
                                double input_density) {
  if (!(input_density >= 0 && input_density <= 1))
    throw core::ArgumentError(fmt::format("input bit density {} is outside [0, 1]", input_density));
  const CrossbarLayer layer(mapping_only(config), 0, weights, n, k);
  return {{input_density}, layer.plane_densities()};
}

double stored_digit_density(const CrossbarConfig& config, const BitDensities& densities) {
  const Mapping m = mapping_of(config);
  double s = 0;
  for (std::size_t p = 0; p < m.plane_position.size() && p < densities.weight_by_plane.size(); ++p)
    if (m.plane_position[p] >= 0) s += densities.weight_by_plane[p];
  return s / config.weight_bits;
}

int mtj_sample_rounds(const CrossbarConfig& config, int gemm_index) {
  const Mapping m = mapping_of(config, gemm_index);
  int rounds = 0;
  for (int q = 0; q < config.input_streams(); ++q) {
    int t = 0;
    for (const auto& g : m.groups)
      t = std::max(t, config.readout.mtj.samples_for(gemm_index, q * config.dac_bits, g.weight_bit));
    rounds += t;
  }
  return rounds;
}

double LayerCost::total_energy_J() const {
  double s = 0;
  for (const auto& [k, v] : energy_J) s += v;
  return s;
}

double LayerCost::total_area_m2() const {
  double s = 0;
  for (const auto& [k, v] : area_m2) s += v;
  return s;
}

double NetworkCost::tops_per_W() const {
  return energy_total_J > 0 ? 2.0 * static_cast<double>(macs) / energy_total_J / 1e12 : 0.0;
}

double NetworkCost::tops_per_mm2() const {
  if (latency_s <= 0 || area_total_m2 <= 0) return 0.0;
  return 2.0 * static_cast<double>(macs) / latency_s / 1e12 / (area_total_m2 * 1e6);
}

Counters analytic_counters(const CrossbarConfig& config, const LayerShape& shape, double input_density,
                           double weight_density) {
  return analytic_counters(config, shape, BitDensities::uniform(config, input_density, weight_density));
}

Counters analytic_counters(const CrossbarConfig& config, const LayerShape& shape, const BitDensities& densities) {
  if (shape.k == 0 || shape.n == 0 || shape.rows_per_image == 0)
    throw core::ArgumentError(fmt::format("layer {}: empty GEMM shape (M {}, K {}, N {})", shape.name,
                                          shape.rows_per_image, shape.k, shape.n));
  const Mapping map = mapping_of(config, shape.gemm_index);
  check_densities(config, shape, map, densities);
  const auto& r = config.readout;
  Counters c;
  c.readout = std::string(circuit::readout_name(r.kind));
  c.adc_bits = r.kind == circuit::ReadoutKind::kAdc ? r.adc.bits : 0;
  c.lcu_group_rows = r.lcu.group_rows;
  c.lcu_levels = r.lcu.levels;
  c.rows_per_subarray = config.rows;
  c.subarrays = static_cast<int>(ceil_div(shape.k, static_cast<std::uint64_t>(config.rows)));
  c.column_groups = static_cast<int>(map.groups.size());
  c.columns = static_cast<int>(shape.n);

  const double m = static_cast<double>(shape.rows_per_image), n = static_cast<double>(shape.n);
  const double tiles = static_cast<double>(c.subarrays);
  // Row tiles: full ones of R rows and a last one with the rest.
  const std::uint64_t full_tiles = shape.k / static_cast<std::uint64_t>(config.rows);
  const double rest = static_cast<double>(shape.k % static_cast<std::uint64_t>(config.rows));
  const auto over_tiles = [&](auto f) {
    return static_cast<double>(full_tiles) * f(static_cast<double>(config.rows)) + (rest > 0 ? f(rest) : 0.0);
  };
  const auto input_density = [&](int bit) {
    return densities.input_by_bit.size() == 1 ? densities.input_by_bit[0]
                                              : densities.input_by_bit[static_cast<std::size_t>(bit)];
  };
  const auto count = [](double x) { return static_cast<std::uint64_t>(std::llround(x)); };
  const double g_rows = r.lcu.group_rows;
  const auto lcu_groups_in = [&](double rows) { return std::pair{std::floor(rows / g_rows), std::fmod(rows, g_rows)}; };

  double active_rows = 0, column_reads = 0, partial_sums = 0, zero_ps = 0, mtj_reads = 0, mtj_samples = 0;
  double lcu_groups = 0, lcu_skipped = 0;
  for (int q = 0; q < config.input_streams(); ++q) {
    // A row is driven in stream q when any of its dac_bits input bits is 1.
    double idle = 1.0;
    for (int b = q * config.dac_bits; b < std::min(config.input_bits, (q + 1) * config.dac_bits); ++b)
      idle *= 1.0 - input_density(b);
    const double row_density = 1.0 - idle;
    active_rows += m * static_cast<double>(shape.k) * row_density;
    for (const auto& g : map.groups) {
      const double product = row_density * group_density(g, map, densities.weight_by_plane);
      const double ps = m * n * tiles;
      const double zero = m * n * over_tiles([&](double rows) { return std::pow(1.0 - product, rows); });
      const int sides = (g.positive.empty() ? 0 : 1) + (g.negative.empty() ? 0 : 1);
      partial_sums += ps;
      zero_ps += zero;
      column_reads += ps * sides;
      // A sparse MTJ readout skips the zero PS it knows: all of them (ideal detection), or those
      // of an idle input stream or an all-zero column (digital detection, independent events).
      const double known_zero =
          r.mtj.ideal_zero_detection ? zero : m * n * over_tiles([&](double rows) {
                                                const double idle_p = std::pow(1.0 - row_density, rows);
                                                const double empty = std::pow(
                                                    1.0 - group_density(g, map, densities.weight_by_plane), rows);
                                                return 1.0 - (1.0 - idle_p) * (1.0 - empty);
                                              });
      const double reads = r.mtj.sparse ? ps - known_zero : ps;
      mtj_reads += reads;
      mtj_samples += reads * r.mtj.samples_for(shape.gemm_index, q * config.dac_bits, g.weight_bit);
      // LCU: each side's column is cut into groups of G rows (the last group of a tile may be
      // shorter); a group is skipped when its bit-products are all zero.
      for (const auto* side : {&g.positive, &g.negative}) {
        if (side->empty()) continue;
        const double p_side = row_density * side_density(*side, densities.weight_by_plane);
        lcu_groups += m * n * over_tiles([&](double rows) {
                        const auto [full, left] = lcu_groups_in(rows);
                        return full + (left > 0 ? 1.0 : 0.0);
                      });
        lcu_skipped += m * n * over_tiles([&](double rows) {
                         const auto [full, left] = lcu_groups_in(rows);
                         return full * std::pow(1.0 - p_side, g_rows) + (left > 0 ? std::pow(1.0 - p_side, left) : 0.0);
                       });
      }
    }
  }
  c.gemm_rows = shape.rows_per_image;
  c.macs = shape.macs_per_image();
  c.array_reads = count(m * config.input_streams() * tiles);
  c.active_rows = count(active_rows);
  c.column_reads = count(column_reads);
  c.partial_sums = count(partial_sums);
  c.zero_partial_sums = count(zero_ps);
  switch (r.kind) {
    case circuit::ReadoutKind::kIdeal:
      c.ideal_reads = c.partial_sums;
      c.shift_adds = c.partial_sums;
      break;
    case circuit::ReadoutKind::kAdc:
      c.adc_conversions = r.adc.sparse ? c.partial_sums - c.zero_partial_sums : c.partial_sums;
      c.adc_skipped = c.partial_sums - c.adc_conversions;
      c.shift_adds = c.adc_conversions;  // a skipped PS adds nothing
      break;
    case circuit::ReadoutKind::kStochasticMtj:
      c.mtj_reads = count(mtj_reads);
      c.mtj_skipped = c.partial_sums - c.mtj_reads;
      c.mtj_samples = count(mtj_samples);
      c.shift_adds = c.mtj_reads;
      break;
    case circuit::ReadoutKind::kZebraLcu:
      c.lcu_senses = count(lcu_groups - lcu_skipped);
      c.lcu_skipped = count(lcu_skipped);
      c.shift_adds = c.partial_sums;
      break;
  }
  return c;
}

LayerCost layer_cost(const CrossbarConfig& config, const circuit::Technology& tech, const LayerShape& shape,
                     const Counters& counters, double images, const circuit::MtjConverter* mtj) {
  if (!(images > 0)) throw core::ArgumentError(fmt::format("layer {}: cost needs a positive image count", shape.name));
  LayerCost cost;
  cost.name = shape.name;
  cost.macs = shape.macs_per_image();
  const double per_image = 1.0 / images;
  const auto& per = config.periphery;

  if (shape.digital) {
    const auto mac = circuit::digital_mac(tech);
    cost.readout = "digital";
    cost.energy_J["digital"] = static_cast<double>(cost.macs) * mac.energy_J;
    cost.energy_J["buffer"] =
        circuit::buffer_energy_J(tech, static_cast<double>(shape.rows_per_image) *
                                           static_cast<double>(shape.k + shape.n) * per.activation_bits_out);
    cost.latency_s = std::ceil(static_cast<double>(cost.macs) / per.digital_mac_units) * mac.latency_s;
    for (auto& [k, v] : cost.energy_J) v *= tech.post_layout_energy_factor;
    cost.area_m2["digital"] = 0.0;  // the shared MAC units are added once by network_cost
    return cost;
  }

  const auto& r = config.readout;
  cost.readout = std::string(circuit::readout_name(r.kind));
  if (config.dac_bits > 1)
    cost.notes.push_back(
        fmt::format("input DACs (dac_bits = {}) are not costed: each driven row counts one wordline "
                    "activation per input stream",
                    config.dac_bits));
  const Mapping layout = mapping_of(config, shape.gemm_index);
  const std::uint64_t rows = static_cast<std::uint64_t>(std::max(per.array_rows, config.rows));
  const std::uint64_t columns = static_cast<std::uint64_t>(config.columns);
  const std::uint64_t column_tiles = ceil_div(shape.n * static_cast<std::uint64_t>(layout.physical), columns);
  const std::uint64_t row_tiles = ceil_div(shape.k, rows);
  const std::uint64_t arrays = row_tiles * column_tiles;
  const double row_groups = std::ceil(static_cast<double>(std::min<std::uint64_t>(shape.k, rows)) / config.rows);
  cost.physical_arrays = static_cast<int>(arrays);
  const auto d = [&](std::uint64_t x) { return static_cast<double>(x) * per_image; };

  // Energy per image.
  cost.energy_J["array"] = d(counters.active_rows) * static_cast<double>(column_tiles) *
                               circuit::wordline_activation_energy_J(tech, config.columns) +
                           d(counters.column_reads) * circuit::bitline_read_energy_J(tech, static_cast<int>(rows));
  double round_s = tech.clock_period_s;  // one readout round
  int sample_rounds = 0;                 // MTJ: sample rounds per GEMM row and row group (all streams)
  double readout_area = 0.0;
  const auto bits_for = [](double levels) { return std::max(1, static_cast<int>(std::ceil(std::log2(levels)))); };
  // Bits of the value one PS contributes: exact PS (ideal, LCU sum of groups), ADC code or
  // sample count (MTJ).
  int readout_bits = bits_for(config.full_scale() + 1);
  double local_adds_J = 0.0;
  // Shift-add accumulators: one per columns_per_adc columns (per ADC, or per group of MTJ or
  // LCU columns that share one); local registers come on top (MTJ sample counters, LCU sums).
  const std::uint64_t accumulators = arrays * ceil_div(columns, static_cast<std::uint64_t>(per.columns_per_adc));
  double local_register_bits = 0.0;  // counters beside the columns: an adder and a register per bit
  double trim_register_bits = 0.0;   // trim codes: a register per bit
  double trim_area = 0.0;
  switch (r.kind) {
    case circuit::ReadoutKind::kIdeal: cost.energy_J["readout"] = 0.0; break;
    case circuit::ReadoutKind::kAdc: {
      const auto adc = circuit::adc_conversion(tech, tech.adc_model, r.adc.bits);
      cost.energy_J["readout"] = d(counters.adc_conversions) * adc.energy_J;
      readout_bits = r.adc.bits;
      round_s = per.columns_per_adc * adc.latency_s;
      readout_area = static_cast<double>(accumulators) * adc.area_m2;
      break;
    }
    case circuit::ReadoutKind::kStochasticMtj: {
      if (!mtj)
        throw core::ArgumentError(
            fmt::format("layer {}: the stochastic MTJ readout needs its converter (device and currents)", shape.name));
      const auto sample = circuit::mtj_sample(tech, *mtj);
      cost.energy_J["readout"] = d(counters.mtj_samples) * sample.total.energy_J;
      cost.mtj_reads = d(counters.mtj_reads);
      cost.mtj_samples = d(counters.mtj_samples);
      // Per GEMM row and row group: each input stream waits for its slowest column group.
      sample_rounds = mtj_sample_rounds(config, shape.gemm_index);
      round_s = sample.total.latency_s;
      int most = 0;
      for (int q = 0; q < config.input_streams(); ++q)
        for (const auto& g : layout.groups)
          most = std::max(most, r.mtj.samples_for(shape.gemm_index, q * config.dac_bits, g.weight_bit));
      readout_bits = bits_for(most + 1);
      const double mtj_columns = static_cast<double>(arrays * columns);  // one MTJ per column
      readout_area = mtj_columns * sample.total.area_m2;
      local_register_bits = mtj_columns * readout_bits;  // a sample counter per column
      // Each conversion passes the column's trim stage, and its sample count is mapped back to PS
      // units, (x̂(K) - offset) / scale: one 8-bit multiply-add; the inverse decoding first reads
      // x̂(K) from a (T + 1)-entry table of 8-bit values.
      const auto& trim = r.mtj.trim;
      if (trim.ideal) {
        cost.notes.push_back(
            "ideal trim: the stochastic readout's calibrated gain and offset are exact and not priced");
      } else {
        cost.energy_J["trim"] = d(counters.mtj_reads) * tech.mtj.trim_energy_J;
        trim_register_bits += mtj_columns * config.input_streams() * (trim.gain_bits + trim.offset_bits);
        trim_area += mtj_columns * tech.mtj.trim_transistors * tech.transistor_area_m2();
      }
      if (trim.in_situ) {
        // In-situ calibration (docs/cost.md): a driver-reference current trim per column (its DAC
        // and code register), and at power-up a search over its codes, calibration_pulses samples
        // per code step, every column of an array in parallel. Static during inference: no energy
        // per conversion; the one-time energy and time are reported, not added per inference.
        const int bits = trim.ideal ? 16 : trim.current_trim_bits;
        if (!trim.ideal) {
          trim_register_bits += mtj_columns * trim.current_trim_bits;
          trim_area += mtj_columns * tech.mtj.current_trim_transistors * tech.transistor_area_m2();
        }
        const double pulses = static_cast<double>(bits) * trim.calibration_pulses;
        cost.notes.push_back(fmt::format(
            "in-situ MTJ calibration at power-up (not per inference): {:.3g} nJ, {:.3g} us ({} code steps x {} "
            "samples per column, columns in parallel){}",
            mtj_columns * pulses * sample.total.energy_J * 1e9, pulses * sample.total.latency_s * 1e6, bits,
            trim.calibration_pulses,
            trim.ideal ? "; ideal trim: the reference trim itself is exact and not priced" : ""));
      }
      if (r.mtj.sparse && r.mtj.ideal_zero_detection) {
        cost.notes.push_back("ideal zero-PS detection: every all-zero PS is skipped by an oracle that is not priced");
      } else if (r.mtj.sparse) {
        // Per array read an OR over the subarray's R row inputs (R - 1 two-input gates of ~6
        // transistors, priced as 6/28 of a full-adder bit), and per PS one programmed zero flag read.
        const double or_gate_J = tech.digital.adder_energy_J_per_bit * 6.0 / 28.0;
        cost.energy_J["skip_detect"] = d(counters.array_reads) * (config.rows - 1) * or_gate_J +
                                       d(counters.partial_sums) * tech.digital.register_energy_J_per_bit;
      }
      double decode_J = circuit::digital_mac(tech).energy_J;
      if (r.mtj.decode == circuit::MtjDecode::kInverse) decode_J += 8 * tech.digital.register_energy_J_per_bit;
      cost.energy_J["decode"] = d(counters.mtj_reads) * decode_J;
      // One multiplier per shift-add accumulator (columns_per_adc columns share it).
      readout_area += static_cast<double>(accumulators) * circuit::digital_mac(tech).area_m2;
      break;
    }
    case circuit::ReadoutKind::kZebraLcu: {
      const auto sense = circuit::multilevel_sense(tech, r.lcu.levels);
      cost.energy_J["readout"] = d(counters.lcu_senses) * sense.energy_J;
      // Sensed group levels are summed locally into the column's PS before the shift-add.
      local_adds_J = d(counters.lcu_senses) * circuit::shift_add(tech, readout_bits).energy_J;
      round_s = per.lcu_columns_shared * sense.latency_s;
      const double senses = static_cast<double>(arrays * ceil_div(rows, static_cast<std::uint64_t>(r.lcu.group_rows)) *
                                                ceil_div(columns, static_cast<std::uint64_t>(per.lcu_columns_shared)));
      readout_area = senses * sense.area_m2;
      // A local adder and register per column sum its groups' levels.
      local_register_bits = static_cast<double>(arrays * columns) * readout_bits;
      break;
    }
  }
  // Each readout value is added, shifted by its weight significance, into a partial
  // accumulator: an adder of (readout bits + weight bits) toggles per value; the wider sums
  // across subarrays and input bits happen once per output and are not counted per value.
  const auto add = circuit::shift_add(tech, readout_bits + config.weight_bits);
  cost.energy_J["shift_add"] = d(counters.shift_adds) * add.energy_J + local_adds_J;
  const auto accumulator = circuit::shift_add(tech, per.accumulator_bits);
  const double gemm_rows = d(counters.gemm_rows);
  cost.energy_J["buffer"] = circuit::buffer_energy_J(
      tech, gemm_rows * (static_cast<double>(shape.k) * config.input_bits * static_cast<double>(column_tiles) +
                         static_cast<double>(shape.n) * per.activation_bits_out));

  // Latency per image: GEMM rows × input streams × row groups, one readout round each (the MTJ's
  // rounds last the stream's largest T samples).
  cost.latency_s =
      gemm_rows * row_groups * round_s *
      (sample_rounds > 0 ? static_cast<double>(sample_rounds) : static_cast<double>(config.input_streams()));

  for (auto& [k, v] : cost.energy_J) v *= tech.post_layout_energy_factor;

  // Area.
  cost.area_m2["array"] =
      static_cast<double>(arrays) * circuit::array_area_m2(tech, static_cast<int>(rows), config.columns);
  cost.area_m2["readout"] = readout_area;
  const auto& dig = tech.digital;
  if (trim_area > 0.0 || trim_register_bits > 0.0)
    cost.area_m2["trim"] =
        trim_area + trim_register_bits * dig.register_transistors_per_bit * tech.transistor_area_m2();
  cost.area_m2["shift_add"] = static_cast<double>(accumulators) * accumulator.area_m2 +
                              local_register_bits * (dig.adder_transistors_per_bit + dig.register_transistors_per_bit) *
                                  tech.transistor_area_m2();
  return cost;
}

NetworkCost network_cost(std::vector<LayerCost> layers, const CrossbarConfig& config, const circuit::Technology& tech) {
  NetworkCost net;
  bool any_digital = false;
  for (const auto& l : layers) {
    for (const auto& [k, v] : l.energy_J) net.energy_J[k] += v;
    for (const auto& [k, v] : l.area_m2) net.area_m2[k] += v;
    net.latency_s += l.latency_s;
    net.macs += l.macs;
    any_digital |= l.readout == "digital";
    for (const auto& note : l.notes)
      if (std::find(net.notes.begin(), net.notes.end(), note) == net.notes.end()) net.notes.push_back(note);
  }
  if (any_digital) net.area_m2["digital"] += config.periphery.digital_mac_units * circuit::digital_mac(tech).area_m2;
  net.layers = std::move(layers);
  for (const auto& [k, v] : net.energy_J) net.energy_total_J += v;
  for (const auto& [k, v] : net.area_m2) net.area_total_m2 += v;
  return net;
}

}  // namespace cimmc::arch
