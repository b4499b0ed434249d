/*
 * heap.c — the shared heap: one segment per node, its allocator, MPI
 * atomics on it, and the server that applies them for other nodes.
 *
 * WHAT
 *   Every node owns one shared segment, the heap. Value, Array (value.c) and
 *   the synchronization objects (lock.c, sync.c) are carved out of it by any
 *   rank, without a collective call, and their handles are plain structs
 *   (home, offset, type) that travel in task argument bytes like a Queue.
 *
 * DESIGN
 *   At init the ranks of a node (MPI_Comm_split_type SHARED, or one "node"
 *   per rank with MPR_NODE_SPLIT=rank) call MPI_Win_allocate_shared: the
 *   node leader (lowest world rank) holds all MPR_HEAP_SIZE bytes, the
 *   others 0, so one (leader, offset) pair names a word. Every rank opens a
 *   passive-target epoch (MPI_Win_lock_all) that lasts until finalize.
 *   A handle's `home` is the world rank of the leader of the node that
 *   holds it.
 *
 *   Every access is an MPI atomic on that one window: reads are
 *   MPI_Get_accumulate(MPI_NO_OP), writes MPI_Accumulate(MPI_REPLACE),
 *   fetch_add MPI_Get_accumulate(MPI_SUM), CAS MPI_Compare_and_swap, each
 *   followed by MPI_Win_flush. No CPU atomics touch the heap, so the MPI
 *   atomicity rule (same window, same datatype) is never broken. Only
 *   mpr_array_ptr hands out raw memory, for the race lessons.
 *
 *   A rank on the home node applies the operation itself (osc sm works in
 *   shared memory, so it never waits for the target). A rank on another
 *   node sends the operation (TAG_SHM_REQ on comm_shm) to a server thread
 *   on the home node's leader, which applies it through the same window
 *   and answers (TAG_SHM_REP). Requests are synchronous calls (rpc.c): a
 *   client has one in flight, so replies need no ids, and an operation
 *   made inside a timed wait (a lock's acquire) carries its time limit. The server is a progress.c
 * server, as rank 0's service thread is: the node server, which also serves the node's queues and
 * pipes to other nodes (channel.c) and keeps their spilled items, so every node's leader runs one.
 *
 * MEASURED (Open MPI 4.1.4, this 2-core machine, MPI_THREAD_MULTIPLE)
 *   - A world window (MPI_Win_create over the segments) with a
 *     passive-target MPI_Fetch_and_op while the target computes for 2 s
 *     without calling MPI: osc rdma (the default, priority 101) 2.00 s,
 *     osc ucx (pml ucx, pml_ucx_tls/devices any) 2.00 s, both on one node,
 *     warmed up or not. tools/netns-cluster.md adds: osc rdma fails
 *     MPI_Win_create across TCP nodes, osc pt2pt refuses
 *     MPI_THREAD_MULTIPLE. Workers compute without calling MPI, so a world
 *     window would stall any Value whose home is busy; hence the server.
 *   - osc sm, same test on the shared window: 4 us, and 0.036 us per
 *     fetch_add+flush uncontended. osc sm is what Open MPI picks for
 *     MPI_Win_allocate_shared; mpr sets no MCA parameter.
 *
 * INVARIANTS
 *   Heap word 0 is the bump pointer (bytes in use, starting at OBJECTS);
 *   it only grows, through CAS, and never past the heap size. Between
 *   HEADER and OBJECTS lie the read-mostly cells, at the same offsets on
 *   every node. In a job of several nodes only the node's server thread
 *   writes a cell (SEQUENCED and PUBLISH are never applied by a client,
 *   and handles of plain objects are refused below OBJECTS); cell 0 of
 *   rank 0's node is a plain counter instead (replica.c). A job of one node
 *   has no server and writes its cells as plain words. Objects are
 *   8-byte aligned and zero when carved (the leader zeroes the segment at
 *   init and it is never reused), and live until mpr_finalize.
 */
#include "mpr-internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum {
    HEADER = MPR__HEAP_HEADER,
    /* Objects start after the read-mostly cells (replica.c). */
    OBJECTS = HEADER + MPR__REPLICA_CELLS * MPR__REPLICA_CELL,
    DEFAULT_HEAP = 4 << 20
};

