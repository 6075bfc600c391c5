#!/usr/bin/env bash
# batch_sizes.sh CIMMC WORKDIR STUDY MODEL: results do not depend on how the images are split
# into forward passes.
#  - The inference STUDY run with base.batch 64 (the default), 7 and 1 gives bit-identical result
#    datasets (base.batch is part of the configuration hash and is recorded in the provenance, so
#    only the result groups are compared, by same_results.sh).
#  - `cimmc eval --batch` 256, 7 and 1 prints the same numbers for the float, the int and the
#    crossbar backend (the crossbar with cell noise); also with 1, 2 and 3 threads. Only the
#    "seconds" field of the JSON line may differ.
set -u
cimmc=$1 work=$2 study=$3 model=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
status=0
for b in 64 7 1; do
  "$cimmc" --quiet run "$study" --set base.limit=20 --set base.batch=$b --threads 2 --force -o "batch$b.h5" || exit 1
done
for b in 7 1; do
  if "$here/same_results.sh" batch64.h5 "batch$b.h5"; then echo "study: base.batch $b equals base.batch 64"
  else status=1; fi
done
eval_json() {  # eval_json THREADS BATCH ARGS...: the JSON line without its timing
  local threads=$1 batch=$2
  shift 2
  OMP_NUM_THREADS=$threads "$cimmc" eval --model "$model" --limit 20 --calibration 64 --batch "$batch" --json "$@" \
    | sed 's/"seconds": [0-9.]*, //'
}
for backend in float int crossbar; do
  args=(--backend "$backend")
  [[ $backend == crossbar ]] && args+=(--hw zebra_lcu --set noise.cell_sigma_lsb=0.3 --seed 5)
  ref=$(eval_json 1 256 "${args[@]}") || { echo "eval --backend $backend failed"; exit 1; }
  [[ $ref == *'"images": 20'* ]] || { echo "unexpected output: $ref"; exit 1; }
  for run in "1 7" "1 1" "2 256" "3 7" "2 1"; do
    set -- $run
    got=$(eval_json "$1" "$2" "${args[@]}")
    if [[ $got != "$ref" ]]; then
      printf 'eval --backend %s: --batch %s with %s threads differs from --batch 256 with 1 thread:\n%s\n%s\n' \
        "$backend" "$2" "$1" "$ref" "$got"
      status=1
    fi
  done
  echo "eval --backend $backend: --batch 256, 7 and 1 with 1, 2 and 3 threads give the same output"
done
exit $status
