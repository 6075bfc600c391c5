#include "cimmc/network/model_file.hpp"

#include <fmt/format.h>

#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"

namespace fs = std::filesystem;

namespace cimmc::network {

namespace {

std::vector<std::size_t> dims_of(const Shape& s) { return {s.begin(), s.end()}; }

std::vector<std::string> dim_names(const std::string& param, std::size_t rank) {
  if (param == "weight" && rank == 4) return {"out_channel", "in_channel", "kernel_y", "kernel_x"};
  if (param == "weight" && rank == 2) return {"out_feature", "in_feature"};
  return {"channel"};
}

void write_body(core::h5::File& f, Model& model, const ModelRecord& r) {
  f.write_string("architecture", model.spec());
  auto meta = f.create_group("meta");
  meta.write_string("zoo_name", r.zoo_name);
  meta.write_string("dataset", r.dataset);
  meta.write_string("input_range", "pixel/255 in [0, 1], NCHW");
  auto w = f.create_group("weights");
  for (auto& [name, p] : model.parameters()) {
    const auto slash = name.find('/');
    auto g = w.require_group(name.substr(0, slash));
    const std::string pn = name.substr(slash + 1);
    g.write<float>(pn, std::span<const float>(p->value.data), dims_of(p->value.shape), "1",
                   dim_names(pn, p->value.shape.size()));
  }
  for (auto& [name, t] : model.buffers()) {
    const auto slash = name.find('/');
    auto g = w.require_group(name.substr(0, slash));
    g.write<float>(name.substr(slash + 1), std::span<const float>(t->data), dims_of(t->shape), "1", {"channel"});
  }
  if (model.quantized()) {
    auto q = f.create_group("quantization");
    for (GemmLayer* l : model.gemm_layers()) {
      auto g = q.create_group(l->name());
      g.write_scalar<std::int32_t>("weight_bits", l->quant().weight_bits, "1");
      g.write_scalar<std::int32_t>("activation_bits", l->quant().activation_bits, "1");
      g.write_scalar<float>("activation_scale", l->quant().activation_scale, "1");
      g.write_1d<float>("weight_scales", l->weight_scales(l->quant().weight_bits), "1", "out_channel");
    }
  }
  auto t = f.create_group("training");
  const auto& h = r.training.history;
  std::vector<std::int32_t> epoch;
  std::vector<double> lr, tl, ta, vl, va, sec;
  for (const auto& e : h) {
    epoch.push_back(e.epoch), lr.push_back(e.lr), tl.push_back(e.train_loss), ta.push_back(e.train_accuracy);
    vl.push_back(e.test_loss), va.push_back(e.test_accuracy), sec.push_back(e.seconds);
  }
  t.write_1d<std::int32_t>("epoch", epoch, "1", "epoch");
  t.write_1d<double>("learning_rate", lr, "1", "epoch");
  t.write_1d<double>("train_loss", tl, "1", "epoch");
  t.write_1d<double>("train_accuracy", ta, "1", "epoch");
  t.write_1d<double>("test_loss", vl, "1", "epoch");
  t.write_1d<double>("test_accuracy", va, "1", "epoch");
  t.write_1d<double>("epoch_time_s", sec, "s", "epoch");
}

Model read_body(const core::h5::File& f, ModelRecord* r) {
  const std::string file = f.filesystem_path().string();
  Model model = Model::from_spec(f.read_string("architecture"), file + ":/architecture");
  auto read_into = [&](const std::string& name, Tensor& t) {
    const std::string path = "weights/" + name;
    if (!f.exists(path)) throw core::ModelError(fmt::format("{}: missing dataset /{}", file, path));
    auto a = f.read<float>(path);
    if (a.data.size() != t.size())
      throw core::ModelError(fmt::format("{}: /{} holds {} values, the architecture needs {} ({})", file, path,
                                         a.data.size(), t.size(), shape_text(t.shape)));
    // Weights, biases and batch-norm statistics must be finite: one NaN would spread through
    // every later layer (and a crossbar cannot store it).
    for (std::size_t i = 0; i < a.data.size(); ++i)
      if (!std::isfinite(a.data[i]))
        throw core::ModelError(
            fmt::format("{}: /{} holds {} at element {}: expected finite values", file, path, a.data[i], i));
    t.data = std::move(a.data);
  };
  for (auto& [name, p] : model.parameters()) read_into(name, p->value);
  for (auto& [name, t] : model.buffers()) read_into(name, *t);
  if (f.exists("quantization")) {
    for (GemmLayer* l : model.gemm_layers()) {
      const std::string g = "quantization/" + l->name();
      if (!f.exists(g))
        throw core::ModelError(fmt::format("{}: /quantization has no entry for GEMM layer '{}'", file, l->name()));
      l->quant().enabled = true;
      l->quant().weight_bits = f.read_scalar<std::int32_t>(g + "/weight_bits");
      l->quant().activation_bits = f.read_scalar<std::int32_t>(g + "/activation_bits");
      l->quant().activation_scale = f.read_scalar<float>(g + "/activation_scale");
      const auto& q = l->quant();
      if (q.weight_bits < 2 || q.weight_bits > 8 || q.activation_bits < 1 || q.activation_bits > 8 ||
          !(q.activation_scale >= 0.0f && std::isfinite(q.activation_scale)))
        throw core::ModelError(
            fmt::format("{}: /{}: weight bits {}, activation bits {}, activation scale {}: expected 2..8, "
                        "1..8 and a finite scale >= 0",
                        file, g, q.weight_bits, q.activation_bits, q.activation_scale));
    }
  }
  if (r) {
    r->zoo_name = f.read_string("meta/zoo_name");
    r->dataset = f.read_string("meta/dataset");
    const auto p = core::h5::read_provenance(f);
    r->config = p.config;
    r->seed = p.seed;
    r->training.history.clear();
    const auto epoch = f.read<std::int32_t>("training/epoch").data;
    const auto lr = f.read<double>("training/learning_rate").data;
    const auto tl = f.read<double>("training/train_loss").data;
    const auto ta = f.read<double>("training/train_accuracy").data;
    const auto vl = f.read<double>("training/test_loss").data;
    const auto va = f.read<double>("training/test_accuracy").data;
    const auto sec = f.read<double>("training/epoch_time_s").data;
    // One value per epoch in every history dataset.
    for (const auto* column : {&lr, &tl, &ta, &vl, &va, &sec})
      if (column->size() != epoch.size())
        throw core::FormatError(
            fmt::format("{}: /training: the history datasets hold {} and {} epochs; they must be equal", file,
                        epoch.size(), column->size()));
    for (std::size_t i = 0; i < epoch.size(); ++i)
      r->training.history.push_back({epoch[i], lr[i], tl[i], ta[i], vl[i], va[i], sec[i]});
    r->training.epochs_done = epoch.empty() ? 0 : epoch.back();
  }
  return model;
}

}  // namespace

void save_model(const fs::path& path, Model& model, const ModelRecord& r) {
  core::h5::AtomicFile out(path);
  auto& f = out.file();
  core::h5::write_provenance(f, std::string(core::filetypes::kModel.name),
                             {core::filetypes::kModel.major, core::filetypes::kModel.minor}, r.seed, r.config);
  write_body(f, model, r);
  out.commit();
}

Model load_model(const fs::path& path, ModelRecord* r) {
  const core::h5::File f =
      core::h5::open_cimmc_file(path, std::string(core::filetypes::kModel.name), core::filetypes::kModel.major);
  return read_body(f, r);
}

void save_checkpoint(const fs::path& path, Model& model, const ModelRecord& r, Optimizer& opt) {
  core::h5::AtomicFile out(path);
  auto& f = out.file();
  core::h5::write_provenance(f, std::string(core::filetypes::kCheckpoint.name),
                             {core::filetypes::kCheckpoint.major, core::filetypes::kCheckpoint.minor}, r.seed,
                             r.config);
  write_body(f, model, r);
  auto o = f.create_group("optimizer");
  o.write_scalar<std::int64_t>("steps", static_cast<std::int64_t>(opt.steps()), "1");
  o.write_scalar<std::int32_t>("epochs_done", r.training.epochs_done, "1");
  auto st = o.create_group("state");
  for (const auto& [key, v] : opt.state()) {
    // Keys are "node/param/slot": stored as groups node/param, dataset slot.
    const auto slash = key.rfind('/');
    auto g = st.require_group(key.substr(0, slash));
    g.write_1d<float>(key.substr(slash + 1), v, "1", "element");
  }
  out.commit();
}

Model load_checkpoint(const fs::path& path, ModelRecord& r, Optimizer& opt) {
  const core::h5::File f = core::h5::open_cimmc_file(path, std::string(core::filetypes::kCheckpoint.name),
                                                     core::filetypes::kCheckpoint.major);
  Model m = read_body(f, &r);
  const auto steps = f.read_scalar<std::int64_t>("optimizer/steps");
  const auto epochs_done = f.read_scalar<std::int32_t>("optimizer/epochs_done");
  if (steps < 0 || epochs_done < 0)
    throw core::FormatError(fmt::format("{}: optimizer/steps ({}) and optimizer/epochs_done ({}) must be >= 0",
                                        path.string(), steps, epochs_done));
  opt.set_steps(static_cast<std::uint64_t>(steps));
  r.training.epochs_done = epochs_done;
  opt.state().clear();
  // Optimizer state must fit its parameter: the optimizer indexes it by the parameter's elements
  // (Adam's m and v together), so a short or missing array is refused here.
  for (auto& [name, p] : m.parameters()) {
    for (const char* slot : {"momentum", "m", "v"}) {
      const std::string key = name + "/" + slot, dataset = "optimizer/state/" + key;
      if (!f.exists(dataset)) continue;
      auto values = f.read<float>(dataset).data;
      if (values.size() != p->value.size())
        throw core::FormatError(fmt::format("{}: {} holds {} values, parameter {} has {}", path.string(), dataset,
                                            values.size(), name, p->value.size()));
      for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i]))
          throw core::FormatError(fmt::format("{}: {} holds {} at element {}: expected finite optimizer state",
                                              path.string(), dataset, values[i], i));
      opt.state()[key] = std::move(values);
    }
    if (opt.state().count(name + "/m") != opt.state().count(name + "/v"))
      throw core::FormatError(
          fmt::format("{}: optimizer/state/{}: Adam state needs both 'm' and 'v'", path.string(), name));
  }
  return m;
}

}  // namespace cimmc::network
