#!/usr/bin/env bash
# multinode.sh -- simulated hosts on one Linux box for mpr's multi-node tests,
# and THE place that says how mpr is launched across hosts with Open MPI.
#
#   multinode.sh up DIR      bridge + N network namespaces (own hostname,
#                            own /dev/shm each); writes DIR/{hostfile,agent,env}
#   multinode.sh run DIR mpirun-args...   one mpirun job over those hosts
#   multinode.sh down DIR    kill what runs in the namespaces (by PID), delete
#                            namespaces, veths, bridge and DIR
#   multinode.sh mca         print the MCA settings (for a real cluster too)
#
# Exit 77 (skip) when namespaces cannot be made (no root, no CAP_NET_ADMIN /
# CAP_SYS_ADMIN, no iproute2) or, for `run`, when DIR holds no cluster.
# Recipe and measurements: /work/shared/tools/netns-cluster.md (recipe B).
#
# Knobs: MPR_MN_NODES (3), MPR_MN_SLOTS (2), MPR_MN_TAG (0-249: picks the
# subnet 10.78.TAG.0/24 and the names mprTAG-nodeI / mprTAGbr, so clusters of
# two build trees do not collide; CMake derives it from the build dir).
set -euo pipefail

N=${MPR_MN_NODES:-3}
SLOTS=${MPR_MN_SLOTS:-2}
TAG=${MPR_MN_TAG:-0}
NET=10.78.$TAG
PFX=mpr$TAG-
BR=mpr${TAG}br

