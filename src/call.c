/*
 * call.c — a client's synchronous request to an object's home: send the
 * request, wait for its reply, record the server's error text.
 *
 * DESIGN
 *   The call itself, its time limit and the discarding of late replies are
 *   rpc.c's. Error replies to this rank's earlier posted puts (posted.c)
 *   come on the reply tag before the reply they precede and go to the
 *   ledger (post_ledger.c). MPI's non-overtaking order between a pair of
 *   ranks keeps each producer's items in order.
 *
 *   Rank 0's calls to its own service thread skip MPI (self_call.c).
 *   Errors found by the server travel as code and text in the reply; the
 *   client records them with mpr__fail on its own thread.
 */
#include "mpr-internal.h"

#include <string.h>

static int decode_reply(mpr__reply *rep)
{
    if (!mpr__reply_decode(rep->raw, rep->payload_len, rep))
        return mpr__fail(MPR_EMPI, "rank %d: malformed reply from the service", mpr__rt.rank);
    return MPR_OK;
}

/* Made at the first call; it lives as long as the process. */
static mpr__endpoint service;

mpr__endpoint *mpr__service_endpoint(void)
{
    /* Refusals of this rank's posted puts (posted.c) arrive on the reply
     * tag, before the reply they precede: the ledger takes them. */
    if (!service.owed &&
        mpr__endpoint_init(&service, mpr__rt.comm_svc, MPR__TAG_REQ, MPR__TAG_REP) == MPR_OK)
        service.set_aside = mpr__ledger_take_refusal;
    return service.owed ? &service : NULL;
}

int mpr__call(int home, const mpr__request *req, mpr__reply *rep)
{
    memset(rep, 0, sizeof *rep);
    MPR_CHECK(mpr__require_init());
    /* A damaged or forged handle must not reach MPI_Send: a home past the job
     * is MPI_ERR_RANK, and MPI_PROC_NULL (-2) would "send" and then receive
     * an empty reply. */
    if (home < 0 || home >= mpr__rt.size)
        return mpr__fail(MPR_EINVAL,
                         "handle names home rank %d, the job has ranks 0..%d: an uninitialized "
                         "or damaged handle",
                         home, mpr__rt.size - 1);
    mpr__endpoint *ep = mpr__service_endpoint();
    if (!ep)
        return MPR_ENOMEM;
    mpr__limit lim = req->flags & MPR__REQ_TIMED ? mpr__limit_of(req->timeout) : mpr__limit_none();
    mpr__request timed = *req;
    timed.act_by = lim.act_by;
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    int count = 0;
    int rc = mpr__request_encode(&w, &timed);
    if (rc == MPR_OK)
        rc = mpr__count_to_int(w.len, &count);
    if (rc == MPR_OK && home == mpr__rt.rank) {
        mpr__self_call(&w, &rep->raw, &rep->payload_len); /* rank 0: see self_call.c */
        rc = decode_reply(rep);
    } else if (rc == MPR_OK) {
        rc = mpr__rpc(ep, home, mpr__wbuf_take(&w), count, lim, &rep->raw, &rep->payload_len);
        if (rc == MPR_OK)
            rc = decode_reply(rep);
        if (rc == MPR_OK)
            mpr__ledger_synced(home);
    }
    mpr__wbuf_free(&w);
    MPR_CHECK(rc);
    if (rep->code < 0)
        mpr__fail(rep->code, "%s", rep->error);
    return rep->code;
}

int mpr__call_simple(int home, const mpr__request *req, uint64_t *value)
{
    mpr__reply rep;
    int rc = mpr__call(home, req, &rep);
    if (rc >= 0 && value)
        *value = rep.value;
    mpr__reply_free(&rep);
    return rc;
}

int mpr__call_into(int home, const mpr__request *req, void *buf, size_t cap, size_t *len)
{
    mpr__reply rep;
    int rc = mpr__call(home, req, &rep);
    if (rc == MPR_OK) {
        MPR_ASSERT(rep.payload_len <= cap);
        if (rep.payload_len)
            memcpy(buf, rep.payload, rep.payload_len);
        *len = rep.payload_len;
    } else if (rc == MPR_ETRUNC) {
        *len = (size_t)rep.value;
    }
    mpr__reply_free(&rep);
    return rc;
}
