#include "cimmc/device/macrospin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "cimmc/core/constants.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/rng_batch.hpp"

namespace cimmc::device {

namespace c = cimmc::core::constants;

double Waveform::shape(double t) const {
  t -= settle_time_s;
  if (t < 0) return 0.0;
  if (t < rise_time_s) return t / rise_time_s;
  t -= rise_time_s;
  if (t <= pulse_width_s) return 1.0;
  t -= pulse_width_s;
  if (t < fall_time_s) return 1.0 - t / fall_time_s;
  return 0.0;
}

double thermal_field_sigma_A_per_m(const SotMtjParams& p, double dt) {
  const auto d = derive(p);
  const double alpha = p.free_layer.damping;
  return std::sqrt(
      2.0 * alpha * c::kBoltzmann_J_per_K * p.temperature_K /
      (c::kGamma0_m_per_A_s * c::kMu0_H_per_m * p.free_layer.saturation_magnetization_A_per_m * d.volume_m3 * dt));
}

double relaxation_time_s(const SotMtjParams& p) {
  const double a = p.free_layer.damping;
  return (1.0 + a * a) / (a * c::kGamma0_m_per_A_s * derive(p).effective_anisotropy_field_A_per_m);
}

double recommended_time_step_s(const SotMtjParams& p, double max_current_A) {
  const auto d = derive(p);
  const double ms = p.free_layer.saturation_magnetization_A_per_m;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (int j = 0; j < 3; ++j) {
    const double e =
        -ms * p.free_layer.demag_factors[j] + (j == p.free_layer.easy_axis ? d.anisotropy_field_A_per_m : 0.0);
    lo = std::min(lo, e);
    hi = std::max(hi, e);
  }
  const auto& h = p.external_field_A_per_m;
  const double h_scale =
      (hi - lo) + std::hypot(h[0], h[1], h[2]) +
      std::abs(d.damping_like_field_A_per_m_per_A * max_current_A) * (1.0 + std::abs(p.field_like_ratio));
  return std::min(1e-12, 0.05 / (c::kGamma0_m_per_A_s * h_scale));
}

Vec3 equilibrium_direction(const SotMtjParams& p, int direction) {
  if (direction != 1 && direction != -1)
    throw core::ArgumentError(fmt::format("equilibrium_direction: direction {} must be +1 or -1", direction));
  const auto d = derive(p);
  const auto& f = p.free_layer;
  const int axis = f.easy_axis;
  const double ms = f.saturation_magnetization_A_per_m;
  const auto& h = p.external_field_A_per_m;
  double n[3];
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (int j = 0; j < 3; ++j) {
    n[j] = ms * f.demag_factors[j] - (j == axis ? d.anisotropy_field_A_per_m : 0.0);
    lo = std::min(lo, n[j]);
    hi = std::max(hi, n[j]);
  }
  // The largest curvature of the energy on the sphere is below this field scale, so a step of
  // 0.5 / scale is stable; the tilt off the axis keeps the flow off a saddle (a field along -u).
  const double scale = (hi - lo) + std::hypot(h[0], h[1], h[2]);
  Vec3 m{};
  m[axis] = direction;
  m[(axis + 1) % 3] = 1e-3;
  m[(axis + 2) % 3] = 0.7e-3;
  if (!(scale > 0)) {
    m = {};
    m[axis] = direction;
    return m;
  }
  const double eta = 0.5 / scale;
  bool converged = false;
  for (int it = 0; it < 2000000 && !converged; ++it) {
    const double inv = 1.0 / std::sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
    for (double& x : m) x *= inv;
    const double H[3] = {h[0] - n[0] * m[0], h[1] - n[1] * m[1], h[2] - n[2] * m[2]};
    const double mh = m[0] * H[0] + m[1] * H[1] + m[2] * H[2];
    double t2 = 0;
    for (int j = 0; j < 3; ++j) {
      const double t = H[j] - mh * m[j];  // -(gradient of E on the sphere) / (mu0 Ms V)
      t2 += t * t;
      m[j] += eta * t;
    }
    converged = std::sqrt(t2) < 1e-13 * scale;
  }
  const double inv = 1.0 / std::sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
  for (double& x : m) x *= inv;
  if (!converged)
    throw core::ModelError(
        fmt::format("device '{}': the zero-temperature equilibrium near the easy axis did not converge", p.name));
  // A field at or beyond the anisotropy puts the minimum on the equator (m . u -> 0): no state.
  if (!(direction * m[axis] > 1e-6))
    throw core::ModelError(
        fmt::format("device '{}': the bias field ({}, {}, {}) A/m leaves no stable state with m along {}{} "
                    "(the equilibrium reached has m . u = {:.3g})",
                    p.name, h[0], h[1], h[2], direction > 0 ? "+" : "-", "xyz"[axis], m[axis]));
  return m;
}

namespace {

constexpr std::size_t kB = kBlockLanes;
constexpr int kStepsPerGroup = 4;  // 3 Philox calls = 12 normals = 4 steps
constexpr int kNormalsPerGroup = 3 * kStepsPerGroup;

// Scalars of the LL right-hand side, fixed for a run. Fields are pre-multiplied by
// w = gamma' dt (gamma' = gamma0 / (1 + alpha^2)), so the right-hand side below is directly the
// increment of m over one step; the easy axis is a coordinate axis, so anisotropy folds into
// the diagonal demag term: H_i = h_i - n_i m_i with n_i = Ms N_i - H_K [i = axis].
struct Coefficients {
  double alpha;
  double ux, uy, uz;  // easy axis (for the switching test)
  double nx, ny, nz;  // w (Ms N_i - H_K [i = axis])
  double hx, hy, hz;  // w H_ext
  double sx, sy, sz;  // spin polarization
  double cp;          // precession-term SOT coefficient per unit H_DL: xi - alpha
  double cd;          // damping-term SOT coefficient per unit H_DL: 1 + alpha xi
  double sigma_th;    // w * thermal field per unit normal
  double w;           // gamma' dt
};

struct Block {
  alignas(64) double mx[kB], my[kB], mz[kB];
  alignas(64) double hdl[kB];  // gamma' dt H_DL per unit waveform shape
  alignas(64) double tsw[kB];
  alignas(64) std::uint32_t c1[kB], c2[kB];
  alignas(64) std::uint32_t words[kNormalsPerGroup][kB];
  alignas(64) float nrm[kNormalsPerGroup][kB];
};

// dm/dt = -gp [ m x P + m x (m x D) ], P = H + cp h sigma, D = alpha H + cd h sigma, written out
// so that the loop over lanes vectorizes.
// Delta m = -[ m x P + m x (m x D) ], P = H + cp h sigma, D = alpha H + cd h sigma (all scaled
// by gamma' dt), written out so that the loop over lanes vectorizes.
#define CIMMC_LL_RHS(MX, MY, MZ, HDL, TX, TY, TZ, OX, OY, OZ)                                                          \
  {                                                                                                                    \
    const double Hx_ = k.hx - k.nx * (MX) + (TX);                                                                      \
    const double Hy_ = k.hy - k.ny * (MY) + (TY);                                                                      \
    const double Hz_ = k.hz - k.nz * (MZ) + (TZ);                                                                      \
    const double pc_ = k.cp * (HDL), dc_ = k.cd * (HDL);                                                               \
    const double Px_ = Hx_ + pc_ * k.sx, Py_ = Hy_ + pc_ * k.sy, Pz_ = Hz_ + pc_ * k.sz;                               \
    const double Dx_ = k.alpha * Hx_ + dc_ * k.sx, Dy_ = k.alpha * Hy_ + dc_ * k.sy, Dz_ = k.alpha * Hz_ + dc_ * k.sz; \
    const double mD_ = (MX)*Dx_ + (MY)*Dy_ + (MZ)*Dz_;                                                                 \
    const double mm_ = (MX) * (MX) + (MY) * (MY) + (MZ) * (MZ);                                                        \
    (OX) = Dx_ * mm_ - (MX)*mD_ - ((MY)*Pz_ - (MZ)*Py_);                                                               \
    (OY) = Dy_ * mm_ - (MY)*mD_ - ((MZ)*Px_ - (MX)*Pz_);                                                               \
    (OZ) = Dz_ * mm_ - (MZ)*mD_ - ((MX)*Py_ - (MY)*Px_);                                                               \
  }

// Twelve normals per lane for one group: three Philox calls per lane (counter word 0 = 3 * group +
// call), then Box-Muller on word pairs (core/rng_batch.hpp).
void fill_normals(Block& b, std::uint32_t group, std::uint32_t c3, core::rng::Key key) {
  for (int call = 0; call < 3; ++call) {
    const core::rng::LaneCounters counters{group * 3u + static_cast<std::uint32_t>(call), b.c1, b.c2, c3};
    core::rng::philox_lanes(key, counters, kB, b.words[4 * call], b.words[4 * call + 1], b.words[4 * call + 2],
                            b.words[4 * call + 3]);
  }
  for (int pair = 0; pair < kNormalsPerGroup / 2; ++pair)
    core::rng::normal_pairs(b.words[2 * pair], b.words[2 * pair + 1], kB, b.nrm[2 * pair], b.nrm[2 * pair + 1]);
}

// One stochastic Heun step of all lanes with thermal normals (gx, gy, gz); s0, s1 the waveform
// shape at the start and end of the step. Returns nothing; first switching times are updated.
// The norm after a step differs from 1 by e = |m|^2 - 1 of order (gamma H dt)^2, so three Newton
// steps for 1/sqrt(1 + e) from 1 reach round-off while |e| <= kNewtonRange, without the divider.
// A lane outside that range (a very large step) is renormalized exactly afterwards.
constexpr double kNewtonRange = 1e-2;

inline void heun_step(Block& b, const Coefficients& k, const float* gx, const float* gy, const float* gz, double s0,
                      double s1, double t_end, double dir, double threshold) {
  double worst = 0.0;
#pragma omp simd reduction(max : worst)
  for (std::size_t i = 0; i < kB; ++i) {
    const double mx = b.mx[i], my = b.my[i], mz = b.mz[i];
    const double tx = k.sigma_th * gx[i], ty = k.sigma_th * gy[i], tz = k.sigma_th * gz[i];
    const double h0 = s0 * b.hdl[i], h1 = s1 * b.hdl[i];
    double ax, ay, az, bx, by, bz;
    CIMMC_LL_RHS(mx, my, mz, h0, tx, ty, tz, ax, ay, az);
    const double px = mx + ax, py = my + ay, pz = mz + az;
    CIMMC_LL_RHS(px, py, pz, h1, tx, ty, tz, bx, by, bz);
    double nx = mx + 0.5 * (ax + bx), ny = my + 0.5 * (ay + by), nz = mz + 0.5 * (az + bz);
    const double n2 = nx * nx + ny * ny + nz * nz;
    const double h = 0.5 * n2;
    double inv = 1.5 - h;
    inv = inv * (1.5 - h * inv * inv);
    inv = inv * (1.5 - h * inv * inv);
    worst = std::max(worst, std::abs(n2 - 1.0));
    nx *= inv;
    ny *= inv;
    nz *= inv;
    b.mx[i] = nx;
    b.my[i] = ny;
    b.mz[i] = nz;
    const double proj = dir * (k.ux * nx + k.uy * ny + k.uz * nz);
    const bool first = proj < -threshold && b.tsw[i] != b.tsw[i];
    b.tsw[i] = first ? t_end : b.tsw[i];
  }
  if (worst > kNewtonRange) [[unlikely]] {
    // Exact renormalization (Newton from 1 has not converged for some lane). The switching test
    // above used the approximate m; at such step sizes the result is inaccurate anyway.
    for (std::size_t i = 0; i < kB; ++i) {
      const double inv = 1.0 / std::sqrt(b.mx[i] * b.mx[i] + b.my[i] * b.my[i] + b.mz[i] * b.mz[i]);
      b.mx[i] *= inv;
      b.my[i] *= inv;
      b.mz[i] *= inv;
    }
  }
}

Coefficients coefficients(const SotMtjParams& p, double dt) {
  const auto d = derive(p);
  const auto& f = p.free_layer;
  Coefficients k{};
  k.alpha = f.damping;
  k.w = c::kGamma0_m_per_A_s / (1.0 + k.alpha * k.alpha) * dt;
  const double hk = d.anisotropy_field_A_per_m;
  k.ux = f.easy_axis == 0;
  k.uy = f.easy_axis == 1;
  k.uz = f.easy_axis == 2;
  const double ms = f.saturation_magnetization_A_per_m;
  k.nx = k.w * (ms * f.demag_factors[0] - hk * k.ux);
  k.ny = k.w * (ms * f.demag_factors[1] - hk * k.uy);
  k.nz = k.w * (ms * f.demag_factors[2] - hk * k.uz);
  k.hx = k.w * p.external_field_A_per_m[0];
  k.hy = k.w * p.external_field_A_per_m[1];
  k.hz = k.w * p.external_field_A_per_m[2];
  k.sx = p.spin_polarization[0];
  k.sy = p.spin_polarization[1];
  k.sz = p.spin_polarization[2];
  k.cp = p.field_like_ratio - k.alpha;
  k.cd = 1.0 + k.alpha * p.field_like_ratio;
  k.sigma_th = p.temperature_K > 0 ? k.w * thermal_field_sigma_A_per_m(p, dt) : 0.0;
  return k;
}

}  // namespace

MacrospinResult simulate(const SotMtjParams& p, const Waveform& w, std::span<const double> amplitude_A,
                         const SolverSettings& s) {
  const double dt = s.time_step_s;
  if (!(dt > 0) || !std::isfinite(dt))
    throw core::ArgumentError(fmt::format("macrospin: time step {} s must be > 0", dt));
  for (double x : {w.settle_time_s, w.rise_time_s, w.pulse_width_s, w.fall_time_s, w.relax_time_s})
    if (!(x >= 0) || !std::isfinite(x))
      throw core::ArgumentError(fmt::format("macrospin: waveform time {} s must be >= 0", x));
  if (s.initial_direction != 1 && s.initial_direction != -1)
    throw core::ArgumentError(fmt::format("macrospin: initial_direction {} must be +1 or -1", s.initial_direction));
  const std::size_t n = amplitude_A.size();
  if (n > 0 && s.first_element + n - 1 > core::rng::kMaxElement)
    throw core::ArgumentError("macrospin: trajectory elements exceed the random-stream address range");
  const double steps_real = std::ceil(w.total_time_s() / dt - 1e-9);
  if (steps_real > 4.0e9)
    throw core::ArgumentError(fmt::format("macrospin: {} steps is too many (at most 4e9)", steps_real));
  const std::size_t steps = static_cast<std::size_t>(std::max(0.0, steps_real));

  const Coefficients k = coefficients(p, dt);
  const double h_per_A = derive(p).damping_like_field_A_per_m_per_A;
  const core::rng::Key key = core::rng::key_from_seed(s.seed);
  const bool thermal = k.sigma_th > 0;
  const double dir = s.initial_direction;
  Vec3 m0{dir * k.ux, dir * k.uy, dir * k.uz};
  if (s.initial_m) {
    const auto& v = *s.initial_m;
    const double norm = std::hypot(v[0], v[1], v[2]);
    if (!(norm > 0) || !std::isfinite(norm))
      throw core::ArgumentError(
          fmt::format("macrospin: initial_m ({}, {}, {}) must be a finite non-zero vector", v[0], v[1], v[2]));
    m0 = {v[0] / norm, v[1] / norm, v[2] / norm};
  }
  if (!(s.switch_detect_from_s >= 0) || !std::isfinite(s.switch_detect_from_s))
    throw core::ArgumentError(fmt::format("macrospin: switch_detect_from_s {} s must be >= 0", s.switch_detect_from_s));
  const std::size_t rec_every = s.record_every_steps;
  const std::size_t rec_traj = rec_every > 0 ? std::min(s.record_trajectories, n) : 0;
  const std::size_t rec_samples = rec_traj > 0 ? steps / rec_every + 1 : 0;

  MacrospinResult r;
  r.trajectories = n;
  r.steps = steps;
  r.time_step_s = dt;
  r.mx.resize(n);
  r.my.resize(n);
  r.mz.resize(n);
  r.first_switch_time_s.resize(n);
  r.switched.resize(n);
  r.record_m.resize(rec_traj * rec_samples * 3);
  for (std::size_t j = 0; j < rec_samples; ++j) r.record_time_s.push_back(static_cast<double>(j * rec_every) * dt);

  const std::size_t blocks = (n + kB - 1) / kB;
  core::ExceptionCapture capture;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t blk = 0; blk < blocks; ++blk) {
    capture.run([&] {
      auto b = std::make_unique<Block>();
      const std::size_t first = blk * kB;
      const std::size_t lanes = std::min(kB, n - first);
      std::uint32_t c3 = 0;
      for (std::size_t i = 0; i < kB; ++i) {
        const double amp = i < lanes ? amplitude_A[first + i] : 0.0;
        b->hdl[i] = k.w * amp * h_per_A;
        b->mx[i] = m0[0];
        b->my[i] = m0[1];
        b->mz[i] = m0[2];
        b->tsw[i] = std::numeric_limits<double>::quiet_NaN();
        // Padding lanes reuse the last real lane's stream; their results are discarded.
        const std::uint64_t element = s.first_element + first + std::min(i, lanes - 1);
        const core::rng::Counter ctr =
            core::rng::stream_counter({core::rng::Purpose::kThermalField, s.point, s.trial, element}, 0);
        b->c1[i] = ctr[1];
        b->c2[i] = ctr[2];
        c3 = ctr[3];
      }
      if (!thermal)
        for (auto& row : b->nrm) std::fill(std::begin(row), std::end(row), 0.0f);
      auto record = [&](std::size_t sample) {
        for (std::size_t i = 0; i < lanes && first + i < rec_traj; ++i) {
          double* o = &r.record_m[((first + i) * rec_samples + sample) * 3];
          o[0] = b->mx[i];
          o[1] = b->my[i];
          o[2] = b->mz[i];
        }
      };
      const bool recording = first < rec_traj;
      if (recording) record(0);
      std::size_t step = 0;
      double shape_start = w.shape(0.0);
      for (std::uint32_t group = 0; step < steps; ++group) {
        if (thermal) fill_normals(*b, group, c3, key);
        for (int sub = 0; sub < kStepsPerGroup && step < steps; ++sub, ++step) {
          const double t_end = static_cast<double>(step + 1) * dt;
          const double shape_end = w.shape(t_end);
          // Before switch_detect_from_s no crossing counts (an infinite threshold).
          const double threshold =
              t_end > s.switch_detect_from_s ? s.switch_threshold : std::numeric_limits<double>::infinity();
          heun_step(*b, k, b->nrm[3 * sub], b->nrm[3 * sub + 1], b->nrm[3 * sub + 2], shape_start, shape_end, t_end,
                    dir, threshold);
          shape_start = shape_end;
          if (recording && (step + 1) % rec_every == 0) record((step + 1) / rec_every);
        }
        if (s.stop_when_all_switched) {
          bool all = true;
          for (std::size_t i = 0; i < lanes; ++i) all &= !std::isnan(b->tsw[i]);
          if (all) break;
        }
      }
      for (std::size_t i = 0; i < lanes; ++i) {
        const std::size_t t = first + i;
        r.mx[t] = b->mx[i];
        r.my[t] = b->my[i];
        r.mz[t] = b->mz[i];
        r.first_switch_time_s[t] = b->tsw[i];
        r.switched[t] = dir * (k.ux * b->mx[i] + k.uy * b->my[i] + k.uz * b->mz[i]) < 0 ? 1 : 0;
      }
    });
  }
  capture.rethrow();
  return r;
}

}  // namespace cimmc::device