static struct {
    bool up;
    MPI_Comm comm_shm;     /* requests to and replies from the servers */
    mpr__endpoint servers; /* the heap servers, as clients reach them */
    MPI_Comm node;         /* this node's ranks */
    MPI_Win win;           /* the shared window; the leader is node rank 0 */
    int leader;            /* world rank of this node's leader */
    int *leader_of;        /* world rank -> world rank of its node's leader */
    int node_rank, node_size;
    unsigned char *mem; /* the leader's segment, mapped here */
    uint64_t heap_size;
    mpr__server server; /* the leader's, when the job spans nodes */
} shm;

/* A request as it travels: the operation and where, then the origin
 * values (count elements) and, for CAS, the compare value. */
typedef struct {
    uint32_t op;
    uint32_t type;
    uint32_t count;
    uint32_t pad;
    uint64_t offset;
    double act_by; /* rpc.c: the server refuses the request after this job time */
} wire_req;

/* ------------------------------------------------------------ typecodes */

/* Python's array module codes. 'c' is a byte here (signed char). */
static MPI_Datatype type_of(char code)
{
    switch (code) {
    case 'c':
    case 'b':
        return MPI_SIGNED_CHAR;
    case 'B':
        return MPI_UNSIGNED_CHAR;
    case 'h':
        return MPI_SHORT;
    case 'H':
        return MPI_UNSIGNED_SHORT;
    case 'i':
        return MPI_INT;
    case 'I':
        return MPI_UNSIGNED;
    case 'l':
        return MPI_LONG;
    case 'L':
        return MPI_UNSIGNED_LONG;
    case 'q':
        return MPI_INT64_T;
    case 'Q':
        return MPI_UINT64_T;
    case 'f':
        return MPI_FLOAT;
    case 'd':
        return MPI_DOUBLE;
    default:
        return MPI_DATATYPE_NULL;
    }
}

size_t mpr_typecode_size(char typecode)
{
    switch (typecode) {
    case 'c':
    case 'b':
    case 'B':
        return 1;
    case 'h':
    case 'H':
        return 2;
    case 'i':
    case 'I':
    case 'f':
        return 4;
    case 'l':
    case 'L':
        return sizeof(long);
    case 'q':
    case 'Q':
    case 'd':
        return 8;
    default:
        return 0;
    }
}

/* MPI_Compare_and_swap takes integer types only: floats are compared as
 * their bits, which is what a CAS loop over a float wants anyway. */
static MPI_Datatype cas_type_of(char code)
{
    if (code == 'f')
        return MPI_INT32_T;
    if (code == 'd')
        return MPI_INT64_T;
    return type_of(code);
}

int mpr__typecode_check(char code)
{
    if (mpr_typecode_size(code) == 0)
        return mpr__fail(MPR_EINVAL,
                         "typecode '%c' (%d) is not one of Python's array codes "
                         "c b B h H i I l L q Q f d",
                         code > 32 && code < 127 ? code : '?', code);
    return MPR_OK;
}

/* -------------------------------------------------- applying an operation */

static bool op_has_result(uint32_t op) { return op != MPR__SHM_WRITE && op != MPR__SHM_PUBLISH; }

static bool op_has_origin(uint32_t op) { return op != MPR__SHM_READ; }

/* The operation a SEQUENCED one applies (any other: itself). */
static uint32_t base_op(uint32_t op) { return op & ~(uint32_t)MPR__SHM_SEQUENCED; }

/* The ops on read-mostly cells: a node's server applies them, never a
 * client, so each node's cells have one writer. */
static bool server_only(uint32_t op)
{
    return (op & MPR__SHM_SEQUENCED) != 0 || op == MPR__SHM_PUBLISH;
}

/* Bytes of a reply's result: the old values; a SEQUENCED op adds the new
 * element and the sequence. */
static size_t result_len(const wire_req *rq, size_t es)
{
    if (rq->op & MPR__SHM_SEQUENCED)
        return 2 * es + 2 * sizeof(int64_t);
    return op_has_result(rq->op) ? es * rq->count : 0;
}

