// Where cimmc finds the files it ships (data/devices, data/hw, data/tech, data/models): by name
// ("22nm", "stox_mtj_t4") or by path. Names are looked up in $CIMMC_DATA_DIR/<folder>, the
// installed share folder (<prefix>/share/cimmc/<folder>) and the source tree's data/<folder>,
// in that order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cimmc::core::data_files {

// The folders searched for `folder` ("devices", "hw", ...), in order.
std::vector<std::filesystem::path> search_dirs(const std::string& folder);
// Names (file stems) of the files with `extension` (".toml") found in those folders.
std::vector<std::string> names(const std::string& folder, const std::string& extension);
// A path (containing '/' or ending in `extension`) must exist; a name is looked up. Throws
// core::IoError naming where it looked, with a "did you mean" or the list of names.
std::filesystem::path resolve(const std::string& folder, const std::string& name_or_path, const std::string& extension,
                              const std::string& what);

}  // namespace cimmc::core::data_files
