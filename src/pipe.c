/*
 * pipe.c — multiprocessing.Pipe: two connected ends, duplex or one-way.
 *
 * DESIGN
 *   A pipe is one object at a home node (ring.c) with two lanes, one inbox
 *   per end: send on end e appends to lane 1 - e, recv on end e takes from
 *   lane e. Ranks of the home node do both in shared memory, waking the
 *   receiver by its doorbell; ranks of other nodes go through the home
 *   node's server, one request per try (channel.c). The handles are plain
 *   values, so an end can be given to any Process in its argument bytes, as
 *   Python pickles a Connection to the child; an end is not bound to a
 *   rank, and moving it costs nothing.
 *
 *   close(e): sends from e are refused (MPR_ECLOSED), the peer reads what
 *   is left and then gets MPR_EOF; a send to a closed peer is MPR_EPIPE.
 *   A message larger than the receiver's buffer is MPR_ETRUNC with its
 *   size, and stays first in line.
 *
 *   The server-side handlers below serve pipes made when the home node had
 *   no free channel slot, at rank 0's service.
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(mpr_conn) == 16, "mpr_conn travels in task argument bytes");

/* end flags in mpr_conn.end: bit 0 the end, then what it may do */
enum { END_MASK = 1u, CAN_SEND = 2u, CAN_RECV = 4u, IN_RING = 8u };

typedef struct message {
    struct message *next;
    size_t len;
    unsigned char data[];
} message;

typedef struct {
    message *head, **tail;
    bool closed; /* this end was closed */
} inbox;

typedef struct {
    inbox end[2];
    bool duplex;
} pipe_obj;

/* --------------------------------------------------------------- server */

static int pipe_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    pipe_obj *p = calloc(1, sizeof *p);
    if (!p)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a pipe");
    p->end[0].tail = &p->end[0].head;
    p->end[1].tail = &p->end[1].head;
    p->duplex = req->arg != 0;
    *kind = MPR__KIND_PIPE;
    *impl = p;
    return MPR_OK;
}

static int pipe_send(pipe_obj *p, unsigned e, const mpr__request *req, mpr__answer *ans)
{
    if (p->end[e].closed)
        return mpr__answer_fail(ans, MPR_ECLOSED, "send on closed end %u of pipe %llu", e,
                                (unsigned long long)req->id);
    if (p->end[1 - e].closed)
        return mpr__answer_fail(ans, MPR_EPIPE,
                                "send on pipe %llu: the other end is closed (broken pipe)",
                                (unsigned long long)req->id);
    message *m = malloc(sizeof *m + req->payload_len);
    if (!m)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a %zu-byte message",
                                req->payload_len);
    m->next = NULL;
    m->len = req->payload_len;
    memcpy(m->data, req->payload, m->len);
    inbox *to = &p->end[1 - e];
    *to->tail = m;
    to->tail = &m->next;
    return MPR_OK;
}

static int pipe_recv(pipe_obj *p, unsigned e, const mpr__request *req, mpr__answer *ans)
{
    inbox *in = &p->end[e];
    if (in->closed)
        return mpr__answer_fail(ans, MPR_ECLOSED, "recv on closed end %u of pipe %llu", e,
                                (unsigned long long)req->id);
    message *m = in->head;
    if (!m) {
        if (p->end[1 - e].closed)
            return mpr__answer_fail(ans, MPR_EOF,
                                    "pipe %llu: the other end is closed and every message was "
                                    "received",
                                    (unsigned long long)req->id);
        return MPR__WOULD_BLOCK;
    }
    if (req->op == MPR__OP_PIPE_POLL) {
        ans->value = 1;
        return MPR_OK;
    }
    if (m->len > req->arg) {
        ans->value = m->len;
        return mpr__answer_fail(ans, MPR_ETRUNC,
                                "the next message on pipe %llu is %zu bytes, the buffer holds "
                                "%llu; it stays in the pipe",
                                (unsigned long long)req->id, m->len, (unsigned long long)req->arg);
    }
    in->head = m->next;
    if (!in->head)
        in->tail = &in->head;
    ans->payload = m->data;
    ans->payload_len = m->len;
    ans->drop = m;
    return MPR_OK;
}

