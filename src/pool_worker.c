/*
 * pool_worker.c — what a pool's worker rank does.
 *
 * DESIGN
 *   A pool worker is an ordinary Process whose target is
 *   mpr__pool_worker_main (a function of libmpr, so its reference resolves
 *   like any other). It joins the pool's communicator, runs the initializer,
 *   and then serves commands from rank 0 (pool-protocol.h) until STOP, when
 *   the target returns and the rank goes back to the free set.
 *
 *   Waiting for the next command, and inside the static map's collectives,
 *   is done with backoff (wait.c): a worker that finished its block early
 *   must not spin in MPI_Gatherv while the others still compute on an
 *   oversubscribed node. So the collectives are the nonblocking ones.
 *
 *   A failing item (non-zero return or mpr_raise) does not stop the chunk:
 *   the other items are still computed, and the first failure's index and
 *   message go back with the results. maxtasksperchild re-runs the
 *   initializer after that many tasks, since a rank cannot be replaced the
 *   way Python replaces a worker process.
 */
#include "pool-protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    MPI_Comm comm;
    mpr_target initializer;
    const void *initarg;
    size_t initarg_len;
    int maxtasks, tasks_done;
    char init_error[MPR__MSG_MAX]; /* the initializer failed: every task fails so */
} worker_state;

/* The bytes a running apply task returns (mpr_task_return). */
static struct {
    bool active;
    void *data;
    size_t len;
} task_result;

int mpr_task_return(const void *buf, size_t len)
{
    if (!task_result.active)
        return mpr__fail(MPR_ESTATE, "mpr_task_return is for a task run by mpr_pool_apply");
    if (!buf && len)
        return mpr__fail(MPR_EINVAL, "mpr_task_return: buf is NULL but len is %zu", len);
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return mpr__fail(MPR_ENOMEM, "no memory for a %zu-byte task result", len);
    if (len)
        memcpy(copy, buf, len);
    free(task_result.data);
    task_result.data = copy;
    task_result.len = len;
    return MPR_OK;
}

static void describe_failure(char *out, size_t cap, uint64_t index, int rc)
{
    const char *why = mpr__raise_message();
    char fallback[64];
    if (!why[0]) {
        snprintf(fallback, sizeof fallback, "returned %d", rc);
        why = fallback;
    }
    snprintf(out, cap, "rank %d (%s) %s: item %llu: %s", mpr__rt.rank, mpr__rt.host, mpr__rt.name,
             (unsigned long long)index, why);
}

static void run_initializer(worker_state *ws)
{
    if (!ws->initializer)
        return;
    mpr__raise_reset();
    int rc = ws->initializer(ws->initarg_len ? ws->initarg : NULL, ws->initarg_len);
    if (rc != 0) {
        static const char prefix[] = "initializer failed: ";
        memcpy(ws->init_error, prefix, sizeof prefix - 1);
        describe_failure(ws->init_error + sizeof prefix - 1,
                         sizeof ws->init_error - sizeof prefix + 1, 0, rc);
    }
}

/* Applies fn to count items; returns the number of failures and describes
 * the first. failed (may be NULL) gets one byte per item, 1 if it failed. */
static uint64_t map_items(worker_state *ws, mpr_map_fn fn, const unsigned char *in,
                          unsigned char *out, unsigned char *failed, uint64_t start, uint64_t count,
                          size_t in_size, size_t out_size, uint64_t *failed_index, char *message,
                          size_t cap)
{
    uint64_t failures = 0;
    for (uint64_t i = 0; i < count; i++) {
        int rc = -1;
        mpr__raise_reset();
        if (!ws->init_error[0])
            rc = fn(in + i * in_size, out + i * out_size);
        if (failed)
            failed[i] = rc != 0;
        if (rc == 0)
            continue;
        if (failures++ == 0) {
            *failed_index = start + i;
            if (ws->init_error[0])
                snprintf(message, cap, "%s", ws->init_error);
            else
                describe_failure(message, cap, start + i, rc);
        }
    }
    return failures;
}

static void count_task(worker_state *ws)
{
    if (ws->maxtasks > 0 && ++ws->tasks_done >= ws->maxtasks) {
        ws->tasks_done = 0;
        ws->init_error[0] = '\0';
        run_initializer(ws);
    }
}

