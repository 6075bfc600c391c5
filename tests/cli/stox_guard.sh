#!/usr/bin/env bash
# stox_guard.sh CIMMC STOX_MODEL HW REFERENCE_MODEL LIMIT FULL_STOX FULL_REF: a regression guard
# for a StoX model measured on the whole test set. On the first LIMIT test images (readout seed 1)
# its drop against the 4-bit software model (REFERENCE_MODEL, exact integer backend) may exceed
# the whole-set drop (FULL_REF - FULL_STOX, mean over readout seeds) only by what LIMIT images
# allow: 3 standard errors of a paired difference of two accuracies on the same images,
# SE <= sqrt(((1 - FULL_STOX) + (1 - FULL_REF)) / LIMIT) (the discordant images are at most the
# two error sets together). The bound comes from that statistic, not from the last measurement.
set -euo pipefail
cimmc=$1 stox=$2 hw=$3 reference=$4 limit=$5 full_stox=$6 full_ref=$7
acc() { grep -o '"accuracy": [0-9.]*' <<<"$1" | grep -o '[0-9.]*$'; }
ref=$(acc "$("$cimmc" eval --model "$reference" --backend int --limit "$limit" --json)")
xbar=$("$cimmc" eval --model "$stox" --backend crossbar --hw "$hw" --limit "$limit" --seed 1 --json)
grep -q '"readout": "stochastic_mtj"' <<<"$xbar"
got=$(acc "$xbar")
awk -v r="$ref" -v s="$got" -v fs="$full_stox" -v fr="$full_ref" -v n="$limit" 'BEGIN {
  drop = (r - s) * 100; full = (fr - fs) * 100; se = sqrt(((1 - fs) + (1 - fr)) / n) * 100; bound = full + 3 * se;
  printf "software %.4f, StoX on %d images %.4f: drop %.2f points; whole-set drop %.2f + 3 x %.2f = bound %.2f\n",
         r, n, s, drop, full, se, bound;
  exit !(drop <= bound) }'
