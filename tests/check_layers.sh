#!/usr/bin/env bash
# check_layers.sh LAYERS SRCDIR NM OBJECT...
# Fails when libmpr's objects break the layer order of LAYERS
# (src/layers.txt): a file that uses a function or variable of a file in a
# lower line of the list (a higher layer), a dependency cycle among files
# (two files that use each other, or a longer loop), or a source file that
# LAYERS does not place. Dependencies are read from the objects with nm:
# file A depends on file B when A's undefined symbols include one B defines.
# An OBJECT argument may hold several paths separated by ';' (CMake's
# $<TARGET_OBJECTS>).
set -euo pipefail
layers=$1 srcdir=$2 nm=$3
shift 3
if ! command -v "$nm" >/dev/null; then
  echo "nm not found: skipped" >&2
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# file -> layer number, from "name: a.c b.c" lines.
awk '/^[a-z_]+:/ { n++; for (i = 2; i <= NF; i++) { f = $i; sub(/\.c$/, "", f); print f, n, $1 } }' \
  "$layers" >"$work/layer"

status=0
for src in "$srcdir"/*.c; do
  base=$(basename "$src" .c)
  if ! awk -v f="$base" '$1 == f { found = 1 } END { exit !found }' "$work/layer"; then
    echo "layers: $base.c is in src/ but not in $(basename "$layers")" >&2
    status=1
  fi
done

: >"$work/defs"
: >"$work/uses"
for arg in "$@"; do
  IFS=';' read -ra objs <<<"$arg"
  for obj in "${objs[@]}"; do
    base=$(basename "$obj")
    base=${base%.o}
    base=${base%.c}
    "$nm" -g --defined-only "$obj" | awk -v f="$base" 'NF >= 3 { print f, $3 }' >>"$work/defs"
    "$nm" -u "$obj" | awk -v f="$base" '{ print f, $NF }' >>"$work/uses"
  done
done

# Every placed file has an object and every object a file: a check over
# fewer objects than sources would pass by seeing less.
awk '{ print $1 }' "$work/defs" "$work/uses" | sort -u >"$work/objects"
awk '{ print $1 }' "$work/layer" | sort >"$work/placed"
if [ -n "$(uniq -d "$work/placed")" ]; then
  echo "layers: placed twice: $(uniq -d "$work/placed" | tr '\n' ' ')" >&2
  status=1
fi
missing=$(comm -23 <(sort -u "$work/placed") "$work/objects" | tr '\n' ' ')
if [ -n "$missing" ]; then
  echo "layers: no object given for: $missing" >&2
  status=1
fi

# "user used symbol" for every use of a symbol another object defines.
awk 'NR == FNR { def[$2] = $1; next }
     ($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' "$work/defs" "$work/uses" |
  sort -u >"$work/edges"
nedges=$(awk '{ print $1, $2 }' "$work/edges" | sort -u | wc -l)
if [ "$nedges" -eq 0 ]; then
  echo "layers: no dependency between the objects at all: nothing was checked" >&2
  status=1
fi

# Uses of a higher layer.
awk 'NR == FNR { layer[$1] = $2; name[$1] = $3; next }
     !($1 in layer) || !($2 in layer) {
       for (i = 1; i <= 2; i++) if (!($i in layer) && !told[$i]++) print "layers: " $i ".o has no layer"
       bad = 1
       next
     }
     layer[$2] > layer[$1] {
       print "layers: " $1 ".c (" name[$1] ") uses " $3 " of " $2 ".c (" name[$2] "), a higher layer"
       bad = 1
     }
     END { exit bad }' "$work/layer" "$work/edges" >&2 || status=1

# Two files that use each other, then any longer cycle (tsort finds loops).
awk '{ print $1, $2 }' "$work/edges" | sort -u >"$work/pairs"
awk '{ dep[$1 " " $2] = 1 } END {
       for (k in dep) { split(k, p, " "); if (p[1] < p[2] && ((p[2] " " p[1]) in dep))
         print "layers: " p[1] ".c and " p[2] ".c depend on each other" } }' "$work/pairs" |
  sort >"$work/mutual"
if [ -s "$work/mutual" ]; then
  cat "$work/mutual" >&2
  status=1
fi
if ! tsort "$work/pairs" >/dev/null 2>"$work/tsort"; then
  echo "layers: a dependency cycle among files:" >&2
  sed 's/^tsort: /  /' "$work/tsort" >&2
  status=1
fi

if [ "$status" -eq 0 ]; then
  nfiles=$(wc -l <"$work/layer")
  nlayers=$(grep -c '^[a-z_]*:' "$layers")
  echo "layers: $nfiles files in $nlayers layers, $nedges file dependencies, all downward, no cycle"
fi
exit "$status"
