#!/usr/bin/env bash
# fresh_machine.sh -- README's two commands, exactly as README gives them, on
# a clean Debian 12 (bookworm) made with debootstrap: once as root (a
# container or CI runner: no sudo) and once as a user with sudo (a
# workstation), each on its own fresh copy, so each run installs everything.
#
#   sudo tests/fresh_machine.sh [--as root|user|both] [--keep] DIR
#
# DIR holds the debootstrapped base (kept and reused: DIR/base), one copy
# per run (removed afterwards unless --keep) and the logs DIR/<who>.log.
# Passes when the first command ends with pi's summary and the second exits
# 0; prints ctest's tally and skips of each half. Needs root, debootstrap,
# ~4 GB in DIR per copy, and a Debian mirror (MPR_DEBIAN_MIRROR, default
# deb.debian.org). Takes ~35 min per run on 2 cores (the test command).
#
# What a fresh machine has that debootstrap does not make: / as a mount
# point, /sys with its cgroup filesystem (slurmd needs it), /etc/hosts naming
# the host, /etc/resolv.conf, and a policy-rc.d that keeps
# package scripts from starting daemons (munge, slurmd) inside the chroot,
# as container images do. The checkout is a `git clone` of this repository's
# HEAD, as a newcomer's would be.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
MIRROR=${MPR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
who=both keep=0
log() { printf '[fresh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { echo "fresh_machine.sh: $*" >&2; exit 1; }

while [ $# -gt 1 ]; do
    case $1 in
        --as) who=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        *) break ;;
    esac
done
[ $# = 1 ] || die "usage: $0 [--as root|user|both] [--keep] DIR"
case $who in root | user | both) ;; *) die "--as takes root, user or both" ;; esac
W=$(mkdir -p "$1" && cd "$1" && pwd)
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"

setup_cmd=$("$HERE/readme_commands.sh" 1)
test_cmd=$("$HERE/readme_commands.sh" 2)

make_base() {
    [ -f "$W/base/.mpr-complete" ] && return 0
    rm -rf "$W/base"
    log "debootstrap bookworm into $W/base ($MIRROR)"
    debootstrap --variant=minbase bookworm "$W/base" "$MIRROR" >"$W/debootstrap.log" 2>&1 ||
        { tail -n 20 "$W/debootstrap.log" >&2; die "debootstrap failed"; }
    touch "$W/base/.mpr-complete"
}

mount_all() {
    local r=$1
    mount --bind "$r" "$r"   # / is a mount point, as `ip netns exec` (multinode tests) expects
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"       # with /sys/fs/cgroup, which slurmd needs
    mount --make-rslave "$r/sys"
    mount --rbind /dev "$r/dev"
    mount --make-rslave "$r/dev"
    mount -t tmpfs run "$r/run"
    mount -t tmpfs tmp "$r/tmp"
}

# Stop what the run left behind inside the chroot, then unmount it.
release() {
    local r=$1 p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && kill -9 "${p#/proc/}" 2>/dev/null || true
    done
    sleep 1
    umount -R "$r" 2>/dev/null || umount -Rl "$r" 2>/dev/null || true
}

# run_as WHO: a fresh copy of the base, then README's two commands in it.
run_as() {
    local w=$1 r=$W/$1 home user=() rc=0
    rm -rf "$r"; cp -a "$W/base" "$r"
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$(hostname)" >"$r/etc/hosts"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"; chmod 755 "$r/usr/sbin/policy-rc.d"
    mount_all "$r"
    trap 'release "'"$r"'"' EXIT
    home=/root
    : >"$W/$w.log"
    if [ "$w" = user ]; then
        log "$w: installing sudo and adding user newcomer (sudo without password)"
        chroot "$r" env DEBIAN_FRONTEND=noninteractive sh -c \
            'apt-get update -qq && apt-get install -y -qq sudo >/dev/null' >>"$W/$w.log" 2>&1
        chroot "$r" useradd -m -s /bin/bash newcomer
        echo 'newcomer ALL=(ALL) NOPASSWD:ALL' >"$r/etc/sudoers.d/newcomer"
        home=/home/newcomer
        user=(--userspec="$(chroot "$r" id -u newcomer):$(chroot "$r" id -g newcomer)")
    fi
    git clone -q "$REPO" "$r$home/mpr"
    [ "$w" = root ] || chroot "$r" chown -R newcomer:newcomer "$home/mpr"
    log "$w: README's first command: $setup_cmd"
    chroot "${user[@]}" "$r" env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        LANG=C.UTF-8 bash -c "cd ~/mpr && $setup_cmd" >>"$W/$w.log" 2>&1 || rc=$?
    tail -n 5 "$W/$w.log" >&2
    [ $rc = 0 ] || die "$w: the first command failed ($rc); log $W/$w.log"
    grep -q '^pi ~ 3\.14' "$W/$w.log" || die "$w: the first command did not end with pi's summary"
    log "$w: README's test command: $test_cmd"
    chroot "${user[@]}" "$r" env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        LANG=C.UTF-8 bash -c "cd ~/mpr && $test_cmd" >>"$W/$w.log" 2>&1 || rc=$?
    grep -E 'tests passed|Total Test time' "$W/$w.log" >&2 || true
    log "$w: skipped: $(grep -c '\*\*\*Skipped' "$W/$w.log" || true) tests"
    release "$r"; trap - EXIT
    [ $keep = 1 ] || rm -rf "$r"
    [ $rc = 0 ] || die "$w: the test command failed ($rc); log $W/$w.log"
    log "$w: passed (log $W/$w.log)"
}

make_base
case $who in
    root) run_as root ;;
    user) run_as user ;;
    both) run_as root; run_as user ;;
esac
