// The crossbar backend against the exact integer backend on quantized zoo models: bit for bit
// with the Ideal readout (and with an ADC that has a level for every PS value), independent of
// the batch size and thread count with noise, and with the configured layers kept digital.
#include <gtest/gtest.h>
#include <omp.h>

#include <random>

#include "cimmc/network/crossbar_backend.hpp"
#include "cimmc/network/model.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "crossbar_test_util.hpp"

using namespace cimmc;
using namespace cimmc::network;

namespace {
Dataset random_images(int n, int c, int h, int w, std::uint32_t seed) {
  Dataset d;
  d.name = "random";
  d.channels = c;
  d.height = h;
  d.width = w;
  d.classes = 10;
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pixel(0, 255), label(0, 9);
  d.pixels.resize(static_cast<std::size_t>(n) * c * h * w);
  for (auto& p : d.pixels) p = static_cast<std::uint8_t>(pixel(gen));
  for (int i = 0; i < n; ++i) d.labels.push_back(label(gen));
  return d;
}

Model quantized_zoo(const std::string& name, const Dataset& data, int bits) {
  Model m = Model::from_spec(zoo_spec(name, data.image_shape(), 10), name);
  initialize_weights(m, 3);
  QuantOptions q;
  q.weight_bits = bits;
  q.activation_bits = bits;
  q.calibration_images = 16;
  return quantize_model(m, data, q);
}

Tensor logits(Model& model, const Dataset& data, GemmBackend* backend, int first, int count) {
  RunContext ctx;
  ctx.mode = ExecMode::kInteger;
  ctx.backend = backend;
  return xbtest::logits_of(model, data, ctx, first, count);
}

arch::CrossbarConfig hw(circuit::ReadoutKind kind, int bits) { return xbtest::crossbar_hw(kind, bits, 64); }
}  // namespace

TEST(CrossbarBackend, IdealMatchesTheIntegerExecutorBitForBit) {
  const auto data = random_images(24, 1, 28, 28, 1);
  for (const std::string name : {"lenet5", "vgg_small"}) {
    SCOPED_TRACE(name);
    Model model = quantized_zoo(name, data, 8);
    const Tensor exact = logits(model, data, nullptr, 0, 8);
    CrossbarBackend ideal(hw(circuit::ReadoutKind::kIdeal, 8), static_cast<int>(model.gemm_layers().size()), 1);
    const Tensor crossbar = logits(model, data, &ideal, 0, 8);
    ASSERT_EQ(exact.data.size(), crossbar.data.size());
    for (std::size_t i = 0; i < exact.data.size(); ++i) ASSERT_EQ(exact.data[i], crossbar.data[i]) << i;
    // Every layer ran on crossbars and was counted.
    const auto reports = ideal.reports();
    ASSERT_EQ(reports.size(), model.gemm_layers().size());
    for (const auto& r : reports) {
      EXPECT_FALSE(r.digital);
      EXPECT_EQ(r.counters.ideal_reads, r.counters.partial_sums);
      EXPECT_GT(r.counters.partial_sums, 0u);
    }
  }
}

TEST(CrossbarBackend, AdcWithALevelPerPsValueIsExact) {
  // R = 64 rows of 1-bit cells: PS in 0..64 needs 7 bits.
  const auto data = random_images(8, 1, 28, 28, 2);
  Model model = quantized_zoo("lenet5", data, 8);
  auto c = hw(circuit::ReadoutKind::kAdc, 8);
  c.readout.adc.bits = 7;
  CrossbarBackend adc(c, static_cast<int>(model.gemm_layers().size()), 1);
  const Tensor exact = logits(model, data, nullptr, 0, 8);
  const Tensor crossbar = logits(model, data, &adc, 0, 8);
  for (std::size_t i = 0; i < exact.data.size(); ++i) ASSERT_EQ(exact.data[i], crossbar.data[i]) << i;
}

TEST(CrossbarBackend, NoisyResultsDoNotDependOnBatchingOrThreads) {
  const auto data = random_images(8, 1, 28, 28, 3);
  Model model = quantized_zoo("lenet5", data, 8);
  auto c = hw(circuit::ReadoutKind::kAdc, 8);
  c.readout.adc.bits = 5;
  c.noise = circuit::NoiseParams::relative_full_scale(0.02);
  const int layers = static_cast<int>(model.gemm_layers().size());
  CrossbarBackend whole(c, layers, 9);
  const Tensor all = logits(model, data, &whole, 0, 8);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  CrossbarBackend split(c, layers, 9);
  const Tensor first = logits(model, data, &split, 0, 3);
  const Tensor rest = logits(model, data, &split, 3, 5);
  omp_set_num_threads(saved);
  const std::size_t per = all.data.size() / 8;
  for (std::size_t i = 0; i < 3 * per; ++i) ASSERT_EQ(all.data[i], first.data[i]) << i;
  for (std::size_t i = 0; i < 5 * per; ++i) ASSERT_EQ(all.data[3 * per + i], rest.data[i]) << i;
  // The noise does change the result.
  const Tensor exact = logits(model, data, nullptr, 0, 8);
  bool differs = false;
  for (std::size_t i = 0; i < exact.data.size(); ++i) differs |= exact.data[i] != all.data[i];
  EXPECT_TRUE(differs);
}

TEST(CrossbarBackend, DigitalLayersAndCalibration) {
  const auto data = random_images(16, 1, 28, 28, 4);
  Model model = quantized_zoo("lenet5", data, 4);
  auto c = hw(circuit::ReadoutKind::kStochasticMtj, 4);
  c.gemms.digital_first = true;
  c.gemms.digital_last = true;
  const int layers = static_cast<int>(model.gemm_layers().size());
  CrossbarBackend mtj(c, layers, 5);
  EXPECT_TRUE(mtj.needs_calibration());
  mtj.begin_calibration();
  const Tensor calibrated_exact = logits(model, data, &mtj, 8, 8);
  mtj.end_calibration();
  const Tensor exact = logits(model, data, nullptr, 8, 8);
  for (std::size_t i = 0; i < exact.data.size(); ++i) ASSERT_EQ(exact.data[i], calibrated_exact.data[i]);
  logits(model, data, &mtj, 0, 8);
  const auto reports = mtj.reports();
  ASSERT_EQ(static_cast<int>(reports.size()), layers);
  EXPECT_TRUE(reports.front().digital);
  EXPECT_TRUE(reports.back().digital);
  EXPECT_EQ(reports.front().counters.partial_sums, 0u);
  EXPECT_GT(reports.front().counters.macs, 0u);
  for (int i = 1; i + 1 < layers; ++i) {
    EXPECT_FALSE(reports[static_cast<std::size_t>(i)].digital);
    EXPECT_EQ(reports[static_cast<std::size_t>(i)].counters.mtj_reads,
              reports[static_cast<std::size_t>(i)].counters.partial_sums);
  }
}

TEST(CrossbarBackend, TooFewHardwareBitsIsAModelError) {
  const auto data = random_images(8, 1, 28, 28, 5);
  Model model = quantized_zoo("lenet5", data, 8);
  CrossbarBackend narrow(hw(circuit::ReadoutKind::kIdeal, 4), static_cast<int>(model.gemm_layers().size()), 1);
  EXPECT_THROW(logits(model, data, &narrow, 0, 2), cimmc::core::ModelError);
}
