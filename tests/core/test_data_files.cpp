#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc;

TEST(DataFiles, FindsShippedFilesByName) {
  const auto p = cimmc::core::data_files::resolve("tech", "22nm", ".toml", "technology table");
  EXPECT_EQ(p.filename(), "22nm.toml");
  EXPECT_TRUE(std::filesystem::is_regular_file(p));
  const auto names = cimmc::core::data_files::names("tech", ".toml");
  EXPECT_NE(std::find(names.begin(), names.end(), "22nm"), names.end());
}

TEST(DataFiles, UnknownNamesSuggestTheClosest) {
  try {
    cimmc::core::data_files::resolve("tech", "22mn", ".toml", "technology table");
    FAIL() << "expected cimmc::core::IoError";
  } catch (const cimmc::core::IoError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("technology table '22mn' not found"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean '22nm'?"), std::string::npos) << msg;
  }
  EXPECT_THROW(cimmc::core::data_files::resolve("tech", "/nonexistent/x.toml", ".toml", "technology table"),
               cimmc::core::IoError);
}

TEST(DataFiles, EnvironmentFolderComesFirst) {
  const auto dir = std::filesystem::temp_directory_path() / "cimmc_test_data_dir";
  std::filesystem::create_directories(dir / "tech");
  std::ofstream(dir / "tech" / "22nm.toml") << "# override\n";
  ::setenv("CIMMC_DATA_DIR", dir.c_str(), 1);
  EXPECT_EQ(cimmc::core::data_files::resolve("tech", "22nm", ".toml", "technology table"), dir / "tech" / "22nm.toml");
  ::unsetenv("CIMMC_DATA_DIR");
  std::filesystem::remove_all(dir);
}
