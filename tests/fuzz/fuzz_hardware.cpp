// Hardware files (data/hw/*.toml) through arch::load_crossbar_config, with the input as the file's
// text. The file sits in a folder next to a link to data/tables, so table_file =
// "../tables/....h5" (as in data/hw) resolves.
#include <cstddef>
#include <cstdint>

#include "cimmc/arch/crossbar_config.hpp"
#include "fuzz_common.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  static const fs::path file = [] {
    fs::create_directories(fuzz::scratch("hw"));
    std::error_code ec;
    fs::create_directory_symlink(fuzz::source_path("data/tables"), fuzz::scratch("tables"), ec);
    return fuzz::scratch("hw/fuzz.toml");
  }();
  fuzz::write_file(file, data, size);
  fuzz::expect_success_or_cimmc_error([&] { arch::load_crossbar_config(file); });
  return 0;
}
