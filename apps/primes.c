/*
 * primes.c — seed 004's prime search (prime_search_queues.py), and two Pool
 * schedules to compare it with.
 *
 *   def check_prime(search_space_queue, verified_primes_queue):
 *       while True:
 *           n = search_space_queue.get()
 *           if n == FLAG_ALL_DONE:
 *               verified_primes_queue.put(FLAG_WORKER_FINISHED_PROCESSING)
 *               break
 *           ... trial division by odd numbers; verified_primes_queue.put(n) ...
 *   for number in range(100_000_000, 101_000_000): search_space_queue.put(number)
 *   for n in range(num_of_workers): search_space_queue.put(FLAG_ALL_DONE)
 *   ... get results until every worker sent FLAG_WORKER_FINISHED_PROCESSING ...
 *   print("Took:", time.time() - t1)
 *   print(len(primes), primes[:10], primes[-10:])
 *
 * Modes (--mode):
 *   queue    the document's design: worker Processes, a work queue filled by
 *            the parent and ended by one poison pill per worker, a results
 *            queue, and one WORKER_FINISHED_PROCESSING message per worker.
 *            The one difference: a work item is a batch of --batch numbers
 *            (a sub-range), and a worker puts a batch's primes in one
 *            message. The document puts every number, and every prime, on
 *            its own; --batch 1 does that, and costs one queue round trip
 *            per number: see BATCH_COST below.
 *   static   Pool.map with chunksize 0 over one equal block of the range per
 *            worker. Larger numbers cost more to test, so the last block
 *            finishes last: the per-worker busy times show the imbalance.
 *   dynamic  Pool.map with chunksize --chunksize over sub-ranges of --batch
 *            numbers, handed out as workers free up: balanced.
 *   serial   rank 0 alone: the reference for results and timings.
 *
 * How results come back in the Pool modes: a map item is a sub-range with
 * its index, and its fixed-size result is the count (plus busy time and
 * rank); a sub-range's primes are a variable number of values, so the task
 * puts them on a results queue as one message tagged with the item index.
 * After the map, rank 0 drains exactly one message per item that found
 * primes and places each at the prefix sum of the counts before it, so the
 * primes arrive sorted without a sort. (Sizing the map result for the
 * worst case instead would need 4 bytes per number of the range.)
 *
 * The result is sorted in every mode (the queue mode sorts; the document
 * prints primes in arrival order), so all modes print the same line.
 *
 * --output FILE.h5 writes every prime into one dataset with parallel HDF5:
 * a pool step (mpr_pool_spmd) on rank 0 and every pool worker, where rank
 * 0 scatters the sorted primes and each rank writes its contiguous part in
 * one collective H5Dwrite (apps/common/h5out.h). The queue and serial
 * modes create that pool after the search.
 *
 * BATCH_COST, measured on an idle 2-core machine with 3 ranks (2 workers)
 * over [100000000, 100100000), 100,000 numbers, medians of 5 runs: --batch 1
 * (the document's one number per put) took 1.67 s (0.79-2.32 s), --batch
 * 10 0.19 s, --batch 100 0.073 s and --batch 10000 0.038 s, where the
 * serial loop takes 0.061 s. One number per put costs 10-20 us of queue
 * traffic (a put by rank 0, a get by a worker, each a round trip to rank
 * 0's service thread, and the same again for a prime) against 0.6 us of
 * trial division: the document's finding that its queue version is slower
 * than one process, and why a work item here is a batch. The benchmark
 * suite measures it again in every run (README "Benchmarks").
 */
#include "app.h"
#include "h5out.h"
#include "primality.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t from, to, batch;
    uint64_t chunksize;
    int workers;
    const char *mode;
    const char *output;
} options;

/* A growable array of primes, on rank 0. */
typedef struct {
    uint64_t *v;
    size_t n, cap;
} u64vec;

