// Training checkpoints (cimmc.checkpoint, docs/formats.md) through network::load_checkpoint, by
// structured mutations (hdf5_mutator.hpp) of a valid checkpoint of a small MLP with Adam state
// written at start-up. A checkpoint that loads takes one optimizer step, as resumed training
// does, so optimizer state that does not fit the parameters must be refused on loading.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "cimmc/network/model_file.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "hdf5_mutator.hpp"

using namespace cimmc;

namespace {

network::TrainConfig adam() {
  network::TrainConfig c;
  c.optimizer = "adam";
  return c;
}

void set_gradients(network::Model& m) {
  for (auto& [name, p] : m.parameters()) {
    p->grad.resize(p->value.shape);
    std::fill(p->grad.data.begin(), p->grad.data.end(), 0.5f);
  }
}

std::vector<char> make_base() {
  network::Model m = network::Model::from_spec(network::zoo_spec("mlp", {1, 4, 4}, 3));
  network::initialize_weights(m, 1);
  network::Optimizer opt(adam());
  set_gradients(m);
  auto params = m.parameters();
  opt.step(params, 0.01);
  network::ModelRecord r;
  r.zoo_name = "mlp";
  r.dataset = "fuzz";
  r.training.epochs_done = 1;
  const auto path = fuzz::scratch("base_checkpoint.h5");
  network::save_checkpoint(path, m, r, opt);
  return fuzz::read_bytes(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<char> base = make_base();
  static const auto file = fuzz::scratch("checkpoint.h5");
  fuzz::Input in(data, size);
  fuzz::write_mutated(base, file, in);
  fuzz::expect_success_or_cimmc_error([&] {
    network::ModelRecord record;
    network::Optimizer opt(adam());
    network::Model m = network::load_checkpoint(file, record, opt);
    set_gradients(m);
    auto params = m.parameters();
    opt.step(params, 0.01);
  });
  return 0;
}
