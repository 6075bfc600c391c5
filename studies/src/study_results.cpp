#include "cimmc/studies/study_results.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"

namespace cimmc::studies {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ95 = 1.959963984540054;

std::pair<std::string, std::string> split_path(const std::string& path) {
  // "/group/sub/name" -> ("group/sub", "name"), relative to the root group.
  const auto slash = path.rfind('/');
  const std::string group = path.substr(0, slash);
  return {group.empty() || group[0] != '/' ? group : group.substr(1), path.substr(slash + 1)};
}

std::vector<std::size_t> with_inner(std::vector<std::size_t> head, const std::vector<std::size_t>& inner) {
  head.insert(head.end(), inner.begin(), inner.end());
  return head;
}

template <typename T>
void write_array(core::h5::Group& root, const std::string& path, const std::vector<T>& data,
                 const std::vector<std::size_t>& shape, const std::string& units,
                 const std::vector<std::string>& dims) {
  auto [group, name] = split_path(path);
  auto g = root.require_group(group);
  g.write<T>(name, std::span<const T>(data), shape, units, dims);
}

void set_dataset_attr(core::h5::Group& group, const std::string& name, const std::string& attr,
                      const std::vector<std::string>& values) {
  core::h5::Id ds(H5Dopen2(group.id(), name.c_str(), H5P_DEFAULT));
  if (!ds.valid()) throw core::RuntimeFailure(fmt::format("{}: cannot open dataset {}", group.file_name(), name));
  if (values.size() == 1) core::h5::Group::set_string_attr(ds.get(), attr, values[0]);
  else core::h5::Group::set_strings_attr(ds.get(), attr, values);
}

void write_axes(core::h5::Group& root, const StudySpec& spec) {
  auto axes = root.create_group("axes");
  for (const auto& a : spec.axes) {
    if (a.numeric()) {
      std::vector<double> v;
      for (std::size_t i = 0; i < a.values.size(); ++i) v.push_back(a.number(i));
      axes.write_1d(a.key, v, a.units, "value");
    } else {
      std::vector<std::string> v;
      for (std::size_t i = 0; i < a.values.size(); ++i) v.push_back(a.text(i));
      axes.write_strings(a.key, v);
      set_dataset_attr(axes, a.key, "units", {"1"});
      set_dataset_attr(axes, a.key, "dimensions", {"value"});
    }
  }
  auto points = root.create_group("points");
  std::vector<std::int64_t> index;
  for (std::size_t p = 0; p < spec.points(); ++p)
    for (const auto i : spec.point_index(p)) index.push_back(static_cast<std::int64_t>(i));
  points.write<std::int64_t>("index", std::span<const std::int64_t>(index), {spec.points(), spec.axes.size()}, "1",
                             {"point", "axis"});
  std::vector<std::string> keys;
  for (const auto& a : spec.axes) keys.push_back(a.key);
  core::h5::Id ds(H5Dopen2(points.id(), "index", H5P_DEFAULT));
  core::h5::Group::set_strings_attr(ds.get(), "axes", keys);
}

// Per point, over the done trials: a value per inner element from f(point, inner element, done trials).
template <typename F>
std::vector<double> per_point(const StudyResults& r, std::size_t inner_size, F&& f) {
  std::vector<double> out(r.points * inner_size, kNaN);
  for (std::size_t p = 0; p < r.points; ++p) {
    std::vector<std::size_t> trials;
    for (std::size_t t = 0; t < r.trials; ++t)
      if (r.is_done(p, t)) trials.push_back(t);
    if (trials.empty()) continue;
    for (std::size_t e = 0; e < inner_size; ++e) out[p * inner_size + e] = f(p, e, trials);
  }
  return out;
}

double value_at(const SlotArray& a, std::size_t slot, std::size_t e) {
  const std::size_t i = slot * a.slot_size() + e;
  return a.integer ? static_cast<double>(a.ints[i]) : a.real[i];
}

void write_summary(core::h5::Group& root, const StudyResults& r, const MetricSummary& m) {
  const auto& a = r.array("/trials/" + m.name);
  const std::size_t inner = a.slot_size();
  const auto slot_values = [&](std::size_t p, std::size_t e, const std::vector<std::size_t>& trials) {
    std::vector<double> v;
    v.reserve(trials.size());
    for (const auto t : trials) v.push_back(value_at(a, p * r.trials + t, e));
    return v;
  };
  const auto mean = per_point(r, inner, [&](std::size_t p, std::size_t e, const auto& trials) {
    const auto v = slot_values(p, e, trials);
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  });
  const auto stdev = per_point(r, inner, [&](std::size_t p, std::size_t e, const auto& trials) {
    const auto v = slot_values(p, e, trials);
    if (v.size() < 2) return kNaN;
    const double mu = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double ss = 0;
    for (const double x : v) ss += (x - mu) * (x - mu);
    return std::sqrt(ss / static_cast<double>(v.size() - 1));
  });
  std::vector<double> low(mean.size(), kNaN), high(mean.size(), kNaN);
  std::vector<std::int64_t> n(r.points, 0);
  for (std::size_t p = 0; p < r.points; ++p)
    for (std::size_t t = 0; t < r.trials; ++t) n[p] += r.is_done(p, t) ? 1 : 0;
  for (std::size_t p = 0; p < r.points; ++p)
    for (std::size_t e = 0; e < inner && n[p] > 0; ++e) {
      const std::size_t i = p * inner + e;
      Interval ci{kNaN, kNaN};
      if (m.wilson) {
        double k = 0, total = 0;
        for (std::size_t t = 0; t < r.trials; ++t) {
          if (!r.is_done(p, t)) continue;
          k += value_at(r.array(m.count_path), p * r.trials + t, e);
          total += m.total_path.empty() ? static_cast<double>(m.total_per_slot)
                                        : value_at(r.array(m.total_path), p * r.trials + t, e);
        }
        ci = wilson_interval(k, total);
      } else {
        ci = student_t_interval(mean[i], stdev[i], static_cast<std::size_t>(n[p]));
      }
      low[i] = ci.low;
      high[i] = ci.high;
    }
  const auto shape = with_inner({r.points}, a.inner);
  std::vector<std::string> dims{"point"};
  dims.insert(dims.end(), a.dimensions.begin() + 2, a.dimensions.end());
  auto g = root.require_group("summary/" + m.name);
  for (const auto& [name, values] : {std::pair{"mean", &mean}, {"std", &stdev}, {"ci_low", &low}, {"ci_high", &high}})
    g.write<double>(name, std::span<const double>(*values), shape, a.units, dims);
  g.write<std::int64_t>("n", std::span<const std::int64_t>(n), {r.points}, "1", {"point"});
  g.set_attr("interval", m.wilson ? std::string("wilson 95 %") : std::string("student t 95 %"));
}

void write_ratio(core::h5::Group& root, const StudyResults& r, const StudyResults::Ratio& ratio) {
  const auto& num = r.array(ratio.numerator);
  const auto& den = r.array(ratio.denominator);
  const auto v = per_point(r, num.slot_size(), [&](std::size_t p, std::size_t e, const auto& trials) {
    double a = 0, b = 0;
    for (const auto t : trials) {
      a += value_at(num, p * r.trials + t, e);
      b += value_at(den, p * r.trials + t, e);
    }
    return b > 0 ? a / b : kNaN;
  });
  std::vector<std::string> dims{"point"};
  dims.insert(dims.end(), num.dimensions.begin() + 2, num.dimensions.end());
  root.require_group("diagnostics")
      .write<double>(ratio.name, std::span<const double>(v), with_inner({r.points}, num.inner), "1", dims);
}

}  // namespace

