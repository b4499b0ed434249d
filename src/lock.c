/*
 * lock.c — Lock, RLock, Semaphore and BoundedSemaphore on the shared heap.
 *
 * WHAT
 *   Python's multiprocessing locks for ranks on any node. Each object is a
 *   few int64 words in the heap of the node of the rank that made it
 *   (heap.c), changed only by MPI atomics on that node's window.
 *
 * DESIGN
 *   Lock:  word 0 = owner rank + 1, 0 when free. Acquire is a
 *          compare-and-swap 0 -> me; release swaps the owner back to 0, so
 *          any rank may release (Python's Lock) and releasing a free Lock
 *          is an error.
 *   RLock: word 0 owner as above, word 1 the recursion count, written only
 *          by the owner while it holds the lock.
 *   Semaphore: word 0 the value, word 1 the bound (-1: unbounded).
 *          Acquire is a CAS loop value -> value - 1 while value > 0;
 *          release is fetch_add(+1), or for a bounded one a CAS loop that
 *          refuses to pass the bound (so a refused release had no effect).
 *
 *   Waiting is polling with wait.c's backoff: a few quick tries, then
 *   sched_yield, then sleeps doubling up to MPR_BACKOFF_MAX_US. That is
 *   a test-and-test-and-set lock rather than an MCS queue lock, on
 *   purpose: every try is one RMA round trip (a local atomic on the node,
 *   one request to the node's heap server from elsewhere), timeouts are
 *   just "stop trying" (an MCS waiter that gives up must unlink itself
 *   from the queue, which needs a second protocol), and any-rank release
 *   needs no queue node of the owner. The price is fairness: a sleeping
 *   waiter may be overtaken. The backoff is what keeps waiters from
 *   starving the holder on an oversubscribed node (8 ranks on 2 cores in
 *   CI): they sleep instead of spinning, so the holder gets a core.
 *
 * INVARIANTS
 *   Lock/RLock word 0 is 0 or a rank + 1; RLock count > 0 iff owned.
 *   0 <= semaphore value, and value <= bound for a bounded one.
 */
#include "mpr-internal.h"

enum { OWNER = 0, COUNT = 8, VALUE = 0, BOUND = 8 };

static int64_t me(void) { return (int64_t)mpr__rt.rank + 1; }

/* A handle of one of the kinds wanted (kind2 0: only kind1). */
int mpr__sync_check(const char *what, mpr_lock l, uint32_t kind1, uint32_t kind2)
{
    MPR_CHECK(mpr__require_init());
    if (l.home < 0 || l.home >= mpr__rt.size || l.offset == 0 ||
        (l.kind != kind1 && (kind2 == 0 || l.kind != kind2)))
        return mpr__fail(MPR_EINVAL,
                         "%s: not a handle of the right kind (home %d, kind 0x%x, offset %llu)",
                         what, l.home, l.kind, (unsigned long long)l.offset);
    /* The object's bytes, as mpr__sync_make carved them: a forged offset
     * must not reach the window (out of bounds here, an assertion at a
     * remote heap server). */
    uint64_t bytes = l.kind == MPR__KIND_LOCK || l.kind == MPR__KIND_EVENT ? 8
                     : l.kind == MPR__KIND_COND ? 8 + 8 * (uint64_t)mpr__rt.size
                                                : 16;
    if (!mpr__shm_span_ok(l.offset, bytes))
        return mpr__fail(MPR_EINVAL,
                         "%s: a damaged handle (offset %llu is outside the shared heap's objects)",
                         what, (unsigned long long)l.offset);
    return MPR_OK;
}

int mpr__sync_make(mpr_lock *out, uint32_t kind, size_t bytes)
{
    if (!out)
        return mpr__fail(MPR_EINVAL, "NULL handle pointer");
    mpr_lock l = {.kind = kind};
    MPR_CHECK(mpr__shm_alloc(bytes, &l.home, &l.offset));
    *out = l;
    return MPR_OK;
}

/* ------------------------------------------------------------ Lock, RLock */

mpr_lock mpr__rlock_at(int32_t home, uint64_t offset)
{
    return (mpr_lock){.home = home, .kind = MPR__KIND_RLOCK, .offset = offset};
}

int mpr_lock_new(mpr_lock *l) { return mpr__sync_make(l, MPR__KIND_LOCK, 8); }

int mpr_rlock_new(mpr_lock *l) { return mpr__sync_make(l, MPR__KIND_RLOCK, MPR__RLOCK_BYTES); }

