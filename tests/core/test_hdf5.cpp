#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

namespace {
fs::path temp_path(const std::string& name) { return fs::temp_directory_path() / ("cimmc_test_" + name); }
}  // namespace

TEST(Hdf5, RoundTripsScalarsStringsAndArrays) {
  const auto path = temp_path("roundtrip.h5");
  {
    cimmc::core::h5::AtomicFile out(path);
    auto& f = out.file();
    cimmc::core::h5::write_provenance(f, "cimmc.test", {1, 2}, 0xFEDCBA9876543210ull, "[a]\nb = 1\n");
    f.write_scalar<double>("pi", 3.25, "1");
    f.write_string("name", "sot-mtj");
    f.write_strings("labels", {"a", "bb", ""});
    auto g = f.create_group("curves/device0");
    const std::vector<double> d{1, 2, 3, 4, 5, 6};
    g.write<double>("p", std::span<const double>(d), {2, 3}, "1", {"current", "pulse"});
    g.write_1d<float>("f", std::vector<float>{1.5f, -2.5f}, "A", "current");
    g.write_1d<std::int32_t>("i32", std::vector<std::int32_t>{-7, 8}, "1");
    g.write_1d<std::int64_t>("i64", std::vector<std::int64_t>{std::int64_t{1} << 40}, "1");
    g.write_1d<std::uint8_t>("u8", std::vector<std::uint8_t>{0, 255}, "1");
    std::vector<std::int32_t> cube(2 * 3 * 4);
    for (std::size_t i = 0; i < cube.size(); ++i) cube[i] = static_cast<std::int32_t>(i);
    g.write<std::int32_t>("cube", std::span<const std::int32_t>(cube), {2, 3, 4}, "1", {"a", "b", "c"});
    std::vector<double> big(10000, 0.5);  // compressed, chunked path
    g.write<double>("big", std::span<const double>(big), {100, 100}, "s");
    out.commit();
  }
  ASSERT_TRUE(fs::exists(path));
  const auto f = cimmc::core::h5::open_cimmc_file(path, "cimmc.test", 1);
  const auto p = cimmc::core::h5::read_provenance(f);
  EXPECT_EQ(p.filetype, "cimmc.test");
  EXPECT_EQ(p.format_version[0], 1);
  EXPECT_EQ(p.format_version[1], 2);
  EXPECT_EQ(p.seed, 0xFEDCBA9876543210ull);
  EXPECT_EQ(p.config, "[a]\nb = 1\n");
  EXPECT_FALSE(p.created.empty());
  EXPECT_DOUBLE_EQ(f.read_scalar<double>("pi"), 3.25);
  EXPECT_EQ(f.read_string("name"), "sot-mtj");
  EXPECT_EQ(f.read_strings("labels"), (std::vector<std::string>{"a", "bb", ""}));
  auto g = f.open_group("curves/device0");
  auto pa = g.read<double>("p");
  EXPECT_EQ(pa.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(pa.data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  const auto info = g.dataset_info("p");
  EXPECT_EQ(info.units, "1");
  EXPECT_EQ(info.dimensions, (std::vector<std::string>{"current", "pulse"}));
  EXPECT_EQ(info.type, "float64");
  EXPECT_EQ(g.read<float>("f").data, (std::vector<float>{1.5f, -2.5f}));
  EXPECT_EQ(g.read<std::int32_t>("i32").data, (std::vector<std::int32_t>{-7, 8}));
  EXPECT_EQ(g.read<std::int64_t>("i64").data[0], std::int64_t{1} << 40);
  EXPECT_EQ(g.read<std::uint8_t>("u8").data, (std::vector<std::uint8_t>{0, 255}));
  const auto cube = g.read<std::int32_t>("cube");
  EXPECT_EQ(cube.shape, (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(cube.data[23], 23);
  EXPECT_EQ(g.read<double>("big").data[9999], 0.5);
  EXPECT_EQ(g.dataset_info("big").units, "s");
  // Reading a float dataset as integers is refused.
  EXPECT_THROW(g.read<std::int32_t>("p"), cimmc::core::FormatError);
  EXPECT_THROW(g.read<double>("missing"), cimmc::core::FormatError);
  EXPECT_THROW(f.open_group("nope"), cimmc::core::FormatError);
  fs::remove(path);
}

TEST(Hdf5, AtomicFileLeavesNothingBehindOnFailure) {
  const auto path = temp_path("aborted.h5");
  fs::remove(path);
  try {
    cimmc::core::h5::AtomicFile out(path);
    out.file().write_scalar<double>("x", 1.0, "1");
    throw std::runtime_error("simulated failure");
  } catch (const std::runtime_error&) {}
  EXPECT_FALSE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path()))
    EXPECT_EQ(e.path().filename().string().find(".cimmc_test_aborted.h5.tmp"), std::string::npos);
}

TEST(Hdf5, AtomicFileReplacesAnExistingFile) {
  const auto path = temp_path("replace.h5");
  for (int v = 1; v <= 2; ++v) {
    cimmc::core::h5::AtomicFile out(path);
    cimmc::core::h5::write_provenance(out.file(), "cimmc.test", {1, 0}, 0, "");
    out.file().write_scalar<std::int32_t>("v", v, "1");
    out.commit();
  }
  EXPECT_EQ(cimmc::core::h5::File::open(path).read_scalar<std::int32_t>("v"), 2);
  fs::remove(path);
}

// A writer killed during a write (SIGKILL) leaves `.NAME.tmp-PID`; the next commit of the same
// target removes it once PID no longer runs, and leaves a running writer's file alone.
TEST(Hdf5, CommitRemovesTemporariesOfWritersThatNoLongerRun) {
  const auto dir = temp_path("stale");
  fs::create_directories(dir);
  const auto target = dir / "results.h5";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a process id that no longer runs
  const auto stale = dir / fmt::format(".results.h5.tmp-{}", child);
  const auto running = dir / fmt::format(".results.h5.tmp-{}", ::getppid());
  const auto other = dir / fmt::format(".other.h5.tmp-{}", child);
  for (const auto& p : {stale, running, other}) std::ofstream(p) << "half-written\n";
  cimmc::core::h5::AtomicFile out(target);
  cimmc::core::h5::write_provenance(out.file(), "cimmc.test", {1, 0}, 0, "");
  out.commit();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(running));  // the parent process still runs
  EXPECT_TRUE(fs::exists(other));    // another target's temporary
  EXPECT_TRUE(fs::exists(target));
  fs::remove_all(dir);
}

TEST(Hdf5, BadFilesGivePreciseErrors) {
  EXPECT_THROW(cimmc::core::h5::File::open(temp_path("does_not_exist.h5")), cimmc::core::IoError);
  const auto text = temp_path("text.h5");
  std::ofstream(text) << "this is not HDF5\n";
  try {
    cimmc::core::h5::File::open(text);
    FAIL() << "expected cimmc::core::FormatError";
  } catch (const cimmc::core::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos);
  }
  fs::remove(text);

  const auto plain = temp_path("plain.h5");
  { cimmc::core::h5::File::create(plain).write_scalar<double>("x", 1, "1"); }
  EXPECT_THROW(cimmc::core::h5::open_cimmc_file(plain, "cimmc.test", 1), cimmc::core::FormatError);

  const auto newer = temp_path("newer.h5");
  {
    auto f = cimmc::core::h5::File::create(newer);
    cimmc::core::h5::write_provenance(f, "cimmc.test", {2, 0}, 0, "");
  }
  try {
    cimmc::core::h5::open_cimmc_file(newer, "cimmc.test", 1);
    FAIL() << "expected cimmc::core::FormatError";
  } catch (const cimmc::core::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("format version 2.0 is newer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cimmc::core::h5::open_cimmc_file(newer, "cimmc.model", 1), cimmc::core::FormatError);
  fs::remove(plain);
  fs::remove(newer);
}

// Found by tests/fuzz/fuzz_model (corpus/model/regression_empty_seed): an empty 'seed' attribute
// threw std::out_of_range instead of a cimmc::core::FormatError. A numeric attribute with several values is
// not read into one double either.
TEST(Hdf5, ProvenanceAttributesOfTheWrongSizeAreFormatErrors) {
  const auto path = temp_path("bad_seed.h5");
  {
    auto f = cimmc::core::h5::File::create(path);
    cimmc::core::h5::write_provenance(f, "cimmc.test", {1, 0}, 5, "");
    H5Adelete(f.id(), "seed");
    f.set_attr("seed", std::vector<std::int64_t>{});
    f.set_attr("two", std::vector<std::int64_t>{1, 2});
  }
  try {
    cimmc::core::h5::open_cimmc_file(path, "cimmc.test", 1);
    FAIL() << "expected cimmc::core::FormatError";
  } catch (const cimmc::core::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'seed' must be one integer, found 0 values"), std::string::npos) << e.what();
  }
  const auto f = cimmc::core::h5::File::open(path);
  EXPECT_THROW(f.attr_double("two"), cimmc::core::FormatError);
  fs::remove(path);
}

TEST(Hdf5, ShapeMismatchIsAnArgumentError) {
  const auto path = temp_path("shape.h5");
  auto f = cimmc::core::h5::File::create(path);
  const std::vector<double> d{1, 2, 3};
  EXPECT_THROW(f.write<double>("x", std::span<const double>(d), {2, 2}, "1"), cimmc::core::ArgumentError);
  EXPECT_THROW(f.write<double>("y", std::span<const double>(d), {3}, "1", {"a", "b"}), cimmc::core::ArgumentError);
  f.close();
  fs::remove(path);
}

TEST(Hdf5, OutputFolderMustExist) {
  EXPECT_THROW(cimmc::core::h5::AtomicFile("/nonexistent/folder/out.h5"), cimmc::core::IoError);
}

TEST(FileTypes, SupportedMajorVersions) {
  EXPECT_EQ(cimmc::core::filetypes::supported_major("cimmc.model"), cimmc::core::filetypes::kModel.major);
  EXPECT_EQ(cimmc::core::filetypes::supported_major("cimmc.unknown"), 1);
}
