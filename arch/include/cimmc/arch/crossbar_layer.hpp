// The crossbar GEMM engine: one Conv/Linear layer of a quantized network run on crossbars.
//
// A CrossbarLayer maps an N×K signed weight matrix (row-major, B-bit values) onto subarrays of R
// rows: the zero-bit encoding turns each weight into signed digits, the signed scheme and bits
// per cell turn digits into physical column groups (a group's cells store up to bits_per_cell
// consecutive digits, see crossbar_config.hpp), and the weight bit planes are packed once.
// run() then takes unsigned activations (M×K, row-major, b-bit values, fed in input streams of
// dac_bits bits, LSB stream first) and, for every row, computes each partial sum
//     PS(input stream q, column group g, subarray s, output n)
//       = Σ_{bits i of q} 2^(i − i0(q)) Σ_{planes p of g} cell_weight(p) · popcount(a_i & w_p)
// exactly by AND + popcount, applies noise and the readout to it in the same pass, and
// shift-adds the readout values: out[m·N + n] = Σ 2^i0(q) · weight(g) · readout(PS) (+ the
// digital offset-binary correction). With the Ideal readout and no noise every output is the
// exact integer GEMM result (as a double).
//
// Randomness: each GEMM row has its own streams, addressed (purpose, point, trial, element) with
//     element = gemm << 38 | image << 18 | patch,   image = first_image + m / rows_per_image,
//                                                   patch = m % rows_per_image
// (gemm < 2^10, image < 2^20, patch < 2^18), so a row's noise does not depend on the batch it
// came in, on its position in the batch or on the thread count. Sense-amplifier offsets are
// drawn once per (trial, GEMM) and physical column. Rows are spread over OpenMP threads.
// These are the engine's coordinates: `gemm` is an opaque index of the GEMM (the layer id a
// CrossbarLayer is built with), an "image" is a block of rows_per_image consecutive GEMM rows and
// a "patch" a row within it. The network maps its layers, images and output pixels onto them
// (network::CrossbarBackend, network::CrossbarTrainingHook).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cimmc/arch/bit_planes.hpp"
#include "cimmc/arch/counters.hpp"
#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/level_sampling.hpp"
#include "cimmc/circuit/readout.hpp"

namespace cimmc::arch {

// Where a GEMM run sits in a study, in the engine's coordinates: selects its random streams.
struct RunAddress {
  std::uint32_t point = 0;           // sweep point
  std::uint32_t trial = 0;           // Monte Carlo trial
  std::uint32_t gemm = 0;            // GEMM index (< 1024): the CrossbarLayer's layer id
  std::uint64_t first_image = 0;     // image (row block) of GEMM row 0 (< 2^20 with the rows it covers)
  std::uint32_t rows_per_image = 1;  // GEMM rows per image (row block): output pixels for an im2col conv
};

inline constexpr std::uint32_t kMaxGemm = (1u << 10) - 1;
inline constexpr std::uint64_t kMaxImage = (std::uint64_t{1} << 20) - 1;
inline constexpr std::uint32_t kMaxPatch = (1u << 18) - 1;
// The 48-bit stream element of one GEMM row; throws core::ArgumentError when a field is out of range.
std::uint64_t row_stream_element(std::uint32_t gemm, std::uint64_t image, std::uint32_t patch);

// Exact PS observed on calibration data, for calibrated ADC ranges and the MTJ affine maps.
// A conversion index c = q · G + g names one (input stream q, column group g) of a subarray's
// output: every one is a separate analog accumulation with its own PS distribution (bit-planes of
// different significance, the sign digit's negative column), so the MTJ maps are per conversion.
struct PsStatistics {
  int full_scale = 0;   // R · max cell value · max input value
  int columns = 0;      // N outputs
  int conversions = 1;  // C = input streams · column groups
  // histogram[s][ps + full_scale] over every input stream, column group and output of subarray s.
  std::vector<std::vector<std::uint64_t>> histogram;
  // Per (subarray s, conversion c, output n), index (s · C + c) · N + n: count, Σ PS and Σ PS².
  std::vector<double> column_count, column_sum, column_sum_squares;
  // Smallest c with at least pct % of |PS| <= c (pooled over subarrays).
  double abs_percentile(double pct) const;
  // Moments of one conversion of subarray s, over all its outputs.
  double conversion_mean(int subarray, int conversion) const;
  double conversion_stddev(int subarray, int conversion) const;
  // Moments of one conversion of subarray s for output n.
  double column_mean(int subarray, int conversion, int column) const;
  double column_stddev(int subarray, int conversion, int column) const;
  void merge(const PsStatistics& other);

