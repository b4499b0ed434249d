/*
 * pool.c — multiprocessing.Pool on worker ranks: the rank-0 side.
 *
 * DESIGN
 *   mpr_pool_new takes k free worker ranks by starting k Processes whose
 *   target is the pool worker loop (pool_worker.c), and builds a
 *   communicator of rank 0 and those ranks (MPI_Comm_create_group: only the
 *   members take part, so other pools and Processes go on undisturbed).
 *   The parent only coordinates: it hands out work and collects results,
 *   and sleeps with backoff in between. Launch one rank more than cores.
 *
 *   Two ways to run a map (pool-protocol.h for the messages):
 *   - static (chunksize 0, pool idle): every worker gets one contiguous
 *     block by MPI_Iscatterv and returns it by MPI_Igatherv. Least traffic;
 *     uneven items leave fast workers idle.
 *   - dynamic (chunksize > 0, map_async, imap, or a busy pool): a job is cut
 *     into chunks; each idle worker gets the next chunk, and gets another as
 *     soon as its result is in, so uneven items balance (master/worker).
 *   apply/apply_async are one-item jobs on the same dispatcher.
 *
 *   Progress is made by rank 0's main thread inside pool calls: each turn
 *   dispatches work to idle workers and takes in every result that has
 *   arrived. Callbacks run there too, after the job's state is final.
 *   Jobs are kept in submission order and dispatched in that order.
 *
 *   A failing item fails its job with the first failure to arrive (as
 *   Python's MapResult keeps the first exception): message, item index,
 *   rank and host. The job's other chunks are still collected, so nothing
 *   of it is left to mix into the next job.
 *
 * INVARIANTS
 *   held[w] lists, oldest first, the jobs of the pieces pool rank w has been
 *   sent and not yet answered (the first is the one it computes); a worker
 *   answers in the order it was sent, as MPI keeps the order of messages
 *   between two ranks on one communicator and tag. A job is freed when it
 *   is finished and no handle refers to it.
 */
#include "pool-protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { JOB_MAP = 1, JOB_APPLY } job_kind;
enum { ITEM_PENDING = 0, ITEM_OK, ITEM_FAILED };

/* Pieces a worker may hold beyond the one it computes. */
enum { PREFETCH_MAX = 4, PREFETCH_DEFAULT = 1 };

/* A piece sent to a worker and not yet answered. Its command goes out by
 * MPI_Isend and completes when the result is in: a chunk over the eager
 * limit, sent ahead to a worker that computes, would otherwise block rank 0
 * in the send while that worker blocks sending its result to rank 0. */
struct job;
typedef struct {
    struct job *job; /* lives while a piece of it is held */
    MPI_Request send;
    mpr__wbuf command; /* the bytes of the send, kept until it completes */
} held_piece;

typedef struct {
    held_piece of[1 + PREFETCH_MAX]; /* a ring, oldest at head */
    int head, n;
} held_pieces;

/* Fields by size (clang-tidy's padding check), then by use. */
typedef struct job {
    struct job *next, *prev; /* the pool's jobs, in submission order */
    uint64_t id;
    /* map */
    const unsigned char *in;
    unsigned char *in_copy; /* owned copy for async jobs */
    unsigned char *out;
    size_t n, in_size, out_size, chunksize, next_start, done;
    unsigned char *item_state; /* imap: per item */
    size_t *completed;         /* imap unordered: indices in completion order */
    size_t ncompleted;
    /* apply */
    void *arg;
    size_t arg_len;
    void *result;
    size_t result_len;
    /* outcome */
    mpr_callback callback;
    mpr_error_callback error_callback;
    void *user;
    double started, progress_at;
    mpr__fnref fn;
    job_kind kind;
    int handles; /* async/imap handles and waiting callers */
    bool out_owned;
    bool dispatched; /* apply */
    bool finished, failed;
    bool progress_shown;
    char error[MPR__MSG_MAX];
} job;

struct mpr_pool {
    struct mpr_pool *next_live; /* pools not yet freed, for mpr_finalize */
    int k;
    mpr_process **workers;
    MPI_Comm comm;
    held_pieces *held; /* index 1..k */
    int prefetch;      /* MPR_POOL_PREFETCH */
    /* Jobs in submission order. Every job before `undispatched` has had
     * all its pieces sent (NULL: every job has), so a dispatch starts
     * there: the cost of a submit, dispatch, result or free does not grow
     * with the number of jobs outstanding. */
    job *jobs, *last, *undispatched;
    bool defer_reap; /* terminate walks the jobs: reap_job frees none */
    uint64_t next_id;
    bool closed, stopped;
    int progress;
    mpr_target initializer;
    void *initarg;
    size_t initarg_len;
    int maxtasks;
};

struct mpr_async {
    mpr_pool *pool;
    job *job;
};

struct mpr_imap {
    mpr_pool *pool;
    job *job;
    size_t next; /* ordered: next index; unordered: next position in completed */
};

static unsigned pool_counter;
static mpr_pool *live_pools;
static int terminate_all(void);

/* ------------------------------------------------------------ messages */

/* Wakes the pool's workers from their sleep in a wait (doorbell.c). */
static void ring_workers(const mpr_pool *p)
{
    for (int w = 1; w <= p->k; w++)
        mpr__doorbell_ring(mpr_process_rank(p->workers[w]), MPR__BELL_MAIN);
}

/* Encodes c into *wb (initialized here) and posts its send to pool rank w
 * as *req. On failure *wb is freed and nothing was sent. */
