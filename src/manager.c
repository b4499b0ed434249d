/*
 * manager.c — multiprocessing.Manager: a server that holds objects for
 * every rank; here the manager itself, its Value and its Lock/RLock, and
 * what the list (mlist.c) and dict (mdict.c) share.
 *
 * DESIGN
 *   The server is rank 0's service thread (service.c), the home that
 *   already serves queues and pipes, not a dedicated rank. It does exactly
 *   what Python's manager process does: it holds the objects, takes one
 *   request at a time from any rank over MPI point-to-point and answers it.
 *   Reusing it means no rank is lost to a server (`mpirun -n 2` still has
 *   one worker), one request loop with one parking scheme serves every
 *   blocking call (queue get, lock acquire), and a manager queue is simply
 *   a queue of queue.c, so code written for mpr_queue takes either. The
 *   price is one round trip per call through a thread that backs off when
 *   idle; apps/bench/manager.c measures it against a raw MPI ping-pong
 *   between the same ranks.
 *
 *   Ownership: the manager is a service object too. Objects created through
 *   it carry its index as owner, in the server's table and in the upper 32
 *   bits of their handle id. Shutting the manager down frees its objects at
 *   the server (parked calls on them are answered MPR_ECLOSED), and since
 *   ids are never reused, any later request whose owner is no longer a live
 *   manager is answered MPR_ECLOSED: no hang and no "not found" for an
 *   object that existed.
 *
 *   Handles (mpr_list, mpr_dict, mpr_mvalue, mpr_mlock) are the queue's
 *   {home, kind, id}: 16 bytes that travel in task arguments. The server
 *   checks the kind against the object, so a damaged handle is MPR_EINVAL.
 *
 *   Atomicity: each request runs to completion on the service thread, so
 *   every call is atomic and replies are never lost or reordered (a client
 *   has one request in flight). Composite steps are not: get-then-set from
 *   two ranks races, as seed 003's counter shows; fetch_add_i64 or a
 *   manager lock around the pair does not.
 *
 *   Locks: acquire on a held lock is parked at the server with the call's
 *   deadline and granted in arrival order on release (service.c retries
 *   parked requests oldest first). An RLock's owner is the requesting rank
 *   (one mpr thread per rank), with a recursion count; a Lock may be
 *   released by any rank, as Python's may.
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(mpr_list) == 16, "mpr_list travels in task argument bytes");
_Static_assert(sizeof(mpr_dict) == 16, "mpr_dict travels in task argument bytes");
_Static_assert(sizeof(mpr_mvalue) == 16, "mpr_mvalue travels in task argument bytes");
_Static_assert(sizeof(mpr_mlock) == 16, "mpr_mlock travels in task argument bytes");

struct mpr_manager {
    uint64_t id; /* the manager's index at rank 0 */
    bool shut;
};

/* ------------------------------------------------------- shared, server */

int mpr__answer_bytes(mpr__answer *ans, const void *data, size_t len, uint64_t cap,
                      const char *what)
{
    if (len > cap) {
        ans->value = len;
        return mpr__answer_fail(ans, MPR_ETRUNC,
                                "%s is %zu bytes, the buffer holds %llu; nothing was changed "
                                "(call again with a buffer of %zu bytes)",
                                what, len, (unsigned long long)cap, len);
    }
    ans->payload = data;
    ans->payload_len = len;
    return MPR_OK;
}

/* The manager object: nothing but its place in the service's table, which
 * is what owned objects point to. */
static int manager_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    (void)req;
    *impl = calloc(1, 1);
    if (!*impl)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a manager");
    *kind = MPR__KIND_MANAGER;
    return MPR_OK;
}

static int manager_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    (void)impl;
    if (req->op != MPR__OP_MANAGER_SHUTDOWN)
        return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a manager operation",
                                req->op);
    ans->destroy_object = true; /* service.c frees the owned objects first */
    return MPR_OK;
}

void mpr__never_parks(void *impl, const mpr__request *req, mpr__answer *ans)
{
    (void)impl;
    (void)req;
    (void)ans;
    MPR_ASSERT(!"manager, value, list and dict requests never park");
}

