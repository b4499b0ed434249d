/*
 * posted.c — puts that do not wait for their answer, as Python's
 * Queue.put does not: on an unbounded queue homed on another node (sent to
 * that node's server, channel.c; on the home node a put is a copy into
 * shared memory, ring.c), and on the unbounded queues rank 0's service
 * serves (those made when their node had no free channel slot).
 *
 * DESIGN
 *   Python's Queue.put hands the item to a feeder thread and returns; the
 *   item reaches the pipe a moment later. A synchronous put here would cost
 *   a round trip to rank 0's service thread, and on a node whose cores all
 *   compute, that thread first has to be scheduled: measured on 2 cores
 *   with 2 workers (apps/primes --mode dynamic), ~1 ms a put, against
 *   0.6 ms of work per item. So a put on an unbounded queue from a worker
 *   rank is posted: the request goes out with MPI_Isend (and a ring of the
 *   home's doorbell) and put returns at once; the service thread answers a
 *   posted request only when it fails. Bounded queues keep the round trip
 *   (a full queue must block the producer), and so does rank 0, whose calls
 *   are in-memory (self_call.c).
 *
 *   What is kept:
 *   - order: a rank's items reach each queue in the order they were put,
 *     and before anything the rank asks of the service afterwards (one
 *     sender, one receiver, one tag: MPI's non-overtaking order; the
 *     service serves a rank's requests in arrival order);
 *   - join: a Process's items are in their queues when join returns: the
 *     task's end flushes (one round trip after the last post), as Python
 *     joins the feeder thread when a process exits. A Pool task's too, when
 *     the map or apply returns, without a round trip: each result carries
 *     the worker's count of posts, and rank 0 waits until its service
 *     thread has served that many from the worker (service.c's
 *     mpr__service_wait_posts);
 *   - nothing lost silently: a refused post (the queue was closed or freed
 *     meanwhile) comes back as an error reply. The rank's next put on that
 *     queue returns the error, naming how many earlier items were refused,
 *     and is not sent; refusals still unreported when the task ends are
 *     printed on stderr, as Python's feeder thread prints its errors
 *     (post_ledger.c keeps that account).
 *   As in Python ("after putting an object on an empty queue there may be
 *   an infinitesimal delay before the queue's empty() method returns
 *   False"), another rank may see the item a moment after put returned.
 *
 *   The same holds for posts to node servers (mpr__post_channel), which
 *   are not counted for the Pool's check above: a Pool task's end makes a
 *   round trip to each node server it posted to instead
 *   (mpr__posted_flush_channels), and only when it posted.
 *
 *   At most POST_WINDOW sends are in flight; each keeps its buffer until
 *   MPI is done with it. Only requests up to POST_MAX bytes are posted: a
 *   larger message needs its sender's MPI calls to move (a rendezvous), and
 *   a worker that computes after a post makes none, which would hold rank
 *   0's service thread inside the receive. 32 KiB is what Open MPI 4.1
 *   sends whole in its first fragment over shared memory (vader's
 *   rndv_eager_limit) and below TCP's eager limit (64 KiB); a larger put
 *   takes the round trip.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { POST_WINDOW = 64, POST_MAX = 32 * 1024 };

static struct {
    MPI_Request req[POST_WINDOW];
    unsigned char *buf[POST_WINDOW];
    int inflight;
} posted;

/* Frees the buffers of completed sends; with `all`, waits for every one.
 * A failing test keeps its send in the window and is returned. */
static int reap(bool all)
{
    int kept = 0, rc = MPR_OK;
    for (int i = 0; i < posted.inflight; i++) {
        int done = 0;
        int mrc = all ? (mpr__request_wait(&posted.req[i], -1) == 1 ? MPI_SUCCESS : MPI_ERR_OTHER)
                      : MPI_Test(&posted.req[i], &done, MPI_STATUS_IGNORE);
        if (mrc != MPI_SUCCESS && rc == MPR_OK)
            rc = mpr__mpi_fail(mrc, "completing a posted put", __FILE__, __LINE__);
        if (all && mrc == MPI_SUCCESS)
            done = 1;
        if (done) {
            free(posted.buf[i]);
            continue;
        }
        posted.req[kept] = posted.req[i];
        posted.buf[kept] = posted.buf[i];
        kept++;
    }
    posted.inflight = kept;
    return rc;
}

