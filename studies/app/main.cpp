#include "cimmc/studies/cli.hpp"

int main(int argc, char** argv) { return cimmc::cli::run_main(argc, argv); }
