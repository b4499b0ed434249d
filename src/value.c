/*
 * value.c — multiprocessing.Value and Array: typed elements on the node's
 * shared heap (heap.c).
 *
 * DESIGN
 *   A Value is one element, an Array n of them, carved from the heap of the
 *   creating rank's node; the handle (home, offset, type, length) is plain
 *   bytes. Every access is an MPI atomic through heap.c, so a rank of
 *   another node reaches the element through its home's heap server.
 *   lock=1 puts an RLock (lock.c) right after the elements, as Python's
 *   synchronized wrappers carry one.
 *   A read-mostly Value (mpr_value_new_opts) is a replica.c cell instead:
 *   loads read the caller's node's copy, writes go through the home and
 *   update every copy. Its RLock, if any, is carved apart.
 */
#include "mpr-internal.h"

#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------- Value, Array */

enum { FLAG_LOCK = 0x100, FLAG_READ_MOSTLY = 0x200 };

static char code_of(uint32_t type) { return (char)(type & 0xff); }

/* An element and, for lock=1, its RLock right after (Python's default
 * lock for a synchronized Value or Array is an RLock). */
static int carve(char typecode, size_t n, int lock, int32_t *home, uint64_t *off, uint64_t *lk)
{
    MPR_CHECK(mpr__typecode_check(typecode));
    size_t es = mpr_typecode_size(typecode);
    if (n == 0 || n > (size_t)INT32_MAX)
        return mpr__fail(MPR_EINVAL, "an Array needs 1 to %d elements, not %zu", INT32_MAX, n);
    size_t data = (es * n + 7) & ~(size_t)7;
    MPR_CHECK(mpr__shm_alloc(data + (lock ? MPR__RLOCK_BYTES : 0), home, off));
    *lk = lock ? *off + data : 0;
    return MPR_OK;
}

/* A read-mostly Value: its cell, and apart from it its RLock. */
static int carve_read_mostly(char typecode, int lock, int32_t *home, uint64_t *off, uint64_t *lk)
{
    MPR_CHECK(mpr__typecode_check(typecode));
    *lk = 0;
    MPR_CHECK(mpr__replica_alloc(off)); /* first: when cells run out, no lock is carved */
    if (lock)
        MPR_CHECK(mpr__shm_alloc(MPR__RLOCK_BYTES, home, lk));
    *home = mpr__node_leader_of(mpr__rt.rank);
    return MPR_OK;
}

static bool read_mostly(uint32_t type) { return (type & FLAG_READ_MOSTLY) != 0; }

/* A handle is checked before any window access: the local path has no
 * server to refuse a damaged offset, and buf (the caller's element or
 * elements) must not be NULL. A read-mostly Value's home must be a node's
 * leader, whose server orders its writes. */
static int check_elems(const char *what, int32_t home, uint32_t type, uint64_t offset, uint64_t len,
                       size_t start, size_t n, const void *buf)
{
    size_t es = mpr_typecode_size(code_of(type));
    if (home < 0 || home >= mpr__rt.size || es == 0 ||
        (read_mostly(type) && (len != 1 || mpr__node_leader_of(home) != home)))
        return mpr__fail(MPR_EINVAL, "%s: not a Value/Array handle (home %d, type 0x%x)", what,
                         home, type);
    bool placed = read_mostly(type) ? mpr__replica_cell_ok(offset)
                                    : len <= UINT64_MAX / es && mpr__shm_span_ok(offset, len * es);
    if (!placed)
        return mpr__fail(MPR_EINVAL,
                         "%s: a damaged Value/Array handle (%llu elements at offset %llu of a "
                         "%llu-byte heap)",
                         what, (unsigned long long)len, (unsigned long long)offset,
                         (unsigned long long)mpr__shm_heap_size());
    if (!buf)
        return mpr__fail(MPR_EINVAL, "%s: the element pointer is NULL", what);
    if (start > len || n > len - start || n == 0)
        return mpr__fail(MPR_EINVAL, "%s: elements [%zu, %zu) are outside [0, %llu)", what, start,
                         start + n, (unsigned long long)len);
    return MPR_OK;
}

static uint64_t elem_off(uint64_t base, uint32_t type, size_t index)
{
    return base + (uint64_t)index * mpr_typecode_size(code_of(type));
}

static int lock_of(int32_t home, uint32_t type, uint64_t lk, mpr_lock *out)
{
    if (!out)
        return mpr__fail(MPR_EINVAL, "get_lock: the out pointer is NULL");
    if (!(type & FLAG_LOCK))
        return mpr__fail(MPR_ESTATE, "a raw Value/Array (lock=0) has no lock: create it with "
                                     "lock=1 or use a separate mpr_lock");
    *out = mpr__rlock_at(home, lk);
    return MPR_OK;
}

/* A write of one element (WRITE, ADD or CAS), through the home for a
 * read-mostly Value. */
static int write_elem(int32_t home, uint32_t type, uint32_t op, uint64_t offset, const void *origin,
                      const void *compare, void *old)
{
    if (read_mostly(type))
        return mpr__replica_write(home, op, code_of(type), offset, origin, compare, old);
    return mpr__shm_op(home, op, code_of(type), offset, 1, origin, compare, old);
}

int mpr_value_new_opts(mpr_value *v, char typecode, const void *init, const mpr_value_opts *opts)
{
    if (!v || !opts)
        return mpr__fail(MPR_EINVAL, "mpr_value_new_opts: %s is NULL", v ? "opts" : "v");
    int lock = opts->lock != 0;
    mpr_value nv = {.type = (uint32_t)(unsigned char)typecode | (lock ? FLAG_LOCK : 0) |
                            (opts->read_mostly ? FLAG_READ_MOSTLY : 0)};
    if (opts->read_mostly)
        MPR_CHECK(carve_read_mostly(typecode, lock, &nv.home, &nv.offset, &nv.lock));
    else
        MPR_CHECK(carve(typecode, 1, lock, &nv.home, &nv.offset, &nv.lock));
    if (init)
        MPR_CHECK(write_elem(nv.home, nv.type, MPR__SHM_WRITE, nv.offset, init, NULL, NULL));
    *v = nv;
    return MPR_OK;
}

