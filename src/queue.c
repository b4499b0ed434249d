/*
 * queue.c — multiprocessing.Queue and JoinableQueue.
 *
 * DESIGN
 *   A queue lives at a home node: by default the node of the rank that
 *   creates it, or the node of the rank mpr_queue_new_opts names. Its items
 *   are in that node's shared arena (ring.c): ranks of the home node put
 *   and get there with no message; ranks of other nodes send each try to
 *   the home node's server (channel.c). Rank 0 takes part only if it is on
 *   the home node. The handle {home, kind, id} is a plain value any rank
 *   may use; home is the world rank of the home node's leader.
 *
 *   Semantics are Python's: items of one producer come out in the order it
 *   put them; maxsize bounds the items, a put on a full queue waits up to
 *   its timeout (MPR_EFULL), a get on an empty one too (MPR_EEMPTY); a get
 *   whose buffer is too small is MPR_ETRUNC with the size, and the item
 *   stays at the head; close refuses later puts from every rank at once
 *   (the flag is in the arena, or at the home's server) and wakes every
 *   waiter; a put on an unbounded queue never waits.
 *
 *   A Manager's queues, and queues made when the home node has no free
 *   channel slot, are served by rank 0's service thread (service.c) with
 *   the handlers below.
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(mpr_queue) == 16, "mpr_queue travels in task argument bytes");

typedef struct item {
    struct item *next;
    size_t len;
    unsigned char data[];
} item;

typedef struct {
    item *head, **tail;
    size_t count, maxsize;
    size_t unfinished; /* JoinableQueue: put but not yet task_done */
    bool closed, joinable;
} queue;

/* --------------------------------------------------------------- server */

static int queue_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    queue *q = calloc(1, sizeof *q);
    if (!q)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a queue");
    q->tail = &q->head;
    q->maxsize = (size_t)req->arg;
    q->joinable = (req->kind & ~MPR__KIND_UNBOUNDED) == MPR__KIND_JQUEUE;
    *kind =
        (q->joinable ? MPR__KIND_JQUEUE : MPR__KIND_QUEUE) | (q->maxsize ? 0 : MPR__KIND_UNBOUNDED);
    *impl = q;
    return MPR_OK;
}

static int queue_put(queue *q, const mpr__request *req, mpr__answer *ans)
{
    if (q->closed)
        return mpr__answer_fail(ans, MPR_ECLOSED, "put on closed queue %llu",
                                (unsigned long long)req->id);
    if (q->maxsize && q->count >= q->maxsize)
        return MPR__WOULD_BLOCK;
    item *it = malloc(sizeof *it + req->payload_len);
    if (!it)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a %zu-byte item",
                                req->payload_len);
    it->next = NULL;
    it->len = req->payload_len;
    memcpy(it->data, req->payload, it->len);
    *q->tail = it;
    q->tail = &it->next;
    q->count++;
    q->unfinished += q->joinable;
    return MPR_OK;
}

static int queue_get(queue *q, const mpr__request *req, mpr__answer *ans)
{
    item *it = q->head;
    if (!it) {
        if (q->closed)
            return mpr__answer_fail(ans, MPR_ECLOSED, "queue %llu is closed and empty",
                                    (unsigned long long)req->id);
        return MPR__WOULD_BLOCK;
    }
    if (it->len > req->arg) {
        ans->value = it->len;
        return mpr__answer_fail(ans, MPR_ETRUNC,
                                "the next item of queue %llu is %zu bytes, the buffer holds %llu; "
                                "the item stays queued",
                                (unsigned long long)req->id, it->len, (unsigned long long)req->arg);
    }
    q->head = it->next;
    if (!q->head)
        q->tail = &q->head;
    q->count--;
    ans->payload = it->data;
    ans->payload_len = it->len;
    ans->drop = it;
    return MPR_OK;
}

static int queue_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    queue *q = impl;
    switch (req->op) {
    case MPR__OP_QUEUE_PUT:
        return queue_put(q, req, ans);
    case MPR__OP_QUEUE_GET:
        return queue_get(q, req, ans);
    case MPR__OP_QUEUE_QSIZE:
        ans->value = q->count;
        ans->code = q->maxsize && q->count >= q->maxsize; /* full, for mpr_queue_full */
        return MPR_OK;
    case MPR__OP_QUEUE_CLOSE:
        q->closed = true;
        return MPR_OK;
    case MPR__OP_QUEUE_TASK_DONE:
        if (q->unfinished == 0)
            return mpr__answer_fail(ans, MPR_EINVAL,
                                    "task_done() called more times than items were put in queue "
                                    "%llu",
                                    (unsigned long long)req->id);
        q->unfinished--;
        return MPR_OK;
    case MPR__OP_QUEUE_JOIN:
        return q->unfinished ? MPR__WOULD_BLOCK : MPR_OK;
    case MPR__OP_QUEUE_FREE:
        ans->destroy_object = true;
        return MPR_OK;
    }
    return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a queue operation", req->op);
}

