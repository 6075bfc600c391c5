// The stochastic MTJ readout of one (input stream, column group, subarray) block
// (docs/architecture.md, 3.6): the number of switched samples of each output's converter from
// threshold tables, word limits or the switching probability of the analog value, decoded.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "cimmc/arch/crossbar_layer.hpp"
#include "crossbar_scratch.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

int CrossbarLayer::mtj_block(int q, int gi, int s, bool exact_analog, bool idle, const std::int32_t* pos,
                             const std::int32_t* neg, const float* vpos, const float* vneg, float* value, Scratch& sc,
                             Counters& counters) const {
  const auto& r = config_.readout;
  const int groups = static_cast<int>(groups_.size()), nn = n_;
  const ColumnGroup& g = groups_[static_cast<std::size_t>(gi)];
  const int t = samples_[static_cast<std::size_t>(q * groups + gi)];
  const int sign = g.signed_readout ? 1 : 0;
  // Map of output n: (subarray, or subarray and output) · 2 + signed readout.
  const int map_base = map_of(s, q * groups + gi, 0) * 2 + sign, map_step = column_maps_ ? 2 : 0;
  const auto& table = mtj_tables_[static_cast<std::size_t>(table_index_[static_cast<std::size_t>(q * groups + gi)])];
  std::int32_t* k = sc.successes.data();
  std::int32_t* index = sc.index.data();  // map of each output
  for (int n = 0; n < nn; ++n) index[n] = map_base + n * map_step;
  bool decoded_here = false;  // value[] already holds the decoded K
  if (exact_analog && !table.thresholds.empty()) {
    const int ifs = static_cast<int>(full_scale()), levels = 2 * ifs + 1;
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn));
    if (t < circuit::kBinomialAmbiguous) {
      // The word's top byte usually decides K alone; count thresholds only when it does not.
      for (int n = 0; n < nn; ++n) {
        const std::size_t row =
            static_cast<std::size_t>(index[n]) * levels + static_cast<std::size_t>(pos[n] - neg[n] + ifs);
        int kk = table.buckets[row * 256 + (word[n] >> 24)];
        if (kk == circuit::kBinomialAmbiguous) {
          const std::uint32_t* thr = table.thresholds.data() + row * t;
          kk = 0;
          for (int j = 0; j < t; ++j) kk += word[n] >= thr[j] ? 1 : 0;
        }
        k[n] = kk;
      }
    } else {
      for (int n = 0; n < nn; ++n) {
        const std::uint32_t* thr =
            table.thresholds.data() +
            (static_cast<std::size_t>(index[n]) * levels + static_cast<std::size_t>(pos[n] - neg[n] + ifs)) * t;
        int kk = 0;
        for (int j = 0; j < t; ++j) kk += word[n] >= thr[j] ? 1 : 0;
        k[n] = kk;
      }
    }
  } else if (exact_analog && !mtj_word_limits_.empty()) {
    // T Bernoulli draws per PS against the tabulated limit of its map and PS. A PS that a sparse
    // readout with ideal detection skips (no bit-product) reads output 0's map instead, which is
    // in the cache: its value becomes an exact 0 below whatever K it gets.
    // One pass per output: limit, K and the decoded value (T = 4, the usual count, unrolled).
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn) * t);
    const bool skip_zero = r.mtj.sparse && r.mtj.ideal_zero_detection;
    const float* decoded = table.decoded.data();
    const bool in_record = mtj_limit_decoded_ > 0;  // the decoded values sit in the map's record
    const auto read = [&](auto samples) {
      const int tt = samples > 0 ? static_cast<int>(samples) : t;
      for (int n = 0; n < nn; ++n) {
        const int map = skip_zero && (pos[n] | neg[n]) == 0 ? map_base : map_base + n * map_step;
        const std::uint64_t* record = mtj_limit_record(map);
        const std::uint64_t limit = mtj_record_limit(record, pos[n] - neg[n]);
        const std::uint32_t* w = word + static_cast<std::ptrdiff_t>(n) * tt;
        int kk = 0;
        for (int j = 0; j < tt; ++j) kk += w[j] < limit ? 1 : 0;
        if (in_record) {
          std::memcpy(&value[n],
                      reinterpret_cast<const unsigned char*>(record + 1) + sizeof(float) * static_cast<std::size_t>(kk),
                      sizeof(float));
        } else {
          value[n] =
              decoded[static_cast<std::size_t>(map) * static_cast<std::size_t>(tt + 1) + static_cast<std::size_t>(kk)];
        }
      }
    };
    if (t == 4) read(std::integral_constant<int, 4>{});
    else read(std::integral_constant<int, 0>{});
    decoded_here = true;
  } else {
    // P per PS (analog values, or a PS range too wide for tables); T Bernoulli draws.
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn) * t);
    for (int n = 0; n < nn; ++n) {
      const double x = maps_[static_cast<std::size_t>(index[n])].x_of(static_cast<double>(vpos[n] - vneg[n]));
      const std::uint64_t limit = circuit::mtj_word_limit(map_probability(static_cast<std::size_t>(index[n]), x));
      int kk = 0;
      for (int j = 0; j < t; ++j) kk += word[n * t + j] < limit ? 1 : 0;
      k[n] = kk;
    }
  }
  if (!decoded_here)
    for (int n = 0; n < nn; ++n) value[n] = table.decoded[static_cast<std::size_t>(index[n]) * (t + 1) + k[n]];
  for (int n = nn; n < n_pad_; ++n) value[n] = 0.0f;
  int skipped = 0;
  if (r.mtj.sparse)  // known zero: not sampled, an exact 0 (its words stay drawn: fixed streams)
    for (int n = 0; n < nn; ++n) {
      const bool zero = mtj_skips(idle, s, gi, n, pos[n], neg[n]);
      skipped += zero ? 1 : 0;
      value[n] = zero ? 0.0f : value[n];
    }
  const auto read = static_cast<std::uint64_t>(nn - skipped);
  counters.mtj_reads += read;
  counters.mtj_samples += read * static_cast<std::uint64_t>(t);
  counters.mtj_skipped += static_cast<std::uint64_t>(skipped);
  return skipped;
}

}  // namespace cimmc::arch
