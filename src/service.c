/*
 * service.c — the service thread on rank 0 that hosts queues and pipes,
 * and the client side of its request/reply protocol.
 *
 * DESIGN
 *   Rank 0 runs the user's main, so objects that need a home (queues, pipe
 *   buffers) are served by a thread of rank 0 (MPI_THREAD_MULTIPLE), not by
 *   a dedicated rank: every rank stays available as a worker, and
 *   `mpirun -n 2` still gives one worker. The thread waits with backoff
 *   (wait.c) for requests on comm_svc, so it costs no core while idle.
 *
 *   Request (any rank -> rank 0, TAG_REQ):
 *     u32 magic, u32 op, u32 kind, u64 id, u32 end, u32 flags, u64 arg,
 *     f64 timeout, bytes payload
 *   Reply (rank 0 -> requester, TAG_REP):
 *     u32 magic, u32 code, u32 flags, u64 value, str error, bytes payload
 *   flags REQ_POSTED: a put sent without waiting (posted.c), answered only
 *   if it fails, by a reply flagged REP_POSTED whose value is the object.
 *   Besides those, a client has at most one request in flight (mpr calls
 *   come from one thread per rank), so a reply from rank 0 on TAG_REP is
 *   the answer to the request just sent; MPI's non-overtaking order between a
 *   pair of ranks keeps each producer's items in order.
 *
 *   Blocking operations (get on an empty queue, put on a full one, recv,
 *   poll, join) are parked: the handler says MPR__WOULD_BLOCK, the request
 *   (with its message) goes to the tail of the parked list, and after every
 *   change to an object its parked requests are tried again in arrival
 *   order until none progresses. A parked request whose deadline passes is
 *   answered by the kind's timed_out(). Timeouts are therefore decided by
 *   the server, and a client never has to cancel a request that the server
 *   may already have answered.
 *
 *   Errors found by the server travel as code and text in the reply; the
 *   client records them with mpr__fail on its own thread.
 */
#include "mpr-internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REQ_MAGIC = 0x4d505251u /* "MPRQ" */, REP_MAGIC = 0x4d505250u /* "MPRP" */ };

typedef struct service_object {
    uint64_t id;    /* the handle's id: (owner << 32) | index */
    uint32_t owner; /* index of the owning manager, 0: none (manager.c) */
    uint32_t kind;
    const mpr__object_ops *ops;
    void *impl;
} service_object;

typedef struct parked {
    struct parked *next;
    int client;
    double deadline; /* MPI_Wtime, negative: none */
    service_object *obj;
    mpr__request req;
    void *raw; /* the request message; req.payload points into it */
} parked;

static struct {
    pthread_t thread;
    atomic_bool stop;
    service_object **objects; /* index = id; id 0 is never used */
    size_t nobjects, cap;
    parked *parked_head, **parked_tail;
} svc;

int mpr__answer_fail(mpr__answer *ans, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ans->error, sizeof ans->error, fmt, ap);
    va_end(ap);
    ans->code = code;
    return code;
}

/* ------------------------------------------------------------- client side */

int mpr__request_encode(mpr__wbuf *w, const mpr__request *req)
{
    mpr__wbuf_u32(w, REQ_MAGIC);
    mpr__wbuf_u32(w, req->op);
    mpr__wbuf_u32(w, req->kind);
    mpr__wbuf_u64(w, req->id);
    mpr__wbuf_u32(w, req->end);
    mpr__wbuf_u32(w, req->flags);
    mpr__wbuf_u64(w, req->arg);
    mpr__wbuf_f64(w, req->timeout);
    mpr__wbuf_bytes(w, req->payload, req->payload_len);
    if (w->oom)
        return mpr__fail(MPR_ENOMEM, "no memory to encode a %zu-byte request", req->payload_len);
    return MPR_OK;
}

bool mpr__reply_decode(const void *raw, size_t len, mpr__reply *rep)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, raw, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    rep->code = (int32_t)mpr__rbuf_u32(&r);
    rep->flags = mpr__rbuf_u32(&r);
    rep->value = mpr__rbuf_u64(&r);
    mpr__rbuf_str(&r, rep->error, sizeof rep->error);
    rep->payload = mpr__rbuf_bytes(&r, &rep->payload_len);
    return !r.bad && magic == REP_MAGIC && r.pos == r.len;
}