const mpr__object_ops mpr__manager_ops = {MPR__OP_MANAGER_START, manager_create, manager_handle,
                                          mpr__never_parks, free};

/* ------------------------------------------------------- shared, client */

int mpr__mhandle_check(int32_t home, uint32_t kind, uint32_t want, uint32_t want2, const char *what)
{
    if (kind != want && kind != want2)
        return mpr__fail(MPR_EINVAL,
                         "not a manager %s handle (kind 0x%x): uninitialized, "
                         "damaged, or a handle of another type",
                         what, kind);
    if (home < 0 || home >= mpr__rt.size)
        return mpr__fail(MPR_EINVAL, "%s handle names rank %d, the job has %d ranks", what, home,
                         mpr__rt.size);
    return MPR_OK;
}

int mpr__manager_create(mpr_manager *m, uint32_t op, uint32_t kind, uint64_t arg,
                        const void *payload, size_t len, int32_t *home, uint64_t *id)
{
    *home = -1;
    *id = 0;
    if (!m)
        return mpr__fail(MPR_EINVAL, "manager is NULL: start one with mpr_manager_start");
    if (m->shut)
        return mpr__fail(MPR_ECLOSED, "manager %llu was shut down: it cannot create objects",
                         (unsigned long long)m->id);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "a %zu-byte initial value exceeds the %zu-byte item limit",
                         len, MPR_ITEM_MAX);
    mpr__request req = {
        .op = op, .kind = kind, .id = m->id, .arg = arg, .payload = payload, .payload_len = len};
    MPR_CHECK(mpr__call_simple(0, &req, id));
    *home = 0;
    return MPR_OK;
}

static int items_take(const mpr__reply *rep, mpr_items *out)
{
    out->data = malloc(rep->payload_len ? rep->payload_len : 1);
    if (!out->data)
        return mpr__fail(MPR_ENOMEM, "no memory for a %zu-byte snapshot", rep->payload_len);
    memcpy(out->data, rep->payload, rep->payload_len);
    out->len = rep->payload_len;
    out->count = (size_t)rep->value;
    return MPR_OK;
}

int mpr__snapshot_call(int32_t home, const mpr__request *req, mpr_items *out)
{
    if (!out)
        return mpr__fail(MPR_EINVAL, "snapshot: out pointer is NULL");
    memset(out, 0, sizeof *out);
    mpr__reply rep;
    int rc = mpr__call(home, req, &rep);
    if (rc == MPR_OK)
        rc = items_take(&rep, out);
    mpr__reply_free(&rep);
    return rc;
}

int mpr_items_next(mpr_items *it, const void **item, size_t *len)
{
    if (!it || !item || !len)
        return mpr__fail(MPR_EINVAL, "mpr_items_next: NULL argument");
    if (it->pos >= it->len)
        return 0;
    mpr__rbuf r;
    mpr__rbuf_init(&r, it->data + it->pos, it->len - it->pos);
    *item = mpr__rbuf_bytes(&r, len);
    if (r.bad)
        return mpr__fail(MPR_EINVAL, "snapshot damaged at byte %zu of %zu", it->pos, it->len);
    it->pos += r.pos;
    return 1;
}

void mpr_items_free(mpr_items *it)
{
    if (!it)
        return;
    free(it->data);
    memset(it, 0, sizeof *it);
}

/* ------------------------------------------------------ manager, client */

int mpr_manager_start(mpr_manager **m)
{
    if (!m)
        return mpr__fail(MPR_EINVAL, "mpr_manager_start: out pointer is NULL");
    *m = NULL;
    mpr_manager *mm = calloc(1, sizeof *mm);
    if (!mm)
        return mpr__fail(MPR_ENOMEM, "no memory for a manager");
    mpr__request req = {.op = MPR__OP_MANAGER_START, .kind = MPR__KIND_MANAGER};
    int rc = mpr__call_simple(0, &req, &mm->id);
    if (rc != MPR_OK) {
        free(mm);
        return rc;
    }
    *m = mm;
    return MPR_OK;
}

