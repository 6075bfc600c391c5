// The affine map x = scale·PS + offset that puts a partial sum on the stochastic readout's
// normalized axis x in [-1, 1] (clamped), and its inverse.
#pragma once

#include <algorithm>

namespace cimmc::circuit {

struct AffineMap {
  double scale = 1.0, offset = 0.0;
  double x_of(double ps) const { return std::clamp(scale * ps + offset, -1.0, 1.0); }
  double ps_of(double x) const { return (x - offset) / scale; }
};

}  // namespace cimmc::circuit
