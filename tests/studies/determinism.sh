#!/usr/bin/env bash
# determinism.sh CIMMC WORKDIR STUDY: the same study run with 1, 2 and 3 threads gives
# bit-identical result datasets.
set -eu
cimmc=$1 work=$2 study=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work"
for t in 1 2 3; do "$cimmc" --quiet run "$study" --threads "$t" --force -o "threads$t.h5"; done
"$here/same_results.sh" threads1.h5 threads2.h5
"$here/same_results.sh" threads1.h5 threads3.h5
echo "1, 2 and 3 threads: identical"