 private:
  // Mean and sample standard deviation pooled over the cells first .. first + count − 1.
  std::pair<double, double> moments(std::size_t first, std::size_t count) const;
};

struct LayerCalibration {
  double adc_range = 0.0;  // calibrated ADC range (PS units); 0 = full scale
  // Stochastic MTJ maps: one per (subarray s, conversion c) at s · C + c, or one per (subarray,
  // conversion, output n) at (s · C + c) · N + n; empty = the full-scale map.
  std::vector<circuit::AffineMap> mtj_maps;
};

// One physical column group: the planes whose cells it sums (cell weight 1 or 2 for the bits of
// a 2-bit cell), on the positive and (differential pairs) negative side.
struct ColumnGroup {
  struct Plane {
    int plane;
    int cell_weight;
  };
  std::vector<Plane> positive, negative;
  std::int64_t shift_weight = 1;  // signed multiplier in the shift-add
  int weight_bit = 0;             // lowest digit position (for per-significance settings)
  bool signed_readout = false;    // differential: the readout sees positive − negative
};

// Limits of a stochastic MTJ readout's tables per layer (crossbar_readout_tables.cpp): threshold
// tables are built per sample count T only up to kMaxThresholdTableBytes each, and word records
// (for a T without them) only up to kMaxWordLimitBytes each; beyond either, P is evaluated per PS.
inline constexpr std::size_t kMaxThresholdTableBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxWordLimitBytes = std::size_t{64} << 20;

class CrossbarLayer {
 public:
  CrossbarLayer(const CrossbarConfig& config, int layer_id, std::span<const std::int8_t> weights, int n, int k);

  // Programs new N×K weights into the same layer: afterwards it computes what a layer constructed
  // with these weights computes, given the same variation address, switching curve, calibration
  // and kernel (cell deviations set by set_cell_deviations are dropped; those of the config's
  // [cell] model are drawn anew for the new levels). The readout tables depend on the weights
  // only through the set of weight planes the values use, so they are rebuilt only when that
  // set changes (or the cell model makes the PS analog). Throws core::ArgumentError, as set_calibration
  // does, when the MTJ maps of the calibration do not fit a new set of column groups; the layer
  // then holds the new weights, uncalibrated.
  void reprogram(std::span<const std::int8_t> weights);

  int n() const { return n_; }
  int k() const { return k_; }
  int layer_id() const { return layer_id_; }
  const CrossbarConfig& config() const { return config_; }
  const PlaneGeometry& geometry() const { return geometry_; }
  const std::vector<ColumnGroup>& column_groups() const { return groups_; }
  // One name per weight plane, e.g. "+2^3", "-2^7", "flag".
  const std::vector<std::string>& plane_names() const { return plane_names_; }
  // Fraction of the N·K cells of each weight plane that store a nonzero digit (same order).
  std::vector<double> plane_densities() const;
  // Largest analog accumulation of one column: R · max cell value · max input value.
  double full_scale() const { return config_.full_scale(); }

  // Kernel used by run(); core::detect_kernel_isa() by default.
  void set_kernel(core::KernelIsa isa);
  core::KernelIsa kernel() const { return isa_; }

  // Conductance deviation of every stored cell in units of the level step (the device layer's
  // StorageCellModel::deviations): a cell storing level L on a driven row adds L + deviation to
  // its column's analog sum. Index ((group · 2 + side) · N + n) · K + k, side 0 = positive,
  // 1 = negative (cells of a side a group does not have are ignored). An empty vector removes them.
  void set_cell_deviations(std::vector<float> deviations);
  // The level each cell stores, in the layout above (0 for cells of absent sides): the input of
  // StorageCellModel::deviations.
  std::vector<std::uint8_t> cell_levels() const;

  // Where this layer's per-trial draws come from (the storage cells' conductance deviations of
  // the config's [cell] model, the stochastic readout's trim mismatch): the evaluation's seed,
  // sweep point and trial. Defaults to seed 0, point 0, trial 0.
  void set_variation_address(std::uint64_t seed, std::uint32_t point, std::uint32_t trial);

  // Replaces the stochastic readout's switching curve (by default the one the configuration
  // describes), e.g. with one device-table curve shared by all layers.
  void set_switching_curve(std::shared_ptr<const circuit::SwitchingCurve> curve);

