#!/usr/bin/env bash
# bad_study.sh CIMMC WORKDIR STUDY PATTERN
# A malformed study file: `cimmc run STUDY --force` must exit 2 with a message matching the
# extended regex PATTERN, and leave the existing results file (WORKDIR/out.h5, the output the
# bad study files name) byte for byte as it was.
set -u
cimmc=$1 work=$2 study=$3 pattern=$4
mkdir -p "$work" && cd "$work" || exit 1
printf 'existing results\n' >out.h5
cp out.h5 out.h5.before
out=$("$cimmc" run "$study" --force 2>&1)
got=$?
printf '%s\n' "$out"
if [[ $got -ne 2 ]]; then echo "expected exit 2, got $got"; exit 1; fi
if ! grep -Eq -- "$pattern" <<<"$out"; then echo "output does not match /$pattern/"; exit 1; fi
if ! cmp -s out.h5 out.h5.before; then echo "the existing results file was changed"; exit 1; fi
if compgen -G '.out.h5.tmp*' >/dev/null; then echo "a temporary file was left behind"; exit 1; fi
