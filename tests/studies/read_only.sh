#!/usr/bin/env bash
# read_only.sh CIMMC WORKDIR STUDY: a results folder that has become read-only makes
# `cimmc run --force` and `cimmc run --resume` fail with a clear error (exit 2) before any slot
# runs, and leaves the previous results file byte for byte as it was, readable, with no temporary
# file; `cimmc cost -o` and `cimmc switching -o` into the folder fail the same way.
# The folder is made read-only with chmod, or, for root (whom permissions do not stop), by a
# read-only bind mount in a private mount namespace (unshare -m). Exit 77 (skipped) if neither
# is possible.
set -u
cimmc=$1 work=$2 study=$3
rm -rf "$work" && mkdir -p "$work/out" && cd "$work" || exit 1
"$cimmc" --quiet run "$study" --force -o out/results.h5 >/dev/null || { echo "the first run failed"; exit 1; }
cp out/results.h5 results.before

# read_only COMMAND...: runs COMMAND with the folder out/ read-only.
if [[ $(id -u) -ne 0 ]]; then
  read_only() { chmod a-w out; "$@"; local code=$?; chmod u+w out; return $code; }
elif unshare -m sh -c 'mount --bind out out && mount -o remount,bind,ro out' 2>/dev/null; then
  read_only() { unshare -m sh -c 'mount --bind out out && mount -o remount,bind,ro out && exec "$@"' sh "$@"; }
else
  echo "cannot make a folder read-only here (root without mount namespaces): skipped"
  exit 77
fi

status=0
check() {  # check NAME: exit 2, the clear message, the previous file unchanged, no temporary file
  local name=$1
  printf '%s: exit %s: %s\n' "$name" "$got" "$out"
  if [[ $got -ne 2 ]]; then echo "$name: expected exit 2, got $got"; status=1; fi
  if ! grep -q "cannot create .*Read-only file system\|cannot create .*Permission denied" <<<"$out"; then
    echo "$name: no clear error message"; status=1
  fi
  cmp -s out/results.h5 results.before || { echo "$name: the previous results file was changed"; status=1; }
  if compgen -G 'out/.*.tmp*' >/dev/null; then echo "$name: a temporary file was left behind"; status=1; fi
  if grep -q "slots done" <<<"$out"; then echo "$name: slots ran"; status=1; fi
}
out=$(read_only "$cimmc" --quiet run "$study" --force -o out/results.h5 2>&1); got=$?
check "run --force"
out=$(read_only "$cimmc" --quiet run "$study" --resume -o out/results.h5 2>&1); got=$?
# A complete file resumed has nothing to run, but the run still writes the file at its start.
check "run --resume"
out=$(read_only "$cimmc" --quiet cost --model lenet5 --hw zebra_lcu -o out/cost.h5 2>&1); got=$?
check "cost -o"
out=$(read_only "$cimmc" --quiet switching --device stox_converter --current-A 1e-4 --pulse-s 1e-9 --trials 4 \
  -o out/switching.h5 2>&1); got=$?
check "switching -o"
"$cimmc" inspect out/results.h5 >/dev/null || { echo "the previous results file is not readable"; status=1; }
[[ $status -eq 0 ]] && echo "read-only folder: clear errors, previous results kept"
exit $status
