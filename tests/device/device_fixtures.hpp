// Parameter sets shared by the device tests.
#pragma once

#include <cmath>

#include "cimmc/device/sot_mtj_params.hpp"

namespace cimmc::device::fixtures {

// A uniaxial perpendicular macrospin without demag, field or current: a 35 nm x 1 nm disk with
// Ms = 1.2e6 A/m and H_K chosen for the given Delta at 300 K (tau_N ~ 1.6 ns at alpha = 1).
inline SotMtjParams uniaxial(double delta, double alpha) {
  SotMtjParams p;
  p.name = "uniaxial_test";
  p.temperature_K = 300.0;
  auto& f = p.free_layer;
  f.saturation_magnetization_A_per_m = 1.2e6;
  f.easy_axis = 2;
  f.damping = alpha;
  f.thickness_m = 1e-9;
  f.length_m = 35e-9;
  f.width_m = 35e-9;
  f.demag_factors = {0, 0, 0};
  const double v = M_PI / 4 * 35e-9 * 35e-9 * 1e-9;
  f.anisotropy_field_A_per_m = 2 * delta * 1.380649e-23 * 300.0 / (1.25663706212e-6 * 1.2e6 * v);
  p.heavy_metal = {0.3, 2e-6, 100e-9, 100e-9, 3e-9};
  p.electrical.resistance_parallel_ohm = 5000;
  p.electrical.tmr = 1.0;
  return p;
}

}  // namespace cimmc::device::fixtures