/* Applies one operation to this node's window: on a client of the home
 * node, or on the home node's server thread for a remote client. */
static int apply_local(const wire_req *rq, const void *origin, const void *compare, void *result)
{
    char code = (char)rq->type;
    MPI_Datatype dt = type_of(code);
    MPI_Aint disp = (MPI_Aint)rq->offset;
    int n = (int)rq->count;
    MPI_Op op = rq->op == MPR__SHM_ADD    ? MPI_SUM
                : rq->op == MPR__SHM_OR   ? MPI_BOR
                : rq->op == MPR__SHM_SWAP ? MPI_REPLACE
                                          : MPI_NO_OP;
    switch (rq->op) {
    case MPR__SHM_READ:
    case MPR__SHM_ADD:
    case MPR__SHM_OR:
    case MPR__SHM_SWAP:
        MPR_MPI_CALL(MPI_Get_accumulate(origin, op == MPI_NO_OP ? 0 : n, dt, result, n, dt, 0, disp,
                                        n, dt, op, shm.win));
        break;
    case MPR__SHM_WRITE:
        MPR_MPI_CALL(MPI_Accumulate(origin, n, dt, 0, disp, n, dt, MPI_REPLACE, shm.win));
        break;
    case MPR__SHM_CAS:
        MPR_MPI_CALL(
            MPI_Compare_and_swap(origin, compare, result, cas_type_of(code), 0, disp, shm.win));
        break;
    default:
        return mpr__fail(MPR_EINVAL, "unknown shared-memory operation %u", rq->op);
    }
    MPR_MPI_CALL(MPI_Win_flush(0, shm.win));
    return MPR_OK;
}

/* ------------------------------------------------- read-mostly cells */

/* At the home's server: the op on the element (a store as a swap, to
 * learn the old value), then, if it changed the element, the sequence
 * bumped. result: old element, new element, sequence, and 1 if it changed
 * the element (0: a CAS that did not swap; the sequence is the current). */
static int apply_sequenced(const wire_req *rq, const unsigned char *origin,
                           const unsigned char *compare, unsigned char *result)
{
    size_t es = mpr_typecode_size((char)rq->type);
    wire_req step = *rq;
    step.op = base_op(rq->op);
    if (step.op == MPR__SHM_WRITE)
        step.op = MPR__SHM_SWAP;
    MPR_CHECK(apply_local(&step, origin, compare, result));
    bool changed = step.op != MPR__SHM_CAS || memcmp(result, compare, es) == 0;
    step.op = MPR__SHM_READ; /* this thread is the cell's only writer */
    MPR_CHECK(apply_local(&step, NULL, NULL, result + es));
    int64_t seq = 0, bump = changed;
    wire_req word = {.op = MPR__SHM_ADD, .type = 'q', .count = 1, .offset = rq->offset + 8};
    MPR_CHECK(apply_local(&word, &bump, NULL, &seq));
    seq += bump;
    memcpy(result + 2 * es, &seq, sizeof seq);
    memcpy(result + 2 * es + sizeof seq, &bump, sizeof bump);
    return MPR_OK;
}

/* At any node's server: a copy takes the element if its sequence is newer
 * than the copy's (two stores' publications may arrive in either order). */
static int apply_publish(const wire_req *rq, const unsigned char *origin)
{
    size_t es = mpr_typecode_size((char)rq->type);
    int64_t seq = 0, have = 0;
    memcpy(&seq, origin + es, sizeof seq);
    wire_req word = {.op = MPR__SHM_READ, .type = 'q', .count = 1, .offset = rq->offset + 8};
    MPR_CHECK(apply_local(&word, NULL, NULL, &have));
    if (seq <= have)
        return MPR_OK;
    wire_req elem = {.op = MPR__SHM_WRITE, .type = rq->type, .count = 1, .offset = rq->offset};
    MPR_CHECK(apply_local(&elem, origin, NULL, NULL));
    word.op = MPR__SHM_WRITE;
    return apply_local(&word, &seq, NULL, NULL);
}

