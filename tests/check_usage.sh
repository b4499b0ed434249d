#!/usr/bin/env bash
# check_usage.sh WANT_STATUS WANT_TEXT COMMAND...
# Runs COMMAND and checks its exit status and that stderr contains WANT_TEXT.
set -u
want_status=$1 want_text=$2
shift 2
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$@" >/dev/null 2>"$err"
status=$?
cat "$err"
[ "$status" -eq "$want_status" ] || { echo "exit status $status, expected $want_status"; exit 1; }
grep -qF -- "$want_text" "$err" || { echo "stderr lacks '$want_text'"; exit 1; }
