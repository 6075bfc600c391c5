// Readouts: what turns one analog accumulation of a crossbar column into a digital number
// (docs/physics.md). The crossbar engine (arch) computes partial sums exactly, adds the
// noise of noise_model.hpp and applies one of these per partial sum, in the same pass.
//
//  - Ideal: the analog value as is (exact integers without noise).
//  - Adc: an N-bit uniform quantizer over the full scale or a calibrated clipping range; in
//    sparse mode a PS whose bit-products are all zero is not converted (an oracle: docs/cost.md).
//  - StochasticMtj: x = clamp(scale·PS + offset, -1, 1) (per-subarray affine map), current
//    I(x), P_sw(I) from a SwitchingCurve, T samples of ±1 drawn as one binomial (K switched),
//    decoded to x̂(K) and mapped back through the affine map: PS_hat = (x̂ - offset) / scale.
//    Decoding "mean" takes the samples' mean, x̂ = 2K/T − 1 (StoX-Net: the network learns the
//    squashing E[x̂] = 2P(x) − 1, tanh(a·x/2) for the sigmoid); "inverse" inverts the expected
//    curve, x̂ = the x where P(x) = K/T (±1 beyond the curve's ends), so that E[PS_hat] follows
//    PS and a network keeps its integer scales. In sparse mode a PS known to be zero is not
//    sampled (sparse_detection: "digital" or the "ideal" oracle).
//  - ZebraLcu: the column is cut into groups of G rows; each group's bit-products are summed in
//    analog (0..G·cell max) with the noise of its own active cells and sense, sensed by an L-level
//    sense amplifier and accumulated digitally. All-zero groups are skipped (no noise, no energy).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cimmc/circuit/readout_map.hpp"
#include "cimmc/circuit/switching_curve.hpp"
#include "cimmc/circuit/trim.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/device/variation.hpp"

namespace cimmc::device {
class SwitchingTable;
}

namespace cimmc::circuit {

enum class ReadoutKind { kIdeal, kAdc, kStochasticMtj, kZebraLcu };
std::string_view readout_name(ReadoutKind kind);  // "ideal", "adc", "stochastic_mtj", "zebra_lcu"
// The kind named `name` (as readout_name spells it), or none.
std::optional<ReadoutKind> parse_readout_kind(std::string_view name);

struct AdcParams {
  int bits = 8;
  bool calibrated_range = false;  // false: range = full scale; true: clip at a PS percentile
  double clip_percentile = 99.9;  // percentile of |PS| observed in calibration
  bool sparse = false;            // skip (do not convert) PS whose bit-products are all zero
};

// Sampling length T for some GEMMs / input bits / weight-bit columns ("inhomogeneous sampling
// length"), in the engine's coordinates; an empty list matches all. The last matching rule wins
// over the default. The fields are the keys of [[readout.mtj.samples_rule]].
struct SamplesRule {
  std::vector<int> gemms;       // GEMM indices (the network numbers its Conv/Linear layers 0, 1, ...)
  std::vector<int> input_bit;   // bit positions: the lowest input bit of an input stream
  std::vector<int> weight_bit;  // bit positions: the lowest weight bit of a column group
  int samples = 1;
};

enum class MtjDecode { kMean, kInverse };
std::string_view mtj_decode_name(MtjDecode decode);  // "mean", "inverse"

struct MtjParams {
  int samples = 4;  // T, default for every PS
  MtjDecode decode = MtjDecode::kInverse;
  std::vector<SamplesRule> samples_rule;
  std::string curve = "sigmoid";                           // "sigmoid", "tabulated" or "device_table"
  double slope = 4.0;                                      // a in P = sigmoid(a·x) (sigmoid curve)
  double current_at_zero_A = 100e-6;                       // I(x = 0)
  double current_per_unit_A = 50e-6;                       // dI/dx
  std::vector<double> table_current_A, table_probability;  // tabulated curve points
  std::string table_file;                                  // device_table: a cimmc.switching(_table) HDF5 file
  double pulse_width_s = 1e-9;  // the write pulse width (device_table: the table's column used)
  // The SOT-MTJ device preset the converter samples, for pricing it (its resistances). With
  // curve = "device_table" the table's own device; empty means "the table's" there and "not
  // named" for the sigmoid and tabulated curves, which the cost model then refuses.
  std::string device;
  // The temperature the converter runs at (K), with curve = "device_table": the table's own
  // temperature (checked against the file's /device/temperature_K), so that a study can sweep
  // temperature as a number zipped with table_file. 0: not stated.
  double temperature_K = 0.0;
  // Calibration of the affine maps x = (PS - mean) / (calibration_sigmas · std), per subarray
  // (statistics pooled over its columns) or per column of each subarray (every output has its
  // own gain and offset, like a batch-norm of each subarray's PS).
  double calibration_sigmas = 2.0;
  bool per_column_calibration = true;
  // The circuit that realizes each calibrated map ([readout.mtj.trim]; "ideal" by default).
  TrimParams trim;
  // MTJ-to-MTJ variation ([readout.mtj.variation], the device layer's spreads of anisotropy,
  // spin Hall angle, Ms and size): each converter MTJ (physical column of each subarray) draws its
  // own device per trial; its curve is the nominal one at the current I · I_c0 / I_c of its
  // critical-current ratio (docs/physics.md). Needs the converter's device (`device`, or the
  // table's), loaded into converter_device when the file is read.
  bool has_variation = false;
  device::DeviceVariation variation;
  std::shared_ptr<const device::SotMtjParams> converter_device;
  // Sparse readout: a PS known to be zero is not converted; it adds an exact 0, and the maps are
  // calibrated on the PS that are converted. What is known (sparse_detection):
  //  - "digital": what the hardware knows without computing the PS — no row of the subarray is
  //    driven in this input stream (an OR over its input bits), or the column's cells of this
  //    group are all zero in the subarray (a flag set when the weights are programmed); the
  //    detection is priced;
  //  - "ideal": every PS whose bit-products are all zero (an oracle: it needs the AND of every
  //    row's input and weight bits, i.e. the computation itself); named ideal in reports.
  bool sparse = false;
  bool ideal_zero_detection = false;

