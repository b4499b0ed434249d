#!/usr/bin/env bash
# build_with_pkgconfig.sh [--static] PKGCONFIG_DIR SOURCE OUTPUT CC [CFLAGS...]
# Builds SOURCE against the mpr.pc in PKGCONFIG_DIR, as a Makefile user
# would: `cc $(pkg-config --cflags --libs mpr)`, with --static
# `pkg-config --static`, which adds libmpr's private dependencies for a
# libmpr.a. The rpath lets the program find an installed libmpr.so without
# LD_LIBRARY_PATH. Exits 77 (skip) when pkg-config is missing.
set -eu
static=()
if [ "${1:-}" = --static ]; then
  static=(--static)
  shift
fi
pcdir=$1 src=$2 out=$3 cc=$4
shift 4
if ! command -v pkg-config >/dev/null; then
  echo "pkg-config not found: skipped" >&2
  exit 77
fi
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
flags=$(pkg-config ${static[@]+"${static[@]}"} --cflags --libs mpr)
libdir=$(pkg-config --variable=libdir mpr)
echo "pkg-config ${static[*]+${static[*]} }--cflags --libs mpr: $flags"
mkdir -p "$(dirname "$out")"
set -x
"$cc" "$@" -o "$out" "$src" $flags "-Wl,-rpath,$libdir"
