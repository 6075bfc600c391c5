#include "cimmc/studies/cli.hpp"

int main(int argc, char** argv) { return cimmc::studies::run_main(argc, argv); }
