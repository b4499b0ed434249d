/*
 * pi.c — Monte Carlo estimate of pi, the main job (seed 004).
 *
 *   def calc_point_inside_circle(num_of_estimates):
 *       print(f"Executing calc_point_inside_circle with {num_of_estimates:,} on pid {os.getpid()}")
 *       ... count random (x, y) in the unit square with x**2 + y**2 <= 1 ...
 *   trials_inside_circle = pool.map(calc_point_inside_circle, trials_per_processes)
 *   print(pi_estimate); print(f"Time consumed: {...}")
 *
 * The trials are cut into --tasks tasks; task i draws from random stream i
 * of --seed (Philox, mpr_rng), so the count inside the circle depends on the
 * seed and the tasks only: bit-identical on any number of ranks, in every
 * variant, and equal to the serial computation (--workers 0). The document's
 * Python seeds each process from the OS; streams per task make repeats and
 * correlations between workers impossible.
 *
 * Variants, as the document has them:
 *   pool       Pool.map over the tasks, handed out one at a time: the tasks
 *              are equal but the cores of a shared machine are not (a
 *              core slowed by a neighbour for a while would hold up a
 *              static block; see README "Benchmarks")
 *   processes  worker Processes fed by a task queue, one sentinel each
 *   joblib     Parallel(n_jobs, verbose=1): tasks as they finish
 *              (imap_unordered), joblib's progress lines
 *   batched    as pool, drawing the random numbers in blocks (the numpy
 *              variant's idea): same numbers, same count, fewer calls
 * --cache FILE keeps each task's count in an HDF5 cache (joblib.Memory):
 * a second identical run reads them back and says so.
 * --output FILE.h5 writes the estimate, per-task counts, parameters, ranks
 * and timings.
 */
#define _GNU_SOURCE /* clock_gettime, M_PI */
#include "app.h"
#include "h5out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { POOL, PROCESSES, JOBLIB, BATCHED };
static const char *const variant_names[] = {"pool", "processes", "joblib", "batched"};
enum { NO_MORE_TASKS = -1, BATCH = 4096 };

/* One task: what decides its count, so it is also the cache key. */
typedef struct {
    int64_t index, trials;
    uint64_t seed;
} pi_task;

/* Per-run settings the workers need besides the task (not in the key). */
typedef struct {
    int verbose, batched;
} pi_mode;

typedef struct {
    pi_task task;
    pi_mode mode;
} task_item;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int64_t count_plain(mpr_rng *rng, int64_t trials)
{
    int64_t inside = 0;
    for (int64_t i = 0; i < trials; i++) {
        double x = mpr_rng_uniform(rng), y = mpr_rng_uniform(rng);
        inside += x * x + y * y <= 1.0;
    }
    return inside;
}

/* numpy's idea: xs, ys = uniform(0, 1, n); sum(xs*xs + ys*ys <= 1), in
 * blocks. The stream is consumed in the same order as count_plain. */
static int64_t count_batched(mpr_rng *rng, int64_t trials)
{
    static double u[2 * BATCH];
    int64_t inside = 0;
    for (int64_t done = 0; done < trials; done += BATCH) {
        int64_t n = trials - done < BATCH ? trials - done : BATCH;
        mpr_rng_fill_uniform(rng, u, (size_t)(2 * n));
        for (int64_t i = 0; i < n; i++)
            inside += u[2 * i] * u[2 * i] + u[2 * i + 1] * u[2 * i + 1] <= 1.0;
    }
    return inside;
}

/* Python's f"{n:,}": digits grouped by commas. */
static const char *with_commas(char *buf, size_t cap, int64_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)n), out = 0;
    for (int i = 0; i < len && out + 2 < (int)cap; i++) {
        if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
    return buf;
}

