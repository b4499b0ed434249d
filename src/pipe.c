/*
 * pipe.c — multiprocessing.Pipe: two connected ends, duplex or one-way.
 *
 * DESIGN
 *   A pipe lives at rank 0's service thread (service.c) as two inboxes,
 *   one per end; send on end e appends to the inbox of end 1-e, recv on end
 *   e takes from its own. The handles are plain values, so an end can be
 *   given to any Process in its argument bytes, as Python pickles a
 *   Connection to the child.
 *
 *   Routing through the home instead of sending straight to the peer's
 *   rank is deliberate for now: an end is not bound to a rank (the parent
 *   creates both ends, children use them), so the sender cannot know where
 *   the receiver will be, and the home gives ordering, end-of-file and
 *   timeouts in one place. A direct path for ends whose ranks are known is
 *   the next step for the latency goal (apps/bench measures the gap).
 *
 *   close(e): sends from e are refused (MPR_ECLOSED), the peer reads what
 *   is left and then gets MPR_EOF; a send to a closed peer is MPR_EPIPE.
 *   A message larger than the receiver's buffer is MPR_ETRUNC with its
 *   size, and stays first in line.
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(mpr_conn) == 16, "mpr_conn travels in task argument bytes");

/* end flags in mpr_conn.end: bit 0 the end, then what it may do */
enum { END_MASK = 1u, CAN_SEND = 2u, CAN_RECV = 4u };

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
    if (c->id == 0 || c->end > (END_MASK | CAN_SEND | CAN_RECV))
        return mpr__fail(MPR_EINVAL, "%s: not a pipe end (uninitialized or damaged handle)", what);
    if (!(c->end & need))
        return mpr__fail(MPR_EINVAL, "%s on a %s-only end of pipe %llu (Pipe(duplex=0))", what,
                         need == CAN_SEND ? "receive" : "send", (unsigned long long)c->id);
    return MPR_OK;
}

static mpr__request conn_request(mpr_conn c, uint32_t op)
{
    return (mpr__request){.op = op, .kind = MPR__KIND_PIPE, .id = c.id, .end = c.end};
}

int mpr_pipe_new(mpr_conn *a, mpr_conn *b, int duplex)
{
    if (!a || !b)
        return mpr__fail(MPR_EINVAL, "mpr_pipe_new: out pointer is NULL");
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    mpr__request req = {.op = MPR__OP_PIPE_NEW, .kind = MPR__KIND_PIPE, .arg = duplex != 0};
    uint64_t id = 0;
    MPR_CHECK(mpr__call_simple(0, &req, &id));
    unsigned both = CAN_SEND | CAN_RECV;
    *a = (mpr_conn){.home = 0, .end = 0u | (duplex ? both : CAN_RECV), .id = id};
    *b = (mpr_conn){.home = 0, .end = 1u | (duplex ? both : CAN_SEND), .id = id};
    return MPR_OK;
}

int mpr_conn_send(mpr_conn c, const void *buf, size_t len)
{
    MPR_CHECK(check_conn(&c, CAN_SEND, "send"));
    if (!buf && len)
        return mpr__fail(MPR_EINVAL, "mpr_conn_send: buf is NULL but len is %zu", len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "a %zu-byte message exceeds the %zu-byte limit", len,
                         MPR_ITEM_MAX);
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
    mpr__request req = conn_request(c, MPR__OP_PIPE_RECV);
    req.arg = cap;
    req.timeout = timeout;
    return mpr__call_into(c.home, &req, buf, cap, len);
}

int mpr_conn_poll(mpr_conn c, double timeout)
{
    MPR_CHECK(check_conn(&c, CAN_RECV, "poll"));
    mpr__request req = conn_request(c, MPR__OP_PIPE_POLL);
    req.timeout = timeout;
    uint64_t ready = 0;
    MPR_CHECK(mpr__call_simple(c.home, &req, &ready));
    return ready ? 1 : 0;
}

int mpr_conn_close(mpr_conn c)
{
    MPR_CHECK(check_conn(&c, CAN_SEND | CAN_RECV, "close"));
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
