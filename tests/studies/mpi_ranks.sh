#!/usr/bin/env bash
# mpi_ranks.sh CIMMC MPIEXEC WORKDIR STUDY: the study run by 1, 2 and 3 MPI ranks (one thread
# each, oversubscribing the machine if needed) gives result datasets bit-identical to a
# single-process run; a distributed run stopped by SIGTERM and resumed under 2 ranks too.
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
ASAN_OPTIONS=$mpi_asan "$mpiexec" -n 2 "$cimmc" --quiet run "$study" --threads 1 -o cut.h5 >cut.log 2>&1 &
pid=$!
slots() { h5dump -a /slots_done "$1" 2>/dev/null | sed -n 's/^ *(0): \([0-9]*\)$/\1/p'; }
for _ in $(seq 1 600); do
  n=$(slots cut.h5)
  [[ -n $n && $n -ge 1 ]] && break
  sleep 0.05
done
kill -s TERM "$pid"
wait "$pid"
echo "stopped after $(slots cut.h5) slots"
ASAN_OPTIONS=$mpi_asan "$mpiexec" -n 2 "$cimmc" --quiet run "$study" --threads 1 -o cut.h5 --resume >resume.log 2>&1 || { cat resume.log; exit 1; }
"$here/same_results.sh" single.h5 cut.h5 || exit 1
echo "stopped and resumed under 2 ranks: identical"
