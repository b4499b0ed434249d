#!/usr/bin/env bash
# readme_commands.sh N -- prints README.md's N-th ```sh block: 1 is the
# command that sets up a fresh machine and runs pi, 2 the test command.
# .ci/run and tests/fresh_machine.sh run what this prints, so neither can
# drift from what README tells a newcomer to type.
set -euo pipefail
readme=$(dirname "${BASH_SOURCE[0]}")/../README.md
[ "${1:-}" = 1 ] || [ "${1:-}" = 2 ] || { echo "usage: $0 1|2" >&2; exit 2; }
out=$(awk -v want="$1" '/^```sh$/ { n++; inside = 1; next } /^```$/ { inside = 0; next }
                        inside && n == want' "$readme")
[ -n "$out" ] || { echo "readme_commands.sh: README.md has no sh block $1" >&2; exit 1; }
printf '%s\n' "$out"
