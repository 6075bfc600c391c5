// Image classification datasets held as 8-bit pixels: IDX files (MNIST format, gzip or raw) such
// as Fashion-MNIST, and the CIFAR-10/100 binary format. Batches are float NCHW tensors of
// pixel/255 in [0, 1]: the models take this range, so an 8-bit input is exactly its pixel code.
// Shuffling and augmentation (random crop with zero padding, horizontal flip) draw from random
// streams addressed by (epoch, image), so batches do not depend on threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cimmc/network/tensor.hpp"

namespace cimmc::network {

struct Dataset {
  std::string name;  // "fashion-mnist/train", a path, ...
  int channels = 0, height = 0, width = 0;
  int classes = 0;
  std::vector<std::uint8_t> pixels;  // N × C × H × W
  std::vector<int> labels;           // N
  int size() const { return static_cast<int>(labels.size()); }
  std::size_t image_size() const { return static_cast<std::size_t>(channels) * height * width; }
  Shape image_shape() const { return {channels, height, width}; }
};

// Reads an IDX image file (magic 0x00000803, N×H×W uint8) and its label file (0x00000801).
// Gzip-compressed or raw. core::FormatError for wrong magic, truncation, a count mismatch or labels
// outside 0..255; core::IoError for a missing file.
Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels);

// Reads CIFAR binary files: records of 1 label byte (CIFAR-10; `cifar100` = true: coarse and
// fine label bytes, the fine label is used) and 3072 pixel bytes (3×32×32).
Dataset read_cifar(const std::vector<std::filesystem::path>& files, bool cifar100);

// Folder holding Fashion-MNIST: $CIMMC_FASHION_MNIST_DIR if set, else Debian's
// /usr/share/datasets/fashion-mnist.
std::filesystem::path fashion_mnist_dir();

// Resolves a dataset by name or path, `split` "train" or "test":
//  * "fashion-mnist" (or "fmnist"): the IDX files in fashion_mnist_dir();
//  * "cifar10:DIR", "cifar100:DIR": the binary files in DIR;
//  * a folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] files, or with CIFAR-10
//    data_batch_*.bin/test_batch.bin, or CIFAR-100 train.bin/test.bin;
//  * an IDX image file (…images-idx3…; its label file is the same name with labels-idx1).
Dataset load_dataset(const std::string& name_or_path, const std::string& split);

// The first `count` images (all if count <= 0 or larger than the set).
Dataset take(const Dataset& d, int count);

// A held-out validation split: the last `count` images of a training set become the validation
// set, the others stay for training ({training, validation}). Model choices (stage, clip width,
// learning rate, seed) are judged on it, so that the test set is used once, for the number
// reported. core::ArgumentError unless 0 < count < d.size().
std::pair<Dataset, Dataset> split_validation(const Dataset& d, int count);

// A random permutation of 0..n-1 for `epoch` (stream kDataShuffle, trial = epoch).
std::vector<int> shuffled_indices(int n, std::uint64_t seed, std::uint32_t epoch);

struct Augment {
  int crop_padding = 0;  // random crop after zero padding by this many pixels (0: none)
  bool flip = false;     // random horizontal flip
};

// A batch of images `indices` as a float tensor [B, C, H, W] (pixel/255) and their labels.
// Augmentation draws from stream kDataAugment addressed by (trial = epoch, element = image index).
void make_batch(const Dataset& d, std::span<const int> indices, Tensor& images, std::vector<int>& labels,
                const Augment& augment = {}, std::uint64_t seed = 0, std::uint32_t epoch = 0);

// Writes IDX files (for tests and tools): images N×H×W, labels N; gzip-compressed if `gzip`.
void write_idx(const std::filesystem::path& images, const std::filesystem::path& labels, int height, int width,
               std::span<const std::uint8_t> pixels, std::span<const std::uint8_t> label_bytes, bool gzip);

}  // namespace cimmc::network
