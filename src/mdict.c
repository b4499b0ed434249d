/*
 * mdict.c — manager.dict(): a dict of byte keys and byte values held by the
 * manager's server (rank 0's service thread, see manager.c) for every rank.
 *
 * DESIGN
 *   A chained hash table (FNV-1a over the key bytes, power-of-two buckets,
 *   doubled when the load passes 1) whose entries are also on a doubly
 *   linked list in insertion order, so keys() and items() come out in the
 *   order Python 3.7+ promises, and delete is O(1). Keys and values are
 *   bytes; string keys travel with their NUL, so "a" from the _str helpers
 *   and the two bytes {'a', 0} are the same key.
 *
 *   A request carries the key (and the value) as (u64 length, bytes) pairs
 *   in its payload. A missing key is MPR_ENOTFOUND, a value larger than the
 *   caller's buffer MPR_ETRUNC with its size; setdefault checks the buffer
 *   before it inserts, so a failed call leaves the dict as it was.
 */
#include "mpr-internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *chain;       /* next in the bucket */
    struct entry *prev, *next; /* insertion order */
    uint64_t hash;
    size_t klen, vlen;
    unsigned char *val;
    unsigned char key[];
} entry;

typedef struct {
    entry **buckets;
    size_t nbuckets, n;
    entry *first, *last;
} mdict;

/* ---------------------------------------------------------------- server */

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static int mdict_create(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans)
{
    (void)req;
    mdict *d = calloc(1, sizeof *d);
    entry **buckets = calloc(16, sizeof *buckets);
    if (!d || !buckets) {
        free(d);
        free(buckets);
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a dict");
    }
    d->buckets = buckets;
    d->nbuckets = 16;
    *kind = MPR__KIND_MDICT;
    *impl = d;
    return MPR_OK;
}

static entry **find(mdict *d, const void *key, size_t klen, uint64_t hash)
{
    entry **pp = &d->buckets[hash & (d->nbuckets - 1)];
    while (*pp && !((*pp)->hash == hash && (*pp)->klen == klen && !memcmp((*pp)->key, key, klen)))
        pp = &(*pp)->chain;
    return pp;
}

/* Doubling is best effort: without memory the chains just grow longer. */
static void grow(mdict *d)
{
    size_t nb = d->nbuckets * 2;
    entry **b = calloc(nb, sizeof *b);
    if (!b)
        return;
    for (entry *e = d->first; e; e = e->next) {
        e->chain = b[e->hash & (nb - 1)];
        b[e->hash & (nb - 1)] = e;
    }
    free(d->buckets);
    d->buckets = b;
    d->nbuckets = nb;
}

static unsigned char *copy_bytes(const void *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    if (c)
        memcpy(c, p, n);
    return c;
}

/* Adds key -> val at the end of the insertion order; *slot is find()'s
 * result for the key (an empty slot). */
static int insert(mdict *d, entry **slot, const void *key, size_t klen, uint64_t hash,
                  const void *val, size_t vlen, mpr__answer *ans)
{
    entry *e = malloc(sizeof *e + klen);
    unsigned char *v = copy_bytes(val, vlen);
    if (!e || !v) {
        free(e);
        free(v);
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a %zu-byte dict entry",
                                klen + vlen);
    }
    *e = (entry){NULL, d->last, NULL, hash, klen, vlen, v};
    memcpy(e->key, key, klen);
    *slot = e;
    if (d->last)
        d->last->next = e;
    else
        d->first = e;
    d->last = e;
    if (++d->n > d->nbuckets)
        grow(d);
    return MPR_OK;
}

static void unlink_entry(mdict *d, entry **slot)
{
    entry *e = *slot;
    *slot = e->chain;
    if (e->prev)
        e->prev->next = e->next;
    else
        d->first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        d->last = e->prev;
    d->n--;
    free(e->val);
    free(e);
}

