/*
 * channel.c — a Queue's or Pipe's operations from any rank: through the
 * shared ring on the home node, through the home node's server elsewhere,
 * and the server's keeping of spilled items.
 *
 * DESIGN
 *   An object lives at a home node (ring.c). A rank of that node operates
 *   on the ring itself: no message, no thread of any other rank. A rank of
 *   another node sends each call as one request (request.c's format) to the
 *   server thread of the home node's leader (the node server, which heap.c
 *   also uses) and gets one reply; rank 0 takes no part unless it leads the
 *   home node. Blocking calls wait with mpr__wait_until on the home node, as
 *   enrolled waiters woken by the doorbell; a call from another node that
 *   cannot be served at once is parked at the server, in its object's list
 *   in arrival order, with the server enrolled as one of the object's
 *   waiters (its own entry, rung on the leader's server bell), and answered
 *   when a change wakes the server or its timeout passes, so the server
 *   decides timeouts and a late answer never races a client that gave up.

 *   Spilled items (ring.c) are sent by their producer to the node server,
 *   which answers once it holds them; it keeps them per lane in
 *   arrival order and puts each one's ticket in the ring when there is
 *   room, as the lane's consumers make it (they ring the server's bell).
 *   A getter that takes a ticket fetches the item with one round trip.
 *
 * INVARIANTS
 *   A lane's spilled items are ticketed in the order the server got them;
 *   the ring counts an item spilled until its ticket is in.
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- spilled items */

typedef struct spilled {
    struct spilled *next;
    uint64_t seq;
    size_t len;
    unsigned char data[];
} spilled;

typedef struct {
    uint64_t id;
    unsigned lane;
    uint64_t next_seq;
    spilled *pending, **pending_tail;   /* no ticket yet, arrival order */
    spilled *ticketed, **ticketed_tail; /* ticket in the ring, not fetched: in
                                         * ticket order, as fetches mostly come */
} spill_lane;

static struct {
    MPI_Comm comm;
    mpr__endpoint server; /* the node servers, as clients reach them */
    bool up;
    spill_lane *lanes; /* server thread only */
    size_t nlanes, cap;
} ch;

/* The server's arrays grow by doubling; it has no caller to refuse to. */
static void *room_for_one(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t more = *cap ? 2 * *cap : 8;
    void *grown = realloc(items, more * size);
    MPR_ASSERT(grown);
    *cap = more;
    return grown;
}

static spill_lane *spill_lane_of(uint64_t id, unsigned lane, bool make)
{
    for (size_t i = 0; i < ch.nlanes; i++)
        if (ch.lanes[i].id == id && ch.lanes[i].lane == lane)
            return &ch.lanes[i];
    if (!make)
        return NULL;
    ch.lanes = room_for_one(ch.lanes, ch.nlanes, &ch.cap, sizeof *ch.lanes);
    spill_lane *l = &ch.lanes[ch.nlanes++];
    *l = (spill_lane){.id = id, .lane = lane, .next_seq = 1};
    l->pending_tail = &l->pending;
    return l;
}

static void drop_list(spilled *s)
{
    while (s) {
        spilled *next = s->next;
        free(s);
        s = next;
    }
}

static void spill_lane_remove(spill_lane *l)
{
    drop_list(l->pending);
    drop_list(l->ticketed);
    l->pending = l->ticketed = NULL;
    spill_lane *last = &ch.lanes[--ch.nlanes];
    if (l != last)
        *l = *last;
}

/* Tickets for as many pending items of l as the ring has room for;
 * returns how many, or -1 when the object is gone (l was removed). */
