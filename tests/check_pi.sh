#!/usr/bin/env bash
# check_pi.sh PI_BINARY NRANKS VARIANT MPIEXEC...
# The pi app's count inside the circle depends on --seed and --tasks only:
# the run of VARIANT on NRANKS ranks must print the same count as the serial
# run (--workers 0), run every task once with the right number of trials,
# and estimate pi to within 4 standard errors (4 * 4 * sqrt(p(1-p)/N),
# p = pi/4, N = 2e6: 0.0046).
set -u
pi=$1 n=$2 variant=$3
shift 3
args=(--trials 2000000 --tasks 37 --seed 7)
serial=$("$@" -n 1 "$pi" "${args[@]}" --workers 0 --verbose 0) || { echo "serial run failed"; exit 1; }
parallel=$("$@" -n "$n" "$pi" "${args[@]}" --variant "$variant") || { echo "parallel run failed"; exit 1; }
echo "$parallel"
s_line=$(grep '^inside circle:' <<<"$serial")
p_line=$(grep '^inside circle:' <<<"$parallel")
[ -n "$s_line" ] && [ "$s_line" = "$p_line" ] || { echo "count differs: serial '$s_line', parallel '$p_line'"; exit 1; }
tasks=$(grep -c '^Executing calc_point_inside_circle with ' <<<"$parallel")
[ "$tasks" -eq 37 ] || { echo "expected 37 task lines, got $tasks"; exit 1; }
total=$(grep '^Executing' <<<"$parallel" | awk '{gsub(",", "", $4); s += $4} END {print s}')
[ "$total" -eq 2000000 ] || { echo "tasks ran $total trials, expected 2000000"; exit 1; }
estimate=$(head -n 1 <<<"$serial")
awk -v e="$estimate" 'BEGIN { p = 3.14159265358979 / 4; se = 4 * sqrt(p * (1 - p) / 2000000);
  d = e - 4 * p; exit !(d < 4 * se && d > -4 * se) }' ||
  { echo "estimate $estimate is not within 4 standard errors of pi"; exit 1; }
echo "OK: $p_line"
