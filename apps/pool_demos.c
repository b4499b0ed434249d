/*
 * pool_demos — the Pool examples of seeds 000 and 003, one per demo name.
 *
 *   squares      seed 000: p = Pool(); p.map(square, [1..9]), each call
 *                printing "<n> -> pid:<pid>", then "Final result" and the list
 *   f            seed 003: with Pool(2) as p: print(p.map(f, [1..8]))
 *   work_log     seed 003: Pool(2).map(work_log, [A 5, B 2, C 1, D 3]): a
 *                worker that is free takes the next task
 *   apply_async  seed 003: Pool(4), 8 x apply_async(worker, (i,)) with
 *                random sleeps: the numbers come out as the tasks finish
 *   apply        seed 003: the same with apply: no concurrency, 0..7 in order
 *
 * --scale multiplies the documents' sleeps (the tests run them shorter).
 *
 * Pool workers are worker ranks (launch with one rank more than the pool
 * needs: rank 0 is the parent). Their prints are forwarded to rank 0, and
 * a result comes back only after its task's output is out.
 */
#include "app.h"

#include <stdbool.h>
#include <string.h>

enum { SQUARES, F, WORK_LOG, APPLY_ASYNC, APPLY };

/* ----------------------------------------------------------- seed 000 */

static int square(const void *in, void *out)
{
    int64_t n;
    memcpy(&n, in, sizeof n);
    printf("\n%lld -> pid:%ld\n", (long long)n, mpr_self_pid());
    n *= n;
    memcpy(out, &n, sizeof n);
    return 0;
}

static int squares(void)
{
    int64_t my_list[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, result[9];
    mpr_pool *p;
    int rc = mpr_pool_new(&p, 0);
    if (rc != MPR_OK)
        return app_fail("Pool()", rc);
    rc = mpr_pool_map(p, square, my_list, 9, sizeof *my_list, result, sizeof *result, 0);
    mpr_pool_free(p);
    if (rc != MPR_OK)
        return app_fail("p.map", rc);
    printf("\nFinal result\n");
    app_print_i64_list(result, 9);
    return APP_EXIT_OK;
}

/* ----------------------------------------------------------- seed 003 */

static int f(const void *in, void *out)
{
    int64_t x;
    memcpy(&x, in, sizeof x);
    x *= x;
    memcpy(out, &x, sizeof x);
    return 0;
}

static int pool_of_two_f(void)
{
    int64_t in[] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    mpr_pool *p;
    int rc = mpr_pool_new(&p, 2);
    if (rc != MPR_OK)
        return app_fail("Pool(processes=2)", rc);
    rc = mpr_pool_map(p, f, in, 8, sizeof *in, out, sizeof *out, 0);
    mpr_pool_free(p);
    if (rc != MPR_OK)
        return app_fail("p.map", rc);
    app_print_i64_list(out, 8);
    return APP_EXIT_OK;
}

typedef struct {
    char name[8];
    double seconds;
} work_item;

static int work_log(const void *in, void *out)
{
    work_item w;
    memcpy(&w, in, sizeof w);
    printf(" Process %s waiting %g seconds\n", w.name, w.seconds);
    fflush(stdout);
    app_sleep(w.seconds);
    printf(" Process %s Finished.\n", w.name);
    memset(out, 0, 1); /* None */
    return 0;
}

static int work_log_demo(double scale)
{
    work_item work[] = {{"A", 5 * scale}, {"B", 2 * scale}, {"C", 1 * scale}, {"D", 3 * scale}};
    char none[4];
    mpr_pool *p;
    int rc = mpr_pool_new(&p, 2);
    if (rc != MPR_OK)
        return app_fail("Pool(2)", rc);
    /* chunksize 1, what Python computes for 4 items on 2 workers. */
    rc = mpr_pool_map(p, work_log, work, 4, sizeof *work, none, 1, 1);
    mpr_pool_free(p);
    if (rc != MPR_OK)
        return app_fail("p.map", rc);
    printf("[None, None, None, None]\n");
    return APP_EXIT_OK;
}

typedef struct {
    int i;
    double scale;
} worker_args;

static int worker(const void *arg, size_t len)
{
    worker_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    app_sleep(a.scale * app_random());
    printf("%d\n", a.i);
    return 0;
}

static int apply_demo(bool async, double scale)
{
    mpr_pool *p;
    int rc = mpr_pool_new(&p, 4);
    if (rc != MPR_OK)
        return app_fail("Pool(4)", rc);
    for (int i = 0; i < 8 && rc == MPR_OK; i++) {
        worker_args a = {i, scale};
        if (async)
            rc = mpr_pool_apply_async(p, worker, &a, sizeof a, NULL, NULL, NULL, NULL);
        else
            rc = mpr_pool_apply(p, worker, &a, sizeof a, NULL, 0, NULL);
    }
    if (rc != MPR_OK)
        app_fail(async ? "p.apply_async" : "p.apply", rc);
    int closed = mpr_pool_close(p); /* we are done making processes */
    if (closed == MPR_OK)
        closed = mpr_pool_join(p); /* blocks until all the tasks are finished */
    mpr_pool_free(p);
    if (rc == MPR_OK && closed != MPR_OK)
        return app_fail("p.join", closed);
    return rc == MPR_OK ? APP_EXIT_OK : APP_EXIT_FAIL;
}

static int run(size_t demo, double scale)
{
    switch (demo) {
    case SQUARES:
        return squares();
    case F:
        return pool_of_two_f();
    case WORK_LOG:
        return work_log_demo(scale);
    case APPLY_ASYNC:
        return apply_demo(true, scale);
    default:
        return apply_demo(false, scale);
    }
}

int main(int argc, char **argv)
{
    double scale = 1.0;
    app_opt opts[] = {
        {"--scale", "FACTOR", "work_log, apply, apply_async: multiplies the document's sleeps",
         APP_OPT_DOUBLE, &scale, 0, 100},
    };
    const app_cmd cmds[] = {
        [SQUARES] = {"squares", "seed 000: Pool().map(square, 1..9) with pids"},
        [F] = {"f", "seed 003: Pool(2).map(f, 1..8) (mpirun -n 3)"},
        [WORK_LOG] = {"work_log", "seed 003: uneven sleeps on Pool(2) (mpirun -n 3)"},
        [APPLY_ASYNC] = {"apply_async", "seed 003: 8 tasks on Pool(4), as they finish (-n 5)"},
        [APPLY] = {"apply", "seed 003: the same with apply, one at a time (-n 5)"},
    };
    app_cli cli = {.summary = "Pool examples of seeds 000 and 003.",
                   .opts = opts,
                   .nopts = APP_LEN(opts),
                   .cmds = cmds,
                   .ncmds = APP_LEN(cmds)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(cli.cmd, scale);
    return app_exit(rc);
}
