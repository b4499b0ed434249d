/*
 * manager.c — requests per second to a Manager, against a raw MPI round
 * trip between the same ranks, measured in the same run.
 *
 * Launch with 4 ranks (`mpirun --oversubscribe -n 4`): 1 and then 3 worker
 * ranks act as clients; rank 0 hosts the manager in its service thread.
 *
 *   manager  each client makes --requests calls of mpr_mvalue_fetch_add_i64
 *            on one manager Value: a request to rank 0's service thread and
 *            its reply, the cost of every manager call
 *   raw      each client makes --requests MPI_Send/MPI_Recv ping-pongs with
 *            rank 0's main thread on MPI_COMM_WORLD, which answers any
 *            source: the floor a round trip can reach
 *
 * The clients of a run wait at a gate (a manager Value) and start together;
 * a run's rate is all their requests over the longest client's time. Each
 * (mode, clients) runs --reps times, the modes interleaved repetition by
 * repetition; the report gives the medians and the ratio raw / manager, and
 * every repetition as a `sample,...` line for apps/bench/run_suite.sh.
 */
#include "app.h"
#include "bench.h"

#include <mpi.h>
#include <stdlib.h>

enum { MODE_MANAGER, MODE_RAW, NMODES };
enum { TAG_PING = 4343 };

typedef struct {
    mpr_mvalue counter;
    mpr_mvalue gate; /* clients ready; all start together */
    int clients;
    mpr_queue times;
    int mode;
    int requests;
} job;

static int client(const void *arg, size_t len)
{
    job j;
    if (app_unpack(&j, sizeof j, arg, len))
        return 1;
    int64_t ready = 0;
    int rc = mpr_mvalue_fetch_add_i64(j.gate, 1, NULL);
    while (rc == MPR_OK && ready < j.clients)
        rc = mpr_mvalue_get_i64(j.gate, &ready);
    double t0 = app_time();
    for (int i = 0; i < j.requests && rc == MPR_OK; i++) {
        if (j.mode == MODE_MANAGER) {
            rc = mpr_mvalue_fetch_add_i64(j.counter, 1, NULL);
        } else {
            int x = i;
            MPI_Send(&x, 1, MPI_INT, 0, TAG_PING, MPI_COMM_WORLD);
            MPI_Recv(&x, 1, MPI_INT, 0, TAG_PING, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
    }
    double seconds = app_time() - t0;
    if (rc != MPR_OK)
        return app_raise("counter.fetch_add", rc);
    rc = mpr_queue_put(j.times, &seconds, sizeof seconds, -1);
    return rc == MPR_OK ? 0 : app_raise("times.put", rc);
}

/* Rank 0's side of the raw ping-pong: echo every message to its sender. */
static void echo(int messages)
{
    for (int i = 0; i < messages; i++) {
        int x;
        MPI_Status st;
        MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, TAG_PING, MPI_COMM_WORLD, &st);
        MPI_Send(&x, 1, MPI_INT, st.MPI_SOURCE, TAG_PING, MPI_COMM_WORLD);
    }
}

/* One repetition: the clients' requests over the longest client time (they
 * start together at the gate), or < 0. */
static double one_run(job *j, int clients)
{
    mpr_process *ps[16] = {NULL};
    j->clients = clients;
    int rc = mpr_mvalue_set_i64(j->gate, 0) == MPR_OK ? APP_EXIT_OK : APP_EXIT_FAIL;
    for (int c = 0; c < clients && rc == APP_EXIT_OK; c++)
        rc = app_start(&ps[c], NULL, client, j, sizeof *j);
    if (rc == APP_EXIT_OK && j->mode == MODE_RAW)
        echo(clients * j->requests);
    if (app_join_all(ps, (size_t)clients) != APP_EXIT_OK || rc != APP_EXIT_OK)
        return -1;
    double longest = 0;
    for (int c = 0; c < clients; c++) {
        double seconds;
        size_t len;
        if (mpr_queue_get(j->times, &seconds, sizeof seconds, &len, -1) != MPR_OK)
            return -1;
        longest = seconds > longest ? seconds : longest;
    }
    return clients * j->requests / longest;
}

static int run(int requests, int reps)
{
    int workers = mpr_size() - 1;
    if (workers < 1) {
        app_error("needs worker ranks: launch with mpirun -n 4");
        return APP_EXIT_FAIL;
    }
    mpr_manager *m;
    job j = {.requests = requests};
    int rc = mpr_manager_start(&m);
    if (rc == MPR_OK)
        rc = mpr_manager_value_i64(m, &j.counter, 0);
    if (rc == MPR_OK)
        rc = mpr_manager_value_i64(m, &j.gate, 0);
    if (rc == MPR_OK)
        rc = mpr_queue_new(&j.times, 0);
    if (rc != MPR_OK)
        return app_fail("set-up", rc);
    double *rates[NMODES];
    for (int mode = 0; mode < NMODES; mode++)
        rates[mode] = calloc((size_t)reps, sizeof(double));
    bench_print_env();
    printf("| clients | manager requests/s | raw MPI round trips/s | raw / manager |\n");
    printf("|---------|--------------------|-----------------------|---------------|\n");
    const int counts[] = {1, 3};
    for (size_t k = 0; k < APP_LEN(counts) && rc == MPR_OK; k++) {
        int clients = counts[k] < workers ? counts[k] : workers;
        double med[NMODES];
        char param[32];
        snprintf(param, sizeof param, "%d_client%s", clients, clients > 1 ? "s" : "");
        for (int r = 0; r < reps; r++) {
            for (int mode = NMODES - 1; mode >= 0; mode--) {
                j.mode = mode;
                rates[mode][r] = one_run(&j, clients);
                bench_sample("manager", mode == MODE_RAW ? "raw" : "mpr", param, "requests/s", r,
                             rates[mode][r]);
            }
        }
        for (int mode = 0; mode < NMODES; mode++)
            med[mode] = app_median(rates[mode], (size_t)reps);
        if (med[MODE_MANAGER] <= 0 || med[MODE_RAW] <= 0)
            rc = MPR_EINVAL;
        printf("| %7d | %18.0f | %21.0f | %13.1f |\n", clients, med[MODE_MANAGER], med[MODE_RAW],
               med[MODE_RAW] / med[MODE_MANAGER]);
        if (clients == workers)
            break;
    }
    printf("%d ranks on %d cores, medians of %d repetitions of %d requests per client\n",
           mpr_size(), mpr_cpu_count(), reps, requests);
    for (int mode = 0; mode < NMODES; mode++)
        free(rates[mode]);
    mpr_queue_free(j.times);
    mpr_manager_free(m);
    return rc == MPR_OK ? APP_EXIT_OK : APP_EXIT_FAIL;
}

int main(int argc, char **argv)
{
    int requests = 5000, reps = 5;
    app_opt opts[] = {
        {"--requests", "N", "requests per client per repetition", APP_OPT_INT, &requests, 1, 1e8},
        {"--reps", "N", "repetitions of each measurement", APP_OPT_INT, &reps, 1, 1000},
    };
    app_cli cli = {.summary = "Manager requests per second against a raw MPI round trip.",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(requests, reps);
    return app_exit(rc);
}