static int pipe_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    pipe_obj *p = impl;
    unsigned e = req->end & END_MASK;
    switch (req->op) {
    case MPR__OP_PIPE_SEND:
        return pipe_send(p, e, req, ans);
    case MPR__OP_PIPE_RECV:
        return pipe_recv(p, e, req, ans);
    case MPR__OP_PIPE_POLL: {
        int rc = pipe_recv(p, e, req, ans);
        if (rc == MPR_EOF) { /* poll says "recv will not block" */
            ans->code = MPR_OK;
            ans->value = 1;
            return MPR_OK;
        }
        return rc;
    }
    case MPR__OP_PIPE_CLOSE:
        p->end[e].closed = true;
        return MPR_OK;
    }
    return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a pipe operation", req->op);
}

static void pipe_timed_out(void *impl, const mpr__request *req, mpr__answer *ans)
{
    (void)impl;
    if (req->op == MPR__OP_PIPE_POLL) {
        ans->value = 0;
        return;
    }
    mpr__answer_fail(ans, MPR_ETIMEDOUT, "nothing arrived on pipe %llu within %.3g s",
                     (unsigned long long)req->id, req->timeout);
}

static void pipe_destroy(void *impl)
{
    pipe_obj *p = impl;
    for (int e = 0; e < 2; e++) {
        while (p->end[e].head) {
            message *m = p->end[e].head;
            p->end[e].head = m->next;
            free(m);
        }
    }
    free(p);
}

const mpr__object_ops mpr__pipe_ops = {MPR__OP_PIPE_NEW, pipe_create, pipe_handle, pipe_timed_out,
                                       pipe_destroy};

/* --------------------------------------------------------------- client */

static int check_conn(const mpr_conn *c, unsigned need, const char *what)
{
    MPR_CHECK(mpr__require_init());
    if (c->id == 0 || c->end > (END_MASK | CAN_SEND | CAN_RECV | IN_RING))
        return mpr__fail(MPR_EINVAL, "%s: not a pipe end (uninitialized or damaged handle)", what);
    if (!(c->end & need))
        return mpr__fail(MPR_EINVAL, "%s on a %s-only end of pipe %llu (Pipe(duplex=0))", what,
                         need == CAN_SEND ? "receive" : "send", (unsigned long long)c->id);
    if (c->end & IN_RING)
        return mpr__chan_check_home(c->home, what);
    return MPR_OK;
}

static mpr__request conn_request(mpr_conn c, uint32_t op)
{
    return (mpr__request){.op = op, .kind = MPR__KIND_PIPE, .id = c.id, .end = c.end};
}

/* The inbox of end e is lane e: a send on e goes to lane 1 - e. */
static unsigned own_inbox(mpr_conn c) { return c.end & END_MASK; }

static unsigned peer_inbox(mpr_conn c) { return 1u - (c.end & END_MASK); }

int mpr_pipe_new_opts(mpr_conn *a, mpr_conn *b, const mpr_pipe_opts *opts)
{
    if (!a || !b || !opts)
        return mpr__fail(MPR_EINVAL, "mpr_pipe_new_opts: a pointer is NULL");
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    MPR_CHECK(mpr__require_init());
    int at = opts->home == MPR_HOME_HERE ? mpr__rt.rank : opts->home;
    int32_t home = mpr__node_leader_of(at);
    if (home < 0)
        return mpr__fail(MPR_EINVAL, "mpr_pipe_new_opts: home rank %d is not in the job (0..%d)",
                         opts->home, mpr__rt.size - 1);
    unsigned both = CAN_SEND | CAN_RECV, ring = IN_RING;
    uint64_t id = 0;
    int rc = mpr__chan_new(home, 2, 0, false, &id);
    if (rc == MPR_ENOMEM) {
        MPR_INFO("%s; this pipe is served by rank 0 instead", mpr_last_error());
        mpr__request req = {
            .op = MPR__OP_PIPE_NEW, .kind = MPR__KIND_PIPE, .arg = opts->duplex != 0};
        MPR_CHECK(mpr__call_simple(0, &req, &id));
        home = 0;
        ring = 0;
    } else {
        MPR_CHECK(rc);
    }
    *a = (mpr_conn){.home = home, .end = 0u | ring | (opts->duplex ? both : CAN_RECV), .id = id};
    *b = (mpr_conn){.home = home, .end = 1u | ring | (opts->duplex ? both : CAN_SEND), .id = id};
    return MPR_OK;
}

