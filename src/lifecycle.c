/*
 * lifecycle.c — mpr_init and mpr_finalize: the top layer, which starts
 * every module in order and runs their finalize steps.
 *
 * DESIGN
 *   Every rank calls mpr_init(). Rank 0 returns and runs main() as Python
 *   runs __main__; the other ranks enter the worker loop (process.c),
 *   where they wait for a task or the stop message from rank 0 on
 *   comm_task. A fixed set of ranks driven by rank 0 is used instead of
 *   MPI_Comm_spawn, which breaks under Slurm/PMI2 and several Open MPI
 *   versions; it is also how `python -m mpi4py.futures` works.
 *
 *   mpr never talks on the user's MPI_COMM_WORLD: it duplicates it twice,
 *   comm_task for rank 0 <-> worker traffic (tasks, completions, stop) and
 *   comm_svc for requests to the service thread (service.c), so the two
 *   streams never match each other's receives. Both use MPI_ERRORS_RETURN.
 *
 *   Each module registers its own finalize step when it starts
 *   (mpr__at_finalize, state.c); finalize runs them phase by phase: pools,
 *   processes, stopping the workers (here), the heap, the service, the
 *   doorbells, output. The object kinds the service hosts are registered
 *   here, at the top, so that the service knows none of them by name.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int dup_comm(MPI_Comm *out)
{
    MPR_MPI_CALL(MPI_Comm_dup(MPI_COMM_WORLD, out));
    MPR_MPI_CALL(MPI_Comm_set_errhandler(*out, MPI_ERRORS_RETURN));
    return MPR_OK;
}

/* Rank 0's MPR_* settings, on every rank. Across hosts, mpirun forwards
 * no environment by default (orted starts through ssh with a clean one;
 * only OMPI_* and `-x` variables travel), so MPR_HEAP_SIZE or MPR_LOG set
 * where the job was launched would hold on rank 0's host only. Rank 0's
 * values win; a setting rank 0 lacks keeps each rank's own value. Runs
 * before any thread starts, so setenv is safe. */
static int share_settings(void)
{
    extern char **environ;
    size_t n = 0;
    int len = 0;
    for (char **e = environ; mpr__rt.rank == 0 && *e; e++)
        if (strncmp(*e, "MPR_", 4) == 0)
            n += strlen(*e) + 1;
    MPR_CHECK(mpr__count_to_int(n, &len));
    MPR_MPI_CALL(MPI_Bcast(&len, 1, MPI_INT, 0, mpr__rt.comm_task));
    char *buf = malloc((size_t)len + 1), *at = buf;
    MPR_ASSERT(buf);
    for (char **e = environ; mpr__rt.rank == 0 && *e; e++)
        if (strncmp(*e, "MPR_", 4) == 0)
            at = stpcpy(at, *e) + 1;
    int rc = MPI_Bcast(buf, len, MPI_CHAR, 0, mpr__rt.comm_task);
    for (char *s = buf; rc == MPI_SUCCESS && mpr__rt.rank != 0 && s < buf + len;
         s += strlen(s) + 1) {
        char *eq = strchr(s, '=');
        if (eq) {
            *eq = '\0';
            setenv(s, eq + 1, 1);
            *eq = '=';
        }
    }
    free(buf);
    if (rc != MPI_SUCCESS)
        return mpr__mpi_fail(rc, "MPI_Bcast(settings)", __FILE__, __LINE__);
    return MPR_OK;
}

static int gather_rank_info(void)
{
    mpr__rank_info mine = {.pid = (long)getpid()};
    snprintf(mine.host, sizeof mine.host, "%s", mpr__rt.host);
    if (mpr__rt.rank == 0) {
        mpr__rt.ranks = calloc((size_t)mpr__rt.size, sizeof *mpr__rt.ranks);
        MPR_ASSERT(mpr__rt.ranks);
        mpr__workers_init();
    }
    MPR_MPI_CALL(MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, mpr__rt.ranks, (int)sizeof mine,
                            MPI_BYTE, 0, mpr__rt.comm_task));
    return MPR_OK;
}

/* The kinds of object rank 0's service hosts, by their ranges of
 * operations (mpr-internal.h). The one place that names them all. */