/* calc_point_inside_circle: a Pool.map function (task_item -> int64). */
static int calc_point_inside_circle(const void *in, void *out)
{
    task_item item;
    memcpy(&item, in, sizeof item);
    char text[32];
    if (item.mode.verbose)
        printf("Executing calc_point_inside_circle with %s and index %lld on pid %ld (%s, rank "
               "%d@%s)\n",
               with_commas(text, sizeof text, item.task.trials), (long long)item.task.index,
               mpr_self_pid(), mpr_self_name(), mpr_rank(), mpr_self_host());
    mpr_rng rng;
    mpr_rng_init(&rng, item.task.seed, (uint64_t)item.task.index);
    int64_t inside = item.mode.batched ? count_batched(&rng, item.task.trials)
                                       : count_plain(&rng, item.task.trials);
    memcpy(out, &inside, sizeof inside);
    return 0;
}

/* ------------------------------------------------- processes and a queue */

typedef struct {
    mpr_queue tasks, results;
} queue_pair;

static int queue_worker(const void *arg, size_t len)
{
    queue_pair q;
    if (app_unpack(&q, sizeof q, arg, len))
        return 1;
    for (;;) {
        task_item item;
        size_t n = 0;
        int rc = mpr_queue_get(q.tasks, &item, sizeof item, &n, -1);
        if (rc != MPR_OK)
            return app_raise("tasks.get", rc);
        if (item.task.index == NO_MORE_TASKS)
            return 0;
        int64_t result[2] = {item.task.index, 0};
        calc_point_inside_circle(&item, &result[1]);
        rc = mpr_queue_put(q.results, result, sizeof result, -1);
        if (rc != MPR_OK)
            return app_raise("results.put", rc);
    }
}

/* Worker Processes take tasks from a queue until their sentinel. */
static int run_processes(const task_item *items, int64_t *inside, size_t n, int workers)
{
    queue_pair q;
    int rc = mpr_queue_new(&q.tasks, 0);
    if (rc == MPR_OK)
        rc = mpr_queue_new(&q.results, 0);
    for (size_t t = 0; t < n && rc == MPR_OK; t++)
        rc = mpr_queue_put(q.tasks, &items[t], sizeof items[t], -1);
    task_item stop = {.task.index = NO_MORE_TASKS};
    for (int w = 0; w < workers && rc == MPR_OK; w++)
        rc = mpr_queue_put(q.tasks, &stop, sizeof stop, -1);
    if (rc != MPR_OK)
        return app_fail("Queue", rc);
    mpr_process **ps = calloc((size_t)workers, sizeof *ps);
    int status = APP_EXIT_OK;
    for (int w = 0; w < workers && status == APP_EXIT_OK; w++)
        status = app_start(&ps[w], NULL, queue_worker, &q, sizeof q);
    for (size_t t = 0; t < n && status == APP_EXIT_OK; t++) {
        int64_t result[2];
        size_t len = 0;
        rc = mpr_queue_get(q.results, result, sizeof result, &len, -1);
        if (rc != MPR_OK)
            status = app_fail("results.get", rc);
        for (size_t i = 0; rc == MPR_OK && i < n; i++)
            if (items[i].task.index == result[0])
                inside[i] = result[1];
    }
    if (app_join_all(ps, (size_t)workers) != APP_EXIT_OK)
        status = APP_EXIT_FAIL;
    free(ps);
    mpr_queue_free(q.tasks);
    mpr_queue_free(q.results);
    return status;
}

/* ------------------------------------------------------------------ pools */