static int post_cmd(mpr_pool *p, int w, const mpr__pool_cmd *c, mpr__wbuf *wb, MPI_Request *req)
{
    mpr__wbuf_init(wb);
    mpr__pool_cmd_encode(wb, c);
    int count = 0;
    int rc = wb->oom ? mpr__fail(MPR_ENOMEM, "no memory for a pool command")
                     : mpr__count_to_int(wb->len, &count);
    if (rc == MPR_OK) {
        int mrc = mpr__isend(wb->data, count, w, MPR__TAG_POOL_CMD, p->comm,
                             mpr_process_rank(p->workers[w]), req);
        if (mrc != MPI_SUCCESS)
            rc = mpr__mpi_fail(mrc, "send(pool command)", __FILE__, __LINE__);
    }
    if (rc != MPR_OK)
        mpr__wbuf_free(wb);
    return rc;
}

/* Sends c to pool rank w and waits until the send is complete: for commands
 * to idle workers (static map, spmd, stop). */
static int send_cmd(mpr_pool *p, int w, const mpr__pool_cmd *c)
{
    mpr__wbuf wb;
    MPI_Request req;
    MPR_CHECK(post_cmd(p, w, c, &wb, &req));
    int rc = mpr__request_wait(&req, -1) == 1
                 ? MPR_OK
                 : mpr__fail(MPR_EMPI, "send(pool command) to pool rank %d did not complete", w);
    mpr__wbuf_free(&wb);
    return rc;
}

/* Sends c to pool rank w without waiting; the piece is then held by w until
 * its result comes in. */
static int send_piece(mpr_pool *p, int w, struct job *j, const mpr__pool_cmd *c)
{
    held_pieces *h = &p->held[w];
    MPR_ASSERT(h->n < 1 + PREFETCH_MAX);
    held_piece *piece = &h->of[(h->head + h->n) % (1 + PREFETCH_MAX)];
    MPR_CHECK(post_cmd(p, w, c, &piece->command, &piece->send));
    piece->job = j;
    h->n++;
    return MPR_OK;
}

/* The oldest piece of pool rank w, whose result has come in: completes its
 * send (the worker has it, so this does not wait long) and returns its job. */
static struct job *piece_answered(mpr_pool *p, int w)
{
    held_pieces *h = &p->held[w];
    MPR_ASSERT(h->n > 0);
    held_piece *piece = &h->of[h->head];
    MPR_ASSERT(mpr__request_wait(&piece->send, -1) == 1);
    mpr__wbuf_free(&piece->command);
    h->head = (h->head + 1) % (1 + PREFETCH_MAX);
    h->n--;
    return piece->job;
}

/* Whether a piece of job j may be given to a worker that is still busy:
 * only map chunks, and only while every worker could still get one. */
static bool may_give_ahead(const mpr_pool *p, const job *j)
{
    if (j->kind != JOB_MAP)
        return false;
    size_t left = j->n - j->next_start;
    return left / j->chunksize + (left % j->chunksize != 0) >= (size_t)p->k;
}

/* Sends the next piece of the first job with undispatched work to pool rank
 * w; with `ahead` (w is busy), only if may_give_ahead allows it.
 * Returns 1 if something was sent, 0 if not, or an error. */
static int dispatch_one(mpr_pool *p, int w, bool ahead)
{
    for (job *j = p->undispatched; j; j = j->next) {
        bool map_left = j->kind == JOB_MAP && j->next_start < j->n;
        if (!map_left && !(j->kind == JOB_APPLY && !j->dispatched)) {
            p->undispatched = j->next; /* all sent: pieces never come back */
            continue;
        }
        if (ahead && !may_give_ahead(p, j))
            return 0; /* jobs go out in submission order: no skipping ahead */
        mpr__pool_cmd c = {.job = j->id, .fn = j->fn, .count = 1};
        if (map_left) {
            size_t count = j->n - j->next_start;
            if (count > j->chunksize)
                count = j->chunksize;
            c.kind = MPR__POOL_CHUNK;
            c.start = j->next_start;
            c.count = count;
            c.in_size = j->in_size;
            c.out_size = j->out_size;
            c.data = j->in + j->next_start * j->in_size;
            c.data_len = count * j->in_size;
            j->next_start += count;
        } else {
            c.kind = MPR__POOL_APPLY;
            c.data = j->arg;
            c.data_len = j->arg_len;
            j->dispatched = true;
        }
        int rc = send_piece(p, w, j, &c);
        if (rc != MPR_OK) {
            /* Not sent: the piece stays undispatched. */
            if (map_left)
                j->next_start -= c.count;
            else
                j->dispatched = false;
            return rc;
        }
        return 1;
    }
    return 0;
}

/* Idle workers first, then one more piece each, round by round, up to the
 * prefetch depth, so no worker gets a second piece while another has none. */
static int dispatch(mpr_pool *p)
{
    for (int depth = 0; depth <= p->prefetch; depth++)
        for (int w = 1; w <= p->k; w++)
            if (p->held[w].n == depth)
                MPR_CHECK(dispatch_one(p, w, depth > 0));
    return MPR_OK;
}

static void fail_job(job *j, const char *message)
{
    if (j->failed)
        return;
    j->failed = true;
    snprintf(j->error, sizeof j->error, "%s", message);
}

static void take_map_result(job *j, const mpr__pool_result *r)
{
    size_t out_len = (size_t)(r->count * j->out_size);
    MPR_ASSERT(r->start + r->count <= j->n && r->data_len == out_len + r->count);
    memcpy(j->out + r->start * j->out_size, r->data, out_len);
    const unsigned char *failed = (const unsigned char *)r->data + out_len;
    for (size_t i = 0; i < r->count; i++) {
        size_t index = (size_t)r->start + i;
        if (j->item_state)
            j->item_state[index] = failed[i] ? ITEM_FAILED : ITEM_OK;
        if (j->completed)
            j->completed[j->ncompleted++] = index;
    }
    j->done += (size_t)r->count;
    if (r->status)
        fail_job(j, r->message);
    if (j->done == j->n)
        j->finished = true;
}