static int apply_at_server(const wire_req *rq, const unsigned char *origin,
                           const unsigned char *compare, unsigned char *result)
{
    if (rq->op & MPR__SHM_SEQUENCED)
        return apply_sequenced(rq, origin, compare, result);
    if (rq->op == MPR__SHM_PUBLISH)
        return apply_publish(rq, origin);
    return apply_local(rq, origin, compare, result);
}

static size_t request_len(const wire_req *rq, size_t es)
{
    uint32_t base = base_op(rq->op);
    size_t data = op_has_origin(base) ? es * rq->count : 0;
    if (base == MPR__SHM_PUBLISH)
        data += sizeof(int64_t); /* the sequence */
    return sizeof *rq + data + (base == MPR__SHM_CAS ? es : 0);
}

/* The request as one message: the operation, its origin values, for CAS
 * the compare value. */
static unsigned char *encode_request(const wire_req *rq, const void *origin, const void *compare,
                                     int *count)
{
    size_t es = mpr_typecode_size((char)rq->type);
    bool cas = base_op(rq->op) == MPR__SHM_CAS;
    size_t len = request_len(rq, es), data = len - sizeof *rq - (cas ? es : 0);
    if (mpr__count_to_int(len, count) != MPR_OK)
        return NULL;
    unsigned char *msg = malloc(len);
    if (!msg) {
        mpr__fail(MPR_ENOMEM, "no memory for a %zu-byte shared-memory request", len);
        return NULL;
    }
    memcpy(msg, rq, sizeof *rq);
    if (data)
        memcpy(msg + sizeof *rq, origin, data);
    if (cas) {
        MPR_ASSERT(compare); /* every CAS caller passes the expected value */
        memcpy(msg + sizeof *rq + data, compare, es);
    }
    return msg;
}

/* Sends the operation to the server of the home node and waits (rpc.c)
 * for its answer: an int32 code, then the result bytes. */
static int apply_remote(int home, const wire_req *rq, const void *origin, const void *compare,
                        void *result, mpr__limit lim)
{
    int count = 0;
    unsigned char *msg = encode_request(rq, origin, compare, &count);
    if (!msg)
        return MPR_ENOMEM;
    unsigned char *rep = NULL;
    size_t replen = 0;
    int rc = mpr__rpc(&shm.servers, home, msg, count, lim, (void **)&rep, &replen);
    MPR_CHECK(rc);
    int32_t code = MPR_EMPI;
    size_t want = result_len(rq, mpr_typecode_size((char)rq->type));
    if (replen >= sizeof code)
        memcpy(&code, rep, sizeof code);
    if (code == MPR_OK && replen != sizeof code + want)
        code = mpr__fail(MPR_EMPI, "malformed shared-memory reply from rank %d", home);
    else if (code == MPR_OK && want)
        memcpy(result, rep + sizeof code, want);
    else if (code == MPR_ETIMEDOUT)
        mpr__fail(code, "rank %d got the operation after its time limit and did not apply it",
                  home);
    else if (code != MPR_OK)
        mpr__fail(code,
                  "rank %d refused a shared-memory operation at offset %llu: a damaged handle",
                  home, (unsigned long long)rq->offset);
    free(rep);
    return code;
}

int mpr__shm_op_by(int home, uint32_t op, char type, uint64_t offset, uint32_t count,
                   const void *origin, const void *compare, void *result, mpr__limit lim)
{
    MPR_CHECK(mpr__require_init());
    wire_req rq = {.op = op,
                   .type = (uint32_t)(unsigned char)type,
                   .count = count,
                   .offset = offset,
                   .act_by = lim.act_by};
    if (home == shm.leader && !server_only(op))
        return apply_local(&rq, origin, compare, result);
    return apply_remote(home, &rq, origin, compare, result, lim);
}

int mpr__shm_op(int home, uint32_t op, char type, uint64_t offset, uint32_t count,
                const void *origin, const void *compare, void *result)
{
    return mpr__shm_op_by(home, op, type, offset, count, origin, compare, result,
                          mpr__limit_none());
}

