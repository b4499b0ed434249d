#!/usr/bin/env bash
# slurm.sh -- a real one-node Slurm cluster for the `slurm` tests, and the
# checks of slurm/*.sbatch run through it with `sbatch --wait`.
#
#   slurm.sh up DIR         munged + slurmctld + slurmd, all state in DIR; waits
#                           for the node to be idle (1-2 s)
#   slurm.sh job DIR NAME   submits one slurm/ script at a smoke size, checks
#                           exit status, answer and result files
#   slurm.sh down DIR       scancel, stop the 3 daemons by their recorded PIDs,
#                           remove DIR
#   slurm.sh scaling DIR [NODES [HOSTSDIR]]  slurm/scaling.sh at 1 and 2
#                           ranks, no Slurm (over tests/multinode.sh hosts)
#
# Exit 77 (skip) when slurmctld/slurmd/munged are missing or not root
# (Debian: apt-get install slurmctld slurmd slurm-client munge).
# Recipe, timings and what fails without each setting:
# /work/shared/tools/slurm-local.md. Knobs: MPR_SLURM_PORT (slurmctld port,
# slurmd +1; CMake derives it from the build dir), MPR_BIN (the apps).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${MPR_SLURM_PORT:-6817}
H=$(hostname -s)
CPUS=4   # advertised: -n 2 jobs plus the extra rank fit; the box may have 2

