/*
 * transport.c — point-to-point messages the way mpr sends and waits for
 * them: nonblocking MPI, a ring of the receiver's doorbell, and waits that
 * sleep (wait.c) instead of spinning in MPI.
 *
 * DESIGN
 *   Not MPI_Send: a message over the eager limit would block in it,
 *   spinning, until the receiver matches it, and a receiver asleep until
 *   our ring only matches at the end of its sleep. So a send is MPI_Isend,
 *   a ring, then a polite wait. Not MPI_Recv either: it spins as well, so a
 *   receive is an MPI_Improbe in mpr__wait_until, then MPI_Mrecv of exactly
 *   the probed size into a buffer made for it.
 *
 *   Which of the receiver's bells rings follows from the tag: requests to
 *   a server (service, heap server) and forwarded output wake its server
 *   thread, everything else its main thread.
 */
#include "mpr-internal.h"

#include <stdlib.h>

static bool tag_for_server(int tag)
{
    return tag == MPR__TAG_REQ || tag == MPR__TAG_OUT || tag == MPR__TAG_SHM_REQ ||
           tag == MPR__TAG_CHAN_REQ;
}

int mpr__isend(const void *buf, int count, int dest, int tag, MPI_Comm comm, int dest_world,
               MPI_Request *req)
{
    int rc = MPI_Isend(buf, count, MPI_BYTE, dest, tag, comm, req);
    if (rc != MPI_SUCCESS)
        return rc;
    mpr__doorbell_ring(dest_world, tag_for_server(tag) ? MPR__BELL_SERVER : MPR__BELL_MAIN);
    return MPI_SUCCESS;
}

static int request_done(void *ctx)
{
    int done = 0;
    MPR_MPI_CALL(MPI_Test((MPI_Request *)ctx, &done, MPI_STATUS_IGNORE));
    return done ? MPR__READY : MPR__NOT_YET;
}

int mpr__send(const void *buf, int count, int dest, int tag, MPI_Comm comm, int dest_world)
{
    MPI_Request req;
    int rc = mpr__isend(buf, count, dest, tag, comm, dest_world, &req);
    if (rc != MPI_SUCCESS)
        return rc;
    /* Over TCP a send may complete only in a later progress call: keep
     * polling it closely (wait.c's hot wait), not after a growing sleep. */
    double hot = mpr__doorbell_reaches(dest_world) ? 0 : MPR__HOT_WINDOW;
    return mpr__wait_until_hot(request_done, &req, -1, hot) == 1 ? MPI_SUCCESS : MPI_ERR_OTHER;
}

typedef struct {
    MPI_Comm comm;
    int src, tag;
    MPI_Message *msg;
    MPI_Status *status;
} probe_ctx;

static int probe_ready(void *ctx)
{
    probe_ctx *p = ctx;
    int found = 0;
    MPR_MPI_CALL(MPI_Improbe(p->src, p->tag, p->comm, &found, p->msg, p->status));
    return found ? MPR__READY : MPR__NOT_YET;
}

int mpr__probe_wait(MPI_Comm comm, int src, int tag, double timeout, MPI_Message *msg,
                    MPI_Status *status)
{
    return mpr__probe_wait_hot(comm, src, tag, timeout, 0, msg, status);
}

int mpr__probe_wait_hot(MPI_Comm comm, int src, int tag, double timeout, double hot_s,
                        MPI_Message *msg, MPI_Status *status)
{
    probe_ctx p = {comm, src, tag, msg, status};
    return mpr__wait_until_hot(probe_ready, &p, timeout, hot_s);
}

int mpr__request_wait(MPI_Request *req, double timeout)
{
    return mpr__wait_until(request_done, req, timeout);
}

int mpr__request_wait_hot(MPI_Request *req, double timeout, double hot_s)
{
    return mpr__wait_until_hot(request_done, req, timeout, hot_s);
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
