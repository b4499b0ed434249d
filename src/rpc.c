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
 *   - A request too large to leave at once (over the eager limit, it leaves
 *     when its home receives it) is given up on at give_up as well; its
 *     buffer lives on until the send completes.
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

#include <pthread.h>
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

/* Sends of calls given up on before their request left: a request over the
 * eager limit leaves only when its home receives it, and its buffer must
 * live until then. Reaped at the next call, and at endpoint_fini. */
typedef struct orphan {
    struct orphan *next;
    MPI_Request req;
    void *buf;
} orphan;

static struct {
    pthread_mutex_t lock; /* server threads make calls too */
    orphan *head;
} orphans = {PTHREAD_MUTEX_INITIALIZER, NULL};

static void reap_orphans(void)
{
    pthread_mutex_lock(&orphans.lock);
    for (orphan **at = &orphans.head; *at;) {
        int done = 0;
        if (MPI_Test(&(*at)->req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done) {
            orphan *o = *at;
            *at = o->next;
            free(o->buf);
            free(o);
        } else {
            at = &(*at)->next;
        }
    }
    pthread_mutex_unlock(&orphans.lock);
}

static void adopt(MPI_Request req, void *buf)
{
    orphan *o = malloc(sizeof *o);
    MPR_ASSERT(o); /* a few bytes, once per call given up on before its send */
    *o = (orphan){.req = req, .buf = buf};
    pthread_mutex_lock(&orphans.lock);
    o->next = orphans.head;
    orphans.head = o;
    pthread_mutex_unlock(&orphans.lock);
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
    reap_orphans(); /* one still in flight keeps its buffer: MPI may yet read it */
    free(ep->owed);
    ep->owed = NULL;
}

/* What a message on the reply tag from home is, once received: the answer
 * to the current call (true, kept in *raw), or not (false): a refusal of a
 * post, which set_aside took, or the late answer to a call given up on,
 * discarded here. */
static bool answers_this_call(mpr__endpoint *ep, int home, void **raw, size_t len)
{
    if (ep->set_aside && ep->set_aside(home, *raw, len)) {
        *raw = NULL;
        return false;
    }
    if (ep->owed[home] == 0)
        return true;
    ep->owed[home]--;
    free(*raw);
    *raw = NULL;
    return false;
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
        if (answers_this_call(ep, home, raw, *len))
            return MPR_OK;
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
        if (answers_this_call(ep, home, &raw, len)) {
            free(raw);
            return mpr__fail(MPR_EMPI, "rank %d: an unexpected reply from rank %d", mpr__rt.rank,
                             home);
        }
    }
}

int mpr__rpc(mpr__endpoint *ep, int home, void *req, int count, mpr__limit lim, void **raw,
             size_t *len)
{
    *raw = NULL;
    *len = 0;
    reap_orphans();
    MPI_Request sent;
    int rc = mpr__isend(req, count, home, ep->req_tag, ep->comm, home, &sent);
    if (rc != MPI_SUCCESS) {
        free(req);
        return mpr__mpi_fail(rc, "send(request)", __FILE__, __LINE__);
    }
    /* Over TCP a send may complete only in a later progress call: poll it
     * closely at first (wait.c's hot wait). */
    double hot = mpr__doorbell_reaches(home) ? 0 : MPR__HOT_WINDOW;
    double left = lim.give_up < 0 ? -1 : mpr__remaining(lim.give_up);
    rc = mpr__request_wait_hot(&sent, left, hot);
    if (rc != 1) {
        adopt(sent, req);
        if (rc < 0)
            return rc;
        ep->owed[home]++; /* its home refuses it when it comes: act_by has passed */
        return mpr__fail(MPR_ETIMEDOUT,
                         "rank %d's node did not take the %d-byte request in time (the call's "
                         "timeout and its slack); it will refuse it when it does",
                         home, count);
    }
    free(req);
    return mpr__rpc_await(ep, home, lim, raw, len);
}