int mpr_manager_shutdown(mpr_manager *m)
{
    if (!m)
        return mpr__fail(MPR_EINVAL, "mpr_manager_shutdown: manager is NULL");
    if (m->shut)
        return mpr__fail(MPR_ECLOSED, "manager %llu was already shut down",
                         (unsigned long long)m->id);
    mpr__request req = {.op = MPR__OP_MANAGER_SHUTDOWN, .kind = MPR__KIND_MANAGER, .id = m->id};
    MPR_CHECK(mpr__call_simple(0, &req, NULL));
    m->shut = true;
    return MPR_OK;
}

void mpr_manager_free(mpr_manager *m)
{
    if (!m)
        return;
    if (!m->shut && mpr__rt.initialized)
        (void)mpr_manager_shutdown(m);
    free(m);
}

int mpr_manager_queue(mpr_manager *m, mpr_queue *q, size_t maxsize)
{
    if (!m || !q)
        return mpr__fail(MPR_EINVAL, "mpr_manager_queue: NULL manager or out pointer");
    if (m->shut)
        return mpr__fail(MPR_ECLOSED, "manager %llu was shut down: it cannot create objects",
                         (unsigned long long)m->id);
    return mpr__queue_new_owned(q, maxsize, false, m->id);
}

int mpr_manager_joinable_queue(mpr_manager *m, mpr_queue *q, size_t maxsize)
{
    if (!m || !q)
        return mpr__fail(MPR_EINVAL, "mpr_manager_joinable_queue: NULL manager or out pointer");
    if (m->shut)
        return mpr__fail(MPR_ECLOSED, "manager %llu was shut down: it cannot create objects",
                         (unsigned long long)m->id);
    return mpr__queue_new_owned(q, maxsize, true, m->id);
}

/* ---------------------------------------------------------- Value, server */

typedef struct {
    size_t len;
    unsigned char *data;
} mvalue;

static int mvalue_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    mvalue *v = calloc(1, sizeof *v);
    unsigned char *data = malloc(req->payload_len ? req->payload_len : 1);
    if (!v || !data) {
        free(v);
        free(data);
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a %zu-byte value",
                                req->payload_len);
    }
    memcpy(data, req->payload, req->payload_len);
    *v = (mvalue){req->payload_len, data};
    *kind = MPR__KIND_MVALUE;
    *impl = v;
    /* data is owned by v, which the caller keeps through impl. */
    // cppcheck-suppress memleak
    return MPR_OK;
}

static int mvalue_add(mvalue *v, const mpr__request *req, mpr__answer *ans)
{
    int64_t old;
    if (v->len != sizeof old)
        return mpr__answer_fail(ans, MPR_EINVAL,
                                "fetch_add_i64 needs an 8-byte value; value %llu holds %zu bytes",
                                (unsigned long long)MPR__ID_INDEX(req->id), v->len);
    memcpy(&old, v->data, sizeof old);
    /* Wraps like a fixed-width integer instead of overflowing (UB). */
    int64_t sum = (int64_t)((uint64_t)old + req->arg);
    memcpy(v->data, &sum, sizeof sum);
    ans->value = (uint64_t)old;
    return MPR_OK;
}

static int mvalue_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    mvalue *v = impl;
    switch (req->op) {
    case MPR__OP_MVALUE_GET:
        return mpr__answer_bytes(ans, v->data, v->len, req->arg, "the value");
    case MPR__OP_MVALUE_SET: {
        unsigned char *data = malloc(req->payload_len ? req->payload_len : 1);
        if (!data)
            return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a %zu-byte value",
                                    req->payload_len);
        memcpy(data, req->payload, req->payload_len);
        free(v->data);
        *v = (mvalue){req->payload_len, data};
        return MPR_OK;
    }
    case MPR__OP_MVALUE_ADD:
        return mvalue_add(v, req, ans);
    }
    return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a Value operation", req->op);
}

static void mvalue_destroy(void *impl)
{
    mvalue *v = impl;
    free(v->data);
    free(v);
}

const mpr__object_ops mpr__mvalue_ops = {MPR__OP_MVALUE_NEW, mvalue_create, mvalue_handle,
                                         mpr__never_parks, mvalue_destroy};

/* ---------------------------------------------------------- Value, client */

