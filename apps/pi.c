/*
 * pi.c — Monte Carlo estimate of pi (seed 004, pi_estimate.py).
 *
 *   def calc_point_inside_circle(num_of_estimates):
 *       print(f"Executing calc_point_inside_circle with {num_of_estimates:,} on pid {os.getpid()}")
 *       ... count random (x, y) in the unit square with x**2 + y**2 <= 1 ...
 *   pool.map(calc_point_inside_circle, trials_per_processes)
 *   print(pi_estimate); print(f"Time consumed: {...}")
 *
 * The trials are cut into --tasks tasks; task i draws from random stream i
 * of --seed (Philox, mpr_rng), so the count inside the circle depends on the
 * seed and the tasks only: bit-identical on 1, 2, 4 or 8 ranks, and equal
 * to the serial computation (--workers 0). Tasks go to worker Processes
 * through a work queue ended by one sentinel per worker (the document's
 * queue design); counts come back on a result queue.
 */
#define _GNU_SOURCE /* clock_gettime, M_PI */
#include "app.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { NO_MORE_TASKS = -1 };

typedef struct {
    mpr_queue tasks, results;
    double trials;
    int ntasks;
    double seed;
    int verbose;
} pi_job;

typedef struct {
    int64_t task, inside;
} task_result;

static int64_t task_trials(const pi_job *job, int64_t task)
{
    int64_t total = (int64_t)job->trials, n = job->ntasks;
    return total / n + (task < total % n ? 1 : 0);
}

/* Python's f"{n:,}": digits grouped by commas. */
static const char *with_commas(int64_t n, char *buf, size_t cap)
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

/* calc_point_inside_circle for one task: its own random stream. */
static int64_t count_inside(const pi_job *job, int64_t task)
{
    int64_t trials = task_trials(job, task), inside = 0;
    char text[32];
    if (job->verbose)
        printf("Executing calc_point_inside_circle with %s on pid %ld (%s, rank %d@%s)\n",
               with_commas(trials, text, sizeof text), mpr_self_pid(), mpr_self_name(), mpr_rank(),
               mpr_self_host());
    mpr_rng rng;
    mpr_rng_init(&rng, (uint64_t)job->seed, (uint64_t)task);
    for (int64_t i = 0; i < trials; i++) {
        double x = mpr_rng_uniform(&rng), y = mpr_rng_uniform(&rng);
        inside += x * x + y * y <= 1.0;
    }
    return inside;
}

