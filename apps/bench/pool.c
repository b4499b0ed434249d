/*
 * pool.c — Pool costs against raw MPI on the same ranks (rank 0 and 2 pool
 * workers), interleaved repetition by repetition.
 *
 * Launch with 3 ranks (`mpirun --oversubscribe -n 3`).
 *
 *   map_ints     mpr_pool_map of --n int32 through x + 1 with chunksize 0
 *                (the static path), in ms. raw: in a Pool SPMD step,
 *                MPI_Scatterv of the same ints from rank 0 to the 2 workers,
 *                x + 1, MPI_Gatherv back, timed on rank 0 from the scatter to
 *                the end of the gather (no task dispatch: the floor).
 *   map_chunk1   mpr_pool_map of --items items with chunksize 1: the cost
 *                per item of the dynamic path, in us per item.
 *   apply_async  --items mpr_pool_apply_async of a trivial function (it
 *                returns x + 1 by mpr_task_return), then every get: round
 *                trips per second.
 *   raw for both map_chunk1 and apply_async is one measurement per
 *   repetition: a master/worker loop in a Pool SPMD step, rank 0 sending one
 *   item to whichever worker answered last (MPI_Send/MPI_Recv on a duplicate
 *   of the pool communicator), reported as us per item and items per second.
 */
#include "app.h"
#include "bench.h"

#include <stdlib.h>
#include <string.h>

enum { TAG_ITEM = 1, TAG_STOP = 2 };

typedef struct {
    int32_t *in, *out; /* rank 0's buffers, for the raw steps there */
    double seconds;    /* rank 0's result */
} rank0_state;
static rank0_state r0;

typedef struct {
    int64_t n;
} step_arg;

static int incr(const void *in, void *out)
{
    int32_t x;
    memcpy(&x, in, sizeof x);
    x += 1;
    memcpy(out, &x, sizeof x);
    return 0;
}

static int trivial(const void *arg, size_t len)
{
    int64_t x = 0;
    memcpy(&x, arg, len < sizeof x ? len : sizeof x);
    x += 1;
    return mpr_task_return(&x, sizeof x);
}

/* Raw MPI_Scatterv + x + 1 + MPI_Gatherv over the pool communicator. */
static int scatter_gather(MPI_Comm comm, const void *arg, size_t len)
{
    step_arg a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int *counts = calloc((size_t)size, sizeof *counts),
        *displs = calloc((size_t)size, sizeof *displs);
    for (int r = 1; r < size; r++) {
        counts[r] = (int)(a.n / (size - 1) + (r - 1 < a.n % (size - 1)));
        displs[r] = r > 1 ? displs[r - 1] + counts[r - 1] : 0;
    }
    int32_t *part = malloc((size_t)(counts[rank] ? counts[rank] : 1) * sizeof *part);
    MPI_Barrier(comm);
    double t0 = app_time();
    MPI_Scatterv(r0.in, counts, displs, MPI_INT32_T, part, counts[rank], MPI_INT32_T, 0, comm);
    for (int i = 0; i < counts[rank]; i++)
        part[i] += 1;
    MPI_Gatherv(part, counts[rank], MPI_INT32_T, r0.out, counts, displs, MPI_INT32_T, 0, comm);
    if (rank == 0)
        r0.seconds = app_time() - t0;
    free(part);
    free(counts);
    free(displs);
    return 0;
}

/* Raw master/worker: one item per message, to whichever worker is free. */
static int master_worker(MPI_Comm pool_comm, const void *arg, size_t len)
{
    step_arg a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    MPI_Comm comm;
    MPI_Comm_dup(pool_comm, &comm); /* our tags never meet mpr's */
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int64_t x = 0;
    MPI_Status st;
    if (rank == 0) {
        double t0 = app_time();
        int64_t sent = 0, done = 0;
        for (int w = 1; w < size; w++, sent++)
            MPI_Send(&sent, 1, MPI_INT64_T, w, sent < a.n ? TAG_ITEM : TAG_STOP, comm);
        while (done < a.n) {
            MPI_Recv(&x, 1, MPI_INT64_T, MPI_ANY_SOURCE, TAG_ITEM, comm, &st);
            done++;
            MPI_Send(&sent, 1, MPI_INT64_T, st.MPI_SOURCE, sent < a.n ? TAG_ITEM : TAG_STOP, comm);
            sent++;
        }
        r0.seconds = app_time() - t0;
    } else {
        for (;;) {
            MPI_Recv(&x, 1, MPI_INT64_T, 0, MPI_ANY_TAG, comm, &st);
            if (st.MPI_TAG == TAG_STOP)
                break;
            x += 1;
            MPI_Send(&x, 1, MPI_INT64_T, 0, TAG_ITEM, comm);
        }
    }
    MPI_Comm_free(&comm);
    return 0;
}