static mpr__request mvalue_request(mpr_mvalue v, uint32_t op)
{
    return (mpr__request){.op = op, .kind = v.kind, .id = v.id};
}

int mpr_manager_value(mpr_manager *m, mpr_mvalue *v, const void *init, size_t len)
{
    if (!v || (!init && len))
        return mpr__fail(MPR_EINVAL,
                         "mpr_manager_value: NULL out pointer, or init NULL with "
                         "len %zu",
                         len);
    memset(v, 0, sizeof *v);
    MPR_CHECK(mpr__manager_create(m, MPR__OP_MVALUE_NEW, MPR__KIND_MVALUE, 0, init, len, &v->home,
                                  &v->id));
    v->kind = MPR__KIND_MVALUE;
    return MPR_OK;
}

int mpr_manager_value_i64(mpr_manager *m, mpr_mvalue *v, int64_t init)
{
    return mpr_manager_value(m, v, &init, sizeof init);
}

int mpr_mvalue_get(mpr_mvalue v, void *buf, size_t cap, size_t *len)
{
    MPR_CHECK(mpr__mhandle_check(v.home, v.kind, MPR__KIND_MVALUE, MPR__KIND_MVALUE, "Value"));
    if (!len || (!buf && cap))
        return mpr__fail(MPR_EINVAL, "mpr_mvalue_get: len is NULL, or buf NULL with cap %zu", cap);
    mpr__request req = mvalue_request(v, MPR__OP_MVALUE_GET);
    req.arg = cap;
    return mpr__call_into(v.home, &req, buf, cap, len);
}

int mpr_mvalue_set(mpr_mvalue v, const void *buf, size_t len)
{
    MPR_CHECK(mpr__mhandle_check(v.home, v.kind, MPR__KIND_MVALUE, MPR__KIND_MVALUE, "Value"));
    if (!buf && len)
        return mpr__fail(MPR_EINVAL, "mpr_mvalue_set: buf is NULL but len is %zu", len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "a %zu-byte value exceeds the %zu-byte item limit", len,
                         MPR_ITEM_MAX);
    mpr__request req = mvalue_request(v, MPR__OP_MVALUE_SET);
    req.payload = buf;
    req.payload_len = len;
    return mpr__call_simple(v.home, &req, NULL);
}

int mpr__expect_i64(int rc, size_t len, const char *what)
{
    if (rc != MPR_OK || len == sizeof(int64_t))
        return rc;
    return mpr__fail(MPR_EINVAL, "%s is %zu bytes, not an int64 (8 bytes)", what, len);
}

int mpr__finish_str(int rc, char *buf, size_t len, size_t cap, const char *what)
{
    if (rc != MPR_OK || (len > 0 && buf[len - 1] == '\0'))
        return rc;
    if (len == cap)
        return mpr__fail(MPR_ETRUNC, "%s (%zu bytes) has no terminating NUL and fills the buffer",
                         what, len);
    buf[len] = '\0';
    return MPR_OK;
}

int mpr_mvalue_get_i64(mpr_mvalue v, int64_t *out)
{
    int64_t tmp = 0;
    size_t len = 0;
    if (!out)
        return mpr__fail(MPR_EINVAL, "mpr_mvalue_get_i64: out pointer is NULL");
    int rc = mpr_mvalue_get(v, &tmp, sizeof tmp, &len);
    MPR_CHECK(mpr__expect_i64(rc, len, "the value"));
    *out = tmp;
    return MPR_OK;
}

int mpr_mvalue_set_i64(mpr_mvalue v, int64_t x) { return mpr_mvalue_set(v, &x, sizeof x); }

int mpr_mvalue_fetch_add_i64(mpr_mvalue v, int64_t delta, int64_t *old)
{
    MPR_CHECK(mpr__mhandle_check(v.home, v.kind, MPR__KIND_MVALUE, MPR__KIND_MVALUE, "Value"));
    mpr__request req = mvalue_request(v, MPR__OP_MVALUE_ADD);
    req.arg = (uint64_t)delta;
    uint64_t was = 0;
    MPR_CHECK(mpr__call_simple(v.home, &req, &was));
    if (old)
        *old = (int64_t)was;
    return MPR_OK;
}

