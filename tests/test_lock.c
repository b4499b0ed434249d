/* Tests for Lock, RLock, Semaphore (src/lock.c) and Event, Condition,
 * Barrier (src/sync.c), each run on one node and with MPR_NODE_SPLIT=rank. */
#include "shared_test_util.h"

#include <time.h>

static double now(void) { return MPI_Wtime(); }

static void pause_ms(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

typedef struct {
    mpr_lock lock;
    mpr_value v;
    int32_t iters;
    int32_t pad;
} locked_args;

static int increment_child(const void *arg, size_t len)
{
    locked_args a;
    CHILD_ARG(a, arg, len);
    locked_increments(a.lock, a.v, a.iters);
    return 0;
}

/* Workers x iters locked load+store increments: none lost. */
MPR_TEST(locked_counter)
{
    MPR_TEST_NEED_WORKERS(1);
    locked_args a = {.iters = 10000};
    ASSERT_OK(mpr_lock_new(&a.lock));
    ASSERT_OK(mpr_value_new(&a.v, 'q', NULL, 0));
    int n = mpr_size() - 1;
    run_children(n, increment_child, &a, sizeof a);
    ASSERT_EQ(load_i64(a.v), (int64_t)n * a.iters);
    return 0;
}

static int release_child(const void *arg, size_t len)
{
    mpr_lock l;
    CHILD_ARG(l, arg, len);
    ASSERT_EQ(mpr_lock_is_mine(l), 0);
    ASSERT_RC(mpr_lock_acquire(l, 0.05), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_lock_release(l)); /* any rank may release a Lock */
    ASSERT_OK(mpr_lock_acquire(l, 1));
    return 0;
}

MPR_TEST(lock_basic)
{
    mpr_lock l;
    ASSERT_OK(mpr_lock_new(&l));
    ASSERT_RC(mpr_lock_release(l), MPR_ESTATE);
    ASSERT_OK(mpr_lock_acquire(l, 0));
    ASSERT_EQ(mpr_lock_is_mine(l), 1);
    double t = now();
    ASSERT_RC(mpr_lock_acquire(l, 0.2), MPR_ETIMEDOUT); /* not recursive */
    ASSERT_TRUE(now() - t >= 0.19);
    if (mpr_size() > 1) {
        run_children(1, release_child, &l, sizeof l);
        ASSERT_EQ(mpr_lock_is_mine(l), 0);
        ASSERT_OK(mpr_lock_release(l)); /* the child's hold */
    } else {
        ASSERT_OK(mpr_lock_release(l));
    }
    ASSERT_OK(mpr_lock_acquire(l, 0));
    ASSERT_OK(mpr_lock_release(l));
    mpr_lock bad = l;
    bad.kind = 7;
    ASSERT_RC(mpr_lock_acquire(bad, 0), MPR_EINVAL);
    return 0;
}

static int rlock_child(const void *arg, size_t len)
{
    mpr_lock l;
    CHILD_ARG(l, arg, len);
    ASSERT_RC(mpr_lock_release(l), MPR_ESTATE); /* owner only */
    ASSERT_CONTAINS(mpr_last_error(), "does not own");
    ASSERT_RC(mpr_lock_acquire(l, 0.05), MPR_ETIMEDOUT);
    return 0;
}

MPR_TEST(rlock)
{
    mpr_lock l;
    ASSERT_OK(mpr_rlock_new(&l));
    ASSERT_RC(mpr_lock_release(l), MPR_ESTATE);
    for (int i = 0; i < 3; i++)
        ASSERT_OK(mpr_lock_acquire(l, 0));
    if (mpr_size() > 1)
        run_children(1, rlock_child, &l, sizeof l);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(mpr_lock_is_mine(l), 1);
        ASSERT_OK(mpr_lock_release(l));
    }
    ASSERT_EQ(mpr_lock_is_mine(l), 0);
    ASSERT_RC(mpr_lock_release(l), MPR_ESTATE);
    return 0;
}

static int sem_child(const void *arg, size_t len)
{
    mpr_semaphore s;
    CHILD_ARG(s, arg, len);
    ASSERT_OK(mpr_semaphore_release(s));
    return 0;
}