static void queue_timed_out(void *impl, const mpr__request *req, mpr__answer *ans)
{
    queue *q = impl;
    if (req->op == MPR__OP_QUEUE_PUT)
        mpr__answer_fail(ans, MPR_EFULL, "queue %llu stayed full (%zu items) for %.3g s",
                         (unsigned long long)req->id, q->count, req->timeout);
    else if (req->op == MPR__OP_QUEUE_GET)
        mpr__answer_fail(ans, MPR_EEMPTY, "queue %llu stayed empty for %.3g s",
                         (unsigned long long)req->id, req->timeout);
    else
        mpr__answer_fail(ans, MPR_ETIMEDOUT,
                         "queue %llu still had %zu unfinished items after %.3g s",
                         (unsigned long long)req->id, q->unfinished, req->timeout);
}

static void queue_destroy(void *impl)
{
    queue *q = impl;
    while (q->head) {
        item *it = q->head;
        q->head = it->next;
        free(it);
    }
    free(q);
}

const mpr__object_ops mpr__queue_ops = {MPR__OP_QUEUE_NEW, queue_create, queue_handle,
                                        queue_timed_out, queue_destroy};

/* --------------------------------------------------------------- client */

static bool in_ring(const mpr_queue *q) { return q->kind & MPR__KIND_RING; }

static uint32_t base_kind(const mpr_queue *q)
{
    return q->kind & ~(MPR__KIND_UNBOUNDED | MPR__KIND_RING);
}

static int check_handle(const mpr_queue *q)
{
    MPR_CHECK(mpr__require_init());
    uint32_t base = base_kind(q);
    if (base != MPR__KIND_QUEUE && base != MPR__KIND_JQUEUE)
        return mpr__fail(MPR_EINVAL, "not a queue handle (kind 0x%x): uninitialized or damaged",
                         q->kind);
    if (in_ring(q))
        return mpr__chan_check_home(q->home, "queue");
    if (q->home < 0 || q->home >= mpr__rt.size)
        return mpr__fail(MPR_EINVAL, "queue handle names rank %d, the job has %d ranks", q->home,
                         mpr__rt.size);
    return MPR_OK;
}

static mpr__request request(mpr_queue q, uint32_t op)
{
    return (mpr__request){.op = op, .kind = q.kind, .id = q.id, .timeout = 0};
}

/* A queue served by rank 0's service: a Manager's (owner: its id), or any
 * queue when the home node's channel slots are all in use. */
static int new_served(mpr_queue *q, size_t maxsize, uint32_t kind, uint64_t owner)
{
    mpr__request req = {.op = MPR__OP_QUEUE_NEW, .kind = kind, .id = owner, .arg = maxsize};
    uint64_t id = 0;
    MPR_CHECK(mpr__call_simple(0, &req, &id));
    *q = (mpr_queue){.home = 0, .kind = kind | (maxsize ? 0 : MPR__KIND_UNBOUNDED), .id = id};
    return MPR_OK;
}

int mpr__queue_new_owned(mpr_queue *q, size_t maxsize, bool joinable, uint64_t owner)
{
    if (!q)
        return mpr__fail(MPR_EINVAL, "mpr_queue_new: out pointer is NULL");
    memset(q, 0, sizeof *q);
    MPR_CHECK(mpr__require_init());
    return new_served(q, maxsize, joinable ? MPR__KIND_JQUEUE : MPR__KIND_QUEUE, owner);
}

int mpr_queue_new_opts(mpr_queue *q, const mpr_queue_opts *opts)
{
    if (!q || !opts)
        return mpr__fail(MPR_EINVAL, "mpr_queue_new_opts: %s pointer is NULL", q ? "opts" : "out");
    memset(q, 0, sizeof *q);
    MPR_CHECK(mpr__require_init());
    int at = opts->home == MPR_HOME_HERE ? mpr__rt.rank : opts->home;
    int32_t home = mpr__node_leader_of(at);
    if (home < 0)
        return mpr__fail(MPR_EINVAL, "mpr_queue_new_opts: home rank %d is not in the job (0..%d)",
                         opts->home, mpr__rt.size - 1);
    uint32_t kind = opts->joinable ? MPR__KIND_JQUEUE : MPR__KIND_QUEUE;
    uint64_t id = 0;
    int rc = mpr__chan_new(home, 1, opts->maxsize, opts->joinable, &id);
    if (rc == MPR_ENOMEM) {
        MPR_INFO("%s; this queue is served by rank 0 instead", mpr_last_error());
        return new_served(q, opts->maxsize, kind, 0);
    }
    MPR_CHECK(rc);
    kind |= MPR__KIND_RING | (opts->maxsize ? 0 : MPR__KIND_UNBOUNDED);
    *q = (mpr_queue){.home = home, .kind = kind, .id = id};
    return MPR_OK;
}

