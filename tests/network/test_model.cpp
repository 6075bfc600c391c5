// Architecture specs, the zoo, model and checkpoint files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>

#include "cimmc/core/error.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "grad_check.hpp"

namespace fs = std::filesystem;
using namespace cimmc::network;

namespace {
fs::path temp_path(const std::string& name) { return fs::temp_directory_path() / ("cimmc_test_network_" + name); }

// The message of the `Error` that `call` throws; a test failure naming `what` if it throws none.
// Another exception type propagates and fails the test as well.
template <typename Error, typename Call>
std::string error_message(Call&& call, const std::string& what) {
  try {
    std::forward<Call>(call)();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error for " << what;
  return "";
}

// A small MLP and its Adam optimizer after one step (every gradient 0.5), so that a checkpoint
// holds optimizer state. Not copied or moved: params point into the model.
struct AdamSteppedMlp {
  TrainConfig config = [] {
    TrainConfig c;
    c.optimizer = "adam";
    return c;
  }();
  Model model = Model::from_spec(zoo_spec("mlp", {1, 4, 4}, 3));
  Optimizer optimizer{config};
  std::vector<std::pair<std::string, Parameter*>> params;

  AdamSteppedMlp() {
    initialize_weights(model, 1);
    params = model.parameters();
    for (auto& [n, p] : params) {
      p->grad.resize(p->value.shape);
      std::fill(p->grad.data.begin(), p->grad.data.end(), 0.5f);
    }
    optimizer.step(params, 0.01);
  }
  AdamSteppedMlp(const AdamSteppedMlp&) = delete;
  AdamSteppedMlp& operator=(const AdamSteppedMlp&) = delete;
};
}  // namespace

TEST(Zoo, EveryModelBuildsForBothInputShapesWithTheRightOutput) {
  for (const auto& name : zoo_names())
    for (const Shape& in : {Shape{1, 28, 28}, Shape{3, 32, 32}}) {
      Model m = Model::from_spec(zoo_spec(name, in, 10));
      EXPECT_EQ(m.input_shape(), in) << name;
      EXPECT_EQ(m.classes(), 10) << name;
      initialize_weights(m, 1);
      Tensor x({2, in[0], in[1], in[2]});
      nwtest::fill_normal(x, 3, 4);
      const Tensor& y = m.forward(x, {});
      EXPECT_EQ(y.shape, (Shape{2, 10})) << name;
    }
}

TEST(Zoo, LayerCountsMatchTheirNames) {
  auto count = [](const Model& m, const std::string& kind) {
    int n = 0;
    for (const auto& node : m.nodes()) n += node.kind == kind;
    return n;
  };
  const Model vgg = Model::from_spec(zoo_spec("vgg_small", {3, 32, 32}, 10));
  EXPECT_EQ(count(vgg, "conv2d"), 6);
  EXPECT_EQ(count(vgg, "linear"), 2);
  const Model resnet = Model::from_spec(zoo_spec("resnet20", {3, 32, 32}, 10));
  EXPECT_EQ(count(resnet, "conv2d"), 19 + 2);  // 19 3×3 convolutions + 2 projection shortcuts
  EXPECT_EQ(count(resnet, "linear"), 1);
  EXPECT_EQ(count(resnet, "add"), 9);
  const Model lenet = Model::from_spec(zoo_spec("lenet5", {1, 28, 28}, 10));
  EXPECT_EQ(count(lenet, "conv2d"), 2);
  EXPECT_EQ(count(lenet, "linear"), 3);
  EXPECT_THROW(zoo_spec("alexnet", {1, 28, 28}, 10), cimmc::core::ArgumentError);
}

TEST(Model, SpecRoundTripsAndCloneCopiesWeights) {
  Model m = Model::from_spec(zoo_spec("resnet20", {3, 32, 32}, 10, {0.5}));
  initialize_weights(m, 5);
  const std::string spec = m.spec();
  EXPECT_EQ(Model::from_spec(spec).spec(), spec);
  Model c = m.clone();
  auto a = m.parameters(), b = c.parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].second->value.data, b[i].second->value.data);
}

