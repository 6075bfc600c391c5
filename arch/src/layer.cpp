// Placeholder translation unit so that cimmc::arch exists before its issue lands.
namespace cimmc::arch {
int layer_marker() { return 0; }
}  // namespace cimmc::arch