static int decode_reply(mpr__reply *rep)
{
    if (!mpr__reply_decode(rep->raw, rep->payload_len, rep))
        return mpr__fail(MPR_EMPI, "rank %d: malformed reply from the service", mpr__rt.rank);
    return MPR_OK;
}

int mpr__call(int home, const mpr__request *req, mpr__reply *rep)
{
    memset(rep, 0, sizeof *rep);
    MPR_CHECK(mpr__require_init());
    /* A damaged or forged handle must not reach MPI_Send: a home past the job
     * is MPI_ERR_RANK, and MPI_PROC_NULL (-2) would "send" and then receive
     * an empty reply. */
    if (home < 0 || home >= mpr__rt.size)
        return mpr__fail(MPR_EINVAL,
                         "handle names home rank %d, the job has ranks 0..%d: an uninitialized "
                         "or damaged handle",
                         home, mpr__rt.size - 1);
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    int count = 0;
    int rc = mpr__request_encode(&w, req);
    if (rc == MPR_OK)
        rc = mpr__count_to_int(w.len, &count);
    if (rc == MPR_OK && home == mpr__rt.rank) {
        mpr__self_call(&w, &rep->raw, &rep->payload_len); /* rank 0: see self_call.c */
        rc = decode_reply(rep);
    } else if (rc == MPR_OK) {
        int mrc = mpr__send(w.data, count, home, MPR__TAG_REQ, mpr__rt.comm_svc, home);
        if (mrc != MPI_SUCCESS)
            rc = mpr__mpi_fail(mrc, "send(request)", __FILE__, __LINE__);
        /* Error replies to this rank's earlier posts (posted.c) come first. */
        while (rc == MPR_OK) {
            MPI_Message msg;
            MPI_Status st;
            rc = mpr__probe_wait(mpr__rt.comm_svc, home, MPR__TAG_REP, -1, &msg, &st);
            if (rc >= 0)
                rc = mpr__mrecv_alloc(&msg, &st, &rep->raw, &rep->payload_len);
            if (rc == MPR_OK)
                rc = decode_reply(rep);
            if (rc != MPR_OK || !(rep->flags & MPR__REP_POSTED))
                break;
            mpr__posted_refused(rep);
            mpr__reply_free(rep);
        }
        if (rc == MPR_OK)
            mpr__posted_synced(home);
    }
    mpr__wbuf_free(&w);
    MPR_CHECK(rc);
    if (rep->code < 0)
        mpr__fail(rep->code, "%s", rep->error);
    return rep->code;
}

void mpr__reply_free(mpr__reply *rep)
{
    free(rep->raw);
    rep->raw = NULL;
}

int mpr__call_simple(int home, const mpr__request *req, uint64_t *value)
{
    mpr__reply rep;
    int rc = mpr__call(home, req, &rep);
    if (rc >= 0 && value)
        *value = rep.value;
    mpr__reply_free(&rep);
    return rc;
}

int mpr__call_into(int home, const mpr__request *req, void *buf, size_t cap, size_t *len)
{
    mpr__reply rep;
    int rc = mpr__call(home, req, &rep);
    if (rc == MPR_OK) {
        MPR_ASSERT(rep.payload_len <= cap);
        if (rep.payload_len)
            memcpy(buf, rep.payload, rep.payload_len);
        *len = rep.payload_len;
    } else if (rc == MPR_ETRUNC) {
        *len = (size_t)rep.value;
    }
    mpr__reply_free(&rep);
    return rc;
}

/* ------------------------------------------------------------- server side */