static int place_tickets(spill_lane *l)
{
    int placed_n = 0;
    while (l->pending) {
        spilled *s = l->pending;
        bool placed = false;
        if (mpr__ring_ticket(l->id, l->lane, s->seq, s->len, &placed) != MPR_OK) {
            spill_lane_remove(l);
            return -1;
        }
        if (!placed)
            break;
        l->pending = s->next;
        if (!l->pending)
            l->pending_tail = &l->pending;
        if (!l->ticketed) /* re-aimed, as in spill_store */
            l->ticketed_tail = &l->ticketed;
        s->next = NULL;
        *l->ticketed_tail = s;
        l->ticketed_tail = &s->next;
        placed_n++;
    }
    return placed_n;
}

static void spill_store(uint64_t id, unsigned lane, const void *data, size_t len)
{
    spilled *s = malloc(sizeof *s + len);
    MPR_ASSERT(s); /* the server has no caller to refuse to */
    spill_lane *l = spill_lane_of(id, lane, true);
    s->next = NULL;
    s->seq = l->next_seq++;
    s->len = len;
    if (len)
        memcpy(s->data, data, len);
    /* An empty list's tail is re-aimed here, never kept: it would point into
     * ch.lanes, which moves (realloc, and the swap of spill_lane_remove). */
    if (!l->pending)
        l->pending_tail = &l->pending;
    *l->pending_tail = s;
    l->pending_tail = &s->next;
    place_tickets(l);
}

/* The item a ticket names, unlinked; NULL if unknown. Taking a ticket
 * made room in the ring: the lane's next pending items get theirs now,
 * rather than when the server's refill source next has its turn. */
static spilled *spill_take(uint64_t id, unsigned lane, uint64_t seq)
{
    spill_lane *l = spill_lane_of(id, lane, false);
    if (!l)
        return NULL;
    if (l->pending && place_tickets(l) < 0)
        return NULL; /* the object is gone */
    for (spilled **p = &l->ticketed; *p; p = &(*p)->next)
        if ((*p)->seq == seq) {
            spilled *s = *p;
            *p = s->next;
            if (l->ticketed_tail == &s->next)
                l->ticketed_tail = p;
            if (!l->pending && !l->ticketed)
                spill_lane_remove(l);
            return s;
        }
    return NULL;
}

static void spill_forget(uint64_t id)
{
    for (size_t i = ch.nlanes; i-- > 0;)
        if (ch.lanes[i].id == id)
            spill_lane_remove(&ch.lanes[i]);
}

/* The server's source: tickets for pending items as rings make room. */
static int refill(void *ctx, double *wake_by)
{
    (void)ctx;
    (void)wake_by;
    mpr__ring_as_server();
    int n = 0;
    for (size_t i = ch.nlanes; i-- > 0;) {
        int placed = ch.lanes[i].pending ? place_tickets(&ch.lanes[i]) : 0;
        n += placed > 0 ? placed : 0;
    }
    return n;
}

/* ------------------------------------------------------------- server */

static void *malloc_sink(void *ctx, size_t len)
{
    void **out = ctx;
    *out = malloc(len ? len : 1);
    return *out;
}

static int fail_from_last(mpr__answer *ans, int rc)
{
    return mpr__answer_fail(ans, rc, "%s", mpr_last_error());
}

static void serve_get(const mpr__request *req, unsigned lane, bool wait, mpr__answer *ans)
{
    void *buf = NULL;
    size_t len = 0;
    uint64_t ticket = 0;
    int rc = mpr__ring_get(req->id, lane, (size_t)req->arg, malloc_sink, &buf, &len, &ticket, wait);
    if (rc == MPR_OK && ticket) {
        spilled *s = spill_take(req->id, lane, ticket);
        MPR_ASSERT(s); /* a ticket is in the ring only while its item is here */
        ans->payload = s->data;
        ans->payload_len = s->len;
        ans->drop = s;
    } else if (rc == MPR_OK) {
        ans->payload = buf;
        ans->payload_len = len;
        ans->drop = buf;
    } else if (rc == MPR_ETRUNC) {
        ans->value = len;
    }
    if (rc < 0)
        fail_from_last(ans, rc);
    ans->code = rc;
}

/* The kind of wait an operation that can block makes (MPR__RING_WAIT_*),
 * or -1 for one that never blocks. */
