#!/usr/bin/env bash
# check_export.sh CSV TBL VA CURRENTS
# Checks the files `cimmc export-table` wrote for a table of CURRENTS currents at one pulse
# width: the CSV's header, units line and rows (5 fields, P in [0, 1] and rising, the fit on
# every row), the table-model data (3 columns, ln t, the same currents and P as the CSV) and the
# Verilog-A module (reads the data file through $table_model, closest lookup in t).
set -u
csv=$1 tbl=$2 va=$3 n=$4
fail() { printf 'check_export: %s\n' "$*"; exit 1; }
[[ -s $csv && -s $tbl && -s $va ]] || fail "missing output files"
grep -q '^# units: current_A A, pulse_width_s s, p_switch 1, i50_A A, width_A A$' "$csv" || fail "$csv: no units line"
grep -q '^current_A,pulse_width_s,p_switch,i50_A,width_A$' "$csv" || fail "$csv: no header"
awk -F, -v n="$n" '
  /^#/ || /^current_A/ { next }
  { rows++
    if (NF != 5) { print "row " rows " has " NF " fields"; bad = 1 }
    if ($3 < 0 || $3 > 1 || $3 < last) { print "row " rows ": p_switch " $3 " not in [0, 1] or falling"; bad = 1 }
    if ($4 < 100e-6 || $4 > 125e-6 || $5 <= 0) { print "row " rows ": fit " $4 ", " $5; bad = 1 }
    if ($2 != 1e-9) { print "row " rows ": pulse width " $2; bad = 1 }
    last = $3 }
  END { if (rows != n) { print rows " rows, expected " n; bad = 1 } exit bad }' "$csv" || fail "$csv: bad rows"
# The data file holds the same numbers as the CSV, with ln(pulse width) first.
paste -d' ' <(grep -v '^#' "$tbl") <(grep -v '^[#c]' "$csv" | tr ',' ' ') | awk -v n="$n" '
  { rows++
    if (NF != 8) { print "row " rows ": " NF " fields"; bad = 1 }
    if ($2 != $4 || $3 != $6) { print "row " rows ": table " $2 " " $3 " vs csv " $4 " " $6; bad = 1 }
    if (($1 - log($5)) > 1e-12 || ($1 - log($5)) < -1e-12) { print "row " rows ": ln t " $1 " vs t " $5; bad = 1 } }
  END { if (rows != n) { print rows " rows, expected " n; bad = 1 } exit bad }' || fail "$tbl does not match $csv"
grep -q '^module cimmc_switching_stox_converter(i_in, t_in, p_out);$' "$va" || fail "$va: no module line"
grep -q "parameter string table_file = \"$(basename "$tbl")\";" "$va" || fail "$va: does not name $tbl"
grep -q '\$table_model(ln_pulse_width, current_A, table_file, "D,1CC")' "$va" || fail "$va: no \$table_model call"
grep -q '^endmodule$' "$va" || fail "$va: no endmodule"
echo "check_export: $csv, $tbl and $va agree ($n rows)"
