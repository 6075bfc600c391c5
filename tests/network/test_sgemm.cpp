// The float GEMM kernel against the obvious triple loop (bit for bit: same reduction chains), and
// Conv2d's packed-im2col forward and backward against direct definitions, on odd sizes that leave
// partial register tiles and panels in every dimension.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include <omp.h>

#include "cimmc/core/rng.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/gemm_layers.hpp"
#include "cimmc/network/model.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/sgemm.hpp"
#include "cimmc/network/train.hpp"
#include "grad_check.hpp"

using namespace cimmc;
using namespace cimmc::network;

namespace {
std::vector<float> random_vector(std::size_t n, std::uint64_t element) {
  cimmc::core::rng::Stream s(11, {cimmc::core::rng::Purpose::kTest, 0, 0, element});
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(s.normal());
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
}  // namespace

TEST(Sgemm, MatchesTheReferenceBitForBitOnOddSizes) {
  const int nr = sgemm::panel_width();
  ASSERT_GT(nr, 0);
  std::uint64_t element = 0;
  for (int M : {1, 3, 7, 8, 9, 17, 33})
    for (int N : {1, 5, nr - 1, nr, nr + 1, 2 * nr + 3, 100})
      for (int K : {1, 2, 9, 31, 144})
        for (bool transposed_a : {false, true})
          for (bool accumulate : {false, true}) {
            SCOPED_TRACE(testing::Message() << "M=" << M << " N=" << N << " K=" << K << " transposed_a=" << transposed_a
                                            << " accumulate=" << accumulate);
            const auto A = random_vector(static_cast<std::size_t>(M) * K, ++element);
            const auto B = random_vector(static_cast<std::size_t>(K) * N, ++element);
            const auto C0 = random_vector(static_cast<std::size_t>(M) * (N + 2), ++element);
            // A's element (m, k): row-major M×K, or the transpose of a row-major K×M.
            const std::ptrdiff_t rs = transposed_a ? 1 : K, cs = transposed_a ? M : 1;
            std::vector<float> packed(sgemm::packed_size(K, N), -1.0f);
            sgemm::pack_b(K, N, B.data(), N, 1, packed.data());
            std::vector<float> C = C0, R = C0;  // leading dimension N + 2: the gap must stay untouched
            sgemm::gemm(M, N, K, A.data(), rs, cs, packed.data(), C.data(), N + 2, accumulate);
            sgemm::gemm_reference(M, N, K, A.data(), rs, cs, B.data(), N, R.data(), N + 2, accumulate);
            ASSERT_TRUE(same_bits(C, R));
            // And close to a double-precision product (the chains are correct, not only equal).
            for (int m = 0; m < M; ++m)
              for (int n = 0; n < N; ++n) {
                double s = accumulate ? C0[static_cast<std::size_t>(m) * (N + 2) + n] : 0.0;
                for (int k = 0; k < K; ++k)
                  s += static_cast<double>(A[m * rs + k * cs]) * B[static_cast<std::size_t>(k) * N + n];
                ASSERT_NEAR(C[static_cast<std::size_t>(m) * (N + 2) + n], s, 1e-4 * (1.0 + std::sqrt(K)));
              }
          }
}

// Every level this CPU runs (AVX-512, AVX2, portable: chosen at run time, forced by CIMMC_KERNEL)
// against its own reference, through each entry point; the two fused levels give the same bits.
TEST(Sgemm, EveryLevelMatchesItsReferenceAndTheFusedLevelsAgree) {
  using cimmc::core::KernelIsa;
  struct Expect {
    KernelIsa isa;
    const char* name;
    int panel_width, panel_rows;
    bool fused;
  };
  const Expect levels[] = {{KernelIsa::kAvx512, "avx512", 32, 8, true},
                           {KernelIsa::kAvx2, "avx2", 16, 6, true},
                           {KernelIsa::kPortable, "portable", 8, 4, false}};
  std::vector<std::vector<float>> fused_results;
  int tested = 0;
  for (const Expect& level : levels) {
    if (!cimmc::core::kernel_isa_supported(level.isa)) continue;
    ++tested;
    const sgemm::Kernels& kern = sgemm::kernels(level.isa);
    EXPECT_STREQ(kern.isa, level.name);
    EXPECT_EQ(kern.panel_width, level.panel_width);
    EXPECT_EQ(kern.panel_rows, level.panel_rows);
    EXPECT_EQ(kern.fused, level.fused);
    const int nr = kern.panel_width;
    std::vector<float> all;  // every output of this level, in order
    std::uint64_t element = 3000;
    for (int M : {1, 7, 9, 17})
      for (int N : {1, 15, 33, 58, 70})  // last tiles of one vector or less and of more
        for (int K : {1, 9, 40}) {
          SCOPED_TRACE(testing::Message() << level.name << " M=" << M << " N=" << N << " K=" << K);
          const auto A = random_vector(static_cast<std::size_t>(M) * K, ++element);
          const auto B = random_vector(static_cast<std::size_t>(K) * N, ++element);
          const auto C0 = random_vector(static_cast<std::size_t>(M) * N, ++element);
          std::vector<float> packed(static_cast<std::size_t>(K) * sgemm::round_up(N, nr), -1.0f);
          kern.pack_b(K, N, B.data(), N, 1, packed.data());
          std::vector<float> R = C0;
          kern.gemm_reference(M, N, K, A.data(), K, 1, B.data(), N, R.data(), N, true);
          std::vector<float> C = C0;
          kern.gemm(M, N, K, A.data(), K, 1, packed.data(), C.data(), N, true);
          ASSERT_TRUE(same_bits(C, R)) << "gemm";
          std::vector<float> Ap(kern.packed_a_size(M, K));
          kern.pack_a(M, K, A.data(), K, 1, Ap.data());
          // Packed a block of panel_rows rows at a time (as a layer packs on several threads).
          std::vector<float> Ab(Ap.size(), -1.0f);
          for (int m0 = 0; m0 < M; m0 += kern.panel_rows)
            kern.pack_a(std::min(kern.panel_rows, M - m0), K, A.data() + static_cast<std::ptrdiff_t>(m0) * K, K, 1,
                        Ab.data() + static_cast<std::ptrdiff_t>(m0) * K);
          ASSERT_TRUE(same_bits(Ab, Ap)) << "pack_a by row blocks";
          C = C0;
          kern.gemm_packed(M, N, K, Ap.data(), packed.data(), C.data(), N, true);
          ASSERT_TRUE(same_bits(C, R)) << "gemm_packed";
          // B's rows read in place: row k at offsets[k] of an array with room for a full panel.
          std::vector<float> base(static_cast<std::size_t>(K) * N + sgemm::round_up(N, nr), 0.0f);
          std::vector<int> offsets(K);
          for (int k = 0; k < K; ++k) {
            offsets[k] = k * N;
            std::copy_n(B.begin() + static_cast<std::ptrdiff_t>(k) * N, N, base.begin() + offsets[k]);
          }
          C = C0;
          kern.gemm_offsets(M, N, K, Ap.data(), base.data(), offsets.data(), C.data(), N, true);
          ASSERT_TRUE(same_bits(C, R)) << "gemm_offsets";
          std::vector<const float*> rows(M);
          for (int m = 0; m < M; ++m) rows[m] = A.data() + static_cast<std::ptrdiff_t>(m) * K;
          C = C0;
          kern.gemm_rows(M, N, K, rows.data(), packed.data(), C.data(), N, true);
          ASSERT_TRUE(same_bits(C, R)) << "gemm_rows";
          all.insert(all.end(), C.begin(), C.end());
        }
    if (level.fused) fused_results.push_back(std::move(all));
  }
  EXPECT_GE(tested, 1);
  for (std::size_t i = 1; i < fused_results.size(); ++i) EXPECT_TRUE(same_bits(fused_results[0], fused_results[i]));
  // The free functions run at the process's level.
  EXPECT_STREQ(sgemm::isa(), sgemm::kernels(cimmc::core::process_kernel_isa()).isa);
}

TEST(Sgemm, PackedLayoutAndStridedPacking) {
  const int K = 5, N = 2 * sgemm::panel_width() + 3, nr = sgemm::panel_width();
  const auto B = random_vector(static_cast<std::size_t>(K) * N, 500);
  std::vector<float> p1(sgemm::packed_size(K, N)), p2(sgemm::packed_size(K, N));
  sgemm::pack_b(K, N, B.data(), N, 1, p1.data());
  // The same matrix read through its transpose's storage.
  std::vector<float> Bt(B.size());
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n) Bt[static_cast<std::size_t>(n) * K + k] = B[static_cast<std::size_t>(k) * N + n];
  sgemm::pack_b(K, N, Bt.data(), 1, K, p2.data());
  EXPECT_TRUE(same_bits(p1, p2));
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < static_cast<int>(sgemm::round_up(N, nr)); ++n)
      EXPECT_EQ(p1[sgemm::packed_index(K, nr, k, n)], n < N ? B[static_cast<std::size_t>(k) * N + n] : 0.0f);
}

