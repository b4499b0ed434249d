#!/usr/bin/env bash
# check_modes.sh EXPECTED MODES COMMAND...
# For apps/primes: runs COMMAND --mode M for each M of the comma-separated
# MODES and checks that every run prints "Took: <seconds>", then exactly the
# line in EXPECTED (count, first ten, last ten primes), then "mode M: ...".
# With "serial" among the modes this checks each parallel mode against the
# serial computation of rank 0 alone as well as against EXPECTED.
set -u
expected=$1 modes=$2
shift 2
want=$(cat "$expected")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=0
for mode in ${modes//,/ }; do
  "$@" --mode "$mode" >"$out"
  status=$?
  took=$(sed -n 1p "$out") got=$(sed -n 2p "$out") summary=$(sed -n 3p "$out")
  if [ "$status" -ne 0 ] || ! [[ $took =~ ^Took:\ [0-9.e+-]+$ ]] || [ "$got" != "$want" ] ||
    [[ $summary != "mode $mode: "* ]]; then
    echo "--mode $mode: exit status $status, output:" >&2
    cat "$out" >&2
    echo "expected line 2: $want" >&2
    failed=1
  else
    echo "--mode $mode: $got"
  fi
done
exit $failed
