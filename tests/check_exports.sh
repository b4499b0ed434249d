#!/usr/bin/env bash
# check_exports.sh LIBRARY [NM]
# Fails if the shared LIBRARY exports a function whose name does not start
# with mpr_ (STYLE point 3), or exports an mpr__ internal: every function
# outside the public API must stay hidden (C_VISIBILITY_PRESET hidden, and
# MPR_EXTERN only in mpr.h). Exits 77 (skip) when nm is missing.
set -eu
lib=$1 nm=${2:-nm}
if ! command -v "$nm" >/dev/null; then
  echo "nm not found: skipped" >&2
  exit 77
fi
symbols=$("$nm" -D --defined-only "$lib")
# T: text, W: weak, i: indirect (ifunc); all of them are callable functions.
bad=$(awk '$2 ~ /^[TWi]$/ && ($3 !~ /^mpr_/ || $3 ~ /^mpr__/) { print $3 }' <<<"$symbols")
count=$(awk '$2 ~ /^[TWi]$/' <<<"$symbols" | wc -l)
if [ -n "$bad" ]; then
  echo "$lib exports functions outside the public mpr_ API:" >&2
  echo "$bad" >&2
  echo "Make them static, or internal (mpr__ names, no MPR_EXTERN)." >&2
  exit 1
fi
echo "$lib: $count exported functions, all public mpr_ API"