std::size_t SlotArray::slot_size() const {
  return std::accumulate(inner.begin(), inner.end(), std::size_t{1}, std::multiplies<>());
}

StudyResults::StudyResults(std::size_t point_count, std::size_t trial_count)
    : points(point_count), trials(trial_count), done(point_count * trial_count, 0) {}

SlotArray& StudyResults::define(const std::string& path, const std::string& units, bool integer,
                                std::vector<std::size_t> inner, std::vector<std::string> inner_dims) {
  SlotArray a;
  a.path = path;
  a.units = units;
  a.integer = integer;
  a.dimensions = {"point", "trial"};
  a.dimensions.insert(a.dimensions.end(), inner_dims.begin(), inner_dims.end());
  a.inner = std::move(inner);
  const std::size_t n = points * trials * a.slot_size();
  if (integer) a.ints.assign(n, 0);
  else a.real.assign(n, kNaN);
  arrays.push_back(std::move(a));
  return arrays.back();
}

SlotArray& StudyResults::array(const std::string& path) {
  for (auto& a : arrays)
    if (a.path == path) return a;
  throw core::ArgumentError(fmt::format("study results: no array {}", path));
}

const SlotArray& StudyResults::array(const std::string& path) const {
  return const_cast<StudyResults*>(this)->array(path);
}

