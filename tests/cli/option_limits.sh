#!/usr/bin/env bash
# option_limits.sh CIMMC WORKDIR DATA: every numeric command-line option of every cimmc command
# (the CLI11 definitions in studies/app/commands/*.cpp) refuses zero or negative counts, values
# that are not finite, and absurd sizes: exit code 2, a message naming the option (or key), and no
# work done. The table below lists, per command, the options with the values each must refuse;
# `inspect`, `plot`, `export-table` and `version` take no numeric options.
#
# Each case runs the command with small base arguments (so that a value wrongly accepted ends
# quickly) in which the option under test replaces its base value. DATA is the source tree's
# data folder.
set -u
cimmc=$1 work=$2 data=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
model=$data/models/lenet5_fmnist.h5
cat >study.toml <<EOF
[study]
name = "option limits"
kind = "cost"
output = "run.h5"
[base]
model = "lenet5"
input = [1, 28, 28]
hardware = "zebra_lcu"
EOF

# Base arguments per command: the first word(s) and then option/value pairs.
declare -A base
base[run]="run study.toml | -o run.h5 | --force"
base[eval]="eval | --model $model | --limit 5"
base[train]="train | --model mlp | -o model.h5 | --limit 50 | --test-limit 20 | --epochs 1 | --batch 25"
base[switching]="switching | --device stox_converter | --current-A 1e-4 | --pulse-s 1e-9 | --trials 4 | -o switching.h5"
base[cost]="cost | --model lenet5 | --hw zebra_lcu | --input 1x28x28"

# command option values... (each value must be refused). Values of `--set` are key=value.
cases=(
  "run --threads 0 -3 100000"
  "run --set study.trials=0 study.trials=-3 study.seed=-1 study.checkpoint_seconds=-1 study.checkpoint_seconds=nan"
  "eval --limit -3 1000000000000"
  "eval --batch 0 -3 1000000000"
  "eval --bits 0 -3 1000"
  "eval --calibration 0 -3"
  "eval --validation 0 -3"
  "eval --seed -3"
  "train --epochs 0 -3 1000000000000 1000000"
  "train --lr 0 -3 nan inf"
  "train --batch 0 -3 1000000000"
  "train --seed -3"
  "train --momentum -3 nan 1"
  "train --weight-decay -3 nan inf"
  "train --step-epochs 0 -3"
  "train --step-gamma 0 -3 nan inf"
  "train --width 0 -3 nan 1000"
  "train --crop-padding -3 1000000"
  "train --limit -3"
  "train --test-limit -3"
  "train --validation -3 1000000000"
  "train --bits 0 -3 1000"
  "train --calibration 0 -3"
  "train --recalibrate-every -3"
  "train --distill-alpha -3 nan 2"
  "train --distill-temperature 0 -3 nan inf"
  "switching --trials 0 -3 1000000000000"
  "switching --seed -3"
  "switching --dt-s -3 nan"
  "switching --equilibrate-s -3 nan"
  "switching --rise-s -3 nan inf"
  "switching --fall-s -3 nan inf"
  "switching --relax-s -3 nan inf"
  "switching --current-A 1e-4:2e-4:0 1e-4:2e-4:-3 nan 1e-4:2e-4:1000000000000"
  "switching --pulse-s 0 -1e-9 nan inf"
  "cost --classes 0 -3 1000000000000"
  "cost --input-density -3 nan 2"
  "cost --weight-density -3 nan 2"
  "cost --limit 0 -3"
  "cost --bits 0 -3"
  "cost --seed -3"
  "cost --input 0x28x28 -1x28x28 1x100000x100000 1x28"
)

# args_for COMMAND OPTION VALUE: the base arguments with OPTION VALUE in place of the base's.
args_for() {
  local command=$1 option=$2 value=$3 part
  args=()
  IFS='|' read -ra parts <<<"${base[$command]}"
  for part in "${parts[@]}"; do
    read -ra words <<<"$part"
    if [[ ${words[0]} == "$option" && $option != --set ]]; then continue; fi
    args+=("${words[@]}")
  done
  args+=("$option" "$value")
}

status=0 count=0
for case in "${cases[@]}"; do
  read -ra fields <<<"$case"
  command=${fields[0]} option=${fields[1]}
  for value in "${fields[@]:2}"; do
    args_for "$command" "$option" "$value"
    rm -f run.h5 model.h5 model.h5.ckpt.h5 switching.h5
    out=$(timeout 20 "$cimmc" --quiet "${args[@]}" 2>&1)
    got=$?
    count=$((count + 1))
    # The message names the option, or for --set the key.
    name=${option#--}
    [[ $option == --set ]] && name=${value%%=*} && name=${name#*.}
    if [[ $got -ne 2 ]]; then
      printf 'FAIL cimmc %s %s %s: exit %s (expected 2)\n%s\n' "$command" "$option" "$value" "$got" "$(head -3 <<<"$out")"
      status=1
    elif ! grep -qF -- "$name" <<<"$out"; then
      printf 'FAIL cimmc %s %s %s: the message does not name %s\n%s\n' "$command" "$option" "$value" "$name" "$out"
      status=1
    elif grep -q "^wrote\|slots done\|accuracy" <<<"$out" || compgen -G 'run.h5' >/dev/null ||
      compgen -G 'model.h5*' >/dev/null || compgen -G 'switching.h5' >/dev/null; then
      printf 'FAIL cimmc %s %s %s: work was done before the error\n%s\n' "$command" "$option" "$value" "$out"
      status=1
    else
      printf 'ok   cimmc %s %s %s: %s\n' "$command" "$option" "$value" "$(head -1 <<<"$out" | cut -c1-140)"
    fi
  done
done
echo "$count values checked"
exit $status