/* A timed wait on an object of the heap: the object, and the limit of
 * the call (rpc.c) every operation of the wait keeps to, so that a home
 * that does not answer (its ranks stopped) cannot hold the wait past it. */
typedef struct {
    mpr_lock l;
    mpr__limit lim;
    bool silent; /* the home did not answer the last try */
} timed_try;

static int try_lock(void *ctx)
{
    timed_try *t = ctx;
    int64_t old = 0;
    int rc = mpr__shm_cas64_by(t->l.home, t->l.offset + OWNER, 0, me(), t->lim, &old);
    t->silent = rc == MPR_ETIMEDOUT;
    return rc == MPR_OK && old == 0 ? MPR__READY : MPR__NOT_YET;
}

int mpr_lock_acquire(mpr_lock l, double timeout)
{
    MPR_CHECK(mpr__sync_check("mpr_lock_acquire", l, MPR__KIND_LOCK, MPR__KIND_RLOCK));
    timed_try t = {l, mpr__limit_of(timeout), false};
    int64_t owner = 0;
    if (l.kind == MPR__KIND_RLOCK &&
        mpr__shm_i64_by(l.home, MPR__SHM_READ, l.offset + OWNER, 0, t.lim, &owner) == MPR_OK &&
        owner == me()) {
        mpr__shm_i64(l.home, MPR__SHM_ADD, l.offset + COUNT, 1); /* ours: no other rank waits */
        return MPR_OK;
    }
    if (mpr__wait_until(try_lock, &t, timeout) != MPR__READY) {
        if (t.silent)
            return mpr__fail(MPR_ETIMEDOUT,
                             "lock not acquired within %g s: its home node (rank %d) does not "
                             "answer",
                             timeout, l.home);
        /* Within the same limit: the home may stop answering right now. */
        if (mpr__shm_i64_by(l.home, MPR__SHM_READ, l.offset + OWNER, 0, t.lim, &owner) != MPR_OK)
            return mpr__fail(MPR_ETIMEDOUT, "lock not acquired within %g s", timeout);
        return mpr__fail(MPR_ETIMEDOUT, "lock not acquired within %g s (held by rank %lld)",
                         timeout, (long long)owner - 1);
    }
    if (l.kind == MPR__KIND_RLOCK)
        mpr__shm_i64(l.home, MPR__SHM_WRITE, l.offset + COUNT, 1);
    return MPR_OK;
}

static int release_rlock(mpr_lock l)
{
    int64_t owner = mpr__shm_i64(l.home, MPR__SHM_READ, l.offset + OWNER, 0);
    if (owner != me())
        return mpr__fail(MPR_ESTATE,
                         "cannot release an RLock this rank (%d) does not own (owner: %s %lld)",
                         mpr__rt.rank, owner ? "rank" : "none", (long long)owner - 1);
    if (mpr__shm_i64(l.home, MPR__SHM_ADD, l.offset + COUNT, -1) == 1)
        mpr__shm_i64(l.home, MPR__SHM_WRITE, l.offset + OWNER, 0);
    return MPR_OK;
}

int mpr_lock_release(mpr_lock l)
{
    MPR_CHECK(mpr__sync_check("mpr_lock_release", l, MPR__KIND_LOCK, MPR__KIND_RLOCK));
    if (l.kind == MPR__KIND_RLOCK)
        return release_rlock(l);
    if (mpr__shm_i64(l.home, MPR__SHM_SWAP, l.offset + OWNER, 0) == 0)
        return mpr__fail(MPR_ESTATE, "release of an unlocked Lock (rank %d)", mpr__rt.rank);
    return MPR_OK;
}

int mpr_lock_is_mine(mpr_lock l)
{
    MPR_CHECK(mpr__sync_check("mpr_lock_is_mine", l, MPR__KIND_LOCK, MPR__KIND_RLOCK));
    return mpr__shm_i64(l.home, MPR__SHM_READ, l.offset + OWNER, 0) == me();
}

int mpr__lock_is_mine_by(mpr_lock l, mpr__limit lim)
{
    int64_t owner = 0;
    MPR_CHECK(mpr__shm_i64_by(l.home, MPR__SHM_READ, l.offset + OWNER, 0, lim, &owner));
    return owner == me();
}

/* ------------------------------------------------------------- Semaphore */

