#include <gtest/gtest.h>

#include "cimmc/core/parallel.hpp"
#include "cimmc/core/progress.hpp"

TEST(Progress, RendersPercentRateAndEta) {
  const auto line = cimmc::core::Progress::render("eval", 250, 1000, "images", 5.0, "acc 0.91");
  EXPECT_NE(line.find(" 25.0%"), std::string::npos) << line;
  EXPECT_NE(line.find("250/1000 images"), std::string::npos) << line;
  EXPECT_NE(line.find("50 images/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 00:15"), std::string::npos) << line;
  EXPECT_NE(line.find("acc 0.91"), std::string::npos) << line;
}

TEST(Progress, SilentWhenQuiet) {
  cimmc::core::Progress p("x", 10, "items", true);
  EXPECT_FALSE(p.enabled());
  p.advance(5);
  p.finish();
}

TEST(ExceptionCapture, KeepsTheFirstExceptionFromAParallelRegion) {
  cimmc::core::ExceptionCapture capture;
#pragma omp parallel for
  for (int i = 0; i < 100; ++i)
    capture.run([&] {
      if (i % 10 == 3) throw std::runtime_error("boom");
    });
  EXPECT_TRUE(capture.failed());
  EXPECT_THROW(capture.rethrow(), std::runtime_error);
}
