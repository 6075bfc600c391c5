// Training end to end on a small synthetic task: the loss falls, resuming from a checkpoint
// gives the same weights as an uninterrupted run, and results do not depend on the thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <filesystem>

#include "cimmc/core/rng.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"

namespace fs = std::filesystem;
using namespace cimmc::network;

namespace {
// Four classes: a bright square in one of the four quadrants of a noisy 1×12×12 image.
Dataset quadrants(int n, std::uint64_t seed) {
  Dataset d;
  d.channels = 1, d.height = 12, d.width = 12, d.classes = 4;
  cimmc::core::rng::Stream s(seed, {cimmc::core::rng::Purpose::kTest, 0, 0, 1});
  for (int i = 0; i < n; ++i) {
    const int label = static_cast<int>(s() % 4);
    d.labels.push_back(label);
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) {
        const bool on = (y / 6) * 2 + (x / 6) == label && (y % 6) > 0 && (x % 6) > 0 && (y % 6) < 5 && (x % 6) < 5;
        d.pixels.push_back(static_cast<std::uint8_t>(std::min(255u, (on ? 150u : 0u) + s() % 100)));
      }
  }
  return d;
}

Model fresh(const Dataset& d, const std::string& zoo = "vgg_small") {
  Model m = Model::from_spec(zoo_spec(zoo, d.image_shape(), d.classes, {0.25}));
  initialize_weights(m, 3);
  return m;
}

std::vector<float> all_weights(Model& m) {
  std::vector<float> w;
  for (auto& [n, p] : m.parameters()) w.insert(w.end(), p->value.data.begin(), p->value.data.end());
  return w;
}
}  // namespace

TEST(Training, LossFallsAndAccuracyRises) {
  const Dataset train_set = quadrants(512, 1), test_set = quadrants(200, 2);
  for (const std::string opt : {"sgd", "adam"}) {
    Model m = fresh(train_set);
    TrainConfig c;
    c.optimizer = opt;
    c.lr = opt == "sgd" ? 0.05 : 0.003;
    c.epochs = 3;
    c.batch = 32;
    c.augment.crop_padding = 1;  // (no flips: they would swap the left and right classes)
    TrainState state;
    Optimizer o(c);
    train(m, train_set, &test_set, c, state, o);
    ASSERT_EQ(state.history.size(), 3u);
    EXPECT_LT(state.history.back().train_loss, 0.5 * state.history.front().train_loss) << opt;
    EXPECT_GT(state.history.back().test_accuracy, 0.9) << opt;
  }
}

TEST(Training, QuantizationAwareTrainingImprovesFourBitAccuracy) {
  const Dataset train_set = quadrants(512, 3), test_set = quadrants(200, 4);
  Model m = fresh(train_set);
  TrainConfig c;
  c.epochs = 2;
  c.batch = 32;
  TrainState s;
  Optimizer o(c);
  train(m, train_set, nullptr, c, s, o);
  QuantOptions q;
  q.weight_bits = q.activation_bits = 4;
  Model qm = quantize_model(m, train_set, q);
  RunContext integer{false, ExecMode::kInteger};
  TrainConfig qc;
  qc.epochs = 1;
  qc.batch = 32;
  qc.lr = 0.01;
  qc.mode = ExecMode::kFakeQuant;
  TrainState qs;
  Optimizer qo(qc);
  train(qm, train_set, nullptr, qc, qs, qo);
  EXPECT_GT(evaluate(qm, test_set, integer).accuracy, 0.9);
  EXPECT_LT(qs.history.back().train_loss, 0.5);
}

TEST(Training, ResumeFromCheckpointEqualsUninterruptedRun) {
  const Dataset d = quadrants(128, 5);
  TrainConfig c;
  c.epochs = 2;
  c.batch = 16;
  c.augment = {1, true};
  Model full = fresh(d);
  TrainState fs_state;
  Optimizer fo(c);
  train(full, d, nullptr, c, fs_state, fo);

  Model part = fresh(d);
  TrainState ps;
  Optimizer po(c);
  const auto path = fs::temp_directory_path() / "cimmc_test_network_resume.h5";
  auto stop_after_first = [&](const TrainState& st, Optimizer& opt) {
    ModelRecord r;
    r.training = st;
    save_checkpoint(path, part, r, opt);
  };
  // Train one epoch only (interrupted by the callback after saving), then resume from the file.
  {
    struct Stop {};
    try {
      train(part, d, nullptr, c, ps, po, [&](const TrainState& st, Optimizer& opt) {
        stop_after_first(st, opt);
        throw Stop{};
      });
    } catch (const Stop&) {}
  }
  ModelRecord r;
  Optimizer ro(c);
  Model resumed = load_checkpoint(path, r, ro);
  ASSERT_EQ(r.training.epochs_done, 1);
  train(resumed, d, nullptr, c, r.training, ro);
  EXPECT_EQ(all_weights(resumed), all_weights(full));
  fs::remove(path);
}

TEST(Training, ResultsDoNotDependOnThreadCount) {
  const Dataset d = quadrants(96, 6);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    Model m = fresh(d, "resnet20");
    TrainConfig c;
    c.epochs = 1;
    c.batch = 24;
    TrainState s;
    Optimizer o(c);
    train(m, d, nullptr, c, s, o);
    results.push_back(all_weights(m));
  }
  omp_set_num_threads(2);
  EXPECT_EQ(results[0], results[1]);
}
