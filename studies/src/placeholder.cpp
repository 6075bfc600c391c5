// The study runner lands with its issue; until then the layer holds the program's commands.
namespace cimmc::studies {
int layer_marker() { return 0; }
}  // namespace cimmc::studies
