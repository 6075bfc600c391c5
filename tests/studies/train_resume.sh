#!/usr/bin/env bash
# train_resume.sh CIMMC WORKDIR STUDY SIGNAL: a train study interrupted inside a slot (after the
# slot's first epoch checkpoint, by SIGKILL or SIGTERM) and resumed gives result datasets
# bit-identical to an uninterrupted run; the resumed slot continues from its checkpoint, and
# every finished slot leaves its model file and no checkpoint. Eight epochs per slot, so that the
# slot whose first checkpoint was seen is still running when the signal arrives (with four, on a
# quiet machine the slot could finish in between, leaving no checkpoint to resume from).
set -u
cimmc=$1 work=$2 study=$3 signal=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work" || exit 1
rm -rf whole.h5 whole.h5.models cut.h5 cut.h5.models
"$cimmc" --quiet run "$study" --threads 2 -o whole.h5 --set train.epochs=8 || exit 1
"$cimmc" --quiet run "$study" --threads 2 -o cut.h5 --set train.epochs=8 >cut.log 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  compgen -G "cut.h5.models/point*_trial*.ckpt.h5" >/dev/null && break
  sleep 0.02
done
sleep 0.1
kill -s "$signal" "$pid"
wait "$pid"
code=$?
ckpt=$(ls cut.h5.models/*.ckpt.h5 2>/dev/null | head -1)
echo "signal $signal (exit $code); slot checkpoint: ${ckpt:-none}"
[[ -n $ckpt ]] || { echo "no slot checkpoint left to resume from"; cat cut.log; exit 1; }
if [[ $signal == TERM ]]; then
  [[ $code -eq 1 ]] || { echo "SIGTERM: expected exit 1, got $code"; cat cut.log; exit 1; }
fi
"$cimmc" --quiet run "$study" --threads 1 -o cut.h5 --set train.epochs=8 --resume || exit 1
"$here/same_results.sh" whole.h5 cut.h5 || exit 1
models=$(ls cut.h5.models/*.h5 | grep -vc ckpt)
left=$(ls cut.h5.models/ | grep -c ckpt)
[[ $models -eq $(ls whole.h5.models/ | wc -l) && $left -eq 0 ]] || { echo "expected one model per slot and no checkpoint: $(ls cut.h5.models)"; exit 1; }
echo "resumed train study identical to the uninterrupted one"