/* The key as text for messages: printable bytes as they are, else a size. */
static void key_text(char *out, size_t cap, const unsigned char *key, size_t klen)
{
    size_t n = klen && key[klen - 1] == '\0' ? klen - 1 : klen;
    bool text = n < 64;
    for (size_t i = 0; text && i < n; i++)
        text = isprint(key[i]);
    if (text)
        snprintf(out, cap, "'%.*s'", (int)n, (const char *)key);
    else
        snprintf(out, cap, "(a %zu-byte key)", klen);
}

static int missing(mpr__answer *ans, const mpr__request *req, const unsigned char *key, size_t klen)
{
    char k[80];
    key_text(k, sizeof k, key, klen);
    return mpr__answer_fail(ans, MPR_ENOTFOUND, "key %s is not in dict %llu", k,
                            (unsigned long long)MPR__ID_INDEX(req->id));
}

static int pack(const mdict *d, bool values, mpr__answer *ans)
{
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    for (const entry *e = d->first; e; e = e->next) {
        mpr__wbuf_bytes(&w, e->key, e->klen);
        if (values)
            mpr__wbuf_bytes(&w, e->val, e->vlen);
    }
    if (w.oom) {
        mpr__wbuf_free(&w);
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a dict snapshot");
    }
    ans->payload = w.data;
    ans->payload_len = w.len;
    ans->drop = w.data;
    ans->value = values ? 2 * d->n : d->n;
    return MPR_OK;
}

static int set_value(entry *e, const void *val, size_t vlen, mpr__answer *ans)
{
    unsigned char *v = copy_bytes(val, vlen);
    if (!v)
        return mpr__answer_fail(ans, MPR_ENOMEM, "rank 0 has no memory for a %zu-byte value", vlen);
    free(e->val);
    e->val = v;
    e->vlen = vlen;
    return MPR_OK;
}

/* Requests on one key: the payload holds the key, then for set and
 * setdefault the value. */
static int keyed(mdict *d, const mpr__request *req, mpr__answer *ans)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, req->payload, req->payload_len);
    size_t klen = 0, vlen = 0;
    const unsigned char *key = mpr__rbuf_bytes(&r, &klen);
    const void *val = NULL;
    if (req->op == MPR__OP_MDICT_SET || req->op == MPR__OP_MDICT_SETDEFAULT)
        val = mpr__rbuf_bytes(&r, &vlen);
    if (r.bad || r.pos != r.len)
        return mpr__answer_fail(ans, MPR_EINVAL, "malformed dict request from rank %d",
                                req->client);
    uint64_t hash = fnv1a(key, klen);
    entry **slot = find(d, key, klen, hash);
    entry *e = *slot;
    switch (req->op) {
    case MPR__OP_MDICT_SET:
        return e ? set_value(e, val, vlen, ans) : insert(d, slot, key, klen, hash, val, vlen, ans);
    case MPR__OP_MDICT_GET:
        return e ? mpr__answer_bytes(ans, e->val, e->vlen, req->arg, "the dict value")
                 : missing(ans, req, key, klen);
    case MPR__OP_MDICT_DELETE:
        if (!e)
            return missing(ans, req, key, klen);
        unlink_entry(d, slot);
        return MPR_OK;
    case MPR__OP_MDICT_CONTAINS:
        ans->value = e != NULL;
        return MPR_OK;
    }
    /* setdefault: answer the stored value, inserting the default first. */
    if (e)
        return mpr__answer_bytes(ans, e->val, e->vlen, req->arg, "the dict value");
    if (vlen > req->arg)
        return mpr__answer_bytes(ans, val, vlen, req->arg, "the default");
    MPR_CHECK(insert(d, slot, key, klen, hash, val, vlen, ans));
    return mpr__answer_bytes(ans, d->last->val, vlen, req->arg, "the default");
}

static int mdict_handle(void *impl, const mpr__request *req, mpr__answer *ans)
{
    mdict *d = impl;
    switch (req->op) {
    case MPR__OP_MDICT_SET:
    case MPR__OP_MDICT_GET:
    case MPR__OP_MDICT_DELETE:
    case MPR__OP_MDICT_CONTAINS:
    case MPR__OP_MDICT_SETDEFAULT:
        return keyed(d, req, ans);
    case MPR__OP_MDICT_LEN:
        ans->value = d->n;
        return MPR_OK;
    case MPR__OP_MDICT_KEYS:
        return pack(d, false, ans);
    case MPR__OP_MDICT_ITEMS:
        return pack(d, true, ans);
    }
    return mpr__answer_fail(ans, MPR_EINVAL, "operation %u is not a dict operation", req->op);
}

