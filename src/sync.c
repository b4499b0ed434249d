/*
 * sync.c — Event, Condition and Barrier on the shared heap.
 *
 * WHAT
 *   The rest of Python's multiprocessing synchronization objects, for ranks
 *   on any node, built like lock.c: int64 words in a node heap (heap.c)
 *   changed only by MPI atomics, and waits that poll with wait.c's backoff.
 *
 * DESIGN
 *   Event: word 0 is the flag. wait polls it.
 *
 *   Condition: word 0 is a ticket counter, then one slot per world rank
 *   (a rank waits on at most one condition at a time: one mpr thread per
 *   rank). A waiter takes ticket t, writes its slot = t<<2 | WAITING,
 *   releases the lock completely and polls its slot. notify(n) reads all
 *   slots at once and flips the n oldest WAITING slots to t<<2 | NOTIFIED
 *   with compare-and-swap, oldest ticket first (Python wakes in FIFO
 *   order). A waiter that times out takes its slot back with a CAS
 *   WAITING -> 0: if that fails, a notify got there first and the wait
 *   counts as notified, so a notification is never lost on a waiter that
 *   left. Waiters then reacquire the lock (RLock with its old count).
 *
 *   Barrier: word 0 is the state, generation << 32 | flags | count, word 1
 *   the parties. Arrival is one fetch_add(+1) whose old value gives the
 *   generation and the arrival index; the arrival that completes a round
 *   adds (1 << 32) - parties, which starts the next generation and keeps
 *   any early arrivals of that next round (an arrival that sees count >=
 *   parties belongs to generation + count / parties). Waiters poll until
 *   the generation moves past theirs. A waiter that times out sets BROKEN
 *   (fetch_or), as abort does; waiters that see BROKEN or RESETTING leave
 *   with MPR_EBROKEN and take their count back. reset sets RESETTING; the
 *   last waiter to leave (or reset itself, if none waits) clears the flags
 *   and starts a new generation, as Python's reset does.
 *
 * INVARIANTS
 *   A Condition slot is 0 unless its rank is inside mpr_condition_wait.
 *   Barrier count < 2^30; BROKEN and RESETTING are cleared only together
 *   with a generation change by reset.
 */
#include "mpr-internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------------ Event */

int mpr_event_new(mpr_event *e)
{
    mpr_lock l;
    MPR_CHECK(mpr__sync_make(e ? &l : NULL, MPR__KIND_EVENT, 8));
    *e = MPR__FROM_LOCK(mpr_event, l);
    return MPR_OK;
}

static int event_put(mpr_event e, int64_t flag, const char *what)
{
    MPR_CHECK(mpr__sync_check(what, MPR__AS_LOCK(e), MPR__KIND_EVENT, 0));
    mpr__shm_i64(e.home, MPR__SHM_WRITE, e.offset, flag);
    return MPR_OK;
}

int mpr_event_set(mpr_event e) { return event_put(e, 1, "mpr_event_set"); }

int mpr_event_clear(mpr_event e) { return event_put(e, 0, "mpr_event_clear"); }

int mpr_event_is_set(mpr_event e)
{
    MPR_CHECK(mpr__sync_check("mpr_event_is_set", MPR__AS_LOCK(e), MPR__KIND_EVENT, 0));
    return mpr__shm_i64(e.home, MPR__SHM_READ, e.offset, 0) != 0;
}

typedef struct {
    mpr_event e;
    mpr__limit lim; /* of the whole wait (rpc.c): a silent home cannot hold it */
} event_wait;

static int event_flag(void *ctx)
{
    const event_wait *w = ctx;
    int64_t flag = 0;
    int rc = mpr__shm_i64_by(w->e.home, MPR__SHM_READ, w->e.offset, 0, w->lim, &flag);
    return rc == MPR_OK && flag != 0 ? MPR__READY : MPR__NOT_YET;
}