static int wait_kind(uint32_t op)
{
    switch (op) {
    case MPR__OP_CHAN_PUT:
        return MPR__RING_WAIT_PUT;
    case MPR__OP_CHAN_GET:
    case MPR__OP_CHAN_POLL:
        return MPR__RING_WAIT_GET;
    case MPR__OP_CHAN_JOIN:
        return MPR__RING_WAIT_JOIN;
    default:
        return -1;
    }
}

/* Serves req once; *blocked when it would block (nothing answered yet).
 * `wait` enrolls the server as the object's waiter in that case. */
static void serve_op(const mpr__request *req, bool wait, mpr__answer *ans, bool *blocked)
{
    unsigned lane = req->end & 1u;
    int rc = MPR_OK;
    *blocked = false;
    switch (req->op) {
    case MPR__OP_CHAN_NEW:
        rc = mpr__ring_new((req->end & 0xffu) == 2 ? 2 : 1, req->arg, (req->end >> 8) & 1u,
                           &ans->value);
        break;
    case MPR__OP_CHAN_PUT:
        rc = mpr__ring_put(req->id, lane, req->payload, req->payload_len, wait);
        if (rc == MPR__RING_SPILL) {
            spill_store(req->id, lane, req->payload, req->payload_len);
            rc = MPR_OK;
        }
        *blocked = rc == MPR__WOULD_BLOCK;
        break;
    case MPR__OP_CHAN_GET:
        serve_get(req, lane, wait, ans);
        *blocked = ans->code == MPR__WOULD_BLOCK;
        return;
    case MPR__OP_CHAN_POLL:
        rc = mpr__ring_poll(req->id, lane, wait);
        *blocked = rc == MPR__NOT_YET;
        break;
    case MPR__OP_CHAN_STATE: {
        mpr__ring_info info = {0};
        rc = mpr__ring_state(req->id, lane, &info);
        ans->value = info.items;
        if (rc == MPR_OK)
            rc = info.full ? 1 : 0; /* the code says full; the value the count */
        break;
    }
    case MPR__OP_CHAN_CLOSE:
        rc = mpr__ring_close(req->id, lane, (unsigned)req->arg);
        break;
    case MPR__OP_CHAN_TASK_DONE:
        rc = mpr__ring_task_done(req->id);
        break;
    case MPR__OP_CHAN_JOIN:
        rc = mpr__ring_join_ready(req->id, wait);
        *blocked = rc == MPR__NOT_YET;
        break;
    case MPR__OP_SYNC: /* posted.c: answered after the client's earlier posts */
        break;
    case MPR__OP_CHAN_FREE:
        rc = mpr__ring_free(req->id);
        if (rc == MPR_OK)
            spill_forget(req->id);
        break;
    case MPR__OP_CHAN_SPILL:
        spill_store(req->id, lane, req->payload, req->payload_len);
        break;
    case MPR__OP_CHAN_FETCH: {
        spilled *s = spill_take(req->id, lane, req->arg);
        if (!s) {
            rc = mpr__fail(MPR_ENOTFOUND, "no spilled item %llu of object %llu",
                           (unsigned long long)req->arg, (unsigned long long)req->id);
            break;
        }
        ans->payload = s->data;
        ans->payload_len = s->len;
        ans->drop = s;
        break;
    }
    default:
        rc = mpr__fail(MPR_EINVAL, "operation %u is not a channel operation", req->op);
    }
    if (rc < 0)
        fail_from_last(ans, rc);
    ans->code = rc;
}

/* What a blocking operation whose time is up answers. */
static void answer_timed_out(const mpr__request *req, mpr__answer *ans)
{
    if (req->op == MPR__OP_CHAN_POLL)
        ans->code = 0; /* poll: "not ready", Python's False */
    else
        mpr__answer_fail(ans, MPR_ETIMEDOUT, "%s within %.3g s at rank %d's node",
                         req->op == MPR__OP_CHAN_PUT   ? "no room"
                         : req->op == MPR__OP_CHAN_GET ? "nothing arrived"
                                                       : "items still unfinished",
                         req->timeout, mpr__rt.rank);
}