static void take_apply_result(job *j, const mpr__pool_result *r)
{
    if (r->status)
        fail_job(j, r->message);
    j->result = malloc(r->data_len ? r->data_len : 1);
    MPR_ASSERT(j->result);
    if (r->data_len)
        memcpy(j->result, r->data, r->data_len);
    j->result_len = r->data_len;
    j->finished = true;
}

static void run_callbacks(job *j)
{
    if (j->failed && j->error_callback)
        j->error_callback(MPR_ETASK, j->error, j->user);
    else if (!j->failed && j->callback) {
        if (j->kind == JOB_MAP)
            j->callback(j->out, j->n * j->out_size, j->user);
        else
            j->callback(j->result, j->result_len, j->user);
    }
}

/* Frees job j if it is finished and nobody refers to it any more. */
static void reap_job(mpr_pool *p, job *j)
{
    if (!j->finished || j->handles > 0 || p->defer_reap)
        return;
    *(j->prev ? &j->prev->next : &p->jobs) = j->next;
    *(j->next ? &j->next->prev : &p->last) = j->prev;
    if (p->undispatched == j)
        p->undispatched = j->next;
    free(j->in_copy);
    if (j->out_owned)
        free(j->out);
    free(j->item_state);
    free(j->completed);
    free(j->arg);
    free(j->result);
    free(j);
}

/* A job just finished: its callbacks, then it is freed if nobody waits for
 * it (apply_async without a handle). The callbacks may free its handle or
 * stop the pool: it is held for them. */
static void finish(mpr_pool *p, job *j)
{
    j->handles++;
    run_callbacks(j);
    j->handles--;
    reap_job(p, j);
}

/* Frees every finished job that nobody refers to: when the pool stops. */
static void reap(mpr_pool *p)
{
    for (job *j = p->jobs, *next; j; j = next) {
        next = j->next;
        reap_job(p, j);
    }
}

/* Takes in one result if one is there. Returns 1, 0 (none) or an error. */
static int receive_one(mpr_pool *p)
{
    int found = 0;
    MPI_Message msg;
    MPI_Status st;
    MPR_MPI_CALL(MPI_Improbe(MPI_ANY_SOURCE, MPR__TAG_POOL_RES, p->comm, &found, &msg, &st));
    if (!found)
        return 0;
    void *raw = NULL;
    size_t len = 0;
    MPR_CHECK(mpr__mrecv_alloc(&msg, &st, &raw, &len));
    mpr__pool_result r;
    bool ok = mpr__pool_result_decode(raw, len, &r);
    MPR_ASSERT(ok && st.MPI_SOURCE >= 1 && st.MPI_SOURCE <= p->k);
    job *j = piece_answered(p, st.MPI_SOURCE); /* results come in the order sent */
    MPR_ASSERT(j->id == r.job);
    int world = mpr_process_rank(p->workers[st.MPI_SOURCE]);
    mpr__output_wait(world, r.output_bytes);
    mpr__service_wait_posts(world, r.posted);
    if (j->kind == JOB_MAP)
        take_map_result(j, &r);
    else
        take_apply_result(j, &r);
    free(raw);
    if (j->finished)
        finish(p, j);
    return 1;
}

/* One turn of progress: dispatch, take in what arrived, dispatch again.
 * Returns how many results came in, or an error. */
static int progress(mpr_pool *p)
{
    MPR_CHECK(dispatch(p));
    int got = 0, rc;
    while ((rc = receive_one(p)) == 1)
        got++;
    MPR_CHECK(rc);
    if (got)
        MPR_CHECK(dispatch(p));
    return got;
}

/* ------------------------------------------------------------- progress line */

static int prefetch_setting(void)
{
    const char *s = getenv("MPR_POOL_PREFETCH");
    if (!s || !*s)
        return PREFETCH_DEFAULT;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > PREFETCH_MAX) {
        MPR_WARN("MPR_POOL_PREFETCH=%s is not a number of chunks in [0, %d]; using %d", s,
                 PREFETCH_MAX, PREFETCH_DEFAULT);
        return PREFETCH_DEFAULT;
    }
    return (int)v;
}

static int progress_setting(int option)
{
    if (option >= 0)
        return option;
    const char *s = getenv("MPR_PROGRESS");
    if (s && *s)
        return atoi(s) ? 1 : 0;
    return isatty(STDERR_FILENO) ? -1 : 0; /* -1: only for maps longer than 2 s */
}

static void show_progress(mpr_pool *p, job *j)
{
    if (p->progress == 0 || j->kind != JOB_MAP)
        return;
    double now = MPI_Wtime(), elapsed = now - j->started;
    if (!j->finished && (now < j->progress_at || (p->progress < 0 && elapsed < 2.0)))
        return;
    if (j->finished && !j->progress_shown)
        return;
    j->progress_at = now + 0.25;
    j->progress_shown = true;
    double rate = elapsed > 0 ? (double)j->done / elapsed : 0;
    double eta = rate > 0 ? (double)(j->n - j->done) / rate : 0;
    fprintf(stderr, "\rmpr map: %zu/%zu items (%3.0f%%), %.3g items/s, ETA %.1f s%s", j->done, j->n,
            j->n ? 100.0 * (double)j->done / (double)j->n : 100.0, rate, eta,
            j->finished ? "\n" : "   ");
    fflush(stderr);
}

