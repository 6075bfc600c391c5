#!/usr/bin/env bash
# interrupt_resume.sh CIMMC WORKDIR STUDY SIGNAL: runs STUDY once uninterrupted, then again and
# sends SIGNAL (KILL or TERM) once the results file holds a finished slot, then --resume; the
# resumed file's result datasets must be bit-identical to the uninterrupted run's. TERM must
# stop cleanly (exit 1, "stopped by a signal") keeping the finished slots. Also checks that
# --resume refuses a changed configuration and that an existing file is not replaced without
# --resume or --force.
set -u
cimmc=$1 work=$2 study=$3 signal=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work" || exit 1
rm -f whole.h5 cut.h5
"$cimmc" --quiet run "$study" --threads 2 -o whole.h5 || exit 1
slots() { h5dump -a /slots_done "$1" 2>/dev/null | sed -n 's/^ *(0): \([0-9]*\)$/\1/p'; }
total=$(slots whole.h5)
"$cimmc" --quiet run "$study" --threads 2 -o cut.h5 >cut.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  n=$(slots cut.h5)
  [[ -n $n && $n -ge 1 ]] && break
  sleep 0.05
done
kill -s "$signal" "$pid"
wait "$pid"
code=$?
n=$(slots cut.h5)
echo "signal $signal after $n of $total slots (exit $code)"
if [[ $signal == TERM ]]; then
  [[ $code -eq 1 ]] || { echo "SIGTERM: expected exit 1, got $code"; cat cut.log; exit 1; }
  grep -q "stopped by a signal" cut.log || { echo "SIGTERM: no stop message"; cat cut.log; exit 1; }
fi
[[ -n $n && $n -ge 1 && $n -lt $total ]] || { echo "expected a partial file, found $n of $total slots"; exit 1; }
ls -a | grep -q '\.tmp' && [[ $signal == TERM ]] && { echo "temporary file left behind"; exit 1; }
out=$("$cimmc" --quiet run "$study" -o cut.h5 2>&1)
[[ $? -eq 2 && $out == *"--resume continues it"* ]] || { echo "an existing file was not protected: $out"; exit 1; }
out=$("$cimmc" --quiet run "$study" -o cut.h5 --resume --set base.limit=20 2>&1)
[[ $? -eq 2 && $out == *"configuration hash"* ]] || { echo "--resume accepted a changed study: $out"; exit 1; }
"$cimmc" --quiet run "$study" --threads 1 -o cut.h5 --resume || exit 1
"$here/same_results.sh" whole.h5 cut.h5 || exit 1
echo "resumed run identical to the uninterrupted one"
