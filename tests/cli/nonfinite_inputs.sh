#!/usr/bin/env bash
# nonfinite_inputs.sh CIMMC WORKDIR DATA: NaN and infinities are refused wherever a TOML input
# gives a number — a technology, hardware or device file, a study file's [set], sweep values and
# ranges, and --set overrides of `cimmc cost`, `cimmc eval`, `cimmc switching` and `cimmc run` —
# with exit 2 and a message naming the file, line (where the value has one) and key, before any
# work. DATA is the source tree's data folder. (Model files, checkpoints and switching tables:
# ModelFile.NonFiniteValuesAreRefused, Checkpoint.NonFiniteOptimizerStateIsRefused,
# SwitchingTable.RejectsBadGridsAndWrongFiles; datasets hold 8-bit pixels, which cannot be NaN.)
set -u
cimmc=$1 work=$2 data=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
status=0
# expect PATTERN COMMAND...: exit 2 and the output matches PATTERN (extended regex).
expect() {
  local pattern=$1
  shift
  local out got
  out=$("$@" 2>&1)
  got=$?
  if [[ $got -ne 2 ]]; then
    printf 'FAIL (exit %s, expected 2): %s\n%s\n' "$got" "$*" "$(head -5 <<<"$out")"
    status=1
  elif ! grep -Eq -- "$pattern" <<<"$out"; then
    printf 'FAIL (output does not match /%s/): %s\n%s\n' "$pattern" "$*" "$out"
    status=1
  elif grep -q "^wrote\|slots done\|accuracy" <<<"$out"; then
    printf 'FAIL (work was done): %s\n%s\n' "$*" "$out"
    status=1
  else
    printf 'ok   %s\n     %s\n' "$*" "$(grep -E -- "$pattern" <<<"$out" | head -1)"
  fi
}
finite="expected a finite number"

# Technology file: every number (here supply_V, line 8 of 22nm.toml) must be finite.
for v in inf nan -inf; do
  sed "s/^supply_V = 0.8 /supply_V = $v /" "$data/tech/22nm.toml" >tech_$v.toml
  expect "tech_$v.toml:8: key 'technology.supply_V': $finite" \
    "$cimmc" cost --model lenet5 --hw zebra_lcu --input 1x28x28 --tech tech_$v.toml
done
expect "key 'digital.mac8_energy_J': $finite" \
  "$cimmc" cost --model lenet5 --hw zebra_lcu --input 1x28x28 --set digital.mac8_energy_J=inf
# Hardware file and hardware --set.
sed 's/^cell_sigma_lsb = [0-9.]*/cell_sigma_lsb = nan/' "$data/hw/zebra_lcu.toml" >hw_nan.toml
grep -q "cell_sigma_lsb = nan" hw_nan.toml || { echo "could not write hw_nan.toml"; exit 1; }
expect "hw_nan.toml:[0-9]+: key 'noise.cell_sigma_lsb'" \
  "$cimmc" cost --model lenet5 --hw hw_nan.toml --input 1x28x28
expect "key 'noise.cell_sigma_lsb'" \
  "$cimmc" eval --model "$data/models/lenet5_fmnist.h5" --backend crossbar --hw zebra_lcu \
  --set noise.cell_sigma_lsb=inf --limit 5
# Device file and device --set.
cp "$data/devices/stox_converter.toml" dev_inf.toml
sed -i '0,/^temperature_K = .*/s//temperature_K = inf/' dev_inf.toml
grep -q "temperature_K = inf" dev_inf.toml || { echo "could not write dev_inf.toml"; exit 1; }
expect "dev_inf.toml:[0-9]+: key 'device.temperature_K'" \
  "$cimmc" switching --device dev_inf.toml --current-A 1e-4 --pulse-s 1e-9 --trials 4 -o sw.h5
expect "key 'device.temperature_K'" \
  "$cimmc" switching --device stox_converter --current-A 1e-4 --pulse-s 1e-9 --trials 4 -o sw.h5 \
  --set temperature_K=nan

# Study files: [set], a sweep value, a sweep range and a [base] number; --set of a study key.
study() {  # study FILE LINES...: a cost study of LeNet-5 with the extra lines appended
  local file=$1
  shift
  printf '[study]\nname = "nonfinite"\nkind = "cost"\noutput = "study.h5"\n\n[base]\nmodel = "lenet5"\ninput = [1, 28, 28]\nhardware = "zebra_lcu"\n' >"$file"
  printf '%s\n' "$@" >>"$file"
}
study set_inf.toml '[set]' '"digital.mac8_energy_J" = inf'
expect "key 'digital.mac8_energy_J': $finite" "$cimmc" run set_inf.toml --dry-run
study sweep_nan.toml '[sweep]' '"technology.supply_V" = [0.8, nan]'
expect "key 'technology.supply_V': $finite" "$cimmc" run sweep_nan.toml --dry-run
study range_inf.toml '[sweep]' '"technology.supply_V" = { start = 0.8, stop = inf, count = 3 }'
expect "range_inf.toml:11: key 'sweep.technology.supply_V.stop': $finite" "$cimmc" run range_inf.toml --dry-run
study density_nan.toml '[sweep]' 'input_density = [0.25, nan]'
expect "density_nan.toml:11: key 'sweep.input_density'" "$cimmc" run density_nan.toml --dry-run
study base_inf.toml
sed -i 's/^input = .*/input = [1, 28, 28]\ninput_density = inf/' base_inf.toml
expect "base_inf.toml:9: key 'base.input_density'" "$cimmc" run base_inf.toml --dry-run
study ok.toml
expect "key 'technology.supply_V': $finite" "$cimmc" run ok.toml --dry-run --set technology.supply_V=-inf
expect "key 'study.checkpoint_seconds'" "$cimmc" run ok.toml --dry-run --set study.checkpoint_seconds=inf
[[ $status -eq 0 ]] && echo "every NaN and infinity refused"
exit $status