bool mpr__shm_span_ok(uint64_t offset, uint64_t bytes)
{
    return offset >= OBJECTS && offset % 8 == 0 && offset <= shm.heap_size &&
           bytes <= shm.heap_size - offset;
}

bool mpr__replica_cell_ok(uint64_t offset)
{
    return offset >= MPR__REPLICA_REGION + MPR__REPLICA_CELL && offset < OBJECTS &&
           (offset - MPR__REPLICA_REGION) % MPR__REPLICA_CELL == 0;
}

/* The word operations lock.c and sync.c build on. A failure here means
 * MPI itself broke (handles were checked with mpr__shm_span_ok), so it is
 * a bug. */
int64_t mpr__shm_i64(int home, uint32_t op, uint64_t offset, int64_t arg)
{
    int64_t old = 0;
    int rc = mpr__shm_op(home, op, 'q', offset, 1, &arg, NULL, &old);
    MPR_ASSERT(rc == MPR_OK);
    return old;
}

int64_t mpr__shm_cas64(int home, uint64_t offset, int64_t expect, int64_t desired)
{
    int64_t old = 0;
    int rc = mpr__shm_op(home, MPR__SHM_CAS, 'q', offset, 1, &desired, &expect, &old);
    MPR_ASSERT(rc == MPR_OK);
    return old;
}

int mpr__shm_i64_by(int home, uint32_t op, uint64_t offset, int64_t arg, mpr__limit lim,
                    int64_t *old)
{
    int rc = mpr__shm_op_by(home, op, 'q', offset, 1, &arg, NULL, old, lim);
    MPR_ASSERT(rc == MPR_OK || rc == MPR_ETIMEDOUT);
    return rc;
}

int mpr__shm_cas64_by(int home, uint64_t offset, int64_t expect, int64_t desired, mpr__limit lim,
                      int64_t *old)
{
    int rc = mpr__shm_op_by(home, MPR__SHM_CAS, 'q', offset, 1, &desired, &expect, old, lim);
    MPR_ASSERT(rc == MPR_OK || rc == MPR_ETIMEDOUT);
    return rc;
}

/* ------------------------------------------------------------ the server */

/* Validates a request against the heap before touching the window: a
 * damaged handle must not make the server write out of bounds. */
static int check_request(const wire_req *rq, size_t len, size_t *es)
{
    if (len < sizeof *rq || mpr_typecode_size((char)rq->type) == 0)
        return MPR_EINVAL;
    *es = mpr_typecode_size((char)rq->type);
    uint32_t base = base_op(rq->op);
    bool sequenced = base != rq->op;
    if (base < MPR__SHM_READ || base > MPR__SHM_PUBLISH || len != request_len(rq, *es))
        return MPR_EINVAL;
    /* offset + size may not wrap: compare against what is left */
    if (rq->count == 0 || rq->offset > shm.heap_size ||
        (uint64_t)*es * rq->count > shm.heap_size - rq->offset)
        return MPR_EINVAL;
    if (sequenced && base != MPR__SHM_WRITE && base != MPR__SHM_ADD && base != MPR__SHM_CAS)
        return MPR_EINVAL;
    if (server_only(rq->op))
        return rq->count == 1 && mpr__replica_cell_ok(rq->offset) ? MPR_OK : MPR_EINVAL;
    /* Plain operations touch the objects, and of the cells only the
     * counter of cells handed out; the cells' only writer is the server. */
    bool counter = rq->offset == MPR__REPLICA_NEXT && rq->count == 1 && rq->type == 'q';
    return rq->offset >= OBJECTS || counter ? MPR_OK : MPR_EINVAL;
}

