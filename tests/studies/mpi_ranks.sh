#!/usr/bin/env bash
# mpi_ranks.sh CIMMC MPIEXEC WORKDIR STUDY: the study run by 1, 2 and 3 MPI ranks (one thread
# each, oversubscribing the machine if needed) gives result datasets bit-identical to a
# single-process run; a distributed run stopped by SIGUSR1 (mpirun forwards it; it answers SIGTERM
# by SIGKILL a second later) and resumed under 2 ranks too, rank 1 seeing a finished file of the
# same name in its own folder. A run that rank 0 refuses (an existing file without --resume or
# --force) ends on every rank at once, with rank 0's message.
set -u
cimmc=$1 mpiexec=$2 work=$3 study=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work" || exit 1
# OpenMPI refuses to start as root unless told (CI runs as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1
# Under AddressSanitizer (test presets sanitize, sanitize-unit) leak checking is off for the ranks
# only: OpenMPI keeps memory from MPI_Init until exit and unloads its components before the leak
# check, whose reports then cannot even name the library (docs/reliability.md, section 7). The
# single-process runs below keep it, and so do all other study tests of the same code.
mpi_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
rm -f single.h5 ranks*.h5 cut.h5
"$cimmc" --quiet run "$study" --threads 1 -o single.h5 || exit 1
for n in 1 2 3; do
  ASAN_OPTIONS=$mpi_asan "$mpiexec" -n "$n" "$cimmc" --quiet run "$study" --threads 1 -o "ranks$n.h5" >"ranks$n.log" 2>&1 \
    || { echo "$n ranks: failed"; cat "ranks$n.log"; exit 1; }
  [[ $(grep -c "slots done" "ranks$n.log") -eq 1 ]] || { echo "$n ranks: expected one report (rank 0)"; cat "ranks$n.log"; exit 1; }
  "$here/same_results.sh" single.h5 "ranks$n.h5" || exit 1
  echo "$n ranks: identical to the single-process run"
done
# Rank 0 alone checks the file: the workers must not wait for it (nor run their slots) when it
# refuses; `timeout` turns a hang into a failure.
ASAN_OPTIONS=$mpi_asan timeout 300 "$mpiexec" -n 2 "$cimmc" --quiet run "$study" --threads 1 -o ranks2.h5 >refused.log 2>&1
code=$?
[[ $code -ne 0 && $code -ne 124 ]] || { echo "an existing file without --resume: expected a failure, got exit $code"; cat refused.log; exit 1; }
grep -q "ranks2.h5: the results file exists" refused.log || { echo "no message from rank 0"; cat refused.log; exit 1; }
grep -q "rank 1: another rank could not start the study" refused.log || { echo "no message from rank 1"; cat refused.log; exit 1; }
"$here/same_results.sh" single.h5 ranks2.h5 || exit 1
echo "an existing file without --resume: refused by every rank (exit $code)"
ASAN_OPTIONS=$mpi_asan "$mpiexec" -n 2 "$cimmc" --quiet run "$study" --threads 1 -o cut.h5 >cut.log 2>&1 &
pid=$!
slots() { h5dump -a /slots_done "$1" 2>/dev/null | sed -n 's/^ *(0): \([0-9]*\)$/\1/p'; }
for _ in $(seq 1 600); do
  n=$(slots cut.h5)
  [[ -n $n && $n -ge 1 ]] && break
  sleep 0.05
done
kill -s USR1 "$pid"
wait "$pid"
code=$?
total=$(slots single.h5) n=$(slots cut.h5)
echo "SIGUSR1 after $n of $total slots (exit $code)"
# A clean stop (exit 1, the message), or, for a study too short to catch, a run that ended first:
# exit 0, or 138 if the signal reached mpirun itself as it ended (after rank 0's report).
stopped() { [[ $code -eq 1 ]] && grep -q "stopped by a signal" cut.log; }
finished() { [[ ($code -eq 0 || $code -eq 138) && $n == "$total" ]] && grep -q "$total of $total slots done" cut.log; }
if ! stopped && ! finished; then
  echo "SIGUSR1: expected a clean stop (exit 1) or a finished run"; echo "--- log:"; cat cut.log; exit 1
fi
# Rank 1 runs in its own folder, where cut.h5 is a finished copy: only rank 0's file may count
# (a worker that dealt from the file it sees would leave rank 0's share of the rest undone).
mkdir -p decoy && cp single.h5 decoy/cut.h5
ASAN_OPTIONS=$mpi_asan "$mpiexec" -n 1 "$cimmc" --quiet run "$study" --threads 1 -o cut.h5 --resume \
  : -n 1 -wdir decoy "$cimmc" --quiet run "$study" --threads 1 -o cut.h5 --resume >resume.log 2>&1 || { cat resume.log; exit 1; }
cmp -s single.h5 decoy/cut.h5 || { echo "rank 1 changed the file in its folder"; exit 1; }
"$here/same_results.sh" single.h5 cut.h5 || exit 1
echo "stopped and resumed under 2 ranks: identical"