int mpr_queue_new(mpr_queue *q, size_t maxsize)
{
    mpr_queue_opts o = {.maxsize = maxsize, .home = MPR_HOME_HERE};
    return mpr_queue_new_opts(q, &o);
}

int mpr_joinable_queue_new(mpr_queue *q, size_t maxsize)
{
    mpr_queue_opts o = {.maxsize = maxsize, .joinable = 1, .home = MPR_HOME_HERE};
    return mpr_queue_new_opts(q, &o);
}

int mpr_queue_put(mpr_queue q, const void *buf, size_t len, double timeout)
{
    MPR_CHECK(check_handle(&q));
    if (!buf && len)
        return mpr__fail(MPR_EINVAL, "mpr_queue_put: buf is NULL but len is %zu", len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "a %zu-byte item exceeds the %zu-byte limit of one item", len,
                         MPR_ITEM_MAX);
    if (in_ring(&q) && (q.kind & MPR__KIND_UNBOUNDED) && !mpr__ring_is_local(q.home)) {
        /* From another node, a put that cannot block is posted (posted.c):
         * one message, no answer unless it fails, as below. */
        mpr__request req = {
            .op = MPR__OP_CHAN_PUT, .id = q.id, .timeout = -1, .payload = buf, .payload_len = len};
        return mpr__post_channel(q.home, &req);
    }
    if (in_ring(&q)) {
        int rc = mpr__chan_put(q.home, q.id, 0, buf, len, timeout);
        if (rc == MPR_ETIMEDOUT)
            return mpr__fail(MPR_EFULL, "queue %llu stayed full for %.3g s",
                             (unsigned long long)q.id, timeout);
        return rc;
    }
    mpr__request req = request(q, MPR__OP_QUEUE_PUT);
    mpr__request_timed(&req, timeout);
    req.payload = buf;
    req.payload_len = len;
    /* An unbounded queue never blocks a put: a worker posts it (posted.c),
     * as Python's Queue.put returns before the item is in the pipe. Not a
     * Manager's queue: Python's proxy put is a synchronous call. */
    if ((q.kind & MPR__KIND_UNBOUNDED) && q.home != mpr__rt.rank && MPR__ID_OWNER(q.id) == 0)
        return mpr__post(q.home, &req);
    return mpr__call_simple(q.home, &req, NULL);
}

int mpr_queue_put_nowait(mpr_queue q, const void *buf, size_t len)
{
    return mpr_queue_put(q, buf, len, 0);
}

int mpr_queue_get(mpr_queue q, void *buf, size_t cap, size_t *len, double timeout)
{
    MPR_CHECK(check_handle(&q));
    if (!len)
        return mpr__fail(MPR_EINVAL, "mpr_queue_get: len pointer is NULL");
    if (!buf && cap)
        return mpr__fail(MPR_EINVAL, "mpr_queue_get: buf is NULL but cap is %zu", cap);
    if (in_ring(&q)) {
        int rc = mpr__chan_get(q.home, q.id, 0, buf, cap, len, timeout);
        if (rc == MPR_ETIMEDOUT)
            return mpr__fail(MPR_EEMPTY, "queue %llu stayed empty for %.3g s",
                             (unsigned long long)q.id, timeout);
        if (rc == MPR_EOF)
            return mpr__fail(MPR_ECLOSED, "queue %llu is closed and empty",
                             (unsigned long long)q.id);
        return rc;
    }
    mpr__request req = request(q, MPR__OP_QUEUE_GET);
    mpr__request_timed(&req, timeout);
    req.arg = cap;
    return mpr__call_into(q.home, &req, buf, cap, len);
}

int mpr_queue_get_nowait(mpr_queue q, void *buf, size_t cap, size_t *len)
{
    return mpr_queue_get(q, buf, cap, len, 0);
}

int mpr_queue_put_str(mpr_queue q, const char *s, double timeout)
{
    if (!s)
        return mpr__fail(MPR_EINVAL, "mpr_queue_put_str: string is NULL");
    return mpr_queue_put(q, s, strlen(s) + 1, timeout);
}

