/*
 * waiting.c — does a waiting parent steal CPU from working children?
 *
 * Launch with one rank more than cores (`mpirun --oversubscribe -n 3` on 2
 * cores): the workers compute a fixed amount while rank 0 waits for them in
 * four ways, and each worker times its own compute.
 *
 *   sleep      rank 0 sleeps in nanosleep: the reference, no waiter at all
 *   join       rank 0 waits in mpr_process_join (backoff, wait.c)
 *   queue_get  rank 0 waits in mpr_queue_get for the results
 *   mpi_recv   rank 0 waits in a plain MPI_Recv, which Open MPI spins in:
 *              what the backoff avoids
 *
 * Each mode runs --reps times; the report gives the median compute time per
 * worker and its ratio to the sleep reference measured in the same run.
 */
#define _GNU_SOURCE
#include "app.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MODE_SLEEP, MODE_JOIN, MODE_QUEUE_GET, MODE_MPI_RECV, NMODES };
static const char *mode_names[NMODES] = {"sleep", "join", "queue_get", "mpi_recv"};
enum { TAG_RAW_DONE = 4242 };

typedef struct {
    mpr_queue results;
    double iterations;
    int mode;
} work;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compute(const void *arg, size_t len)
{
    work w;
    if (app_unpack(&w, sizeof w, arg, len))
        return 1;
    double t0 = now();
    volatile uint64_t x = 1;
    for (uint64_t i = 0; i < (uint64_t)w.iterations; i++)
        x = x * 6364136223846793005u + i;
    double seconds = now() - t0;
    int rc = mpr_queue_put(w.results, &seconds, sizeof seconds, -1);
    if (rc != MPR_OK)
        return app_raise("results.put", rc);
    if (w.mode == MODE_MPI_RECV) /* the user's own MPI message to the parent */
        MPI_Send(&seconds, 1, MPI_DOUBLE, 0, TAG_RAW_DONE, MPI_COMM_WORLD);
    return 0;
}

/* One round: every worker computes once while rank 0 waits as `mode` says.
 * Appends each worker's compute time to times. */
static int round_once(work *w, int workers, double *times, size_t *ntimes)
{
    mpr_process **ps = calloc((size_t)workers, sizeof *ps);
    int status = APP_EXIT_OK;
    for (int i = 0; i < workers && status == APP_EXIT_OK; i++)
        status = app_start(&ps[i], NULL, compute, w, sizeof *w);
    if (status == APP_EXIT_OK && w->mode == MODE_SLEEP) {
        /* Sleep until the queue holds every result, polling rarely. */
        while (mpr_queue_qsize(w->results) < workers) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    } else if (status == APP_EXIT_OK && w->mode == MODE_MPI_RECV) {
        for (int i = 0; i < workers; i++) {
            double s;
            MPI_Recv(&s, 1, MPI_DOUBLE, MPI_ANY_SOURCE, TAG_RAW_DONE, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        }
    } else if (status == APP_EXIT_OK && w->mode == MODE_JOIN) {
        for (int i = 0; i < workers; i++)
            mpr_process_join(ps[i], -1);
    }
    /* queue_get waits here; the other modes find the results already in. */
    for (int i = 0; i < workers && status == APP_EXIT_OK; i++) {
        size_t len;
        int rc = mpr_queue_get(w->results, &times[*ntimes], sizeof(double), &len, -1);
        if (rc != MPR_OK)
            status = app_fail("results.get", rc);
        else
            (*ntimes)++;
    }
    if (app_join_all(ps, (size_t)workers) != APP_EXIT_OK)
        status = APP_EXIT_FAIL;
    free(ps);
    return status;
}

static int run(double iterations, int reps)
{
    int workers = mpr_free_workers();
    if (workers < 1) {
        app_error("needs worker ranks: launch with `mpirun --oversubscribe -n %d`",
                  mpr_cpu_count() + 1);
        return APP_EXIT_USAGE;
    }
    work w = {.iterations = iterations};
    int rc = mpr_queue_new(&w.results, 0);
    if (rc != MPR_OK)
        return app_fail("Queue()", rc);
    double med[NMODES];
    size_t cap = (size_t)(reps * workers);
    double *times = calloc(cap, sizeof *times);
    /* Interleave the modes so drifting machine load hits them all alike. */
    double *per_mode[NMODES];
    size_t count[NMODES] = {0};
    for (int m = 0; m < NMODES; m++)
        per_mode[m] = calloc(cap, sizeof(double));
    for (int r = 0; r < reps; r++) {
        for (int m = 0; m < NMODES; m++) {
            w.mode = m;
            if (round_once(&w, workers, per_mode[m], &count[m]) != APP_EXIT_OK)
                return APP_EXIT_FAIL;
        }
    }
    printf("| rank 0 waits in | median compute per worker (s) | ratio to sleep |\n");
    printf("|-----------------|-------------------------------|----------------|\n");
    for (int m = 0; m < NMODES; m++)
        med[m] = app_median(per_mode[m], count[m]);
    for (int m = 0; m < NMODES; m++)
        printf("| %-15s | %29.3f | %14.2f |\n", mode_names[m], med[m], med[m] / med[MODE_SLEEP]);
    printf("%d workers + rank 0 on %d cores, %d repetitions, %.3g iterations each\n", workers,
           mpr_cpu_count(), reps, iterations);
    for (int m = 0; m < NMODES; m++)
        free(per_mode[m]);
    free(times);
    mpr_queue_free(w.results);
    return APP_EXIT_OK;
}

int main(int argc, char **argv)
{
    double iterations = 3e8;
    int reps = 5;
    app_opt opts[] = {
        {"--iterations", "N", "loop iterations each worker computes", APP_OPT_DOUBLE, &iterations,
         1, 1e13},
        {"--reps", "R", "repetitions of each mode", APP_OPT_INT, &reps, 1, 1000},
    };
    app_cli cli = {.summary = "Compute time of workers while rank 0 waits in different ways.",
                   .opts = opts,
                   .nopts = sizeof opts / sizeof opts[0]};
    int rc = app_init(&argc, &argv, &cli);
    if (rc != APP_RUN)
        return rc;
    return app_exit(run(iterations, reps));
}
