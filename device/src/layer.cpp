// Placeholder translation unit so that cimmc::device exists before its issue lands.
namespace cimmc::device {
int layer_marker() { return 0; }
}  // namespace cimmc::device
