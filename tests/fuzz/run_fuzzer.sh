#!/usr/bin/env bash
# run_fuzzer.sh HARNESS CORPUS WORK SECONDS: runs a libFuzzer harness for SECONDS, starting from
# every input of CORPUS (the committed seeds and regression inputs, read only); new inputs go to
# WORK/new and a crashing input to WORK/crashes/. Fails if any input crashes, hangs (25 s), or
# allocates more than 2 GB. Longer runs: set SECONDS, or run the harness by hand
# (docs/reliability.md, "No crash on any input").
set -u
harness=$1 corpus=$2 work=$3 seconds=$4
rm -rf "$work"
mkdir -p "$work/new" "$work/crashes" || exit 1
exec "$harness" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/crashes/" "$work/new" "$corpus"