static void serve_one(MPI_Message *m, MPI_Status *st)
{
    unsigned char *raw = NULL;
    size_t len = 0, es = 0;
    MPR_ASSERT(mpr__mrecv_alloc(m, st, (void **)&raw, &len) == MPR_OK);
    wire_req rq = {0};
    memcpy(&rq, raw, len < sizeof rq ? len : sizeof rq);
    int32_t code = check_request(&rq, len, &es);
    if (code == MPR_OK && mpr__limit_passed(rq.act_by))
        code = MPR_ETIMEDOUT; /* it came too late: its client gives up (rpc.c) */
    size_t rlen = sizeof code + (code == MPR_OK ? result_len(&rq, es) : 0);
    unsigned char *rep = calloc(1, rlen);
    MPR_ASSERT(rep);
    if (code == MPR_OK) {
        const unsigned char *origin = raw + sizeof rq;
        const unsigned char *compare = origin + (op_has_origin(rq.op) ? es * rq.count : 0);
        code = apply_at_server(&rq, origin, compare, rep + sizeof code);
    }
    memcpy(rep, &code, sizeof code);
    MPR_MPI_MUST(
        mpr__send(rep, (int)rlen, st->MPI_SOURCE, MPR__TAG_SHM_REP, shm.comm_shm, st->MPI_SOURCE));
    free(rep);
    free(raw);
}

/* --------------------------------------------------------- init and fini */

static uint64_t heap_size_setting(void)
{
    uint64_t v = mpr__setting_u64("MPR_HEAP_SIZE", DEFAULT_HEAP, (uint64_t)OBJECTS + HEADER,
                                  (uint64_t)1 << 40);
    return (v + 7) & ~7ull;
}

static int split_nodes(void)
{
    const char *s = getenv("MPR_NODE_SPLIT");
    if (s && strcmp(s, "rank") == 0)
        MPR_MPI_CALL(MPI_Comm_split(shm.comm_shm, mpr__rt.rank, 0, &shm.node));
    else
        MPR_MPI_CALL(MPI_Comm_split_type(shm.comm_shm, MPI_COMM_TYPE_SHARED, mpr__rt.rank,
                                         MPI_INFO_NULL, &shm.node));
    MPR_MPI_CALL(MPI_Comm_set_errhandler(shm.node, MPI_ERRORS_RETURN));
    return MPR_OK;
}

/* The leader holds the whole heap; everyone maps it and opens the epoch. */
static int open_window(int node_rank)
{
    void *mine = NULL;
    MPI_Aint bytes = node_rank == 0 ? (MPI_Aint)shm.heap_size : 0;
    MPR_MPI_CALL(MPI_Win_allocate_shared(bytes, 1, MPI_INFO_NULL, shm.node, &mine, &shm.win));
    MPR_MPI_CALL(MPI_Win_set_errhandler(shm.win, MPI_ERRORS_RETURN));
    MPI_Aint size = 0;
    int unit = 0;
    MPR_MPI_CALL(MPI_Win_shared_query(shm.win, 0, &size, &unit, &shm.mem));
    /* Not every window starts zeroed (a 1-rank osc sm window may be plain
     * malloc), and carved objects must. This is the only CPU store to the
     * heap, made before any MPI access and published by MPI_Win_sync and
     * the barrier in mpr__heap_init. */
    if (node_rank == 0)
        memset(mine, 0, shm.heap_size);
    MPR_MPI_CALL(MPI_Win_lock_all(MPI_MODE_NOCHECK, shm.win));
    MPR_MPI_CALL(MPI_Win_sync(shm.win));
    if (node_rank == 0) {
        int64_t used = OBJECTS;
        MPR_MPI_CALL(
            MPI_Accumulate(&used, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, MPI_REPLACE, shm.win));
        MPR_MPI_CALL(MPI_Win_flush(0, shm.win));
    }
    return MPR_OK;
}

/* Collective. Once every rank is here, no client has a request in flight
 * and the servers may stop; the barrier waits without spinning. */
static int heap_fini(void)
{
    if (!shm.up)
        return MPR_OK;
    shm.up = false;
    MPI_Request req;
    MPR_MPI_CALL(MPI_Ibarrier(shm.comm_shm, &req));
    MPR_CHECK(mpr__request_wait(&req, -1));
    mpr__server_stop(&shm.server);
    free(shm.leader_of);
    shm.leader_of = NULL;
    MPR_MPI_RELEASE(MPI_Win_unlock_all(shm.win));
    MPR_MPI_RELEASE(MPI_Win_free(&shm.win));
    MPR_MPI_RELEASE(MPI_Comm_free(&shm.node));
    mpr__endpoint_fini(&shm.servers);
    MPR_MPI_RELEASE(MPI_Comm_free(&shm.comm_shm));
    return MPR_OK;
}

