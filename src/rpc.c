/*
 * rpc.c — a client's request to another rank's server thread and the wait
 * for its reply, with a time limit that holds when the home does not answer.
 *
 * WHAT
 *   Three kinds of server answer requests: rank 0's service (call.c), a
 *   node's heap server (heap.c) and its channel server (channel.c). Each
 *   is an endpoint: a communicator, a request tag, a reply tag. A client
 *   has at most one call in flight (mpr calls come from one thread per
 *   rank), and MPI keeps the messages between two ranks in order, so a
 *   reply needs no id: it answers the oldest call still unanswered.
 *
 * TIME LIMITS
 *   A timed call (timeout >= 0) gets a limit (mpr__limit_of): its home must
 *   act by act_by = start + timeout + slack, in job time (clock.c), and the
 *   client waits for the reply until give_up = start + timeout + 2 slack.
 *   slack = max(timeout / 4, MPR_RPC_SLACK_MS (100 ms)): room for the
 *   request and the reply to travel, so a timeout of 1 s returns within
 *   1.5 s even when the home's ranks are stopped.
 *   - The server refuses a request whose act_by has passed (it arrived
 *     late) with MPR_ETIMEDOUT, and never parks one past its act_by: a
 *     request the client has given up on has no effect (no item taken, no
 *     lock acquired).
 *   - The client that gives up counts the reply it is owed by that home;
 *     when it comes, after the client has moved on, it is discarded, so the
 *     next call's reply is not mistaken for it.
 *   What is left: a reply sent before act_by that takes longer than the
 *   slack to travel is discarded with its effect done (an item taken, a
 *   lock held). Only a network stalled for the slack (100 ms or more) does
 *   that; the home being stopped or busy does not.
 *   An untimed call (timeout < 0) waits as long as it takes, as Python's.
 *
 * WAKING
 *   A reply from another node cannot ring this rank's doorbell, so the
 *   wait for it is hot (wait.c) for its first MPR__HOT_WINDOW.
 */
#include "mpr-internal.h"

#include <stdlib.h>

static double slack_for(double timeout)
{
    static double min_s;
    if (min_s == 0)
        min_s = 1e-3 * (double)mpr__setting_u64("MPR_RPC_SLACK_MS", 100, 1, 3600000);
    return timeout / 4 > min_s ? timeout / 4 : min_s;
}

mpr__limit mpr__limit_of(double timeout)
{
    if (timeout < 0)
        return mpr__limit_none();
    double slack = slack_for(timeout);
    return (mpr__limit){.act_by = mpr__job_time() + timeout + slack,
                        .give_up = MPI_Wtime() + timeout + 2 * slack};
}

mpr__limit mpr__limit_none(void) { return (mpr__limit){.act_by = -1, .give_up = -1}; }

/* act_by <= 0 is none: a request built with no limit has 0 there, and job
 * time 0 (rank 0's boot) is long past. */
bool mpr__limit_passed(double act_by) { return act_by > 0 && mpr__job_time() > act_by; }

double mpr__limit_deadline(double deadline, double act_by)
{
    double last = act_by > 0 ? mpr__job_to_local(act_by) : -1;
    if (deadline < 0)
        return last;
    return last >= 0 && last < deadline ? last : deadline;
}

int mpr__endpoint_init(mpr__endpoint *ep, MPI_Comm comm, int req_tag, int rep_tag)
{
    ep->comm = comm;
    ep->req_tag = req_tag;
    ep->rep_tag = rep_tag;
    ep->owed = calloc((size_t)mpr__rt.size, sizeof *ep->owed);
    if (!ep->owed)
        return mpr__fail(MPR_ENOMEM, "no memory for a %d-rank reply table", mpr__rt.size);
    return MPR_OK;
}

void mpr__endpoint_fini(mpr__endpoint *ep)
{
    free(ep->owed);
    ep->owed = NULL;
}

int mpr__rpc_await(mpr__endpoint *ep, int home, mpr__limit lim, void **raw, size_t *len)
{
    double hot = mpr__doorbell_reaches(home) ? 0 : MPR__HOT_WINDOW;
    for (;;) {
        MPI_Message msg;
        MPI_Status st;
        double left = lim.give_up < 0 ? -1 : mpr__remaining(lim.give_up);
        int rc = mpr__probe_wait_hot(ep->comm, home, ep->rep_tag, left, hot, &msg, &st);
        if (rc == 0) {
            ep->owed[home]++;
            return mpr__fail(MPR_ETIMEDOUT,
                             "rank %d's node did not answer in time (the call's timeout and "
                             "its slack); its late answer, if any, will be discarded",
                             home);
        }
        MPR_CHECK(rc);
        MPR_CHECK(mpr__mrecv_alloc(&msg, &st, raw, len));
        if (ep->set_aside && ep->set_aside(home, *raw, *len))
            continue; /* it answered no call, and set_aside took it */
        if (ep->owed[home] == 0)
            return MPR_OK;
        ep->owed[home]--; /* the answer to a call given up on */
        free(*raw);
        *raw = NULL;
    }
}

int mpr__rpc_take_pending(mpr__endpoint *ep, int home)
{
    for (;;) {
        int found = 0;
        MPI_Message msg;
        MPI_Status st;
        MPR_MPI_CALL(MPI_Improbe(home, ep->rep_tag, ep->comm, &found, &msg, &st));
        if (!found)
            return MPR_OK;
        void *raw = NULL;
        size_t len = 0;
        MPR_CHECK(mpr__mrecv_alloc(&msg, &st, &raw, &len));
        if (ep->set_aside && ep->set_aside(home, raw, len))
            continue;
        free(raw);
        if (ep->owed[home] == 0)
            return mpr__fail(MPR_EMPI, "rank %d: an unexpected reply from rank %d", mpr__rt.rank,
                             home);
        ep->owed[home]--; /* the answer to a call given up on */
    }
}

int mpr__rpc(mpr__endpoint *ep, int home, const void *req, int count, mpr__limit lim, void **raw,
             size_t *len)
{
    *raw = NULL;
    *len = 0;
    int rc = mpr__send(req, count, home, ep->req_tag, ep->comm, home);
    if (rc != MPI_SUCCESS)
        return mpr__mpi_fail(rc, "send(request)", __FILE__, __LINE__);
    return mpr__rpc_await(ep, home, lim, raw, len);
}
