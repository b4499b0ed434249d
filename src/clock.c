/*
 * clock.c — one clock for the whole job, so that a deadline can travel.
 *
 * WHY
 *   A timed request to another node carries the moment after which its
 *   home must not act on it any more (rpc.c): a request that arrives late,
 *   because the home's ranks were stopped or swamped, is answered "timed
 *   out" and changes nothing, since its client has given up. That moment
 *   must mean the same on both hosts. MPI_Wtime does not (Open MPI counts
 *   it from each process's MPI_Init, and MPI_WTIME_IS_GLOBAL is false), nor
 *   does CLOCK_MONOTONIC across hosts (each counts from its own boot).
 *
 * DESIGN
 *   The job clock is rank 0's CLOCK_MONOTONIC. Ranks of one host share
 *   theirs, so at mpr_init each node's leader measures the offset of its
 *   host's clock to rank 0's with a few ping-pongs (Cristian's method: of
 *   ROUNDS exchanges, the one with the shortest round trip, offset = rank
 *   0's reading minus the exchange's midpoint) and gives it to the ranks of
 *   its node. The error is at most half that round trip, tens of
 *   microseconds over TCP; rpc.c's slack (100 ms or more) covers it many
 *   times, and also the drift of NTP-disciplined clocks over a long job. A
 *   job on one node measures nothing.
 */
#include "mpr-internal.h"

#include <stdlib.h>
#include <time.h>

enum { ROUNDS = 8 };

static double offset; /* this host's CLOCK_MONOTONIC + offset = job time */

static double monotonic(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double mpr__job_time(void) { return monotonic() + offset; }

double mpr__job_to_local(double job_t)
{
    if (job_t < 0)
        return -1;
    return MPI_Wtime() + (job_t - mpr__job_time());
}

/* Rank 0's side: answers every other leader's ROUNDS pings, in rank order. */
static int answer_pings(MPI_Comm comm, const int *is_leader)
{
    for (int r = 1; r < mpr__rt.size; r++) {
        for (int k = 0; k < ROUNDS && is_leader[r]; k++) {
            MPR_MPI_CALL(MPI_Recv(NULL, 0, MPI_BYTE, r, 0, comm, MPI_STATUS_IGNORE));
            double t = monotonic();
            MPR_MPI_CALL(MPI_Send(&t, 1, MPI_DOUBLE, r, 0, comm));
        }
    }
    return MPR_OK;
}

static int measure_offset(MPI_Comm comm, double *out)
{
    double best_rtt = -1;
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = 0, t1 = monotonic();
        MPR_MPI_CALL(MPI_Send(NULL, 0, MPI_BYTE, 0, 0, comm));
        MPR_MPI_CALL(MPI_Recv(&t0, 1, MPI_DOUBLE, 0, 0, comm, MPI_STATUS_IGNORE));
        double t2 = monotonic();
        if (best_rtt < 0 || t2 - t1 < best_rtt) {
            best_rtt = t2 - t1;
            *out = t0 - 0.5 * (t1 + t2);
        }
    }
    return MPR_OK;
}

/* Leaders of the other hosts measure; rank 0's host is the reference. */
static int exchange(MPI_Comm comm, MPI_Comm node, double *off)
{
    int node_rank = 0, node_of_rank0 = mpr__rt.rank == 0;
    MPR_MPI_CALL(MPI_Comm_rank(node, &node_rank));
    MPR_MPI_CALL(MPI_Bcast(&node_of_rank0, 1, MPI_INT, 0, node));
    int leads = node_rank == 0 && !node_of_rank0;
    int *is_leader = mpr__rt.rank == 0 ? calloc((size_t)mpr__rt.size, sizeof *is_leader) : NULL;
    MPR_ASSERT(mpr__rt.rank != 0 || is_leader);
    int rc = MPI_Gather(&leads, 1, MPI_INT, is_leader, 1, MPI_INT, 0, comm);
    if (rc != MPI_SUCCESS)
        rc = mpr__mpi_fail(rc, "MPI_Gather(leaders)", __FILE__, __LINE__);
    else if (mpr__rt.rank == 0)
        rc = answer_pings(comm, is_leader);
    else if (leads)
        rc = measure_offset(comm, off);
    free(is_leader);
    MPR_CHECK(rc);
    MPR_MPI_CALL(MPI_Bcast(off, 1, MPI_DOUBLE, 0, node));
    return MPR_OK;
}

int mpr__clock_init(void)
{
    MPI_Comm node, comm;
    MPR_MPI_CALL(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, mpr__rt.rank,
                                     MPI_INFO_NULL, &node));
    MPR_MPI_CALL(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
    double off = 0;
    int rc = exchange(comm, node, &off);
    offset = off;
    MPR_MPI_RELEASE(MPI_Comm_free(&comm));
    MPR_MPI_RELEASE(MPI_Comm_free(&node));
    return rc;
}