MPR_TEST(semaphore)
{
    mpr_semaphore s, b;
    ASSERT_RC(mpr_semaphore_new(&s, -1), MPR_EINVAL);
    ASSERT_OK(mpr_semaphore_new(&s, 2));
    ASSERT_OK(mpr_semaphore_acquire(s, 0));
    ASSERT_OK(mpr_semaphore_acquire(s, 0));
    ASSERT_RC(mpr_semaphore_acquire(s, 0.1), MPR_ETIMEDOUT);
    ASSERT_EQ(mpr_semaphore_value(s), 0);
    if (mpr_size() > 1) {
        run_children(1, sem_child, &s, sizeof s);
        ASSERT_OK(mpr_semaphore_acquire(s, 5));
    }
    for (int i = 0; i < 5; i++) /* unbounded */
        ASSERT_OK(mpr_semaphore_release(s));
    ASSERT_EQ(mpr_semaphore_value(s), 5);
    ASSERT_OK(mpr_bounded_semaphore_new(&b, 1));
    ASSERT_RC(mpr_semaphore_release(b), MPR_ESTATE);
    ASSERT_CONTAINS(mpr_last_error(), "too many");
    ASSERT_EQ(mpr_semaphore_value(b), 1);
    ASSERT_OK(mpr_semaphore_acquire(b, 0));
    ASSERT_OK(mpr_semaphore_release(b));
    return 0;
}

/* ------------------------------------------------------------ starvation */

typedef struct {
    mpr_lock lock;
    mpr_event holding;
    mpr_value ratio_x100;
} starve_args;

static double spin_work(void)
{
    volatile double x = 0;
    double t = now();
    for (long i = 0; i < 20000000; i++)
        x += 1e-9;
    return now() - t;
}

static int holder_child(const void *arg, size_t len)
{
    starve_args a;
    CHILD_ARG(a, arg, len);
    double alone = spin_work();
    ASSERT_OK(mpr_lock_acquire(a.lock, -1));
    ASSERT_OK(mpr_event_set(a.holding));
    double contended = spin_work(); /* the others wait for the lock now */
    ASSERT_OK(mpr_lock_release(a.lock));
    int64_t r = (int64_t)(100 * contended / alone);
    ASSERT_OK(mpr_value_store(a.ratio_x100, &r));
    return 0;
}

static int waiter_child(const void *arg, size_t len)
{
    starve_args a;
    CHILD_ARG(a, arg, len);
    ASSERT_EQ(mpr_event_wait(a.holding, 30), 1);
    ASSERT_OK(mpr_lock_acquire(a.lock, 60));
    ASSERT_OK(mpr_lock_release(a.lock));
    return 0;
}

/* 8 ranks on 2 cores: waiters for a held lock must not take the holder's
 * CPU. The holder's work takes about as long with them waiting as alone
 * (busy-spinning waiters would make it 3-4x slower). */
MPR_TEST(holder_not_starved)
{
    MPR_TEST_NEED_WORKERS(2);
    starve_args a;
    ASSERT_OK(mpr_lock_new(&a.lock));
    ASSERT_OK(mpr_event_new(&a.holding));
    ASSERT_OK(mpr_value_new(&a.ratio_x100, 'q', NULL, 0));
    mpr_process *p[64];
    int n = mpr_size() - 1;
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_new(&p[i], i == 0 ? holder_child : waiter_child, &a, sizeof a));
        ASSERT_OK(mpr_process_start(p[i]));
    }
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
    int64_t r = 0;
    ASSERT_OK(mpr_value_load(a.ratio_x100, &r));
    printf("holder's work with %d waiters: %.2fx its time alone\n", n - 1, r / 100.0);
    ASSERT_TRUE(r < 250);
    return 0;
}

/* ------------------------------------------------------------------ Event */

static int event_child(const void *arg, size_t len)
{
    mpr_event e;
    CHILD_ARG(e, arg, len);
    ASSERT_EQ(mpr_event_is_set(e), 0);
    ASSERT_OK(mpr_event_set(e));
    return 0;
}

