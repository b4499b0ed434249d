/*
 * channels.c — Pipe round trips and Queue throughput, each next to the raw
 * MPI equivalent on the same ranks, interleaved repetition by repetition.
 *
 * Launch with 7 ranks (`mpirun --oversubscribe -n 7`): the Queue's 3/3 case
 * needs 6 worker Processes; the other cases leave some workers idle.
 *
 *   pipe_rtt   (osu_latency style) two Processes bounce one message of
 *              --small or --big bytes through a duplex Pipe, --warmup-iters
 *              untimed, then --iters (--big-iters) timed; the sample is the
 *              half round trip in us. raw: MPI_Send/MPI_Recv ping-pong
 *              between the same two ranks on MPI_COMM_WORLD.
 *              A pipe message goes through rank 0's service thread (a send
 *              is a request to it; a recv is another): 2 hops each way.
 *   queue      P producers put --items items each of 8 B or 1 KiB into one
 *              Queue, C consumers get them all; the sample is items/s over
 *              the span from the first start to the last end (all start at a
 *              shared Barrier). raw: each producer MPI_Sends item i to
 *              consumer i % C, which MPI_Recvs from any source.
 *
 *   pairs      k = 1, 2, 3 independent producer/consumer pairs, each pair
 *              with its own Queue (homed on rank 0's node, which on one node
 *              is every rank's), 8 B items; the sample is the aggregate
 *              items/s. raw: each producer MPI_Sends to its consumer. A
 *              line `served,...` gives the events rank 0's server threads
 *              handled per item (mpr_served_counts): 0 when no item passes
 *              through rank 0.
 *
 * --multihost 1 (3 ranks, one per host): hosts_pipe_rtt, the 8 B and 1 MiB
 * pipe cases between two hosts, and hosts_pair, one pair on two hosts with rank 0 on a
 * third (the pipe and queue homed on one of the pair's nodes).
 *
 * Every sample is a line `sample,...` (apps/common/bench.h); run_suite.sh
 * makes the report.
 */
#include "app.h"
#include "bench.h"

#include <stdlib.h>
#include <string.h>

enum { TAG_PING = 4401, TAG_ITEM = 4402, MAX_SIDE = 3 };

typedef struct {
    mpr_conn end;
    bench_span span;
    int raw, peer; /* raw: MPI rank of the pong side (for ping) */
    size_t size;
    int iters, warm;
} pipe_arg;

static int pipe_side(const pipe_arg *a, int ping)
{
    char *buf = malloc(a->size);
    if (!buf)
        return mpr_raise("no memory for %zu bytes", a->size);
    memset(buf, 7, a->size);
    int rc = MPR_OK;
    double t0 = 0;
    for (int i = 0; i < a->warm + a->iters && rc == MPR_OK; i++) {
        if (ping && i == a->warm)
            t0 = app_time();
        size_t len = 0;
        if (a->raw) {
            MPI_Status st;
            if (ping)
                MPI_Send(buf, (int)a->size, MPI_BYTE, a->peer, TAG_PING, MPI_COMM_WORLD);
            MPI_Recv(buf, (int)a->size, MPI_BYTE, ping ? a->peer : MPI_ANY_SOURCE, TAG_PING,
                     MPI_COMM_WORLD, &st);
            if (!ping)
                MPI_Send(buf, (int)a->size, MPI_BYTE, st.MPI_SOURCE, TAG_PING, MPI_COMM_WORLD);
        } else if (ping) {
            rc = mpr_conn_send(a->end, buf, a->size);
            if (rc == MPR_OK)
                rc = mpr_conn_recv(a->end, buf, a->size, &len, -1);
        } else {
            rc = mpr_conn_recv(a->end, buf, a->size, &len, -1);
            if (rc == MPR_OK)
                rc = mpr_conn_send(a->end, buf, len);
        }
    }
    free(buf);
    if (rc != MPR_OK)
        return app_raise(ping ? "ping" : "pong", rc);
    if (ping && (rc = bench_span_end(a->span, 0, t0)) != MPR_OK)
        return app_raise("span", rc);
    return 0;
}

static int ping(const void *arg, size_t len)
{
    pipe_arg a;
    return app_unpack(&a, sizeof a, arg, len) ? 1 : pipe_side(&a, 1);
}

static int pong(const void *arg, size_t len)
{
    pipe_arg a;
    return app_unpack(&a, sizeof a, arg, len) ? 1 : pipe_side(&a, 0);
}