int mpr__heap_init(void)
{
    shm.heap_size = heap_size_setting();
    MPR_MPI_CALL(MPI_Comm_dup(MPI_COMM_WORLD, &shm.comm_shm));
    MPR_MPI_CALL(MPI_Comm_set_errhandler(shm.comm_shm, MPI_ERRORS_RETURN));
    MPR_CHECK(mpr__endpoint_init(&shm.servers, shm.comm_shm, MPR__TAG_SHM_REQ, MPR__TAG_SHM_REP));
    MPR_CHECK(split_nodes());
    MPR_MPI_CALL(MPI_Comm_rank(shm.node, &shm.node_rank));
    MPR_MPI_CALL(MPI_Comm_size(shm.node, &shm.node_size));
    MPR_CHECK(open_window(shm.node_rank));
    shm.leader = mpr__rt.rank;
    MPR_MPI_CALL(MPI_Bcast(&shm.leader, 1, MPI_INT, 0, shm.node));
    shm.leader_of = malloc((size_t)mpr__rt.size * sizeof *shm.leader_of);
    MPR_ASSERT(shm.leader_of);
    MPR_MPI_CALL(MPI_Allgather(&shm.leader, 1, MPI_INT, shm.leader_of, 1, MPI_INT, shm.comm_shm));
    MPR_MPI_CALL(MPI_Barrier(shm.node));
    shm.up = true;
    mpr__at_finalize(MPR__FINI_HEAP, heap_fini);
    if (shm.node_rank == 0 && shm.node_size < mpr__rt.size)
        /* Its first source: heap requests from ranks of other nodes. */
        mpr__server_add_messages(&shm.server, shm.comm_shm, MPR__TAG_SHM_REQ, serve_one);
    return MPR_OK;
}

MPI_Comm mpr__node_comm(void) { return shm.node; }

int mpr__node_rank(void) { return shm.node_rank; }

int mpr__node_size(void) { return shm.node_size; }

int mpr__node_leader_of(int world_rank)
{
    if (!shm.leader_of || world_rank < 0 || world_rank >= mpr__rt.size)
        return -1;
    return shm.leader_of[world_rank];
}

mpr__server *mpr__node_server(void) { return shm.node_rank == 0 ? &shm.server : NULL; }

int mpr__node_server_start(void)
{
    if (shm.node_rank != 0 || shm.server.nsources == 0)
        return MPR_OK;
    return mpr__server_start(&shm.server, "node server");
}

/* ------------------------------------------------------------ allocation */

int mpr__shm_alloc(size_t bytes, int32_t *home, uint64_t *offset)
{
    MPR_CHECK(mpr__require_init());
    uint64_t need = ((uint64_t)bytes + 7) & ~7ull;
    int64_t used = mpr__shm_i64(shm.leader, MPR__SHM_READ, 0, 0);
    for (;;) {
        if (need < bytes || (uint64_t)used + need > shm.heap_size)
            return mpr__fail(MPR_ENOMEM,
                             "the shared heap of rank %d's node (%s) is full: %llu of %llu bytes "
                             "in use, %zu more needed; raise MPR_HEAP_SIZE (now %llu)",
                             shm.leader, mpr__rt.host, (unsigned long long)used,
                             (unsigned long long)shm.heap_size, bytes,
                             (unsigned long long)shm.heap_size);
        int64_t seen = mpr__shm_cas64(shm.leader, 0, used, used + (int64_t)need);
        if (seen == used)
            break;
        used = seen;
    }
    *home = shm.leader;
    *offset = (uint64_t)used;
    return MPR_OK;
}

void *mpr__shm_local(int32_t home, uint64_t offset, uint64_t bytes)
{
    if (!shm.up || home != shm.leader || !mpr__shm_span_ok(offset, bytes))
        return NULL;
    return shm.mem + offset;
}

uint64_t mpr__shm_heap_size(void) { return shm.heap_size; }

uint64_t mpr__node_server_handled(void) { return atomic_load(&shm.server.handled); }