static const mpr__object_ops *ops_for(uint32_t op)
{
    if (op >= MPR__OP_QUEUE_NEW && op <= MPR__OP_QUEUE_FREE)
        return &mpr__queue_ops;
    if (op >= MPR__OP_PIPE_NEW && op <= MPR__OP_PIPE_CLOSE)
        return &mpr__pipe_ops;
    if (op >= MPR__OP_MANAGER_START && op <= MPR__OP_MANAGER_SHUTDOWN)
        return &mpr__manager_ops;
    if (op >= MPR__OP_MVALUE_NEW && op <= MPR__OP_MVALUE_ADD)
        return &mpr__mvalue_ops;
    if (op >= MPR__OP_MLOCK_NEW && op <= MPR__OP_MLOCK_RELEASE)
        return &mpr__mlock_ops;
    if (op >= MPR__OP_MLIST_NEW && op <= MPR__OP_MLIST_SNAPSHOT)
        return &mpr__mlist_ops;
    if (op >= MPR__OP_MDICT_NEW && op <= MPR__OP_MDICT_SETDEFAULT)
        return &mpr__mdict_ops;
    return NULL;
}

/* Answers a request. A posted one (posted.c) is answered only if it failed,
 * and the answer names the object, since the client no longer waits. */
static void send_answer(int client, const mpr__request *req, const mpr__answer *ans)
{
    bool posted = req->flags & MPR__REQ_POSTED;
    if (posted)
        mpr__posted_served(client);
    if (posted && ans->code >= 0) {
        free(ans->drop);
        return;
    }
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__wbuf_u32(&w, REP_MAGIC);
    mpr__wbuf_u32(&w, (uint32_t)ans->code);
    mpr__wbuf_u32(&w, posted ? MPR__REP_POSTED : 0);
    mpr__wbuf_u64(&w, posted ? req->id : ans->value);
    mpr__wbuf_str(&w, ans->code < 0 ? ans->error : "");
    mpr__wbuf_bytes(&w, ans->payload, ans->payload_len);
    MPR_ASSERT(!w.oom && w.len <= (size_t)INT32_MAX);
    if (client == mpr__rt.rank) {
        mpr__self_reply(&w); /* rank 0's own call: see self_call.c */
    } else {
        int rc = mpr__send(w.data, (int)w.len, client, MPR__TAG_REP, mpr__rt.comm_svc, client);
        MPR_ASSERT(rc == MPI_SUCCESS);
    }
    mpr__wbuf_free(&w);
    free(ans->drop);
}

/* A live manager at index `owner`, or NULL. */
static service_object *manager_at(uint32_t owner)
{
    service_object *m = owner < svc.nobjects ? svc.objects[owner] : NULL;
    return m && m->kind == MPR__KIND_MANAGER ? m : NULL;
}

static service_object *lookup(const mpr__request *req, mpr__answer *ans)
{
    uint32_t owner = MPR__ID_OWNER(req->id);
    uint64_t index = MPR__ID_INDEX(req->id);
    if (owner >= svc.nobjects) {
        mpr__answer_fail(ans, MPR_ENOTFOUND,
                         "object %llu names manager %u, which never existed at rank 0: a "
                         "damaged handle",
                         (unsigned long long)req->id, owner);
        return NULL;
    }
    if (owner && !manager_at(owner)) {
        mpr__answer_fail(ans, MPR_ECLOSED,
                         "manager %u was shut down, and object %llu with it: use its objects "
                         "only before mpr_manager_shutdown",
                         owner, (unsigned long long)index);
        return NULL;
    }
    service_object *o = index < svc.nobjects ? svc.objects[index] : NULL;
    if (o && o->id != req->id)
        o = NULL; /* an id of another owner: damaged */
    if (!o) {
        mpr__answer_fail(ans, MPR_ENOTFOUND,
                         "object %llu does not exist at rank 0 (freed, or never created)",
                         (unsigned long long)req->id);
        return NULL;
    }
    if (o->kind != req->kind) {
        mpr__answer_fail(ans, MPR_EINVAL,
                         "handle kind 0x%x does not match object %llu (kind 0x%x): a handle of "
                         "another kind, or a damaged one",
                         req->kind, (unsigned long long)req->id, o->kind);
        return NULL;
    }
    return o;
}