typedef struct {
    mpr_pool *pool;
    bool (*done)(mpr_pool *, void *);
    void *arg;
    job *shown; /* the job whose progress bar to draw, or NULL */
} pool_wait;

static int pool_ready(void *ctx)
{
    pool_wait *w = ctx;
    int got = progress(w->pool);
    MPR_CHECK(got);
    if (w->shown)
        show_progress(w->pool, w->shown);
    if (w->done(w->pool, w->arg))
        return MPR__READY;
    return got ? MPR__PROGRESSED : MPR__NOT_YET;
}

/* Makes progress until done(p, arg) holds or the timeout passes.
 * Returns 1 (done), 0 (timed out) or an error. */
static int wait_until(mpr_pool *p, bool (*done)(mpr_pool *, void *), void *arg, job *shown,
                      double timeout)
{
    pool_wait w = {p, done, arg, shown};
    return mpr__wait_until(pool_ready, &w, timeout);
}

static bool job_finished(mpr_pool *p, void *arg)
{
    (void)p;
    return ((job *)arg)->finished;
}

static bool all_finished(mpr_pool *p, void *arg)
{
    (void)arg;
    for (job *j = p->jobs; j; j = j->next)
        if (!j->finished)
            return false;
    for (int w = 1; w <= p->k; w++)
        if (p->held[w].n)
            return false;
    return true;
}

/* --------------------------------------------------------------- lifecycle */

static int check_pool(const mpr_pool *p, const char *what)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "%s: pool is NULL", what);
    if (p->closed)
        return mpr__fail(MPR_ECLOSED, "%s: the pool is closed (close/terminate was called)", what);
    return MPR_OK;
}

static int start_workers(mpr_pool *p, const mpr__fnref *init_ref, uint32_t tag)
{
    /* The workers' ranks are taken first: each worker learns them all. */
    int *ranks = calloc((size_t)p->k + 1, sizeof *ranks);
    MPR_ASSERT(ranks);
    int rc = mpr__workers_take(p->k, ranks + 1);
    if (rc < 0) {
        free(ranks);
        return rc;
    }
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__wbuf_u32(&w, tag);
    mpr__wbuf_u32(&w, (uint32_t)p->k);
    for (int i = 1; i <= p->k; i++)
        mpr__wbuf_u32(&w, (uint32_t)ranks[i]);
    mpr__wbuf_u32(&w, init_ref != NULL);
    if (init_ref)
        mpr__wbuf_fnref(&w, init_ref);
    mpr__wbuf_bytes(&w, p->initarg, p->initarg_len);
    mpr__wbuf_u32(&w, (uint32_t)p->maxtasks);
    MPR_ASSERT(!w.oom);
    int started = 0;
    for (int i = 1; i <= p->k && rc == MPR_OK; i++) {
        char name[MPR__NAME_MAX];
        snprintf(name, sizeof name, "PoolWorker-%u.%d", pool_counter, i);
        rc = mpr_process_new_named(&p->workers[i], name, mpr__pool_worker_main, w.data, w.len);
        if (rc == MPR_OK)
            rc = mpr__process_start_on(p->workers[i], ranks[i]);
        if (rc == MPR_OK)
            started = i;
    }
    for (int i = started + 1; i <= p->k; i++)
        mpr__worker_give(ranks[i]); /* join gives back the started ones */
    mpr__wbuf_free(&w);
    if (rc == MPR_OK)
        rc = mpr__pool_comm_create(ranks, p->k + 1, (int)tag, &p->comm);
    free(ranks);
    return rc;
}

int mpr_pool_new_opts(mpr_pool **out, int nworkers, const mpr_pool_options *opts)
{
    if (!out)
        return mpr__fail(MPR_EINVAL, "mpr_pool_new: out pointer is NULL");
    *out = NULL;
    MPR_CHECK(mpr__require_rank0("mpr_pool_new"));
    mpr_pool_options none = {.progress = -1};
    if (!opts)
        opts = &none;
    if (nworkers < 0)
        return mpr__fail(MPR_EINVAL, "Pool(%d): the number of workers must be >= 0", nworkers);
    if (opts->maxtasksperchild < 0)
        return mpr__fail(MPR_EINVAL, "Pool: maxtasksperchild is %d; it must be > 0, or 0 for none",
                         opts->maxtasksperchild);
    int free_ranks = mpr_free_workers();
    int k = nworkers ? nworkers : free_ranks;
    if (k == 0 || k > free_ranks)
        return mpr__fail(MPR_ENORANK,
                         "Pool(%d) needs %d free worker rank%s, %d %s free (%d ranks in all, rank "
                         "0 is the parent); launch with `mpirun -n %lld`",
                         nworkers, k ? k : 1, k == 1 ? "" : "s", free_ranks,
                         free_ranks == 1 ? "is" : "are", mpr__rt.size,
                         (long long)mpr__rt.size - free_ranks + (k ? k : 1)); /* k may be INT_MAX */
    mpr__fnref init_ref;
    if (opts->initializer)
        MPR_CHECK(mpr__fnref_make((void (*)(void))opts->initializer, &init_ref));
    if (opts->initarg_len && !opts->initarg)
        return mpr__fail(MPR_EINVAL, "Pool: initarg is NULL but initarg_len is %zu",
                         opts->initarg_len);
    mpr_pool *p = calloc(1, sizeof *p);
    MPR_ASSERT(p);
    p->k = k;
    p->comm = MPI_COMM_NULL;
    p->workers = calloc((size_t)k + 1, sizeof *p->workers);
    p->held = calloc((size_t)k + 1, sizeof *p->held);
    p->initarg = malloc(opts->initarg_len + 1);
    MPR_ASSERT(p->workers && p->held && p->initarg);
    if (opts->initarg_len)
        memcpy(p->initarg, opts->initarg, opts->initarg_len);
    p->initarg_len = opts->initarg_len;
    p->maxtasks = opts->maxtasksperchild;
    p->progress = progress_setting(opts->progress);
    p->prefetch = prefetch_setting();
    pool_counter++;
    /* The tag only tells concurrent MPI_Comm_create_group calls apart. */
    int rc = start_workers(p, opts->initializer ? &init_ref : NULL, 1000 + pool_counter % 30000);
    if (rc < 0) {
        for (int i = 1; i <= k; i++)
            mpr_process_free(p->workers[i]); /* none can be running a pool loop yet */
        free(p->workers);
        free(p->held);
        free(p->initarg);
        free(p);
        return rc;
    }
    static bool terminated_at_finalize;
    if (!terminated_at_finalize) {
        mpr__at_finalize(MPR__FINI_POOLS, terminate_all);
        terminated_at_finalize = true;
    }
    p->next_live = live_pools;
    live_pools = p;
    *out = p;
    return MPR_OK;
}