double* StudyResults::real_slot(const std::string& path, std::size_t point, std::size_t trial) {
  auto& a = array(path);
  return a.real.data() + (point * trials + trial) * a.slot_size();
}

std::int64_t* StudyResults::int_slot(const std::string& path, std::size_t point, std::size_t trial) {
  auto& a = array(path);
  return a.ints.data() + (point * trials + trial) * a.slot_size();
}

std::size_t StudyResults::done_count() const {
  return static_cast<std::size_t>(std::count_if(done.begin(), done.end(), [](auto d) { return d != 0; }));
}

Interval wilson_interval(double k, double n) {
  if (!(n > 0)) return {kNaN, kNaN};
  const double p = k / n, z2 = kZ95 * kZ95;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ95 / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval student_t_interval(double mean, double std, std::size_t n) {
  if (n < 2 || !std::isfinite(std)) return {kNaN, kNaN};
  const boost::math::students_t dist(static_cast<double>(n - 1));
  const double t = boost::math::quantile(boost::math::complement(dist, 0.025));
  const double half = t * std / std::sqrt(static_cast<double>(n));
  return {mean - half, mean + half};
}

void write_study_file(const std::filesystem::path& path, const StudySpec& spec, const StudyResults& r,
                      const StudyProvenance& prov) {
  core::h5::AtomicFile out(path);
  auto& root = out.file();
  core::h5::write_provenance(root, std::string(core::filetypes::kStudy.name),
                             {core::filetypes::kStudy.major, core::filetypes::kStudy.minor}, prov.seed,
                             prov.config_text);
  root.set_attr("name", prov.name);
  root.set_attr("kind", prov.kind);
  root.set_attr("config_hash", prov.config_hash);
  root.set_attr("points", static_cast<std::int64_t>(r.points));
  root.set_attr("trials", static_cast<std::int64_t>(r.trials));
  root.set_attr("slots_done", static_cast<std::int64_t>(r.done_count()));
  write_axes(root, spec);
  write_array(root, "/points/done", r.done, {r.points, r.trials}, "1", {"point", "trial"});
  for (const auto& a : r.arrays) {
    const auto shape = with_inner({r.points, r.trials}, a.inner);
    if (a.integer) write_array(root, a.path, a.ints, shape, a.units, a.dimensions);
    else write_array(root, a.path, a.real, shape, a.units, a.dimensions);
  }
  for (const auto& m : r.summaries) write_summary(root, r, m);
  for (const auto& ratio : r.ratios) write_ratio(root, r, ratio);
  for (const auto& s : r.statics) {
    auto [group, name] = split_path(s.path);
    auto g = root.require_group(group);
    if (!s.strings.empty()) g.write_strings(name, s.strings);
    else g.write_1d(name, s.values, s.units, s.dimension);
  }
  out.commit();
}

std::string read_study_hash(const std::filesystem::path& path) {
  const auto file =
      core::h5::open_cimmc_file(path, std::string(core::filetypes::kStudy.name), core::filetypes::kStudy.major);
  if (!file.has_attr("config_hash"))
    throw core::FormatError(fmt::format("{}: no config_hash attribute", path.string()));
  return file.attr_string("config_hash");
}

void read_study_slots(const std::filesystem::path& path, StudyResults& r) {
  const auto file =
      core::h5::open_cimmc_file(path, std::string(core::filetypes::kStudy.name), core::filetypes::kStudy.major);
  const auto done = file.read<std::uint8_t>("points/done");
  if (done.shape != std::vector<std::size_t>{r.points, r.trials})
    throw core::FormatError(fmt::format("{}: /points/done has shape [{}], the study [{}, {}]", path.string(),
                                        fmt::join(done.shape, ", "), r.points, r.trials));
  for (auto& a : r.arrays) {
    const std::string name = a.path.substr(1);
    const auto expected = with_inner({r.points, r.trials}, a.inner);
    const auto check = [&](const std::vector<std::size_t>& shape) {
      if (shape != expected)
        throw core::FormatError(fmt::format("{}: {} has shape [{}], expected [{}]", path.string(), a.path,
                                            fmt::join(shape, ", "), fmt::join(expected, ", ")));
    };
    if (a.integer) {
      auto v = file.read<std::int64_t>(name);
      check(v.shape);
      a.ints = std::move(v.data);
    } else {
      auto v = file.read<double>(name);
      check(v.shape);
      a.real = std::move(v.data);
    }
  }
  r.done = done.data;
}

}  // namespace cimmc::studies
