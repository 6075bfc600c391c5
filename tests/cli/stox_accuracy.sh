#!/usr/bin/env bash
# stox_accuracy.sh CIMMC STOX_MODEL HW REFERENCE_MODEL LIMIT MAX_DROP [SEEDS]: a StoX model
# evaluated through its stochastic MTJ readout (the hardware file HW, T = 4) on the first LIMIT
# Fashion-MNIST test images ("all": the whole test set) may lose at most MAX_DROP points against
# the 4-bit software model (REFERENCE_MODEL on the exact integer backend). The StoX accuracy is
# the mean over readout seeds 1..SEEDS (default 1): the sampling noise moves one run's accuracy
# by a few tenths of a point.
set -euo pipefail
cimmc=$1 stox=$2 hw=$3 reference=$4 limit=$5 max_drop=$6 seeds=${7:-1}
limit_args=()
[[ $limit == all ]] || limit_args=(--limit "$limit")
acc() { grep -o '"accuracy": [0-9.]*' <<<"$1" | grep -o '[0-9.]*$'; }
ref=$(acc "$("$cimmc" eval --model "$reference" --backend int "${limit_args[@]}" --json)")
echo "4-bit software model:          $ref"
runs=()
for seed in $(seq 1 "$seeds"); do
  xbar=$("$cimmc" eval --model "$stox" --backend crossbar --hw "$hw" "${limit_args[@]}" --seed "$seed" --json)
  grep -q '"readout": "stochastic_mtj"' <<<"$xbar"
  runs+=("$(acc "$xbar")")
  echo "StoX model on $hw (seed $seed):  ${runs[-1]}"
done
printf '%s\n' "${runs[@]}" | awk -v a="$ref" -v d="$max_drop" \
  '{ s += $1; n++ } END { m = s / n; printf "mean %.4f over %d run(s), drop %.2f points (at most %s)\n", m, n, (a - m) * 100, d;
                          exit !((a - m) * 100 <= d) }'