log() { printf '[multinode %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# The MCA settings a multi-host Open MPI 4.1 job of mpr needs, and why. They
# apply on a real cluster as well (with the cluster's own subnet).
#   btl tcp,self,vader     TCP between hosts, shared memory within one
#   btl/oob_tcp_if_include the interconnect subnet: here the bridge; without
#                          it orted and the BTL may pick an unreachable one
#   mpi_yield_when_idle 1  ranks that poll yield the CPU: on 2 cores the busy
#                          ranks otherwise starve ksoftirqd, which delivers the
#                          veth packets (8-byte half-RTT 4000 us -> 30 us)
# Not set: osc. mpr makes only MPI_Win_allocate_shared windows on each node's
# communicator, which osc sm serves by default; cross-node Value/Lock
# operations go to the home node's heap server by message (src/heap.c), so
# the osc rdma failure over TCP (MPI_ERR_WIN) and osc pt2pt's refusal of
# MPI_THREAD_MULTIPLE never come up. Never pass `--mca osc pt2pt` to mpr.
mca_args() {
    local net=${1:-$NET.0/24}
    echo --mca btl tcp,self,vader --mca btl_tcp_if_include "$net" \
        --mca oob_tcp_if_include "$net" --mca mpi_yield_when_idle 1
}

can_make_namespaces() {
    [ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
    command -v ip >/dev/null || { echo "iproute2 (ip) missing"; return 1; }
    command -v unshare >/dev/null || { echo "unshare (util-linux) missing"; return 1; }
    local probe=${PFX}probe$$
    if ! ip netns add "$probe" 2>/dev/null; then echo "'ip netns add' failed (CAP_SYS_ADMIN?)"; return 1; fi
    local ok=0
    ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null && ok=1
    ip netns del "$probe" 2>/dev/null || true
    [ $ok = 1 ] || { echo "cannot create veth links (CAP_NET_ADMIN?)"; return 1; }
}

do_up() {
    local w=$1 t0=$SECONDS i ns why
    why=$(can_make_namespaces) || skip "network namespaces unavailable: $why"
    # a cluster left by a killed run of this build tree: remove it first
    if ip link show "$BR" >/dev/null 2>&1 || ip netns list | grep -q "^${PFX}node"; then
        log "leftover cluster $PFX* found; removing it"
        do_down "$w"
    fi
    if ip -o -4 addr show | grep -q " $NET\."; then
        skip "subnet $NET.0/24 is already used on this host; set MPR_MN_TAG"
    fi
    mkdir -p "$w"
    [ -d /etc/netns ] || touch "$w/.created-etc-netns"
    trap 'log "up failed; rolling back"; do_down "$w"' ERR
    ip link add "$BR" type bridge
    ip addr add "$NET.1/24" dev "$BR"
    ip link set "$BR" up
    : >"$w/hostfile"
    for i in $(seq 1 "$N"); do
        ns=${PFX}node$i
        ip netns add "$ns"
        ip link add "${PFX}v$i" type veth peer name mpi0 netns "$ns"
        ip link set "${PFX}v$i" master "$BR" up
        ip -n "$ns" addr add "$NET.$((10 + i))/24" dev mpi0
        ip -n "$ns" link set mpi0 up
        ip -n "$ns" link set lo up
        echo "node$i slots=$SLOTS" >>"$w/hostfile"
        # names inside the namespaces; `ip netns exec` bind-mounts this over
        # /etc/hosts, so the real /etc/hosts is never edited
        mkdir -p "/etc/netns/$ns"
        { echo "127.0.0.1 localhost"; for j in $(seq 1 "$N"); do echo "$NET.$((10 + j)) node$j"; done; } \
            >"/etc/netns/$ns/hosts"
    done
    # Open MPI's rsh agent: argv is <host> <shell command line>. Own UTS
    # namespace + hostname (required: with one hostname Open MPI treats all
    # "nodes" as one and vader segfaults), a private /dev/shm (named shared
    # memory must not leak between "hosts"), and env -i (like ssh: ranks get
    # only what mpirun forwards, so a missing -x shows up here too).
    cat >"$w/agent" <<EOF
#!/bin/sh
host=\$1; shift
exec ip netns exec "${PFX}\$host" unshare --uts -- \\
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=\${HOME:-/root} \\
    /bin/sh -c "mount -t tmpfs -o mode=1777 mpr-shm /dev/shm && hostname \$host && exec \$*"
EOF
    chmod +x "$w/agent"
    printf 'MPR_MN_TAG=%s\nMPR_MN_NODES=%s\nMPR_MN_SLOTS=%s\n' "$TAG" "$N" "$SLOTS" >"$w/env"
    trap - ERR
    log "up: $N hosts x $SLOTS slots on $NET.0/24 in $((SECONDS - t0)) s ($w)"
}

# run DIR args...: mpirun over the simulated hosts. Every MPR_* variable of
# the caller is forwarded (-x), as ranks on other hosts start with a clean
# environment (mpr_init also copies rank 0's MPR_* settings to every rank).
do_run() {
    local w=$1; shift
    [ -f "$w/hostfile" ] && [ -f "$w/env" ] || skip "no simulated cluster in $w (multinode.setup skipped or failed)"
    # shellcheck disable=SC1091
    . "$w/env"
    TAG=$MPR_MN_TAG NET=10.78.$MPR_MN_TAG
    local fwd=() v
    # MPR_MN_FORWARD=0: forward nothing (tests that mpr_init shares rank 0's settings itself)
    if [ "${MPR_MN_FORWARD:-1}" != 0 ]; then
        for v in $(compgen -e | grep '^MPR_' | grep -v '^MPR_MN_' || true); do fwd+=(-x "$v"); done
    fi
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    # shellcheck disable=SC2046  # mca_args is a word list by design
    exec mpirun --hostfile "$w/hostfile" --mca plm_rsh_agent "$w/agent" \
        --mca plm_rsh_no_tree_spawn 1 $(mca_args) "${fwd[@]}" "$@"
}

do_down() {
    local w=$1 i ns pids
    for i in $(seq 1 "$N"); do
        ns=${PFX}node$i
        if ip netns list | grep -qw "$ns"; then
            # only our orted and ranks can be inside our namespace
            pids=$(ip netns pids "$ns" 2>/dev/null || true)
            if [ -n "$pids" ]; then
                log "killing leftovers in $ns: $(echo $pids)"
                kill $pids 2>/dev/null || true; sleep 1
                pids=$(ip netns pids "$ns" 2>/dev/null || true)
                [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
            fi
            ip netns del "$ns"
        fi
        ip link del "${PFX}v$i" 2>/dev/null || true
        rm -rf "/etc/netns/$ns"
    done
    if [ -e "$w/.created-etc-netns" ]; then rmdir /etc/netns 2>/dev/null || true; fi
    ip link del "$BR" 2>/dev/null || true
    # namespace deletion is asynchronous: wait for the veths to go
    for _ in $(seq 1 50); do ip -o link show | grep -q " ${PFX}v[0-9]*@" || break; sleep 0.1; done
    rm -rf "$w"
    log "down: namespaces ${PFX}node*, bridge $BR and $w removed"
}

case "${1:-}" in
    up) do_up "${2:?usage: $0 up DIR}" ;;
    run) w=${2:?usage: $0 run DIR mpirun-args...}; shift 2; do_run "$w" "$@" ;;
    down) do_down "${2:?usage: $0 down DIR}" ;;
    mca) mca_args "${2:-<subnet>}"; echo ;;
    *) echo "usage: $0 up DIR | run DIR mpirun-args... | down DIR | mca [SUBNET]" >&2; exit 2 ;;
esac