TEST(Model, SpecErrorsAreSpecific) {
  auto message = [](const std::string& spec) {
    try {
      Model::from_spec(spec, "net.txt");
    } catch (const cimmc::core::ModelError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("input input - channels=1\nfc linear nowhere out=2\n").find("'nowhere' is not defined"),
            std::string::npos);
  EXPECT_NE(message("input input - channels=1\nfc linear input out=2 colour=red\n").find("unknown attribute 'colour'"),
            std::string::npos);
  EXPECT_NE(message("input input - channels=1\nfc dense input out=2\n").find("unknown kind 'dense'"),
            std::string::npos);
  EXPECT_NE(message("input input - channels=1\nfc linear input out=x\n").find("net.txt, line 2"), std::string::npos);
  EXPECT_NE(message("conv conv2d input out=2 kernel=3\n").find("first node"), std::string::npos);
}

TEST(ModelFile, RoundTripsWeightsBuffersQuantizationAndHistory) {
  Model m = Model::from_spec(zoo_spec("lenet5", {1, 28, 28}, 10));
  initialize_weights(m, 3);
  for (auto& [name, t] : m.buffers()) nwtest::fill_normal(*t, 4, t->size());
  ModelRecord r;
  r.zoo_name = "lenet5";
  r.dataset = "fashion-mnist";
  r.config = "[train]\nepochs = 1\n";
  r.seed = 0xFFFF'FFFF'FFFF'FFF0ull;
  r.training.history.push_back({1, 0.1, 0.5, 0.8, 0.4, 0.85, 3.5});
  r.training.epochs_done = 1;
  const auto path = temp_path("model.h5");
  save_model(path, m, r);
  ModelRecord back;
  Model l = load_model(path, &back);
  EXPECT_EQ(l.spec(), m.spec());
  auto a = m.parameters(), b = l.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].second->value.data, b[i].second->value.data);
  auto ab = m.buffers(), bb = l.buffers();
  for (std::size_t i = 0; i < ab.size(); ++i) EXPECT_EQ(ab[i].second->data, bb[i].second->data);
  EXPECT_FALSE(l.quantized());
  EXPECT_EQ(back.zoo_name, "lenet5");
  EXPECT_EQ(back.seed, r.seed);
  ASSERT_EQ(back.training.history.size(), 1u);
  EXPECT_DOUBLE_EQ(back.training.history[0].test_accuracy, 0.85);

  for (GemmLayer* g : m.gemm_layers()) g->quant() = {true, 4, 4, 0.125f};
  save_model(path, m, r);
  Model q = load_model(path);
  ASSERT_TRUE(q.quantized());
  EXPECT_EQ(q.gemm_layers()[1]->quant().weight_bits, 4);
  EXPECT_FLOAT_EQ(q.gemm_layers()[1]->quant().activation_scale, 0.125f);
  fs::remove(path);
}

TEST(ModelFile, RejectsOtherFilesWithPreciseErrors) {
  const auto text = temp_path("not_hdf5.h5");
  std::ofstream(text) << "hello\n";
  EXPECT_THROW(load_model(text), cimmc::core::FormatError);
  EXPECT_THROW(load_model(temp_path("missing.h5")), cimmc::core::IoError);
  const auto other = temp_path("other_kind.h5");
  {
    cimmc::core::h5::AtomicFile out(other);
    cimmc::core::h5::write_provenance(out.file(), "cimmc.test", {1, 0}, 0, "");
    out.commit();
  }
  EXPECT_THROW(load_model(other), cimmc::core::FormatError);
  fs::remove(text);
  fs::remove(other);
}

// Found by tests/fuzz/fuzz_model (corpus/model/regression_history_*): training history datasets of
// unequal lengths were read past the end of the shorter ones.
TEST(ModelFile, TrainingHistoryOfUnequalLengthsIsRefused) {
  Model m = Model::from_spec(zoo_spec("mlp", {1, 4, 4}, 3));
  initialize_weights(m, 1);
  ModelRecord r;
  r.training.history.push_back({1, 0.1, 2.0, 0.5, 2.1, 0.4, 1.0});
  r.training.history.push_back({2, 0.1, 1.0, 0.6, 1.1, 0.5, 1.0});
  const auto path = temp_path("bad_history.h5");
  for (std::size_t size : {0, 1, 3}) {
    save_model(path, m, r);
    {
      auto f = cimmc::core::h5::File::open(path, cimmc::core::h5::File::Mode::kReadWrite);
      H5Ldelete(f.id(), "training/learning_rate", H5P_DEFAULT);
      f.write_1d<double>("training/learning_rate", std::vector<double>(size, 0.1), "1", "epoch");
    }
    ModelRecord r2;
    const std::string message = error_message<cimmc::core::FormatError>([&] { load_model(path, &r2); },
                                                                        std::to_string(size) + " learning rates");
    EXPECT_NE(message.find("the history datasets hold 2 and " + std::to_string(size) + " epochs"), std::string::npos)
        << message;
  }
  fs::remove(path);
}

