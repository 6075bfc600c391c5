#include "cimmc/network/dataset.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_distributions.hpp"

namespace fs = std::filesystem;

namespace cimmc::network {

namespace {

// Reads a whole file through zlib (which passes non-gzip data through unchanged).
std::vector<std::uint8_t> read_all(const fs::path& path) {
  if (!fs::exists(path)) throw core::IoError(fmt::format("{}: file not found", path.string()));
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw core::IoError(fmt::format("{}: cannot open", path.string()));
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(f, &err);
      gzclose(f);
      throw core::FormatError(fmt::format("{}: corrupt compressed data ({})", path.string(), msg));
    }
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  gzclose(f);
  return out;
}

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t off) {
  return std::uint32_t{b[off]} << 24 | std::uint32_t{b[off + 1]} << 16 | std::uint32_t{b[off + 2]} << 8 | b[off + 3];
}

void put_be32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

}  // namespace

Dataset read_idx(const fs::path& images, const fs::path& labels) {
  const auto ib = read_all(images);
  const auto lb = read_all(labels);
  if (ib.size() < 16)
    throw core::FormatError(
        fmt::format("{}: truncated IDX header ({} bytes, expected at least 16)", images.string(), ib.size()));
  if (be32(ib, 0) != 0x00000803u)
    throw core::FormatError(fmt::format("{}: wrong magic number 0x{:08x} (expected 0x00000803, IDX uint8 images)",
                                        images.string(), be32(ib, 0)));
  if (lb.size() < 8)
    throw core::FormatError(
        fmt::format("{}: truncated IDX header ({} bytes, expected at least 8)", labels.string(), lb.size()));
  if (be32(lb, 0) != 0x00000801u)
    throw core::FormatError(fmt::format("{}: wrong magic number 0x{:08x} (expected 0x00000801, IDX uint8 labels)",
                                        labels.string(), be32(lb, 0)));
  const std::uint32_t n = be32(ib, 4), h = be32(ib, 8), w = be32(ib, 12), nl = be32(lb, 4);
  if (h == 0 || w == 0 || h > 4096 || w > 4096)
    throw core::FormatError(fmt::format("{}: image size {}×{} is not plausible", images.string(), h, w));
  const std::size_t need = 16 + std::size_t{n} * h * w;
  if (ib.size() < need)
    throw core::FormatError(fmt::format("{}: truncated: {} images of {}×{} need {} bytes, the file has {}",
                                        images.string(), n, h, w, need, ib.size()));
  if (lb.size() < 8 + std::size_t{nl})
    throw core::FormatError(
        fmt::format("{}: truncated: {} labels need {} bytes, the file has {}", labels.string(), nl, 8 + nl, lb.size()));
  if (n != nl)
    throw core::FormatError(
        fmt::format("{} holds {} images but {} holds {} labels", images.string(), n, labels.string(), nl));
  Dataset d;
  d.name = images.string();
  d.channels = 1, d.height = static_cast<int>(h), d.width = static_cast<int>(w);
  d.pixels.assign(ib.begin() + 16, ib.begin() + static_cast<std::ptrdiff_t>(need));
  d.labels.resize(n);
  int max_label = 0;
  for (std::uint32_t i = 0; i < n; ++i) max_label = std::max(max_label, d.labels[i] = lb[8 + i]);
  d.classes = std::max(10, max_label + 1);
  return d;
}

Dataset read_cifar(const std::vector<fs::path>& files, bool cifar100) {
  const std::size_t label_bytes = cifar100 ? 2 : 1, image_bytes = 3 * 32 * 32, record = label_bytes + image_bytes;
  Dataset d;
  d.name = files.empty() ? "cifar" : files.front().parent_path().string();
  d.channels = 3, d.height = 32, d.width = 32;
  d.classes = cifar100 ? 100 : 10;
  for (const auto& f : files) {
    const auto b = read_all(f);
    if (b.empty() || b.size() % record != 0)
      throw core::FormatError(
          fmt::format("{}: size {} bytes is not a whole number of {}-byte CIFAR-{} records (truncated?)", f.string(),
                      b.size(), record, cifar100 ? 100 : 10));
    for (std::size_t off = 0; off < b.size(); off += record) {
      const int label = b[off + label_bytes - 1];
      if (label >= d.classes)
        throw core::FormatError(
            fmt::format("{}: record {} has label {} (expected 0..{})", f.string(), off / record, label, d.classes - 1));
      d.labels.push_back(label);
      d.pixels.insert(d.pixels.end(), b.begin() + static_cast<std::ptrdiff_t>(off + label_bytes),
                      b.begin() + static_cast<std::ptrdiff_t>(off + record));
    }
  }
  return d;
}

