/*
 * mlist.c — manager.list(): a list of byte items held by the manager's
 * server (rank 0's service thread, see manager.c) for every rank.
 *
 * DESIGN
 *   The server keeps an array of pointers to items ({len, bytes}), so get,
 *   set and len are O(1) and insert/pop move pointers, not bytes. Every call
 *   is one round trip; an index travels as an int64 at the head of the
 *   request payload and is resolved at the server the way Python does it
 *   (-1 is the last item; insert clamps, get/set/pop raise IndexError, here
 *   MPR_ERANGE). A get or pop whose item does not fit the caller's buffer is
 *   answered MPR_ETRUNC with the size, and the item stays where it was.
 *
 *   extend takes n items of one size (an array of structs or int64s), the
 *   C shape of `records.extend([...])`, and adds all or none. snapshot
 *   answers every item at one instant, packed as (u64 length, bytes) pairs
 *   that mpr_items_next walks; a loop of get(i) would see the list change
 *   under it (which is what Python's `for x in proxy` does).
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t len;
    unsigned char data[];
} litem;

typedef struct {
    litem **items;
    size_t n, cap;
} mlist;

/* ---------------------------------------------------------------- server */

static int mlist_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    (void)req;
    mlist *l = calloc(1, sizeof *l);
    if (!l)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a list");
    *kind = MPR__KIND_MLIST;
    *impl = l;
    return MPR_OK;
}

static litem *item_new(const void *data, size_t len)
{
    litem *it = malloc(sizeof *it + len);
    if (it) {
        it->len = len;
        memcpy(it->data, data, len);
    }
    return it;
}

/* Room for `more` items; false when out of memory (the list unchanged). */
static bool reserve(mlist *l, size_t more)
{
    if (l->n + more <= l->cap)
        return true;
    size_t cap = l->cap ? l->cap : 8;
    while (cap < l->n + more)
        cap *= 2;
    litem **items = realloc(l->items, cap * sizeof *items);
    if (!items)
        return false;
    l->items = items;
    l->cap = cap;
    return true;
}

static int no_memory(mpr__answer *ans, size_t bytes)
{
    return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for %zu more bytes of list",
                            bytes);
}

/* Python's index rules for get, set and pop: MPR_ERANGE outside the list. */
static int resolve(const mlist *l, const mpr__request *req, int64_t index, size_t *at,
                   mpr__answer *ans)
{
    int64_t i = index < 0 ? index + (int64_t)l->n : index;
    if (i < 0 || (uint64_t)i >= l->n)
        return mpr__answer_fail(ans, MPR_ERANGE,
                                "list index %lld out of range: list %llu has %zu items",
                                (long long)index, (unsigned long long)MPR__ID_INDEX(req->id), l->n);
    *at = (size_t)i;
    return MPR_OK;
}

static int insert_at(mlist *l, int64_t index, const void *data, size_t len, mpr__answer *ans)
{
    int64_t n = (int64_t)l->n;
    int64_t i = index < 0 ? index + n : index;
    size_t at = i < 0 ? 0 : i > n ? (size_t)n : (size_t)i;
    litem *it = item_new(data, len);
    if (!it || !reserve(l, 1)) {
        free(it);
        return no_memory(ans, len);
    }
    memmove(&l->items[at + 1], &l->items[at], (l->n - at) * sizeof *l->items);
    l->items[at] = it;
    l->n++;
    return MPR_OK;
}

static int extend(mlist *l, const mpr__request *req, mpr__answer *ans)
{
    size_t size = (size_t)req->arg;
    if (size == 0 || req->payload_len % size != 0)
        return mpr__answer_fail(ans, MPR_EINVAL, "extend: %zu bytes are not items of %zu bytes",
                                req->payload_len, size);
    size_t n = req->payload_len / size;
    if (!reserve(l, n))
        return no_memory(ans, req->payload_len);
    const unsigned char *p = req->payload;
    for (size_t k = 0; k < n; k++) {
        litem *it = item_new(p + k * size, size);
        if (!it) {
            while (k > 0)
                free(l->items[l->n + --k]);
            return no_memory(ans, req->payload_len);
        }
        l->items[l->n + k] = it;
    }
    l->n += n;
    return MPR_OK;
}

static int snapshot(const mlist *l, mpr__answer *ans)
{
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    for (size_t i = 0; i < l->n; i++)
        mpr__wbuf_bytes(&w, l->items[i]->data, l->items[i]->len);
    if (w.oom) {
        mpr__wbuf_free(&w);
        return no_memory(ans, 0);
    }
    ans->payload = w.data;
    ans->payload_len = w.len;
    ans->drop = w.data;
    ans->value = l->n;
    return MPR_OK;
}