// Found by tests/fuzz/fuzz_checkpoint (corpus/checkpoint/regression_adam_state_short): optimizer
// state shorter than its parameter was accepted and the next Adam step wrote past its end.
TEST(Checkpoint, OptimizerStateThatDoesNotFitItsParameterIsRefused) {
  AdamSteppedMlp s;
  Model& m = s.model;
  Optimizer& opt = s.optimizer;
  const TrainConfig& c = s.config;
  auto& params = s.params;
  const std::string first = params.front().first;
  const auto path = temp_path("ckpt_bad_state.h5");
  const auto edit = [&](const std::string& slot, std::size_t size) {
    save_checkpoint(path, m, ModelRecord{}, opt);
    auto f = cimmc::core::h5::File::open(path, cimmc::core::h5::File::Mode::kReadWrite);
    const std::string name = "optimizer/state/" + first + "/" + slot;
    H5Ldelete(f.id(), name.c_str(), H5P_DEFAULT);
    if (size > 0) f.write_1d<float>(name, std::vector<float>(size, 0.1f), "1");
  };
  for (const auto& [slot, size] : std::vector<std::pair<std::string, std::size_t>>{{"v", 1}, {"m", 3}, {"v", 0}}) {
    edit(slot, size);
    Optimizer opt2(c);
    ModelRecord r2;
    const std::string message = error_message<cimmc::core::FormatError>([&] { load_checkpoint(path, r2, opt2); },
                                                                        slot + " of size " + std::to_string(size));
    EXPECT_NE(message.find(first), std::string::npos) << message;
  }
  fs::remove(path);
}

// A NaN or an infinity in a model's weights, biases or batch-norm statistics would spread through
// every later layer: loading refuses it, naming the dataset.
TEST(ModelFile, NonFiniteValuesAreRefused) {
  Model m = Model::from_spec(zoo_spec("lenet5", {1, 28, 28}, 10));
  initialize_weights(m, 1);
  const auto path = temp_path("nonfinite.h5");
  // The first and last parameters, a batch-norm shift and a running variance.
  std::vector<std::string> names{m.parameters().front().first, m.parameters().back().first};
  for (const auto& [name, p] : m.parameters())
    if (name.ends_with("/beta")) names.push_back(name);
  for (const auto& [name, t] : m.buffers())
    if (name.ends_with("/running_var")) names.push_back(name);
  ASSERT_GE(names.size(), 4u);
  for (const std::string& name : names) {
    for (const float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
      Model copy = m.clone();
      Tensor* target = nullptr;
      for (auto& [n, p] : copy.parameters())
        if (n == name) target = &p->value;
      for (auto& [n, t] : copy.buffers())
        if (n == name) target = t;
      ASSERT_NE(target, nullptr) << name;
      target->data[target->size() / 2] = bad;
      save_model(path, copy, ModelRecord{});
      const std::string message =
          error_message<cimmc::core::ModelError>([&] { load_model(path); }, name + " = " + std::to_string(bad));
      EXPECT_NE(message.find("/weights/" + name + " holds"), std::string::npos) << message;
      EXPECT_NE(message.find("expected finite values"), std::string::npos) << message;
    }
  }
  save_model(path, m, ModelRecord{});
  EXPECT_NO_THROW(load_model(path));
  fs::remove(path);
}

TEST(Checkpoint, NonFiniteOptimizerStateIsRefused) {
  AdamSteppedMlp s;
  Model& m = s.model;
  Optimizer& opt = s.optimizer;
  const TrainConfig& c = s.config;
  auto& params = s.params;
  const std::string first = params.front().first;
  const std::size_t size = params.front().second->value.size();
  const auto path = temp_path("ckpt_nonfinite.h5");
  for (const char* slot : {"m", "v"}) {
    save_checkpoint(path, m, ModelRecord{}, opt);
    {
      auto f = cimmc::core::h5::File::open(path, cimmc::core::h5::File::Mode::kReadWrite);
      const std::string name = "optimizer/state/" + first + "/" + slot;
      H5Ldelete(f.id(), name.c_str(), H5P_DEFAULT);
      std::vector<float> values(size, 0.1f);
      values.back() = std::nanf("");
      f.write_1d<float>(name, values, "1");
    }
    Optimizer opt2(c);
    ModelRecord r2;
    const std::string message = error_message<cimmc::core::FormatError>([&] { load_checkpoint(path, r2, opt2); },
                                                                        std::string("NaN in ") + slot);
    EXPECT_NE(message.find("optimizer/state/" + first + "/" + slot + " holds nan"), std::string::npos) << message;
  }
  fs::remove(path);
}

TEST(Checkpoint, RestoresOptimizerState) {
  AdamSteppedMlp s;
  Model& m = s.model;
  Optimizer& opt = s.optimizer;
  const TrainConfig& c = s.config;
  ModelRecord r;
  r.training.epochs_done = 3;
  const auto path = temp_path("ckpt.h5");
  save_checkpoint(path, m, r, opt);
  Optimizer opt2(c);
  ModelRecord r2;
  Model m2 = load_checkpoint(path, r2, opt2);
  EXPECT_EQ(r2.training.epochs_done, 3);
  EXPECT_EQ(opt2.steps(), 1u);
  EXPECT_EQ(opt2.state(), opt.state());
  fs::remove(path);
}