// Conv2d forward, weight, bias and input gradients against the direct sums, in double precision.
TEST(Conv2dKernels, ForwardAndBackwardMatchDirectSumsOnOddSizes) {
  struct Case {
    int cin, cout, kernel, stride, padding, H, W, batch;
  };
  const Case cases[] = {{3, 37, 3, 1, 1, 11, 9, 3}, {5, 9, 3, 2, 1, 13, 10, 2}, {2, 33, 1, 2, 0, 9, 7, 2},
                        {1, 6, 5, 1, 2, 8, 12, 9},  {7, 40, 3, 1, 0, 7, 20, 1}, {4, 3, 3, 2, 0, 6, 6, 10},
                        {3, 5, 3, 3, 1, 10, 11, 2}, {2, 4, 2, 3, 0, 8, 7, 1},   {2, 3, 5, 2, 2, 9, 5, 2}};
  std::uint64_t element = 1000;
  for (const Case& t : cases) {
    SCOPED_TRACE(testing::Message() << "cin=" << t.cin << " cout=" << t.cout << " k=" << t.kernel << " s=" << t.stride
                                    << " p=" << t.padding << " " << t.H << "x" << t.W << " batch=" << t.batch);
    Conv2d conv(t.cin, t.cout, t.kernel, t.stride, t.padding, true);
    nwtest::fill_normal(conv.weight().value, 3, ++element);
    nwtest::fill_normal(conv.bias().value, 3, ++element);
    Tensor x({t.batch, t.cin, t.H, t.W});
    nwtest::fill_normal(x, 3, ++element);
    Tensor y;
    const Tensor* in[] = {&x};
    RunContext ctx;
    ctx.training = true;
    conv.forward(in, y, ctx);
    const int OH = (t.H + 2 * t.padding - t.kernel) / t.stride + 1,
              OW = (t.W + 2 * t.padding - t.kernel) / t.stride + 1;
    ASSERT_EQ(y.shape, (Shape{t.batch, t.cout, OH, OW}));
    Tensor g(y.shape);
    nwtest::fill_normal(g, 3, ++element);
    for (auto* p : conv.parameters()) p->grad.resize(p->value.shape), p->grad.zero();
    Tensor gx;
    Tensor* gin[] = {&gx};
    conv.backward(in, y, g, gin, ctx);
    const int k = t.kernel;
    auto wv = [&](int o, int c, int ky, int kx) {
      return conv.weight().value.data[((o * t.cin + c) * k + ky) * k + kx];
    };
    std::vector<double> dw(conv.weight().value.size(), 0.0), db(t.cout, 0.0), dx(x.size(), 0.0);
    for (int n = 0; n < t.batch; ++n)
      for (int o = 0; o < t.cout; ++o)
        for (int oy = 0; oy < OH; ++oy)
          for (int ox = 0; ox < OW; ++ox) {
            double s = conv.bias().value.data[o];
            const double go = g.data[((static_cast<std::size_t>(n) * t.cout + o) * OH + oy) * OW + ox];
            db[o] += go;
            for (int c = 0; c < t.cin; ++c)
              for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx) {
                  const int iy = oy * t.stride - t.padding + ky, ix = ox * t.stride - t.padding + kx;
                  if (iy < 0 || iy >= t.H || ix < 0 || ix >= t.W) continue;
                  const std::size_t xi = ((static_cast<std::size_t>(n) * t.cin + c) * t.H + iy) * t.W + ix;
                  s += static_cast<double>(wv(o, c, ky, kx)) * x.data[xi];
                  dw[((o * t.cin + c) * k + ky) * k + kx] += go * x.data[xi];
                  dx[xi] += go * wv(o, c, ky, kx);
                }
            ASSERT_NEAR(y.data[((static_cast<std::size_t>(n) * t.cout + o) * OH + oy) * OW + ox], s, 1e-4);
          }
    for (std::size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(conv.weight().grad.data[i], dw[i], 2e-4) << "weight " << i;
    for (int o = 0; o < t.cout; ++o) ASSERT_NEAR(conv.bias().grad.data[o], db[o], 1e-4) << "bias " << o;
    ASSERT_EQ(gx.shape, x.shape);
    for (std::size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(gx.data[i], dx[i], 1e-4) << "input " << i;
  }
}

TEST(Sgemm, OffsetRowsMatchTheReferenceBitForBit) {
  // B's row k starts at offsets[k] of one array (rows overlap, as in a convolution).
  const int nr = sgemm::panel_width();
  std::uint64_t element = 700;
  for (int M : {1, 5, 16, 19})
    for (int N : {1, nr - 3, nr, 3 * nr + 7})
      for (int K : {1, 9, 27, 50}) {
        SCOPED_TRACE(testing::Message() << "M=" << M << " N=" << N << " K=" << K);
        std::vector<int> offsets(K);
        for (int k = 0; k < K; ++k) offsets[k] = (k * 7) % 23 + 3 * k;
        const int last = *std::max_element(offsets.begin(), offsets.end());
        const auto base = random_vector(last + sgemm::round_up(N, nr), ++element);
        const auto A = random_vector(static_cast<std::size_t>(M) * K, ++element);
        std::vector<float> B(static_cast<std::size_t>(K) * N);
        for (int k = 0; k < K; ++k)
          for (int n = 0; n < N; ++n) B[static_cast<std::size_t>(k) * N + n] = base[offsets[k] + n];
        std::vector<float> Ap(sgemm::packed_a_size(M, K));
        sgemm::pack_a(M, K, A.data(), K, 1, Ap.data());
        std::vector<float> C(static_cast<std::size_t>(M) * N, 1.0f), R = C;
        sgemm::gemm_offsets(M, N, K, Ap.data(), base.data(), offsets.data(), C.data(), N, false);
        sgemm::gemm_reference(M, N, K, A.data(), K, 1, B.data(), N, R.data(), N, false);
        ASSERT_TRUE(same_bits(C, R));
      }
}

// Forward and backward of the convolution paths (stride 1 and 2; the backward's implicit and im2col paths) and of
// batch norm give the same bits for any number of threads.
TEST(Conv2dKernels, ResultsDoNotDependOnThreadCount) {
  const Model proto = Model::from_spec(
      "input input - channels=3 height=12 width=12\n"
      "c1 conv2d input out=20 kernel=3 stride=1 padding=1 bias=1\nb1 batchnorm c1\nr1 relu b1\n"
      "c2 conv2d r1 out=17 kernel=3 stride=2 padding=1 bias=0\nb2 batchnorm c2\nr2 relu b2\n"
      "c3 conv2d r2 out=9 kernel=1 stride=1 padding=0 bias=0\nf flatten c3\nfc linear f out=5\n");
  Tensor x({19, 3, 12, 12});
  nwtest::fill_normal(x, 5, 1);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    Model m = proto.clone();
    initialize_weights(m, 3);
    m.zero_grad();
    RunContext ctx;
    ctx.training = true;
    const Tensor& y = m.forward(x, ctx);
    std::vector<float> r = y.data;
    Tensor g(y.shape);
    nwtest::fill_normal(g, 5, 2);
    m.backward(g, ctx);
    for (auto& [name, p] : m.parameters()) r.insert(r.end(), p->grad.data.begin(), p->grad.data.end());
    results.push_back(std::move(r));
  }
  omp_set_num_threads(2);
  EXPECT_TRUE(same_bits(results[0], results[1]));
  EXPECT_TRUE(same_bits(results[0], results[2]));
}

