// Model files (cimmc.model, docs/formats.md) through network::load_model, by structured
// mutations (hdf5_mutator.hpp) of a valid file: the first byte chooses the base, a small MLP
// written at start-up or data/models/lenet5_fmnist.h5. A model that loads runs a forward pass of
// one image, so a file whose weights do not fit its architecture must be refused on loading.
#include <cstddef>
#include <cstdint>

#include "cimmc/network/model_file.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "hdf5_mutator.hpp"

using namespace cimmc;

namespace {

std::vector<char> make_base_mlp() {
  network::Model m = network::Model::from_spec(network::zoo_spec("mlp", {1, 4, 4}, 3));
  network::initialize_weights(m, 1);
  network::ModelRecord r;
  r.zoo_name = "mlp";
  r.dataset = "fuzz";
  const auto path = fuzz::scratch("base_model.h5");
  network::save_model(path, m, r);
  return fuzz::read_bytes(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<char> bases[2] = {make_base_mlp(),
                                             fuzz::read_bytes(fuzz::source_path("data/models/lenet5_fmnist.h5"))};
  static const auto file = fuzz::scratch("model.h5");
  fuzz::Input in(data, size);
  fuzz::write_mutated(bases[in.byte() % 2], file, in);
  fuzz::expect_success_or_cimmc_error([&] {
    network::ModelRecord record;
    network::Model m = network::load_model(file, &record);
    network::Shape shape{1};
    shape.insert(shape.end(), m.input_shape().begin(), m.input_shape().end());
    const network::Tensor x(shape, 0.5f);
    (void)m.forward(x, network::RunContext{});
  });
  return 0;
}