/* ------------------------------------------------------ Lock/RLock, server */

typedef struct {
    int owner;      /* rank that acquired it (RLock), or last acquirer (Lock) */
    uint64_t count; /* 0: free; RLock: recursion depth */
    bool recursive;
} mlock;

static int mlock_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    mlock *l = calloc(1, sizeof *l);
    if (!l)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a lock");
    l->recursive = req->kind == MPR__KIND_MRLOCK;
    l->owner = -1;
    *kind = req->kind == MPR__KIND_MRLOCK ? MPR__KIND_MRLOCK : MPR__KIND_MLOCK;
    *impl = l;
    return MPR_OK;
}

static int mlock_release(mlock *l, const mpr__request *req, mpr__answer *ans)
{
    unsigned long long id = MPR__ID_INDEX(req->id);
    if (l->count == 0)
        return mpr__answer_fail(ans, MPR_ESTATE, "rank %d released %s %llu, which is not held",
                                req->client, l->recursive ? "RLock" : "Lock", id);
    if (l->recursive && l->owner != req->client)
        return mpr__answer_fail(ans, MPR_ESTATE,
                                "rank %d released RLock %llu, which rank %d holds: only the "
                                "holder may release an RLock",
                                req->client, id, l->owner);
    if (--l->count == 0)
        l->owner = -1;
    return MPR_OK;
}

static int mlock_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    mlock *l = impl;
    switch (req->op) {
    case MPR__OP_MLOCK_ACQUIRE:
        if (l->count && !(l->recursive && l->owner == req->client))
            return MPR__WOULD_BLOCK;
        l->owner = req->client;
        l->count++;
        return MPR_OK;
    case MPR__OP_MLOCK_RELEASE:
        return mlock_release(l, req, ans);
    }
    return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a lock operation", req->op);
}

static void mlock_timed_out(void *impl, const mpr__request *req, mpr__answer *ans)
{
    mlock *l = impl;
    mpr__answer_fail(ans, MPR_ETIMEDOUT, "%s %llu stayed held by rank %d for %.3g s",
                     l->recursive ? "RLock" : "Lock", (unsigned long long)MPR__ID_INDEX(req->id),
                     l->owner, req->timeout);
}

const mpr__object_ops mpr__mlock_ops = {MPR__OP_MLOCK_NEW, mlock_create, mlock_handle,
                                        mlock_timed_out, free};

/* ------------------------------------------------------ Lock/RLock, client */

static int mlock_new(mpr_manager *m, mpr_mlock *l, uint32_t kind)
{
    if (!l)
        return mpr__fail(MPR_EINVAL, "mpr_manager_lock: out pointer is NULL");
    memset(l, 0, sizeof *l);
    MPR_CHECK(mpr__manager_create(m, MPR__OP_MLOCK_NEW, kind, 0, NULL, 0, &l->home, &l->id));
    l->kind = kind;
    return MPR_OK;
}

int mpr_manager_lock(mpr_manager *m, mpr_mlock *l) { return mlock_new(m, l, MPR__KIND_MLOCK); }

int mpr_manager_rlock(mpr_manager *m, mpr_mlock *l) { return mlock_new(m, l, MPR__KIND_MRLOCK); }

static int mlock_call(mpr_mlock l, uint32_t op, double timeout)
{
    MPR_CHECK(mpr__mhandle_check(l.home, l.kind, MPR__KIND_MLOCK, MPR__KIND_MRLOCK, "Lock"));
    mpr__request req = {.op = op, .kind = l.kind, .id = l.id};
    if (op == MPR__OP_MLOCK_ACQUIRE) /* a release must not be refused for coming late */
        mpr__request_timed(&req, timeout);
    return mpr__call_simple(l.home, &req, NULL);
}

int mpr_mlock_acquire(mpr_mlock l, double timeout)
{
    return mlock_call(l, MPR__OP_MLOCK_ACQUIRE, timeout);
}

int mpr_mlock_release(mpr_mlock l) { return mlock_call(l, MPR__OP_MLOCK_RELEASE, 0); }
