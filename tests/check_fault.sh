#!/usr/bin/env bash
# check_fault.sh WANT_STATUS WANT_TEXT SECONDS COMMAND...
# Runs COMMAND under a wall-clock limit: it must end within SECONDS (no
# hang), with exit status WANT_STATUS ("nonzero" for any failure) and
# WANT_TEXT (an extended regex) in its stdout or stderr. Afterwards no
# process of the job may be left.
set -u
want_status=$1 want_text=$2 limit=$3
shift 3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout --kill-after=5 "$limit" "$@" >"$out" 2>&1
status=$?
cat "$out"
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "HANG: still running after ${limit}s"; exit 1; }
if [ "$want_status" = nonzero ]; then
  [ "$status" -ne 0 ] || { echo "exit status 0, expected a failure"; exit 1; }
else
  [ "$status" -eq "$want_status" ] || { echo "exit status $status, expected $want_status"; exit 1; }
fi
grep -qE -- "$want_text" "$out" || { echo "output lacks /$want_text/"; exit 1; }
# The ranks' command lines start with the program's path (this script's own
# line starts with bash or the script), so this finds only job processes.
pattern="^${*: -2:1} ${*: -1}\$"
sleep 0.5
if pgrep -f "$pattern" >/dev/null; then
  echo "orphans left:"; pgrep -af "$pattern"; exit 1
fi
echo OK