int mpr_event_wait(mpr_event e, double timeout)
{
    MPR_CHECK(mpr__sync_check("mpr_event_wait", MPR__AS_LOCK(e), MPR__KIND_EVENT, 0));
    event_wait w = {e, mpr__limit_of(timeout)};
    return mpr__wait_until(event_flag, &w, timeout) == MPR__READY;
}

/* -------------------------------------------- limits of a timed wait's steps */

/* One look during a wait that ends at deadline (MPI_Wtime; negative: none):
 * its act_by is the deadline plus slack, so a live home never refuses a look
 * made in time (a refusal would read as silence), and a silent one holds it
 * no longer than the deadline and its slack (rpc.c). */
static mpr__limit look_limit(double deadline)
{
    return deadline < 0 ? mpr__limit_none() : mpr__limit_of(mpr__remaining(deadline));
}

/* A step after the wait, or one that others wait for: the home applies it
 * whenever it comes (no act_by), and a timed caller waits for the answer
 * only until give_up. */
static mpr__limit applied_by_home(double give_up)
{
    return (mpr__limit){.act_by = -1, .give_up = give_up};
}

/* A cleanup step after a wait of timeout: applied by the home, waited for
 * as long as a timeout of 0 would be (its slack), or without end for an
 * untimed wait. */
static mpr__limit after_wait(double timeout)
{
    return applied_by_home(timeout < 0 ? -1 : mpr__limit_of(0).give_up);
}

/* -------------------------------------------------------------- Condition */

enum { WAITING = 1, NOTIFIED = 2, STATE_MASK = 3 };

static uint64_t slot_of(mpr_condition c, int rank) { return c.offset + 8 + 8 * (uint64_t)rank; }

static mpr_lock cond_as_lock(mpr_condition c) { return (mpr_lock){c.home, c.kind, c.offset}; }

/* The handles, and that this rank holds the lock (asked within lim). */
static int cond_check_by(const char *what, mpr_condition c, mpr__limit lim)
{
    MPR_CHECK(mpr__sync_check(what, cond_as_lock(c), MPR__KIND_COND, 0));
    MPR_CHECK(mpr__sync_check(what, c.lock, MPR__KIND_LOCK, MPR__KIND_RLOCK));
    int mine = mpr__lock_is_mine_by(c.lock, lim);
    if (mine == MPR_ETIMEDOUT)
        return mpr__fail(MPR_ETIMEDOUT,
                         "%s: the node of the Condition's lock (rank %d's) did not answer in "
                         "time; the lock is as it was",
                         what, c.lock.home);
    MPR_CHECK(mine);
    if (!mine)
        return mpr__fail(MPR_ESTATE, "%s: this rank (%d) does not hold the Condition's lock", what,
                         mpr__rt.rank);
    return MPR_OK;
}

static int cond_check(const char *what, mpr_condition c)
{
    return cond_check_by(what, c, mpr__limit_none());
}

int mpr_condition_new(mpr_condition *c, const mpr_lock *lock)
{
    if (!c)
        return mpr__fail(MPR_EINVAL, "mpr_condition_new: c is NULL");
    mpr_lock l;
    if (lock)
        MPR_CHECK(mpr__sync_check("mpr_condition_new", *lock, MPR__KIND_LOCK, MPR__KIND_RLOCK));
    else
        MPR_CHECK(mpr_rlock_new(&l));
    mpr_lock self;
    MPR_CHECK(mpr__sync_make(&self, MPR__KIND_COND, 8 + 8 * (size_t)mpr__rt.size));
    *c = (mpr_condition){self.home, self.kind, self.offset, lock ? *lock : l};
    return MPR_OK;
}

mpr_lock mpr_condition_lock(mpr_condition c) { return c.lock; }

typedef struct {
    int home;
    uint64_t slot;
    double deadline; /* of the wait; negative: none */
    bool silent;     /* out: the home did not answer the last look */
} slot_ref;

