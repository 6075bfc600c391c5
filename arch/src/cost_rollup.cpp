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

// Column groups and sides of the mapping, taken from the engine itself on a 1×1 layer (the
// groups depend on the encoding, scheme and cell bits, not on the weight values).
struct ColumnLayout {
  int groups = 0;
  int physical = 0;  // Σ over groups of the sides that hold cells
};
ColumnLayout column_layout(const CrossbarConfig& config) {
  const std::int8_t w = 0;
  const CrossbarLayer probe(config, 0, std::span<const std::int8_t>(&w, 1), 1, 1);
  ColumnLayout l;
  for (const auto& g : probe.column_groups()) {
    ++l.groups;
    l.physical += (g.positive.empty() ? 0 : 1) + (g.negative.empty() ? 0 : 1);
  }
  return l;
}
}  // namespace

int physical_columns_per_output(const CrossbarConfig& config) { return column_layout(config).physical; }

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
  if (!(input_density >= 0 && input_density <= 1) || !(weight_density >= 0 && weight_density <= 1))
    throw ArgumentError(fmt::format("layer {}: bit densities must be in [0, 1] (input {}, weight {})", shape.name,
                                    input_density, weight_density));
  if (shape.k == 0 || shape.n == 0 || shape.rows_per_image == 0)
    throw ArgumentError(fmt::format("layer {}: empty GEMM shape (M {}, K {}, N {})", shape.name, shape.rows_per_image,
                                    shape.k, shape.n));
  const ColumnLayout layout = column_layout(config);
  const auto& r = config.readout;
  Counters c;
  c.readout = std::string(circuit::readout_name(r.kind));
  c.adc_bits = r.kind == circuit::ReadoutKind::kAdc ? r.adc.bits : 0;
  c.lcu_group_rows = r.lcu.group_rows;
  c.lcu_levels = r.lcu.levels;
  c.rows_per_subarray = config.rows;
  c.subarrays = static_cast<int>(ceil_div(shape.k, static_cast<std::uint64_t>(config.rows)));
  c.column_groups = layout.groups;
  c.columns = static_cast<int>(shape.n);

  // Array reads per GEMM row and subarray: one per input stream (dac_bits input bits at once).
  const double m = static_cast<double>(shape.rows_per_image), bits = config.input_streams();
  const double cell_density = 1.0 - std::pow(1.0 - weight_density, config.bits_per_cell);
  const double row_density = 1.0 - std::pow(1.0 - input_density, config.dac_bits);  // a row is driven
  const double product = row_density * cell_density;  // a cell's product with its row is nonzero
  const auto count = [](double x) { return static_cast<std::uint64_t>(std::llround(x)); };
  // Row tiles: full ones of R rows and a last one with the rest. Per tile (and per GEMM row,
  // input bit, column group and output) a PS is all zero with probability (1 - product)^rows.
  const std::uint64_t full_tiles = shape.k / static_cast<std::uint64_t>(config.rows);
  const double rest = static_cast<double>(shape.k % static_cast<std::uint64_t>(config.rows));
  const double tiles = static_cast<double>(c.subarrays);
  const auto over_tiles = [&](auto f) {
    return static_cast<double>(full_tiles) * f(static_cast<double>(config.rows)) + (rest > 0 ? f(rest) : 0.0);
  };

  const double reads = m * bits * tiles;
  const double per_tile_ps = m * bits * layout.groups * static_cast<double>(shape.n);
  const double ps = per_tile_ps * tiles;
  const double sides = static_cast<double>(layout.physical) / layout.groups;
  c.gemm_rows = shape.rows_per_image;
  c.macs = shape.macs_per_image();
  c.array_reads = count(reads);
  c.active_rows = count(m * bits * static_cast<double>(shape.k) * row_density);
  c.column_reads = count(ps * sides);
  c.partial_sums = count(ps);
  c.zero_partial_sums = count(per_tile_ps * over_tiles([&](double rows) { return std::pow(1.0 - product, rows); }));
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
      c.mtj_reads = r.mtj.sparse ? c.partial_sums - c.zero_partial_sums : c.partial_sums;
      c.mtj_skipped = c.partial_sums - c.mtj_reads;
      c.mtj_samples = c.mtj_reads * static_cast<std::uint64_t>(r.mtj.samples);
      c.shift_adds = c.mtj_reads;
      break;
    case circuit::ReadoutKind::kZebraLcu: {
      // Groups of G rows (the last group of a tile may be shorter); each side is sensed.
      const double g = r.lcu.group_rows;
      const auto groups_in = [&](double rows) {
        const double full = std::floor(rows / g), left = rows - full * g;
        return std::pair{full, left};
      };
      const double groups = per_tile_ps * sides * over_tiles([&](double rows) {
        const auto [full, left] = groups_in(rows);
        return full + (left > 0 ? 1.0 : 0.0);
      });
      const double skipped = per_tile_ps * sides * over_tiles([&](double rows) {
        const auto [full, left] = groups_in(rows);
        return full * std::pow(1.0 - product, g) + (left > 0 ? std::pow(1.0 - product, left) : 0.0);
      });
      c.lcu_senses = count(groups - skipped);
      c.lcu_skips = count(skipped);
      c.shift_adds = c.partial_sums;
      break;
    }
  }
  return c;
}

