/*
 * counters.c — what this rank's server threads did for others.
 *
 * A structural fact, not a timing: a channel whose ends are on worker
 * ranks must cost rank 0 (or any third rank) nothing per item. Tests and
 * scaling studies read these counts before and after a run.
 */
#include "mpr-internal.h"

int mpr_served_counts(mpr_served *out)
{
    if (!out)
        return mpr__fail(MPR_EINVAL, "mpr_served_counts: out pointer is NULL");
    MPR_CHECK(mpr__require_init());
    out->service = mpr__service_handled();
    out->node_server = mpr__node_server_handled();
    return MPR_OK;
}
