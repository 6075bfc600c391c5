#!/usr/bin/env bash
# disk_full.sh CIMMC WORKDIR STUDY: a results file that cannot be written (here a file-size limit
# of 16 KiB with SIGXFSZ ignored, so each write past it fails with EFBIG as on a full disk) makes
# `cimmc run --force` fail with a clear error, leaves the previous results file byte for byte as
# it was and readable, and leaves no temporary file behind.
set -u
cimmc=$1 work=$2 study=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
"$cimmc" --quiet run "$study" --force -o out.h5 || { echo "the first run failed"; exit 1; }
cp out.h5 out.h5.before
out=$( (trap '' XFSZ; ulimit -f 16; exec "$cimmc" --quiet run "$study" --force -o out.h5) 2>&1)
got=$?
printf '%s\n' "$out"
if [[ $got -eq 0 ]]; then echo "the run under a 16 KiB file-size limit succeeded"; exit 1; fi
if [[ $got -gt 2 ]]; then echo "expected a clean error exit (1 or 2), got $got"; exit 1; fi
if ! grep -q "cannot write the file (File too large); the previous file, if any, is unchanged" <<<"$out"; then
  echo "no clear error message"; exit 1
fi
cmp -s out.h5 out.h5.before || { echo "the previous results file was changed"; exit 1; }
"$cimmc" inspect out.h5 >/dev/null || { echo "the previous results file is not readable"; exit 1; }
if compgen -G '.out.h5.tmp*' >/dev/null; then echo "a temporary file was left behind"; exit 1; fi
echo "previous results kept"