/* Parallel(n_jobs=k, verbose=1)(delayed(f)(x) for x in tasks). */
static int run_joblib(mpr_pool *p, const task_item *items, int64_t *inside, size_t n)
{
    double t0 = now();
    int k = mpr_pool_size(p);
    printf("[Parallel(n_jobs=%d)]: Using backend MPIBackend with %d concurrent workers.\n", k, k);
    mpr_imap *it;
    int rc = mpr_pool_imap(p, calc_point_inside_circle, items, n, sizeof *items, sizeof *inside, 1,
                           0, &it);
    if (rc != MPR_OK)
        return app_fail("Parallel", rc);
    for (size_t done = 1; done <= n && rc == MPR_OK; done++) {
        size_t index = 0;
        int64_t v = 0;
        rc = mpr_imap_next(it, &v, &index, -1);
        inside[index] = v;
        /* joblib reports at growing intervals; 1, 2, 4, 8, ... and the end. */
        if (rc == MPR_OK && (done & (done - 1)) == 0 && done != n)
            printf("[Parallel(n_jobs=%d)]: Done %3zu tasks      | elapsed: %6.1fs\n", k, done,
                   now() - t0);
    }
    mpr_imap_free(it);
    if (rc != MPR_OK)
        return app_fail("Parallel", rc);
    printf("[Parallel(n_jobs=%d)]: Done %3zu out of %3zu | elapsed: %6.1fs finished\n", k, n, n,
           now() - t0);
    return APP_EXIT_OK;
}

static int run_pool(int variant, const task_item *items, int64_t *inside, size_t n, int workers)
{
    mpr_pool *p;
    int rc = mpr_pool_new(&p, workers);
    if (rc != MPR_OK)
        return app_fail("Pool", rc);
    int status = APP_EXIT_OK;
    if (variant == JOBLIB) {
        status = run_joblib(p, items, inside, n);
    } else {
        rc = mpr_pool_map(p, calc_point_inside_circle, items, n, sizeof *items, inside,
                          sizeof *inside, 1);
        if (rc != MPR_OK)
            status = app_fail("pool.map", rc);
    }
    mpr_pool_free(p);
    return status;
}

/* ------------------------------------------------------------------ cache */

/* Fills inside[] from the cache where it can; returns the number of hits
 * and leaves the tasks still to compute in todo[] (their positions). */
static size_t cache_lookup(mpr_cache *c, const task_item *items, int64_t *inside, size_t n,
                           size_t *todo, size_t *ntodo)
{
    size_t hits = 0;
    *ntodo = 0;
    for (size_t t = 0; t < n; t++) {
        size_t len = 0;
        int rc = c ? mpr_cache_get(c, (mpr_fn)calc_point_inside_circle, &items[t].task,
                                   sizeof items[t].task, &inside[t], sizeof inside[t], &len)
                   : MPR_ENOTFOUND;
        if (rc == MPR_OK && len == sizeof inside[t])
            hits++;
        else
            todo[(*ntodo)++] = t;
    }
    return hits;
}

static int cache_store(mpr_cache *c, const task_item *items, const int64_t *inside,
                       const size_t *todo, size_t ntodo)
{
    for (size_t i = 0; c && i < ntodo; i++) {
        const task_item *it = &items[todo[i]];
        int rc = mpr_cache_put(c, (mpr_fn)calc_point_inside_circle, &it->task, sizeof it->task,
                               &inside[todo[i]], sizeof inside[todo[i]]);
        if (rc != MPR_OK)
            return app_fail("cache.put", rc);
    }
    return APP_EXIT_OK;
}

/* ------------------------------------------------------------------ output */

typedef struct {
    double trials, seed, seconds, estimate;
    int ntasks, variant, workers;
    int64_t total_inside;
} pi_result;