int mpr_pipe_new(mpr_conn *a, mpr_conn *b, int duplex)
{
    mpr_pipe_opts o = {.duplex = duplex, .home = MPR_HOME_HERE};
    return mpr_pipe_new_opts(a, b, &o);
}

int mpr_conn_send(mpr_conn c, const void *buf, size_t len)
{
    MPR_CHECK(check_conn(&c, CAN_SEND, "send"));
    if (!buf && len)
        return mpr__fail(MPR_EINVAL, "mpr_conn_send: buf is NULL but len is %zu", len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "a %zu-byte message exceeds the %zu-byte limit", len,
                         MPR_ITEM_MAX);
    if ((c.end & IN_RING) && !mpr__ring_is_local(c.home)) {
        /* From another node a send is posted (posted.c): one message to the
         * home's node server, answered only if refused. */
        mpr__request req = {.op = MPR__OP_CHAN_PUT,
                            .id = c.id,
                            .end = peer_inbox(c),
                            .timeout = -1,
                            .payload = buf,
                            .payload_len = len};
        return mpr__post_channel(c.home, &req);
    }
    if (c.end & IN_RING)
        return mpr__chan_put(c.home, c.id, peer_inbox(c), buf, len, -1);
    mpr__request req = conn_request(c, MPR__OP_PIPE_SEND);
    req.payload = buf;
    req.payload_len = len;
    return mpr__call_simple(c.home, &req, NULL);
}

int mpr_conn_recv(mpr_conn c, void *buf, size_t cap, size_t *len, double timeout)
{
    MPR_CHECK(check_conn(&c, CAN_RECV, "recv"));
    if (!len)
        return mpr__fail(MPR_EINVAL, "mpr_conn_recv: len pointer is NULL");
    if (!buf && cap)
        return mpr__fail(MPR_EINVAL, "mpr_conn_recv: buf is NULL but cap is %zu", cap);
    if (c.end & IN_RING)
        return mpr__chan_get(c.home, c.id, own_inbox(c), buf, cap, len, timeout);
    mpr__request req = conn_request(c, MPR__OP_PIPE_RECV);
    req.arg = cap;
    mpr__request_timed(&req, timeout);
    return mpr__call_into(c.home, &req, buf, cap, len);
}

int mpr_conn_poll(mpr_conn c, double timeout)
{
    MPR_CHECK(check_conn(&c, CAN_RECV, "poll"));
    if (c.end & IN_RING)
        return mpr__chan_poll(c.home, c.id, own_inbox(c), timeout);
    mpr__request req = conn_request(c, MPR__OP_PIPE_POLL);
    mpr__request_timed(&req, timeout);
    uint64_t ready = 0;
    MPR_CHECK(mpr__call_simple(c.home, &req, &ready));
    return ready ? 1 : 0;
}

int mpr_conn_close(mpr_conn c)
{
    MPR_CHECK(check_conn(&c, CAN_SEND | CAN_RECV, "close"));
    if (c.end & IN_RING) {
        /* Nothing more is received on this end, nor sent from it. */
        MPR_CHECK(mpr__chan_close(c.home, c.id, own_inbox(c), MPR__RING_RCLOSED));
        return mpr__chan_close(c.home, c.id, peer_inbox(c), MPR__RING_WCLOSED);
    }
    mpr__request req = conn_request(c, MPR__OP_PIPE_CLOSE);
    return mpr__call_simple(c.home, &req, NULL);
}

int mpr_conn_send_str(mpr_conn c, const char *s)
{
    if (!s)
        return mpr__fail(MPR_EINVAL, "mpr_conn_send_str: string is NULL");
    return mpr_conn_send(c, s, strlen(s) + 1);
}

int mpr_conn_recv_str(mpr_conn c, char *buf, size_t cap, double timeout)
{
    size_t len = 0;
    MPR_CHECK(mpr_conn_recv(c, buf, cap, &len, timeout));
    if (len == 0 || buf[len - 1] != '\0') {
        if (len == cap)
            return mpr__fail(MPR_ETRUNC,
                             "message of %zu bytes has no terminating NUL and fills the buffer",
                             len);
        buf[len] = '\0';
    }
    return MPR_OK;
}