static int slot_notified(void *ctx)
{
    slot_ref *s = ctx;
    int64_t state = 0;
    s->silent = mpr__shm_i64_by(s->home, MPR__SHM_READ, s->slot, 0, look_limit(s->deadline),
                                &state) != MPR_OK;
    if (s->silent)
        return MPR__NOT_YET; /* the wait's own deadline ends it */
    return (state & STATE_MASK) == NOTIFIED;
}

static int cond_silent(mpr_condition c, const char *lock_state)
{
    return mpr__fail(MPR_ETIMEDOUT,
                     "the Condition's node (rank %d's) did not answer within the timeout; %s",
                     c.home, lock_state);
}

/* A timed wait keeps every step on the Condition's node within one limit,
 * so a node that stops answering cannot hold the caller past timeout + 2
 * slack: before the lock is released the call returns MPR_ETIMEDOUT with
 * the lock held; while waiting, it takes the lock back as Python does,
 * unless the lock is on the silent node too. */
int mpr_condition_wait(mpr_condition c, double timeout)
{
    mpr__limit lim = mpr__limit_of(timeout);
    MPR_CHECK(cond_check_by("mpr_condition_wait", c, lim));
    int64_t t = 0, ignored = 0;
    slot_ref s = {c.home, slot_of(c, mpr__rt.rank), -1, false};
    if (mpr__shm_i64_by(c.home, MPR__SHM_ADD, c.offset, 1, lim, &t) != MPR_OK)
        return cond_silent(c, "the lock is still held");
    t++;
    if (mpr__shm_i64_by(c.home, MPR__SHM_WRITE, s.slot, t << 2 | WAITING, lim, &ignored) != MPR_OK)
        return cond_silent(c, "the lock is still held");
    int64_t count = mpr__lock_release_all(c.lock);
    s.deadline = mpr__deadline(timeout);
    int notified = mpr__wait_until(slot_notified, &s, timeout) == MPR__READY;
    mpr__limit after = after_wait(timeout);
    int64_t seen = 0;
    if (!notified && !s.silent) { /* a notify racing the timeout still counts */
        s.silent = mpr__shm_cas64_by(c.home, s.slot, t << 2 | WAITING, 0, after, &seen) != MPR_OK;
        notified = !s.silent && seen != (t << 2 | WAITING);
    }
    if (notified)
        mpr__shm_i64_by(c.home, MPR__SHM_WRITE, s.slot, 0, after, &ignored);
    /* Silent, the slot stays WAITING there: a notify that reaches it later
     * counts this rank as woken. */
    if (s.silent && c.lock.home == c.home)
        return cond_silent(c, "its lock, on that node too, is not held");
    mpr__lock_restore(c.lock, count);
    return notified;
}

int mpr_condition_wait_for(mpr_condition c, int (*pred)(void *ctx), void *ctx, double timeout)
{
    if (!pred)
        return mpr__fail(MPR_EINVAL, "mpr_condition_wait_for: pred is NULL");
    double deadline = mpr__deadline(timeout);
    int result = pred(ctx);
    while (!result) {
        double left = mpr__remaining(deadline);
        if (left == 0)
            break;
        MPR_CHECK(mpr_condition_wait(c, left));
        result = pred(ctx);
    }
    return result;
}

/* Flips the oldest waiting slot not yet looked at; 1 if one was woken. */
static int wake_oldest(mpr_condition c, int64_t *slots, int n)
{
    for (;;) {
        int best = -1;
        for (int r = 0; r < n; r++)
            if ((slots[r] & STATE_MASK) == WAITING && (best < 0 || slots[r] < slots[best]))
                best = r;
        if (best < 0)
            return 0;
        int64_t want = slots[best];
        slots[best] = 0;
        int64_t seen = mpr__shm_cas64(c.home, slot_of(c, best), want,
                                      (want & ~(int64_t)STATE_MASK) | NOTIFIED);
        if (seen == want)
            return 1;
    }
}