static int new_semaphore(mpr_semaphore *s, int64_t value, uint32_t kind)
{
    if (value < 0)
        return mpr__fail(MPR_EINVAL, "a semaphore's initial value must be >= 0, not %lld",
                         (long long)value);
    mpr_lock l = {0}; /* set by mpr__sync_make; zeroed so the compiler sees it set */
    MPR_CHECK(mpr__sync_make(s ? &l : NULL, kind, 16));
    *s = MPR__FROM_LOCK(mpr_semaphore, l);
    mpr__shm_i64(s->home, MPR__SHM_WRITE, s->offset + VALUE, value);
    mpr__shm_i64(s->home, MPR__SHM_WRITE, s->offset + BOUND, kind == MPR__KIND_BSEM ? value : -1);
    return MPR_OK;
}

int mpr_semaphore_new(mpr_semaphore *s, int64_t value)
{
    return new_semaphore(s, value, MPR__KIND_SEM);
}

int mpr_bounded_semaphore_new(mpr_semaphore *s, int64_t value)
{
    return new_semaphore(s, value, MPR__KIND_BSEM);
}

static int try_down(void *ctx)
{
    const timed_try *t = ctx;
    int64_t v = 0, seen = 0;
    if (mpr__shm_i64_by(t->l.home, MPR__SHM_READ, t->l.offset + VALUE, 0, t->lim, &v) != MPR_OK)
        return MPR__NOT_YET;
    while (v > 0) {
        if (mpr__shm_cas64_by(t->l.home, t->l.offset + VALUE, v, v - 1, t->lim, &seen) != MPR_OK)
            return MPR__NOT_YET;
        if (seen == v)
            return MPR__READY;
        v = seen;
    }
    return MPR__NOT_YET;
}

int mpr_semaphore_acquire(mpr_semaphore s, double timeout)
{
    MPR_CHECK(
        mpr__sync_check("mpr_semaphore_acquire", MPR__AS_LOCK(s), MPR__KIND_SEM, MPR__KIND_BSEM));
    timed_try t = {MPR__AS_LOCK(s), mpr__limit_of(timeout), false};
    if (mpr__wait_until(try_down, &t, timeout) != MPR__READY)
        return mpr__fail(MPR_ETIMEDOUT, "semaphore not acquired within %g s", timeout);
    return MPR_OK;
}

int mpr_semaphore_release(mpr_semaphore s)
{
    MPR_CHECK(
        mpr__sync_check("mpr_semaphore_release", MPR__AS_LOCK(s), MPR__KIND_SEM, MPR__KIND_BSEM));
    if (s.kind == MPR__KIND_SEM) {
        mpr__shm_i64(s.home, MPR__SHM_ADD, s.offset + VALUE, 1);
        return MPR_OK;
    }
    int64_t bound = mpr__shm_i64(s.home, MPR__SHM_READ, s.offset + BOUND, 0);
    int64_t v = mpr__shm_i64(s.home, MPR__SHM_READ, s.offset + VALUE, 0);
    for (;;) {
        if (v >= bound)
            return mpr__fail(MPR_ESTATE,
                             "BoundedSemaphore released too many times (value %lld, bound %lld)",
                             (long long)v, (long long)bound);
        int64_t seen = mpr__shm_cas64(s.home, s.offset + VALUE, v, v + 1);
        if (seen == v)
            return MPR_OK;
        v = seen;
    }
}

int64_t mpr_semaphore_value(mpr_semaphore s)
{
    MPR_CHECK(
        mpr__sync_check("mpr_semaphore_value", MPR__AS_LOCK(s), MPR__KIND_SEM, MPR__KIND_BSEM));
    return mpr__shm_i64(s.home, MPR__SHM_READ, s.offset + VALUE, 0);
}

/* ------------------------------------------------- for Condition (sync.c) */

int64_t mpr__lock_release_all(mpr_lock l)
{
    int64_t count = 1;
    if (l.kind == MPR__KIND_RLOCK) {
        count = mpr__shm_i64(l.home, MPR__SHM_READ, l.offset + COUNT, 0);
        mpr__shm_i64(l.home, MPR__SHM_WRITE, l.offset + COUNT, 0);
    }
    mpr__shm_i64(l.home, MPR__SHM_WRITE, l.offset + OWNER, 0);
    return count;
}

void mpr__lock_restore(mpr_lock l, int64_t count)
{
    timed_try t = {l, mpr__limit_none(), false};
    MPR_ASSERT(mpr__wait_until(try_lock, &t, -1) == MPR__READY);
    if (l.kind == MPR__KIND_RLOCK)
        mpr__shm_i64(l.home, MPR__SHM_WRITE, l.offset + COUNT, count);
}