/* get, set and pop: an int64 index, then for set the item. */
static int indexed(mlist *l, const mpr__request *req, mpr__answer *ans)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, req->payload, req->payload_len);
    int64_t index = (int64_t)mpr__rbuf_u64(&r);
    size_t len = 0;
    const void *data = req->op == MPR__OP_MLIST_SET || req->op == MPR__OP_MLIST_INSERT
                           ? mpr__rbuf_bytes(&r, &len)
                           : NULL;
    size_t at = 0;
    if (r.bad)
        return mpr__answer_fail(ans, MPR_EINVAL, "malformed list request from rank %d",
                                req->client);
    if (req->op == MPR__OP_MLIST_INSERT)
        return insert_at(l, index, data, len, ans);
    MPR_CHECK(resolve(l, req, index, &at, ans));
    litem *it = l->items[at];
    if (req->op == MPR__OP_MLIST_GET)
        return mpr__answer_bytes(ans, it->data, it->len, req->arg, "the list item");
    if (req->op == MPR__OP_MLIST_POP) {
        MPR_CHECK(mpr__answer_bytes(ans, it->data, it->len, req->arg, "the list item"));
        memmove(&l->items[at], &l->items[at + 1], (l->n - at - 1) * sizeof *l->items);
        l->n--;
        ans->drop = it; /* freed once the answer is sent */
        return MPR_OK;
    }
    litem *fresh = item_new(data, len);
    if (!fresh)
        return no_memory(ans, len);
    free(it);
    l->items[at] = fresh;
    return MPR_OK;
}

static int mlist_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    mlist *l = impl;
    switch (req->op) {
    case MPR__OP_MLIST_APPEND:
        return insert_at(l, (int64_t)l->n, req->payload, req->payload_len, ans);
    case MPR__OP_MLIST_EXTEND:
        return extend(l, req, ans);
    case MPR__OP_MLIST_GET:
    case MPR__OP_MLIST_SET:
    case MPR__OP_MLIST_INSERT:
    case MPR__OP_MLIST_POP:
        return indexed(l, req, ans);
    case MPR__OP_MLIST_LEN:
        ans->value = l->n;
        return MPR_OK;
    case MPR__OP_MLIST_SNAPSHOT:
        return snapshot(l, ans);
    }
    return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a list operation", req->op);
}

static void mlist_destroy(void *impl)
{
    mlist *l = impl;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l);
}

const mpr__object_ops mpr__mlist_ops = {MPR__OP_MLIST_NEW, mlist_create, mlist_handle,
                                        mpr__never_parks, mlist_destroy};

/* ---------------------------------------------------------------- client */

static int check(mpr_list l, const void *buf, size_t len, const char *what)
{
    MPR_CHECK(mpr__mhandle_check(l.home, l.kind, MPR__KIND_MLIST, MPR__KIND_MLIST, "list"));
    if (!buf && len)
        return mpr__fail(MPR_EINVAL, "%s: buffer is NULL but its size is %zu", what, len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "%s: a %zu-byte item exceeds the %zu-byte item limit", what,
                         len, MPR_ITEM_MAX);
    return MPR_OK;
}

/* For get and pop: any capacity is fine, len must be there. */
static int check_out(mpr_list l, const void *buf, size_t cap, const size_t *len, const char *what)
{
    MPR_CHECK(check(l, NULL, 0, what));
    if (!len || (!buf && cap))
        return mpr__fail(MPR_EINVAL, "%s: len is NULL, or buf NULL with cap %zu", what, cap);
    return MPR_OK;
}

static mpr__request request(mpr_list l, uint32_t op)
{
    return (mpr__request){.op = op, .kind = l.kind, .id = l.id};
}

int mpr_manager_list(mpr_manager *m, mpr_list *l)
{
    if (!l)
        return mpr__fail(MPR_EINVAL, "mpr_manager_list: out pointer is NULL");
    memset(l, 0, sizeof *l);
    MPR_CHECK(
        mpr__manager_create(m, MPR__OP_MLIST_NEW, MPR__KIND_MLIST, 0, NULL, 0, &l->home, &l->id));
    l->kind = MPR__KIND_MLIST;
    return MPR_OK;
}

int mpr_list_append(mpr_list l, const void *buf, size_t len)
{
    MPR_CHECK(check(l, buf, len, "mpr_list_append"));
    mpr__request req = request(l, MPR__OP_MLIST_APPEND);
    req.payload = buf;
    req.payload_len = len;
    return mpr__call_simple(l.home, &req, NULL);
}

int mpr_list_append_str(mpr_list l, const char *s)
{
    if (!s)
        return mpr__fail(MPR_EINVAL, "mpr_list_append_str: string is NULL");
    return mpr_list_append(l, s, strlen(s) + 1);
}