int mpr_condition_notify(mpr_condition c, int n)
{
    MPR_CHECK(cond_check("mpr_condition_notify", c));
    if (n < 0) /* Python's notify(-1) is a ValueError */
        return mpr__fail(MPR_EINVAL, "mpr_condition_notify: n is %d; it must be >= 0", n);
    int size = mpr__rt.size;
    int64_t *slots = malloc(sizeof *slots * (size_t)size);
    if (!slots)
        return mpr__fail(MPR_ENOMEM, "no memory to read %d condition slots", size);
    int rc =
        mpr__shm_op(c.home, MPR__SHM_READ, 'q', slot_of(c, 0), (uint32_t)size, NULL, NULL, slots);
    int woken = 0;
    while (rc == MPR_OK && woken < n && wake_oldest(c, slots, size))
        woken++;
    free(slots);
    return rc == MPR_OK ? woken : rc;
}

int mpr_condition_notify_all(mpr_condition c) { return mpr_condition_notify(c, mpr__rt.size); }

/* ---------------------------------------------------------------- Barrier */

#define COUNT_MASK ((int64_t)0x3fffffff)
#define BROKEN     ((int64_t)1 << 30)
#define RESETTING  ((int64_t)1 << 31)
#define GEN_ONE    ((int64_t)1 << 32)
enum { PARTIES = 8 };

static int64_t gen_of(int64_t state) { return (int64_t)((uint64_t)state >> 32); }

int mpr_barrier_new(mpr_barrier *b, int parties)
{
    if (parties < 1 || parties > (int)COUNT_MASK / 2)
        return mpr__fail(MPR_EINVAL, "a Barrier needs 1 or more parties, not %d", parties);
    mpr_lock l;
    MPR_CHECK(mpr__sync_make(b ? &l : NULL, MPR__KIND_BARRIER, 16));
    *b = MPR__FROM_LOCK(mpr_barrier, l);
    mpr__shm_i64(b->home, MPR__SHM_WRITE, b->offset + PARTIES, parties);
    return MPR_OK;
}

/* A reset in progress ends when no waiter is left: clear the flags and
 * start a fresh generation. */
static void finish_reset(mpr_barrier b)
{
    int64_t s = mpr__shm_i64(b.home, MPR__SHM_READ, b.offset, 0);
    while ((s & RESETTING) && (s & COUNT_MASK) == 0) {
        int64_t seen = mpr__shm_cas64(b.home, b.offset, s, (gen_of(s) + 1) * GEN_ONE);
        if (seen == s)
            return;
        s = seen;
    }
}

/* A waiter leaves a broken or resetting barrier. */
static int leave_broken(mpr_barrier b, const char *why)
{
    mpr__shm_i64(b.home, MPR__SHM_ADD, b.offset, -1);
    finish_reset(b);
    return mpr__fail(MPR_EBROKEN, "barrier is broken (%s)", why);
}

/* A timed wait's word operation within its limit (rpc.c): false when the
 * home did not answer in time, the operation not applied. */
static bool barrier_op(mpr_barrier b, uint32_t op, uint64_t at, int64_t arg, mpr__limit lim,
                       int64_t *old)
{
    return mpr__shm_i64_by(b.home, op, b.offset + at, arg, lim, old) == MPR_OK;
}

static int home_silent(mpr_barrier b)
{
    return mpr__fail(MPR_ETIMEDOUT,
                     "the barrier's home (rank %d's node) did not answer within the timeout; "
                     "the barrier is as this rank's last answered step left it",
                     b.home);
}

typedef struct {
    mpr_barrier b;
    double deadline; /* of the wait; negative: none */
    int64_t gen;
    int64_t state; /* out: last state seen */
    bool silent;   /* out: the home did not answer the last look */
} barrier_wait_ctx;

static int round_over(void *ctx)
{
    barrier_wait_ctx *w = ctx;
    w->silent = !barrier_op(w->b, MPR__SHM_READ, 0, 0, look_limit(w->deadline), &w->state);
    if (w->silent)
        return MPR__NOT_YET; /* the wait's own deadline ends it */
    return (int32_t)(gen_of(w->state) - w->gen) > 0 || (w->state & (BROKEN | RESETTING));
}

