// The hardware file's storage cell ([cell]) in the engine: conductance deviations are drawn per
// layer and trial (reproducible, different between trials), an SRAM or exact cell changes
// nothing, and the [cell] table is read and checked against the crossbar's cell bits.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc;

namespace {
arch::CrossbarConfig read(const std::string& text) {
  cimmc::core::config::Document doc = cimmc::core::config::parse_string(text, "cell_test.toml");
  return arch::read_crossbar_config(doc);
}

const char* const kBase = "[crossbar]\nrows = 64\ninput_bits = 2\nweight_bits = 4\nbits_per_cell = 1\n";

std::vector<double> run(const arch::CrossbarConfig& config, std::uint32_t trial) {
  const int m = 8, n = 6, k = 100;
  std::mt19937 gen(3);
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k);
  for (auto& x : w) x = static_cast<std::int8_t>(static_cast<int>(gen() % 15) - 7);
  std::vector<std::uint8_t> a(static_cast<std::size_t>(m) * k);
  for (auto& x : a) x = static_cast<std::uint8_t>(gen() % 4);
  arch::CrossbarLayer layer(config, 2, w, n, k);
  layer.set_variation_address(17, 0, trial);
  std::vector<double> out(static_cast<std::size_t>(m) * n);
  arch::Counters counters;
  layer.run(a, m, {}, 1, out, counters);
  return out;
}
}  // namespace

TEST(CellModel, DeviationsAreDrawnPerTrialAndReproducible) {
  const auto exact = read(std::string(kBase));
  const auto rram = read(std::string(kBase) + "[cell]\ntechnology = \"rram\"\nlevels = 2\nprogramming_sigma = 0.1\n");
  EXPECT_FALSE(rram.cell.exact());
  const auto ideal = run(exact, 0);
  EXPECT_EQ(ideal, run(exact, 1));  // nothing to draw
  const auto t0 = run(rram, 0), t0_again = run(rram, 0), t1 = run(rram, 1);
  EXPECT_EQ(t0, t0_again);
  EXPECT_NE(t0, t1);
  EXPECT_NE(t0, ideal);
}

TEST(CellModel, LevelsMustMatchTheCellBits) {
  try {
    read(std::string(kBase) + "[cell]\ntechnology = \"rram\"\nlevels = 4\nprogramming_sigma = 0.1\n");
    FAIL() << "levels 4 with 1-bit cells was accepted";
  } catch (const cimmc::core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cell.levels"), std::string::npos) << e.what();
  }
  try {
    read(std::string(kBase) + "[cell]\ntechnology = \"rram\"\nlevelz = 2\n");
    FAIL() << "an unknown key was accepted";
  } catch (const cimmc::core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("levelz"), std::string::npos) << e.what();
  }
}