static void send_answer(int client, const mpr__request *req, mpr__answer *ans)
{
    if ((req->flags & MPR__REQ_POSTED) && ans->code >= 0) {
        free(ans->drop); /* a posted put is answered only when it fails */
        return;
    }
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__reply_encode(&w, req, ans);
    MPR_ASSERT(!w.oom && w.len <= (size_t)INT32_MAX);
    MPR_MPI_MUST(mpr__send(w.data, (int)w.len, client, MPR__TAG_CHAN_REP, ch.comm, client));
    mpr__wbuf_free(&w);
    free(ans->drop);
}

/* ------------------------------------------- requests parked at the server */

/* A remote blocking call that could not be served at once waits here, in
 * its object's list in arrival order, and the server is enrolled as one of
 * the object's waiters (ring.c): a change that wakes the server makes it
 * try that object's parked requests again, in order. */
typedef struct parked {
    struct parked *next;
    int client;
    int what;        /* MPR__RING_WAIT_* */
    double deadline; /* MPI_Wtime; negative: none */
    mpr__request req;
    void *raw; /* the request message; req.payload points into it */
} parked;

typedef struct {
    uint64_t id;
    parked *head, **tail;
} parked_object;

static struct {
    parked_object *objects;
    size_t n, cap;
} pk;

static void park(int client, const mpr__request *req, void *raw)
{
    parked_object *o = NULL;
    for (size_t i = 0; i < pk.n && !o; i++)
        if (pk.objects[i].id == req->id)
            o = &pk.objects[i];
    if (!o) {
        pk.objects = room_for_one(pk.objects, pk.n, &pk.cap, sizeof *pk.objects);
        o = &pk.objects[pk.n++];
        *o = (parked_object){.id = req->id};
        o->tail = &o->head;
    }
    parked *p = malloc(sizeof *p);
    MPR_ASSERT(p);
    *p = (parked){.client = client,
                  .what = wait_kind(req->op),
                  .req = *req,
                  .raw = raw,
                  .deadline = mpr__limit_deadline(mpr__deadline(req->timeout), req->act_by)};
    *o->tail = p;
    o->tail = &p->next;
}

static void unlink_parked(parked_object *o, parked **at)
{
    parked *p = *at;
    *at = p->next;
    if (o->tail == &p->next)
        o->tail = at;
    free(p->raw);
    free(p);
}

/* Whether another request parked on o waits the same way as p. */
static bool another_waits(const parked_object *o, const parked *p)
{
    for (const parked *q = o->head; q; q = q->next)
        if (q != p && q->what == p->what && (q->req.end & 1u) == (p->req.end & 1u))
            return true;
    return false;
}

/* Serves a parked request if it can be served now: false while it must
 * still wait, and once its act_by has passed (its client gives up, so it
 * must not take effect; expire_object answers it). */
static bool serve_parked_now(const parked *p, mpr__answer *ans)
{
    if (mpr__limit_passed(p->req.act_by))
        return false;
    bool blocked = false;
    serve_op(&p->req, true, ans, &blocked);
    return !blocked;
}

/* Tries o's parked requests in order until a pass serves none; returns
 * how many were answered. */
static int retry_object(parked_object *o)
{
    int served = 0, progress = 1;
    while (progress) {
        progress = 0;
        for (parked **at = &o->head; *at;) {
            mpr__answer ans = {0};
            if (!serve_parked_now(*at, &ans)) {
                at = &(*at)->next;
                continue;
            }
            send_answer((*at)->client, &(*at)->req, &ans);
            unlink_parked(o, at);
            progress = 1;
            served++;
        }
    }
    return served;
}