static void register_service_kinds(void)
{
    mpr__service_register(MPR__OP_QUEUE_NEW, MPR__OP_QUEUE_FREE, &mpr__queue_ops);
    mpr__service_register(MPR__OP_PIPE_NEW, MPR__OP_PIPE_CLOSE, &mpr__pipe_ops);
    mpr__service_register(MPR__OP_MANAGER_START, MPR__OP_MANAGER_SHUTDOWN, &mpr__manager_ops);
    mpr__service_register(MPR__OP_MVALUE_NEW, MPR__OP_MVALUE_ADD, &mpr__mvalue_ops);
    mpr__service_register(MPR__OP_MLOCK_NEW, MPR__OP_MLOCK_RELEASE, &mpr__mlock_ops);
    mpr__service_register(MPR__OP_MLIST_NEW, MPR__OP_MLIST_SNAPSHOT, &mpr__mlist_ops);
    mpr__service_register(MPR__OP_MDICT_NEW, MPR__OP_MDICT_SETDEFAULT, &mpr__mdict_ops);
}

/* Rank 0's last step before the heap goes: every worker leaves its loop. */
static int stop_workers(void)
{
    for (int r = 1; r < mpr__rt.size; r++)
        MPR_MPI_CALL(mpr__send(NULL, 0, r, MPR__TAG_STOP, mpr__rt.comm_task, r));
    return MPR_OK;
}

/* What is left after the modules' own steps: the communicators, MPI. */
static int release_runtime(void)
{
    mpr__rt.initialized = false;
    fflush(NULL);
    MPR_MPI_RELEASE(MPI_Comm_free(&mpr__rt.comm_task));
    MPR_MPI_RELEASE(MPI_Comm_free(&mpr__rt.comm_svc));
    free(mpr__rt.ranks);
    mpr__rt.ranks = NULL;
    if (mpr__rt.we_init_mpi)
        MPR_MPI_CALL(MPI_Finalize());
    return MPR_OK;
}

static void finalize_at_exit(void)
{
    /* Rank 0 returned from main without mpr_finalize: do what Python does at
     * interpreter exit (join the children) so workers are not left behind. */
    if (mpr__rt.initialized && mpr__rt.rank == 0)
        mpr_finalize();
}

int mpr_init(int *argc, char ***argv)
{
    if (mpr__rt.initialized)
        return mpr__fail(MPR_ESTATE, "mpr_init was already called");
    gethostname(mpr__rt.host, sizeof mpr__rt.host - 1);
    int up = 0, provided = 0;
    MPI_Initialized(&up);
    if (!up) {
        MPR_MPI_CALL(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided));
        mpr__rt.we_init_mpi = true;
    } else {
        MPR_MPI_CALL(MPI_Query_thread(&provided));
    }
    if (provided < MPI_THREAD_MULTIPLE)
        return mpr__fail(MPR_EMPI,
                         "MPI gives thread level %d, mpr needs MPI_THREAD_MULTIPLE (%d) for its "
                         "service thread on rank 0",
                         provided, MPI_THREAD_MULTIPLE);
    MPR_MPI_CALL(MPI_Comm_rank(MPI_COMM_WORLD, &mpr__rt.rank));
    MPR_MPI_CALL(MPI_Comm_size(MPI_COMM_WORLD, &mpr__rt.size));
    MPR_CHECK(dup_comm(&mpr__rt.comm_task));
    MPR_CHECK(dup_comm(&mpr__rt.comm_svc));
    MPR_CHECK(share_settings());
    MPR_CHECK(gather_rank_info());
    MPR_CHECK(mpr__clock_init());
    MPR_CHECK(mpr__doorbell_init());
    MPR_CHECK(mpr__heap_init());
    MPR_CHECK(mpr__channel_init());
    MPR_CHECK(mpr__node_server_start());
    mpr__fault_install();
    mpr__output_init();
    mpr__rt.initialized = true;
    mpr__at_finalize(MPR__FINI_RUNTIME, release_runtime);
    if (mpr__rt.rank == 0) {
        mpr__self_set_name("MainProcess");
        mpr__at_finalize(MPR__FINI_WORKERS, stop_workers);
        register_service_kinds();
        MPR_CHECK(mpr__service_start());
        atexit(finalize_at_exit);
        return MPR_OK;
    }
    mpr__worker_loop();
    if (mpr__run_finalizers(false) != MPR_OK)
        MPR_WARN("finalize: %s", mpr_last_error());
    exit(0);
}

int mpr_finalize(void)
{
    MPR_CHECK(mpr__require_rank0("mpr_finalize"));
    return mpr__run_finalizers(true);
}