static void mdict_destroy(void *impl)
{
    mdict *d = impl;
    for (entry *e = d->first, *next; e; e = next) {
        next = e->next;
        free(e->val);
        free(e);
    }
    free(d->buckets);
    free(d);
}

const mpr__object_ops mpr__mdict_ops = {MPR__OP_MDICT_NEW, mdict_create, mdict_handle,
                                        mpr__never_parks, mdict_destroy};

/* ---------------------------------------------------------------- client */

static int check(mpr_dict d, const void *key, size_t klen, size_t vlen, const char *what)
{
    MPR_CHECK(mpr__mhandle_check(d.home, d.kind, MPR__KIND_MDICT, MPR__KIND_MDICT, "dict"));
    if (!key && klen)
        return mpr__fail(MPR_EINVAL, "%s: key is NULL but klen is %zu", what, klen);
    if (klen > MPR_ITEM_MAX || vlen > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG,
                         "%s: a %zu-byte key or %zu-byte value exceeds the %zu-byte "
                         "item limit",
                         what, klen, vlen, MPR_ITEM_MAX);
    return MPR_OK;
}

/* One request on a key (and value): into buf when out_len, else its value. */
static int call_keyed(mpr_dict d, uint32_t op, const void *key, size_t klen, const void *val,
                      size_t vlen, void *buf, size_t cap, size_t *out_len, uint64_t *value)
{
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__wbuf_bytes(&w, key, klen);
    if (op == MPR__OP_MDICT_SET || op == MPR__OP_MDICT_SETDEFAULT)
        mpr__wbuf_bytes(&w, val, vlen);
    if (w.oom) {
        mpr__wbuf_free(&w);
        return mpr__fail(MPR_ENOMEM, "no memory to send a %zu-byte dict entry", klen + vlen);
    }
    mpr__request req = {
        .op = op, .kind = d.kind, .id = d.id, .arg = cap, .payload = w.data, .payload_len = w.len};
    int rc = out_len ? mpr__call_into(d.home, &req, buf, cap, out_len)
                     : mpr__call_simple(d.home, &req, value);
    mpr__wbuf_free(&w);
    return rc;
}

int mpr_manager_dict(mpr_manager *m, mpr_dict *d)
{
    if (!d)
        return mpr__fail(MPR_EINVAL, "mpr_manager_dict: out pointer is NULL");
    memset(d, 0, sizeof *d);
    MPR_CHECK(
        mpr__manager_create(m, MPR__OP_MDICT_NEW, MPR__KIND_MDICT, 0, NULL, 0, &d->home, &d->id));
    d->kind = MPR__KIND_MDICT;
    return MPR_OK;
}

int mpr_dict_set(mpr_dict d, const void *key, size_t klen, const void *val, size_t vlen)
{
    MPR_CHECK(check(d, key, klen, vlen, "mpr_dict_set"));
    if (!val && vlen)
        return mpr__fail(MPR_EINVAL, "mpr_dict_set: val is NULL but vlen is %zu", vlen);
    return call_keyed(d, MPR__OP_MDICT_SET, key, klen, val, vlen, NULL, 0, NULL, NULL);
}

int mpr_dict_get(mpr_dict d, const void *key, size_t klen, void *buf, size_t cap, size_t *len)
{
    MPR_CHECK(check(d, key, klen, 0, "mpr_dict_get"));
    if (!len || (!buf && cap))
        return mpr__fail(MPR_EINVAL, "mpr_dict_get: len is NULL, or buf NULL with cap %zu", cap);
    return call_keyed(d, MPR__OP_MDICT_GET, key, klen, NULL, 0, buf, cap, len, NULL);
}