log() { printf '[slurm-test %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
skip() { echo "SKIP: $*" >&2; exit 77; }
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# munged refuses a socket in a directory whose parents are not executable by
# all (a checkout under root's /root, mode 700), so the socket lives in /run
# (or /tmp), in a directory named after DIR.
munge_run() { echo "$(if [ -w /run ]; then echo /run; else echo /tmp; fi)/mpr-munge-$(printf %s "$1" | cksum | cut -d' ' -f1)"; }

start_daemon() {
    local w=$1 name=$2; shift 2
    nohup "$@" >"$w/log/$name.stdout" 2>&1 </dev/null &
    echo $! >"$w/run/$name.bgpid"
}

# Stops a daemon by the PID recorded at start, if it still is that program.
stop_daemon() {
    local w=$1 name=$2 f="$1/run/$2.bgpid" pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$name"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

write_conf() {
    local w=$1 mem
    mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
    cat >"$w/etc/slurm.conf" <<EOF
# tests/slurm.sh; settings explained in /work/shared/tools/slurm-local.md
ClusterName=mprtest
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$(munge_run "$w")/munge.socket
StateSaveLocation=$w/state
SlurmdSpoolDir=$w/spool/slurmd-%n
SlurmctldPidFile=$w/run/slurmctld.pid
SlurmdPidFile=$w/run/slurmd-%n.pid
SlurmctldLogFile=$w/log/slurmctld.log
SlurmdLogFile=$w/log/slurmd-%n.log
TmpFS=$w/tmp
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=4
SchedulerParameters=batch_sched_delay=0
KillWait=5
SlurmdParameters=config_overrides
NodeName=$H NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

do_up() {
    local w=$1 t0=$SECONDS b
    [ "$(id -u)" = 0 ] || skip "the Slurm test cluster needs root (daemons as root, like CI)"
    for b in munged mungekey slurmctld slurmd sbatch squeue scancel; do
        command -v $b >/dev/null || skip "$b not installed (apt-get install slurmctld slurmd slurm-client munge)"
    done
    # slurmd initialises its cgroup plugin whatever the conf says, and exits
    # without one (seen in a chroot that mounts a fresh sysfs).
    awk '$2 == "/sys/fs/cgroup" { found = 1 } END { exit !found }' /proc/mounts ||
        skip "no cgroup filesystem on /sys/fs/cgroup, which slurmd needs (a chroot or container without it?)"
    [ ! -f "$w/run/slurmctld.bgpid" ] || do_down "$w"
    if ss -Hltn "( sport = :$PORT or sport = :$((PORT + 1)) )" 2>/dev/null | grep -q .; then
        skip "port $PORT or $((PORT + 1)) is in use (another Slurm?); set MPR_SLURM_PORT"
    fi
    local sock; sock=$(munge_run "$w")
    mkdir -p "$w"/{etc,log,run,state,tmp,results,spool/slurmd-"$H",munge-key} "$sock"
    chmod 700 "$w/munge-key"; chmod 755 "$w" "$sock"   # munged's rules
    mungekey -c -k "$w/munge-key/munge.key" -b 1024
    write_conf "$w"
    printf 'export SLURM_CONF=%s\n' "$w/etc/slurm.conf" >"$w/env.sh"
    export SLURM_CONF=$w/etc/slurm.conf
    trap 'log "up failed"; tail -n 20 "$w"/log/* >&2 || true; do_down "$w"; exit 1' ERR
    start_daemon "$w" munged munged -F -S "$sock/munge.socket" \
        --key-file="$w/munge-key/munge.key" --log-file="$w/log/munged.log" \
        --pid-file="$w/run/munged.pid" --seed-file="$w/munge-key/munged.seed"
    for _ in $(seq 1 50); do [ -S "$sock/munge.socket" ] && break; sleep 0.1; done
    start_daemon "$w" slurmctld slurmctld -D -c -f "$SLURM_CONF"
    start_daemon "$w" slurmd slurmd -D -N "$H" -f "$SLURM_CONF"
    for _ in $(seq 1 60); do
        sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle && { trap - ERR; log "cluster up in $((SECONDS - t0)) s ($w)"; return 0; }
        for b in munged slurmctld slurmd; do   # a daemon that exited will not come up: say so now
            alive "$(cat "$w/run/$b.bgpid")" || { log "$b exited at start"; false; }
        done
        sleep 0.5
    done
    false
}

do_down() {
    local w=$1
    if [ -f "$w/env.sh" ] && [ -f "$w/run/slurmctld.bgpid" ]; then
        export SLURM_CONF=$w/etc/slurm.conf
        # shellcheck disable=SC2046
        scancel --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
        for _ in $(seq 1 20); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
    fi
    stop_daemon "$w" slurmd
    stop_daemon "$w" slurmctld
    stop_daemon "$w" munged
    rm -rf "$w" "$(munge_run "$w")"
    log "down: daemons stopped by PID, $w removed"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# sub NAME SCRIPT VAR=VALUE...: sbatch --wait at 2 tasks; prints the log.
sub() {
    local w=$1 name=$2 script=$3; shift 3
    local t0=$SECONDS rc=0
    (cd "$w/results" && env "$@" MPR_BIN="$MPR_BIN" MPR_RESULTS="$w/results/$name" \
        sbatch --wait -n 2 -t 5 -J "$name" -o "$w/results/%x.%j.log" "$HERE/../slurm/$script") ||
        rc=$?
    cat "$w/results/$name".*.log
    log "$name: sbatch --wait returned $rc after $((SECONDS - t0)) s"
    [ $rc = 0 ] || fail "job $name exited with $rc"
}

# no_plotter WHAT: skip, saying what was checked, when slurm/scaling.sh had no
# gnuplot to draw the plots (a missing optional tool is a skip, not a failure).
no_plotter() {
    local g=${MPR_GNUPLOT:-gnuplot}
    command -v "$g" >/dev/null || skip "$1; no plots: gnuplot ($g) not found (apt-get install gnuplot-nox)"
}

expect() { grep -Eq "$2" "$1" || fail "$1 lacks /$2/"; }

do_job() {
    local w=$1 name=$2 r
    [ -f "$w/env.sh" ] || skip "no Slurm test cluster in $w (slurm.setup skipped or failed)"
    # shellcheck disable=SC1091
    . "$w/env.sh"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    r=$w/results/$name
    case $name in
        pi | pi-srun)
            local launcher=mpirun; [ "$name" = pi ] || launcher=srun
            sub "$w" "$name" pi.sbatch TRIALS=1e6 MPR_LAUNCHER=$launcher
            expect "$r"/pi-*.txt '^3\.1410920000$'
            expect "$w/results/$name".*.log 'launcher '"$launcher"
            h5dump -d /estimate "$r"/pi-*.h5 | grep -q '3.14109' || fail "pi's HDF5 file lacks the estimate"
            ;;
        primes)
            sub "$w" "$name" primes.sbatch FROM=100000000 TO=100100000
            expect "$r"/primes-*.txt '^5411 \[100000007, '
            h5dump -H "$r"/primes-*.h5 | grep -q 'SIMPLE { ( 5411 )' || fail "primes' HDF5 file lacks 5411 primes"
            ;;
        verify_prime)
            sub "$w" "$name" verify_prime.sbatch VARIANT=naive
            [ "$(grep -c 'is a prime: False' "$r"/verify_prime-*.txt)" = 3 ] || fail "not 3 composites"
            [ "$(grep -c 'is a prime: True' "$r"/verify_prime-*.txt)" = 2 ] || fail "not 2 primes"
            ;;
        scaling)
            sub "$w" "$name" scaling.sbatch APP=pi RANKS="1 2" REPS=1 SIZE=1e6
            local d; d=$(echo "$r"/scaling-*)
            [ "$(grep -c '^pi,strong,' "$d/runs.csv")" = 2 ] || fail "$d/runs.csv does not hold 2 runs"
            h5dump -d /runs/ranks "$d/scaling.h5" | grep -q '(0): 1, 2' || fail "scaling.h5 lacks the runs"
            [ -s "$d/summary.csv" ] || fail "no $d/summary.csv"
            no_plotter "2 runs checked in runs.csv and scaling.h5"
            for f in speedup.png efficiency.svg; do [ -s "$d/$f" ] || fail "no $d/$f"; done
            ;;
        *) echo "slurm.sh: unknown job '$name'" >&2; exit 2 ;;
    esac
    log "$name: passed"
}