static void send_result(worker_state *ws, const mpr__pool_result *r)
{
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__pool_result r2 = *r;
    r2.output_bytes = mpr__output_flush();
    mpr__posted_flush_channels(); /* posts to node servers are served before the result goes */
    r2.posted = mpr__posted_count();
    mpr__pool_result_encode(&w, &r2);
    MPR_ASSERT(!w.oom && w.len <= (size_t)INT32_MAX);
    /* The pool's rank 0 is world rank 0. */
    MPR_MPI_MUST(mpr__send(w.data, (int)w.len, 0, MPR__TAG_POOL_RES, ws->comm, 0));
    mpr__wbuf_free(&w);
}

static void serve_chunk(worker_state *ws, const mpr__pool_cmd *c, mpr_map_fn fn)
{
    mpr__pool_result r = {.job = c->job, .start = c->start, .count = c->count};
    /* The results, then one status byte per item (for imap). */
    size_t out_len = (size_t)(c->count * c->out_size);
    unsigned char *out = calloc(out_len + c->count + 1, 1);
    MPR_ASSERT(out);
    if (map_items(ws, fn, c->data, out, out + out_len, c->start, c->count, c->in_size, c->out_size,
                  &r.failed_index, r.message, sizeof r.message))
        r.status = 1;
    r.data = out;
    r.data_len = out_len + c->count;
    send_result(ws, &r);
    free(out);
    count_task(ws);
}

static void serve_apply(worker_state *ws, const mpr__pool_cmd *c, mpr_target fn)
{
    mpr__pool_result r = {.job = c->job, .start = 0, .count = 1};
    task_result.active = true;
    mpr__raise_reset();
    int rc = ws->init_error[0] ? -1 : fn(c->data_len ? c->data : NULL, c->data_len);
    task_result.active = false;
    if (rc != 0) {
        r.status = 1;
        if (ws->init_error[0])
            snprintf(r.message, sizeof r.message, "%s", ws->init_error);
        else
            describe_failure(r.message, sizeof r.message, 0, rc);
    }
    r.data = task_result.data;
    r.data_len = task_result.len;
    send_result(ws, &r);
    free(task_result.data);
    task_result.data = NULL;
    task_result.len = 0;
    count_task(ws);
}

/* The static map: my block by Iscatterv, results by Igatherv. */
static void serve_static(worker_state *ws, const mpr__pool_cmd *c, mpr_map_fn fn)
{
    int k = 0, me = 0;
    MPR_MPI_MUST(MPI_Comm_size(ws->comm, &k));
    MPR_MPI_MUST(MPI_Comm_rank(ws->comm, &me));
    uint64_t first, count;
    mpr__pool_block(c->count, k - 1, me, &first, &count);
    MPI_Datatype in_t, out_t;
    MPR_MPI_MUST(MPI_Type_contiguous((int)c->in_size, MPI_BYTE, &in_t));
    MPR_MPI_MUST(MPI_Type_contiguous((int)c->out_size, MPI_BYTE, &out_t));
    MPR_MPI_MUST(MPI_Type_commit(&in_t));
    MPR_MPI_MUST(MPI_Type_commit(&out_t));
    unsigned char *in = malloc(count * c->in_size + 1), *out = calloc(count * c->out_size + 1, 1);
    MPR_ASSERT(in && out);
    MPI_Request req;
    MPR_MPI_MUST(MPI_Iscatterv(NULL, NULL, NULL, in_t, in, (int)count, in_t, 0, ws->comm, &req));
    MPR_ASSERT(mpr__request_wait(&req, -1) == 1);
    mpr__pool_status st;
    memset(&st, 0, sizeof st);
    st.failed = map_items(ws, fn, in, out, NULL, first, count, c->in_size, c->out_size, &st.index,
                          st.message, sizeof st.message) != 0;
    st.output_bytes = mpr__output_flush();
    mpr__posted_flush_channels(); /* posts to node servers are served before the result goes */
    st.posted = mpr__posted_count();
    MPR_MPI_MUST(MPI_Igatherv(out, (int)count, out_t, NULL, NULL, NULL, out_t, 0, ws->comm, &req));
    mpr__doorbell_ring(0, MPR__BELL_MAIN);
    MPR_ASSERT(mpr__request_wait(&req, -1) == 1);
    MPR_MPI_MUST(MPI_Igather(&st, (int)sizeof st, MPI_BYTE, NULL, 0, MPI_BYTE, 0, ws->comm, &req));
    mpr__doorbell_ring(0, MPR__BELL_MAIN);
    MPR_ASSERT(mpr__request_wait(&req, -1) == 1);
    free(in);
    free(out);
    MPR_MPI_RELEASE(MPI_Type_free(&in_t));
    MPR_MPI_RELEASE(MPI_Type_free(&out_t));
    count_task(ws);
}

