// Identifiers of the HDF5 C API: closing each with its own H5*close, and checking new ones.
#include <string>

#include "cimmc/core/hdf5.hpp"
#include "hdf5_internal.hpp"

namespace cimmc::core::h5 {

Id check(hid_t id, const std::string& what) {
  if (id < 0) throw core::IoError(what);
  return Id(id);
}

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

bool Id::reset() {
  herr_t status = 0;
  if (id_ >= 0) {
    switch (H5Iget_type(id_)) {
      case H5I_FILE: status = H5Fclose(id_); break;
      case H5I_GROUP: status = H5Gclose(id_); break;
      case H5I_DATASET: status = H5Dclose(id_); break;
      case H5I_ATTR: status = H5Aclose(id_); break;
      case H5I_DATASPACE: status = H5Sclose(id_); break;
      case H5I_DATATYPE: status = H5Tclose(id_); break;
      case H5I_GENPROP_LST: status = H5Pclose(id_); break;
      default: break;
    }
  }
  id_ = H5I_INVALID_HID;
  return status >= 0;
}

}  // namespace cimmc::core::h5
