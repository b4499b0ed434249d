/*
 * wait.c — blocking without burning a core: the one wait of mpr.
 *
 * DESIGN
 *   Open MPI's blocking calls poll: a rank waiting in MPI_Recv keeps a core
 *   at 100%, and on an oversubscribed node (this project's CI: 2 cores, up
 *   to 8 ranks) the waiting ranks starve the working ones; yield_when_idle
 *   does not cure it. So every wait in mpr is a loop of MPI_Improbe/MPI_Test
 *   and a pause that grows: a few quick polls (a reply often comes within
 *   microseconds), then sched_yield, then nanosleep doubling from 1 us up
 *   to MPR_BACKOFF_MAX_US (default 1000 us), the scheme mpi4py.futures uses.
 *   The cap bounds the wake-up latency a sleeping waiter adds; a waiter costs
 *   about 1000 wake-ups a second, well under 1% of a core. The sleep is a
 *   wait on the rank's doorbell (doorbell.c): a sender on the same node
 *   ends it at once, so the cap only delays messages from other nodes.
 *   Measured by tests/test_process.c's waiter case and apps/bench.
 *
 *   A doorbell cannot ring across nodes, so a wait for another node's
 *   message would pay up to the cap on every message. Such a wait is hot
 *   for a while (mpr__wait_until_hot, mpr__backoff_stay_hot): its sleep stops
 *   growing at MPR_HOT_PAUSE_US (50 us), then grows to the cap as before. A
 *   client awaiting a reply from another node is hot for the first
 *   MPR__HOT_WINDOW of its wait, a server for MPR__HOT_WINDOW after each
 *   event it handled: while requests come, it polls every 50 us (about 20000
 *   wake-ups a second, measured in README "Benchmarks"); 20 ms after the
 *   last one it is back to 1000 a second.
 *
 *   Every blocking call is mpr__wait_until(ready, ctx, timeout): ready()
 *   tests the condition (an MPI_Improbe, an MPI_Test, a word in shared
 *   memory, a flock) and the loop around it is written once, here. The
 *   server threads' loop (progress.c) is the other user of the backoff.
 */
#include "mpr-internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

enum { QUICK_POLLS = 64, YIELD_POLLS = 16 };

static long backoff_max_ns(void)
{
    static long ns;
    if (ns == 0)
        ns = 1000L * (long)mpr__setting_u64("MPR_BACKOFF_MAX_US", 1000, 1, 1000000);
    return ns;
}

/* MPR_HOT_PAUSE_US: the longest sleep while a wait is hot (see DESIGN). */
static long hot_pause_ns(void)
{
    static long ns;
    if (ns == 0)
        ns = 1000L * (long)mpr__setting_u64("MPR_HOT_PAUSE_US", 50, 1, 1000000);
    return ns;
}

void mpr__backoff_reset(mpr__backoff *b)
{
    b->polls = 0;
    b->sleep_ns = 1000;
    b->bell_seen = mpr__doorbell_seen(); /* before the caller's first poll */
}

void mpr__backoff_init(mpr__backoff *b)
{
    b->hot_until = 0;
    mpr__backoff_reset(b);
}

void mpr__backoff_stay_hot(mpr__backoff *b, double seconds)
{
    b->hot_until = MPI_Wtime() + seconds;
}

long mpr__backoff_next(mpr__backoff *b, double limit_s)
{
    b->polls++;
    if (b->polls <= QUICK_POLLS)
        return 0;
    if (b->polls <= QUICK_POLLS + YIELD_POLLS) {
        sched_yield();
        return 0;
    }
    long ns = b->sleep_ns;
    if (limit_s >= 0 && limit_s * 1e9 < (double)ns)
        ns = (long)(limit_s * 1e9);
    if (ns > hot_pause_ns() && b->hot_until > 0 && MPI_Wtime() < b->hot_until)
        return hot_pause_ns(); /* and the sleep does not grow while hot */
    if (b->sleep_ns < backoff_max_ns())
        b->sleep_ns *= 2;
    if (b->sleep_ns > backoff_max_ns())
        b->sleep_ns = backoff_max_ns();
    return ns;
}

void mpr__backoff_pause(mpr__backoff *b, double limit_s)
{
    long ns = mpr__backoff_next(b, limit_s);
    if (ns <= 0)
        return;
    mpr__doorbell_sleep(b->bell_seen, ns);
    uint32_t now = mpr__doorbell_seen(); /* before the caller's next poll */
    /* A ring means a message is there: poll quickly again. One poll may not
     * be enough: Open MPI's MPI_Improbe matches before it progresses, so the
     * first poll after a wake-up may only pull the message in. */
    if (now != b->bell_seen)
        mpr__backoff_reset(b);
    b->bell_seen = now;
}

double mpr__deadline(double timeout)
{
    if (timeout < 0)
        return -1;
    return MPI_Wtime() + timeout;
}

double mpr__remaining(double deadline)
{
    if (deadline < 0)
        return -1;
    double left = deadline - MPI_Wtime();
    return left > 0 ? left : 0;
}

int mpr__wait_until(int (*ready)(void *ctx), void *ctx, double timeout)
{
    return mpr__wait_until_hot(ready, ctx, timeout, 0);
}

int mpr__wait_until_hot(int (*ready)(void *ctx), void *ctx, double timeout, double hot_s)
{
    double deadline = mpr__deadline(timeout);
    mpr__backoff b;
    mpr__backoff_init(&b);
    if (hot_s > 0)
        mpr__backoff_stay_hot(&b, hot_s);
    for (;;) {
        int rc = ready(ctx);
        if (rc < 0 || rc == MPR__READY)
            return rc;
        double left = mpr__remaining(deadline);
        if (left == 0)
            return 0;
        if (rc == MPR__PROGRESSED) {
            mpr__backoff_reset(&b); /* more may follow at once */
            continue;
        }
        mpr__backoff_pause(&b, left);
    }
}

typedef struct {
    _Atomic uint64_t *counter;
    uint64_t target;
} counter_wait;

static int counter_reached(void *ctx)
{
    const counter_wait *w = ctx;
    return atomic_load(w->counter) >= w->target ? MPR__READY : MPR__NOT_YET;
}

void mpr__wait_counter(_Atomic uint64_t *counter, uint64_t target)
{
    counter_wait w = {counter, target};
    MPR_ASSERT(mpr__wait_until(counter_reached, &w, -1) == MPR__READY);
}