/* SPMD: run fn with the pool communicator, then report like the static map. */
static void serve_spmd(worker_state *ws, const mpr__pool_cmd *c, mpr_spmd_fn fn)
{
    mpr__pool_status st;
    memset(&st, 0, sizeof st);
    mpr__raise_reset();
    int rc = ws->init_error[0] ? -1 : fn(ws->comm, c->data_len ? c->data : NULL, c->data_len);
    if (rc != 0) {
        st.failed = 1;
        if (ws->init_error[0])
            snprintf(st.message, sizeof st.message, "%s", ws->init_error);
        else
            describe_failure(st.message, sizeof st.message, 0, rc);
    }
    st.output_bytes = mpr__output_flush();
    mpr__posted_flush_channels(); /* posts to node servers are served before the result goes */
    st.posted = mpr__posted_count();
    MPI_Request req;
    MPR_MPI_MUST(MPI_Igather(&st, (int)sizeof st, MPI_BYTE, NULL, 0, MPI_BYTE, 0, ws->comm, &req));
    mpr__doorbell_ring(0, MPR__BELL_MAIN);
    MPR_ASSERT(mpr__request_wait(&req, -1) == 1);
}

/* Serves one command; returns false on STOP. */
static bool serve_one(worker_state *ws)
{
    MPI_Message msg;
    MPI_Status st;
    MPR_ASSERT(mpr__probe_wait(ws->comm, 0, MPR__TAG_POOL_CMD, -1, &msg, &st) == 1);
    void *raw = NULL;
    size_t len = 0;
    MPR_ASSERT(mpr__mrecv_alloc(&msg, &st, &raw, &len) == MPR_OK);
    mpr__pool_cmd c;
    MPR_ASSERT(mpr__pool_cmd_decode(raw, len, &c));
    /* The items sit at an arbitrary offset inside the message; user code
     * may cast them to its structs, so they get a buffer of their own,
     * aligned as malloc aligns. */
    void *data = NULL;
    if (c.data_len) {
        data = malloc(c.data_len);
        MPR_ASSERT(data);
        memcpy(data, c.data, c.data_len);
        c.data = data;
    }
    bool go_on = c.kind != MPR__POOL_STOP;
    void (*fn)(void) = NULL;
    if (go_on)
        /* rank 0 resolved nothing: it only checked the reference is code. */
        MPR_ASSERT(mpr__fnref_resolve(&c.fn, &fn) == MPR_OK);
    if (c.kind == MPR__POOL_CHUNK)
        serve_chunk(ws, &c, (mpr_map_fn)fn);
    else if (c.kind == MPR__POOL_APPLY)
        serve_apply(ws, &c, (mpr_target)fn);
    else if (c.kind == MPR__POOL_STATIC)
        serve_static(ws, &c, (mpr_map_fn)fn);
    else if (c.kind == MPR__POOL_SPMD)
        serve_spmd(ws, &c, (mpr_spmd_fn)fn);
    free(data);
    free(raw);
    return go_on;
}

int mpr__pool_worker_main(const void *arg, size_t len)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, arg, len);
    uint32_t tag = mpr__rbuf_u32(&r);
    uint32_t k = mpr__rbuf_u32(&r);
    int ranks[4096 + 1];
    MPR_ASSERT(k >= 1 && k <= 4096);
    ranks[0] = 0;
    for (uint32_t i = 0; i < k; i++)
        ranks[i + 1] = (int)mpr__rbuf_u32(&r);
    uint32_t has_init = mpr__rbuf_u32(&r);
    mpr__fnref init_ref;
    worker_state ws = {.comm = MPI_COMM_NULL};
    if (has_init)
        mpr__rbuf_fnref(&r, &init_ref);
    ws.initarg = mpr__rbuf_bytes(&r, &ws.initarg_len);
    ws.maxtasks = (int)mpr__rbuf_u32(&r);
    MPR_ASSERT(!r.bad);
    if (has_init) {
        void (*fn)(void) = NULL;
        MPR_ASSERT(mpr__fnref_resolve(&init_ref, &fn) == MPR_OK);
        ws.initializer = (mpr_target)fn;
    }

    MPR_ASSERT(mpr__pool_comm_create(ranks, (int)k + 1, (int)tag, &ws.comm) == MPR_OK);

    run_initializer(&ws);
    while (serve_one(&ws))
        ;
    MPR_MPI_RELEASE(MPI_Comm_free(&ws.comm));
    return 0;
}