LayerCost layer_cost(const CrossbarConfig& config, const circuit::Technology& tech, const LayerShape& shape,
                     const Counters& counters, double images, const MtjElectrical& mtj) {
  if (!(images > 0)) throw ArgumentError(fmt::format("layer {}: cost needs a positive image count", shape.name));
  LayerCost cost;
  cost.name = shape.name;
  cost.macs = shape.macs_per_image();
  const double per_image = 1.0 / images;
  const auto& per = tech.periphery;

  if (shape.digital) {
    const auto mac = circuit::digital_mac(tech);
    cost.readout = "digital";
    cost.energy_J["digital"] = static_cast<double>(cost.macs) * mac.energy_J;
    cost.energy_J["buffer"] = circuit::buffer_energy_J(
        tech, static_cast<double>(shape.rows_per_image) * static_cast<double>(shape.k + shape.n) * per.activation_bits_out);
    cost.latency_s = std::ceil(static_cast<double>(cost.macs) / per.digital_mac_units) * mac.latency_s;
    for (auto& [k, v] : cost.energy_J) v *= tech.post_layout_energy_factor;
    cost.area_m2["digital"] = 0.0;  // the shared MAC units are added once by network_cost
    return cost;
  }

  const auto& r = config.readout;
  cost.readout = std::string(circuit::readout_name(r.kind));
  if (config.dac_bits > 1)
    cost.notes.push_back(fmt::format("input DACs (dac_bits = {}) are not costed: each driven row counts one wordline "
                                     "activation per input stream",
                                     config.dac_bits));
  const ColumnLayout layout = column_layout(config);
  const std::uint64_t rows = static_cast<std::uint64_t>(std::max(per.subarray_rows, config.rows));
  const std::uint64_t columns = static_cast<std::uint64_t>(config.columns);
  const std::uint64_t column_tiles = ceil_div(shape.n * static_cast<std::uint64_t>(layout.physical), columns);
  const std::uint64_t row_tiles = ceil_div(shape.k, rows);
  const std::uint64_t subarrays = row_tiles * column_tiles;
  const double row_groups = std::ceil(static_cast<double>(std::min<std::uint64_t>(shape.k, rows)) / config.rows);
  cost.physical_subarrays = static_cast<int>(subarrays);
  const auto d = [&](std::uint64_t x) { return static_cast<double>(x) * per_image; };

  // Energy per image.
  cost.energy_J["array"] =
      d(counters.active_rows) * static_cast<double>(column_tiles) *
          circuit::wordline_activation_energy_J(tech, config.columns) +
      d(counters.column_reads) * circuit::bitline_read_energy_J(tech, static_cast<int>(rows));
  double round_s = tech.clock_period_s;  // one readout round
  double readout_area = 0.0;
  const auto bits_for = [](double levels) { return std::max(1, static_cast<int>(std::ceil(std::log2(levels)))); };
  // Bits of the value one PS contributes: exact PS (ideal, LCU sum of groups), ADC code or
  // sample count (MTJ).
  int readout_bits = bits_for(config.full_scale() + 1);
  double local_adds_J = 0.0;
  // Shift-add accumulators: one per columns_per_adc columns (per ADC, or per group of MTJ or
  // LCU columns that share one); local registers come on top (MTJ sample counters, LCU sums).
  const std::uint64_t accumulators = subarrays * ceil_div(columns, static_cast<std::uint64_t>(per.columns_per_adc));
  double local_register_bits = 0.0;
  switch (r.kind) {
    case circuit::ReadoutKind::kIdeal:
      cost.energy_J["readout"] = 0.0;
      break;
    case circuit::ReadoutKind::kAdc: {
      const auto adc = circuit::adc_conversion(tech, per.adc_model, r.adc.bits);
      cost.energy_J["readout"] = d(counters.adc_conversions) * adc.energy_J;
      readout_bits = r.adc.bits;
      round_s = per.columns_per_adc * adc.latency_s;
      readout_area = static_cast<double>(accumulators) * adc.area_m2;
      break;
    }
    case circuit::ReadoutKind::kStochasticMtj: {
      if (!(mtj.heavy_metal_resistance_ohm > 0) || !(mtj.mean_mtj_resistance_ohm > 0))
        throw ArgumentError(fmt::format("layer {}: the stochastic MTJ readout needs the device's resistances", shape.name));
      // <I²> over x uniform in [-1, 1] for I = I0 + I1·x.
      const double i0 = r.mtj.current_at_zero_A, i1 = r.mtj.current_per_unit_A;
      const auto sample = circuit::mtj_sample(tech, mtj.heavy_metal_resistance_ohm, mtj.mean_mtj_resistance_ohm,
                                              i0 * i0 + i1 * i1 / 3.0);
      cost.energy_J["readout"] = d(counters.mtj_samples) * sample.total.energy_J;
      const double mean_t = counters.mtj_reads ? static_cast<double>(counters.mtj_samples) / counters.mtj_reads
                                               : static_cast<double>(r.mtj.samples);
      round_s = mean_t * sample.total.latency_s;
      readout_bits = bits_for(std::ceil(mean_t) + 1);
      const double mtj_columns = static_cast<double>(subarrays * columns);  // one MTJ per column
      readout_area = mtj_columns * sample.total.area_m2;
      local_register_bits = mtj_columns * readout_bits;  // a sample counter per column
      break;
    }
    case circuit::ReadoutKind::kZebraLcu: {
      const auto sense = circuit::multilevel_sense(tech, r.lcu.levels);
      cost.energy_J["readout"] = d(counters.lcu_senses) * sense.energy_J;
      // Sensed group levels are summed locally into the column's PS before the shift-add.
      local_adds_J = d(counters.lcu_senses) *
                     circuit::shift_add(tech, readout_bits).energy_J;
      round_s = per.lcu_columns_shared * sense.latency_s;
      const double senses = static_cast<double>(subarrays * ceil_div(rows, static_cast<std::uint64_t>(r.lcu.group_rows)) *
                                                ceil_div(columns, static_cast<std::uint64_t>(per.lcu_columns_shared)));
      readout_area = senses * sense.area_m2;
      // A local adder and register per column sum its groups' levels.
      local_register_bits = static_cast<double>(subarrays * columns) * readout_bits;
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

  // Latency per image: GEMM rows × input streams × row groups, one readout round each.
  cost.latency_s = gemm_rows * config.input_streams() * row_groups * round_s;

  for (auto& [k, v] : cost.energy_J) v *= tech.post_layout_energy_factor;

  // Area.
  cost.area_m2["array"] = static_cast<double>(subarrays) * circuit::array_area_m2(tech, static_cast<int>(rows), config.columns);
  cost.area_m2["readout"] = readout_area;
  const auto& dig = tech.digital;
  cost.area_m2["shift_add"] =
      static_cast<double>(accumulators) * accumulator.area_m2 +
      local_register_bits * (dig.adder_transistors_per_bit + dig.register_transistors_per_bit) * tech.transistor_area_m2();
  return cost;
}

NetworkCost network_cost(std::vector<LayerCost> layers, const circuit::Technology& tech) {
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
  if (any_digital) net.area_m2["digital"] += tech.periphery.digital_mac_units * circuit::digital_mac(tech).area_m2;
  net.layers = std::move(layers);
  for (const auto& [k, v] : net.energy_J) net.energy_total_J += v;
  for (const auto& [k, v] : net.area_m2) net.area_total_m2 += v;
  return net;
}

}  // namespace cimmc::arch