MPR_TEST(event)
{
    mpr_event e;
    ASSERT_OK(mpr_event_new(&e));
    ASSERT_EQ(mpr_event_is_set(e), 0);
    double t = now();
    ASSERT_EQ(mpr_event_wait(e, 0.2), 0);
    ASSERT_TRUE(now() - t >= 0.19 && now() - t < 5);
    if (mpr_size() > 1) {
        mpr_process *p;
        ASSERT_OK(mpr_process_new(&p, event_child, &e, sizeof e));
        ASSERT_OK(mpr_process_start(p));
        ASSERT_EQ(mpr_event_wait(e, 30), 1);
        ASSERT_OK(mpr_process_join(p, -1));
        ASSERT_EQ(mpr_process_exitcode(p), 0);
        mpr_process_free(p);
    } else {
        ASSERT_OK(mpr_event_set(e));
    }
    ASSERT_EQ(mpr_event_is_set(e), 1);
    ASSERT_EQ(mpr_event_wait(e, 0), 1);
    ASSERT_OK(mpr_event_clear(e));
    ASSERT_EQ(mpr_event_is_set(e), 0);
    return 0;
}

/* -------------------------------------------------------------- Condition */

typedef struct {
    mpr_condition c;
    mpr_value ready; /* children waiting */
    mpr_value woken;
} cond_args;

static int cond_child(const void *arg, size_t len)
{
    cond_args a;
    CHILD_ARG(a, arg, len);
    mpr_lock l = mpr_condition_lock(a.c);
    int64_t one = 1;
    ASSERT_OK(mpr_lock_acquire(l, -1));
    ASSERT_OK(mpr_value_fetch_add(a.ready, &one, NULL));
    int got = mpr_condition_wait(a.c, 60);
    ASSERT_EQ(got, 1);
    ASSERT_EQ(mpr_lock_is_mine(l), 1);
    ASSERT_OK(mpr_value_fetch_add(a.woken, &one, NULL));
    ASSERT_OK(mpr_lock_release(l));
    return 0;
}

static int value_at_least(void *ctx)
{
    const int64_t *want = ctx;
    return want[1] >= want[0];
}

/* Children wait; notify(1) wakes exactly one, notify_all the rest. */
MPR_TEST(condition)
{
    cond_args a;
    ASSERT_OK(mpr_condition_new(&a.c, NULL));
    ASSERT_OK(mpr_value_new(&a.ready, 'q', NULL, 0));
    ASSERT_OK(mpr_value_new(&a.woken, 'q', NULL, 0));
    mpr_lock l = mpr_condition_lock(a.c);
    ASSERT_RC(mpr_condition_notify(a.c, 1), MPR_ESTATE);
    ASSERT_RC(mpr_condition_wait(a.c, 0), MPR_ESTATE);
    ASSERT_OK(mpr_lock_acquire(l, -1));
    ASSERT_OK(mpr_lock_acquire(l, -1)); /* RLock: wait releases both */
    double t = now();
    ASSERT_EQ(mpr_condition_wait(a.c, 0.2), 0);
    ASSERT_TRUE(now() - t >= 0.19);
    ASSERT_EQ(mpr_condition_notify(a.c, 1), 0);
    ASSERT_OK(mpr_lock_release(l));
    ASSERT_OK(mpr_lock_release(l));
    int n = mpr_size() - 1;
    if (n < 1)
        return 0;
    mpr_process *p[64];
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_new(&p[i], cond_child, &a, sizeof a));
        ASSERT_OK(mpr_process_start(p[i]));
    }
    int64_t want[2] = {n, 0};
    while ((want[1] = load_i64(a.ready)) < n)
        pause_ms();
    /* A child counts itself ready under the lock and is waiting once it
     * let go of it, so all n wait once rank 0 holds the lock. */
    ASSERT_OK(mpr_lock_acquire(l, -1));
    ASSERT_EQ(mpr_condition_wait_for(a.c, value_at_least, want, 1), 1);
    ASSERT_EQ(mpr_condition_notify(a.c, 1), 1);
    ASSERT_OK(mpr_lock_release(l));
    t = now();
    while (load_i64(a.woken) < 1 && now() - t < 30)
        pause_ms();
    for (int i = 0; i < 20; i++) /* nobody else wakes */
        pause_ms();
    ASSERT_EQ(load_i64(a.woken), 1);
    ASSERT_OK(mpr_lock_acquire(l, -1));
    ASSERT_EQ(mpr_condition_notify_all(a.c), n - 1);
    ASSERT_OK(mpr_lock_release(l));
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
    ASSERT_EQ(load_i64(a.woken), n);
    return 0;
}

