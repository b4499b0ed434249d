#!/usr/bin/env bash
# check_valgrind.sh SUPP LAUNCH... -- TEST-BINARY CASE [TEST-BINARY CASE ...]
# Runs each module test case under `LAUNCH valgrind` (memcheck, full leak
# check, definite leaks are errors) and fails if any rank reports an error
# that tests/valgrind.supp does not suppress. Exit 77 (skip) without valgrind.
set -u
supp=$1
shift
launch=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    launch+=("$1")
    shift
done
shift
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind is not installed"; exit 77; }
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
failed=0
while [ $# -ge 2 ]; do
    bin=$1 case=$2
    shift 2
    name=$(basename "$bin").$case
    start=$(date +%s)
    "${launch[@]}" valgrind -q --error-exitcode=42 --num-callers=50 \
        --suppressions="$supp" --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$logdir/$name.%p.log" "$bin" "$case" >"$logdir/$name.out" 2>&1
    status=$?
    echo "$name: exit $status in $(($(date +%s) - start)) s"
    # The exit status covers it (42 from any rank); the grep also catches a
    # rank whose report came after mpiexec had decided the job's status.
    if [ "$status" -ne 0 ] ||
        grep -qsE "^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|.* definitely lost)" \
            "$logdir/$name".*.log; then
        failed=1
        cat "$logdir/$name.out" "$logdir/$name".*.log
    fi
done
[ "$failed" -eq 0 ] || { echo "valgrind found errors (logs above)"; exit 1; }
echo "valgrind: no errors"