static int u64vec_reserve(u64vec *a, size_t more)
{
    if (a->n + more <= a->cap)
        return 0;
    size_t cap = a->cap ? a->cap : 1024;
    while (cap < a->n + more)
        cap *= 2;
    uint64_t *v = realloc(a->v, cap * sizeof *v);
    if (!v) {
        app_error("no memory for %zu primes", cap);
        return -1;
    }
    a->v = v;
    a->cap = cap;
    return 0;
}

/* Per-worker accounting, shown as one "busy:" line. */
typedef struct {
    int rank;
    double seconds;
    uint64_t items;
} busy_time;

static void print_busy(const busy_time *b, size_t n, const char *items)
{
    if (n == 0)
        return;
    printf("busy:");
    for (size_t i = 0; i < n; i++)
        printf("%s rank %d %.3g s (%llu %s)", i ? "," : "", b[i].rank, b[i].seconds,
               (unsigned long long)b[i].items, items);
    printf("\n");
}

/* Adds one task's time to its rank's entry. */
static void add_busy(busy_time *b, size_t *n, int rank, double seconds)
{
    size_t i = 0;
    while (i < *n && b[i].rank != rank)
        i++;
    if (i == *n)
        b[(*n)++] = (busy_time){rank, 0, 0};
    b[i].seconds += seconds;
    b[i].items++;
}

/* ------------------------------------------------------------ queue mode */

enum { WORK = 1, FLAG_ALL_DONE = 2, PRIMES = 3, FLAG_WORKER_FINISHED_PROCESSING = 4 };

typedef struct {
    uint64_t kind; /* WORK or FLAG_ALL_DONE (the poison pill) */
    uint64_t from, to;
} work_item;

/* A results message: this header, then `count` primes. A worker's last
 * message is FLAG_WORKER_FINISHED_PROCESSING with its busy time. */
typedef struct {
    uint64_t kind;
    uint64_t count; /* PRIMES: primes that follow; FINISHED: batches done */
    double seconds;
    int32_t rank;
    int32_t pad;
} result_header;

typedef struct {
    mpr_queue search_space, verified_primes;
    uint64_t batch;
} queue_args;

/* The document's check_prime target, a batch per get. */
static int check_prime_worker(const void *arg, size_t len)
{
    queue_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    result_header *msg = malloc(sizeof *msg + app_primes_bound(0, a.batch) * sizeof(uint64_t));
    if (!msg)
        return mpr_raise("no memory for a batch of %llu numbers", (unsigned long long)a.batch);
    uint64_t *primes = (uint64_t *)(msg + 1);
    double busy = 0;
    uint64_t batches = 0;
    int rc;
    for (;;) {
        work_item w;
        size_t got = 0;
        rc = mpr_queue_get(a.search_space, &w, sizeof w, &got, -1); /* blocking */
        if (rc != MPR_OK || w.kind == FLAG_ALL_DONE)
            break;
        double t0 = app_time();
        size_t count = app_primes_in(w.from, w.to, primes);
        busy += app_time() - t0;
        batches++;
        if (count == 0)
            continue;
        *msg = (result_header){PRIMES, count, 0, mpr_rank(), 0};
        rc = mpr_queue_put(a.verified_primes, msg, sizeof *msg + count * sizeof *primes, -1);
        if (rc != MPR_OK)
            break;
    }
    if (rc == MPR_OK) {
        /* Flag that our results have all been pushed to the results queue. */
        *msg = (result_header){FLAG_WORKER_FINISHED_PROCESSING, batches, busy, mpr_rank(), 0};
        rc = mpr_queue_put(a.verified_primes, msg, sizeof *msg, -1);
    }
    free(msg);
    return rc == MPR_OK ? 0 : app_raise("queue", rc);
}