static int write_output(const char *path, const pi_result *r, const task_item *items,
                        const int64_t *inside)
{
    int64_t *trials = malloc((size_t)r->ntasks * sizeof *trials);
    for (int t = 0; t < r->ntasks; t++)
        trials[t] = items[t].task.trials;
    h5out_file f;
    int rc = h5out_create(&f, MPI_COMM_SELF, path);
    if (rc == 0)
        rc = h5out_scalar_f64(&f, "estimate", r->estimate);
    if (rc == 0)
        rc = h5out_scalar_i64(&f, "inside", r->total_inside);
    if (rc == 0)
        rc =
            h5out_write_parts(&f, "inside_per_task", H5T_NATIVE_INT64, inside, (uint64_t)r->ntasks);
    if (rc == 0)
        rc =
            h5out_write_parts(&f, "trials_per_task", H5T_NATIVE_INT64, trials, (uint64_t)r->ntasks);
    if (rc == 0)
        rc = h5out_scalar_f64(&f, "seconds", r->seconds);
    const char *root = "/";
    if (rc == 0)
        rc = h5out_attr_f64(&f, root, "trials", r->trials);
    if (rc == 0)
        rc = h5out_attr_i64(&f, root, "tasks", r->ntasks);
    if (rc == 0)
        rc = h5out_attr_u64(&f, root, "seed", (uint64_t)r->seed);
    if (rc == 0)
        rc = h5out_attr_str(&f, root, "variant", variant_names[r->variant]);
    if (rc == 0)
        rc = h5out_attr_i64(&f, root, "ranks", mpr_size());
    if (rc == 0)
        rc = h5out_attr_i64(&f, root, "workers", r->workers);
    if (rc == 0)
        rc = h5out_attr_str(&f, root, "host", mpr_self_host());
    int closed = h5out_close(&f);
    free(trials);
    if (rc != 0 || closed != 0) {
        app_error("--output %s: %s", path, h5out_last_error());
        return APP_EXIT_FAIL;
    }
    printf("results written to %s\n", path);
    return APP_EXIT_OK;
}

/* ------------------------------------------------------------------- run */

typedef struct {
    double trials, seed;
    int ntasks, workers, variant, verbose;
    const char *cache, *output;
} pi_options;

static task_item *make_tasks(const pi_options *o)
{
    task_item *items = calloc((size_t)o->ntasks, sizeof *items);
    int64_t total = (int64_t)o->trials, n = o->ntasks;
    for (int64_t t = 0; t < n; t++) {
        items[t].task = (pi_task){t, total / n + (t < total % n ? 1 : 0), (uint64_t)o->seed};
        items[t].mode = (pi_mode){o->verbose, o->variant == BATCHED};
    }
    return items;
}

static int compute(const pi_options *o, task_item *items, int64_t *inside, size_t *todo,
                   size_t ntodo)
{
    /* Only the tasks the cache did not have. */
    task_item *work = calloc(ntodo + 1, sizeof *work);
    int64_t *got = calloc(ntodo + 1, sizeof *got);
    for (size_t i = 0; i < ntodo; i++)
        work[i] = items[todo[i]];
    int status = APP_EXIT_OK;
    if (ntodo > 0 && o->workers == 0) {
        for (size_t i = 0; i < ntodo; i++)
            calc_point_inside_circle(&work[i], &got[i]);
    } else if (ntodo > 0 && o->variant == PROCESSES) {
        status = run_processes(work, got, ntodo, o->workers);
    } else if (ntodo > 0) {
        status = run_pool(o->variant, work, got, ntodo, o->workers);
    }
    for (size_t i = 0; i < ntodo; i++)
        inside[todo[i]] = got[i];
    free(work);
    free(got);
    return status;
}

