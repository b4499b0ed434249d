#!/usr/bin/env bash
# run_fuzz.sh SECONDS [WORKDIR]
# Builds the libFuzzer harness for mpr's message decoders with clang
# (AddressSanitizer + UBSan), seeds a corpus with valid encodings and fuzzes
# for SECONDS. Exit 77 (skip) when clang or libFuzzer is missing.
set -u
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
work=${2:-$(mktemp -d)}
mkdir -p "$work/corpus"
cc=$(command -v clang || command -v clang-14 || true)
[ -n "$cc" ] || { echo "clang not found: skipped"; exit 77; }
mpi_cflags=$(mpicc --showme:compile) mpi_libs=$(mpicc --showme:link)
h5_cflags=$(pkg-config --cflags hdf5-openmpi 2>/dev/null) h5_libs=$(pkg-config --libs hdf5-openmpi 2>/dev/null)
# Every library source but the harness's main: the decoders live in several.
sources=$(ls "$src"/*.c)
flags=(-g -O1 -D_GNU_SOURCE -I"$src" -I"$src/include" $mpi_cflags $h5_cflags)
libs=($mpi_libs $h5_libs -lxxhash -lpthread -ldl -lm)
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
     "$cc" -x c -fsanitize=fuzzer - -o "$work/probe" 2>/dev/null; then
  echo "clang has no libFuzzer (Debian: libclang-rt-14-dev): skipped"; exit 77
fi
"$cc" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  "$here/fuzz_wire.c" $sources "${libs[@]}" -o "$work/fuzz_wire" || exit 1
"$cc" "${flags[@]}" "$here/seeds.c" $sources "${libs[@]}" -o "$work/seeds" || exit 1
"$work/seeds" "$work/corpus" || exit 1
cp "$here"/corpus/* "$work/corpus/" 2>/dev/null
ASAN_OPTIONS=detect_leaks=0 "$work/fuzz_wire" -max_total_time="$seconds" -timeout=5 \
  -print_final_stats=1 "$work/corpus"
