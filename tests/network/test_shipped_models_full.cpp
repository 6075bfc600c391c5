// The shipped models on all 10 000 Fashion-MNIST test images: the accuracies the issue requires.
#include "shipped.hpp"

using namespace cimmc::network;

TEST(ShippedModelsFull, AccuraciesOnTheFullTestSet) {
  if (!nwtest::fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
  const auto lenet = nwtest::measure("lenet5_fmnist.h5", 0);
  EXPECT_GE(lenet.float_accuracy, 0.90);
  EXPECT_NEAR(lenet.int_accuracy, lenet.float_accuracy, 0.005);
  const auto vgg = nwtest::measure("vgg_small_fmnist.h5", 0);
  EXPECT_GE(vgg.float_accuracy, 0.92);
  EXPECT_NEAR(vgg.int_accuracy, vgg.float_accuracy, 0.005);
  if (std::filesystem::exists(nwtest::shipped("vgg_small_fmnist_w4a4.h5"))) {
    const auto w4 = nwtest::measure("vgg_small_fmnist_w4a4.h5", 0);
    EXPECT_GE(w4.int_accuracy, vgg.float_accuracy - 0.02);
  }
  std::printf("lenet5 float %.4f int8 %.4f; vgg_small float %.4f int8 %.4f\n", lenet.float_accuracy, lenet.int_accuracy,
              vgg.float_accuracy, vgg.int_accuracy);
}