# scaling DIR [NODES]: slurm/scaling.sh at 1 and 2 ranks (1 and 3 over
# NODES > 1 hosts, filled 2 ranks per host, so the 3-rank runs span two),
# tiny sizes, outside Slurm (MPR_MPIRUN may name the simulated hosts'
# launcher); checks the runs in runs.csv and scaling.h5, and the plots.
do_scaling() {
    local w=$1 nodes=${2:-1} hosts=${3:-} ranks="1 2" d
    [ "$nodes" = 1 ] || ranks="1 3"
    [ -z "$hosts" ] || [ -f "$hosts/hostfile" ] || skip "no simulated hosts in $hosts"
    rm -rf "$w"; mkdir -p "$w"
    "$HERE/../slurm/scaling.sh" --app pi --ranks "$ranks" --reps 2 --size 1e6 --out "$w"
    d=$w
    [ "$(grep -c '^pi,strong,' "$d/runs.csv")" = 4 ] || fail "$d/runs.csv does not hold 4 runs"
    grep -q ",3.1410920000," "$d/runs.csv" || fail "the runs' answer is not pi's 1e6-trial estimate"
    [ -z "$(awk -F, 'NR > 1 && $6 !~ /^[^ ]+\*[0-9]+( [^ ]+\*[0-9]+)*$/' "$d/runs.csv")" ] ||
        fail "runs without their hosts in $d/runs.csv"
    h5dump -d /runs/ranks "$d/scaling.h5" | grep -Eq '\(0\): 1, 1, [23], [23]' || fail "scaling.h5 lacks the runs"
    h5dump -d /summary/speedup "$d/scaling.h5" | grep -q '(0): 1,' || fail "scaling.h5 lacks the summary"
    h5dump -a /mpi_version "$d/scaling.h5" | grep -q 'Open MPI\|MPICH' || fail "scaling.h5 lacks the MPI version"
    for f in summary.csv summary.md; do [ -s "$d/$f" ] || fail "no $d/$f"; done
    if [ "$nodes" != 1 ]; then
        [ "$(awk -F, '$3 == 3 && $5 > 1' "$d/runs.csv" | wc -l)" = 2 ] ||
            fail "the 3-rank runs did not span several hosts: $(cat "$d/runs.csv")"
    fi
    no_plotter "4 runs checked in runs.csv and scaling.h5"
    for f in speedup.png speedup.svg efficiency.png efficiency.svg; do [ -s "$d/$f" ] || fail "no $d/$f"; done
    rm -rf "$w"
    log "scaling: passed"
}

case "${1:-}" in
    up) do_up "${2:?DIR}" ;;
    scaling) do_scaling "${2:?DIR}" "${3:-1}" "${4:-}" ;;
    down) do_down "${2:?DIR}" ;;
    job) do_job "${2:?DIR}" "${3:?NAME}" ;;
    *) echo "usage: $0 up DIR | job DIR pi|pi-srun|primes|verify_prime|scaling | down DIR | scaling DIR [NODES]" >&2; exit 2 ;;
esac