static int run(const pi_options *o)
{
    double t0 = now();
    task_item *items = make_tasks(o);
    int64_t *inside = calloc((size_t)o->ntasks, sizeof *inside);
    size_t *todo = calloc((size_t)o->ntasks, sizeof *todo), ntodo = 0;
    mpr_cache *cache = NULL;
    int status = APP_EXIT_OK;
    if (o->cache) {
        int rc = mpr_cache_open(&cache, o->cache, "pi-1");
        if (rc != MPR_OK)
            status = app_fail("Memory", rc);
    }
    size_t hits = cache_lookup(cache, items, inside, (size_t)o->ntasks, todo, &ntodo);
    if (status == APP_EXIT_OK)
        status = compute(o, items, inside, todo, ntodo);
    if (status == APP_EXIT_OK)
        status = cache_store(cache, items, inside, todo, ntodo);
    pi_result r = {.trials = o->trials,
                   .seed = o->seed,
                   .ntasks = o->ntasks,
                   .variant = o->variant,
                   .workers = o->workers};
    for (int t = 0; t < o->ntasks; t++)
        r.total_inside += inside[t];
    r.seconds = now() - t0;
    r.estimate = 4.0 * (double)r.total_inside / o->trials;
    if (status == APP_EXIT_OK) {
        printf("%.10f\n", r.estimate);
        printf("Time consumed: %.3f s\n", r.seconds);
        if (cache)
            printf("cache: %zu of %d tasks read from %s, %zu computed and stored\n", hits,
                   o->ntasks, o->cache, ntodo);
        printf("inside circle: %lld of %.0f trials (%d tasks, seed %.0f)\n",
               (long long)r.total_inside, o->trials, o->ntasks, o->seed);
        printf("pi ~ %.8f, error %.2e vs M_PI; %.3g trials/s, variant %s on %d worker rank%s%s\n",
               r.estimate, fabs(r.estimate - M_PI), o->trials / r.seconds,
               variant_names[o->variant], o->workers, o->workers == 1 ? "" : "s",
               o->workers ? "" : " (serial, rank 0 alone)");
    }
    if (status == APP_EXIT_OK && o->output)
        status = write_output(o->output, &r, items, inside);
    mpr_cache_close(cache);
    free(items);
    free(inside);
    free(todo);
    return status;
}

int main(int argc, char **argv)
{
    pi_options o = {.trials = 1e8, .ntasks = 16, .seed = 20240601, .workers = -1, .verbose = 1};
    const char *variant = "pool", *cache = "", *output = "";
    app_opt opts[] = {
        {"--trials", "N", "number of random points (1e8 is the document's figure)", APP_OPT_DOUBLE,
         &o.trials, 1, 1e15},
        {"--tasks", "T", "tasks the trials are cut into; with --seed they fix the result",
         APP_OPT_INT, &o.ntasks, 1, 1000000},
        {"--seed", "S", "seed of the random streams", APP_OPT_DOUBLE, &o.seed, 0,
         9007199254740992.0},
        {"--workers", "W",
         "worker ranks (-1: every free worker rank; 0: serial in rank 0, the baseline)",
         APP_OPT_INT, &o.workers, -1, 1000000},
        {"--variant", "{pool,processes,joblib,batched}",
         "Pool.map, Processes with a queue, joblib-style progress, or numbers drawn in blocks",
         APP_OPT_STR, &variant, 0, 0},
        {"--cache", "FILE", "HDF5 result cache, as joblib.Memory", APP_OPT_STR, &cache, 0, 0},
        {"--output", "FILE", "write the results to this HDF5 file", APP_OPT_STR, &output, 0, 0},
        {"--verbose", "V", "1: a line per task as the document prints; 0: summary only",
         APP_OPT_INT, &o.verbose, 0, 1},
    };
    app_cli cli = {.summary = "Estimate pi by Monte Carlo on worker ranks (seed 004).",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc != APP_RUN)
        return rc;
    for (int v = 0; v < (int)APP_LEN(variant_names); v++)
        if (strcmp(variant, variant_names[v]) == 0)
            o.variant = v;
    o.cache = *cache ? cache : NULL;
    o.output = *output ? output : NULL;
    if (o.trials != floor(o.trials) || o.seed != floor(o.seed)) {
        app_error("--trials and --seed take whole numbers (1e8 is fine, 2.5 is not)");
        return app_exit(APP_EXIT_USAGE);
    }
    if (o.ntasks > o.trials) {
        app_error("--tasks %d is more than --trials %.0f", o.ntasks, o.trials);
        return app_exit(APP_EXIT_USAGE);
    }
    if (o.workers < 0)
        o.workers = mpr_free_workers();
    if (o.workers > mpr_free_workers()) {
        app_error("--workers %d but only %d worker ranks are free; launch with `mpirun -n %d`",
                  o.workers, mpr_free_workers(), o.workers + 1);
        return app_exit(APP_EXIT_USAGE);
    }
    return app_exit(run(&o));
}
