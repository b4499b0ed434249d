#!/usr/bin/env bash
# check_lint.sh cppcheck|clang-tidy SOURCE_DIR BUILD_DIR
# Runs one static analyser over src/*.c and fails on any finding.
set -u
tool=$1 src=$2 build=$3
command -v "$tool" >/dev/null || { echo "$tool not found: skipped"; exit 77; }
cd "$src" || exit 2
case $tool in
  cppcheck)
    out=$(cppcheck --enable=warning,portability --inline-suppr --quiet --error-exitcode=1 \
      -D_GNU_SOURCE -I src -I src/include --suppress=missingIncludeSystem src/*.c 2>&1)
    status=$? ;;
  clang-tidy)
    [ -f "$build/compile_commands.json" ] || { echo "no compile_commands.json in $build"; exit 2; }
    out=$(clang-tidy -p "$build" --quiet --warnings-as-errors='*' src/*.c 2>&1)
    status=$? ;;
  *) echo "unknown tool $tool"; exit 2 ;;
esac
printf '%s\n' "$out" | grep -E 'warning|error' | grep -v '^[0-9]* warnings generated' | head -40
exit $status
