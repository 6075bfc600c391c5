// Finite-difference gradient checks shared by the network tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cimmc/core/rng.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::network::nwtest {

inline void fill_normal(Tensor& t, std::uint64_t seed, std::uint64_t element, float scale = 1.0f) {
  cimmc::core::rng::Stream s(seed, {cimmc::core::rng::Purpose::kTest, 0, 0, element});
  for (float& v : t.data) v = scale * static_cast<float>(s.normal());
}

// Loss L = Σ out·R for a fixed random R; checks dL/d(input) and dL/d(every parameter) against
// central differences. Perturbs at most `max_checks` entries of each tensor.
inline void check_model_gradients(Model& model, const Tensor& input, const RunContext& ctx, double eps = 1e-2,
                                  double tol_abs = 2e-3, double tol_rel = 2e-2, int max_checks = 40) {
  const Tensor& out0 = model.forward(input, ctx);
  Tensor R(out0.shape);
  fill_normal(R, 99, 1);
  auto loss = [&](const Tensor& x) {
    const Tensor& o = model.forward(x, ctx);
    double s = 0;
    for (std::size_t i = 0; i < o.size(); ++i) s += static_cast<double>(o.data[i]) * R.data[i];
    return s;
  };
  model.zero_grad();
  loss(input);
  model.backward(R, ctx);
  std::vector<Tensor> grads;
  auto params = model.parameters();
  grads.reserve(params.size());
  for (auto& [name, p] : params) grads.push_back(p->grad);
  for (std::size_t pi = 0; pi < params.size(); ++pi) {
    auto& [name, p] = params[pi];
    const std::size_t n = p->value.size();
    const std::size_t step = std::max<std::size_t>(1, n / max_checks);
    for (std::size_t i = 0; i < n; i += step) {
      const float keep = p->value.data[i];
      p->value.data[i] = keep + static_cast<float>(eps);
      const double lp = loss(input);
      p->value.data[i] = keep - static_cast<float>(eps);
      const double lm = loss(input);
      p->value.data[i] = keep;
      const double numeric = (lp - lm) / (2 * eps);
      const double analytic = grads[pi].data[i];
      EXPECT_NEAR(analytic, numeric, tol_abs + tol_rel * std::abs(numeric)) << name << "[" << i << "]";
    }
  }
}

// The same for one layer, including the gradients with respect to each input.
inline void check_layer_gradients(Layer& layer, std::vector<Tensor> inputs, const RunContext& ctx, double eps = 1e-2,
                                  double tol_abs = 2e-3, double tol_rel = 2e-2, int max_checks = 60) {
  Tensor out;
  auto run = [&](std::vector<Tensor>& ins) {
    std::vector<const Tensor*> p;
    p.reserve(ins.size());
    for (auto& t : ins) p.push_back(&t);
    layer.forward(p, out, ctx);
  };
  run(inputs);
  Tensor R(out.shape);
  fill_normal(R, 98, 2);
  auto loss = [&](std::vector<Tensor>& ins) {
    run(ins);
    double s = 0;
    for (std::size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out.data[i]) * R.data[i];
    return s;
  };
  for (Parameter* p : layer.parameters()) {
    p->grad.resize(p->value.shape);
    p->grad.zero();
  }
  loss(inputs);
  std::vector<Tensor> gin(inputs.size());
  std::vector<const Tensor*> ip;
  std::vector<Tensor*> gp;
  for (std::size_t i = 0; i < inputs.size(); ++i) ip.push_back(&inputs[i]), gp.push_back(&gin[i]);
  layer.backward(ip, out, R, gp, ctx);
  std::vector<Tensor> pgrads;
  for (Parameter* p : layer.parameters()) pgrads.push_back(p->grad);
  auto check = [&](std::vector<float>& values, const std::vector<float>& analytic, const std::string& what) {
    ASSERT_EQ(values.size(), analytic.size()) << what;
    const std::size_t step = std::max<std::size_t>(1, values.size() / max_checks);
    for (std::size_t i = 0; i < values.size(); i += step) {
      const float keep = values[i];
      values[i] = keep + static_cast<float>(eps);
      const double lp = loss(inputs);
      values[i] = keep - static_cast<float>(eps);
      const double lm = loss(inputs);
      values[i] = keep;
      const double numeric = (lp - lm) / (2 * eps);
      EXPECT_NEAR(analytic[i], numeric, tol_abs + tol_rel * std::abs(numeric))
          << layer.kind() << " " << what << "[" << i << "]";
    }
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) check(inputs[i].data, gin[i].data, "input" + std::to_string(i));
  auto params = layer.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) check(params[i]->value.data, pgrads[i].data, params[i]->name);
}

}  // namespace cimmc::network::nwtest
