// The kinds of HDF5 file cimmc writes, with the newest major format version this build reads.
// A reader refuses a file whose major version is newer; a minor version only adds content.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cimmc::core::filetypes {

struct FileType {
  std::string_view name;
  std::int64_t major;
  std::int64_t minor;
};

inline constexpr FileType kTest{"cimmc.test", 1, 0};            // written by tests
inline constexpr FileType kSwitching{"cimmc.switching", 1, 1};  // device switching curves + table
inline constexpr FileType kSwitchingTable{"cimmc.switching_table", 1, 0};
inline constexpr FileType kModel{"cimmc.model", 1, 0};  // network architecture + weights
inline constexpr FileType kCheckpoint{"cimmc.checkpoint", 1, 0};
inline constexpr FileType kStudy{"cimmc.study", 1, 0};
inline constexpr FileType kCost{"cimmc.cost", 1, 1};

inline constexpr std::array kAll{kTest, kSwitching, kSwitchingTable, kModel, kCheckpoint, kStudy, kCost};

// Newest major version readable for `name`; 1 for a type this build does not know.
constexpr std::int64_t supported_major(std::string_view name) {
  for (const auto& t : kAll)
    if (t.name == name) return t.major;
  return 1;
}

}  // namespace cimmc::core::filetypes