TEST(Sgemm, RowPointersMatchTheReferenceBitForBit) {
  const int nr = sgemm::panel_width();
  std::uint64_t element = 900;
  for (int M : {1, 7, 8, 13, 26})
    for (int N : {1, nr - 1, nr + 5})
      for (int K : {1, 10, 63}) {
        SCOPED_TRACE(testing::Message() << "M=" << M << " N=" << N << " K=" << K);
        const auto base = random_vector(static_cast<std::size_t>(M) * 5 + K, ++element);
        std::vector<const float*> rows(M);
        std::vector<float> A(static_cast<std::size_t>(M) * K);
        for (int m = 0; m < M; ++m) {
          rows[m] = base.data() + (m * 3) % (M + 1);  // overlapping rows
          for (int k = 0; k < K; ++k) A[static_cast<std::size_t>(m) * K + k] = rows[m][k];
        }
        const auto B = random_vector(static_cast<std::size_t>(K) * N, ++element);
        std::vector<float> packed(sgemm::packed_size(K, N));
        sgemm::pack_b(K, N, B.data(), N, 1, packed.data());
        const auto C0 = random_vector(static_cast<std::size_t>(M) * N, ++element);
        std::vector<float> C = C0, R = C0;
        sgemm::gemm_rows(M, N, K, rows.data(), packed.data(), C.data(), N, true);
        sgemm::gemm_reference(M, N, K, A.data(), K, 1, B.data(), N, R.data(), N, true);
        ASSERT_TRUE(same_bits(C, R));
      }
}