int mpr_pool_new(mpr_pool **p, int nworkers) { return mpr_pool_new_opts(p, nworkers, NULL); }

int mpr_pool_size(const mpr_pool *p) { return p ? p->k : 0; }

/* Stops the workers once everything is finished and gives the ranks back. */
static int stop_workers(mpr_pool *p)
{
    if (p->stopped)
        return MPR_OK;
    MPR_CHECK(wait_until(p, all_finished, NULL, NULL, -1));
    mpr__pool_cmd stop = {.kind = MPR__POOL_STOP};
    MPR_CHECK(mpr__fnref_make((void (*)(void))mpr__pool_worker_main, &stop.fn));
    for (int w = 1; w <= p->k; w++)
        MPR_CHECK(send_cmd(p, w, &stop));
    for (int w = 1; w <= p->k; w++) {
        MPR_CHECK(mpr_process_join(p->workers[w], -1));
        mpr_process_free(p->workers[w]);
        p->workers[w] = NULL;
    }
    MPR_MPI_RELEASE(MPI_Comm_free(&p->comm));
    p->stopped = true;
    reap(p);
    return MPR_OK;
}

int mpr_pool_close(mpr_pool *p)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "mpr_pool_close: pool is NULL");
    p->closed = true;
    return MPR_OK;
}

int mpr_pool_join(mpr_pool *p)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "mpr_pool_join: pool is NULL");
    if (!p->closed)
        return mpr__fail(MPR_ESTATE, "Pool.join: call mpr_pool_close or mpr_pool_terminate first");
    return stop_workers(p);
}

int mpr_pool_terminate(mpr_pool *p)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "mpr_pool_terminate: pool is NULL");
    p->closed = true;
    p->defer_reap = true; /* a callback below may free a handle: no job goes mid-walk */
    for (job *j = p->jobs; j; j = j->next) {
        bool dropped = false;
        if (j->kind == JOB_MAP && j->next_start < j->n) {
            j->done += j->n - j->next_start;
            j->next_start = j->n;
            dropped = true;
            j->finished = j->done == j->n;
        } else if (j->kind == JOB_APPLY && !j->dispatched) {
            j->dispatched = true;
            j->finished = true;
            dropped = true;
        }
        if (dropped)
            fail_job(j, "the pool was terminated before this task ran");
        if (dropped && j->finished)
            run_callbacks(j);
    }
    p->defer_reap = false;
    return stop_workers(p);
}

void mpr_pool_free(mpr_pool *p)
{
    if (!p)
        return;
    for (mpr_pool **pp = &live_pools; *pp; pp = &(*pp)->next_live)
        if (*pp == p) {
            *pp = p->next_live;
            break;
        }
    if (!p->stopped)
        mpr_pool_terminate(p);
    for (job *j = p->jobs; j; j = j->next)
        j->handles = 0; /* results outliving their pool are a caller bug */
    reap(p);
    free(p->workers);
    free(p->held);
    free(p->initarg);
    free(p);
}

/* Python terminates pools left open at exit; their workers stop in the
 * phase before mpr_finalize joins every Process. */
static int terminate_all(void)
{
    for (mpr_pool *p = live_pools; p; p = p->next_live)
        if (!p->stopped)
            mpr_pool_terminate(p);
    return MPR_OK;
}

/* -------------------------------------------------------------------- map */

static int check_map_args(const void *in, size_t n, size_t in_size, const void *out,
                          size_t out_size, bool need_out)
{
    if (n == 0)
        return MPR_OK;
    if (in_size == 0 || out_size == 0)
        return mpr__fail(MPR_EINVAL, "map: in_size and out_size must be > 0 (got %zu, %zu)",
                         in_size, out_size);
    if (!in || (need_out && !out))
        return mpr__fail(MPR_EINVAL, "map: %s buffer is NULL", in ? "out" : "in");
    if (in_size > (size_t)INT32_MAX || out_size > (size_t)INT32_MAX)
        return mpr__fail(MPR_ETOOBIG, "map: items of %zu/%zu bytes are too large", in_size,
                         out_size);
    /* No buffer holds that much; a product that wraps would size the copies wrong. */
    if (n > SIZE_MAX / in_size || n > SIZE_MAX / out_size)
        return mpr__fail(MPR_ETOOBIG, "map: %zu items of %zu/%zu bytes overflow size_t", n, in_size,
                         out_size);
    return MPR_OK;
}

