// Losses on a model's logits: softmax cross-entropy, knowledge distillation, and the argmax
// of each item.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::network {

double softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor* grad, int* correct) {
  const int B = logits.shape.at(0), C = logits.shape.at(1);
  if (static_cast<int>(labels.size()) != B)
    throw core::ArgumentError(fmt::format("softmax_cross_entropy: {} labels for a batch of {}", labels.size(), B));
  if (grad) grad->resize(logits.shape);
  double loss = 0.0;
  int hits = 0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits.item(b);
    const int y = labels[b];
    if (y < 0 || y >= C)
      throw core::ArgumentError(fmt::format("softmax_cross_entropy: label {} outside 0..{}", y, C - 1));
    int best = 0;
    float zmax = z[0];
    for (int c = 1; c < C; ++c)
      if (z[c] > zmax) zmax = z[c], best = c;
    hits += best == y;
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += std::exp(static_cast<double>(z[c] - zmax));
    const double log_sum = std::log(sum);
    loss += log_sum - (z[y] - zmax);
    if (grad)
      for (int c = 0; c < C; ++c) {
        const double p = std::exp(static_cast<double>(z[c] - zmax) - log_sum);
        grad->item(b)[c] = static_cast<float>((p - (c == y ? 1.0 : 0.0)) / B);
      }
  }
  if (correct) *correct = hits;
  return loss / B;
}

namespace {
// log softmax(z / tau) of C logits into logp.
void log_softmax_tempered(const float* z, int C, double tau, std::vector<double>& logp) {
  float zmax = z[0];
  for (int c = 1; c < C; ++c) zmax = std::max(zmax, z[c]);
  double sum = 0.0;
  for (int c = 0; c < C; ++c) sum += std::exp(logp[c] = static_cast<double>(z[c] - zmax) / tau);
  const double log_sum = std::log(sum);
  for (int c = 0; c < C; ++c) logp[c] -= log_sum;
}
}  // namespace

double distillation_loss(const Tensor& logits, const Tensor& teacher_logits, std::span<const int> labels, double alpha,
                         double temperature, Tensor* grad, int* correct) {
  if (!(alpha >= 0.0 && alpha <= 1.0))
    throw core::ArgumentError(fmt::format("distillation_loss: alpha = {} (expected in [0, 1])", alpha));
  if (!(temperature > 0.0))
    throw core::ArgumentError(fmt::format("distillation_loss: temperature = {} (expected > 0)", temperature));
  if (teacher_logits.shape != logits.shape)
    throw core::ArgumentError(fmt::format("distillation_loss: teacher logits {} for student logits {}",
                                          shape_text(teacher_logits.shape), shape_text(logits.shape)));
  // The hard term and its gradient, (1 − alpha) of them.
  double loss = (1.0 - alpha) * softmax_cross_entropy(logits, labels, grad, correct);
  if (grad)
    for (float& g : grad->data) g = static_cast<float>((1.0 - alpha) * g);
  if (alpha == 0.0) return loss;
  const int B = logits.shape.at(0), C = logits.shape.at(1);
  std::vector<double> ls(C), lt(C);
  double kl = 0.0;
  for (int b = 0; b < B; ++b) {
    log_softmax_tempered(logits.item(b), C, temperature, ls);
    log_softmax_tempered(teacher_logits.item(b), C, temperature, lt);
    for (int c = 0; c < C; ++c) kl += std::exp(lt[c]) * (lt[c] - ls[c]);
    // d/dz_c of τ² · KL(pt ‖ ps) = τ · (ps_c − pt_c).
    if (grad)
      for (int c = 0; c < C; ++c)
        grad->item(b)[c] += static_cast<float>(alpha * temperature * (std::exp(ls[c]) - std::exp(lt[c])) / B);
  }
  return loss + alpha * temperature * temperature * kl / B;
}

std::vector<int> argmax_rows(const Tensor& logits) {
  const int B = logits.shape.at(0), C = logits.shape.at(1);
  std::vector<int> out(B);
  for (int b = 0; b < B; ++b) {
    const float* z = logits.item(b);
    out[b] = static_cast<int>(std::max_element(z, z + C) - z);
  }
  return out;
}

}  // namespace cimmc::network
