#!/usr/bin/env bash
# stox_accuracy.sh CIMMC STOX_MODEL HW REFERENCE_MODEL LIMIT MAX_DROP: a StoX model evaluated
# through its stochastic MTJ readout (the hardware file HW, T = 4) on the first LIMIT
# Fashion-MNIST test images may lose at most MAX_DROP points against the 4-bit software model
# (REFERENCE_MODEL on the exact integer executor).
set -euo pipefail
cimmc=$1 stox=$2 hw=$3 reference=$4 limit=$5 max_drop=$6
ref=$("$cimmc" eval --model "$reference" --executor int --limit "$limit" --json)
xbar=$("$cimmc" eval --model "$stox" --executor crossbar --hw "$hw" --limit "$limit" --json)
acc() { grep -o '"accuracy": [0-9.]*' <<<"$1" | grep -o '[0-9.]*$'; }
echo "4-bit software model:          $(acc "$ref")"
echo "StoX model on $hw:  $(acc "$xbar")"
grep -q '"readout": "stochastic_mtj"' <<<"$xbar"
awk -v a="$(acc "$ref")" -v b="$(acc "$xbar")" -v d="$max_drop" 'BEGIN { exit !((a - b) * 100 <= d) }'