static double apply_async_rate(mpr_pool *pool, int items)
{
    mpr_async **rs = calloc((size_t)items, sizeof *rs);
    double t0 = app_time();
    int rc = MPR_OK;
    for (int64_t i = 0; i < items && rc == MPR_OK; i++)
        rc = mpr_pool_apply_async(pool, trivial, &i, sizeof i, NULL, NULL, NULL, &rs[i]);
    for (int i = 0; i < items && rc == MPR_OK; i++) {
        int64_t x;
        size_t len;
        rc = mpr_async_get(rs[i], &x, sizeof x, &len, -1);
        rc = rc == MPR_OK && x != i + 1 ? MPR_EINVAL : rc;
    }
    double seconds = app_time() - t0;
    for (int i = 0; i < items; i++)
        mpr_async_free(rs[i]);
    free(rs);
    return rc == MPR_OK ? items / seconds : app_fail("apply_async", rc);
}

static int run(int64_t n, int items, int reps, int warmup)
{
    mpr_pool *pool;
    int rc = mpr_pool_new(&pool, 2);
    if (rc != MPR_OK)
        return app_fail("Pool(2) (launch with mpirun --oversubscribe -n 3)", rc);
    bench_print_env();
    size_t big = (size_t)(n > items ? n : items);
    r0.in = malloc(big * sizeof *r0.in);
    r0.out = malloc(big * sizeof *r0.out);
    for (size_t i = 0; i < big; i++)
        r0.in[i] = (int32_t)i;
    char param[32];
    snprintf(param, sizeof param, "%lld_ints", (long long)n);
    BENCH_REPS_LOOP(rep, warmup, reps)
    {
        step_arg a = {n};
        rc = mpr_pool_spmd(pool, scatter_gather, &a, sizeof a);
        bench_sample("map_ints", "raw", param, "ms", rep, r0.seconds * 1e3);
        double t0 = app_time();
        if (rc == MPR_OK)
            rc = mpr_pool_map(pool, incr, r0.in, (size_t)n, 4, r0.out, 4, 0);
        bench_sample("map_ints", "mpr", param, "ms", rep, (app_time() - t0) * 1e3);
        if (rc == MPR_OK && n > 0 && r0.out[n - 1] != (int32_t)n)
            rc = MPR_EINVAL;

        a.n = items;
        if (rc == MPR_OK)
            rc = mpr_pool_spmd(pool, master_worker, &a, sizeof a);
        snprintf(param, sizeof param, "%d_items", items);
        bench_sample("map_chunk1", "raw", param, "us/item", rep, r0.seconds / items * 1e6);
        bench_sample("apply_async", "raw", param, "calls/s", rep, items / r0.seconds);
        t0 = app_time();
        if (rc == MPR_OK)
            rc = mpr_pool_map(pool, incr, r0.in, (size_t)items, 4, r0.out, 4, 1);
        bench_sample("map_chunk1", "mpr", param, "us/item", rep, (app_time() - t0) / items * 1e6);
        double rate = rc == MPR_OK ? apply_async_rate(pool, items) : -1;
        bench_sample("apply_async", "mpr", param, "calls/s", rep, rate);
        snprintf(param, sizeof param, "%lld_ints", (long long)n);
        if (rc != MPR_OK || rate < 0)
            return app_fail("pool", rc);
    }
    mpr_pool_close(pool);
    mpr_pool_join(pool);
    mpr_pool_free(pool);
    free(r0.in);
    free(r0.out);
    return APP_EXIT_OK;
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000;
    int items = 2000, reps = 5, warmup = 1;
    app_opt opts[] = {
        {"--n", "N", "ints of the static map", APP_OPT_U64, &n, 1, 1e9},
        {"--items", "N", "items of the chunksize-1 map and apply_async calls", APP_OPT_INT, &items,
         1, 1e8},
        {"--reps", "N", "measured repetitions", APP_OPT_INT, &reps, 1, 1000},
        {"--warmup", "N", "untimed repetitions first", APP_OPT_INT, &warmup, 0, 1000},
    };
    app_cli cli = {.summary = "Pool.map and apply_async costs against raw MPI, as `sample,...` "
                              "lines.",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run((int64_t)n, items, reps, warmup);
    return app_exit(rc);
}