/* ---------------------------------------------------------------- Barrier */

typedef struct {
    mpr_barrier b;
    mpr_array seen; /* per arrival index: how many got it */
} barrier_args;

static int barrier_child(const void *arg, size_t len)
{
    barrier_args a;
    CHILD_ARG(a, arg, len);
    int64_t one = 1;
    for (int round = 0; round < 3; round++) {
        int idx = mpr_barrier_wait(a.b, 60);
        ASSERT_TRUE(idx >= 0 && idx < mpr_barrier_parties(a.b));
        ASSERT_OK(mpr_array_fetch_add(a.seen, (size_t)idx, &one, NULL));
    }
    return 0;
}

/* Every rank through 3 rounds: each index handed out once per round. */
MPR_TEST(barrier)
{
    barrier_args a;
    int parties = mpr_size();
    ASSERT_RC(mpr_barrier_new(&a.b, 0), MPR_EINVAL);
    ASSERT_OK(mpr_barrier_new(&a.b, parties));
    ASSERT_OK(mpr_array_new(&a.seen, 'q', (size_t)parties, NULL, 0));
    ASSERT_EQ(mpr_barrier_parties(a.b), parties);
    mpr_process *p[64];
    for (int i = 0; i < parties - 1; i++) {
        ASSERT_OK(mpr_process_new(&p[i], barrier_child, &a, sizeof a));
        ASSERT_OK(mpr_process_start(p[i]));
    }
    ASSERT_EQ(barrier_child(&a, sizeof a), 0);
    for (int i = 0; i < parties - 1; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
    int64_t seen[64];
    ASSERT_OK(mpr_array_read(a.seen, 0, (size_t)parties, seen));
    for (int i = 0; i < parties; i++)
        ASSERT_EQ(seen[i], 3);
    ASSERT_EQ(mpr_barrier_n_waiting(a.b), 0);
    ASSERT_EQ(mpr_barrier_broken(a.b), 0);
    return 0;
}

static int broken_child(const void *arg, size_t len)
{
    mpr_barrier b;
    CHILD_ARG(b, arg, len);
    ASSERT_RC(mpr_barrier_wait(b, 60), MPR_EBROKEN);
    return 0;
}

/* One party short: the waiter that times out breaks the barrier, and every
 * waiter gets MPR_EBROKEN; reset makes it usable again. */
MPR_TEST(barrier_broken)
{
    mpr_barrier b;
    int n = mpr_size() - 1;
    ASSERT_OK(mpr_barrier_new(&b, mpr_size() + 1));
    mpr_process *p[64];
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_new(&p[i], broken_child, &b, sizeof b));
        ASSERT_OK(mpr_process_start(p[i]));
    }
    double t = now();
    ASSERT_RC(mpr_barrier_wait(b, 0.5), MPR_EBROKEN);
    ASSERT_TRUE(now() - t >= 0.49);
    ASSERT_CONTAINS(mpr_last_error(), "timed out");
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
    ASSERT_EQ(mpr_barrier_broken(b), 1);
    ASSERT_RC(mpr_barrier_wait(b, 1), MPR_EBROKEN);
    ASSERT_OK(mpr_barrier_reset(b));
    ASSERT_EQ(mpr_barrier_broken(b), 0);
    ASSERT_EQ(mpr_barrier_n_waiting(b), 0);
    mpr_barrier one;
    ASSERT_OK(mpr_barrier_new(&one, 1));
    ASSERT_EQ(mpr_barrier_wait(one, 0), 0);
    ASSERT_OK(mpr_barrier_abort(one));
    ASSERT_RC(mpr_barrier_wait(one, 0), MPR_EBROKEN);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(locked_counter), MPR_TEST_ENTRY(lock_basic), MPR_TEST_ENTRY(rlock),
              MPR_TEST_ENTRY(semaphore), MPR_TEST_ENTRY(holder_not_starved), MPR_TEST_ENTRY(event),
              MPR_TEST_ENTRY(condition), MPR_TEST_ENTRY(barrier), MPR_TEST_ENTRY(barrier_broken))