static size_t default_chunksize(const mpr_pool *p, size_t n)
{
    /* Python: chunksize, extra = divmod(len(iterable), len(pool) * 4) */
    size_t per = (size_t)p->k * 4, c = n / per + (n % per != 0);
    return c ? c : 1;
}

static job *new_job(mpr_pool *p, job_kind kind, const mpr__fnref *fn)
{
    job *j = calloc(1, sizeof *j);
    MPR_ASSERT(j);
    j->kind = kind;
    j->id = ++p->next_id;
    j->fn = *fn;
    j->started = MPI_Wtime();
    j->prev = p->last;
    *(p->last ? &p->last->next : &p->jobs) = j;
    p->last = j;
    if (!p->undispatched)
        p->undispatched = j;
    return j;
}

static job *new_map_job(mpr_pool *p, const mpr__fnref *fn, const void *in, size_t n, size_t in_size,
                        void *out, size_t out_size, size_t chunksize, bool copy_in)
{
    job *j = new_job(p, JOB_MAP, fn);
    j->n = n;
    j->in_size = in_size;
    j->out_size = out_size;
    j->chunksize = chunksize ? chunksize : default_chunksize(p, n);
    j->in = in;
    if (copy_in && n) {
        j->in_copy = malloc(n * in_size);
        MPR_ASSERT(j->in_copy);
        memcpy(j->in_copy, in, n * in_size);
        j->in = j->in_copy;
    }
    j->out = out;
    j->finished = n == 0;
    return j;
}

static bool pool_idle(const mpr_pool *p) { return all_finished((mpr_pool *)p, NULL); }

/* Reports the first failure among gathered statuses (lowest comm rank). */
static int gathered_outcome(mpr_pool *p, const mpr__pool_status *status, const char *what)
{
    for (int w = 1; w <= p->k; w++) {
        mpr__output_wait(mpr_process_rank(p->workers[w]), status[w].output_bytes);
        mpr__service_wait_posts(mpr_process_rank(p->workers[w]), status[w].posted);
    }
    for (int w = 0; w <= p->k; w++)
        if (status[w].failed)
            return mpr__fail(MPR_ETASK, "%s failed at item %llu: %.*s", what,
                             (unsigned long long)status[w].index, (int)sizeof status[w].message,
                             status[w].message);
    return MPR_OK;
}

static int map_static(mpr_pool *p, const mpr__fnref *fn, const void *in, size_t n, size_t in_size,
                      void *out, size_t out_size)
{
    mpr__pool_cmd c = {
        .kind = MPR__POOL_STATIC, .fn = *fn, .count = n, .in_size = in_size, .out_size = out_size};
    for (int w = 1; w <= p->k; w++)
        MPR_CHECK(send_cmd(p, w, &c));
    int *counts = calloc((size_t)p->k + 1, sizeof *counts);
    int *displs = calloc((size_t)p->k + 1, sizeof *displs);
    mpr__pool_status *status = calloc((size_t)p->k + 1, sizeof *status);
    MPR_ASSERT(counts && displs && status);
    int rc = MPR_OK;
    for (int w = 1; w <= p->k && rc == MPR_OK; w++) {
        uint64_t first, count;
        mpr__pool_block(n, p->k, w, &first, &count);
        if (count > (uint64_t)INT32_MAX || first > (uint64_t)INT32_MAX)
            rc = mpr__fail(MPR_ETOOBIG, "map: %zu items exceed one MPI_Scatterv; use a chunksize",
                           n);
        counts[w] = (int)count;
        displs[w] = (int)first;
    }
    MPR_ASSERT(rc == MPR_OK); /* the caller checked n against INT32_MAX */
    MPI_Datatype in_t = MPI_DATATYPE_NULL, out_t = MPI_DATATYPE_NULL;
    int mrc = MPI_Type_contiguous((int)in_size, MPI_BYTE, &in_t);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Type_contiguous((int)out_size, MPI_BYTE, &out_t);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Type_commit(&in_t);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Type_commit(&out_t);
    /* Each step waits with backoff (nonblocking collectives); an MPI
     * failure stops the sequence and still frees what was allocated. */
    MPI_Request req;
    unsigned char none[1];
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Iscatterv(in, counts, displs, in_t, none, 0, in_t, 0, p->comm, &req);
    ring_workers(p);
    if (mrc == MPI_SUCCESS && mpr__request_wait(&req, -1) == 1)
        mrc = MPI_Igatherv(none, 0, out_t, out, counts, displs, out_t, 0, p->comm, &req);
    else if (mrc == MPI_SUCCESS)
        mrc = MPI_ERR_OTHER;
    if (mrc == MPI_SUCCESS && mpr__request_wait(&req, -1) == 1)
        mrc = MPI_Igather(MPI_IN_PLACE, 0, MPI_BYTE, status, (int)sizeof *status, MPI_BYTE, 0,
                          p->comm, &req);
    else if (mrc == MPI_SUCCESS)
        mrc = MPI_ERR_OTHER;
    if (mrc == MPI_SUCCESS && mpr__request_wait(&req, -1) != 1)
        mrc = MPI_ERR_OTHER;
    if (in_t != MPI_DATATYPE_NULL)
        MPR_MPI_RELEASE(MPI_Type_free(&in_t));
    if (out_t != MPI_DATATYPE_NULL)
        MPR_MPI_RELEASE(MPI_Type_free(&out_t));
    if (mrc != MPI_SUCCESS) {
        free(counts);
        free(displs);
        free(status);
        return mpr__mpi_fail(mrc, "static map collectives", __FILE__, __LINE__);
    }
    /* Blocks are in item order: the first failing block has the lowest index. */
    rc = gathered_outcome(p, status, "map");
    free(counts);
    free(displs);
    free(status);
    return rc;
}