/* Puts the batches, then one poison pill per worker. */
static int fill_search_space(const options *o, mpr_queue q)
{
    int rc = MPR_OK;
    for (uint64_t at = o->from; at < o->to && rc == MPR_OK;) {
        uint64_t end = o->to - at > o->batch ? at + o->batch : o->to;
        work_item w = {WORK, at, end};
        rc = mpr_queue_put(q, &w, sizeof w, -1);
        at = end;
    }
    for (int n = 0; n < o->workers && rc == MPR_OK; n++) {
        work_item pill = {FLAG_ALL_DONE, 0, 0};
        rc = mpr_queue_put(q, &pill, sizeof pill, -1);
    }
    return rc == MPR_OK ? APP_EXIT_OK : app_fail("search_space_queue.put", rc);
}

/* 1 if more workers have ended than sent their FLAG_WORKER_FINISHED_PROCESSING:
 * one failed (app_join_all reports why), and waiting on would never end. */
static int worker_lost(mpr_process **ps, int n, int finished)
{
    int ended = 0;
    for (int w = 0; w < n; w++)
        ended += mpr_process_is_alive(ps[w]) == 0;
    return ended > finished;
}

/* Gets results until every worker has sent FLAG_WORKER_FINISHED_PROCESSING.
 * The wait is cut into 1 s gets so that a worker that died is noticed; its
 * flag may still be on the way when the death is seen, so a lost worker
 * counts only after one more get finds the queue empty. */
