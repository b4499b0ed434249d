#!/usr/bin/env bash
# check_h5out.sh EXPECTED H5PEEK FILE DATASET COMMAND...
# Runs COMMAND (which writes FILE), then `H5PEEK FILE DATASET`, and compares
# what h5peek prints with EXPECTED, leaving out the "seconds = " line (the
# run's time).
set -u
expected=$1 h5peek=$2 file=$3 dataset=$4
shift 4
rm -f "$file"
"$@" >/dev/null || { echo "command failed with status $?: $*" >&2; exit 1; }
diff -u "$expected" <("$h5peek" "$file" "$dataset" | grep -v '^seconds = ')
