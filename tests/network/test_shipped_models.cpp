// The shipped models on the first 1000 Fashion-MNIST test images: files load, float and 8-bit
// integer backend agree, and accuracy is in the expected range (the full test set is checked by
// the slow test).
#include "shipped.hpp"

using namespace cimmc::network;

class ShippedModels : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedModels, FloatAndIntegerExecutorsAgreeOnASubset) {
  if (!nwtest::fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
  if (!std::filesystem::exists(nwtest::shipped(GetParam()))) GTEST_SKIP() << GetParam() << " not shipped";
  const auto a = nwtest::measure(GetParam(), 1000);
  EXPECT_EQ(a.images, 1000);
  // 1000 images: a difference of 1.5 points is about 4 standard errors of a paired difference.
  EXPECT_NEAR(a.int_accuracy, a.float_accuracy, 0.015) << GetParam();
  EXPECT_GT(a.float_accuracy, 0.86) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Network, ShippedModels,
                         ::testing::Values("lenet5_fmnist.h5", "vgg_small_fmnist.h5", "vgg_small_fmnist_w4a4.h5"));
