/*
 * service.c — the service thread on rank 0 that hosts Managers and their
 * objects, and the queues and pipes made when their home node had no free
 * channel slot (other queues and pipes live in node shared memory: ring.c).
 *
 * DESIGN
 *   Rank 0 runs the user's main, so objects that need a home (queues, pipe
 *   buffers) are served by a thread of rank 0 (MPI_THREAD_MULTIPLE), not by
 *   a dedicated rank: every rank stays available as a worker, and
 *   `mpirun -n 2` still gives one worker. The thread waits with backoff
 *   (wait.c) for requests on comm_svc, so it costs no core while idle.
 *
 *   The wire format is request.c's; the client side is call.c and
 *   posted.c. A posted request (flags REQ_POSTED, a put sent without
 *   waiting) is answered only if it fails, by a reply flagged REP_POSTED
 *   whose value is the object; the service counts the posts it served per
 *   client, so that a parent can wait until a Pool worker's posts are in
 *   (mpr__service_wait_posts).
 *
 *   Object kinds register their ops and their range of operations at init
 *   (mpr__service_register): the service knows no kind by name.
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
 *   The thread is a progress.c server with four sources: rank 0's own
 *   calls (self_call.c), requests on comm_svc, forwarded output
 *   (output.c), and the deadlines of parked requests.
 */
#include "mpr-internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_KINDS = 16 };

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
    mpr__server server;
    service_object **objects; /* index = id; id 0 is never used */
    size_t nobjects, cap;
    parked *parked_head, **parked_tail;
} svc;

/* ------------------------------------------------------------- server side */

/* The kinds' operation ranges, filled at init before the thread starts. */
static struct {
    uint32_t first_op, last_op;
    const mpr__object_ops *ops;
} kinds[MAX_KINDS];
static int nkinds;

void mpr__service_register(uint32_t first_op, uint32_t last_op, const mpr__object_ops *ops)
{
    MPR_ASSERT(nkinds < MAX_KINDS && first_op <= ops->new_op && ops->new_op <= last_op);
    kinds[nkinds].first_op = first_op;
    kinds[nkinds].last_op = last_op;
    kinds[nkinds].ops = ops;
    nkinds++;
}

static const mpr__object_ops *ops_for(uint32_t op)
{
    for (int i = 0; i < nkinds; i++)
        if (op >= kinds[i].first_op && op <= kinds[i].last_op)
            return kinds[i].ops;
    return NULL;
}

/* Posts served per client rank, and whether a wait watches them. */
static _Atomic uint64_t *served;
static atomic_bool watched;

static void count_served_post(int client)
{
    atomic_fetch_add(&served[client], 1);
    if (atomic_load(&watched))
        mpr__doorbell_ring(mpr__rt.rank, MPR__BELL_MAIN); /* wakes mpr__service_wait_posts */
}

void mpr__service_wait_posts(int rank, uint64_t count)
{
    if (atomic_load(&served[rank]) >= count)
        return;
    atomic_store(&watched, true);
    mpr__wait_counter(&served[rank], count);
    atomic_store(&watched, false);
}

/* Answers a request. A posted one (posted.c) is answered only if it failed,
 * and the answer names the object, since the client no longer waits. */
