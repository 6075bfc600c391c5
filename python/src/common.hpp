// Shared helpers of the Python bindings (python/README.md): numpy arrays over C++ buffers
// without copies, and the thread count of one call.
#pragma once

#include <omp.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "cimmc/core/error.hpp"

namespace cimmc::python {

namespace py = pybind11;

// A numpy array that takes over a vector's buffer (no copy): the array owns the vector.
template <class T>
py::array_t<T> adopt(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owned->data(), owner);
}

// A read-only numpy view of memory held by `base` (a Python object that keeps it alive).
template <class T>
py::array_t<T> view(const T* data, std::vector<py::ssize_t> shape, py::handle base) {
  py::array_t<T> a(std::move(shape), data, base);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// OpenMP threads for the duration of one call (0: leave the default); restored afterwards.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : saved_(omp_get_max_threads()) {
    if (threads < 0)
      throw cimmc::core::ArgumentError("threads " + std::to_string(threads) + ": expected >= 0 (0: the default)");
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~ThreadScope() { omp_set_num_threads(saved_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
};

void init_device(py::module_& m);
void init_crossbar(py::module_& m);
void init_studies(py::module_& m);

}  // namespace cimmc::python