static void create_object(const mpr__object_ops *ops, const mpr__request *req, mpr__answer *ans)
{
    /* A create request names the manager that will own the object in id. */
    uint32_t owner = (uint32_t)MPR__ID_INDEX(req->id);
    if (req->id && !manager_at(owner)) {
        mpr__answer_fail(ans, MPR_ECLOSED,
                         "manager %u was shut down (or never started): it cannot create objects",
                         owner);
        return;
    }
    if (svc.nobjects > UINT32_MAX) {
        mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has created 2^32 objects, the limit of ids");
        return;
    }
    if (svc.nobjects == svc.cap) {
        size_t cap = svc.cap ? svc.cap * 2 : 64;
        service_object **o = realloc(svc.objects, cap * sizeof *o);
        if (!o) {
            mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for another object");
            return;
        }
        svc.objects = o;
        svc.cap = cap;
        if (svc.nobjects == 0)
            svc.objects[svc.nobjects++] = NULL; /* id 0 stays invalid */
    }
    service_object *o = calloc(1, sizeof *o);
    if (!o) {
        mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for another object");
        return;
    }
    if (ops->create(req, &o->impl, &o->kind, ans) < 0) {
        free(o);
        return;
    }
    o->id = (uint64_t)owner << 32 | svc.nobjects;
    o->owner = owner;
    o->ops = ops;
    svc.objects[svc.nobjects++] = o;
    ans->value = o->id;
}

static void destroy_object(service_object *o, const char *why)
{
    uint64_t index = MPR__ID_INDEX(o->id);
    /* A manager takes its objects with it; they were created after it. */
    if (o->kind == MPR__KIND_MANAGER)
        for (size_t i = index + 1; i < svc.nobjects; i++)
            if (svc.objects[i] && svc.objects[i]->owner == index)
                destroy_object(svc.objects[i], "its manager was shut down");
    /* Everyone still waiting on the object learns it is gone. */
    for (parked **pp = &svc.parked_head; *pp;) {
        parked *p = *pp;
        if (p->obj != o) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        mpr__answer ans = {0};
        mpr__answer_fail(&ans, MPR_ECLOSED, "object %llu was freed while this call waited: %s",
                         (unsigned long long)index, why);
        send_answer(p->client, &p->req, &ans);
        free(p->raw);
        free(p);
    }
    svc.parked_tail = &svc.parked_head;
    for (parked *p = svc.parked_head; p; p = p->next)
        svc.parked_tail = &p->next;
    svc.objects[index] = NULL;
    o->ops->destroy(o->impl);
    free(o);
}

/* Tries the object's parked requests again, oldest first, until a pass
 * completes none of them. */
static void retry_parked(service_object *o)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (parked **pp = &svc.parked_head; *pp;) {
            parked *p = *pp;
            mpr__answer ans = {0};
            if (p->obj != o || o->ops->handle(o->impl, &p->req, &ans) == MPR__WOULD_BLOCK) {
                pp = &p->next;
                continue;
            }
            *pp = p->next;
            if (svc.parked_tail == &p->next)
                svc.parked_tail = pp;
            send_answer(p->client, &p->req, &ans);
            free(p->raw);
            free(p);
            progress = true;
        }
    }
}

static void expire_parked(double now)
{
    for (parked **pp = &svc.parked_head; *pp;) {
        parked *p = *pp;
        if (p->deadline < 0 || p->deadline > now) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        if (svc.parked_tail == &p->next)
            svc.parked_tail = pp;
        mpr__answer ans = {0};
        p->obj->ops->timed_out(p->obj->impl, &p->req, &ans);
        send_answer(p->client, &p->req, &ans);
        free(p->raw);
        free(p);
    }
}

static double next_deadline(void)
{
    double first = -1;
    for (parked *p = svc.parked_head; p; p = p->next)
        if (p->deadline >= 0 && (first < 0 || p->deadline < first))
            first = p->deadline;
    return first;
}

bool mpr__request_decode(const void *raw, size_t len, mpr__request *req)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, raw, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    req->op = mpr__rbuf_u32(&r);
    req->kind = mpr__rbuf_u32(&r);
    req->id = mpr__rbuf_u64(&r);
    req->end = mpr__rbuf_u32(&r);
    req->flags = mpr__rbuf_u32(&r);
    req->arg = mpr__rbuf_u64(&r);
    req->timeout = mpr__rbuf_f64(&r);
    req->payload = mpr__rbuf_bytes(&r, &req->payload_len);
    return !r.bad && magic == REQ_MAGIC && r.pos == r.len;
}