/* Homes of node servers this rank posted to since its last flush. */
static struct {
    bool *unsynced; /* world rank -> posted since the last flush */
    bool any;
} chan;

/* Posts req to home through endpoint ep: takes in earlier refusals first
 * (and returns this object's), then sends without waiting. *sent is false
 * when the request was too big to post: the caller makes the call. */
static int post_on(mpr__endpoint *ep, int home, const mpr__request *req, bool *sent)
{
    *sent = false;
    MPR_CHECK(mpr__require_init());
    if (!ep)
        return mpr__fail(MPR_ENOMEM, "no memory for a reply table");
    MPR_CHECK(mpr__rpc_take_pending(ep, home));
    MPR_CHECK(mpr__ledger_take(home, req->id));
    MPR_CHECK(reap(posted.inflight == POST_WINDOW));
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__request r = *req;
    r.flags |= MPR__REQ_POSTED;
    int count = 0;
    int rc = mpr__request_encode(&w, &r);
    if (rc == MPR_OK)
        rc = mpr__count_to_int(w.len, &count);
    if (rc != MPR_OK || w.len > POST_MAX) {
        mpr__wbuf_free(&w);
        return rc;
    }
    int mrc =
        mpr__isend(w.data, count, home, ep->req_tag, ep->comm, home, &posted.req[posted.inflight]);
    if (mrc != MPI_SUCCESS) {
        mpr__wbuf_free(&w);
        return mpr__mpi_fail(mrc, "MPI_Isend(posted request)", __FILE__, __LINE__);
    }
    posted.buf[posted.inflight++] = w.data; /* freed by reap once sent */
    *sent = true;
    return MPR_OK;
}

int mpr__post(int home, const mpr__request *req)
{
    bool sent = false;
    MPR_CHECK(post_on(mpr__service_endpoint(), home, req, &sent));
    if (!sent)
        return mpr__call_simple(home, req, NULL);
    mpr__ledger_posted(home);
    return MPR_OK;
}

/* At finalize, before the node servers stop: this rank's last posts (rank
 * 0's main thread posts too, and has no task end) are served and their
 * buffers free. */
static int flush_at_finalize(void)
{
    mpr__posted_flush_channels();
    int rc = reap(true);
    mpr__ledger_report();
    free(chan.unsynced);
    chan.unsynced = NULL;
    return rc;
}

int mpr__post_channel(int32_t home, const mpr__request *req)
{
    mpr__endpoint *ep = mpr__chan_endpoint();
    ep->set_aside = mpr__ledger_take_refusal; /* refusals go to the ledger */
    if (!chan.unsynced) {
        chan.unsynced = calloc((size_t)mpr__rt.size, sizeof *chan.unsynced);
        if (!chan.unsynced)
            return mpr__fail(MPR_ENOMEM, "no memory for a %d-rank table", mpr__rt.size);
        mpr__at_finalize(MPR__FINI_PROCESSES, flush_at_finalize);
    }
    bool sent = false;
    MPR_CHECK(post_on(ep, home, req, &sent));
    if (!sent)
        return mpr__chan_put(home, req->id, req->end, req->payload, req->payload_len, -1);
    chan.unsynced[home] = chan.any = true;
    return MPR_OK;
}

void mpr__posted_flush_channels(void)
{
    for (int home = 0; chan.any && home < mpr__rt.size; home++) {
        if (!chan.unsynced[home])
            continue;
        chan.unsynced[home] = false;
        if (mpr__chan_sync(home) != MPR_OK)
            MPR_WARN("could not flush posted puts: %s", mpr_last_error());
    }
    chan.any = false;
}

void mpr__posted_flush(void)
{
    mpr__posted_flush_channels();
    int home = mpr__ledger_unsynced_home();
    if (home >= 0) {
        /* The answer comes after every earlier post has been served. */
        mpr__request sync = {.op = MPR__OP_SYNC};
        if (mpr__call_simple(home, &sync, NULL) != MPR_OK)
            MPR_WARN("could not flush posted puts: %s", mpr_last_error());
        mpr__ledger_synced(home);
    }
    if (reap(true) != MPR_OK)
        MPR_WARN("posted puts: %s", mpr_last_error());
    mpr__ledger_report();
}