  // MTJ-to-MTJ variation: the current gain I_c0 / I_c of the converter behind each map (map
  // index as in the engine: (subarray · conversions + conversion) · N_pad + output); empty
  // without variation.
  const std::vector<double>& mtj_current_gains() const { return mtj_current_gain_; }
  // With in-situ calibration: the gain each converter's calibration measured (same indexing).
  const std::vector<double>& mtj_gain_estimates() const { return mtj_gain_estimate_; }
  // The maps ahead of the MTJs (realized by the trim) and the decoder's maps, [map · 2 + signed].
  const std::vector<circuit::AffineMap>& mtj_analog_maps() const { return maps_; }
  const std::vector<circuit::AffineMap>& mtj_decode_maps() const { return decode_maps_; }

  // Bytes held by the readout's lookup tables (MTJ decoding, thresholds, word records, slopes;
  // the LCU's sense counts).
  std::size_t readout_table_bytes() const;
  // Caps of the stochastic MTJ readout's tables per T (defaults kMaxThresholdTableBytes and
  // kMaxWordLimitBytes), and the tables rebuilt under them: lower caps trade memory for time
  // (threshold tables, then word records, then P per PS); every choice draws the same K from the
  // same word for exact PS.
  void set_readout_table_caps(std::size_t threshold_table_bytes, std::size_t word_record_bytes);

  PsStatistics collect_statistics(std::span<const std::uint8_t> activations, int m) const;
  // ADC range from the configured percentile; MTJ maps x = (PS − mean) / (c · std) per subarray.
  void calibrate(const PsStatistics& stats);
  void set_calibration(LayerCalibration calibration);
  const LayerCalibration& calibration() const { return calibration_; }

  // How each subarray's readout passes its PS on, for a partial-sum-aware backward pass:
  // slopes[(s · M + row) · N + n] is the mean, over the conversions of subarray s for
  // output n (input streams, column groups) weighted by their shift-add weights, of dPS_out/dPS
  // under `model`. kRange (StoX-Net's hardtanh straight-through estimator): 1 inside the
  // readout's range (the MTJ map's |x| <= 1, the ADC's codes), 0 where the PS was clipped.
  // kExpected: the slope of the readout's mean response, for the MTJ dE[x̂]/dx (for the sigmoid
  // curve and mean decoding (a/2)(1 − tanh²(a·x/2))) inside the range, 0 outside; the ADC's
  // mean response is a staircase, so it falls back to kRange. Ideal and LCU readouts do not
  // clip: all ones. Exact PS, no noise; serial (callers parallelize over rows).
  enum class SlopeModel { kRange, kExpected };
  void readout_slopes(std::span<const std::uint8_t> activations, int m, std::span<float> slopes,
                      SlopeModel model = SlopeModel::kRange) const;

  // out (M×N, row-major) = the crossbar's GEMM of activations (M×K, values < 2^input_bits) with
  // the weights; counters receive this run's counts (added to what they hold). With a nonempty
  // `slopes` (M × subarrays × N) the run also gives what readout_slopes(activations, m, slopes,
  // model) gives, bit for bit, from the partial sums it computes anyway; the outputs and the
  // random streams are those of a run without.
  void run(std::span<const std::uint8_t> activations, int m, const RunAddress& address, std::uint64_t seed,
           std::span<double> out, Counters& counters, std::span<float> slopes = {},
           SlopeModel model = SlopeModel::kRange) const;