int mpr_dict_delete(mpr_dict d, const void *key, size_t klen)
{
    MPR_CHECK(check(d, key, klen, 0, "mpr_dict_delete"));
    return call_keyed(d, MPR__OP_MDICT_DELETE, key, klen, NULL, 0, NULL, 0, NULL, NULL);
}

int mpr_dict_contains(mpr_dict d, const void *key, size_t klen)
{
    MPR_CHECK(check(d, key, klen, 0, "mpr_dict_contains"));
    uint64_t found = 0;
    MPR_CHECK(call_keyed(d, MPR__OP_MDICT_CONTAINS, key, klen, NULL, 0, NULL, 0, NULL, &found));
    return found != 0;
}

int mpr_dict_setdefault(mpr_dict d, const void *key, size_t klen, const void *dflt, size_t dlen,
                        void *buf, size_t cap, size_t *len)
{
    MPR_CHECK(check(d, key, klen, dlen, "mpr_dict_setdefault"));
    if (!len || (!buf && cap) || (!dflt && dlen))
        return mpr__fail(MPR_EINVAL, "mpr_dict_setdefault: len is NULL, or a NULL buffer with a "
                                     "size");
    return call_keyed(d, MPR__OP_MDICT_SETDEFAULT, key, klen, dflt, dlen, buf, cap, len, NULL);
}

static int str_key(const char *key, const char *what)
{
    return key ? MPR_OK : mpr__fail(MPR_EINVAL, "%s: key is NULL", what);
}

int mpr_dict_set_str(mpr_dict d, const char *key, const char *val)
{
    MPR_CHECK(str_key(key, "mpr_dict_set_str"));
    if (!val)
        return mpr__fail(MPR_EINVAL, "mpr_dict_set_str: value is NULL");
    return mpr_dict_set(d, key, strlen(key) + 1, val, strlen(val) + 1);
}

int mpr_dict_get_str(mpr_dict d, const char *key, char *buf, size_t cap)
{
    MPR_CHECK(str_key(key, "mpr_dict_get_str"));
    size_t len = 0;
    int rc = mpr_dict_get(d, key, strlen(key) + 1, buf, cap, &len);
    return mpr__finish_str(rc, buf, len, cap, "the dict value");
}

int mpr_dict_set_i64(mpr_dict d, const char *key, int64_t v)
{
    MPR_CHECK(str_key(key, "mpr_dict_set_i64"));
    return mpr_dict_set(d, key, strlen(key) + 1, &v, sizeof v);
}

int mpr_dict_get_i64(mpr_dict d, const char *key, int64_t *v)
{
    MPR_CHECK(str_key(key, "mpr_dict_get_i64"));
    if (!v)
        return mpr__fail(MPR_EINVAL, "mpr_dict_get_i64: out pointer is NULL");
    int64_t tmp = 0;
    size_t len = 0;
    int rc = mpr_dict_get(d, key, strlen(key) + 1, &tmp, sizeof tmp, &len);
    MPR_CHECK(mpr__expect_i64(rc, len, "the dict value"));
    *v = tmp;
    return MPR_OK;
}

int mpr_dict_len(mpr_dict d)
{
    MPR_CHECK(check(d, NULL, 0, 0, "mpr_dict_len"));
    mpr__request req = {.op = MPR__OP_MDICT_LEN, .kind = d.kind, .id = d.id};
    uint64_t n = 0;
    MPR_CHECK(mpr__call_simple(d.home, &req, &n));
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

static int snapshot(mpr_dict d, uint32_t op, mpr_items *out, const char *what)
{
    MPR_CHECK(check(d, NULL, 0, 0, what));
    mpr__request req = {.op = op, .kind = d.kind, .id = d.id};
    return mpr__snapshot_call(d.home, &req, out);
}

int mpr_dict_keys(mpr_dict d, mpr_items *out)
{
    return snapshot(d, MPR__OP_MDICT_KEYS, out, "mpr_dict_keys");
}

int mpr_dict_items(mpr_dict d, mpr_items *out)
{
    return snapshot(d, MPR__OP_MDICT_ITEMS, out, "mpr_dict_items");
}
