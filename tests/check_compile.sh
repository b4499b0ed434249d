#!/usr/bin/env bash
# check_compile.sh ok|fail REGEX COMPILER ARGS...
# Compiles (COMPILER ARGS...) and checks the outcome: "ok" wants success,
# "fail" wants a failure whose diagnostics match the extended REGEX, so that
# a file that fails for another reason (a missing include) does not pass as
# the error the test is about.
set -u
want=$1 regex=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
status=$?
cat "$out"
case $want in
  ok) [ "$status" -eq 0 ] || { echo "compile failed, expected it to succeed"; exit 1; } ;;
  fail)
    [ "$status" -ne 0 ] || { echo "compile succeeded, expected an error matching '$regex'"; exit 1; }
    grep -qE -- "$regex" "$out" || { echo "compile failed, but not with '$regex'"; exit 1; } ;;
  *) echo "check_compile.sh: want 'ok' or 'fail', not '$want'" >&2; exit 2 ;;
esac
