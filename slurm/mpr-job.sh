# mpr-job.sh -- sourced by slurm/*.sbatch and slurm/scaling.sh: where the
# binaries and results are, how many ranks, and the launch line.
#
# Settings (environment; sbatch passes the submitting shell's environment):
#   MPR_BIN        directory with the apps      (default: build/release/apps
#                  of the repository, else build/dev/apps)
#   MPR_RESULTS    where results go             (default: $SLURM_SUBMIT_DIR/results,
#                  or ./results outside Slurm)
#   MPR_RANKS      MPI ranks of the run         (default: Slurm tasks + 1, or
#                  cores + 1: rank 0 coordinates and mostly sleeps, so one
#                  rank more than cores keeps every core computing)
#   MPR_LAUNCHER   mpirun (default) or srun     (srun --mpi=pmix: Debian's Open
#                  MPI has PMIx only; --mpi=pmi2 fails)
#   MPR_MPIRUN     the mpirun command           (default: mpirun; the tests put
#                  tests/multinode.sh run DIR here)
#   MPR_MPIRUN_ARGS extra mpirun arguments, e.g. the interconnect:
#                  "--mca btl_tcp_if_include 10.0.0.0/8 --mca oob_tcp_if_include 10.0.0.0/8"
#                  (tests/multinode.sh mca prints the full set mpr is tested with)
# shellcheck shell=bash

# This file is sourced from its real place (the job scripts find it through
# scontrol, as sbatch runs a spool copy of them), so BASH_SOURCE is right.
MPR_SLURM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mpr_job_init() {
    MPR_ROOT=${MPR_ROOT:-$(cd "$MPR_SLURM_DIR/.." && pwd)}
    if [ -z "${MPR_BIN:-}" ]; then
        for d in "$MPR_ROOT/build/release/apps" "$MPR_ROOT/build/dev/apps"; do
            [ -x "$d/pi" ] && { MPR_BIN=$d; break; }
        done
    fi
    [ -n "${MPR_BIN:-}" ] && [ -x "$MPR_BIN/pi" ] || {
        echo "mpr: no apps found; build first (cmake --workflow --preset release) or set MPR_BIN" >&2
        return 1
    }
    MPR_RESULTS=${MPR_RESULTS:-${SLURM_SUBMIT_DIR:-$PWD}/results}
    mkdir -p "$MPR_RESULTS"
    if [ -n "${SLURM_ARRAY_JOB_ID:-}" ]; then
        JOB=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}
    else
        JOB=${SLURM_JOB_ID:-local-$(date +%Y%m%d-%H%M%S)-$$}
    fi
    if [ -z "${MPR_RANKS:-}" ]; then
        MPR_RANKS=$(( ${SLURM_NTASKS:-$(nproc)} + 1 ))
    fi
    export MPR_SLURM_DIR MPR_ROOT MPR_BIN MPR_RESULTS JOB MPR_RANKS
    # Open MPI 4.1 refuses root without these (CI containers run as root).
    if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
}

# mpr_launch NRANKS program args...: the launch line. One rank more than
# the allocation's tasks is intended (rank 0 sleeps): --oversubscribe for
# mpirun, --overcommit for srun.
mpr_launch() {
    local n=$1; shift
    if [ "${MPR_LAUNCHER:-mpirun}" = srun ]; then
        # shellcheck disable=SC2086
        srun --mpi=pmix --overcommit -n "$n" ${MPR_SRUN_ARGS:-} "$@"
    else
        # shellcheck disable=SC2086
        ${MPR_MPIRUN:-mpirun} -n "$n" --oversubscribe ${MPR_MPIRUN_ARGS:-} "$@"
    fi
}

# What ran where: printed at the top of every job's log.
mpr_job_header() {
    echo "# job $JOB: $1 on ${SLURM_JOB_NODELIST:-$(hostname)}," \
        "${SLURM_NNODES:-1} node(s), ${SLURM_NTASKS:-$(nproc)} task(s), $MPR_RANKS ranks," \
        "launcher ${MPR_LAUNCHER:-mpirun}"
    echo "# $("$MPR_BIN/mpr_scaling_h5" --versions 2>/dev/null || echo "mpr ?")"
    echo "# binaries $MPR_BIN, results $MPR_RESULTS, started $(date -Is)"
}
