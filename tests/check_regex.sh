#!/usr/bin/env bash
# check_regex.sh [--status N] [--stderr REGEXES] EXPECTED COMMAND...
#
# For app output that holds pids, hosts or random numbers, or whose order is
# only partly fixed. Runs COMMAND and checks:
#   - stdout against EXPECTED: one POSIX extended regex per line, each of
#     which must match a whole output line, in order, with no line left over.
#     A group of regexes between a line "@unordered" and a line "@end"
#     matches the next as many output lines in any order (each regex once;
#     the first regex that fits a line takes it, so keep a group's regexes
#     from overlapping).
#   - the exit status: N (default 0).
#   - with --stderr: every regex in the file REGEXES matches some line of
#     stderr (e.g. the mpr error message of a run that lacks ranks).
set -u
status_want=0 stderr_regexes=
while [ $# -gt 0 ]; do
  case $1 in
    --status) status_want=$2; shift 2 ;;
    --stderr) stderr_regexes=$2; shift 2 ;;
    *) break ;;
  esac
done
expected=$1
shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"$@" >"$out" 2>"$err"
status=$?
failed=0
fail() { echo "check_regex.sh: $*" >&2; failed=1; }

mapfile -t want <"$expected"
mapfile -t got <"$out"

# match_group FIRST COUNT: output lines got[FIRST..] against group[].
match_group() {
  local first=$1 count=$2 i j
  local -a used=()
  for ((i = 0; i < count; i++)); do
    local line=${got[first + i]-}
    for ((j = 0; j < count; j++)); do
      if [ -z "${used[j]-}" ] && [[ $line =~ ^(${group[j]})$ ]]; then
        used[j]=1
        continue 2
      fi
    done
    fail "output line $((first + i + 1)) '$line' matches no unused regex of the group" \
      "starting at expected line $((group_at + 1))"
    return
  done
}

g=0
for ((w = 0; w < ${#want[@]} && !failed; w++)); do
  if [ "${want[w]}" = "@unordered" ]; then
    group=() group_at=$w
    w=$((w + 1))
    while [ "$w" -lt ${#want[@]} ] && [ "${want[w]}" != "@end" ]; do
      group+=("${want[w]}")
      w=$((w + 1))
    done
    [ "$w" -lt ${#want[@]} ] || fail "expected line $((group_at + 1)): @unordered without @end"
    [ $((g + ${#group[@]})) -le ${#got[@]} ] ||
      fail "output ends inside the group of expected line $((group_at + 1))"
    [ $failed -eq 0 ] && match_group "$g" ${#group[@]}
    g=$((g + ${#group[@]}))
  elif [ "$g" -ge ${#got[@]} ]; then
    fail "output ends before expected line $((w + 1)) '${want[w]}'"
  elif ! [[ ${got[g]} =~ ^(${want[w]})$ ]]; then
    fail "output line $((g + 1)) '${got[g]}' does not match expected line $((w + 1)) '${want[w]}'"
  else
    g=$((g + 1))
  fi
done
[ $failed -eq 0 ] && [ "$g" -lt ${#got[@]} ] && fail "extra output from line $((g + 1)): '${got[g]}'"

[ "$status" -eq "$status_want" ] || fail "exit status $status, expected $status_want"

if [ -n "$stderr_regexes" ]; then
  while IFS= read -r re; do
    grep -Eq -- "$re" "$err" || fail "no stderr line matches '$re'"
  done <"$stderr_regexes"
fi

if [ $failed -ne 0 ]; then
  echo "--- command: $*" >&2
  echo "--- stdout:" >&2
  cat "$out" >&2
  echo "--- stderr:" >&2
  cat "$err" >&2
  exit 1
fi
exit 0