/* Every step of a timed wait is bounded by one limit, so a home that stops
 * answering cannot hold the caller past timeout + 2 slack. */
int mpr_barrier_wait(mpr_barrier b, double timeout)
{
    MPR_CHECK(mpr__sync_check("mpr_barrier_wait", MPR__AS_LOCK(b), MPR__KIND_BARRIER, 0));
    mpr__limit lim = mpr__limit_of(timeout);
    int64_t parties = 0, v = 0, ignored = 0;
    if (!barrier_op(b, MPR__SHM_READ, PARTIES, 0, lim, &parties) ||
        !barrier_op(b, MPR__SHM_ADD, 0, 1, lim, &v))
        return home_silent(b);
    if (v & (BROKEN | RESETTING))
        return leave_broken(b, "broken before this rank arrived");
    int64_t count = v & COUNT_MASK;
    int64_t gen = (int64_t)(uint32_t)(gen_of(v) + count / parties);
    int index = (int)(count % parties);
    if (index == parties - 1) /* the others wait for this: the home must apply it */
        return barrier_op(b, MPR__SHM_ADD, 0, GEN_ONE - parties, applied_by_home(lim.give_up),
                          &ignored)
                   ? index
                   : home_silent(b);
    barrier_wait_ctx w = {b, mpr__deadline(timeout), gen, 0, false};
    int rc = mpr__wait_until(round_over, &w, timeout);
    if (rc == MPR__READY && (int32_t)(gen_of(w.state) - gen) > 0)
        return index;
    if (rc == 0 && w.silent)
        return home_silent(b); /* breaking it would wait for the same home */
    if (rc == 0) {             /* timed out: break it and leave, within a bound */
        mpr__limit after = after_wait(timeout);
        if (!barrier_op(b, MPR__SHM_OR, 0, BROKEN, after, &ignored) ||
            !barrier_op(b, MPR__SHM_ADD, 0, -1, after, &ignored))
            return home_silent(b);
        finish_reset(b);
        return mpr__fail(MPR_EBROKEN, "barrier is broken (a waiter timed out)");
    }
    return leave_broken(b, "aborted or reset while waiting");
}

int mpr_barrier_abort(mpr_barrier b)
{
    MPR_CHECK(mpr__sync_check("mpr_barrier_abort", MPR__AS_LOCK(b), MPR__KIND_BARRIER, 0));
    mpr__shm_i64(b.home, MPR__SHM_OR, b.offset, BROKEN);
    return MPR_OK;
}

int mpr_barrier_reset(mpr_barrier b)
{
    MPR_CHECK(mpr__sync_check("mpr_barrier_reset", MPR__AS_LOCK(b), MPR__KIND_BARRIER, 0));
    mpr__shm_i64(b.home, MPR__SHM_OR, b.offset, RESETTING);
    finish_reset(b);
    return MPR_OK;
}

int mpr_barrier_parties(mpr_barrier b)
{
    MPR_CHECK(mpr__sync_check("mpr_barrier_parties", MPR__AS_LOCK(b), MPR__KIND_BARRIER, 0));
    return (int)mpr__shm_i64(b.home, MPR__SHM_READ, b.offset + PARTIES, 0);
}

int mpr_barrier_n_waiting(mpr_barrier b)
{
    int parties = mpr_barrier_parties(b);
    MPR_CHECK(parties);
    int64_t s = mpr__shm_i64(b.home, MPR__SHM_READ, b.offset, 0);
    if (s & (BROKEN | RESETTING))
        return (int)(s & COUNT_MASK);
    return (int)((s & COUNT_MASK) % parties);
}

int mpr_barrier_broken(mpr_barrier b)
{
    MPR_CHECK(mpr__sync_check("mpr_barrier_broken", MPR__AS_LOCK(b), MPR__KIND_BARRIER, 0));
    return (mpr__shm_i64(b.home, MPR__SHM_READ, b.offset, 0) & (BROKEN | RESETTING)) != 0;
}
