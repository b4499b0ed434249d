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
 */
#include "mpr-internal.h"

#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------- Value, Array */

enum { FLAG_LOCK = 0x100 };

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

/* A handle is checked before any window access: the local path has no
 * server to refuse a damaged offset, and buf (the caller's element or
 * elements) must not be NULL. */
static int check_elems(const char *what, int32_t home, uint32_t type, uint64_t offset, uint64_t len,
                       size_t start, size_t n, const void *buf)
{
    size_t es = mpr_typecode_size(code_of(type));
    if (home < 0 || home >= mpr__rt.size || es == 0)
        return mpr__fail(MPR_EINVAL, "%s: not a Value/Array handle (home %d, type 0x%x)", what,
                         home, type);
    if (len > UINT64_MAX / es || !mpr__shm_span_ok(offset, len * es))
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

int mpr_value_new(mpr_value *v, char typecode, const void *init, int lock)
{
    if (!v)
        return mpr__fail(MPR_EINVAL, "mpr_value_new: v is NULL");
    mpr_value nv = {.type = (uint32_t)(unsigned char)typecode | (lock ? FLAG_LOCK : 0)};
    MPR_CHECK(carve(typecode, 1, lock, &nv.home, &nv.offset, &nv.lock));
    if (init)
        MPR_CHECK(mpr__shm_op(nv.home, MPR__SHM_WRITE, typecode, nv.offset, 1, init, NULL, NULL));
    *v = nv;
    return MPR_OK;
}

int mpr_value_load(mpr_value v, void *out)
{
    MPR_CHECK(check_elems("mpr_value_load", v.home, v.type, v.offset, 1, 0, 1, out));
    return mpr__shm_op(v.home, MPR__SHM_READ, code_of(v.type), v.offset, 1, NULL, NULL, out);
}

int mpr_value_store(mpr_value v, const void *in)
{
    MPR_CHECK(check_elems("mpr_value_store", v.home, v.type, v.offset, 1, 0, 1, in));
    return mpr__shm_op(v.home, MPR__SHM_WRITE, code_of(v.type), v.offset, 1, in, NULL, NULL);
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
    MPR_CHECK(check_elems("mpr_array_read", a.home, a.type, a.offset, a.length, start, n, out));
    return mpr__shm_op(a.home, MPR__SHM_READ, code_of(a.type), elem_off(a.offset, a.type, start),
                       (uint32_t)n, NULL, NULL, out);
}

int mpr_array_write(mpr_array a, size_t start, size_t n, const void *in)
{
    MPR_CHECK(check_elems("mpr_array_write", a.home, a.type, a.offset, a.length, start, n, in));
    return mpr__shm_op(a.home, MPR__SHM_WRITE, code_of(a.type), elem_off(a.offset, a.type, start),
                       (uint32_t)n, in, NULL, NULL);
}

int mpr_array_fetch_add(mpr_array a, size_t index, const void *delta, void *old)
{
    MPR_CHECK(check_elems("fetch_add", a.home, a.type, a.offset, a.length, index, 1, delta));
    char tmp[8];
    return mpr__shm_op(a.home, MPR__SHM_ADD, code_of(a.type), elem_off(a.offset, a.type, index), 1,
                       delta, NULL, old ? old : tmp);
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
    MPR_CHECK(mpr__shm_op(a.home, MPR__SHM_CAS, code_of(a.type), elem_off(a.offset, a.type, index),
                          1, desired, expected, seen));
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
    if (es == 0 || a.length > UINT64_MAX / es)
        return NULL;                                        /* a damaged handle */
    return mpr__shm_local(a.home, a.offset, a.length * es); /* NULL for another node's heap */
}