int mpr_pool_spmd(mpr_pool *p, mpr_spmd_fn fn, const void *arg, size_t len)
{
    MPR_CHECK(check_pool(p, "spmd"));
    if (!arg && len)
        return mpr__fail(MPR_EINVAL, "spmd: arg is NULL but len is %zu", len);
    mpr__pool_cmd c = {.kind = MPR__POOL_SPMD, .count = 1, .data = arg, .data_len = len};
    MPR_CHECK(mpr__fnref_make((void (*)(void))fn, &c.fn));
    MPR_CHECK(wait_until(p, all_finished, NULL, NULL, -1));
    for (int w = 1; w <= p->k; w++)
        MPR_CHECK(send_cmd(p, w, &c));
    mpr__pool_status *status = calloc((size_t)p->k + 1, sizeof *status);
    MPR_ASSERT(status);
    mpr__raise_reset();
    if (fn(p->comm, len ? arg : NULL, len) != 0) {
        status[0].failed = 1;
        snprintf(status[0].message, sizeof status[0].message, "rank 0 (%s) %s: %.300s",
                 mpr__rt.host, mpr__rt.name,
                 mpr__raise_message()[0] ? mpr__raise_message() : "returned non-zero");
    }
    MPI_Request req;
    int rc = MPI_Igather(MPI_IN_PLACE, 0, MPI_BYTE, status, (int)sizeof *status, MPI_BYTE, 0,
                         p->comm, &req);
    if (rc != MPI_SUCCESS)
        rc = mpr__mpi_fail(rc, "MPI_Igather(spmd)", __FILE__, __LINE__);
    else
        rc = mpr__request_wait(&req, -1) < 0 ? MPR_EMPI : MPR_OK;
    if (rc == MPR_OK)
        rc = gathered_outcome(p, status, "spmd");
    free(status);
    return rc;
}

static int job_outcome(const job *j)
{
    if (!j->failed)
        return MPR_OK;
    return mpr__fail(MPR_ETASK, "%s", j->error);
}

int mpr_pool_map(mpr_pool *p, mpr_map_fn fn, const void *in, size_t n, size_t in_size, void *out,
                 size_t out_size, size_t chunksize)
{
    MPR_CHECK(check_pool(p, "map"));
    MPR_CHECK(check_map_args(in, n, in_size, out, out_size, true));
    mpr__fnref ref;
    MPR_CHECK(mpr__fnref_make((void (*)(void))fn, &ref));
    if (n == 0)
        return MPR_OK;
    if (chunksize == 0 && n <= (size_t)INT32_MAX && pool_idle(p))
        return map_static(p, &ref, in, n, in_size, out, out_size);
    job *j = new_map_job(p, &ref, in, n, in_size, out, out_size, chunksize, false);
    j->handles = 1;
    int rc = wait_until(p, job_finished, j, j, -1);
    j->handles = 0;
    if (rc >= 0)
        rc = job_outcome(j);
    reap_job(p, j);
    return rc < 0 ? rc : MPR_OK;
}

int mpr_pool_starmap(mpr_pool *p, mpr_map_fn fn, const void *args, size_t n, size_t args_size,
                     void *out, size_t out_size, size_t chunksize)
{
    return mpr_pool_map(p, fn, args, n, args_size, out, out_size, chunksize);
}

/* A job was queued: make a first turn of progress. If that fails, the call
 * fails and hands out no result handle (the job itself stays queued and is
 * reaped when it finishes). */
static int submitted(mpr_pool *p, mpr_async **result)
{
    int rc = progress(p);
    if (rc < 0 && result && *result) {
        mpr_async_free(*result);
        *result = NULL;
    }
    return rc < 0 ? rc : MPR_OK;
}

static mpr_async *new_async(mpr_pool *p, job *j)
{
    mpr_async *r = calloc(1, sizeof *r);
    MPR_ASSERT(r);
    r->pool = p;
    r->job = j;
    j->handles++;
    return r;
}

int mpr_pool_map_async(mpr_pool *p, mpr_map_fn fn, const void *in, size_t n, size_t in_size,
                       void *out, size_t out_size, size_t chunksize, mpr_callback callback,
                       mpr_error_callback error_callback, void *user, mpr_async **result)
{
    if (result)
        *result = NULL;
    MPR_CHECK(check_pool(p, "map_async"));
    MPR_CHECK(check_map_args(in, n, in_size, out, out_size, true));
    mpr__fnref ref;
    MPR_CHECK(mpr__fnref_make((void (*)(void))fn, &ref));
    job *j = new_map_job(p, &ref, in, n, in_size, out, out_size, chunksize, true);
    j->callback = callback;
    j->error_callback = error_callback;
    j->user = user;
    if (result)
        *result = new_async(p, j);
    if (j->finished) /* n == 0 */
        finish(p, j);
    return submitted(p, result);
}

int mpr_pool_imap(mpr_pool *p, mpr_map_fn fn, const void *in, size_t n, size_t in_size,
                  size_t out_size, size_t chunksize, int ordered, mpr_imap **it)
{
    if (!it)
        return mpr__fail(MPR_EINVAL, "imap: iterator pointer is NULL");
    *it = NULL;
    MPR_CHECK(check_pool(p, "imap"));
    MPR_CHECK(check_map_args(in, n, in_size, NULL, out_size, false));
    mpr__fnref ref;
    MPR_CHECK(mpr__fnref_make((void (*)(void))fn, &ref));
    /* Python's imap defaults to chunksize 1: results flow as they come. */
    job *j = new_map_job(p, &ref, in, n, in_size, NULL, out_size, chunksize ? chunksize : 1, true);
    j->out = calloc(n * out_size + 1, 1);
    j->out_owned = true;
    j->item_state = calloc(n + 1, 1);
    if (!ordered)
        j->completed = calloc(n + 1, sizeof *j->completed);
    MPR_ASSERT(j->out && j->item_state && (ordered || j->completed));
    mpr_imap *m = calloc(1, sizeof *m);
    MPR_ASSERT(m);
    m->pool = p;
    m->job = j;
    j->handles++;
    *it = m;
    MPR_CHECK(progress(p));
    return MPR_OK;
}