/* One repetition: the half round trip in us, or < 0. The pipe is homed on
 * the node of rank `home` (MPR_HOME_HERE: rank 0's). */
static double pipe_once(pipe_arg a, int home)
{
    mpr_conn other;
    mpr_process *ps[2] = {NULL, NULL};
    int rc = mpr_pipe_new_opts(&a.end, &other, &(mpr_pipe_opts){.duplex = 1, .home = home});
    if (rc != MPR_OK)
        return app_fail("Pipe()", rc), -1;
    pipe_arg b = a;
    b.end = other;
    int status = app_start(&ps[0], "pong", pong, &b, sizeof b);
    a.peer = ps[0] ? mpr_process_rank(ps[0]) : -1;
    if (status == APP_EXIT_OK)
        status = app_start(&ps[1], "ping", ping, &a, sizeof a);
    if (app_join_all(ps, 2) != APP_EXIT_OK || status != APP_EXIT_OK)
        return -1;
    mpr_conn_close(a.end);
    mpr_conn_close(other);
    return bench_span_seconds(a.span) / a.iters / 2 * 1e6;
}

typedef struct {
    mpr_queue q;
    bench_span span;
    int raw, index, items, count; /* count: items this consumer gets */
    size_t size;
    int nconsumers, consumer_rank[MAX_SIDE];
} queue_arg;

