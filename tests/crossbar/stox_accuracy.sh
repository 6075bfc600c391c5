#!/usr/bin/env bash
# stox_accuracy.sh CIMMC STOX_MODEL REFERENCE_MODEL LIMIT MAX_DROP: the shipped StoX model
# evaluated through its stochastic MTJ readout (data/hw/stox_mtj_t4, T = 4) on the first LIMIT
# Fashion-MNIST test images may lose at most MAX_DROP points against the 4-bit software model
# (REFERENCE_MODEL on the exact integer executor).
set -euo pipefail
cimmc=$1 stox=$2 reference=$3 limit=$4 max_drop=$5
ref=$("$cimmc" eval --model "$reference" --executor int --limit "$limit" --json)
xbar=$("$cimmc" eval --model "$stox" --executor crossbar --hw stox_mtj_t4 --limit "$limit" --json)
acc() { grep -o '"accuracy": [0-9.]*' <<<"$1" | grep -o '[0-9.]*$'; }
echo "4-bit software model:          $(acc "$ref")"
echo "StoX model, stochastic MTJ T=4: $(acc "$xbar")"
grep -q '"readout": "stochastic_mtj"' <<<"$xbar"
awk -v a="$(acc "$ref")" -v b="$(acc "$xbar")" -v d="$max_drop" 'BEGIN { exit !((a - b) * 100 <= d) }'
