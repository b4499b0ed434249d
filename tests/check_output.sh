#!/usr/bin/env bash
# check_output.sh EXPECTED MODE COMMAND...
# Runs COMMAND and compares its stdout with EXPECTED. MODE "exact" compares
# line by line; "sorted" compares the lines as a multiset, for output whose
# interleaving between processes is not deterministic.
set -u
expected=$1 mode=$2
shift 2
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
"$@" >"$actual"
status=$?
if [ "$status" -ne 0 ]; then
  echo "command failed with status $status: $*" >&2
  cat "$actual"
  exit 1
fi
case $mode in
  exact) diff -u "$expected" "$actual" ;;
  sorted) diff -u <(LC_ALL=C sort "$expected") <(LC_ALL=C sort "$actual") ;;
  *) echo "check_output.sh: unknown mode '$mode'" >&2; exit 2 ;;
esac
