// Dataset readers on small files written by the test, and batch construction.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cimmc/core/error.hpp"
#include "cimmc/network/dataset.hpp"

namespace fs = std::filesystem;
using namespace cimmc::network;

namespace {
fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("cimmc_test_network_data_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<std::uint8_t> pattern(std::size_t n, int mul) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * mul + 3) % 256);
  return v;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cimmc::core::Error& e) {
    return e.what();
  }
  return "no error";
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream o(p, std::ios::binary);
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
}  // namespace

TEST(Idx, ReadsGzipAndRawFilesAndFolders) {
  const auto dir = temp_dir("idx");
  const auto pixels = pattern(5 * 4 * 3, 7);
  const std::vector<std::uint8_t> labels{0, 9, 3, 3, 1};
  for (bool gz : {true, false}) {
    const std::string suffix = gz ? ".gz" : "";
    write_idx(dir / ("t10k-images-idx3-ubyte" + suffix), dir / ("t10k-labels-idx1-ubyte" + suffix), 4, 3, pixels,
              labels, gz);
    const Dataset d = load_dataset(dir.string(), "test");
    EXPECT_EQ(d.size(), 5);
    EXPECT_EQ(d.image_shape(), (Shape{1, 4, 3}));
    EXPECT_EQ(d.pixels, pixels);
    EXPECT_EQ(d.labels, (std::vector<int>{0, 9, 3, 3, 1}));
    EXPECT_EQ(d.classes, 10);
    fs::remove(dir / ("t10k-images-idx3-ubyte" + suffix));
    fs::remove(dir / ("t10k-labels-idx1-ubyte" + suffix));
  }
  // A file path: the labels are found by name.
  write_idx(dir / "x-images-idx3-ubyte", dir / "x-labels-idx1-ubyte", 4, 3, pixels, labels, false);
  EXPECT_EQ(load_dataset((dir / "x-images-idx3-ubyte").string(), "test").size(), 5);
  fs::remove_all(dir);
}

TEST(Idx, BadFilesGivePreciseErrors) {
  const auto dir = temp_dir("idx_bad");
  const auto pixels = pattern(4 * 2 * 2, 5);
  const std::vector<std::uint8_t> labels{1, 2, 3, 4};
  const auto img = dir / "a-images-idx3-ubyte", lab = dir / "a-labels-idx1-ubyte";
  write_idx(img, lab, 2, 2, pixels, labels, false);
  std::ifstream in(img, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  in.close();
  // Truncated image data.
  write_bytes(img, std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 3));
  EXPECT_NE(error_of([&] { read_idx(img, lab); }).find("truncated"), std::string::npos);
  // Wrong magic.
  auto wrong = bytes;
  wrong[3] = 0x01;
  write_bytes(img, wrong);
  const auto e = error_of([&] { read_idx(img, lab); });
  EXPECT_NE(e.find("wrong magic number 0x00000801"), std::string::npos) << e;
  EXPECT_THROW(read_idx(img, lab), cimmc::core::FormatError);
  // Count mismatch.
  write_idx(img, lab, 2, 2, pixels, std::vector<std::uint8_t>{1, 2, 3}, false);
  write_idx(dir / "b-images-idx3-ubyte", dir / "b-labels-idx1-ubyte", 2, 2, pixels, labels, false);
  const auto m = error_of([&] { read_idx(dir / "b-images-idx3-ubyte", lab); });
  EXPECT_NE(m.find("holds 4 images but"), std::string::npos) << m;
  EXPECT_NE(m.find("3 labels"), std::string::npos) << m;
  // Missing file, unknown name, corrupt gzip.
  EXPECT_THROW(read_idx(dir / "none", lab), cimmc::core::IoError);
  EXPECT_THROW(load_dataset("no-such-dataset", "test"), cimmc::core::ArgumentError);
  std::vector<std::uint8_t> gz{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xff, 0xff, 0x00};
  write_bytes(img, gz);
  EXPECT_THROW(read_idx(img, lab), cimmc::core::FormatError);
  fs::remove_all(dir);
}

