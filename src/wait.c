/*
 * wait.c — blocking without burning a core.
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
 */
#include "mpr-internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

enum { QUICK_POLLS = 64, YIELD_POLLS = 16 };

static long backoff_max_ns(void)
{
    static long max_ns;
    if (max_ns == 0) {
        const char *s = getenv("MPR_BACKOFF_MAX_US");
        long us = s ? strtol(s, NULL, 10) : 1000;
        max_ns = (us >= 1 && us <= 1000000 ? us : 1000) * 1000L;
    }
    return max_ns;
}

void mpr__backoff_reset(mpr__backoff *b)
{
    b->polls = 0;
    b->sleep_ns = 1000;
    b->bell_seen = mpr__doorbell_seen(); /* before the caller's first poll */
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

int mpr__probe_wait(MPI_Comm comm, int src, int tag, double timeout, MPI_Message *msg,
                    MPI_Status *status)
{
    double deadline = mpr__deadline(timeout);
    mpr__backoff b;
    mpr__backoff_reset(&b);
    for (;;) {
        int found = 0;
        MPR_MPI_CALL(MPI_Improbe(src, tag, comm, &found, msg, status));
        if (found)
            return 1;
        double left = mpr__remaining(deadline);
        if (left == 0)
            return 0;
        mpr__backoff_pause(&b, left);
    }
}

int mpr__request_wait(MPI_Request *req, double timeout)
{
    double deadline = mpr__deadline(timeout);
    mpr__backoff b;
    mpr__backoff_reset(&b);
    for (;;) {
        int done = 0;
        MPR_MPI_CALL(MPI_Test(req, &done, MPI_STATUS_IGNORE));
        if (done)
            return 1;
        double left = mpr__remaining(deadline);
        if (left == 0)
            return 0;
        mpr__backoff_pause(&b, left);
    }
}

int mpr__mrecv_alloc(MPI_Message *msg, const MPI_Status *status, void **buf, size_t *len)
{
    int count = 0;
    MPI_Status st = *status;
    MPR_MPI_CALL(MPI_Get_count(&st, MPI_BYTE, &count));
    void *p = malloc(count > 0 ? (size_t)count : 1);
    if (!p)
        return mpr__fail(MPR_ENOMEM, "rank %d: no memory for a %d-byte message", mpr__rt.rank,
                         count);
    int rc = MPI_Mrecv(p, count, MPI_BYTE, msg, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
        free(p);
        return mpr__mpi_fail(rc, "MPI_Mrecv", __FILE__, __LINE__);
    }
    *buf = p;
    *len = (size_t)count;
    return MPR_OK;
}
