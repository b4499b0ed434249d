#!/usr/bin/env bash
# check_pi_cache.sh PI_BINARY WORKDIR MPIEXEC...
# Runs pi twice with --cache on 3 ranks: the first run computes and stores
# all 5 tasks, the second reads all 5 back and computes none, with the same
# count. Changed parameters miss. A damaged cache file is reported and recomputed, not trusted.
# --output writes an HDF5 file whose "inside" dataset holds that count.
set -u
pi=$1 dir=$2
shift 2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
args=(--trials 1000000 --tasks 5 --seed 3 --cache "$dir/cache.h5" --verbose 0)
first=$("$@" -n 3 "$pi" "${args[@]}" --output "$dir/out.h5") || { echo "first run failed"; exit 1; }
echo "$first"
second=$("$@" -n 3 "$pi" "${args[@]}") || { echo "second run failed"; exit 1; }
echo "$second"
grep -q '^cache: 0 of 5 tasks read from .*, 5 computed and stored$' <<<"$first" || { echo "first run should compute all"; exit 1; }
grep -q '^cache: 5 of 5 tasks read from .*, 0 computed and stored$' <<<"$second" || { echo "second run should read all"; exit 1; }
count1=$(grep '^inside circle:' <<<"$first") count2=$(grep '^inside circle:' <<<"$second")
[ "$count1" = "$count2" ] || { echo "cached count differs: '$count1' vs '$count2'"; exit 1; }
# Other parameters are other keys: nothing read back.
other=$("$@" -n 3 "$pi" --trials 2000000 --tasks 5 --seed 3 --cache "$dir/cache.h5" --verbose 0) ||
  { echo "run with other trials failed"; exit 1; }
grep -q '^cache: 0 of 5 tasks read' <<<"$other" || { echo "changed --trials still hit the cache"; exit 1; }
printf 'not HDF5 at all' >"$dir/cache.h5"
third=$("$@" -n 3 "$pi" "${args[@]}" 2>"$dir/stderr") || { echo "run on a damaged cache failed"; exit 1; }
grep -q 'damaged' "$dir/stderr" || { echo "damaged cache not reported"; cat "$dir/stderr"; exit 1; }
grep -q '^cache: 0 of 5 tasks read' <<<"$third" || { echo "damaged cache was trusted"; exit 1; }
[ "$(grep '^inside circle:' <<<"$third")" = "$count1" ] || { echo "recomputed count differs"; exit 1; }
if command -v h5dump >/dev/null; then
  want=$(sed -E 's/^inside circle: ([0-9]+) of.*/\1/' <<<"$count1")
  got=$(h5dump -d /inside -y -w 0 "$dir/out.h5" | sed -n '/DATA {/,/}/p' | grep -oE '[0-9]+' | tail -n 1)
  [ "$got" = "$want" ] || { echo "--output holds inside=$got, expected $want"; exit 1; }
fi
echo OK