static int queue_side(const queue_arg *a, int producer)
{
    char buf[1024];
    memset(buf, 3, sizeof buf);
    double t0 = bench_span_start(a->span);
    int rc = t0 < 0 ? (int)t0 : MPR_OK, n = producer ? a->items : a->count;
    for (int i = 0; i < n && rc == MPR_OK; i++) {
        size_t len;
        if (a->raw && producer)
            MPI_Send(buf, (int)a->size, MPI_BYTE, a->consumer_rank[i % a->nconsumers], TAG_ITEM,
                     MPI_COMM_WORLD);
        else if (a->raw)
            MPI_Recv(buf, (int)a->size, MPI_BYTE, MPI_ANY_SOURCE, TAG_ITEM, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        else if (producer)
            rc = mpr_queue_put(a->q, buf, a->size, -1);
        else
            rc = mpr_queue_get(a->q, buf, sizeof buf, &len, -1);
    }
    if (rc == MPR_OK)
        rc = bench_span_end(a->span, a->index, t0);
    return rc == MPR_OK ? 0 : app_raise(producer ? "put" : "get", rc);
}

static int producer(const void *arg, size_t len)
{
    queue_arg a;
    return app_unpack(&a, sizeof a, arg, len) ? 1 : queue_side(&a, 1);
}

static int consumer(const void *arg, size_t len)
{
    queue_arg a;
    return app_unpack(&a, sizeof a, arg, len) ? 1 : queue_side(&a, 0);
}

/* One repetition with `side` producers and as many consumers: items/s, or < 0. */
static double queue_once(queue_arg a, int side)
{
    mpr_process *ps[2 * MAX_SIDE] = {NULL};
    int status = APP_EXIT_OK;
    a.nconsumers = side;
    for (int c = 0; c < side && status == APP_EXIT_OK; c++) {
        queue_arg ca = a;
        ca.index = c;
        ca.count = side * (a.items / side + (c < a.items % side));
        status = app_start(&ps[c], "consumer", consumer, &ca, sizeof ca);
        a.consumer_rank[c] = ps[c] ? mpr_process_rank(ps[c]) : -1;
    }
    for (int p = 0; p < side && status == APP_EXIT_OK; p++) {
        a.index = side + p;
        status = app_start(&ps[side + p], "producer", producer, &a, sizeof a);
    }
    if (app_join_all(ps, 2 * (size_t)side) != APP_EXIT_OK || status != APP_EXIT_OK)
        return -1;
    return side * (double)a.items / bench_span_seconds(a.span);
}

typedef struct {
    int iters, big_iters, warm_iters, items, reps, warmup, multihost;
} options;

/* One repetition of k pairs, pair p on queue qs[p]: aggregate items/s. */
static double pairs_once(queue_arg a, const mpr_queue *qs, int k)
{
    mpr_process *ps[2 * MAX_SIDE] = {NULL};
    int status = APP_EXIT_OK;
    a.nconsumers = 1;
    for (int p = 0; p < k && status == APP_EXIT_OK; p++) {
        queue_arg ca = a;
        ca.q = qs[p];
        ca.index = p;
        ca.count = a.items;
        status = app_start(&ps[p], "consumer", consumer, &ca, sizeof ca);
        queue_arg pa = ca;
        pa.index = k + p;
        pa.consumer_rank[0] = ps[p] ? mpr_process_rank(ps[p]) : -1;
        if (status == APP_EXIT_OK)
            status = app_start(&ps[k + p], "producer", producer, &pa, sizeof pa);
    }
    if (app_join_all(ps, 2 * (size_t)k) != APP_EXIT_OK || status != APP_EXIT_OK)
        return -1;
    return k * (double)a.items / bench_span_seconds(a.span);
}

/* Events rank 0's server threads handled per item since `before`. */
static void print_served(const mpr_served *before, double items)
{
    mpr_served after;
    mpr_served_counts(&after);
    printf("served,rank0,%.6f events/item,%llu items\n",
           (double)(after.service + after.node_server - before->service - before->node_server) /
               (items > 0 ? items : 1),
           (unsigned long long)items);
}

static int run_pairs(const options *o, const bench_span *spans)
{
    mpr_queue qs[MAX_SIDE];
    for (int p = 0; p < MAX_SIDE; p++)
        if (mpr_queue_new(&qs[p], 0) != MPR_OK)
            return app_fail("queue", MPR_ENOMEM);
    mpr_served before;
    mpr_served_counts(&before);
    double items = 0;
    BENCH_REPS_LOOP(rep, o->warmup, o->reps)
    {
        for (int k = 1; k <= MAX_SIDE; k++) {
            for (int raw = 1; raw >= 0; raw--) {
                queue_arg a = {.span = spans[k], .raw = raw, .items = o->items, .size = 8};
                double rate = pairs_once(a, qs, k);
                if (rate < 0)
                    return APP_EXIT_FAIL;
                items += raw ? 0 : k * (double)o->items;
                char param[32];
                snprintf(param, sizeof param, "%d_pairs_8B", k);
                bench_sample("pairs", raw ? "raw" : "mpr", param, "items/s", rep, rate);
            }
        }
    }
    print_served(&before, items);
    for (int p = 0; p < MAX_SIDE; p++)
        mpr_queue_free(qs[p]);
    return APP_EXIT_OK;
}

/* --multihost: 3 ranks, one per host (mpirun -n 3 --map-by node). Processes
 * start on the lowest free worker, so the pong side and the consumer are
 * rank 1 and their peers rank 2, each on a host of its own; the pipe and the
 * queue are homed on rank 1's node, and rank 0 (a third host) should handle
 * nothing per item. */
static int run_multihost(const options *o)
{
    if (mpr_free_workers() < 2 || mpr_size() != 3) {
        app_error("--multihost runs on 3 ranks, one per host: `mpirun -n 3 --map-by node`");
        return APP_EXIT_USAGE;
    }
    bench_print_env();
    bench_span one, two;
    mpr_queue q;
    int rc = bench_span_new(&one, 1);
    if (rc == MPR_OK)
        rc = bench_span_new(&two, 2);
    if (rc == MPR_OK)
        rc = mpr_queue_new_opts(&q, &(mpr_queue_opts){.home = 1});
    if (rc != MPR_OK)
        return app_fail("set-up", rc);
    mpr_served before;
    mpr_served_counts(&before);
    double items = 0;
    BENCH_REPS_LOOP(rep, o->warmup, o->reps)
    {
        for (int raw = 1; raw >= 0; raw--) {
            pipe_arg p = {
                .span = one, .raw = raw, .size = 8, .iters = o->iters, .warm = o->warm_iters};
            double us = pipe_once(p, 1);
            pipe_arg big = {
                .span = one, .raw = raw, .size = 1 << 20, .iters = o->big_iters, .warm = 5};
            double big_us = us < 0 ? -1 : pipe_once(big, 1);
            if (big_us < 0)
                return APP_EXIT_FAIL;
            bench_sample("hosts_pipe_rtt", raw ? "raw" : "mpr", "1MiB", "us", rep, big_us);
            queue_arg a = {.span = two, .raw = raw, .items = o->items, .size = 8};
            double rate = us < 0 ? -1 : pairs_once(a, &q, 1);
            if (rate < 0)
                return APP_EXIT_FAIL;
            items += raw ? 0 : (double)(o->iters + o->warm_iters) * 2 + o->items;
            bench_sample("hosts_pipe_rtt", raw ? "raw" : "mpr", "8B", "us", rep, us);
            bench_sample("hosts_pair", raw ? "raw" : "mpr", "1_pair_8B", "items/s", rep, rate);
        }
    }
    print_served(&before, items);
    mpr_queue_free(q);
    return APP_EXIT_OK;
}

static int run(const options *o)
{
    if (mpr_free_workers() < 2 * MAX_SIDE) {
        app_error("needs %d worker ranks: launch with `mpirun --oversubscribe -n %d`", 2 * MAX_SIDE,
                  2 * MAX_SIDE + 1);
        return APP_EXIT_USAGE;
    }
    bench_print_env();
    bench_span one, sides[MAX_SIDE + 1];
    int rc = bench_span_new(&one, 1);
    for (int s = 1; s <= MAX_SIDE && rc == MPR_OK; s += 2)
        rc = bench_span_new(&sides[s], 2 * s);
    mpr_queue q;
    if (rc == MPR_OK)
        rc = mpr_queue_new(&q, 0);
    if (rc != MPR_OK)
        return app_fail("set-up", rc);
    const size_t pipe_sizes[] = {8, 1 << 20};
    const char *pipe_params[] = {"8B", "1MiB"};
    BENCH_REPS_LOOP(rep, o->warmup, o->reps)
    {
        for (size_t k = 0; k < APP_LEN(pipe_sizes); k++) {
            for (int raw = 1; raw >= 0; raw--) {
                pipe_arg a = {.span = one,
                              .raw = raw,
                              .size = pipe_sizes[k],
                              .iters = k ? o->big_iters : o->iters,
                              .warm = o->warm_iters};
                double us = pipe_once(a, MPR_HOME_HERE);
                if (us < 0)
                    return APP_EXIT_FAIL;
                bench_sample("pipe_rtt", raw ? "raw" : "mpr", pipe_params[k], "us", rep, us);
            }
        }
    }
    const size_t item_sizes[] = {8, 1024};
    const char *item_params[] = {"8B", "1KiB"};
    BENCH_REPS_LOOP(rep, o->warmup, o->reps)
    {
        for (int side = 1; side <= MAX_SIDE; side += 2) {
            for (size_t k = 0; k < APP_LEN(item_sizes); k++) {
                for (int raw = 1; raw >= 0; raw--) {
                    queue_arg a = {.q = q,
                                   .span = sides[side],
                                   .raw = raw,
                                   .items = o->items,
                                   .size = item_sizes[k]};
                    double rate = queue_once(a, side);
                    if (rate < 0)
                        return APP_EXIT_FAIL;
                    char param[32];
                    snprintf(param, sizeof param, "%dx%d_%s", side, side, item_params[k]);
                    bench_sample("queue", raw ? "raw" : "mpr", param, "items/s", rep, rate);
                }
            }
        }
    }
    mpr_queue_free(q);
    bench_span pair_spans[MAX_SIDE + 1];
    for (int k = 1; k <= MAX_SIDE && rc == MPR_OK; k++)
        rc = bench_span_new(&pair_spans[k], 2 * k);
    if (rc != MPR_OK)
        return app_fail("set-up", rc);
    return run_pairs(o, pair_spans);
}

int main(int argc, char **argv)
{
    options o = {
        .iters = 2000, .big_iters = 50, .warm_iters = 100, .items = 10000, .reps = 5, .warmup = 1};
    app_opt opts[] = {
        {"--iters", "N", "timed round trips of 8 B per repetition", APP_OPT_INT, &o.iters, 1, 1e8},
        {"--big-iters", "N", "timed round trips of 1 MiB per repetition", APP_OPT_INT, &o.big_iters,
         1, 1e8},
        {"--warm-iters", "N", "untimed round trips before the timed ones", APP_OPT_INT,
         &o.warm_iters, 0, 1e8},
        {"--items", "N", "queue items per producer per repetition", APP_OPT_INT, &o.items, 1, 1e9},
        {"--reps", "N", "measured repetitions", APP_OPT_INT, &o.reps, 1, 1000},
        {"--warmup", "N", "untimed repetitions first", APP_OPT_INT, &o.warmup, 0, 1000},
        {"--multihost", "0|1", "1: the cross-host cases only (3 ranks, one per host)", APP_OPT_INT,
         &o.multihost, 0, 1},
    };
    app_cli cli = {.summary = "Pipe round trips and Queue throughput against raw MPI, as "
                              "`sample,...` lines.",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = o.multihost ? run_multihost(&o) : run(&o);
    return app_exit(rc);
}
