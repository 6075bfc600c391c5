#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cimmc/core/config.hpp"

using namespace cimmc::core::config;
using cimmc::core::ConfigError;
using cimmc::core::IoError;

namespace {
struct Hardware {
  int adc_bits = 8;
  double sigma = 0.0;
  std::string readout = "ideal";
  std::vector<int> rows{128};
};

Hardware read_hardware(const Document& doc) {
  Problems problems;
  TableReader root(doc.root, doc.source, "", problems);
  TableReader hw = root.child("hardware");
  Hardware h;
  hw.optional("adc_bits", h.adc_bits);
  hw.optional("sigma", h.sigma);
  hw.required("readout", h.readout);
  hw.optional("rows", h.rows);
  hw.check(h.adc_bits >= 1 && h.adc_bits <= 16, "adc_bits", "an integer in [1, 16]");
  hw.check(h.sigma >= 0, "sigma", "a non-negative number");
  hw.finish();
  root.finish();
  problems.throw_if_any(doc.source);
  return h;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cimmc::core::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, ReadsValuesIntoStructs) {
  const auto doc =
      parse_string("[hardware]\nadc_bits = 4\nsigma = 0.02\nreadout = \"adc\"\nrows = [64, 128]\n", "hw.toml");
  const auto h = read_hardware(doc);
  EXPECT_EQ(h.adc_bits, 4);
  EXPECT_DOUBLE_EQ(h.sigma, 0.02);
  EXPECT_EQ(h.readout, "adc");
  EXPECT_EQ(h.rows, (std::vector<int>{64, 128}));
}

TEST(Config, IntegersAreAcceptedWhereNumbersAreExpected) {
  const auto h = read_hardware(parse_string("[hardware]\nsigma = 1\nreadout = \"x\"\n"));
  EXPECT_DOUBLE_EQ(h.sigma, 1.0);
}

TEST(Config, MalformedTomlNamesTheLine) {
  const std::string msg = message_of([] { parse_string("[hardware]\nadc_bits = 4\nsigma = = 2\n", "bad.toml"); });
  EXPECT_NE(msg.find("bad.toml:3"), std::string::npos) << msg;
}

// Found by tests/fuzz/fuzz_device: toml11 3.7 read past the end of its buffer on the 3 bytes
// '\xff' (corpus/device/regression_literal_string_not_utf8). Text that is not UTF-8 is refused first.
TEST(Config, TextThatIsNotUtf8IsRefusedWithItsLine) {
  std::string msg = message_of([] { parse_string("'\xff'", "dev.toml"); });
  EXPECT_NE(msg.find("dev.toml:1: malformed TOML: byte 0xff at column 2 is not UTF-8 text"), std::string::npos) << msg;
  msg = message_of([] { parse_string("a = 1\nb = 'x\xc3('\n", "dev.toml"); });
  EXPECT_NE(msg.find("dev.toml:2: malformed TOML: byte 0xc3 at column 7"), std::string::npos) << msg;
  // Overlong forms, surrogates and a truncated sequence at the end are not UTF-8 either.
  for (const char* bad : {"a = '\xc0\xaf'", "a = '\xed\xa0\x80'", "a = '\xf4\x90\x80\x80'", "a = '\xe2\x82"})
    EXPECT_NE(message_of([&] { parse_string(bad, "dev.toml"); }).find("is not UTF-8 text"), std::string::npos) << bad;
  // Well-formed multi-byte text is accepted.
  const auto doc = parse_string("name = \"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n", "ok.toml");
  EXPECT_EQ(toml::find<std::string>(doc.root, "name"), "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  Document d = parse_string("");
  msg = message_of([&] { apply_override(d, "noise.sigma='\xff'"); });
  EXPECT_NE(msg.find("not UTF-8 text"), std::string::npos) << msg;
}

// TOML writes nan and inf. A range check such as "sigma >= 0" lets inf through and no comparison
// catches nan, so every number a file or an override gives must be finite.
TEST(Config, NonFiniteNumbersAreRefused) {
  for (const std::string v : {"nan", "+nan", "-nan", "inf", "+inf", "-inf"}) {
    const auto doc = parse_string("[hardware]\nreadout = \"adc\"\nsigma = " + v + "\n", "hw.toml");
    const std::string msg = message_of([&] { read_hardware(doc); });
    EXPECT_NE(msg.find("hw.toml:3: key 'hardware.sigma': expected a finite number"), std::string::npos) << msg;
    Document d = parse_string("[hardware]\nreadout = \"adc\"\n", "hw.toml");
    apply_override(d, "hardware.sigma=" + v);
    const std::string override_msg = message_of([&] { read_hardware(d); });
    EXPECT_NE(override_msg.find("key 'hardware.sigma': expected a finite number"), std::string::npos) << override_msg;
  }
  // Inside an array too; integers and finite floats are numbers as before.
  const auto doc = parse_string("[t]\nxs = [1.0, 2, nan]\nys = [1.5, -2]\n", "a.toml");
  Problems problems;
  TableReader root(doc.root, doc.source, "", problems);
  auto t = root.child("t");
  std::vector<double> xs, ys;
  EXPECT_FALSE(t.optional("xs", xs));
  EXPECT_TRUE(t.optional("ys", ys));
  EXPECT_EQ(ys, (std::vector<double>{1.5, -2.0}));
  ASSERT_EQ(problems.messages().size(), 1u);
  EXPECT_NE(problems.messages()[0].find("a.toml:2: key 't.xs': expected a finite number"), std::string::npos)
      << problems.messages()[0];
}

TEST(Config, AllProblemsAreReportedTogetherWithLinesAndKeys) {
  const auto doc = parse_string("[hardware]\nadc_bits = \"four\"\nsigma = -1.0\nadc_bit = 3\n", "hw.toml");
  const std::string msg = message_of([&] { read_hardware(doc); });
  EXPECT_NE(msg.find("hw.toml:2: key 'hardware.adc_bits': expected an integer, found a string"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("hw.toml:3: key 'hardware.sigma': value -1.0 is out of range"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hw.toml:4: key 'hardware.adc_bit': unknown key (did you mean 'adc_bits'?)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("required key 'hardware.readout' is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4 problems"), std::string::npos) << msg;
}

TEST(Config, UnknownTopLevelTable) {
  const auto doc = parse_string("[hardwear]\nx = 1\n[hardware]\nreadout = \"adc\"\n", "hw.toml");
  const std::string msg = message_of([&] { read_hardware(doc); });
  EXPECT_NE(msg.find("key 'hardwear': unknown key (did you mean 'hardware'?)"), std::string::npos) << msg;
}

TEST(Config, OverridesSetNestedValuesOfAnyType) {
  auto doc = parse_string("[hardware]\nadc_bits = 8\nreadout = \"adc\"\n");
  apply_overrides(
      doc, {"hardware.adc_bits=4", "hardware.sigma=0.5", "hardware.readout=stochastic_mtj", "hardware.rows=[32, 64]"});
  const auto h = read_hardware(doc);
  EXPECT_EQ(h.adc_bits, 4);
  EXPECT_DOUBLE_EQ(h.sigma, 0.5);
  EXPECT_EQ(h.readout, "stochastic_mtj");
  EXPECT_EQ(h.rows, (std::vector<int>{32, 64}));
}

TEST(Config, OverrideCreatesMissingTablesAndIsValidated) {
  auto doc = parse_string("");
  apply_override(doc, "hardware.readout=\"adc\"");
  apply_override(doc, "hardware.adc_bits=99");
  const std::string msg = message_of([&] { read_hardware(doc); });
  EXPECT_NE(msg.find("'hardware.adc_bits': value 99 is out of range: expected an integer in [1, 16]"),
            std::string::npos)
      << msg;
}

TEST(Config, BadOverrideSyntax) {
  auto doc = parse_string("a = 1\n");
  EXPECT_THROW(apply_override(doc, "no_equals_sign"), cimmc::core::ConfigError);
  EXPECT_THROW(apply_override(doc, "=3"), cimmc::core::ConfigError);
  EXPECT_THROW(apply_override(doc, "a..b=3"), cimmc::core::ConfigError);
  EXPECT_THROW(apply_override(doc, "a.b=3"), cimmc::core::ConfigError);  // a is an integer, not a table
}

TEST(Config, MissingFileIsAnIoError) { EXPECT_THROW(parse_file("/nonexistent/cimmc/file.toml"), cimmc::core::IoError); }

TEST(Config, ParsesFilesAndKeepsTheirNameInMessages) {
  const auto path = std::filesystem::temp_directory_path() / "cimmc_test_config.toml";
  std::ofstream(path) << "[hardware]\nreadout = 3\n";
  const auto doc = parse_file(path);
  const std::string msg = message_of([&] { read_hardware(doc); });
  EXPECT_NE(msg.find(path.string() + ":2: key 'hardware.readout': expected a string"), std::string::npos) << msg;
  std::filesystem::remove(path);
}

TEST(Config, RoundTripsThroughText) {
  auto doc = parse_string("[hardware]\nadc_bits = 5\nreadout = \"adc\"\n");
  const auto again = parse_string(to_toml(doc.root));
  EXPECT_EQ(read_hardware(again).adc_bits, 5);
}

TEST(Config, AbsentTablesReadAsEmpty) {
  const auto doc = parse_string("[hardware]\nreadout = \"adc\"\n", "hw.toml");
  Problems problems;
  TableReader root(doc.root, doc.source, "", problems);
  TableReader absent = root.child("noise");
  double sigma = 0.5;
  EXPECT_FALSE(absent.optional("sigma", sigma));
  EXPECT_DOUBLE_EQ(sigma, 0.5);
  absent.finish();
  EXPECT_TRUE(problems.empty()) << problems.messages().front();
}

TEST(Config, DidYouMean) {
  EXPECT_EQ(did_you_mean("sigam", {"sigma", "offset"}).value_or(""), "sigma");
  EXPECT_FALSE(did_you_mean("completely_different", {"sigma", "offset"}).has_value());
  EXPECT_EQ(did_you_mean("pulse_width", {"current_A", "pulse_width_s"}).value_or(""), "pulse_width_s");
}