static int pi_worker(const void *arg, size_t len)
{
    pi_job job;
    if (app_unpack(&job, sizeof job, arg, len))
        return 1;
    for (;;) {
        int64_t task;
        int rc = mpr_queue_get_i64(job.tasks, &task, -1);
        if (rc != MPR_OK)
            return app_raise("tasks.get", rc);
        if (task == NO_MORE_TASKS)
            return 0;
        task_result r = {task, count_inside(&job, task)};
        rc = mpr_queue_put(job.results, &r, sizeof r, -1);
        if (rc != MPR_OK)
            return app_raise("results.put", rc);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Hands the tasks to `workers` Processes and sums what comes back. */
static int run_parallel(pi_job *job, int workers, int64_t *inside)
{
    int rc = mpr_queue_new(&job->tasks, 0);
    if (rc == MPR_OK)
        rc = mpr_queue_new(&job->results, 0);
    if (rc != MPR_OK)
        return app_fail("Queue()", rc);
    for (int64_t t = 0; t < job->ntasks && rc == MPR_OK; t++)
        rc = mpr_queue_put_i64(job->tasks, t, -1);
    for (int w = 0; w < workers && rc == MPR_OK; w++)
        rc = mpr_queue_put_i64(job->tasks, NO_MORE_TASKS, -1);
    if (rc != MPR_OK)
        return app_fail("tasks.put", rc);
    mpr_process **ps = calloc((size_t)workers, sizeof *ps);
    int status = APP_EXIT_OK;
    for (int w = 0; w < workers && status == APP_EXIT_OK; w++)
        status = app_start(&ps[w], NULL, pi_worker, job, sizeof *job);
    *inside = 0;
    for (int t = 0; t < job->ntasks && status == APP_EXIT_OK; t++) {
        task_result r;
        size_t len = 0;
        rc = mpr_queue_get(job->results, &r, sizeof r, &len, -1);
        if (rc != MPR_OK)
            status = app_fail("results.get", rc);
        else
            *inside += r.inside;
    }
    if (app_join_all(ps, (size_t)workers) != APP_EXIT_OK)
        status = APP_EXIT_FAIL;
    free(ps);
    mpr_queue_free(job->tasks);
    mpr_queue_free(job->results);
    return status;
}

static int run(pi_job *job, int workers)
{
    double t0 = now();
    int64_t inside = 0;
    if (workers == 0) {
        for (int64_t t = 0; t < job->ntasks; t++)
            inside += count_inside(job, t);
    } else {
        int status = run_parallel(job, workers, &inside);
        if (status != APP_EXIT_OK)
            return status;
    }
    double seconds = now() - t0;
    double estimate = 4.0 * (double)inside / job->trials;
    printf("%.10f\n", estimate);
    printf("Time consumed: %.3f s\n", seconds);
    printf("inside circle: %lld of %.0f trials (%d tasks, seed %.0f)\n", (long long)inside,
           job->trials, job->ntasks, job->seed);
    printf("pi ~ %.8f, error %.2e vs M_PI; %.3g trials/s on %d worker rank%s (%s)\n", estimate,
           fabs(estimate - M_PI), job->trials / seconds, workers, workers == 1 ? "" : "s",
           workers ? "Processes over MPI" : "serial, rank 0 alone");
    return APP_EXIT_OK;
}

int main(int argc, char **argv)
{
    pi_job job = {.trials = 1e8, .ntasks = 16, .seed = 20240601, .verbose = 1};
    int workers = -1;
    app_opt opts[] = {
        {"--trials", "N", "number of random points (1e8 is the document's figure)",
         APP_OPT_DOUBLE, &job.trials, 1, 1e15},
        {"--tasks", "T", "tasks the trials are cut into; with --seed they fix the result",
         APP_OPT_INT, &job.ntasks, 1, 1000000},
        {"--seed", "S", "seed of the random streams", APP_OPT_DOUBLE,
         &job.seed, 0, 9007199254740992.0},
        {"--workers", "W", "worker Processes (-1: every free worker rank; 0: serial in rank 0, "
                           "the baseline)",
         APP_OPT_INT, &workers, -1, 1000000},
        {"--verbose", "V", "1: a line per task as the document prints; 0: summary only",
         APP_OPT_INT, &job.verbose, 0, 1},
    };
    app_cli cli = {.summary = "Estimate pi by Monte Carlo with worker Processes (seed 004).",
                   .opts = opts,
                   .nopts = sizeof opts / sizeof opts[0]};
    int rc = app_init(&argc, &argv, &cli);
    if (rc != APP_RUN)
        return rc;
    if (job.trials != floor(job.trials) || job.seed != floor(job.seed)) {
        app_error("--trials and --seed take whole numbers (1e8 is fine, 2.5 is not)");
        return app_exit(APP_EXIT_USAGE);
    }
    if (job.ntasks > job.trials) {
        app_error("--tasks %d is more than --trials %.0f", job.ntasks, job.trials);
        return app_exit(APP_EXIT_USAGE);
    }
    if (workers < 0)
        workers = mpr_free_workers();
    if (workers > mpr_free_workers()) {
        app_error("--workers %d but only %d worker ranks are free; launch with `mpirun -n %d`",
                  workers, mpr_free_workers(), workers + 1);
        return app_exit(APP_EXIT_USAGE);
    }
    return app_exit(run(&job, workers));
}
