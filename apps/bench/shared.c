/*
 * shared.c — shared-memory Value and Lock rates against raw MPI one-sided
 * operations on a window of the same node, interleaved repetition by
 * repetition.
 *
 * Launch with 3 ranks (`mpirun --oversubscribe -n 3`). Everything runs as a
 * Pool SPMD step (mpr_pool_spmd) on rank 0 and 2 pool workers, so that the
 * raw side can make its window collectively: MPI_Win_allocate_shared on the
 * pool communicator, 8 bytes on rank 0, MPI_Win_lock_all. The origins are
 * the pool workers (1 or 2 of them); every other rank waits in a
 * nonblocking barrier with sleeps, so it takes no core.
 *
 *   fetch_add  mpr_value_fetch_add on a 'q' Value, vs MPI_Fetch_and_op
 *              (MPI_SUM) + MPI_Win_flush
 *   load       mpr_value_load, vs MPI_Get + MPI_Win_flush
 *   store      mpr_value_store, vs MPI_Put + MPI_Win_flush
 *   lock       mpr_lock_acquire + mpr_lock_release pairs, vs a spin lock on
 *              the window: MPI_Compare_and_swap 0 -> 1 until it succeeds,
 *              MPI_Accumulate(MPI_REPLACE) of 0 to release, flushing each
 *              1 origin is uncontended; 2 origins contend for one word.
 * A sample is operations per second of all origins together: their
 * operations over the longest origin's time.
 */
#include "app.h"
#include "bench.h"

#include <string.h>

enum { OP_FETCH_ADD, OP_LOAD, OP_STORE, OP_LOCK, NOPS };
static const char *const op_names[NOPS] = {"fetch_add", "load", "store", "lock"};

typedef struct {
    mpr_value value;
    mpr_lock lock;
    int op, raw, origins, iters;
} job;

static double rate_on_rank0; /* the result, written by rank 0's part of the step */

static int raw_op(int op, MPI_Win win, int64_t *x)
{
    int64_t one = 1, zero = 0, old = 0;
    switch (op) {
    case OP_FETCH_ADD:
        MPI_Fetch_and_op(&one, &old, MPI_INT64_T, 0, 0, MPI_SUM, win);
        break;
    case OP_LOAD:
        MPI_Get(x, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
        break;
    case OP_STORE:
        MPI_Put(x, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
        break;
    default:
        do {
            MPI_Compare_and_swap(&one, &zero, &old, MPI_INT64_T, 0, 0, win);
            MPI_Win_flush(0, win);
        } while (old != 0);
        MPI_Accumulate(&zero, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, MPI_REPLACE, win);
    }
    return MPI_Win_flush(0, win) == MPI_SUCCESS ? MPR_OK : MPR_EMPI;
}

static int mpr_op(const job *j, int64_t *x)
{
    int64_t one = 1;
    switch (j->op) {
    case OP_FETCH_ADD:
        return mpr_value_fetch_add(j->value, &one, NULL);
    case OP_LOAD:
        return mpr_value_load(j->value, x);
    case OP_STORE:
        return mpr_value_store(j->value, x);
    default: {
        int rc = mpr_lock_acquire(j->lock, -1);
        return rc == MPR_OK ? mpr_lock_release(j->lock) : rc;
    }
    }
}

static int step(MPI_Comm comm, const void *arg, size_t len)
{
    job j;
    if (app_unpack(&j, sizeof j, arg, len))
        return 1;
    int rank;
    MPI_Comm node;
    MPI_Win win;
    int64_t *base;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Win_allocate_shared(rank == 0 ? 8 : 0, 8, MPI_INFO_NULL, node, &base, &win);
    if (rank == 0)
        *base = 0;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    bench_wait(&req);
    double seconds = 0;
    int rc = MPR_OK;
    if (rank >= 1 && rank <= j.origins) {
        int64_t x = rank;
        double t0 = app_time();
        for (int i = 0; i < j.iters && rc == MPR_OK; i++)
            rc = j.raw ? raw_op(j.op, win, &x) : mpr_op(&j, &x);
        seconds = app_time() - t0;
    }
    double longest = 0;
    MPI_Ireduce(&seconds, &longest, 1, MPI_DOUBLE, MPI_MAX, 0, comm, &req);
    bench_wait(&req);
    MPI_Win_unlock_all(win);
    MPI_Win_free(&win);
    MPI_Comm_free(&node);
    if (rank == 0)
        rate_on_rank0 = longest > 0 ? j.origins * (double)j.iters / longest : -1;
    return rc == MPR_OK ? 0 : app_raise(op_names[j.op], rc);
}

static int run(int iters, int reps, int warmup)
{
    mpr_pool *pool;
    int rc = mpr_pool_new(&pool, 2);
    if (rc != MPR_OK)
        return app_fail("Pool(2) (launch with mpirun --oversubscribe -n 3)", rc);
    bench_print_env();
    job j = {.iters = iters};
    int64_t zero = 0;
    rc = mpr_value_new(&j.value, 'q', &zero, 0);
    if (rc == MPR_OK)
        rc = mpr_lock_new(&j.lock);
    if (rc != MPR_OK)
        return app_fail("Value/Lock", rc);
    BENCH_REPS_LOOP(rep, warmup, reps)
    {
        for (j.op = 0; j.op < NOPS; j.op++) {
            for (j.origins = 1; j.origins <= 2; j.origins++) {
                if (j.origins == 2 && (j.op == OP_LOAD || j.op == OP_STORE))
                    continue;
                for (j.raw = 1; j.raw >= 0; j.raw--) {
                    rc = mpr_pool_spmd(pool, step, &j, sizeof j);
                    if (rc != MPR_OK || rate_on_rank0 < 0)
                        return app_fail("step", rc);
                    char param[32];
                    snprintf(param, sizeof param, "%d_origin%s", j.origins,
                             j.origins > 1 ? "s" : "");
                    bench_sample(op_names[j.op], j.raw ? "raw" : "mpr", param, "ops/s", rep,
                                 rate_on_rank0);
                }
            }
        }
    }
    mpr_pool_close(pool);
    mpr_pool_join(pool);
    mpr_pool_free(pool);
    return APP_EXIT_OK;
}

int main(int argc, char **argv)
{
    int iters = 200000, reps = 5, warmup = 1;
    app_opt opts[] = {
        {"--iters", "N", "operations per origin per repetition", APP_OPT_INT, &iters, 1, 1e9},
        {"--reps", "N", "measured repetitions", APP_OPT_INT, &reps, 1, 1000},
        {"--warmup", "N", "untimed repetitions first", APP_OPT_INT, &warmup, 0, 1000},
    };
    app_cli cli = {.summary = "Value and Lock rates against raw MPI one-sided operations, as "
                              "`sample,...` lines.",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(iters, reps, warmup);
    return app_exit(rc);
}