int mpr_queue_get_str(mpr_queue q, char *buf, size_t cap, double timeout)
{
    size_t len = 0;
    MPR_CHECK(mpr_queue_get(q, buf, cap, &len, timeout));
    if (len == 0 || buf[len - 1] != '\0') {
        /* Not put by put_str: terminate it if there is room, else say so. */
        if (len == cap)
            return mpr__fail(MPR_ETRUNC,
                             "item of %zu bytes has no terminating NUL and fills the buffer", len);
        buf[len] = '\0';
    }
    return MPR_OK;
}

int mpr_queue_put_i64(mpr_queue q, int64_t v, double timeout)
{
    return mpr_queue_put(q, &v, sizeof v, timeout);
}

int mpr_queue_get_i64(mpr_queue q, int64_t *v, double timeout)
{
    int64_t tmp;
    size_t len = 0;
    if (!v)
        return mpr__fail(MPR_EINVAL, "mpr_queue_get_i64: out pointer is NULL");
    MPR_CHECK(mpr_queue_get(q, &tmp, sizeof tmp, &len, timeout));
    if (len != sizeof tmp)
        return mpr__fail(MPR_EINVAL,
                         "the item taken is %zu bytes, not an int64 (8 bytes); it was "
                         "consumed",
                         len);
    *v = tmp;
    return MPR_OK;
}

static int query(mpr_queue q, uint64_t *count, int *full)
{
    MPR_CHECK(check_handle(&q));
    if (in_ring(&q)) {
        mpr__ring_info info;
        MPR_CHECK(mpr__chan_state(q.home, q.id, 0, &info));
        *count = info.items;
        *full = info.full;
        return MPR_OK;
    }
    mpr__request req = request(q, MPR__OP_QUEUE_QSIZE);
    mpr__reply rep;
    int rc = mpr__call(q.home, &req, &rep);
    *count = rep.value;
    *full = rc;
    mpr__reply_free(&rep);
    return rc < 0 ? rc : MPR_OK;
}

int mpr_queue_qsize(mpr_queue q)
{
    uint64_t n = 0;
    int full = 0;
    MPR_CHECK(query(q, &n, &full));
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int mpr_queue_empty(mpr_queue q)
{
    uint64_t n = 0;
    int full = 0;
    MPR_CHECK(query(q, &n, &full));
    return n == 0;
}

int mpr_queue_full(mpr_queue q)
{
    uint64_t n = 0;
    int full = 0;
    MPR_CHECK(query(q, &n, &full));
    return full;
}

/* An operation that never waits: no time limit (rpc.c), as a close or a
 * task_done must not be refused for reaching a busy home late. */
static int simple_op(mpr_queue q, uint32_t op)
{
    MPR_CHECK(check_handle(&q));
    mpr__request req = request(q, op);
    return mpr__call_simple(q.home, &req, NULL);
}

int mpr_queue_close(mpr_queue q)
{
    MPR_CHECK(check_handle(&q));
    if (in_ring(&q))
        return mpr__chan_close(q.home, q.id, 0, MPR__RING_WCLOSED);
    return simple_op(q, MPR__OP_QUEUE_CLOSE);
}

int mpr_queue_task_done(mpr_queue q)
{
    MPR_CHECK(check_handle(&q));
    if (base_kind(&q) != MPR__KIND_JQUEUE)
        return mpr__fail(MPR_EINVAL, "task_done needs a JoinableQueue (mpr_joinable_queue_new)");
    if (in_ring(&q))
        return mpr__chan_task_done(q.home, q.id);
    return simple_op(q, MPR__OP_QUEUE_TASK_DONE);
}

int mpr_queue_join(mpr_queue q, double timeout)
{
    MPR_CHECK(check_handle(&q));
    if (base_kind(&q) != MPR__KIND_JQUEUE)
        return mpr__fail(MPR_EINVAL, "join needs a JoinableQueue (mpr_joinable_queue_new)");
    if (in_ring(&q))
        return mpr__chan_join(q.home, q.id, timeout);
    mpr__request req = request(q, MPR__OP_QUEUE_JOIN);
    mpr__request_timed(&req, timeout);
    return mpr__call_simple(q.home, &req, NULL);
}

int mpr_queue_free(mpr_queue q)
{
    MPR_CHECK(check_handle(&q));
    if (in_ring(&q))
        return mpr__chan_free(q.home, q.id);
    return simple_op(q, MPR__OP_QUEUE_FREE);
}
