#!/usr/bin/env bash
# ideal_equals_int.sh CIMMC MODEL LIMIT: `cimmc eval` with the crossbar backend and the ideal
# readout must report exactly the accuracy of the exact integer backend.
set -euo pipefail
cimmc=$1 model=$2 limit=$3
int=$("$cimmc" eval --model "$model" --backend int --limit "$limit" --json)
xbar=$("$cimmc" eval --model "$model" --backend crossbar --hw ideal --limit "$limit" --json)
acc() { grep -o '"correct": [0-9]*' <<<"$1"; }
echo "int:      $(acc "$int")"
echo "crossbar: $(acc "$xbar")"
[[ $(acc "$int") == "$(acc "$xbar")" ]]
grep -q '"readout": "ideal"' <<<"$xbar"
