#!/usr/bin/env bash
# plot_check.sh CIMMC RESULTS FIGURE: `cimmc plot` writes a non-empty figure of RESULTS.
set -u
rm -f "$3"
"$1" plot "$2" -o "$3" || exit 1
[[ -s $3 ]] || { echo "$3: missing or empty"; exit 1; }
echo "$3: $(stat -c %s "$3") bytes"
