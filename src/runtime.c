/*
 * runtime.c — start-up, the worker loop, the free-rank set, and shut-down.
 *
 * DESIGN
 *   Every rank calls mpr_init(). Rank 0 returns and runs main() as Python
 *   runs __main__; the other ranks enter the worker loop, where they wait
 *   (with backoff, wait.c) for a task or the stop message from rank 0 on
 *   comm_task. A fixed set of ranks driven by rank 0 is used instead of
 *   MPI_Comm_spawn, which breaks under Slurm/PMI2 and several Open MPI
 *   versions; it is also how `python -m mpi4py.futures` works.
 *
 *   mpr never talks on the user's MPI_COMM_WORLD: it duplicates it twice,
 *   comm_task for rank 0 <-> worker traffic (tasks, completions, stop) and
 *   comm_svc for requests to the service thread (service.c), so the two
 *   streams never match each other's receives. Both use MPI_ERRORS_RETURN.
 *
 *   Rank 0 keeps every rank's pid and host (one MPI_Gather at init) and the
 *   set of busy workers. Only rank 0's main thread touches that set.
 *
 * INVARIANTS
 *   nfree == number of ranks r in [1, size) with busy[r] == false.
 *   A worker runs at most one task at a time, so a DONE from rank r always
 *   belongs to the Process that runs there.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

mpr__runtime mpr__rt = {.rank = 0, .size = 1, .host = "?", .name = "MainProcess"};

const char *mpr_version_string(void) { return "0.1.0"; }

int mpr_rank(void) { return mpr__rt.rank; }
int mpr_size(void) { return mpr__rt.size; }

int mpr_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

const char *mpr_self_name(void) { return mpr__rt.name; }
const char *mpr_self_host(void) { return mpr__rt.host; }
long mpr_self_pid(void) { return (long)getpid(); }

void mpr__self_set_name(const char *name)
{
    snprintf(mpr__rt.name, sizeof mpr__rt.name, "%s", name);
}

int mpr__require_init(void)
{
    if (!mpr__rt.initialized)
        return mpr__fail(MPR_ESTATE, "mpr is not initialized: call mpr_init(&argc, &argv) first");
    return MPR_OK;
}

int mpr__require_rank0(const char *what)
{
    MPR_CHECK(mpr__require_init());
    if (mpr__rt.rank != 0)
        return mpr__fail(MPR_ERANK,
                         "%s is for rank 0, the parent (it owns the worker ranks); this is rank "
                         "%d (%s)",
                         what, mpr__rt.rank, mpr__rt.host);
    return MPR_OK;
}

int mpr_free_workers(void)
{
    MPR_CHECK(mpr__require_rank0("mpr_free_workers"));
    return mpr__rt.nfree;
}

int mpr__worker_take(int *rank)
{
    if (mpr__rt.size == 1)
        return mpr__fail(MPR_ENORANK,
                         "no worker ranks: this program runs as a single rank (started without "
                         "mpirun, or with -n 1); launch it with `mpirun -n N` to get N-1 workers");
    for (int r = 1; r < mpr__rt.size; r++) {
        if (!mpr__rt.busy[r]) {
            mpr__rt.busy[r] = true;
            mpr__rt.nfree--;
            *rank = r;
            return MPR_OK;
        }
    }
    return mpr__fail(MPR_ENORANK,
                     "all %d worker ranks are busy (%d ranks in all, rank 0 is the parent); join "
                     "a process first or launch more with `mpirun -n %d`",
                     mpr__rt.size - 1, mpr__rt.size, mpr__rt.size + 1);
}

void mpr__worker_give(int rank)
{
    MPR_ASSERT(rank > 0 && rank < mpr__rt.size && mpr__rt.busy[rank]);
    mpr__rt.busy[rank] = false;
    mpr__rt.nfree++;
}

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
        mpr__rt.busy = calloc((size_t)mpr__rt.size, sizeof *mpr__rt.busy);
        MPR_ASSERT(mpr__rt.ranks && mpr__rt.busy);
        mpr__rt.nfree = mpr__rt.size - 1;
    }
    MPR_MPI_CALL(MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, mpr__rt.ranks, (int)sizeof mine,
                            MPI_BYTE, 0, mpr__rt.comm_task));
    return MPR_OK;
}

/* The worker loop: run tasks until rank 0 says stop. */
static void worker_serve(void)
{
    char idle[MPR__NAME_MAX];
    snprintf(idle, sizeof idle, "Worker-%d", mpr__rt.rank);
    for (;;) {
        mpr__self_set_name(idle);
        MPI_Message msg;
        MPI_Status st;
        int rc = mpr__probe_wait(mpr__rt.comm_task, 0, MPI_ANY_TAG, -1, &msg, &st);
        MPR_ASSERT(rc == 1);
        void *body = NULL;
        size_t len = 0;
        MPR_ASSERT(mpr__mrecv_alloc(&msg, &st, &body, &len) == MPR_OK);
        if (st.MPI_TAG == MPR__TAG_STOP) {
            free(body);
            return;
        }
        MPR_ASSERT(st.MPI_TAG == MPR__TAG_TASK);
        mpr__worker_run_task(body, len);
        free(body);
    }
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
    MPR_CHECK(mpr__doorbell_init());
    MPR_CHECK(mpr__shared_init());
    mpr__fault_install();
    mpr__output_init();
    mpr__rt.initialized = true;
    if (mpr__rt.rank == 0) {
        mpr__self_set_name("MainProcess");
        MPR_CHECK(mpr__service_start());
        atexit(finalize_at_exit);
        return MPR_OK;
    }
    worker_serve();
    mpr__shared_fini();
    mpr__doorbell_fini();
    mpr__output_fini();
    fflush(NULL);
    MPI_Comm_free(&mpr__rt.comm_task);
    MPI_Comm_free(&mpr__rt.comm_svc);
    if (mpr__rt.we_init_mpi)
        MPI_Finalize();
    exit(0);
}

int mpr_finalize(void)
{
    MPR_CHECK(mpr__require_rank0("mpr_finalize"));
    mpr__pool_terminate_all();
    mpr__process_join_all();
    for (int r = 1; r < mpr__rt.size; r++)
        MPR_MPI_CALL(mpr__send(NULL, 0, r, MPR__TAG_STOP, mpr__rt.comm_task, r));
    MPR_CHECK(mpr__shared_fini());
    mpr__service_stop();
    mpr__doorbell_fini();
    mpr__output_fini();
    mpr__rt.initialized = false;
    fflush(NULL);
    MPI_Comm_free(&mpr__rt.comm_task);
    MPI_Comm_free(&mpr__rt.comm_svc);
    free(mpr__rt.ranks);
    free(mpr__rt.busy);
    mpr__rt.ranks = NULL;
    mpr__rt.busy = NULL;
    if (mpr__rt.we_init_mpi)
        MPR_MPI_CALL(MPI_Finalize());
    return MPR_OK;
}
