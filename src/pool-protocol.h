/*
 * pool-protocol.h — the messages between a pool (rank 0) and its workers.
 *
 * Every pool has its own communicator, created with MPI_Comm_create_group
 * from rank 0 and the pool's worker ranks (rank 0 is pool rank 0), so the
 * traffic of two pools and of the rest of mpr never meet.
 *
 *   command (rank 0 -> worker, TAG_POOL_CMD):
 *     u32 magic, u32 kind, u64 job, fnref, u64 start, u64 count,
 *     u64 in_size, u64 out_size, bytes data
 *       STATIC: data empty; start = 0, count = n. The items then come by
 *               MPI_Iscatterv (block w of a balanced partition for pool rank
 *               w), the results go back by MPI_Igatherv, and one fixed-size
 *               status per worker by MPI_Igather.
 *       CHUNK:  data = count items of in_size bytes, items start..start+count
 *       APPLY:  data = the argument bytes (count = 1)
 *       SPMD:   data = the argument bytes; every worker and rank 0 run the
 *               function with the pool communicator, then the statuses are
 *               gathered like the static map's
 *       STOP:   leave the loop; the worker rank returns to the free set
 *   result (worker -> rank 0, TAG_POOL_RES):
 *     u32 magic, u64 job, u64 start, u64 count, u32 status,
 *     u64 failed_index, u64 output_bytes, u64 posted, str message, bytes data
 *       status 0: all good; else the first failure of the chunk, its item
 *       index and message ("rank 3 (host) PoolWorker-2: item 17: ...").
 *       output_bytes: the stdout the worker forwarded so far (output.c);
 *       rank 0 waits until it has printed that much before it goes on, so
 *       what a task printed comes before what the parent prints after.
 *       posted: the puts the worker posted so far (posted.c); rank 0 waits
 *       until its service thread has served that many, so the items a task
 *       put are in their queues when the map or apply returns.
 */
#ifndef MPR_POOL_PROTOCOL_H
#define MPR_POOL_PROTOCOL_H

#include "mpr-internal.h"

enum { MPR__POOL_MAGIC = 0x4d50504cu /* "MPPL" */ };
enum { MPR__POOL_STATIC = 1, MPR__POOL_CHUNK, MPR__POOL_APPLY, MPR__POOL_SPMD, MPR__POOL_STOP };

typedef struct {
    uint32_t kind;
    uint64_t job;
    mpr__fnref fn;
    uint64_t start, count, in_size, out_size;
    const void *data;
    size_t data_len;
} mpr__pool_cmd;

typedef struct {
    uint64_t job, start, count;
    uint32_t status;
    uint64_t failed_index;
    uint64_t output_bytes;
    uint64_t posted;
    char message[MPR__MSG_MAX];
    const void *data;
    size_t data_len;
} mpr__pool_result;

/* The per-worker status of a static map, gathered with MPI_Igather. */
typedef struct {
    int32_t failed;
    int32_t reserved;
    uint64_t index;
    uint64_t output_bytes;
    uint64_t posted;
    char message[MPR__MSG_MAX];
} mpr__pool_status;

/* Items of pool rank w (1..k) in a balanced block partition of n. */
static inline void mpr__pool_block(uint64_t n, int k, int w, uint64_t *first, uint64_t *count)
{
    uint64_t base = n / (uint64_t)k, extra = n % (uint64_t)k, i = (uint64_t)(w - 1);
    *first = i * base + (i < extra ? i : extra);
    *count = base + (i < extra ? 1 : 0);
}

void mpr__pool_cmd_encode(mpr__wbuf *w, const mpr__pool_cmd *c);
bool mpr__pool_cmd_decode(const void *msg, size_t len, mpr__pool_cmd *c);
void mpr__pool_result_encode(mpr__wbuf *w, const mpr__pool_result *r);
bool mpr__pool_result_decode(const void *msg, size_t len, mpr__pool_result *r);

/* The pool's communicator: rank 0 and the workers (ranks[0..n), world
 * ranks, ranks[0] == 0), made by all of them at once (tag tells concurrent
 * pools apart), with MPI_ERRORS_RETURN. */
int mpr__pool_comm_create(const int *ranks, int n, int tag, MPI_Comm *comm);

/* The worker side: the target every pool worker rank runs. */
int mpr__pool_worker_main(const void *arg, size_t len);

#endif /* MPR_POOL_PROTOCOL_H */
