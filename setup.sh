#!/usr/bin/env bash
# setup.sh -- README's first command: on a fresh Debian 12 or Ubuntu machine,
# install the Debian packages mpr and its tests need, build the Release
# apps, and run the main job (Monte Carlo pi, 1e8 trials, on all local cores).
#
#   ./setup.sh              install what is missing, build, run pi
#   ./setup.sh --deps-only  install what is missing, nothing else
#
# Works as root (a container, a CI runner: no sudo needed) and as a user with
# sudo; apt-get runs only when a package is missing, so a second run needs
# neither. .ci/run calls this script, so CI installs exactly what README's
# commands need. What each package is for: README, "Dependencies".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Build and run: compiler, CMake, MPI, parallel HDF5, xxHash.
packages=(build-essential cmake ninja-build pkg-config openmpi-bin libopenmpi-dev
          libhdf5-openmpi-dev libxxhash-dev)
# The test suite: h5dump, the format/lint/valgrind/fuzz checks, the plots of
# the scaling tests, the simulated hosts (ip) and the one-node Slurm cluster.
packages+=(hdf5-tools clang-format clang libclang-rt-14-dev clang-tidy cppcheck valgrind
           gnuplot-nox iproute2 slurmctld slurmd slurm-client munge)

die() { echo "setup.sh: $*" >&2; exit 1; }

install_missing() {
    local missing=() p sudo=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || { echo "setup.sh: all ${#packages[@]} packages are installed"; return 0; }
    command -v apt-get >/dev/null || die "no apt-get: install these by hand: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null ||
            die "not root and no sudo: as root, run: apt-get install ${missing[*]}"
        sudo=(sudo)
    fi
    echo "setup.sh: installing ${#missing[@]} packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

case "${1:-}" in
    "") ;;
    --deps-only) install_missing; exit 0 ;;
    *) echo "usage: $0 [--deps-only]" >&2; exit 2 ;;
esac

install_missing
cmake --preset release >/dev/null
cmake --build --preset release
# Open MPI refuses root unless told; a container's only user is root.
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# One rank more than the cores: rank 0 coordinates and mostly sleeps.
ranks=$(($(nproc) + 1))
echo "setup.sh: mpirun --oversubscribe -n $ranks build/release/apps/pi --verbose 0"
mpirun --oversubscribe -n "$ranks" build/release/apps/pi --verbose 0
