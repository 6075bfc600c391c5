#!/usr/bin/env bash
# expect.sh CODE PATTERN -- COMMAND...
# Runs COMMAND; passes if it exits with CODE and its combined output matches the extended regex
# PATTERN (empty: any output).
set -u
want=$1 pattern=$2
shift 3
out=$("$@" 2>&1)
got=$?
if [[ $got -ne $want ]]; then
  printf 'expected exit %s, got %s from: %s\n%s\n' "$want" "$got" "$*" "$out"
  exit 1
fi
if [[ -n $pattern ]] && ! grep -Eq -- "$pattern" <<<"$out"; then
  printf 'output of %s does not match /%s/:\n%s\n' "$*" "$pattern" "$out"
  exit 1
fi
printf '%s\n' "$out"