 private:
  struct Scratch;
  // Validates the weights and builds the mapping: planes, column groups, all-zero columns.
  void map_weights(std::span<const std::int8_t> weights);
  void prepare_readout();
  // Draws the config's storage-cell deviations at the variation address (non-exact cells only).
  void apply_cell_model();
  // Per map: the current gain I_c0 / I_c of its column's converter MTJ (MTJ-to-MTJ variation).
  void prepare_mtj_variation();
  // P_sw of the converter behind signed map `signed_map` (map · 2 + signed readout) at x.
  double map_probability(std::size_t signed_map, double x) const;
  // The heavy-metal current of x on a map: I(x), times the map's converter gain with variation.
  double map_current(std::size_t signed_map, double x) const;
  // The map the readout's trim circuit realizes for calibrated map number `trim` of this layer.
  circuit::AffineMap trimmed(const circuit::AffineMap& target, std::size_t trim) const;
  // The MTJ word records of each T without threshold tables, when they fit (exact PS only).
  void prepare_mtj_word_records();
  // Where a run writes the slopes of its rows: row `row`'s of subarray s at
  // out + s · subarray_stride + row · N (out = nullptr: none).
  struct SlopeSink {
    SlopeModel model = SlopeModel::kRange;
    float* out = nullptr;
    std::size_t subarray_stride = 0;
  };
  void run_row(const std::uint64_t* act_planes, std::int64_t act_sum, std::uint64_t element, std::uint64_t seed,
               const RunAddress& address, const float* offsets, double* out, Scratch& scratch, Counters& counters,
               const SlopeSink& slopes, int row) const;
  // The readout slopes (crossbar_training_slopes.cpp). Whether the readout clips at all (ADC,
  // MTJ; the others pass every PS: slopes of 1).
  bool readout_has_slopes() const;
  // The MTJ's range of PS inside each decoder map (built with the maps).
  void prepare_slope_ranges();
  // Adds the terms of one (subarray, input stream) block to weighted[n] (and Σ w to total), in
  // the order of the column groups; `idle`: no row of the subarray is driven in the stream.
  void slope_terms(SlopeModel model, int subarray, int stream, bool idle, const std::int32_t* pos,
                   const std::int32_t* neg, double* weighted, double& total) const;
  // out[n] = weighted[n] / total (all ones when nothing was weighted).
  void write_slopes(const double* weighted, double total, float* out) const;
  // PS of every (column group, output) of one (subarray, input stream) into pos and neg
  // ([group · n_pad + n]); tmp holds one plane's popcounts per output at a time.
  void stream_partial_sums(const std::uint64_t* act_planes, int subarray, int stream, std::int32_t* tmp,
                           std::int32_t* pos, std::int32_t* neg) const;
  // Stochastic MTJ readout of one (stream, group, subarray) block; returns the PS a sparse
  // readout skipped.
  int mtj_block(int stream, int group, int subarray, bool exact_analog, bool stream_idle, const std::int32_t* pos,
                const std::int32_t* neg, const float* vpos, const float* vneg, float* value, Scratch& scratch,
                Counters& counters) const;
  // The LCU's sense-count table (groups of G <= 8 rows), built from the planes by map_weights.
  void prepare_lcu_sense_table();
  void run_lcu_block(const std::uint64_t* a, int subarray, double bit_weight, const float* offsets,
                     const std::int32_t* pos, const std::int32_t* neg, double* acc, Scratch& scratch,
                     Counters& counters) const;
  // Rare-event sampling of one ADC block's noise (crossbar_run.cpp): `value` holds the noise-free
  // conversions of vpos − vneg; sets those the noise moves to another code and returns the
  // change of the clipped count.
  int adc_rare_errors(const std::int32_t* pos, const std::int32_t* neg, const float* vpos, const float* vneg,
                      float* value, Scratch& scratch) const;