int mpr__pool_comm_create(const int *ranks, int n, int tag, MPI_Comm *comm)
{
    MPI_Group world, group;
    MPR_MPI_CALL(MPI_Comm_group(mpr__rt.comm_task, &world));
    int rc = MPI_Group_incl(world, n, ranks, &group);
    MPR_MPI_RELEASE(MPI_Group_free(&world));
    if (rc != MPI_SUCCESS)
        return mpr__mpi_fail(rc, "MPI_Group_incl", __FILE__, __LINE__);
    rc = MPI_Comm_create_group(mpr__rt.comm_task, group, tag, comm);
    MPR_MPI_RELEASE(MPI_Group_free(&group));
    if (rc != MPI_SUCCESS)
        return mpr__mpi_fail(rc, "MPI_Comm_create_group", __FILE__, __LINE__);
    MPR_MPI_CALL(MPI_Comm_set_errhandler(*comm, MPI_ERRORS_RETURN));
    return MPR_OK;
}

/* ----------------------------------------------------------- wire format */

void mpr__pool_cmd_encode(mpr__wbuf *w, const mpr__pool_cmd *c)
{
    mpr__wbuf_u32(w, MPR__POOL_MAGIC);
    mpr__wbuf_u32(w, c->kind);
    mpr__wbuf_u64(w, c->job);
    mpr__wbuf_fnref(w, &c->fn);
    mpr__wbuf_u64(w, c->start);
    mpr__wbuf_u64(w, c->count);
    mpr__wbuf_u64(w, c->in_size);
    mpr__wbuf_u64(w, c->out_size);
    mpr__wbuf_bytes(w, c->data, c->data_len);
}

bool mpr__pool_cmd_decode(const void *msg, size_t len, mpr__pool_cmd *c)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, msg, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    c->kind = mpr__rbuf_u32(&r);
    c->job = mpr__rbuf_u64(&r);
    mpr__rbuf_fnref(&r, &c->fn);
    c->start = mpr__rbuf_u64(&r);
    c->count = mpr__rbuf_u64(&r);
    c->in_size = mpr__rbuf_u64(&r);
    c->out_size = mpr__rbuf_u64(&r);
    c->data = mpr__rbuf_bytes(&r, &c->data_len);
    if (r.bad || magic != MPR__POOL_MAGIC || c->kind < MPR__POOL_STATIC || c->kind > MPR__POOL_STOP)
        return false;
    if (c->kind == MPR__POOL_CHUNK && c->data_len != c->count * c->in_size)
        return false;
    return true;
}

void mpr__pool_result_encode(mpr__wbuf *w, const mpr__pool_result *r)
{
    mpr__wbuf_u32(w, MPR__POOL_MAGIC);
    mpr__wbuf_u64(w, r->job);
    mpr__wbuf_u64(w, r->start);
    mpr__wbuf_u64(w, r->count);
    mpr__wbuf_u32(w, r->status);
    mpr__wbuf_u64(w, r->failed_index);
    mpr__wbuf_u64(w, r->output_bytes);
    mpr__wbuf_u64(w, r->posted);
    mpr__wbuf_str(w, r->message);
    mpr__wbuf_bytes(w, r->data, r->data_len);
}

bool mpr__pool_result_decode(const void *msg, size_t len, mpr__pool_result *r)
{
    mpr__rbuf rb;
    mpr__rbuf_init(&rb, msg, len);
    uint32_t magic = mpr__rbuf_u32(&rb);
    r->job = mpr__rbuf_u64(&rb);
    r->start = mpr__rbuf_u64(&rb);
    r->count = mpr__rbuf_u64(&rb);
    r->status = mpr__rbuf_u32(&rb);
    r->failed_index = mpr__rbuf_u64(&rb);
    r->output_bytes = mpr__rbuf_u64(&rb);
    r->posted = mpr__rbuf_u64(&rb);
    mpr__rbuf_text(&rb, r->message, sizeof r->message);
    r->data = mpr__rbuf_bytes(&rb, &r->data_len);
    return !rb.bad && magic == MPR__POOL_MAGIC;
}
