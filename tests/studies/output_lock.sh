#!/usr/bin/env bash
# output_lock.sh CIMMC WORKDIR STUDY: while a run writes its results file, a second run on the
# same file (plain, --resume or --force) fails at once with exit 2, naming the first run's
# process, and leaves the file as it was; the first run, frozen meanwhile by SIGSTOP, then goes
# on, stops cleanly on SIGUSR1 (exit 1, "stopped by a signal") and removes its lock file; a run
# killed by SIGKILL leaves the lock file but not the lock; --resume then completes the study.
set -u
cimmc=$1 work=$2 study=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
slots() { h5dump -a /slots_done "$1" 2>/dev/null | sed -n 's/^ *(0): \([0-9]*\)$/\1/p'; }
# start: a run on cut.h5 in the background, frozen once the file holds a finished slot.
start() {
  "$cimmc" --quiet run "$study" --threads 1 -o cut.h5 "$@" >first.log 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    n=$(slots cut.h5)
    [[ -n $n && $n -ge 1 ]] && break
    kill -0 "$pid" 2>/dev/null || { echo "the first run ended early"; cat first.log; exit 1; }
    sleep 0.05
  done
  kill -s STOP "$pid"
}
start
cp cut.h5 frozen.h5
[[ -e .cut.h5.lock ]] || { echo "no lock file beside cut.h5 while the run writes it"; exit 1; }
for flag in "" --resume --force; do
  out=$("$cimmc" --quiet run "$study" --threads 1 -o cut.h5 $flag 2>&1)
  code=$?
  echo "second run ${flag:-(plain)}: exit $code: $out"
  [[ $code -eq 2 ]] || { echo "expected exit 2"; kill -s KILL "$pid"; exit 1; }
  grep -q "cut.h5: another run (process $pid) is writing this file" <<<"$out" \
    || { echo "expected the message to name process $pid"; kill -s KILL "$pid"; exit 1; }
  cmp -s cut.h5 frozen.h5 || { echo "the second run changed the file"; kill -s KILL "$pid"; exit 1; }
done
kill -s USR1 "$pid"
kill -s CONT "$pid"
wait "$pid"
code=$?
echo "first run after SIGUSR1: exit $code, $(slots cut.h5) slots"
[[ $code -eq 1 ]] || { echo "SIGUSR1: expected exit 1"; cat first.log; exit 1; }
grep -q "stopped by a signal" first.log || { echo "SIGUSR1: no stop message"; cat first.log; exit 1; }
[[ ! -e .cut.h5.lock ]] || { echo "the stopped run left its lock file"; exit 1; }
# SIGKILL: the lock goes with the process; the next run takes the file over.
start --resume
kill -s KILL "$pid"
wait "$pid" 2>/dev/null
out=$("$cimmc" --quiet run "$study" --threads 1 -o cut.h5 --resume 2>&1) || { echo "resume failed: $out"; exit 1; }
echo "$out"
total=$(slots cut.h5)
grep -q "$total of $total slots done" <<<"$out" || { echo "expected every slot done"; exit 1; }
[[ ! -e .cut.h5.lock ]] || { echo "the finished run left a lock file"; exit 1; }
ls -A | grep -q '\.tmp-' && { echo "temporary files left: $(ls -A)"; exit 1; }
echo "one writer at a time: the second run refused, the first one went on"
