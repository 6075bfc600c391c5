#!/usr/bin/env bash
# one_point_equivalence.sh CIMMC WORKDIR MODEL: `cimmc switching`, `cimmc cost` and `cimmc eval
# --backend crossbar` give exactly the numbers of the one-point study of the same kind and seed
# (slot (0, 0) of `cimmc run`): the commands call the runner's slot computations
# (device::characterize_switching, studies::analytic_cost, studies::evaluate_on_crossbar) at the
# slot address (0, 0).
set -u
cimmc=$1 work=$2 model=$3
mkdir -p "$work" && cd "$work" || exit 1
py=/usr/bin/python3
rm -f sw.h5 sw_study.h5 cost.h5 cost_study.h5 eval_study.h5

cat >sw.toml <<'TOML'
[study]
name = "one-point switching"
kind = "switching"
seed = 5
[base]
device = "stox_converter"
[switching]
current_A = [100e-6, 120e-6, 140e-6]
pulse_width_s = [1e-9]
trials = 64
TOML
"$cimmc" --quiet switching --device stox_converter --current-A 100e-6,120e-6,140e-6 --pulse-s 1e-9 --trials 64 --seed 5 -o sw.h5 >/dev/null || exit 1
"$cimmc" --quiet run sw.toml -o sw_study.h5 >/dev/null || exit 1
$py - <<'PY' || exit 1
import h5py, numpy as np
a = h5py.File("sw.h5")["monte_carlo/switched_count"][()]
b = h5py.File("sw_study.h5")["curves/switched_count"][0, 0]
assert np.array_equal(a, b), (a, b)
print("switching: switched counts identical", a.ravel().tolist())
PY

cat >cost.toml <<'TOML'
[study]
name = "one-point cost"
kind = "cost"
[base]
model = "lenet5"
input = [1, 28, 28]
hardware = "stox_mtj_physical"
technology = "22nm"
TOML
"$cimmc" --quiet cost --model lenet5 --input 1x28x28 --hw stox_mtj_physical -o cost.h5 >/dev/null || exit 1
"$cimmc" --quiet run cost.toml -o cost_study.h5 >/dev/null || exit 1
$py - <<'PY' || exit 1
import h5py
a, b = h5py.File("cost.h5"), h5py.File("cost_study.h5")
for x, y in (("network/energy_J", "energy_J"), ("network/latency_s", "latency_s"), ("network/area_m2", "area_m2")):
    u, v = a[x][()], b["trials"][y][0, 0]
    assert u == v, (x, u, v)
print("cost: energy, latency and area identical")
PY

cat >eval.toml <<'TOML'
[study]
name = "one-point eval"
kind = "inference"
seed = 3
[base]
model = "MODEL"
dataset = "fashion-mnist"
limit = 200
calibration_images = 128
hardware = "adc_baseline"
[set]
"readout.adc.range" = "calibrated"
TOML
json=$("$cimmc" eval --model "$model" --dataset fashion-mnist --backend crossbar --hw adc_baseline \
  --set 'readout.adc.range="calibrated"' --limit 200 --calibration 128 --seed 3 --json) || exit 1
"$cimmc" --quiet run eval.toml -o eval_study.h5 --set "base.model=\"$model\"" >/dev/null || exit 1
JSON="$json" $py - <<'PY' || exit 1
import h5py, json, os
e = json.loads(os.environ["JSON"])
f = h5py.File("eval_study.h5")
correct, images = int(f["trials/correct"][0, 0]), int(f["trials/images"][0, 0])
assert (e["correct"], e["images"]) == (correct, images), (e["correct"], e["images"], correct, images)
clipped = int(f["layers/clipped"][0, 0].sum())
print(f"eval: {correct} of {images} correct in both; {clipped} clipped partial sums in the study")
PY
