/*
 * replica.c — read-mostly cells: one element with a copy on every node,
 * read where it is used, written through its home.
 *
 * WHY
 *   A flag that workers poll (seed 004's verify_prime_flagged) is read
 *   thousands of times for each time it is written. A plain Value of
 *   another node costs a round trip to its home's heap server per read; a
 *   read-mostly Value costs one atomic load of the reader's own node heap.
 *
 * DESIGN (write-update, as a snooping cache's, with the home as sequencer)
 *   A cell is MPR__REPLICA_CELL bytes at the same offset of every node's
 *   heap (heap.c's region between its header and its objects): the element
 *   and a sequence number. The cell index is handed out job-wide from a
 *   counter in rank 0's node heap (MPR__REPLICA_NEXT, cell 0), so the handle's
 *   offset names the cell on every node.
 *   - A load reads the caller's node's copy: no message.
 *   - A store, fetch_add or CAS goes to the home node's heap server, the
 *     cell's only writer there, which applies it and bumps the sequence
 *     (heap.c, SEQUENCED). The caller then publishes the new element and
 *     its sequence to every other node's server (PUBLISH), which keeps the
 *     newer of what it has and what comes, and returns once all have
 *     answered.
 *   So the home orders all writes, each copy only moves forward in that
 *   order, and a load that starts after a write returned sees that write
 *   or a later one, on any node. A load made while a write is in flight
 *   may see the old element on one node and the new one on another. A CAS
 *   that fails brings the caller's copy up to the element it saw.
 *   A write costs 1 + (nodes - 1) round trips; a job on one node has no
 *   copies and uses the plain heap operations.
 */
#include "mpr-internal.h"

#include <string.h>

static bool job_has_copies(void) { return mpr__node_size() < mpr__rt.size; }

int mpr__replica_alloc(uint64_t *offset)
{
    MPR_CHECK(mpr__require_init());
    int64_t index = 1 + mpr__shm_i64(mpr__node_leader_of(0), MPR__SHM_ADD, MPR__REPLICA_NEXT, 1);
    if (index >= MPR__REPLICA_CELLS)
        return mpr__fail(MPR_ENOMEM,
                         "all %d read-mostly Values of the job are in use (they live until "
                         "mpr_finalize); use plain Values for the rest",
                         MPR__REPLICA_CELLS - 1);
    *offset = MPR__REPLICA_REGION + (uint64_t)index * MPR__REPLICA_CELL;
    return MPR_OK;
}

int mpr__replica_load(char type, uint64_t offset, void *out)
{
    return mpr__shm_op(mpr__node_leader_of(mpr__rt.rank), MPR__SHM_READ, type, offset, 1, NULL,
                       NULL, out);
}

/* The element and its sequence to the copy of leader's node. */
static int publish_to(int leader, char type, uint64_t offset, const unsigned char *element,
                      int64_t seq)
{
    size_t es = mpr_typecode_size(type);
    unsigned char msg[8 + sizeof seq];
    memcpy(msg, element, es);
    memcpy(msg + es, &seq, sizeof seq);
    return mpr__shm_op(leader, MPR__SHM_PUBLISH, type, offset, 1, msg, NULL, NULL);
}

int mpr__replica_write(int home, uint32_t op, char type, uint64_t offset, const void *origin,
                       const void *compare, void *old)
{
    if (!job_has_copies())
        return mpr__shm_op(home, op, type, offset, 1, origin, compare, old);
    size_t es = mpr_typecode_size(type);
    unsigned char result[16 + 2 * sizeof(int64_t)]; /* two elements of up to 8 bytes */
    MPR_CHECK(mpr__shm_op(home, op | MPR__SHM_SEQUENCED, type, offset, 1, origin, compare, result));
    int64_t seq = 0, changed = 0;
    memcpy(&seq, result + 2 * es, sizeof seq);
    memcpy(&changed, result + 2 * es + sizeof seq, sizeof changed);
    int mine = mpr__node_leader_of(mpr__rt.rank);
    for (int r = 0; r < mpr__rt.size; r++) {
        if (r == home || mpr__node_leader_of(r) != r)
            continue;
        /* A CAS that did not swap saw another write, perhaps not yet in
         * this node's copy: bring that copy up to it, so this rank never
         * loads an element older than one it has seen. */
        if (changed || r == mine)
            MPR_CHECK(publish_to(r, type, offset, result + es, seq));
    }
    if (old)
        memcpy(old, result, es);
    return MPR_OK;
}