static int expire_object(parked_object *o, double now, double *wake_by)
{
    int n = 0;
    for (parked **at = &o->head; *at;) {
        parked *p = *at;
        if (p->deadline < 0 || p->deadline > now) {
            mpr__wake_by(wake_by, p->deadline);
            at = &p->next;
            continue;
        }
        mpr__answer ans = {0};
        answer_timed_out(&p->req, &ans);
        send_answer(p->client, &p->req, &ans);
        if (!another_waits(o, p)) /* pass on a wake it may have taken */
            mpr__ring_unwait(p->req.id, p->req.end & 1u, p->what);
        unlink_parked(o, at);
        n++;
    }
    return n;
}

/* Whether a change woke the server for one of o's parked requests: the
 * server is then the oldest of the object's waiters of that kind, so
 * trying them now keeps the arrival order of all its waiters. */
static bool server_woken(const parked_object *o)
{
    for (const parked *p = o->head; p; p = p->next)
        if (mpr__ring_woken(o->id, p->req.end & 1u, p->what))
            return true;
    return false;
}

static void retry_parked_on(uint64_t id)
{
    for (size_t i = 0; i < pk.n; i++)
        if (pk.objects[i].id == id) {
            if (server_woken(&pk.objects[i]))
                retry_object(&pk.objects[i]);
            if (!pk.objects[i].head)
                pk.objects[i] = pk.objects[--pk.n];
            return;
        }
}

/* The server's source for parked requests: objects whose server entry was
 * woken are tried again; deadlines that passed are answered. */
static int serve_parked(void *ctx, double *wake_by)
{
    (void)ctx;
    mpr__ring_as_server();
    int n = 0;
    double now = MPI_Wtime();
    for (size_t i = pk.n; i-- > 0;) {
        parked_object *o = &pk.objects[i];
        if (server_woken(o))
            n += retry_object(o);
        n += expire_object(o, now, wake_by);
        if (!o->head)
            pk.objects[i] = pk.objects[--pk.n];
    }
    return n;
}

static void serve_request(MPI_Message *msg, MPI_Status *st)
{
    mpr__ring_as_server();
    void *raw = NULL;
    size_t len = 0;
    MPR_ASSERT(mpr__mrecv_alloc(msg, st, &raw, &len) == MPR_OK);
    mpr__request req;
    mpr__answer ans = {0};
    if (!mpr__request_decode(raw, len, &req)) {
        memset(&req, 0, sizeof req);
        mpr__answer_fail(&ans, MPR_EINVAL, "malformed channel request from rank %d",
                         st->MPI_SOURCE);
        send_answer(st->MPI_SOURCE, &req, &ans);
        free(raw);
        return;
    } else if (mpr__limit_passed(req.act_by)) {
        answer_timed_out(&req, &ans); /* it came too late: its client gives up */
    } else {
        bool may_wait = req.timeout != 0 && wait_kind(req.op) >= 0, blocked = false;
        serve_op(&req, may_wait, &ans, &blocked);
        if (blocked && may_wait) {
            park(st->MPI_SOURCE, &req, raw); /* answered later; raw is kept */
            return;
        }
        if (blocked)
            answer_timed_out(&req, &ans);
    }
    send_answer(st->MPI_SOURCE, &req, &ans);
    free(raw);
    retry_parked_on(req.id); /* what this request changed may let them go */
}

/* ------------------------------------------------------------- client */

/* One request to home's node server and its reply (freed by the caller
 * with mpr__reply_free); returns the reply's code, recording its text. */
