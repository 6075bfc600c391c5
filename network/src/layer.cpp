// Placeholder translation unit so that cimmc::network exists before its issue lands.
namespace cimmc::network {
int layer_marker() { return 0; }
}  // namespace cimmc::network
