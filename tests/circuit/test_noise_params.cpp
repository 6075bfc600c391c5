// The [noise] table: the physical model by default, the relative_full_scale convention by name,
// and every misplaced or unknown key reported with its file, line and key.
#include <gtest/gtest.h>

#include <string>

#include "cimmc/circuit/noise_model.hpp"
#include "cimmc/core/error.hpp"
#include "config_test_util.hpp"

using namespace cimmc::circuit;

namespace {
// Reads [noise] from `text`; the problems, if any, in *error.
NoiseParams read(const std::string& text, std::string* error = nullptr) {
  return cimmc::circuit::config_test::read_table(text, "noise", read_noise_params, error);
}
}  // namespace

TEST(NoiseParams, PhysicalIsTheDefaultAndQuietWithoutNoise) {
  const NoiseParams none = read("");
  EXPECT_EQ(none.model, NoiseModel::kPhysical);
  EXPECT_FALSE(none.any());
  const NoiseParams p = read("[noise]\ncell_sigma_lsb = 0.1\nsense_sigma_lsb = 0.5\noffset_sigma_lsb = 0.25\n");
  EXPECT_TRUE(p.physical());
  EXPECT_DOUBLE_EQ(p.cell_sigma_lsb, 0.1);
  EXPECT_DOUBLE_EQ(p.sense_sigma_lsb, 0.5);
  EXPECT_DOUBLE_EQ(p.offset_sigma_lsb, 0.25);
  EXPECT_TRUE(p.has_additive());
  EXPECT_TRUE(p.has_offset());
  EXPECT_DOUBLE_EQ(p.sense_variance(100), 100 * 0.01 + 0.25);
  EXPECT_TRUE(p.problems().empty());
  EXPECT_TRUE(read("[noise]\noffset_sigma_lsb = 0.5\n").any());
  EXPECT_FALSE(read("[noise]\noffset_sigma_lsb = 0.5\n").has_additive());
}

TEST(NoiseParams, RelativeFullScaleByName) {
  const NoiseParams p = read(
      "[noise]\nmodel = \"relative_full_scale\"\nsigma_fraction = 0.01\nproportional_fraction = 0.02\n"
      "offset_fraction = 0.03\n");
  EXPECT_EQ(p.model, NoiseModel::kRelativeFullScale);
  EXPECT_DOUBLE_EQ(p.sigma_fraction, 0.01);
  EXPECT_DOUBLE_EQ(p.proportional_fraction, 0.02);
  EXPECT_DOUBLE_EQ(p.offset_fraction, 0.03);
  EXPECT_DOUBLE_EQ(p.sigma(0.0, 128.0), 1.28);
  EXPECT_TRUE(p.problems().empty());
  const NoiseParams q = NoiseParams::relative_full_scale(0.01, 0.0, 0.02);
  EXPECT_EQ(q.model, NoiseModel::kRelativeFullScale);
  EXPECT_TRUE(q.has_additive() && q.has_offset());
  EXPECT_EQ(noise_model_name(q.model), "relative_full_scale");
}

TEST(NoiseParams, KeysOfTheOtherModelAreErrorsNamingTheirLine) {
  std::string error;
  read("[noise]\ncell_sigma_lsb = 0.1\nsigma_fraction = 0.01\noffset_fraction = 0.02\nproportional_fraction = 0\n",
       &error);
  EXPECT_NE(error.find("hw.toml:3: key 'noise.sigma_fraction': applies only with model = \"relative_full_scale\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("hw.toml:4: key 'noise.offset_fraction': applies only with model = \"relative_full_scale\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("2 problems"), std::string::npos) << error;  // proportional_fraction = 0 is harmless
  error.clear();
  read("[noise]\nmodel = \"relative_full_scale\"\nsigma_fraction = 0.01\nsense_sigma_lsb = 1.0\ncell_sigma_lsb = 0\n",
       &error);
  EXPECT_NE(error.find("hw.toml:4: key 'noise.sense_sigma_lsb': applies only with model = \"physical\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("1 problem:"), std::string::npos) << error;
}

TEST(NoiseParams, BadValuesAndUnknownKeys) {
  std::string error;
  read("[noise]\nmodel = \"absolute\"\ncell_sigma_lsb = -1\nsigma_fraction = -0.5\ncell_sigma = 0.1\n", &error);
  EXPECT_NE(error.find("hw.toml:2: key 'noise.model': value \"absolute\" is out of range: expected \"physical\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("hw.toml:3: key 'noise.cell_sigma_lsb': value -1 is out of range"), std::string::npos) << error;
  EXPECT_NE(error.find("hw.toml:4: key 'noise.sigma_fraction': value -0.5 is out of range"), std::string::npos)
      << error;
  EXPECT_NE(error.find("hw.toml:5: key 'noise.cell_sigma': unknown key (did you mean 'cell_sigma_lsb'?)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("4 problems"), std::string::npos) << error;
}

TEST(NoiseParams, ParametersBuiltInCodeAreChecked) {
  NoiseParams p;
  p.sigma_fraction = 0.01;  // still the physical model
  p.sense_sigma_lsb = -1.0;
  const auto problems = p.problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].first, "noise.sense_sigma_lsb");
  EXPECT_NE(problems[0].second.find("out of range"), std::string::npos);
  EXPECT_EQ(problems[1].first, "noise.sigma_fraction");
  EXPECT_NE(problems[1].second.find("applies only with model = \"relative_full_scale\""), std::string::npos);
}

TEST(NoiseParams, FormerKeyNamesAreReadWithADeprecationWarning) {
  testing::internal::CaptureStderr();
  const NoiseParams p =
      read("[noise]\nmodel = \"relative_full_scale\"\nsigma = 0.01\nproportional = 0.02\nsense_offset = 0.03\n");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_DOUBLE_EQ(p.sigma_fraction, 0.01);
  EXPECT_DOUBLE_EQ(p.proportional_fraction, 0.02);
  EXPECT_DOUBLE_EQ(p.offset_fraction, 0.03);
  EXPECT_NE(err.find("hw.toml:3: key 'noise.sigma' is deprecated, use 'noise.sigma_fraction'"), std::string::npos)
      << err;
  EXPECT_NE(err.find("hw.toml:4: key 'noise.proportional' is deprecated, use 'noise.proportional_fraction'"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("hw.toml:5: key 'noise.sense_offset' is deprecated, use 'noise.offset_fraction'"),
            std::string::npos)
      << err;
  std::string error;
  read("[noise]\nmodel = \"relative_full_scale\"\nsigma = 0.01\nsigma_fraction = 0.02\n", &error);
  EXPECT_NE(error.find("hw.toml:3: key 'noise.sigma': the former name of 'noise.sigma_fraction', which is also given "
                       "(hw.toml:4: key 'noise.sigma_fraction')"),
            std::string::npos)
      << error;
}