// Inference fuses conv → batchnorm (→ add) (→ relu) into one pass; every node's output must be
// what the layers compute one after the other.
namespace {
// Every fused pattern, with inputs of either sign.
constexpr const char* kFusableSpec =
    "input input - channels=3 height=10 width=10\n"
    "c1 conv2d input out=12 kernel=3 stride=1 padding=1 bias=1\nb1 batchnorm c1\nr1 relu b1\n"
    "c2 conv2d r1 out=8 kernel=3 stride=2 padding=1 bias=0\nb2 batchnorm c2\n"
    "c3 conv2d b2 out=8 kernel=1 stride=1 padding=0 bias=0\nb3 batchnorm c3\nr3 relu b3\na add r3,b2\n"
    // residual blocks: conv → batchnorm → add (either order) → relu, or no relu
    "c4 conv2d a out=8 kernel=3 stride=1 padding=1 bias=0\nb4 batchnorm c4\na4 add b4,a\nr4 relu a4\n"
    "c5 conv2d r4 out=8 kernel=3 stride=1 padding=1 bias=1\nb5 batchnorm c5\na5 add r4,b5\n"
    "c6 conv2d a5 out=8 kernel=1 stride=2 padding=0 bias=0\nb6 batchnorm c6\n"
    "c7 conv2d a5 out=8 kernel=3 stride=2 padding=1 bias=0\nb7 batchnorm c7\na7 add b6,b7\nr7 relu a7\n"
    "f flatten r7\nfc linear f out=4\n";
// ResNet-like: every convolution reads a ReLU's output (as unsigned activation codes need), an
// identity and a projection block.
constexpr const char* kResidualSpec =
    "input input - channels=3 height=10 width=10\n"
    "c1 conv2d input out=8 kernel=3 stride=1 padding=1 bias=0\nb1 batchnorm c1\nr1 relu b1\n"
    "c2 conv2d r1 out=8 kernel=3 stride=1 padding=1 bias=0\nb2 batchnorm c2\na2 add b2,r1\nr2 relu a2\n"
    "c3 conv2d r2 out=12 kernel=3 stride=2 padding=1 bias=0\nb3 batchnorm c3\nr3 relu b3\n"
    "c4 conv2d r3 out=12 kernel=3 stride=1 padding=1 bias=0\nb4 batchnorm c4\n"
    "c5 conv2d r2 out=12 kernel=1 stride=2 padding=0 bias=0\nb5 batchnorm c5\na5 add b4,b5\nr5 relu a5\n"
    "f flatten r5\nfc linear f out=4\n";
Model fusable_model(const char* spec) {
  Model m = Model::from_spec(spec);
  initialize_weights(m, 8);
  std::uint64_t element = 40;
  for (auto& [name, t] : m.buffers()) {
    nwtest::fill_normal(*t, 9, ++element, 0.3f);
    if (name.find("running_var") != std::string::npos)
      for (float& v : t->data) v = std::abs(v) + 0.5f;
  }
  for (auto& [name, p] : m.parameters()) nwtest::fill_normal(p->value, 9, ++element, 0.5f);
  return m;
}
void expect_fused_equals_separate(Model& m, const Tensor& x, const RunContext& ctx) {
  m.forward(x, ctx);
  std::vector<Tensor> separate(m.nodes().size());
  separate[0] = x;
  for (std::size_t i = 1; i < m.nodes().size(); ++i) {
    std::vector<const Tensor*> ins;
    for (int j : m.nodes()[i].inputs) ins.push_back(&separate[j]);
    m.nodes()[i].layer->forward(ins, separate[i], ctx);
  }
  for (std::size_t i = 1; i < m.nodes().size(); ++i) {
    SCOPED_TRACE(m.nodes()[i].name);
    EXPECT_EQ(m.activation(static_cast<int>(i)).shape, separate[i].shape);
    EXPECT_TRUE(same_bits(m.activation(static_cast<int>(i)).data, separate[i].data));
  }
}
}  // namespace