static int call_home(int32_t home, const mpr__request *req, mpr__reply *rep)
{
    memset(rep, 0, sizeof *rep);
    mpr__limit lim = req->flags & MPR__REQ_TIMED ? mpr__limit_of(req->timeout) : mpr__limit_none();
    mpr__request timed = *req;
    timed.act_by = lim.act_by;
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    int count = 0;
    int rc = mpr__request_encode(&w, &timed);
    if (rc == MPR_OK)
        rc = mpr__count_to_int(w.len, &count);
    if (rc == MPR_OK)
        rc = mpr__rpc(&ch.server, home, mpr__wbuf_take(&w), count, lim, &rep->raw,
                      &rep->payload_len);
    mpr__wbuf_free(&w);
    if (rc == MPR_OK && !mpr__reply_decode(rep->raw, rep->payload_len, rep))
        rc = mpr__fail(MPR_EMPI, "malformed channel reply from rank %d", home);
    MPR_CHECK(rc);
    if (rep->code < 0)
        mpr__fail(rep->code, "%s", rep->error);
    return rep->code;
}

mpr__endpoint *mpr__chan_endpoint(void) { return &ch.server; }

int mpr__chan_sync(int32_t home)
{
    mpr__reply rep;
    mpr__request req = {.op = MPR__OP_SYNC};
    int rc = call_home(home, &req, &rep);
    mpr__reply_free(&rep);
    return rc;
}

static int call_simple(int32_t home, const mpr__request *req, uint64_t *value)
{
    mpr__reply rep;
    int rc = call_home(home, req, &rep);
    if (value)
        *value = rep.value;
    mpr__reply_free(&rep);
    return rc;
}

int mpr__chan_check_home(int32_t home, const char *what)
{
    if (home < 0 || mpr__node_leader_of(home) != home)
        return mpr__fail(MPR_EINVAL,
                         "%s: the handle names home rank %d, which leads no node of this job "
                         "(ranks 0..%d): an uninitialized or damaged handle",
                         what, home, mpr__rt.size - 1);
    return MPR_OK;
}

int mpr__chan_new(int32_t home, unsigned nlanes, uint64_t maxcount, bool joinable, uint64_t *id)
{
    if (mpr__ring_is_local(home))
        return mpr__ring_new(nlanes, maxcount, joinable, id);
    mpr__request req = {
        .op = MPR__OP_CHAN_NEW, .end = nlanes | (joinable ? 1u << 8 : 0), .arg = maxcount};
    return call_simple(home, &req, id);
}

typedef struct {
    int32_t home;
    uint64_t id;
    unsigned lane;
    const void *buf;
    size_t len;
} put_try;

/* Answered once the server holds the item: a put returns with its item in
 * line (a Process's items are in when join returns, ahead of anything
 * another rank puts after that). */
static int send_spill(const put_try *t)
{
    mpr__request req = {.op = MPR__OP_CHAN_SPILL,
                        .id = t->id,
                        .end = t->lane,
                        .payload = t->buf,
                        .payload_len = t->len};
    return call_simple(t->home, &req, NULL);
}

static int try_put(void *ctx)
{
    const put_try *t = ctx;
    int rc = mpr__ring_put(t->id, t->lane, t->buf, t->len, true);
    if (rc == MPR__RING_SPILL) {
        rc = send_spill(t);
        if (rc != MPR_OK) /* the item never reached the server: uncount it */
            mpr__ring_unspill(t->id, t->lane);
    }
    return rc == MPR__WOULD_BLOCK ? MPR__NOT_YET : rc == MPR_OK ? MPR__READY : rc;
}

int mpr__chan_put(int32_t home, uint64_t id, unsigned lane, const void *buf, size_t len,
                  double timeout)
{
    if (!mpr__ring_is_local(home)) {
        /* One request; the home's server waits out the timeout. */
        mpr__request req = {.op = MPR__OP_CHAN_PUT,
                            .id = id,
                            .end = lane,
                            .flags = MPR__REQ_TIMED,
                            .timeout = timeout,
                            .payload = buf,
                            .payload_len = len};
        return call_simple(home, &req, NULL);
    }
    put_try t = {home, id, lane, buf, len};
    int rc = mpr__wait_until(try_put, &t, timeout);
    if (rc == MPR__READY)
        return MPR_OK;
    mpr__ring_unwait(id, lane, MPR__RING_WAIT_PUT);
    return rc < 0 ? rc : mpr__fail(MPR_ETIMEDOUT, "no room within %g s", timeout);
}

