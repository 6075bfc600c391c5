// Helpers shared by the source files of the HDF5 wrapper (core/src/hdf5_*.cpp); not installed.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"

namespace cimmc::core::h5 {

// Takes ownership of `id`; a negative id (a failed HDF5 call) is a core::IoError saying `what`
// (hdf5_handles.cpp).
Id check(hid_t id, const std::string& what);

// A string attribute of `obj`, fixed or variable length; `where` names the object in errors
// (hdf5_attributes.cpp).
std::string read_string_attr(hid_t obj, const std::string& name, const std::string& where);
// An attribute of `obj` holding a list of strings.
std::vector<std::string> read_strings_attr(hid_t obj, const std::string& name, const std::string& where);

}  // namespace cimmc::core::h5