static int collect_results(const options *o, mpr_queue q, mpr_process **ps, u64vec *primes,
                           busy_time *busy, size_t *nbusy)
{
    size_t cap = sizeof(result_header) + app_primes_bound(0, o->batch) * sizeof(uint64_t);
    result_header *msg = malloc(cap);
    if (!msg) {
        app_error("no memory for a results buffer of %zu bytes", cap);
        return APP_EXIT_FAIL;
    }
    int finished_child_processes = 0, status = APP_EXIT_OK, lost = 0;
    while (finished_child_processes < o->workers && status == APP_EXIT_OK) {
        size_t len = 0;
        int rc = mpr_queue_get(q, msg, cap, &len, 1.0); /* wait for a child's result */
        if (rc == MPR_EEMPTY) {
            if (lost) {
                app_error("a worker ended without sending FLAG_WORKER_FINISHED_PROCESSING");
                status = APP_EXIT_FAIL;
            }
            lost = worker_lost(ps, o->workers, finished_child_processes);
        } else if (rc != MPR_OK) {
            status = app_fail("verified_primes_queue.get", rc);
        } else if (msg->kind == FLAG_WORKER_FINISHED_PROCESSING) {
            finished_child_processes++;
            busy[*nbusy] = (busy_time){msg->rank, msg->seconds, msg->count};
            (*nbusy)++;
        } else if (u64vec_reserve(primes, msg->count) != 0) {
            status = APP_EXIT_FAIL;
        } else {
            memcpy(primes->v + primes->n, msg + 1, msg->count * sizeof(uint64_t));
            primes->n += msg->count;
        }
    }
    free(msg);
    return status;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int search_queue(const options *o, u64vec *primes, busy_time *busy, size_t *nbusy)
{
    queue_args a = {.batch = o->batch};
    int rc = mpr_queue_new(&a.search_space, 0);
    if (rc == MPR_OK && (rc = mpr_queue_new(&a.verified_primes, 0)) != MPR_OK)
        mpr_queue_free(a.search_space);
    if (rc != MPR_OK)
        return app_fail("Queue()", rc);
    /* Initializing the child processes, then the work, as the document. */
    mpr_process **ps = calloc((size_t)o->workers, sizeof *ps);
    int status = ps ? APP_EXIT_OK : APP_EXIT_FAIL;
    for (int w = 0; w < o->workers && status == APP_EXIT_OK; w++)
        status = app_start(&ps[w], NULL, check_prime_worker, &a, sizeof a);
    if (status == APP_EXIT_OK)
        status = fill_search_space(o, a.search_space);
    if (status == APP_EXIT_OK)
        status = collect_results(o, a.verified_primes, ps, primes, busy, nbusy);
    if (status != APP_EXIT_OK) /* wake workers still blocked in get */
        mpr_queue_close(a.search_space);
    if (ps && app_join_all(ps, (size_t)o->workers) != APP_EXIT_OK)
        status = APP_EXIT_FAIL;
    free(ps);
    mpr_queue_free(a.search_space);
    mpr_queue_free(a.verified_primes);
    if (primes->n) /* qsort wants a real array, even of no elements */
        qsort(primes->v, primes->n, sizeof *primes->v, cmp_u64);
    return status;
}

/* ------------------------------------------------------ static, dynamic */

typedef struct {
    mpr_queue primes; /* where the task puts its primes */
    uint64_t index, from, to;
} map_item;

typedef struct {
    uint64_t count;
    double seconds;
    int32_t rank;
    int32_t pad;
} map_out;

/* The map function: counts the primes of one sub-range and puts them on
 * the item's queue as {index, primes...}. */
static int count_subrange(const void *in, void *out)
{
    const map_item *it = in;
    double t0 = app_time();
    size_t bound = app_primes_bound(it->from, it->to);
    uint64_t *msg = malloc((1 + bound) * sizeof *msg);
    if (!msg)
        return mpr_raise("no memory for the primes of [%llu, %llu)", (unsigned long long)it->from,
                         (unsigned long long)it->to);
    size_t count = app_primes_in(it->from, it->to, msg + 1);
    int rc = MPR_OK;
    if (count > 0) {
        msg[0] = it->index;
        rc = mpr_queue_put(it->primes, msg, (1 + count) * sizeof *msg, -1);
    }
    free(msg);
    if (rc != MPR_OK)
        return app_raise("primes.put", rc);
    *(map_out *)out = (map_out){count, app_time() - t0, mpr_rank(), 0};
    return 0;
}

/* Sub-ranges: nitems equal parts of the range (their sizes differ by at
 * most one), or, with nitems 0, parts of `size` numbers. */
static map_item *make_items(const options *o, mpr_queue q, uint64_t nitems, uint64_t size,
                            size_t *n)
{
    uint64_t len = o->to - o->from;
    if (nitems == 0)
        nitems = len / size + (len % size != 0);
    map_item *items = calloc(nitems, sizeof *items);
    if (!items) {
        app_error("no memory for %llu map items", (unsigned long long)nitems);
        return NULL;
    }
    uint64_t q_len = len / nitems, r = len % nitems, at = o->from;
    for (uint64_t i = 0; i < nitems; i++) {
        uint64_t part = q_len + (i < r);
        items[i] = (map_item){q, i, at, at + part};
        at += part;
    }
    *n = nitems;
    return items;
}

/* Drains one message per item that found primes and puts its primes at
 * that item's place in the sorted result. */
static int place_primes(mpr_queue q, const map_out *outs, size_t n, u64vec *primes)
{
    size_t *offset = malloc((n + 1) * sizeof *offset);
    size_t biggest = 0, messages = 0;
    if (!offset) {
        app_error("no memory for %zu offsets", n);
        return APP_EXIT_FAIL;
    }
    offset[0] = 0;
    for (size_t i = 0; i < n; i++) {
        offset[i + 1] = offset[i] + outs[i].count;
        biggest = outs[i].count > biggest ? outs[i].count : biggest;
        messages += outs[i].count > 0;
    }
    uint64_t *msg = malloc((1 + biggest) * sizeof *msg);
    int status = !msg || u64vec_reserve(primes, offset[n]) != 0 ? APP_EXIT_FAIL : APP_EXIT_OK;
    for (size_t m = 0; m < messages && status == APP_EXIT_OK; m++) {
        size_t len = 0;
        int rc = mpr_queue_get(q, msg, (1 + biggest) * sizeof *msg, &len, -1);
        if (rc != MPR_OK || msg[0] >= n || len != (1 + outs[msg[0]].count) * sizeof *msg) {
            status = rc != MPR_OK ? app_fail("primes.get", rc) : APP_EXIT_FAIL;
            if (rc == MPR_OK)
                app_error("a primes message of %zu bytes does not match its item", len);
        } else {
            memcpy(primes->v + offset[msg[0]], msg + 1, len - sizeof *msg);
        }
    }
    if (status == APP_EXIT_OK)
        primes->n = offset[n];
    free(msg);
    free(offset);
    return status;
}

static int search_pool(const options *o, mpr_pool *pool, u64vec *primes, busy_time *busy,
                       size_t *nbusy)
{
    int is_static = strcmp(o->mode, "static") == 0;
    mpr_queue q;
    int rc = mpr_queue_new(&q, 0);
    if (rc != MPR_OK)
        return app_fail("Queue()", rc);
    size_t n = 0;
    map_item *items = make_items(o, q, is_static ? (uint64_t)mpr_pool_size(pool) : 0, o->batch, &n);
    map_out *outs = items ? calloc(n, sizeof *outs) : NULL;
    int status = outs ? APP_EXIT_OK : APP_EXIT_FAIL;
    if (status == APP_EXIT_OK) {
        rc = mpr_pool_map(pool, count_subrange, items, n, sizeof *items, outs, sizeof *outs,
                          is_static ? 0 : o->chunksize);
        status = rc == MPR_OK ? place_primes(q, outs, n, primes) : app_fail("pool.map", rc);
    }
    for (size_t i = 0; i < n && status == APP_EXIT_OK; i++)
        add_busy(busy, nbusy, outs[i].rank, outs[i].seconds);
    free(outs);
    free(items);
    mpr_queue_free(q);
    return status;
}

/* ---------------------------------------------------------------- output */

typedef struct {
    char path[256];
    char mode[16];
    uint64_t from, to, batch, chunksize, count;
    int32_t ranks, workers;
    double seconds;
} output_args;

/* The sorted primes, on rank 0, for write_output's scatter: an spmd step
 * runs on rank 0 in this same process, so it reads them here. */
static const uint64_t *all_primes;

static int write_attributes(h5out_file *f, const output_args *a)
{
    int rc = h5out_attr_u64(f, "/", "from", a->from);
    rc |= h5out_attr_u64(f, "/", "to", a->to);
    rc |= h5out_attr_str(f, "/", "mode", a->mode);
    rc |= h5out_attr_i64(f, "/", "ranks", a->ranks);
    rc |= h5out_attr_i64(f, "/", "workers", a->workers);
    rc |= h5out_attr_u64(f, "/", "batch", a->batch);
    rc |= h5out_attr_u64(f, "/", "chunksize", a->chunksize);
    rc |= h5out_attr_u64(f, "/", "count", a->count);
    rc |= h5out_attr_f64(f, "/", "seconds", a->seconds);
    rc |= h5out_attr_str(f, "primes", "description", "the primes of [from, to), ascending");
    return rc;
}

/* On rank 0 and every pool worker: scatter the primes in equal contiguous
 * parts, then write them into one dataset with collective I/O. */
static int write_output(MPI_Comm comm, const void *arg, size_t len)
{
    output_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int *counts = malloc((size_t)size * sizeof *counts),
        *displs = malloc((size_t)size * sizeof *displs);
    uint64_t part = a.count / (uint64_t)size + 1;
    uint64_t *mine = malloc(part * sizeof *mine);
    if (!counts || !displs || !mine || part > INT32_MAX) {
        free(counts), free(displs), free(mine);
        return mpr_raise("rank %d: no memory for %llu primes", rank, (unsigned long long)part);
    }
    for (int r = 0, at = 0; r < size; r++) {
        counts[r] = (int)(a.count / (uint64_t)size + ((uint64_t)r < a.count % (uint64_t)size));
        displs[r] = at;
        at += counts[r];
    }
    MPI_Scatterv(rank == 0 ? all_primes : NULL, counts, displs, MPI_UINT64_T, mine, counts[rank],
                 MPI_UINT64_T, 0, comm);
    h5out_file f;
    int rc = h5out_create(&f, comm, a.path);
    if (rc == 0)
        rc = h5out_write_parts(&f, "primes", H5T_NATIVE_UINT64, mine, (uint64_t)counts[rank]);
    if (rc == 0)
        rc = write_attributes(&f, &a);
    if (h5out_close(&f) != 0)
        rc = -1;
    free(counts), free(displs), free(mine);
    return rc == 0 ? 0 : mpr_raise("--output: %s", h5out_last_error());
}

/* The write step: on the search's pool, on a pool made for it (queue and
 * serial modes), or by rank 0 alone when no worker rank is free. */
static int save(const options *o, mpr_pool *pool, const u64vec *primes, double seconds)
{
    output_args a = {.from = o->from,
                     .to = o->to,
                     .batch = o->batch,
                     .chunksize = o->chunksize,
                     .count = primes->n,
                     .ranks = mpr_size(),
                     .workers = o->workers,
                     .seconds = seconds};
    snprintf(a.path, sizeof a.path, "%s", o->output);
    snprintf(a.mode, sizeof a.mode, "%s", o->mode);
    all_primes = primes->v;
    mpr_pool *own = NULL;
    if (!pool && mpr_free_workers() > 0 && mpr_pool_new(&own, 0) == MPR_OK)
        pool = own;
    int rc = pool ? mpr_pool_spmd(pool, write_output, &a, sizeof a)
                  : (write_output(MPI_COMM_SELF, &a, sizeof a) == 0 ? MPR_OK : MPR_ETASK);
    mpr_pool_free(own);
    if (rc != MPR_OK)
        return app_fail("write", rc);
    return APP_EXIT_OK;
}

/* ------------------------------------------------------------------- run */

static void print_result(const options *o, const u64vec *p, double seconds)
{
    char took[40];
    app_format_float(took, sizeof took, seconds);
    printf("Took: %s\n", took);
    size_t head = p->n < 10 ? p->n : 10;
    printf("%zu ", p->n);
    app_print_u64_list(p->v, head, " ");
    app_print_u64_list(p->v + p->n - head, head, "\n");
    printf("mode %s: %d worker%s on %d rank%s, range [%llu, %llu), batch %llu, chunksize %llu\n",
           o->mode, o->workers, o->workers == 1 ? "" : "s", mpr_size(), mpr_size() == 1 ? "" : "s",
           (unsigned long long)o->from, (unsigned long long)o->to, (unsigned long long)o->batch,
           (unsigned long long)o->chunksize);
}

static int run(options *o)
{
    u64vec primes = {0};
    busy_time *busy = calloc((size_t)o->workers + 1, sizeof *busy);
    size_t nbusy = 0;
    mpr_pool *pool = NULL;
    int status = busy ? APP_EXIT_OK : APP_EXIT_FAIL,
        pool_mode = !strcmp(o->mode, "static") || !strcmp(o->mode, "dynamic");
    if (status == APP_EXIT_OK && pool_mode) {
        int rc = mpr_pool_new(&pool, o->workers); /* outside the timing, as the document */
        status = rc == MPR_OK ? APP_EXIT_OK : app_fail("Pool()", rc);
    }
    double t1 = app_time();
    if (status != APP_EXIT_OK)
        ;
    else if (pool_mode)
        status = search_pool(o, pool, &primes, busy, &nbusy);
    else if (!strcmp(o->mode, "queue"))
        status = search_queue(o, &primes, busy, &nbusy);
    else if (u64vec_reserve(&primes, app_primes_bound(o->from, o->to)) != 0)
        status = APP_EXIT_FAIL;
    else
        primes.n = app_primes_in(o->from, o->to, primes.v);
    double seconds = app_time() - t1;
    if (status == APP_EXIT_OK) {
        print_result(o, &primes, seconds);
        print_busy(busy, nbusy, !strcmp(o->mode, "queue") ? "batches" : "items");
        fflush(stdout);
    }
    if (status == APP_EXIT_OK && o->output)
        status = save(o, pool, &primes, seconds);
    mpr_pool_free(pool);
    free(busy);
    free(primes.v);
    return status;
}

/* Checks what the option parser cannot: the range, and the worker ranks. */
static int check_options(options *o)
{
    if (o->from >= o->to) {
        app_error("the range [%llu, %llu) is empty: --from must be below --to (see --help)",
                  (unsigned long long)o->from, (unsigned long long)o->to);
        return APP_EXIT_USAGE;
    }
    if (o->output && strlen(o->output) >= sizeof(((output_args *)0)->path)) {
        app_error("--output: the path is longer than %zu bytes",
                  sizeof(((output_args *)0)->path) - 1);
        return APP_EXIT_USAGE;
    }
    /* Buffers are sized by the batch: no larger than the range. */
    if (o->batch > o->to - o->from)
        o->batch = o->to - o->from;
    if (!strcmp(o->mode, "serial")) {
        o->workers = 0;
        return APP_RUN;
    }
    int free_ranks = mpr_free_workers();
    if (o->workers < 0)
        o->workers = free_ranks;
    if (o->workers == 0 || o->workers > free_ranks) {
        app_error("--mode %s needs %d worker rank%s, %d %s free; launch with `mpirun -n %d` "
                  "(or use --mode serial)",
                  o->mode, o->workers ? o->workers : 1, o->workers > 1 ? "s" : "", free_ranks,
                  free_ranks == 1 ? "is" : "are", (o->workers ? o->workers : 1) + 1);
        return APP_EXIT_USAGE;
    }
    return APP_RUN;
}

int main(int argc, char **argv)
{
    options o = {.from = 100000000,
                 .to = 101000000,
                 .batch = 10000,
                 .chunksize = 2,
                 .workers = -1,
                 .mode = "queue",
                 .output = NULL};
    app_opt opts[] = {
        {"--from", "N", "first number of the range", APP_OPT_U64, &o.from, 0,
         1.8446744073709552e19},
        {"--to", "N", "end of the range (excluded)", APP_OPT_U64, &o.to, 0, 1.8446744073709552e19},
        {"--mode", "{queue,static,dynamic,serial}",
         "queue: the document's Processes, queues and poison pills; static: Pool.map, one "
         "block per worker; dynamic: Pool.map of --batch-number items in chunks; serial: rank "
         "0 alone",
         APP_OPT_STR, &o.mode, 0, 0},
        {"--batch", "B",
         "numbers per work item (queue: per put, dynamic: per map item). --batch 1 puts one "
         "number per put as the document does: 10-20 us of queue traffic per number against 0.6 "
         "us of division, 30-45x slower than --batch 10000 on 2 cores",
         APP_OPT_U64, &o.batch, 1, 1e9},
        {"--chunksize", "K", "dynamic: map items handed to a worker at a time", APP_OPT_U64,
         &o.chunksize, 1, 1e9},
        {"--workers", "W", "worker ranks (-1: every free one)", APP_OPT_INT, &o.workers, -1,
         1000000},
        {"--output", "FILE.h5",
         "write the primes (dataset 'primes', uint64, ascending) and the parameters (attributes "
         "of '/') with parallel HDF5",
         APP_OPT_STR, &o.output, 0, 0},
    };
    app_cli cli = {.summary = "Count the primes of a range by trial division with odd numbers, "
                              "as seed 004's prime search does, with worker Processes and queues "
                              "or with a Pool. Prints the time, then the count, the first ten and "
                              "the last ten primes.",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = check_options(&o);
    if (rc != APP_RUN)
        return app_exit(rc);
    return app_exit(run(&o));
}
