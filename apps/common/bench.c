/* bench.c — see bench.h. */
#define _GNU_SOURCE
#include "bench.h"

#include "app.h"

#include <float.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void bench_sample(const char *bench, const char *impl, const char *param, const char *unit, int rep,
                  double value)
{
    if (rep >= 0)
        printf("sample,%s,%s,%s,%s,%d,%.6g\n", bench, impl, param, unit, rep, value);
    fflush(stdout);
}

void bench_print_env(void)
{
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(lib, &len);
    lib[strcspn(lib, "\n,")] = '\0'; /* "Open MPI v4.1.4" */
    printf("env,mpr_version,%s\n", mpr_version_string());
    printf("env,mpi_library,%s\n", lib);
    printf("env,ranks_cores,%d ranks on %d cores\n", mpr_size(), mpr_cpu_count());
}

bench_stats bench_summarize(double *v, size_t n)
{
    bench_stats s = {0, 0, 0, n};
    if (n == 0)
        return s;
    s.median = app_median(v, n); /* sorts */
    s.min = v[0];
    s.max = v[n - 1];
    return s;
}

int bench_span_new(bench_span *s, int parties)
{
    s->parties = parties;
    int rc = mpr_barrier_new(&s->gate, parties);
    return rc == MPR_OK ? mpr_array_new(&s->times, 'd', 2 * (size_t)parties, NULL, 0) : rc;
}

double bench_span_start(bench_span s)
{
    int rc = mpr_barrier_wait(s.gate, -1);
    return rc < 0 ? rc : app_time();
}

int bench_span_end(bench_span s, int index, double start)
{
    double t[2] = {start, app_time()};
    return mpr_array_write(s.times, 2 * (size_t)index, 2, t);
}

double bench_span_seconds(bench_span s)
{
    double first = DBL_MAX, last = 0, t[2];
    for (int i = 0; i < s.parties; i++) {
        if (mpr_array_read(s.times, 2 * (size_t)i, 2, t) != MPR_OK)
            return -1;
        first = t[0] < first ? t[0] : first;
        last = t[1] > last ? t[1] : last;
    }
    return last - first;
}

int bench_wait(MPI_Request *req)
{
    int done = 0, rc = MPI_SUCCESS;
    while (rc == MPI_SUCCESS && !done) {
        rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (!done) {
            struct timespec ts = {0, 20 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return rc;
}
