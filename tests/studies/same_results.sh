#!/usr/bin/env bash
# same_results.sh A.h5 B.h5: the result datasets of two cimmc.study files are bit-identical
# (provenance such as `created` may differ).
set -u
status=0
for group in /points /trials /summary /layers /diagnostics /curves /epochs /axes; do
  h5dump -g "$group" "$1" >/dev/null 2>&1 || continue
  a=$(h5dump -g "$group" "$1" | tail -n +2) b=$(h5dump -g "$group" "$2" | tail -n +2)
  if [[ "$a" != "$b" ]]; then echo "$group differs between $1 and $2"; status=1; fi
done
exit $status
