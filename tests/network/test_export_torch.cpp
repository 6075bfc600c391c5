// python/tools/export_torch.py: its zoo specs equal the C++ zoo's, and a state dict it exports
// loads as a cimmc model. Skipped where /usr/bin/python3 lacks numpy or h5py.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cimmc/network/model_file.hpp"
#include "cimmc/network/zoo.hpp"

namespace fs = std::filesystem;
using namespace cimmc::network;

namespace {
const std::string kScript = std::string(CIMMC_SOURCE_DIR) + "/python/tools/export_torch.py";

std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, ""};
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  return {pclose(p), out};
}

bool python_ready() {
  return fs::exists("/usr/bin/python3") && run("/usr/bin/python3 -c 'import numpy, h5py'").first == 0;
}
}  // namespace

TEST(ExportTorch, SpecsEqualTheCppZoo) {
  if (!python_ready()) GTEST_SKIP() << "/usr/bin/python3 with numpy and h5py not available";
  struct Case {
    const char* input;
    Shape shape;
    double width;
  };
  for (const auto& name : zoo_names())
    for (const auto& [input, shape, width] : {Case{"1,28,28", {1, 28, 28}, 0.5}, Case{"3,32,32", {3, 32, 32}, 1.0}}) {
      std::string command = "/usr/bin/python3 " + kScript;
      command += " --print-spec --model " + name;
      command += " --input " + std::string(input);
      command += " --width " + std::to_string(width);
      const auto [rc, out] = run(command);
      ASSERT_EQ(rc, 0) << out;
      EXPECT_EQ(out, zoo_spec(name, shape, 10, {width})) << name << " " << input << " " << width;
    }
}

TEST(ExportTorch, ExportedStateDictLoads) {
  if (!python_ready()) GTEST_SKIP() << "/usr/bin/python3 with numpy and h5py not available";
  const auto path = fs::temp_directory_path() / "cimmc_test_network_export.h5";
  const std::string code = "import sys; sys.path.insert(0, '" + fs::path(kScript).parent_path().string() +
                           "'); import export_torch as e; s = e.random_state('vgg_small', (1, 28, 28), 10, 0.5, 3); "
                           "e.export(s, 'vgg_small', (1, 28, 28), 10, 0.5, '" +
                           path.string() +
                           "'); "
                           "print(float(s['layers.conv2d1.weight'][0, 0, 0, 0]))";
  const auto [rc, out] = run("/usr/bin/python3 -c \"" + code + "\"");
  ASSERT_EQ(rc, 0) << out;
  ModelRecord r;
  Model m = load_model(path, &r);
  EXPECT_EQ(r.zoo_name, "vgg_small");
  EXPECT_EQ(m.spec(), Model::from_spec(zoo_spec("vgg_small", {1, 28, 28}, 10, {0.5})).spec());
  EXPECT_NEAR(m.parameters()[0].second->value.data[0], std::stod(out), 1e-6);
  Tensor x({2, 1, 28, 28}, 0.5f);
  const Tensor& y = m.forward(x, {});
  for (float v : y.data) EXPECT_TRUE(std::isfinite(v));
  fs::remove(path);
}