fs::path fashion_mnist_dir() {
  if (const char* e = std::getenv("CIMMC_FASHION_MNIST_DIR"); e && *e) return e;
  return "/usr/share/datasets/fashion-mnist";
}

namespace {
fs::path with_gz(const fs::path& base) {
  if (fs::exists(base)) return base;
  fs::path gz = base;
  gz += ".gz";
  return gz;
}

Dataset idx_folder(const fs::path& dir, const std::string& split) {
  const std::string prefix = split == "train" ? "train" : "t10k";
  return read_idx(with_gz(dir / (prefix + "-images-idx3-ubyte")), with_gz(dir / (prefix + "-labels-idx1-ubyte")));
}

Dataset cifar_folder(const fs::path& dir, const std::string& split, bool cifar100) {
  std::vector<fs::path> files;
  if (cifar100) {
    files.push_back(dir / (split == "train" ? "train.bin" : "test.bin"));
  } else if (split == "train") {
    for (int i = 1; i <= 5; ++i) files.push_back(dir / fmt::format("data_batch_{}.bin", i));
  } else {
    files.push_back(dir / "test_batch.bin");
  }
  for (const auto& f : files)
    if (!fs::exists(f))
      throw core::IoError(fmt::format("{}: CIFAR-{} file not found", f.string(), cifar100 ? 100 : 10));
  return read_cifar(files, cifar100);
}
}  // namespace

Dataset load_dataset(const std::string& spec, const std::string& split) {
  if (split != "train" && split != "test")
    throw core::ArgumentError(fmt::format("dataset split '{}': expected 'train' or 'test'", split));
  Dataset d;
  if (spec == "fashion-mnist" || spec == "fmnist") {
    const fs::path dir = fashion_mnist_dir();
    if (!fs::is_directory(dir))
      throw core::IoError(fmt::format(
          "fashion-mnist: folder {} not found (install Debian's dataset-fashion-mnist or set CIMMC_FASHION_MNIST_DIR)",
          dir.string()));
    d = idx_folder(dir, split);
    d.name = "fashion-mnist/" + split;
    return d;
  }
  if (spec.rfind("cifar10:", 0) == 0 || spec.rfind("cifar100:", 0) == 0) {
    const bool c100 = spec.rfind("cifar100:", 0) == 0;
    d = cifar_folder(spec.substr(c100 ? 9 : 8), split, c100);
    d.name = spec + "/" + split;
    return d;
  }
  const fs::path p = spec;
  if (fs::is_directory(p)) {
    const std::string prefix = split == "train" ? "train" : "t10k";
    if (fs::exists(with_gz(p / (prefix + "-images-idx3-ubyte")))) d = idx_folder(p, split);
    else if (fs::exists(p / "test_batch.bin") || fs::exists(p / "data_batch_1.bin")) d = cifar_folder(p, split, false);
    else if (fs::exists(p / "test.bin") || fs::exists(p / "train.bin")) d = cifar_folder(p, split, true);
    else
      throw core::IoError(
          fmt::format("{}: no IDX ({}-images-idx3-ubyte[.gz]) or CIFAR binary files in this folder", spec, prefix));
    d.name = spec + "/" + split;
    return d;
  }
  if (fs::exists(p)) {
    const std::string s = p.filename().string();
    const auto pos = s.find("images-idx3");
    if (pos == std::string::npos)
      throw core::ArgumentError(fmt::format(
          "dataset '{}': a file must be an IDX image file named *images-idx3* (its labels *labels-idx1*)", spec));
    std::string lab = s;
    lab.replace(pos, 11, "labels-idx1");
    d = read_idx(p, p.parent_path() / lab);
    d.name = spec;
    return d;
  }
  throw core::ArgumentError(fmt::format(
      "dataset '{}': not a known name (fashion-mnist, cifar10:DIR, cifar100:DIR) nor an existing path", spec));
}

