// Keys renamed between versions (core::config::TableReader::renamed): the former name is still
// read, with a warning naming file, line and both keys; both names in one file is a problem; an
// override under either name replaces the file's value under the other; a renamed table merges
// key by key with the new one.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "cimmc/core/config.hpp"

using namespace cimmc::core::config;

namespace {
// Reads [hardware] with 'gain_fraction', formerly 'gain'; returns the value and the problems.
std::pair<double, std::vector<std::string>> read_renamed(const Document& doc) {
  Problems problems;
  TableReader root(doc.root, doc.source, "", problems);
  TableReader hw = root.child("hardware");
  double gain = 0.0;
  hw.renamed("gain", "gain_fraction");
  hw.optional("gain_fraction", gain);
  hw.check(gain <= 1.0, "gain_fraction", "at most 1");
  hw.finish();
  root.finish();
  return {gain, problems.messages()};
}
}  // namespace

TEST(ConfigRenamed, FormerNameIsReadWithAWarningNamingFileLineAndBothKeys) {
  const auto doc = parse_string("[hardware]\n\ngain = 0.25\n", "renamed_a.toml");
  testing::internal::CaptureStderr();
  const auto [gain, problems] = read_renamed(doc);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_DOUBLE_EQ(gain, 0.25);
  EXPECT_TRUE(problems.empty());
  EXPECT_NE(err.find("warning: renamed_a.toml:3: key 'hardware.gain' is deprecated, use 'hardware.gain_fraction'"),
            std::string::npos)
      << err;
}

TEST(ConfigRenamed, ProblemsWithTheValueNameItsLine) {
  const auto doc = parse_string("[hardware]\ngain = 2.5\n", "renamed_b.toml");
  testing::internal::CaptureStderr();
  const auto [gain, problems] = read_renamed(doc);
  testing::internal::GetCapturedStderr();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("renamed_b.toml:2: key 'hardware.gain_fraction': value 2.5 is out of range"),
            std::string::npos)
      << problems[0];
}

TEST(ConfigRenamed, BothNamesInOneFileAreAProblem) {
  const auto doc = parse_string("[hardware]\ngain = 0.25\ngain_fraction = 0.5\n", "renamed_c.toml");
  testing::internal::CaptureStderr();
  const auto [gain, problems] = read_renamed(doc);
  testing::internal::GetCapturedStderr();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("renamed_c.toml:2: key 'hardware.gain': the former name of 'hardware.gain_fraction', "
                             "which is also given (renamed_c.toml:3: key 'hardware.gain_fraction')"),
            std::string::npos)
      << problems[0];
}

TEST(ConfigRenamed, AnOverrideUnderEitherNameReplacesTheFilesValue) {
  auto old_file = parse_string("[hardware]\ngain = 0.25\n", "renamed_d.toml");
  apply_override(old_file, "hardware.gain_fraction=0.5");
  testing::internal::CaptureStderr();
  const auto [gain_new, problems_new] = read_renamed(old_file);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_DOUBLE_EQ(gain_new, 0.5);
  EXPECT_TRUE(problems_new.empty());
  EXPECT_NE(err.find("renamed_d.toml:2: key 'hardware.gain' is deprecated"), std::string::npos) << err;

  auto new_file = parse_string("[hardware]\ngain_fraction = 0.25\n", "renamed_e.toml");
  apply_override(new_file, "hardware.gain=0.75");
  testing::internal::CaptureStderr();
  const auto [gain_old, problems_old] = read_renamed(new_file);
  err = testing::internal::GetCapturedStderr();
  EXPECT_DOUBLE_EQ(gain_old, 0.75);
  EXPECT_TRUE(problems_old.empty());
  EXPECT_NE(err.find("key 'hardware.gain' is deprecated, use 'hardware.gain_fraction'"), std::string::npos) << err;
}

TEST(ConfigRenamed, AbsentFormerNameChangesNothing) {
  const auto doc = parse_string("[hardware]\ngain_fraction = 0.125\n", "renamed_f.toml");
  testing::internal::CaptureStderr();
  const auto [gain, problems] = read_renamed(doc);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_DOUBLE_EQ(gain, 0.125);
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(err.empty()) << err;
}

namespace {
// Reads [gemms] (formerly [layers]) with keys first and last; returns them and the problems.
struct RenamedTable {
  bool first = false, last = false;
  std::vector<std::string> problems;
};
RenamedTable read_renamed_table(const Document& doc) {
  Problems problems;
  TableReader root(doc.root, doc.source, "", problems);
  root.renamed("layers", "gemms");
  TableReader gemms = root.child("gemms");
  RenamedTable r;
  gemms.optional("first", r.first);
  gemms.optional("last", r.last);
  gemms.finish();
  root.finish();
  r.problems = problems.messages();
  return r;
}
}  // namespace

TEST(ConfigRenamedTable, FormerTableNameIsReadWithAWarning) {
  const auto doc = parse_string("[layers]\nfirst = true\n", "table_a.toml");
  testing::internal::CaptureStderr();
  const RenamedTable r = read_renamed_table(doc);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(r.first);
  EXPECT_FALSE(r.last);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_NE(err.find("table_a.toml:1: key 'layers' is deprecated, use 'gemms'"), std::string::npos) << err;
}

TEST(ConfigRenamedTable, AnOverrideUnderTheNewNameMergesKeyByKey) {
  // The file's [layers] keeps 'last'; the override's 'gemms.first' replaces the file's 'first'.
  auto doc = parse_string("[layers]\nfirst = true\nlast = true\n", "table_b.toml");
  apply_override(doc, "gemms.first=false");
  testing::internal::CaptureStderr();
  const RenamedTable r = read_renamed_table(doc);
  testing::internal::GetCapturedStderr();
  EXPECT_FALSE(r.first);
  EXPECT_TRUE(r.last);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();

  auto new_file = parse_string("[gemms]\nfirst = false\nlast = true\n", "table_c.toml");
  apply_override(new_file, "layers.first=true");
  testing::internal::CaptureStderr();
  const RenamedTable s = read_renamed_table(new_file);
  testing::internal::GetCapturedStderr();
  EXPECT_TRUE(s.first);
  EXPECT_TRUE(s.last);
  EXPECT_TRUE(s.problems.empty()) << s.problems.front();
}

TEST(ConfigRenamedTable, TheSameKeyUnderBothTableNamesInOneFileIsAProblem) {
  const auto doc = parse_string("[layers]\nfirst = true\n[gemms]\nfirst = false\nlast = true\n", "table_d.toml");
  testing::internal::CaptureStderr();
  const RenamedTable r = read_renamed_table(doc);
  testing::internal::GetCapturedStderr();
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("table_d.toml:2: key 'layers.first': the former name of 'gemms.first', which is "
                               "also given (table_d.toml:4: key 'gemms.first')"),
            std::string::npos)
      << r.problems[0];
  EXPECT_TRUE(r.last);
}
