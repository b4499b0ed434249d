# common.sh — what the benchmark drivers (run_suite.sh, run_multihost.sh)
# share; sourced, not run.

# The usage text of a script: its header comment, up to `set -u`.
bench_usage() { sed -n '2,/^set -u/p' "$1" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# Open MPI refuses to run as root without these (containers, CI runners).
bench_allow_root() {
    if [ "$(id -u)" = 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
}

# bench_need SCRIPT BUILD PROGRAM...: exit 2 unless every BUILD/PROGRAM is built.
bench_need() {
    local script=$1 build=$2 b
    shift 2
    for b in "$@"; do
        if [ ! -x "$build/$b" ]; then
            echo "$script: $build/$b not found: build first (cmake -S . -B build-bench" \
                "-DCMAKE_BUILD_TYPE=Release && cmake --build build-bench)" >&2
            exit 2
        fi
    done
}

# An awk function for report programs: the median of the numbers in a
# space-separated string.
BENCH_AWK_MEDIAN='
function median(s,   n, i, j, t, v) {
    n = split(s, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}'