static bool imap_has_next(mpr_pool *p, void *arg)
{
    (void)p;
    mpr_imap *m = arg;
    if (m->job->completed)
        return m->next < m->job->ncompleted;
    return m->job->item_state[m->next] != ITEM_PENDING;
}

int mpr_imap_next(mpr_imap *m, void *out, size_t *index, double timeout)
{
    if (!m)
        return mpr__fail(MPR_EINVAL, "imap_next: iterator is NULL");
    job *j = m->job;
    if (m->next >= j->n)
        return mpr__fail(MPR_EOF, "imap: all %zu results were returned", j->n);
    if (!out && j->out_size)
        return mpr__fail(MPR_EINVAL, "imap_next: out is NULL");
    int rc = wait_until(m->pool, imap_has_next, m, NULL, timeout);
    MPR_CHECK(rc);
    if (rc == 0)
        return mpr__fail(MPR_ETIMEDOUT, "imap: no result within %.3g s", timeout);
    size_t i = j->completed ? j->completed[m->next] : m->next;
    m->next++;
    if (index)
        *index = i;
    if (j->out_size)
        memcpy(out, j->out + i * j->out_size, j->out_size);
    if (j->item_state[i] == ITEM_FAILED)
        return mpr__fail(MPR_ETASK, "imap: item %zu failed (the job's first failure: %s)", i,
                         j->error);
    return MPR_OK;
}

void mpr_imap_free(mpr_imap *m)
{
    if (!m)
        return;
    m->job->handles--;
    reap_job(m->pool, m->job);
    free(m);
}

/* ------------------------------------------------------------------ apply */

int mpr_pool_apply_async(mpr_pool *p, mpr_target fn, const void *arg, size_t len,
                         mpr_callback callback, mpr_error_callback error_callback, void *user,
                         mpr_async **result)
{
    if (result)
        *result = NULL;
    MPR_CHECK(check_pool(p, "apply_async"));
    if (!arg && len)
        return mpr__fail(MPR_EINVAL, "apply_async: arg is NULL but len is %zu", len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "apply_async: %zu argument bytes exceed %zu", len,
                         MPR_ITEM_MAX);
    mpr__fnref ref;
    MPR_CHECK(mpr__fnref_make((void (*)(void))fn, &ref));
    job *j = new_job(p, JOB_APPLY, &ref);
    j->arg = malloc(len + 1);
    MPR_ASSERT(j->arg);
    if (len)
        memcpy(j->arg, arg, len);
    j->arg_len = len;
    j->callback = callback;
    j->error_callback = error_callback;
    j->user = user;
    if (result)
        *result = new_async(p, j);
    return submitted(p, result);
}

int mpr_pool_apply(mpr_pool *p, mpr_target fn, const void *arg, size_t len, void *res, size_t cap,
                   size_t *res_len)
{
    mpr_async *r = NULL;
    MPR_CHECK(mpr_pool_apply_async(p, fn, arg, len, NULL, NULL, NULL, &r));
    size_t got = 0;
    int rc = mpr_async_get(r, res, cap, res_len ? res_len : &got, -1);
    mpr_async_free(r);
    return rc;
}

/* ------------------------------------------------------------ AsyncResult */

int mpr_async_wait(mpr_async *r, double timeout)
{
    if (!r)
        return mpr__fail(MPR_EINVAL, "AsyncResult is NULL");
    int rc = wait_until(r->pool, job_finished, r->job, r->job, timeout);
    MPR_CHECK(rc);
    if (rc == 0)
        return mpr__fail(MPR_ETIMEDOUT, "the result is not ready after %.3g s", timeout);
    return MPR_OK;
}

int mpr_async_get(mpr_async *r, void *res, size_t cap, size_t *len, double timeout)
{
    if (!r)
        return mpr__fail(MPR_EINVAL, "AsyncResult is NULL");
    MPR_CHECK(mpr_async_wait(r, timeout));
    job *j = r->job;
    MPR_CHECK(job_outcome(j));
    if (j->kind == JOB_MAP)
        return MPR_OK;
    if (!len)
        return mpr__fail(MPR_EINVAL, "AsyncResult.get: len pointer is NULL");
    *len = j->result_len;
    if (j->result_len > cap)
        return mpr__fail(MPR_ETRUNC, "the task's result is %zu bytes, the buffer holds %zu",
                         j->result_len, cap);
    if (j->result_len)
        memcpy(res, j->result, j->result_len);
    return MPR_OK;
}

int mpr_async_ready(mpr_async *r)
{
    if (!r)
        return mpr__fail(MPR_EINVAL, "AsyncResult is NULL");
    MPR_CHECK(progress(r->pool));
    return r->job->finished;
}

int mpr_async_successful(mpr_async *r)
{
    int ready = mpr_async_ready(r);
    MPR_CHECK(ready);
    if (!ready)
        return mpr__fail(MPR_ESTATE, "AsyncResult.successful: the result is not ready");
    return !r->job->failed;
}

void mpr_async_free(mpr_async *r)
{
    if (!r)
        return;
    r->job->handles--;
    reap_job(r->pool, r->job);
    free(r);
}