  // The device table of curve = "device_table", loaded once when the hardware file is read, so
  // that the engine opens no files; null for the other curves (or a config built in code, whose
  // make_curve then loads table_file itself).
  std::shared_ptr<const device::SwitchingTable> table;

  // T for the PS of GEMM `gemm` whose input stream starts at bit `input_bit` and whose column
  // group starts at weight bit `weight_bit`.
  int samples_for(int gemm, int input_bit, int weight_bit) const;
  // The switching curve these parameters describe (sigmoid in current, the inline table, or
  // the device layer's lookup table: `table`, else loaded from table_file).
  std::unique_ptr<SwitchingCurve> make_curve() const;
};

// x̂(K) for K = 0 .. T switched samples out of T under `decode`, on a curve P(I(x)) with
// I(x) = current_at_zero_A + x · current_per_unit_A (x in [-1, 1]; P must not decrease).
std::vector<double> mtj_decode_points(const MtjParams& params, const SwitchingCurve& curve, int samples);

// The readout's mean response and its slope, for a straight-through backward pass through
// E[x̂] (the StoX estimator: E[x̂] = tanh(a·x/2) for the sigmoid curve and mean decoding):
// E[x̂](x) = Σ_K C(T, K) P^K (1 − P)^(T − K) x̂(K) at `points` (>= 2) equally spaced x from −1 to 1,
// and dE[x̂]/dx at the same points by central differences (one-sided at the ends).
std::vector<double> mtj_expected_decode(const MtjParams& params, const SwitchingCurve& curve, int samples, int points);
std::vector<double> mtj_expected_slope(const MtjParams& params, const SwitchingCurve& curve, int samples, int points);

struct LcuParams {
  int group_rows = 8;  // G, a power of two <= 64
  int levels = 9;      // L, levels of the sense amplifier
};

// How the noise of an ADC or LCU sense becomes its sensed level (docs/rare_event_sampling.md):
//  - kDirect: one normal per analog sense, added to the value, which is then quantized;
//  - kRareEvent: the noise-free level of every sense, and from the same stream which senses the
//    noise moves to another level (candidates by geometric gaps under a bound on the per-sense
//    error probability, thinned to the exact one) and to which level (inverse CDF of the normal's
//    tails). The same distribution, far fewer random numbers when the noise is small against the
//    level spacing;
//  - kLevel: the ADC code of each conversion drawn by inverse CDF from a uniform, against per-PS
//    threshold tables (cimmc/arch/level_sampling.hpp): the same distribution for half a random
//    word per conversion. Only for a single-ended ADC with one additive σ for every conversion
//    (relative_full_scale noise without proportional_fraction or offsets, exact cells), a full
//    scale of at most 255 unit signals and σ up to about 0.37 of the step;
//  - kAuto: kRareEvent for a layer whose bound on the per-sense error probability is at most
//    kRareEventAutoBound; otherwise kLevel where it applies, kDirect elsewhere (and for the
//    stochastic MTJ and ideal readouts).
enum class ReadoutSampling { kAuto, kDirect, kRareEvent, kLevel };
std::string_view readout_sampling_name(ReadoutSampling s);  // "auto", "direct", "rare_event", "level"
// The sampling named `name` (as readout_sampling_name spells it), or none.
std::optional<ReadoutSampling> parse_readout_sampling(std::string_view name);
inline constexpr double kRareEventAutoBound = 0.01;

struct ReadoutParams {
  ReadoutKind kind = ReadoutKind::kIdeal;
  ReadoutSampling sampling = ReadoutSampling::kAuto;
  AdcParams adc;
  MtjParams mtj;
  LcuParams lcu;
};

// Whether the readout can sample its noise by `sampling`: rare-event sampling exists for the ADC
// and the ZEBRA LCU only, level sampling for the ADC only (the other readouts sample directly). One rule for a hardware
// file and a configuration built in code.
bool sampling_fits_kind(const ReadoutParams& p);
inline constexpr std::string_view kSamplingKindRule =
    "\"rare_event\" only with kind = \"adc\" or \"zebra_lcu\", \"level\" only with kind = \"adc\" (the other "
    "readouts sample directly)";

// Reads the [readout] table: kind, sampling, and the sub-tables adc, mtj, lcu (each optional; those
// present are validated whatever the kind). All problems go to the table's Problems.
ReadoutParams read_readout_params(core::config::TableReader& table);

// N-bit uniform quantizer. Unsigned input: codes 0 .. 2^N-1 over [0, range]; signed input:
// codes -(2^(N-1)-1) .. 2^(N-1)-1 over [-range, range]. The step is range / (largest code), but
// never below 1: partial sums are integers, and an ADC with enough bits for every integer level
// returns noise-free PS exactly.
struct AdcQuantizer {
  AdcQuantizer() = default;
  AdcQuantizer(int bits, double range, bool signed_input);
  float step = 1.0f, inverse_step = 1.0f;
  int min_code = 0, max_code = 0;
};

// One sense of an L-level LCU sense amplifier over a group of full scale fs: step =
// max(1, fs / (L - 1)), level = clamp(round(v / step), 0, L - 1), value = level · step.
struct LcuSense {
  LcuSense() = default;
  LcuSense(int levels, double group_full_scale);
  float step = 1.0f, inverse_step = 1.0f;
  int max_level = 0;
};

// Inverse-CDF sampling of Binomial(T, p) with one 32-bit word: thresholds[k] = 2^32 · P(K <= k)
// for k < T; K = number of thresholds <= word.
void binomial_thresholds(int samples, double p, std::span<std::uint32_t> thresholds);
inline int binomial_from_word(std::span<const std::uint32_t> thresholds, std::uint32_t word) {
  int k = 0;
  for (std::uint32_t t : thresholds) k += word >= t ? 1 : 0;
  return k;
}

// One Bernoulli(p) sample from a uniform 32-bit word: it switches when word < ⌈p · 2^32⌉ (the
// returned limit; 2^32 for p = 1), i.e. exactly when word < p · 2^32.
inline std::uint64_t mtj_word_limit(double p) {
  return static_cast<std::uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * 4294967296.0));
}

// A 256-entry shortcut for the same K: entry b is K for every word whose top 8 bits are b, or
// kBinomialAmbiguous when a threshold falls inside that range of words (then count thresholds).
inline constexpr std::uint8_t kBinomialAmbiguous = 255;
void binomial_buckets(std::span<const std::uint32_t> thresholds, std::span<std::uint8_t> buckets);

}  // namespace cimmc::circuit