int mpr_value_new(mpr_value *v, char typecode, const void *init, int lock)
{
    if (!v)
        return mpr__fail(MPR_EINVAL, "mpr_value_new: v is NULL");
    return mpr_value_new_opts(v, typecode, init, &(mpr_value_opts){.lock = lock});
}

int mpr_value_load(mpr_value v, void *out)
{
    MPR_CHECK(check_elems("mpr_value_load", v.home, v.type, v.offset, 1, 0, 1, out));
    if (read_mostly(v.type))
        return mpr__replica_load(code_of(v.type), v.offset, out);
    return mpr__shm_op(v.home, MPR__SHM_READ, code_of(v.type), v.offset, 1, NULL, NULL, out);
}

int mpr_value_store(mpr_value v, const void *in)
{
    MPR_CHECK(check_elems("mpr_value_store", v.home, v.type, v.offset, 1, 0, 1, in));
    return write_elem(v.home, v.type, MPR__SHM_WRITE, v.offset, in, NULL, NULL);
}

int mpr_value_fetch_add(mpr_value v, const void *delta, void *old)
{
    return mpr_array_fetch_add((mpr_array){v.home, v.type, v.offset, 1, v.lock}, 0, delta, old);
}

int mpr_value_compare_and_swap(mpr_value v, const void *expected, const void *desired, void *old)
{
    return mpr_array_compare_and_swap((mpr_array){v.home, v.type, v.offset, 1, v.lock}, 0, expected,
                                      desired, old);
}

int mpr_value_get_lock(mpr_value v, mpr_lock *lock)
{
    return lock_of(v.home, v.type, v.lock, lock);
}

char mpr_value_typecode(mpr_value v) { return code_of(v.type); }

int mpr_array_new(mpr_array *a, char typecode, size_t length, const void *init, int lock)
{
    if (!a)
        return mpr__fail(MPR_EINVAL, "mpr_array_new: a is NULL");
    mpr_array na = {.type = (uint32_t)(unsigned char)typecode | (lock ? FLAG_LOCK : 0),
                    .length = length};
    MPR_CHECK(carve(typecode, length, lock, &na.home, &na.offset, &na.lock));
    if (init)
        MPR_CHECK(mpr__shm_op(na.home, MPR__SHM_WRITE, typecode, na.offset, (uint32_t)length, init,
                              NULL, NULL));
    *a = na;
    return MPR_OK;
}

int mpr_array_read(mpr_array a, size_t start, size_t n, void *out)
{
    if (read_mostly(a.type))
        return mpr__fail(MPR_EINVAL, "mpr_array_read: not an Array handle (type 0x%x)", a.type);
    MPR_CHECK(check_elems("mpr_array_read", a.home, a.type, a.offset, a.length, start, n, out));
    return mpr__shm_op(a.home, MPR__SHM_READ, code_of(a.type), elem_off(a.offset, a.type, start),
                       (uint32_t)n, NULL, NULL, out);
}

int mpr_array_write(mpr_array a, size_t start, size_t n, const void *in)
{
    if (read_mostly(a.type))
        return mpr__fail(MPR_EINVAL, "mpr_array_write: not an Array handle (type 0x%x)", a.type);
    MPR_CHECK(check_elems("mpr_array_write", a.home, a.type, a.offset, a.length, start, n, in));
    return mpr__shm_op(a.home, MPR__SHM_WRITE, code_of(a.type), elem_off(a.offset, a.type, start),
                       (uint32_t)n, in, NULL, NULL);
}

int mpr_array_fetch_add(mpr_array a, size_t index, const void *delta, void *old)
{
    MPR_CHECK(check_elems("fetch_add", a.home, a.type, a.offset, a.length, index, 1, delta));
    char tmp[8];
    return write_elem(a.home, a.type, MPR__SHM_ADD, elem_off(a.offset, a.type, index), delta, NULL,
                      old ? old : tmp);
}

int mpr_array_compare_and_swap(mpr_array a, size_t index, const void *expected, const void *desired,
                               void *old)
{
    MPR_CHECK(
        check_elems("compare_and_swap", a.home, a.type, a.offset, a.length, index, 1, desired));
    if (!expected)
        return mpr__fail(MPR_EINVAL, "compare_and_swap: expected is NULL");
    char seen[8];
    size_t es = mpr_typecode_size(code_of(a.type));
    MPR_CHECK(write_elem(a.home, a.type, MPR__SHM_CAS, elem_off(a.offset, a.type, index), desired,
                         expected, seen));
    if (old)
        memcpy(old, seen, es);
    return memcmp(seen, expected, es) == 0;
}

int mpr_array_get_lock(mpr_array a, mpr_lock *lock)
{
    return lock_of(a.home, a.type, a.lock, lock);
}

size_t mpr_array_len(mpr_array a) { return (size_t)a.length; }

char mpr_array_typecode(mpr_array a) { return code_of(a.type); }

void *mpr_array_ptr(mpr_array a)
{
    size_t es = mpr_typecode_size(code_of(a.type));
    if (es == 0 || a.length > UINT64_MAX / es || read_mostly(a.type))
        return NULL;                                        /* a damaged handle */
    return mpr__shm_local(a.home, a.offset, a.length * es); /* NULL for another node's heap */
}