static void send_answer(int client, const mpr__request *req, const mpr__answer *ans)
{
    bool posted = req->flags & MPR__REQ_POSTED;
    if (posted)
        count_served_post(client);
    if (posted && ans->code >= 0) {
        free(ans->drop);
        return;
    }
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__reply_encode(&w, req, ans);
    MPR_ASSERT(!w.oom && w.len <= (size_t)INT32_MAX);
    if (client == mpr__rt.rank) {
        mpr__self_reply(&w); /* rank 0's own call: see self_call.c */
    } else {
        MPR_MPI_MUST(mpr__send(w.data, (int)w.len, client, MPR__TAG_REP, mpr__rt.comm_svc, client));
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
            /* Past its act_by its client gives up: it must not take effect. */
            bool late = p->obj == o && mpr__limit_passed(p->req.act_by);
            if (late)
                o->ops->timed_out(o->impl, &p->req, &ans);
            if (!late &&
                (p->obj != o || o->ops->handle(o->impl, &p->req, &ans) == MPR__WOULD_BLOCK)) {
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

/* Handles one request; takes ownership of raw. */
static void serve_request(int client, void *raw, size_t len)
{
    mpr__request req;
    memset(&req, 0, sizeof req);
    mpr__answer ans = {0};
    const mpr__object_ops *ops = NULL;
    bool decoded = mpr__request_decode(raw, len, &req);
    req.client = client;
    /* A client that gave up on a parked request sends its next one only
     * after that one's deadline: answer it first, so that every client's
     * replies come in the order of its requests (rpc.c discards the reply
     * it gave up on by its place in that order). */
    expire_parked(MPI_Wtime());
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
    if (mpr__limit_passed(req.act_by)) { /* it came too late: its client gives up (rpc.c) */
        o->ops->timed_out(o->impl, &req, &ans);
        goto answer;
    }
    if (o->ops->handle(o->impl, &req, &ans) == MPR__WOULD_BLOCK) {
        if (req.timeout == 0) {
            o->ops->timed_out(o->impl, &req, &ans);
            goto answer;
        }
        parked *p = calloc(1, sizeof *p);
        MPR_ASSERT(p);
        double deadline = mpr__limit_deadline(mpr__deadline(req.timeout), req.act_by);
        *p = (parked){NULL, client, deadline, o, req, raw};
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

/* ----------------------------------------------------------- the sources */

static int serve_own_calls(void *unused, double *wake_by)
{
    (void)unused, (void)wake_by;
    void *raw = NULL;
    size_t len = 0;
    if (!mpr__self_take_request(&raw, &len))
        return 0;
    serve_request(mpr__rt.rank, raw, len);
    return 1;
}

static void serve_message(MPI_Message *msg, MPI_Status *st)
{
    void *raw = NULL;
    size_t len = 0;
    MPR_ASSERT(mpr__mrecv_alloc(msg, st, &raw, &len) == MPR_OK);
    serve_request(st->MPI_SOURCE, raw, len);
}

static void write_output(MPI_Message *msg, MPI_Status *st)
{
    MPR_ASSERT(mpr__output_serve(msg, st) == MPR_OK);
}

static int serve_deadlines(void *unused, double *wake_by)
{
    (void)unused;
    double first = next_deadline();
    if (first < 0)
        return 0;
    if (first > MPI_Wtime()) {
        mpr__wake_by(wake_by, first);
        return 0;
    }
    expire_parked(MPI_Wtime());
    return 1;
}

/* ------------------------------------------------------- start and stop */

static int service_stop(void)
{
    mpr__server_stop(&svc.server);
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
    nkinds = 0;
    mpr__self_call_fini();
    free((void *)served);
    served = NULL;
    return MPR_OK;
}

int mpr__service_start(void)
{
    svc.parked_head = NULL;
    svc.parked_tail = &svc.parked_head;
    MPR_CHECK(mpr__self_call_init());
    served = calloc((size_t)mpr__rt.size, sizeof *served);
    MPR_ASSERT(served);
    mpr__server_add(&svc.server, serve_own_calls, NULL);
    mpr__server_add_messages(&svc.server, mpr__rt.comm_svc, MPR__TAG_REQ, serve_message);
    mpr__server_add_messages(&svc.server, mpr__rt.comm_svc, MPR__TAG_OUT, write_output);
    mpr__server_add(&svc.server, serve_deadlines, NULL);
    MPR_CHECK(mpr__server_start(&svc.server, "service"));
    mpr__at_finalize(MPR__FINI_SERVICE, service_stop);
    return MPR_OK;
}

uint64_t mpr__service_handled(void) { return atomic_load(&svc.server.handled); }