int mpr_list_append_i64(mpr_list l, int64_t v) { return mpr_list_append(l, &v, sizeof v); }

int mpr_list_extend(mpr_list l, const void *items, size_t item_size, size_t n)
{
    if (item_size == 0 || (n && n > MPR_ITEM_MAX / item_size))
        return mpr__fail(MPR_EINVAL,
                         "mpr_list_extend: %zu items of %zu bytes: item size 0 or "
                         "more than %zu bytes in all",
                         n, item_size, MPR_ITEM_MAX);
    MPR_CHECK(check(l, items, n * item_size, "mpr_list_extend"));
    if (n == 0)
        return MPR_OK;
    mpr__request req = request(l, MPR__OP_MLIST_EXTEND);
    req.arg = item_size;
    req.payload = items;
    req.payload_len = n * item_size;
    return mpr__call_simple(l.home, &req, NULL);
}

/* get, set, insert, pop: the index and, for set/insert, the item. */
static int call_indexed(mpr_list l, uint32_t op, int64_t index, const void *item, size_t len,
                        void *buf, size_t cap, size_t *out_len)
{
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__wbuf_u64(&w, (uint64_t)index);
    if (op == MPR__OP_MLIST_SET || op == MPR__OP_MLIST_INSERT)
        mpr__wbuf_bytes(&w, item, len);
    if (w.oom) {
        mpr__wbuf_free(&w);
        return mpr__fail(MPR_ENOMEM, "no memory to send a %zu-byte list item", len);
    }
    mpr__request req = request(l, op);
    req.arg = cap;
    req.payload = w.data;
    req.payload_len = w.len;
    int rc = out_len ? mpr__call_into(l.home, &req, buf, cap, out_len)
                     : mpr__call_simple(l.home, &req, NULL);
    mpr__wbuf_free(&w);
    return rc;
}

int mpr_list_insert(mpr_list l, int64_t index, const void *buf, size_t len)
{
    MPR_CHECK(check(l, buf, len, "mpr_list_insert"));
    return call_indexed(l, MPR__OP_MLIST_INSERT, index, buf, len, NULL, 0, NULL);
}

int mpr_list_set(mpr_list l, int64_t index, const void *buf, size_t len)
{
    MPR_CHECK(check(l, buf, len, "mpr_list_set"));
    return call_indexed(l, MPR__OP_MLIST_SET, index, buf, len, NULL, 0, NULL);
}

int mpr_list_set_i64(mpr_list l, int64_t index, int64_t v)
{
    return mpr_list_set(l, index, &v, sizeof v);
}

int mpr_list_get(mpr_list l, int64_t index, void *buf, size_t cap, size_t *len)
{
    MPR_CHECK(check_out(l, buf, cap, len, "mpr_list_get"));
    return call_indexed(l, MPR__OP_MLIST_GET, index, NULL, 0, buf, cap, len);
}

int mpr_list_get_str(mpr_list l, int64_t index, char *buf, size_t cap)
{
    size_t len = 0;
    int rc = mpr_list_get(l, index, buf, cap, &len);
    return mpr__finish_str(rc, buf, len, cap, "the list item");
}

int mpr_list_get_i64(mpr_list l, int64_t index, int64_t *v)
{
    int64_t tmp = 0;
    size_t len = 0;
    if (!v)
        return mpr__fail(MPR_EINVAL, "mpr_list_get_i64: out pointer is NULL");
    int rc = mpr_list_get(l, index, &tmp, sizeof tmp, &len);
    MPR_CHECK(mpr__expect_i64(rc, len, "the list item"));
    *v = tmp;
    return MPR_OK;
}

int mpr_list_pop(mpr_list l, int64_t index, void *buf, size_t cap, size_t *len)
{
    MPR_CHECK(check_out(l, buf, cap, len, "mpr_list_pop"));
    return call_indexed(l, MPR__OP_MLIST_POP, index, NULL, 0, buf, cap, len);
}

int mpr_list_len(mpr_list l)
{
    MPR_CHECK(check(l, NULL, 0, "mpr_list_len"));
    mpr__request req = request(l, MPR__OP_MLIST_LEN);
    uint64_t n = 0;
    MPR_CHECK(mpr__call_simple(l.home, &req, &n));
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int mpr_list_snapshot(mpr_list l, mpr_items *out)
{
    MPR_CHECK(check(l, NULL, 0, "mpr_list_snapshot"));
    mpr__request req = request(l, MPR__OP_MLIST_SNAPSHOT);
    return mpr__snapshot_call(l.home, &req, out);
}