typedef struct {
    int32_t home;
    uint64_t id;
    unsigned lane;
    void *buf;
    size_t cap;
    size_t *len;
    bool enrolled; /* tried once under the lock: woken by a put from now on */
} get_try;

static void *buffer_sink(void *ctx, size_t len)
{
    (void)len;
    return ((get_try *)ctx)->buf;
}

/* Copies a reply's payload into the getter's buffer. */
static int take_payload(const get_try *t, mpr__reply *rep, int rc)
{
    if (rc == MPR_OK) {
        MPR_ASSERT(rep->payload_len <= t->cap);
        if (rep->payload_len)
            memcpy(t->buf, rep->payload, rep->payload_len);
        *t->len = rep->payload_len;
    } else if (rc == MPR_ETRUNC) {
        *t->len = (size_t)rep->value;
    }
    mpr__reply_free(rep);
    return rc;
}

static int try_get(void *ctx)
{
    get_try *t = ctx;
    if (t->enrolled && !mpr__ring_maybe_ready(t->id, t->lane))
        return MPR__NOT_YET;
    t->enrolled = true;
    uint64_t ticket = 0;
    int rc = mpr__ring_get(t->id, t->lane, t->cap, buffer_sink, t, t->len, &ticket, true);
    if (rc == MPR_OK && ticket) {
        mpr__request req = {.op = MPR__OP_CHAN_FETCH, .id = t->id, .end = t->lane, .arg = ticket};
        mpr__reply rep;
        rc = call_home(t->home, &req, &rep);
        rc = take_payload(t, &rep, rc);
    }
    return rc == MPR__WOULD_BLOCK ? MPR__NOT_YET : rc == MPR_OK ? MPR__READY : rc;
}

int mpr__chan_get(int32_t home, uint64_t id, unsigned lane, void *buf, size_t cap, size_t *len,
                  double timeout)
{
    get_try t = {home, id, lane, buf, cap, len, false};
    if (!mpr__ring_is_local(home)) {
        mpr__request req = {.op = MPR__OP_CHAN_GET,
                            .id = id,
                            .end = lane,
                            .flags = MPR__REQ_TIMED,
                            .arg = cap,
                            .timeout = timeout};
        mpr__reply rep;
        int rc = call_home(home, &req, &rep);
        return take_payload(&t, &rep, rc);
    }
    int rc = mpr__wait_until(try_get, &t, timeout);
    if (rc == MPR__READY)
        return MPR_OK;
    mpr__ring_unwait(id, lane, MPR__RING_WAIT_GET);
    return rc < 0 ? rc : mpr__fail(MPR_ETIMEDOUT, "nothing arrived within %g s", timeout);
}

typedef struct {
    uint64_t id;
    unsigned lane;
    uint32_t op;
} state_try;

static int try_ready(void *ctx)
{
    const state_try *t = ctx;
    return t->op == MPR__OP_CHAN_POLL ? mpr__ring_poll(t->id, t->lane, true)
                                      : mpr__ring_join_ready(t->id, true);
}

/* MPR__READY, MPR__NOT_YET once the timeout passed, or an error. */
static int wait_ready(int32_t home, uint64_t id, unsigned lane, uint32_t op, double timeout)
{
    if (!mpr__ring_is_local(home)) {
        mpr__request req = {
            .op = op, .id = id, .end = lane, .flags = MPR__REQ_TIMED, .timeout = timeout};
        int rc = call_simple(home, &req, NULL);
        return rc == MPR_ETIMEDOUT ? MPR__NOT_YET : rc;
    }
    state_try t = {id, lane, op};
    int rc = mpr__wait_until(try_ready, &t, timeout);
    if (rc != MPR__READY)
        mpr__ring_unwait(id, lane,
                         op == MPR__OP_CHAN_POLL ? MPR__RING_WAIT_GET : MPR__RING_WAIT_JOIN);
    return rc;
}