Dataset take(const Dataset& d, int count) {
  if (count <= 0 || count >= d.size()) return d;
  Dataset t = d;
  t.labels.resize(count);
  t.pixels.resize(static_cast<std::size_t>(count) * d.image_size());
  return t;
}

std::pair<Dataset, Dataset> split_validation(const Dataset& d, int count) {
  if (count <= 0 || count >= d.size())
    throw core::ArgumentError(fmt::format("validation split of {} images: {} has {} images (expected 0 < split < {})",
                                          count, d.name, d.size(), d.size()));
  const int keep = d.size() - count;
  Dataset validation = d;
  validation.name = fmt::format("{} (validation: last {})", d.name, count);
  validation.labels.assign(d.labels.begin() + keep, d.labels.end());
  validation.pixels.assign(
      d.pixels.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(keep) * d.image_size()), d.pixels.end());
  Dataset training = take(d, keep);
  training.name = fmt::format("{} (first {})", d.name, keep);
  return {std::move(training), std::move(validation)};
}

std::vector<int> shuffled_indices(int n, std::uint64_t seed, std::uint32_t epoch) {
  std::vector<int> idx(n);
  for (int i = 0; i < n; ++i) idx[i] = i;
  core::rng::Stream s(seed, {core::rng::Purpose::kDataShuffle, 0, epoch, 0});
  core::rng::shuffle(s, std::span<int>(idx));
  return idx;
}

void make_batch(const Dataset& d, std::span<const int> indices, Tensor& images, std::vector<int>& labels,
                const Augment& aug, std::uint64_t seed, std::uint32_t epoch) {
  const int B = static_cast<int>(indices.size()), C = d.channels, H = d.height, W = d.width;
  images.resize({B, C, H, W});
  labels.resize(B);
  const float inv = 1.0f / 255.0f;
  const bool augment = aug.crop_padding > 0 || aug.flip;
#pragma omp parallel for schedule(static)
  for (int b = 0; b < B; ++b) {
    const int i = indices[b];
    labels[b] = d.labels[i];
    const std::uint8_t* src = d.pixels.data() + static_cast<std::size_t>(i) * d.image_size();
    float* dst = images.item(b);
    int dy = 0, dx = 0;
    bool flip = false;
    if (augment) {
      core::rng::Stream s(seed, {core::rng::Purpose::kDataAugment, 0, epoch, static_cast<std::uint64_t>(i)});
      dy = static_cast<int>(core::rng::uniform_int(s, -aug.crop_padding, aug.crop_padding));
      dx = static_cast<int>(core::rng::uniform_int(s, -aug.crop_padding, aug.crop_padding));
      flip = aug.flip && core::rng::bernoulli(s, 0.5);
    }
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const int sy = y + dy, sx0 = flip ? W - 1 - x : x, sx = sx0 + dx;
          const bool inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          dst[(c * H + y) * W + x] = inside ? src[(c * H + sy) * W + sx] * inv : 0.0f;
        }
  }
}

void write_idx(const fs::path& images, const fs::path& labels, int height, int width,
               std::span<const std::uint8_t> pixels, std::span<const std::uint8_t> label_bytes, bool gzip) {
  const std::size_t n = label_bytes.size();
  std::vector<std::uint8_t> ib, lb;
  put_be32(ib, 0x00000803u);
  put_be32(ib, static_cast<std::uint32_t>(n));
  put_be32(ib, static_cast<std::uint32_t>(height));
  put_be32(ib, static_cast<std::uint32_t>(width));
  ib.insert(ib.end(), pixels.begin(), pixels.end());
  put_be32(lb, 0x00000801u);
  put_be32(lb, static_cast<std::uint32_t>(n));
  lb.insert(lb.end(), label_bytes.begin(), label_bytes.end());
  for (auto [path, bytes] : {std::pair{images, &ib}, std::pair{labels, &lb}}) {
    if (gzip) {
      gzFile f = gzopen(path.c_str(), "wb");
      if (!f || gzwrite(f, bytes->data(), static_cast<unsigned>(bytes->size())) != static_cast<int>(bytes->size()))
        throw core::IoError(fmt::format("{}: cannot write", path.string()));
      gzclose(f);
    } else {
      std::ofstream o(path, std::ios::binary);
      o.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
      if (!o) throw core::IoError(fmt::format("{}: cannot write", path.string()));
    }
  }
}

}  // namespace cimmc::network