  CrossbarConfig config_;
  int layer_id_, n_, k_, n_pad_;
  PlaneGeometry geometry_;
  core::KernelIsa isa_;
  std::vector<ColumnGroup> groups_;
  std::vector<std::string> plane_names_;
  // Weight planes interleaved so that one kernel call covers every plane of a subarray:
  // [word][plane][n_pad].
  std::vector<std::uint64_t> planes_;
  int plane_count_ = 0;
  std::size_t plane_index(int plane, int word, int n) const {
    return (static_cast<std::size_t>(word) * plane_count_ + plane) * n_pad_ + n;
  }
  // Per (group, output) constants of the fused readout loop: [group · n_pad + n].
  std::vector<float> side_mask_[2];    // 1 where the group has that side
  std::vector<std::uint8_t> valid_;    // 1 for real outputs (n < N)
  std::vector<double> shift_weights_;  // [group]
  bool identity_groups_ = false;       // group g is plane g alone, cell weight 1, one side
  std::vector<std::uint64_t> plane_ones_;
  std::vector<float> deviations_;
  LayerCalibration calibration_;
  struct VariationAddress {
    std::uint64_t seed = 0;
    std::uint32_t point = 0, trial = 0;
  } variation_;
  std::vector<double> mtj_current_gain_;  // [map]; empty without MTJ-to-MTJ variation
  // [map]: the gain the in-situ calibration measured for the map's converter (empty without it).
  std::vector<double> mtj_gain_estimate_;
  // [(subarray · groups + group) · n_pad + n]: 1 if the group's cells of output n are all zero in
  // the subarray (known when the weights are programmed).
  std::vector<std::uint8_t> column_zero_;
  // Whether a sparse stochastic readout skips this PS: with digital detection, an idle input
  // stream or an all-zero column; with ideal detection, any PS whose bit-products are all zero.
  bool mtj_skips(bool stream_idle, int subarray, int group, int n, std::int32_t pos, std::int32_t neg) const {
    if (config_.readout.mtj.ideal_zero_detection) return (pos | neg) == 0;
    return stream_idle ||
           column_zero_[(static_cast<std::size_t>(subarray) * groups_.size() + static_cast<std::size_t>(group)) *
                            n_pad_ +
                        static_cast<std::size_t>(n)] != 0;
  }
  // Whether no row of `subarray` is driven in input stream q (act: the row's packed input bits).
  bool stream_idle(const std::uint64_t* act, int subarray, int q) const;
  // Readout tables.
  circuit::AdcQuantizer adc_unsigned_, adc_signed_;
  std::vector<float> adc_inverse_step_, adc_step_, adc_min_code_, adc_max_code_;  // [group · n_pad + n]
  // Level sampling of the ADC's noise (level_sampling.hpp): the tables and each group's table, or
  // why the layer cannot sample by level (prepare_level_tables).
  std::vector<level::Table> level_tables_;
  std::vector<int> level_table_of_group_;
  std::string level_unavailable_;
  void prepare_level_tables();
  circuit::LcuSense lcu_sense_;
  // For an LCU of G <= 8 rows per group: [((subarray · words_per_subarray + word) · 8 + byte) ·
  // 256 + α] = the nonzero G-row groups of byte `byte` of (α << 8·byte) & (the OR of a side's
  // planes), summed over every side of every column group and every output. The senses of a
  // block are then 8 lookups per activation word (docs/rare_event_sampling.md).
  std::vector<std::int32_t> lcu_sense_table_;
  std::vector<int> samples_;  // [input stream][group] T
  // MTJ maps [map · 2 + signed readout], map = map_of(subarray, conversion, n): maps_ is what the
  // analog trim realizes ahead of the MTJ (quantized codes, mismatch, in-situ device correction);
  // decode_maps_ is what the digital decoder knows (the calibrated target), used to turn x̂ back
  // into PS units. They are equal for the ideal trim without in-situ calibration.
  std::vector<circuit::AffineMap> maps_, decode_maps_;
  // [(subarray · conversions + conversion) · N + n]: the PS from low to high lie inside the
  // decoder map's range (|x| <= 1), the readout slopes' range model (empty low > high: none).
  std::vector<std::int32_t> slope_ps_low_, slope_ps_high_;
  bool column_maps_ = false;
  // Conversions per (subarray, output): input streams · column groups.
  int conversions() const { return config_.input_streams() * static_cast<int>(groups_.size()); }
  // Conversions that have maps of their own: all of them when calibrated, else 1 (the full-scale
  // map is the same for every conversion, and its threshold tables are built once).
  int map_conversions_ = 1;
  int map_of(int subarray, int conversion, int n) const {
    const int sc = subarray * map_conversions_ + (map_conversions_ == 1 ? 0 : conversion);
    return column_maps_ ? sc * n_pad_ + n : sc;
  }
  std::shared_ptr<const circuit::SwitchingCurve> curve_;
  // Per distinct T: the decoded value (PS units) of K switched samples per map, and, when the
  // PS range is small enough, binomial thresholds per map for every integer PS value (the
  // noise-free path; otherwise word records or P per PS). Exact PS draw K from one 32-bit word
  // by inverse CDF (circuit::binomial_thresholds), from tables, records or P alike; analog PS
  // draw T Bernoulli words (docs/architecture.md, 3.6).
  struct MtjTable {
    int samples = 0;
    std::vector<float> decoded;             // [map · (T + 1) + K]
    std::vector<std::uint32_t> thresholds;  // [(map · levels + ps − ps_min) · T + k]; may be empty
    std::vector<std::uint8_t> buckets;      // [(map · levels + ps − ps_min) · 256 + top 8 bits]
    std::vector<float> slope;               // dE[x̂]/dx at kSlopePoints x from −1 to 1
    // Word records, when the threshold table would be too large (a map per column and
    // conversion) and the records fit kMaxWordLimitBytes; empty otherwise. The map clamps x to
    // [−1, 1], so every PS below some `lo` has the thresholds of PS = −FS and every PS above some
    // `hi` those of PS = +FS. A map's record is [decoded, below, lo .. hi, above] in entries of
    // `record_stride` = ⌈T/4⌉ words; the entry of PS is clamp(PS + shift, low, high), from three
    // per-map arrays read side by side (no load waits for another but the entry's). An entry
    // holds the top 15 bits of the T thresholds (four per word, threshold j in bits 16·(j mod 4)),
    // which decide K unless a word's top 15 bits equal one of them; then the full threshold, at
    // record_thresholds[entry · T + j], decides (probability about T · 2^−15 per PS). `decoded`
    // is the map's T + 1 decoded values (floats), in record_decoded entries ahead of `low`: a
    // few dozen values where 2·FS + 1 would not fit in the cache, read together. The unsigned and
    // signed readout of a map share a record when their analog and decoder maps are the same.
    std::vector<std::int32_t> record_shift;              // [map]
    std::vector<std::uint32_t> record_low, record_high;  // [map]
    std::vector<std::uint64_t> records;                  // [entry · record_stride + j / 4]
    std::vector<std::uint32_t> record_thresholds;        // [entry · T + j]
    int record_stride = 1, record_decoded = 0;
    std::size_t record_entry(int map, std::int32_t ps) const {
      const auto m = static_cast<std::size_t>(map);
      return static_cast<std::size_t>(std::min(std::max(ps + record_shift[m], static_cast<std::int32_t>(record_low[m])),
                                               static_cast<std::int32_t>(record_high[m])));
    }
    // The decoded value of K switched samples of map `map`, from its record.
    float record_value(int map, int k) const {
      float v;
      std::memcpy(&v,
                  reinterpret_cast<const unsigned char*>(
                      records.data() + static_cast<std::size_t>(record_low[static_cast<std::size_t>(map)] -
                                                                static_cast<std::uint32_t>(record_decoded)) *
                                           static_cast<std::size_t>(record_stride)) +
                      sizeof(float) * static_cast<std::size_t>(k),
                  sizeof(float));
      return v;
    }
    // K of one word w against the entry's thresholds: the number of thresholds <= w. The top 15
    // bits decide unless they tie with a threshold's; then the full thresholds, a cold array
    // read only then, decide (they agree with the top bits wherever those do not tie). Four
    // fields per word at once (SWAR): lane j of (0x8000 | top) − field_j keeps its bit 15 exactly
    // when top >= field_j, and equals 0x8000 exactly on a tie. kSamples: T when known at compile
    // time, else 0.
    template <int kSamples = 0>
    int record_k(std::size_t entry, std::uint32_t w) const {
      constexpr std::uint64_t kHigh = 0x8000800080008000u, kOnes = 0x0001000100010001u;
      const int t = kSamples > 0 ? kSamples : samples;
      const std::uint64_t* e = records.data() + entry * static_cast<std::size_t>(record_stride);
      const std::uint64_t top = static_cast<std::uint64_t>(w >> 17) * kOnes;
      std::uint64_t ge = 0, tied = 0;
      for (int i = 0; i * 4 < t; ++i) {
        const int lanes = std::min(4, t - 4 * i);
        const std::uint64_t used = lanes == 4 ? ~std::uint64_t{0} : (std::uint64_t{1} << (16 * lanes)) - 1;
        const std::uint64_t x = (top | kHigh) - e[i];
        const std::uint64_t y = x ^ kHigh;  // a lane is 0 exactly on a tie
        ge += ((x & kHigh & used) >> 15) * kOnes >> 48;
        tied |= (y - kOnes) & ~y & kHigh & used;  // nonzero exactly when some used lane of y is 0
      }
      if (tied != 0) [[unlikely]]
        return circuit::binomial_from_word(
            {record_thresholds.data() + entry * static_cast<std::size_t>(t), static_cast<std::size_t>(t)}, w);
      return static_cast<int>(ge);
    }
  };
  static constexpr int kSlopePoints = 1025;
  std::vector<MtjTable> mtj_tables_;
  // Caps of the readout's tables (kMaxThresholdTableBytes, kMaxWordLimitBytes unless set).
  std::size_t threshold_table_cap_ = kMaxThresholdTableBytes, word_record_cap_ = kMaxWordLimitBytes;
  std::vector<int> table_index_;  // [input stream][group] -> mtj_tables_ index
};

}  // namespace cimmc::arch