TEST(Cifar, ReadsTenAndHundredAndRejectsPartialRecords) {
  const auto dir = temp_dir("cifar");
  std::vector<std::uint8_t> c10;
  for (int r = 0; r < 3; ++r) {
    c10.push_back(static_cast<std::uint8_t>(r * 4));
    const auto px = pattern(3072, r + 1);
    c10.insert(c10.end(), px.begin(), px.end());
  }
  write_bytes(dir / "test_batch.bin", c10);
  const Dataset d = load_dataset(dir.string(), "test");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.image_shape(), (Shape{3, 32, 32}));
  EXPECT_EQ(d.labels, (std::vector<int>{0, 4, 8}));
  EXPECT_EQ(d.pixels[3072], pattern(3072, 2)[0]);
  EXPECT_EQ(d.classes, 10);
  write_bytes(dir / "test_batch.bin", std::vector<std::uint8_t>(c10.begin(), c10.end() - 1));
  const auto e = error_of([&] { load_dataset("cifar10:" + dir.string(), "test"); });
  EXPECT_NE(e.find("3073-byte"), std::string::npos) << e;
  c10[0] = 10;  // label out of range
  write_bytes(dir / "test_batch.bin", c10);
  EXPECT_THROW(load_dataset(dir.string(), "test"), cimmc::core::FormatError);

  std::vector<std::uint8_t> c100{3, 77};
  const auto px = pattern(3072, 3);
  c100.insert(c100.end(), px.begin(), px.end());
  const auto d100 = temp_dir("cifar100");
  write_bytes(d100 / "test.bin", c100);
  const Dataset h = load_dataset("cifar100:" + d100.string(), "test");
  EXPECT_EQ(h.labels, std::vector<int>{77});
  EXPECT_EQ(h.classes, 100);
  EXPECT_THROW(load_dataset("cifar100:" + d100.string(), "train"), cimmc::core::IoError);
  fs::remove_all(dir);
  fs::remove_all(d100);
}

TEST(Batches, ShuffleIsAPermutationDependingOnlyOnSeedAndEpoch) {
  const auto a = shuffled_indices(1000, 7, 2), b = shuffled_indices(1000, 7, 2), c = shuffled_indices(1000, 7, 3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto s = a;
  std::sort(s.begin(), s.end());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s[i], i);
}

TEST(Batches, ScalesPixelsAndAugmentsDeterministically) {
  Dataset d;
  d.channels = 1, d.height = 4, d.width = 4, d.classes = 10;
  d.pixels = pattern(3 * 16, 11);
  d.labels = {1, 2, 3};
  Tensor x;
  std::vector<int> y;
  const std::vector<int> idx{2, 0};
  make_batch(d, idx, x, y);
  EXPECT_EQ(x.shape, (Shape{2, 1, 4, 4}));
  EXPECT_EQ(y, (std::vector<int>{3, 1}));
  EXPECT_FLOAT_EQ(x.data[0], d.pixels[32] / 255.0f);
  // Flip only: each image is either unchanged or mirrored; the choice depends on (epoch, image).
  Augment flip{0, true};
  Tensor f1, f2;
  make_batch(d, idx, f1, y, flip, 5, 1);
  make_batch(d, std::vector<int>{2}, f2, y, flip, 5, 1);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(f1.data[i], f2.data[i]);  // independent of batch composition
  for (int r = 0; r < 4; ++r) {
    const bool same = f1.data[r * 4] == x.data[r * 4];
    const bool mirrored = f1.data[r * 4] == x.data[r * 4 + 3];
    EXPECT_TRUE(same || mirrored);
  }
  // Crops keep every pixel value from the image or zero padding.
  Augment crop{2, false};
  make_batch(d, idx, f1, y, crop, 5, 4);
  for (int i = 0; i < 16; ++i) {
    const float v = f1.data[i];
    bool found = v == 0.0f;
    for (int j = 0; j < 16; ++j) found |= v == x.data[j];
    EXPECT_TRUE(found);
  }
}

TEST(Dataset, ValidationSplitHoldsOutTheLastImages) {
  Dataset d;
  d.name = "toy";
  d.channels = 1;
  d.height = d.width = 2;
  d.classes = 10;
  for (int i = 0; i < 10; ++i) {
    d.labels.push_back(i);
    for (int p = 0; p < 4; ++p) d.pixels.push_back(static_cast<std::uint8_t>(10 * i + p));
  }
  const auto [fit, held_out] = split_validation(d, 3);
  ASSERT_EQ(fit.size(), 7);
  ASSERT_EQ(held_out.size(), 3);
  EXPECT_EQ(fit.labels.back(), 6);
  EXPECT_EQ(held_out.labels.front(), 7);
  EXPECT_EQ(held_out.pixels.front(), 70);
  EXPECT_EQ(held_out.pixels.back(), 93);
  EXPECT_EQ(fit.pixels.size() + held_out.pixels.size(), d.pixels.size());
  EXPECT_THROW(split_validation(d, 0), cimmc::core::ArgumentError);
  EXPECT_THROW(split_validation(d, 10), cimmc::core::ArgumentError);
}
