#!/usr/bin/env bash
# check_format.sh [CLANG_FORMAT]
# Checks every .c, .h and .cpp under src/, tests/ and apps/ against .clang-format,
# listing the files at test time so new files are covered without
# reconfiguring. Prints the files that need `clang-format -i`. Exits 77
# (skip) when clang-format is not installed.
set -u
cf=${1:-}
if [ -z "$cf" ] || ! command -v "$cf" >/dev/null; then
  cf=$(command -v clang-format || command -v clang-format-14 || true)
fi
if [ -z "$cf" ]; then
  echo "clang-format not found: skipped" >&2
  exit 77
fi
cd "$(dirname "$0")/.." || exit 2
mapfile -t files < <(find src tests apps -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) \
  2>/dev/null | LC_ALL=C sort)
bad=()
for f in "${files[@]}"; do
  "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
echo "$("$cf" --version): ${#files[@]} files checked"
if [ ${#bad[@]} -gt 0 ]; then
  printf 'needs clang-format -i: %s\n' "${bad[@]}"
  # The first differences of the first file, to show what is wrong.
  "$cf" --dry-run -Werror "${bad[0]}" 2>&1 | head -n 20
  exit 1
fi
