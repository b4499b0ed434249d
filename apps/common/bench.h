/*
 * bench.h — what the benchmark programs of apps/bench share, so that each
 * of them only says what it measures:
 *
 *   - samples: every repetition of every measurement is one line on stdout,
 *       sample,<bench>,<impl>,<param>,<unit>,<rep>,<value>
 *     which apps/bench/run_suite.sh collects into one CSV and summarizes
 *     (median, min, max) into the report; bench_report prints the same
 *     summary as a table row for a program run by hand;
 *   - the environment: env,<key>,<value> lines (mpr and MPI versions);
 *   - repetitions: BENCH_REPS_LOOP runs warm-up repetitions first (rep < 0,
 *     not recorded), then the measured ones;
 *   - gates and timings of worker Processes: every worker of a measurement
 *     waits at one shared Barrier, then writes its start and end time into
 *     a shared Array (CLOCK_MONOTONIC of this node); the span is the latest
 *     end minus the earliest start;
 *   - waiting without spinning: a rank that only waits for an MPI request
 *     sleeps between tests, so it does not take the core of a rank that
 *     measures (2 cores, 3 or more ranks).
 */
#ifndef BENCH_H
#define BENCH_H

#include <mpi.h>
#include <mpr.h>
#include <stddef.h>

/* for (rep = -warmup; rep < reps; rep++): rep < 0 is a warm-up. */
#define BENCH_REPS_LOOP(rep, warmup, reps) for (int rep = -(warmup); rep < (reps); rep++)

/* One sample line (nothing for a warm-up, rep < 0). */
void bench_sample(const char *bench, const char *impl, const char *param, const char *unit, int rep,
                  double value);
/* env lines: mpr_version_string, MPI_Get_library_version (first line), the
 * ranks and cores. Rank 0. */
void bench_print_env(void);

typedef struct {
    double median, min, max;
    size_t n;
} bench_stats;
/* Median, min and max of n values (v is sorted in place). n may be 0. */
bench_stats bench_summarize(double *v, size_t n);

/* Span timing of worker Processes: a Barrier of `parties` and an Array of
 * 2 * parties doubles, created once on rank 0 and reused by every
 * measurement with the same number of parties. */
typedef struct {
    mpr_barrier gate;
    mpr_array times;
    int parties;
} bench_span;
int bench_span_new(bench_span *s, int parties);
/* In a worker: wait at the gate; returns the start time (app_time) or a
 * negative mpr code. */
double bench_span_start(bench_span s);
/* In a worker: record [start, now] as party `index`. */
int bench_span_end(bench_span s, int index, double start);
/* On rank 0 after joining the workers: latest end - earliest start, or < 0. */
double bench_span_seconds(bench_span s);

/* Waits for req by MPI_Test and short sleeps (no busy polling). */
int bench_wait(MPI_Request *req);

#endif /* BENCH_H */
