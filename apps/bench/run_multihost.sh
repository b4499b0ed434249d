#!/usr/bin/env bash
# run_multihost.sh — the benchmark suite's multi-host section: mpr next to
# raw MPI across 3 simulated hosts (network namespaces over TCP, made by
# tests/multinode.sh; needs root), medians of repetitions interleaved with
# their raw reference inside each program.
#
#   apps/bench/run_multihost.sh [--reps N] [--build-dir DIR] [--out DIR]
#
# Cases (rank 0 on node1, the pair on node2 and node3):
#   hosts_pipe_rtt   8 B half round trip through a duplex Pipe between two
#                    hosts; raw: MPI_Send/MPI_Recv ping-pong
#   hosts_pair       one producer and one consumer on two hosts, 8 B items;
#                    raw: MPI_Send/MPI_Recv
#   served           events rank 0's server threads handled per item (0:
#                    no item passes through rank 0)
#   test_multinode latency and busy_home: Value fetch_add from another host
#                    (idle home, and home computing), Queue put+get
#   verify_prime     --variant flagged, the five cases' total: 3 ranks one
#                    per host against 3 ranks on one host, alternated
# Prints a Markdown report and writes OUT/report.md, OUT/samples.csv.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
src=$(cd "$here/../.." && pwd)
build="$src/build-bench"
out=""
reps=5
while [ $# -gt 0 ]; do
    case "$1" in
    --reps) reps=$2; shift ;;
    --build-dir) build=$2; shift ;;
    --out) out=$2; shift ;;
    -h | --help) bench_usage "$0"; exit 0 ;;
    *) echo "run_multihost.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$out" ] || out="$build/bench-multihost"
bench_need run_multihost.sh "$build" apps/bench_channels tests/test_multinode apps/verify_prime
mkdir -p "$out"
bench_allow_root
export MPR_MN_TAG=${MPR_MN_TAG:-249}
hosts="$out/hosts"
mn="$src/tests/multinode.sh"
"$mn" up "$hosts" || exit $?
trap '"$mn" down "$hosts" >/dev/null 2>&1' EXIT

"$mn" run "$hosts" -np 3 --map-by node "$build/apps/bench_channels" --multihost 1 \
    --reps "$reps" --items 20000 --iters 2000 >"$out/channels.out" 2>"$out/channels.err" ||
    { echo "bench_channels failed (see $out/channels.err)" >&2; exit 1; }
grep '^sample,' "$out/channels.out" | cut -d, -f2- >"$out/samples.csv"
: >"$out/latency.out"
for r in $(seq 1 "$reps"); do
    "$mn" run "$hosts" -np 3 --map-by node "$build/tests/test_multinode" latency >>"$out/latency.out" 2>&1
done
"$mn" run "$hosts" -np 3 --map-by node "$build/tests/test_multinode" busy_home >"$out/busy.out" 2>&1
# The flagged total: the sum of the five "(Took T seconds)" of one run.
: >"$out/verify_prime.csv"
for r in $(seq 1 "$reps"); do
    for placement in "three_hosts --map-by node" "one_host --host node1:3"; do
        set -- $placement
        name=$1; shift
        "$mn" run "$hosts" -np 3 "$@" "$build/apps/verify_prime" --variant flagged 2>&1 |
            sed -n 's/.*(Took \([0-9.e+-]*\) seconds)/\1/p' |
            awk -v name="$name" '{ t += $1; n++ } END { if (n == 5) printf "%s,%.4f\n", name, t }' \
                >>"$out/verify_prime.csv"
    done
done

{
    echo "## Multi-host: 3 simulated hosts over TCP ($(date -u +%F), $reps repetitions, medians)"
    echo
    echo "| case | mpr | raw MPI | mpr / raw |"
    echo "|---|---|---|---|"
    awk -F, "$BENCH_AWK_MEDIAN"'
        $5 >= 0 { vals[$1 "," $2 "," $3 "," $4] = vals[$1 "," $2 "," $3 "," $4] " " $6 }
        END {
            split("hosts_pipe_rtt,8B,us hosts_pipe_rtt,1MiB,us hosts_pair,1_pair_8B,items/s", cases, " ")
            for (c = 1; c in cases; c++) {
                split(cases[c], f, ",")
                m = median(vals[f[1] ",mpr," f[2] "," f[3]]); r = median(vals[f[1] ",raw," f[2] "," f[3]])
                printf "| %s %s | %.4g %s | %.4g %s | %.2fx |\n", f[1], f[2], m, f[3], r, f[3], r ? m / r : 0
            }
        }' "$out/samples.csv"
    echo
    grep '^served,' "$out/channels.out" | sed 's/^/    /'
    echo
    echo "test_multinode latency ($reps runs; each line a median of 400):"
    echo
    grep '^latency' "$out/latency.out" | sed 's/^/    /'
    echo
    grep '^busy_home' "$out/busy.out" | sed 's/^/    /'
    echo
    awk -F, "$BENCH_AWK_MEDIAN"'
        { vals[$1] = vals[$1] " " $2; runs[$1]++ }
        END {
            if (!runs["three_hosts"] || !runs["one_host"]) { print "verify_prime: no complete run"; exit }
            m3 = median(vals["three_hosts"]); m1 = median(vals["one_host"])
            printf "verify_prime --variant flagged, five cases: 3 hosts %.3f s, one host %.3f s (medians of %d): %.2fx\n", m3, m1, runs["one_host"], m3 / m1
        }' "$out/verify_prime.csv"
} | tee "$out/report.md"
