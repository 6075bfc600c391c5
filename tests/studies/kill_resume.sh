#!/usr/bin/env bash
# kill_resume.sh CIMMC WORKDIR STUDY KILLS MAX_DELAY [--set KEY=VALUE...]: runs STUDY once uninterrupted, then again
# with a checkpoint after every slot (study.checkpoint_seconds = 0), SIGKILLing it KILLS times
# and resuming it with --resume after each kill. Every other kill waits for a checkpoint write
# (the temporary file .NAME.tmp-PID appearing) and kills during it; the others come after a
# random delay of up to MAX_DELAY seconds. After every kill the results file must be readable
# (`cimmc inspect`) and hold at least as many finished slots as before; at the end the resumed
# file's result datasets must be bit-identical to the uninterrupted run's (same_results.sh), as
# must those of a file that the resumed runs complete between kills (the study then starts over).
# Each run uses 1 or 2 threads at random. KILL_RESUME_SEED seeds the random choices.
set -u
cimmc=$1 work=$2 study=$3 kills=$4 max_delay=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work" || exit 1
rm -f whole.h5 cut.h5 .cut.h5.tmp-* cut.log
set_args=(--set study.checkpoint_seconds=0 "$@")
"$cimmc" --quiet run "$study" "${set_args[@]}" --threads 2 -o whole.h5 || exit 1
slots() { h5dump -a /slots_done "$1" 2>/dev/null | sed -n 's/^ *(0): \([0-9]*\)$/\1/p'; }
total=$(slots whole.h5)
[[ -n $total && $total -ge 2 ]] || { echo "the uninterrupted run holds no slots"; exit 1; }
RANDOM=${KILL_RESUME_SEED:-21}
done_before=0 killed=0 during_write=0 starts=0
while ((killed < kills)); do
  ((starts++))
  ((starts > 10 * kills)) && { echo "gave up after $starts starts: $killed kills"; exit 1; }
  threads=$((1 + RANDOM % 2))
  "$cimmc" --quiet run "$study" "${set_args[@]}" --threads "$threads" -o cut.h5 --resume >cut.log 2>&1 &
  pid=$!
  in_write=0
  if ((killed % 2 == 1)); then
    # Kill during the 1st, 2nd or 3rd checkpoint write (the first is at the start, the others
    # follow finished slots): as soon as the temporary file appears for that time.
    nth=$((1 + RANDOM % 3)) seen=0 present=0 deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      if [[ -e .cut.h5.tmp-$pid ]]; then
        ((present)) || ((seen++))
        present=1
        ((seen == nth)) && { in_write=1; break; }
      else
        present=0
      fi
    done
  else
    sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
    sleep $((RANDOM % (max_delay > 0 ? max_delay : 1)))
  fi
  if kill -s KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    ((killed++))
    ((during_write += in_write))
  else
    wait "$pid"
    code=$?
    [[ $code -eq 0 ]] || { echo "run exited with $code before it was killed"; cat cut.log; exit 1; }
  fi
  # After any kill: the results file (if the first checkpoint was reached) is a complete file.
  if [[ -e cut.h5 ]]; then
    "$cimmc" inspect cut.h5 >/dev/null 2>&1 || { echo "kill $killed: cut.h5 is not readable"; "$cimmc" inspect cut.h5; exit 1; }
    n=$(slots cut.h5)
    [[ -n $n ]] || { echo "kill $killed: no slots_done in cut.h5"; exit 1; }
    ((n >= done_before)) || { echo "kill $killed: finished slots went from $done_before to $n"; exit 1; }
    done_before=$n
  fi
  echo "kill $killed (start $starts, $threads threads, during a checkpoint write: $in_write): $done_before of $total slots in the file"
  if ((done_before == total)); then
    "$here/same_results.sh" whole.h5 cut.h5 || exit 1
    echo "study complete and identical to the uninterrupted run: started over"
    rm -f cut.h5
    done_before=0
  fi
done
stale=$(compgen -G '.cut.h5.tmp-*' | wc -l)
"$cimmc" --quiet run "$study" "${set_args[@]}" --threads 1 -o cut.h5 --resume || exit 1
"$here/same_results.sh" whole.h5 cut.h5 || exit 1
# Temporaries of runs killed during a checkpoint write are removed by the next write.
left=$(compgen -G '.cut.h5.tmp-*' | wc -l)
((left == 0)) || { echo "$left temporary files of killed runs left behind (there were $stale)"; ls -a; exit 1; }
echo "$stale temporary files of killed runs were removed by the resumed run"
echo "$killed kills ($during_write during a checkpoint write), resumed run identical to the uninterrupted one"