/* Handles one request; takes ownership of raw. */
static void serve_request(int client, void *raw, size_t len)
{
    mpr__request req;
    memset(&req, 0, sizeof req);
    mpr__answer ans = {0};
    const mpr__object_ops *ops = NULL;
    bool decoded = mpr__request_decode(raw, len, &req);
    req.client = client;
    if (decoded && req.op == MPR__OP_SYNC) /* posted.c: a round trip, nothing to do */
        goto answer;
    if (!decoded || !(ops = ops_for(req.op))) {
        mpr__answer_fail(&ans, MPR_EINVAL,
                         "rank 0 got a malformed request (%zu bytes) from rank %d", len, client);
        goto answer;
    }
    if (req.op == ops->new_op) {
        create_object(ops, &req, &ans);
        goto answer;
    }
    service_object *o = lookup(&req, &ans);
    if (!o)
        goto answer;
    if (o->ops->handle(o->impl, &req, &ans) == MPR__WOULD_BLOCK) {
        if (req.timeout == 0) {
            o->ops->timed_out(o->impl, &req, &ans);
            goto answer;
        }
        parked *p = calloc(1, sizeof *p);
        MPR_ASSERT(p);
        *p = (parked){NULL, client, mpr__deadline(req.timeout), o, req, raw};
        *svc.parked_tail = p;
        svc.parked_tail = &p->next;
        return;
    }
    send_answer(client, &req, &ans);
    free(raw);
    if (ans.destroy_object)
        destroy_object(o, "freed by a request");
    else
        retry_parked(o);
    return;
answer:
    send_answer(client, &req, &ans);
    free(raw);
}

static void *service_main(void *unused)
{
    (void)unused;
    mpr__doorbell_serve();
    mpr__backoff b;
    mpr__backoff_reset(&b);
    while (!atomic_load(&svc.stop)) {
        void *raw = NULL;
        size_t len = 0;
        if (mpr__self_take_request(&raw, &len)) {
            serve_request(mpr__rt.rank, raw, len);
            mpr__backoff_reset(&b);
            continue;
        }
        int found = 0;
        MPI_Message msg;
        MPI_Status st;
        MPR_ASSERT(MPI_Improbe(MPI_ANY_SOURCE, MPR__TAG_REQ, mpr__rt.comm_svc, &found, &msg, &st) ==
                   MPI_SUCCESS);
        if (found) {
            MPR_ASSERT(mpr__mrecv_alloc(&msg, &st, &raw, &len) == MPR_OK);
            serve_request(st.MPI_SOURCE, raw, len);
            mpr__backoff_reset(&b);
            continue;
        }
        MPR_ASSERT(MPI_Improbe(MPI_ANY_SOURCE, MPR__TAG_OUT, mpr__rt.comm_svc, &found, &msg, &st) ==
                   MPI_SUCCESS);
        if (found) {
            MPR_ASSERT(mpr__output_serve(&msg, &st) == MPR_OK);
            mpr__backoff_reset(&b);
            continue;
        }
        double first = next_deadline();
        if (first >= 0 && first <= MPI_Wtime())
            expire_parked(MPI_Wtime());
        mpr__backoff_pause(&b, first >= 0 ? mpr__remaining(first) : -1);
    }
    return NULL;
}

int mpr__service_start(void)
{
    svc.parked_head = NULL;
    svc.parked_tail = &svc.parked_head;
    atomic_store(&svc.stop, false);
    MPR_CHECK(mpr__self_call_init());
    mpr__posted_init();
    if (pthread_create(&svc.thread, NULL, service_main, NULL) != 0)
        return mpr__fail(MPR_ENOMEM, "could not start the service thread on rank 0");
    return MPR_OK;
}

void mpr__service_stop(void)
{
    atomic_store(&svc.stop, true);
    pthread_join(svc.thread, NULL);
    while (svc.parked_head) {
        parked *p = svc.parked_head;
        svc.parked_head = p->next;
        free(p->raw);
        free(p);
    }
    for (size_t i = 1; i < svc.nobjects; i++) {
        if (svc.objects[i]) {
            svc.objects[i]->ops->destroy(svc.objects[i]->impl);
            free(svc.objects[i]);
        }
    }
    free(svc.objects);
    memset(&svc, 0, sizeof svc);
    mpr__self_call_fini();
    mpr__posted_fini();
}