TEST(Conv2dKernels, FusedInferenceGivesEveryNodeTheSeparateLayersValues) {
  for (const char* spec : {kFusableSpec, kResidualSpec}) {
    Model m = fusable_model(spec);
    Tensor x({5, 3, 10, 10});
    nwtest::fill_normal(x, 9, 1);
    expect_fused_equals_separate(m, x, RunContext{});
  }
}

// The integer path (quantized convolutions, batch norm not folded) applies the same maps after
// the integer product.
TEST(Conv2dKernels, FusedIntegerInferenceGivesEveryNodeTheSeparateLayersValues) {
  Model m = fusable_model(kResidualSpec);
  Dataset d;
  d.channels = 3, d.height = d.width = 10, d.classes = 4;
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> pixel(0, 255);
  d.pixels.resize(8 * d.image_size());
  for (auto& p : d.pixels) p = static_cast<std::uint8_t>(pixel(gen));
  d.labels.assign(8, 0);
  QuantOptions q;
  q.calibration_images = 8;
  calibrate(m, d, q);
  Tensor x;
  std::vector<int> labels;
  const std::vector<int> first{0, 1, 2, 3, 4};
  make_batch(d, first, x, labels);
  RunContext ctx;
  ctx.mode = ExecMode::kInteger;
  expect_fused_equals_separate(m, x, ctx);
}