int mpr__chan_poll(int32_t home, uint64_t id, unsigned lane, double timeout)
{
    int rc = wait_ready(home, id, lane, MPR__OP_CHAN_POLL, timeout);
    return rc < 0 ? rc : rc == MPR__READY;
}

int mpr__chan_join(int32_t home, uint64_t id, double timeout)
{
    int rc = wait_ready(home, id, 0, MPR__OP_CHAN_JOIN, timeout);
    if (rc == MPR__READY)
        return MPR_OK;
    return rc < 0 ? rc : mpr__fail(MPR_ETIMEDOUT, "items still unfinished after %g s", timeout);
}

int mpr__chan_state(int32_t home, uint64_t id, unsigned lane, mpr__ring_info *out)
{
    if (mpr__ring_is_local(home))
        return mpr__ring_state(id, lane, out);
    mpr__request req = {.op = MPR__OP_CHAN_STATE, .id = id, .end = lane};
    uint64_t items = 0;
    int rc = call_simple(home, &req, &items);
    MPR_CHECK(rc);
    *out = (mpr__ring_info){.items = items, .full = rc == 1};
    return MPR_OK;
}

int mpr__chan_close(int32_t home, uint64_t id, unsigned lane, unsigned how)
{
    if (mpr__ring_is_local(home))
        return mpr__ring_close(id, lane, how);
    mpr__request req = {.op = MPR__OP_CHAN_CLOSE, .id = id, .end = lane, .arg = how};
    return call_simple(home, &req, NULL);
}

int mpr__chan_task_done(int32_t home, uint64_t id)
{
    if (mpr__ring_is_local(home))
        return mpr__ring_task_done(id);
    mpr__request req = {.op = MPR__OP_CHAN_TASK_DONE, .id = id};
    return call_simple(home, &req, NULL);
}

int mpr__chan_free(int32_t home, uint64_t id)
{
    /* At the server, which drops the spilled items with the slot. */
    mpr__request req = {.op = MPR__OP_CHAN_FREE, .id = id};
    return call_simple(home, &req, NULL);
}

/* ------------------------------------------------------- init and fini */

static int channel_fini(void)
{
    if (!ch.up)
        return MPR_OK;
    ch.up = false;
    for (size_t i = 0; i < ch.nlanes; i++) {
        drop_list(ch.lanes[i].pending);
        drop_list(ch.lanes[i].ticketed);
    }
    ch.nlanes = 0;
    for (size_t i = 0; i < pk.n; i++)
        while (pk.objects[i].head)
            unlink_parked(&pk.objects[i], &pk.objects[i].head);
    free(pk.objects);
    pk.objects = NULL;
    pk.n = pk.cap = 0;
    free(ch.lanes);
    ch.lanes = NULL;
    ch.cap = 0;
    mpr__endpoint_fini(&ch.server);
    MPR_MPI_RELEASE(MPI_Comm_free(&ch.comm));
    return MPR_OK;
}

int mpr__channel_init(void)
{
    MPR_MPI_CALL(MPI_Comm_dup(MPI_COMM_WORLD, &ch.comm));
    MPR_MPI_CALL(MPI_Comm_set_errhandler(ch.comm, MPI_ERRORS_RETURN));
    MPR_CHECK(mpr__endpoint_init(&ch.server, ch.comm, MPR__TAG_CHAN_REQ, MPR__TAG_CHAN_REP));
    MPR_CHECK(mpr__ring_init());
    mpr__server *s = mpr__node_server();
    if (s) {
        /* Parked requests first: their check is a few loads, and a stream
         * of requests must not keep them waiting. */
        mpr__server_add(s, serve_parked, NULL);
        mpr__server_add_messages(s, ch.comm, MPR__TAG_CHAN_REQ, serve_request);
        mpr__server_add(s, refill, NULL);
    }
    ch.up = true;
    mpr__at_finalize(MPR__FINI_CHANNELS, channel_fini);
    return MPR_OK;
}
