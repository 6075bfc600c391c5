#include "cimmc/circuit/noise_model.hpp"

namespace cimmc::circuit {

NoiseParams read_noise_params(config::TableReader& t) {
  NoiseParams p;
  t.optional("sigma", p.sigma_fraction);
  t.optional("proportional", p.proportional_fraction);
  t.optional("sense_offset", p.offset_fraction);
  t.check(p.sigma_fraction >= 0.0 && p.sigma_fraction <= 10.0, "sigma",
          "a fraction of full scale in [0, 10] (0.01 = 1 % of full scale)");
  t.check(p.proportional_fraction >= 0.0 && p.proportional_fraction <= 10.0, "proportional",
          "a fraction of the signal in [0, 10]");
  t.check(p.offset_fraction >= 0.0 && p.offset_fraction <= 10.0, "sense_offset",
          "a fraction of full scale in [0, 10]");
  t.finish();
  return p;
}

}  // namespace cimmc::circuit
