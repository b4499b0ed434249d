/*
 * mpr-internal.h — what the library's files share. Never installed.
 *
 * Naming: mpr__<noun>_<verb> for non-static internals (libuv's uv__).
 *
 * Sections follow the layers of layers.txt, bottom first: a file uses
 * only what is declared in its own section's layer or above it here.
 */
#ifndef MPR_INTERNAL_H
#define MPR_INTERNAL_H

#include "mpr.h"

#include <mpi.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

/* ----------------------------------------------------------- state.c */

#define MPR__HOST_MAX 64
#define MPR__NAME_MAX 64
/* Every error and diagnostic text mpr keeps (last error, a reply's and a
 * process's error, a raise message) is at most this long, terminated. */
#define MPR__MSG_MAX 512

typedef struct {
    long pid;
    char host[MPR__HOST_MAX];
} mpr__rank_info;

typedef struct {
    bool initialized;
    bool we_init_mpi; /* finalize MPI only if mpr started it */
    int rank, size;
    MPI_Comm comm_task; /* rank 0 <-> workers: tasks and completions */
    MPI_Comm comm_svc;  /* any rank <-> service thread on rank 0 */
    char host[MPR__HOST_MAX];
    char name[MPR__NAME_MAX];
    mpr__rank_info *ranks; /* rank 0 only: every rank's pid and host */
} mpr__runtime;

extern mpr__runtime mpr__rt;

void mpr__self_set_name(const char *name);

/* Finalize steps, registered by each module when it starts and run by
 * mpr_finalize (rank 0) or a worker's exit, phase by phase in this order;
 * within a phase, the last registered first. */
enum {
    MPR__FINI_POOLS,     /* pool.c: terminate pools left open */
    MPR__FINI_PROCESSES, /* process.c: join every running Process */
    MPR__FINI_WORKERS,   /* lifecycle.c: STOP to every worker */
    MPR__FINI_HEAP,      /* heap.c: collective; stops the node server */
    MPR__FINI_CHANNELS,  /* ring.c, channel.c: the arena, the spilled items */
    MPR__FINI_SERVICE,   /* service.c: stops the service thread */
    MPR__FINI_DOORBELLS, /* doorbell.c */
    MPR__FINI_OUTPUT,    /* output.c: restores stdout */
    MPR__FINI_STATE,     /* workers.c */
    MPR__FINI_RUNTIME,   /* lifecycle.c: communicators, MPI_Finalize */
    MPR__FINI_PHASES
};
typedef int (*mpr__fini_fn)(void);
void mpr__at_finalize(int phase, mpr__fini_fn fn);
/* Runs the registered steps. Rank 0 stops at the first that fails (a
 * later one may be collective, and the ranks a failure left behind would
 * never join it) and keeps it for a retry; a worker, which exits after,
 * runs every step whatever fails and returns the first failure. */
int mpr__run_finalizers(bool stop_at_failure);

/* ------------------------------------------------------------ error.c */

/* Records a message for mpr_last_error() on this thread and returns code:
 *   return mpr__fail(MPR_ETRUNC, "item is %zu bytes, buffer holds %zu", need, cap); */
int mpr__fail(int code, const char *fmt, ...) MPR_PRINTF(2, 3);
int mpr__vfail(int code, const char *fmt, va_list ap);

/* The message mpr_raise() left for the task running on this thread, and
 * its reset before each task. */
const char *mpr__raise_message(void);
void mpr__raise_reset(void);

/* Turns an MPI failure into MPR_EMPI with MPI's own text, file and line
 * (PetscCallMPI). mpr's communicators use MPI_ERRORS_RETURN so this sees
 * errors instead of the job aborting. */
int mpr__mpi_fail(int mpi_code, const char *call, const char *file, int line);
#define MPR_MPI_CALL(call)                                                                         \
    do {                                                                                           \
        int mpr_mpi_rc_ = (call);                                                                  \
        if (mpr_mpi_rc_ != MPI_SUCCESS)                                                            \
            return mpr__mpi_fail(mpr_mpi_rc_, #call, __FILE__, __LINE__);                          \
    } while (0)

/* Server-side paths (the service thread, the heap server, a worker's task
 * loop and pool loop) have no caller to hand an error to, and a failure
 * there would leave clients waiting forever: MPR_MPI_MUST aborts the job,
 * naming the call, rank, host and MPI's text. Releasing MPI objects (frees)
 * on a path that already reports an error, or that has nothing left to
 * report to, goes through MPR_MPI_RELEASE: a failure is logged, and the
 * path goes on. Everything else uses MPR_MPI_CALL. (Policy: error.c.) */
_Noreturn void mpr__mpi_abort(int mpi_code, const char *call, const char *file, int line);
void mpr__mpi_warn(int mpi_code, const char *call, const char *file, int line);
#define MPR_MPI_MUST(call)                                                                         \
    do {                                                                                           \
        int mpr_mpi_rc_ = (call);                                                                  \
        if (mpr_mpi_rc_ != MPI_SUCCESS)                                                            \
            mpr__mpi_abort(mpr_mpi_rc_, #call, __FILE__, __LINE__);                                \
    } while (0)
#define MPR_MPI_RELEASE(call)                                                                      \
    do {                                                                                           \
        int mpr_mpi_rc_ = (call);                                                                  \
        if (mpr_mpi_rc_ != MPI_SUCCESS)                                                            \
            mpr__mpi_warn(mpr_mpi_rc_, #call, __FILE__, __LINE__);                                 \
    } while (0)

/* A broken internal invariant is a bug, not an error code: print where and
 * abort the job (on in every build type; Redis serverAssert). */
_Noreturn void mpr__assert_fail(const char *expr, const char *file, int line);
#define MPR_ASSERT(expr) ((expr) ? (void)0 : mpr__assert_fail(#expr, __FILE__, __LINE__))

/* Propagate a negative code (PetscCall). */
#define MPR_CHECK(call)                                                                            \
    do {                                                                                           \
        int mpr_rc_ = (call);                                                                      \
        if (mpr_rc_ < 0)                                                                           \
            return mpr_rc_;                                                                        \
    } while (0)

/* size_t to the int counts MPI wants, refusing what does not fit. */
int mpr__count_to_int(size_t n, int *out);

/* MPR_ESTATE before mpr_init; MPR_ERANK on a rank other than 0. */
int mpr__require_init(void);
int mpr__require_rank0(const char *what);

/* ---------------------------------------------------------- workers.c */

/* Rank 0's set of free worker ranks. take: the n lowest free ranks into
 * ranks[0..n), all or none (MPR_ENORANK saying how many there are and
 * how to launch more); give: one back. */
void mpr__workers_init(void);
int mpr__workers_take(int n, int *ranks);
void mpr__worker_give(int rank);

/* ------------------------------------------------------------- log.c */

/* Lines go to stderr prefixed "mpr rank@host:". MPR_LOG=debug|info|warn
 * (default warn) picks what shows. */
enum { MPR__LOG_WARN = 1, MPR__LOG_INFO = 2, MPR__LOG_DEBUG = 3 };
void mpr__log(int level, const char *fmt, ...) MPR_PRINTF(2, 3);
#define MPR_WARN(...) mpr__log(MPR__LOG_WARN, __VA_ARGS__)
#define MPR_INFO(...) mpr__log(MPR__LOG_INFO, __VA_ARGS__)
#ifdef NDEBUG
#define MPR_DEBUG(...) ((void)0)
#else
#define MPR_DEBUG(...) mpr__log(MPR__LOG_DEBUG, __VA_ARGS__)
#endif

/* ------------------------------------------------------------ wire.c */

/* Every MPI tag mpr uses, in one place. They live on mpr's own duplicated
 * communicators, never on the user's. Object ids travel in message bodies,
 * never in tags, so MPI_TAG_UB is no limit. */
enum {
    MPR__TAG_TASK = 1, /* rank 0 -> worker: run a target */
    MPR__TAG_DONE,     /* worker -> rank 0: the target returned */
    MPR__TAG_STOP,     /* rank 0 -> worker: finalize and exit */
    MPR__TAG_REQ,      /* any rank -> service: object request */
    MPR__TAG_REP,      /* service -> requester: reply */
    MPR__TAG_OUT,      /* worker -> service: forwarded stdout bytes */
    MPR__TAG_POOL_CMD, /* pool comm, rank 0 -> pool worker: a chunk, a task, stop */
    MPR__TAG_POOL_RES, /* pool comm, pool worker -> rank 0: a chunk's or task's result */
    MPR__TAG_SHM_REQ,  /* comm_shm, any rank -> node's heap server: an operation */
    MPR__TAG_SHM_REP,  /* comm_shm, heap server -> requester: its result */
    MPR__TAG_CHAN_REQ, /* channel comm, any rank -> home node's server */
    MPR__TAG_CHAN_REP, /* channel comm, home node's server -> requester */
};

/* A bounded writer and a bounded reader over bytes. The reader never reads
 * past its end: a short or malformed message sets `bad` and every later
 * read returns zeros, so decoders check once at the end. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    bool oom;
} mpr__wbuf;
typedef struct {
    const unsigned char *data;
    size_t len, pos;
    bool bad;
} mpr__rbuf;

void mpr__wbuf_init(mpr__wbuf *w);
void mpr__wbuf_free(mpr__wbuf *w);
/* Hands over the malloc'd bytes (NULL if none) and leaves w empty. */
void *mpr__wbuf_take(mpr__wbuf *w);
void mpr__wbuf_put(mpr__wbuf *w, const void *p, size_t n);
void mpr__wbuf_u32(mpr__wbuf *w, uint32_t v);
void mpr__wbuf_u64(mpr__wbuf *w, uint64_t v);
void mpr__wbuf_f64(mpr__wbuf *w, double v);
void mpr__wbuf_bytes(mpr__wbuf *w, const void *p, size_t n); /* u64 length + bytes */
void mpr__wbuf_str(mpr__wbuf *w, const char *s);

void mpr__rbuf_init(mpr__rbuf *r, const void *data, size_t len);
uint32_t mpr__rbuf_u32(mpr__rbuf *r);
uint64_t mpr__rbuf_u64(mpr__rbuf *r);
double mpr__rbuf_f64(mpr__rbuf *r);
/* Borrowed pointer into the message and its length; NULL when bad. */
const void *mpr__rbuf_bytes(mpr__rbuf *r, size_t *n);
/* Copies a string into out (cap bytes, always terminated); bad if too long. */
void mpr__rbuf_str(mpr__rbuf *r, char *out, size_t cap);
/* The same for human-readable text (error messages): one too long for out
 * is cut to cap - 1 bytes, not refused, so no message of any length makes
 * its receiver fail. */
void mpr__rbuf_text(mpr__rbuf *r, char *out, size_t cap);

/* A function reference that means the same function on every rank of one
 * build: the ELF build-id of the loaded object that holds it, and its
 * offset from that object's load address. */
#define MPR__BUILD_ID_MAX 32
typedef struct {
    uint8_t build_id[MPR__BUILD_ID_MAX];
    uint32_t build_id_len;
    uint64_t offset;
} mpr__fnref;
int mpr__fnref_make(void (*fn)(void), mpr__fnref *out);
int mpr__fnref_resolve(const mpr__fnref *ref, void (**fn)(void));
void mpr__wbuf_fnref(mpr__wbuf *w, const mpr__fnref *ref);
void mpr__rbuf_fnref(mpr__rbuf *r, mpr__fnref *ref);

/* setting.c: a numeric MPR_* setting (k/M/G suffixes allowed), def when
 * unset; out of [lo, hi] or not a number: a warning and def. */
uint64_t mpr__setting_u64(const char *name, uint64_t def, uint64_t lo, uint64_t hi);

/* ------------------------------------------------ doorbell.c, wait.c */

/* doorbell.c: a futex word per rank in node-shared memory. After sending
 * to a rank of its node, a sender rings that rank's bell, which ends the
 * rank's backoff sleep at once. Ranks of other nodes (or every rank, when
 * no shared window can be made) are a no-op to ring. */
enum { MPR__BELL_MAIN = 0, MPR__BELL_SERVER = 1 };
int mpr__doorbell_init(void);
/* Rings the bell of a rank's main thread or of its server threads. */
void mpr__doorbell_ring(int world_rank, int which);
/* Whether a send from world_rank rings this rank's bell (same node). */
bool mpr__doorbell_reaches(int world_rank);
/* Called first by a server thread: its waits sleep on the server bell. */
void mpr__doorbell_serve(void);
/* The calling rank's ring count, read before polling MPI. */
uint32_t mpr__doorbell_seen(void);
/* Sleeps up to ns nanoseconds, or less if the bell rang since `seen`. */
void mpr__doorbell_sleep(uint32_t seen, long ns);

/* wait.c: waiting without stealing a core. test, then yield, then sleep on
 * the doorbell with an exponential backoff up to MPR_BACKOFF_MAX_US
 * (mpi4py.futures does the same). */
typedef struct {
    unsigned polls;
    long sleep_ns;
    uint32_t bell_seen; /* the doorbell's count before the last poll */
    double hot_until;   /* MPI_Wtime until which sleeps stay short; 0: never */
} mpr__backoff;
/* How long a wait for another node's message stays hot (wait.c): sleeps
 * of at most MPR_HOT_PAUSE_US instead of growing to MPR_BACKOFF_MAX_US. */
#define MPR__HOT_WINDOW 0.02
void mpr__backoff_init(mpr__backoff *b);
/* Back to quick polls, as after a ring; keeps hot_until. */
void mpr__backoff_reset(mpr__backoff *b);
/* Sleeps stay short for the next `seconds`. */
void mpr__backoff_stay_hot(mpr__backoff *b, double seconds);
/* Pause once; never longer than `limit_s` seconds (negative: no limit). */
void mpr__backoff_pause(mpr__backoff *b, double limit_s);
/* The step of mpr__backoff_pause before its sleep: counts the poll, yields
 * when the pause would, and returns the nanoseconds to sleep (0: none). */
long mpr__backoff_next(mpr__backoff *b, double limit_s);
/* Deadline in MPI_Wtime seconds for a timeout (negative timeout: +inf). */
double mpr__deadline(double timeout);
/* Seconds left until the deadline, 0 when passed. */
double mpr__remaining(double deadline);

/* The one blocking wait of mpr: calls ready(ctx) until it returns
 * MPR__READY (then returns 1) or the timeout passes (0; negative timeout:
 * none), pausing with the backoff in between. ready may also say
 * MPR__PROGRESSED (not there yet, but something moved: poll again at once)
 * or return a negative code, which ends the wait with it. */
enum { MPR__NOT_YET = 0, MPR__READY = 1, MPR__PROGRESSED = 2 };
int mpr__wait_until(int (*ready)(void *ctx), void *ctx, double timeout);
/* The same, hot for its first hot_s seconds (a wait for another node). */
int mpr__wait_until_hot(int (*ready)(void *ctx), void *ctx, double timeout, double hot_s);
/* Waits, without limit, until a counter another thread bumps (and rings
 * this thread's bell for) reaches target. */
void mpr__wait_counter(_Atomic uint64_t *counter, uint64_t target);

/* -------------------------------------------------------- transport.c */

/* How mpr sends point to point: MPI_Isend of count bytes to dest on comm,
 * a ring of the receiver's bell (dest_world: its world rank), and a wait
 * with backoff until the send completes. Returns an MPI error code. */
int mpr__send(const void *buf, int count, int dest, int tag, MPI_Comm comm, int dest_world);
/* The same without the wait: the caller completes *req, and keeps buf
 * until then. For a sender that must go on receiving meanwhile (a send
 * over the eager limit completes only when the receiver takes it). */
int mpr__isend(const void *buf, int count, int dest, int tag, MPI_Comm comm, int dest_world,
               MPI_Request *req);
/* Waits for a message matching (src, tag) on comm until timeout. Returns 1
 * with *msg and *status set, 0 on timeout, or MPR_EMPI. */
int mpr__probe_wait(MPI_Comm comm, int src, int tag, double timeout, MPI_Message *msg,
                    MPI_Status *status);
/* The same, hot for its first hot_s seconds (wait.c). */
int mpr__probe_wait_hot(MPI_Comm comm, int src, int tag, double timeout, double hot_s,
                        MPI_Message *msg, MPI_Status *status);
/* Waits for a nonblocking operation until timeout: 1 done, 0 timed out
 * (the request is still active), or MPR_EMPI. */
int mpr__request_wait(MPI_Request *req, double timeout);
/* The same, hot for its first hot_s seconds (wait.c). */
int mpr__request_wait_hot(MPI_Request *req, double timeout, double hot_s);
/* Receives a probed message into a new malloc'd buffer (*len bytes). */
int mpr__mrecv_alloc(MPI_Message *msg, const MPI_Status *status, void **buf, size_t *len);

/* ------------------------------------------------------------ clock.c */

/* The job clock: seconds on rank 0's CLOCK_MONOTONIC, the same on every
 * host (offsets measured at mpr_init). For deadlines that travel. */
int mpr__clock_init(void);
double mpr__job_time(void);
/* The MPI_Wtime moment of a job time (negative: none, -1). */
double mpr__job_to_local(double job_t);

/* -------------------------------------------------------------- rpc.c */

/* A timed call's limits (rpc.c): the home acts on its request only until
 * act_by (job time), the client waits for the reply until give_up
 * (MPI_Wtime). Negative: no limit. */
typedef struct {
    double act_by;
    double give_up;
} mpr__limit;
mpr__limit mpr__limit_of(double timeout);
mpr__limit mpr__limit_none(void);
/* Server side: whether a request's act_by has passed (refuse it). */
bool mpr__limit_passed(double act_by);
/* Server side: the earlier of a parked request's MPI_Wtime deadline
 * (negative: none) and its act_by. */
double mpr__limit_deadline(double deadline, double act_by);

/* One kind of server, as its clients reach it. */
typedef struct {
    MPI_Comm comm;
    int req_tag, rep_tag;
    uint32_t *owed; /* world rank -> replies to calls given up on, still to come */
    /* NULL, or takes (and frees) a message on rep_tag that answers no call,
     * returning true: call.c's refusals of posted puts. */
    bool (*set_aside)(int home, void *raw, size_t len);
} mpr__endpoint;
int mpr__endpoint_init(mpr__endpoint *ep, MPI_Comm comm, int req_tag, int rep_tag);
void mpr__endpoint_fini(mpr__endpoint *ep);
/* Sends a request of count bytes to home and waits for its reply (a new
 * malloc'd buffer in *raw). Takes req, a malloc'd buffer: a send that has
 * not completed by lim.give_up (a large request to a home that does not
 * receive) keeps it until it does. MPR_OK, MPR_ETIMEDOUT when lim.give_up
 * passed (the reply will be discarded when it comes), or an error. */
int mpr__rpc(mpr__endpoint *ep, int home, void *req, int count, mpr__limit lim, void **raw,
             size_t *len);
/* The wait half of mpr__rpc, for a request sent otherwise. */
int mpr__rpc_await(mpr__endpoint *ep, int home, mpr__limit lim, void **raw, size_t *len);
/* Takes in, without waiting, what home sent on the reply tag while no call
 * waited: refusals of posts (to set_aside) and answers to calls given up
 * on (discarded). Anything else is an error. */
int mpr__rpc_take_pending(mpr__endpoint *ep, int home);

/* --------------------------------------------------------- progress.c */

/* A server thread and its sources. A source handles what is ready and
 * returns how many events it handled (>= 0); it may lower *wake_by (an
 * MPI_Wtime deadline, negative: none) with mpr__wake_by so that the idle
 * pause ends in time for it. Sources are added before start. */
typedef int (*mpr__source_fn)(void *ctx, double *wake_by);
typedef void (*mpr__message_fn)(MPI_Message *msg, MPI_Status *status);
typedef struct {
    MPI_Comm comm;
    int tag;
    mpr__message_fn handle;
} mpr__message_source;
enum { MPR__SOURCES_MAX = 8 };
typedef struct {
    pthread_t thread;
    atomic_bool stop;
    bool running;
    int nsources;
    struct {
        mpr__source_fn poll;
        void *ctx;
    } sources[MPR__SOURCES_MAX];
    mpr__message_source messages[MPR__SOURCES_MAX];
    int nmessages;
    _Atomic uint64_t handled; /* events its sources handled (mpr_served_counts) */
} mpr__server;
void mpr__server_add(mpr__server *s, mpr__source_fn poll, void *ctx);
/* A source that receives messages of `tag` from any rank on comm and hands
 * each to handle (which must MPI_Mrecv it), one per round. */
void mpr__server_add_messages(mpr__server *s, MPI_Comm comm, int tag, mpr__message_fn handle);
int mpr__server_start(mpr__server *s, const char *what);
void mpr__server_stop(mpr__server *s);
void mpr__wake_by(double *wake_by, double deadline);

/* ----------------------------------------------------------- output.c */

void mpr__output_init(void);
/* Worker: flushes stdout; returns the bytes forwarded since init. */
uint64_t mpr__output_flush(void);
/* Rank 0's service thread: writes one forwarded chunk to stdout. */
int mpr__output_serve(MPI_Message *msg, const MPI_Status *st);
/* Rank 0: waits until `total` bytes from `rank` have been written. */
void mpr__output_wait(int rank, uint64_t total);

/* ------------------------------------------------------------ fault.c */

/* Fatal-signal and exit-in-task reports naming rank, host and task. */
void mpr__fault_install(void);
void mpr__fault_task_begin(const char *name);
void mpr__fault_task_end(void);

/* ---------------------------------------------------------- process.c */

/* A Process's TASK message, decoded (pointers into the message). */
typedef struct {
    uint64_t task_id;
    char name[MPR__NAME_MAX];
    mpr__fnref target;
    const void *arg;
    size_t arg_len;
} mpr__task;
bool mpr__task_decode(const void *msg, size_t len, mpr__task *t);
/* Starts p on a worker rank the caller took with mpr__workers_take; join
 * gives the rank back. Pool starts its workers this way. */
int mpr__process_start_on(mpr_process *p, int rank);
/* A worker rank's life after mpr_init: run tasks until rank 0's STOP. */
void mpr__worker_loop(void);

/* ---------------------------------------------------------- service.c */

/* The service thread on rank 0 hosts Managers (and queues and pipes when
 * a node's channel slots run out). Requests carry an
 * operation, the object and arguments; replies carry a code, a value, the
 * error text (set by the server, shown by the client) and a payload. */
enum {
    MPR__OP_QUEUE_NEW = 1,
    MPR__OP_QUEUE_PUT,
    MPR__OP_QUEUE_GET,
    MPR__OP_QUEUE_QSIZE,
    MPR__OP_QUEUE_CLOSE,
    MPR__OP_QUEUE_TASK_DONE,
    MPR__OP_QUEUE_JOIN,
    MPR__OP_QUEUE_FREE,
    MPR__OP_PIPE_NEW,
    MPR__OP_PIPE_SEND,
    MPR__OP_PIPE_RECV,
    MPR__OP_PIPE_POLL,
    MPR__OP_PIPE_CLOSE,
    /* manager.c, mlist.c, mdict.c: one block, routed by its ranges */
    MPR__OP_MANAGER_START,
    MPR__OP_MANAGER_SHUTDOWN,
    MPR__OP_MVALUE_NEW,
    MPR__OP_MVALUE_GET,
    MPR__OP_MVALUE_SET,
    MPR__OP_MVALUE_ADD,
    MPR__OP_MLOCK_NEW,
    MPR__OP_MLOCK_ACQUIRE,
    MPR__OP_MLOCK_RELEASE,
    MPR__OP_MLIST_NEW,
    MPR__OP_MLIST_APPEND,
    MPR__OP_MLIST_EXTEND,
    MPR__OP_MLIST_GET,
    MPR__OP_MLIST_SET,
    MPR__OP_MLIST_INSERT,
    MPR__OP_MLIST_POP,
    MPR__OP_MLIST_LEN,
    MPR__OP_MLIST_SNAPSHOT,
    MPR__OP_MDICT_NEW,
    MPR__OP_MDICT_SET,
    MPR__OP_MDICT_GET,
    MPR__OP_MDICT_DELETE,
    MPR__OP_MDICT_CONTAINS,
    MPR__OP_MDICT_LEN,
    MPR__OP_MDICT_KEYS,
    MPR__OP_MDICT_ITEMS,
    MPR__OP_MDICT_SETDEFAULT,
    MPR__OP_SYNC, /* no object: answered once the client's earlier requests are */
    /* channel.c: to a home node's server (never rank 0's service) */
    MPR__OP_CHAN_NEW,
    MPR__OP_CHAN_PUT,
    MPR__OP_CHAN_GET,
    MPR__OP_CHAN_POLL,
    MPR__OP_CHAN_STATE,
    MPR__OP_CHAN_CLOSE,
    MPR__OP_CHAN_TASK_DONE,
    MPR__OP_CHAN_JOIN,
    MPR__OP_CHAN_FREE,
    MPR__OP_CHAN_SPILL, /* an item the ring had no room for */
    MPR__OP_CHAN_FETCH, /* the spilled item a ticket names */
    MPR__OP_COUNT
};

typedef struct {
    uint32_t op;
    uint32_t kind; /* object kind the client believes it holds */
    uint64_t id;
    uint32_t end;   /* pipe end, or queue flags */
    uint32_t flags; /* MPR__REQ_POSTED: answer only a failure (posted.c) */
    uint64_t arg;   /* capacity of the caller's buffer, maxsize, ... */
    double timeout;
    double act_by; /* job time after which the home must refuse it (rpc.c); <= 0 none */
    const void *payload;
    size_t payload_len;
    int client; /* set by the server: the requesting rank (RLock owners) */
} mpr__request;

/* MPR__REQ_TIMED: the call has a timeout (its limit comes from it, rpc.c) */
enum { MPR__REQ_POSTED = 1u, MPR__REQ_TIMED = 2u };
/* Gives a request the timeout of its call, and with it a time limit. */
static inline void mpr__request_timed(mpr__request *req, double timeout)
{
    req->timeout = timeout;
    req->flags |= MPR__REQ_TIMED;
}
enum { MPR__REP_POSTED = 1u }; /* a posted request failed; value is its object id */

typedef struct {
    int code;
    uint32_t flags;
    uint64_t value;
    char error[MPR__MSG_MAX];
    const void *payload; /* points into raw */
    size_t payload_len;
    void *raw; /* the received message; mpr__reply_free releases it */
} mpr__reply;

/* Sends a request to the object's home and waits for its reply. Returns the
 * reply's code; a negative code is also recorded with the server's text.
 * The caller frees rep with mpr__reply_free whatever the code. */
int mpr__call(int home, const mpr__request *req, mpr__reply *rep);
/* The decoders of requests and replies: false for a truncated
 * or malformed message, never a read past its end (fuzzed by
 * tests/fuzz/fuzz_wire.c). Pointers in the result point into raw. */
bool mpr__request_decode(const void *raw, size_t len, mpr__request *req);
int mpr__request_encode(mpr__wbuf *w, const mpr__request *req);
bool mpr__reply_decode(const void *raw, size_t len, mpr__reply *rep);

void mpr__reply_free(mpr__reply *rep);
/* Like mpr__call for requests without a payload in the answer. */
int mpr__call_simple(int home, const mpr__request *req, uint64_t *value);
/* Rank 0's service as clients reach it (rpc.c). NULL without memory. */
mpr__endpoint *mpr__service_endpoint(void);
/* Like mpr__call for requests answered with bytes: MPR_OK copies them into
 * buf (cap bytes) and sets *len; MPR_ETRUNC sets *len to the size needed. */
int mpr__call_into(int home, const mpr__request *req, void *buf, size_t cap, size_t *len);

/* posted.c: requests sent without waiting for their answer (puts on
 * unbounded queues served by rank 0, from worker ranks). mpr__post sends one; a failure comes
 * back later as an error reply, taken in by mpr__call or the next post and
 * kept in the ledger, and returned by the next post to the same object.
 * mpr__posted_flush, at a task's end, makes sure every post was served and
 * reports refusals not yet returned. */
int mpr__post(int home, const mpr__request *req);
/* The same for a put on a queue in a node's shared memory whose home node
 * is another (channel.c's node server): req is a CHAN_PUT. */
int mpr__post_channel(int32_t home, const mpr__request *req);
void mpr__posted_flush(void);
/* The part of mpr__posted_flush for posts to node servers: one round trip
 * to each home posted to since the last flush (a Pool task's end). */
void mpr__posted_flush_channels(void);

/* post_ledger.c: refused(rep) records an error reply to a post; take(id)
 * returns (and forgets) the refusals of object id, MPR_OK if none; posted
 * and synced track the home that has posts not yet followed by a round
 * trip (-1: none); report prints what was never returned. */
void mpr__ledger_refused(int home, const mpr__reply *rep);
/* An endpoint's set_aside (rpc.c): records a refusal of a post (and frees
 * it), or returns false for any other message. */
bool mpr__ledger_take_refusal(int home, void *raw, size_t len);
int mpr__ledger_take(int home, uint64_t id);
void mpr__ledger_posted(int home);
void mpr__ledger_synced(int home);
int mpr__ledger_unsynced_home(void);
void mpr__ledger_report(void);
/* Posts this rank has sent since init (a pool worker reports it with each
 * result, and rank 0 waits with mpr__service_wait_posts). */
uint64_t mpr__posted_count(void);

/* What a server-side handler answers. The payload is borrowed from the
 * object until the answer is sent (the service sends before it touches the
 * object again); `drop` is freed after sending. */
typedef struct {
    int code;
    uint64_t value;
    char error[MPR__MSG_MAX];
    const void *payload;
    size_t payload_len;
    void *drop;
    bool destroy_object; /* the request freed the object */
} mpr__answer;

/* The reply to req: a posted request's names the object, not a value. */
void mpr__reply_encode(mpr__wbuf *w, const mpr__request *req, const mpr__answer *ans);

/* A handler's "not now": the service parks the request until the object
 * changes or the request's timeout passes. */
#define MPR__WOULD_BLOCK 1

/* An object kind as the service sees it: queue.c and pipe.c provide these.
 * handle() either answers (code <= 0) or returns MPR__WOULD_BLOCK without
 * changing anything; timed_out() answers a parked request whose time is
 * up. Both run on the service thread only. */
typedef struct {
    uint32_t new_op;
    int (*create)(const mpr__request *req, void **impl, uint32_t *kind, mpr__answer *ans);
    int (*handle)(void *impl, const mpr__request *req, mpr__answer *ans);
    void (*timed_out)(void *impl, const mpr__request *req, mpr__answer *ans);
    void (*destroy)(void *impl);
} mpr__object_ops;

extern const mpr__object_ops mpr__queue_ops;
extern const mpr__object_ops mpr__pipe_ops;

/* snprintf into an answer's error text; returns code. */
int mpr__answer_fail(mpr__answer *ans, int code, const char *fmt, ...) MPR_PRINTF(3, 4);

/* Rank 0: starts the service thread (its finalize step stops it). Kinds
 * register their ops for the operations first_op..last_op before. */
int mpr__service_start(void);
void mpr__service_register(uint32_t first_op, uint32_t last_op, const mpr__object_ops *ops);
/* Rank 0: waits until the service has served `count` posts from `rank`. */
void mpr__service_wait_posts(int rank, uint64_t count);
/* Events the service thread handled since init (0 on other ranks). */
uint64_t mpr__service_handled(void);

/* self_call.c: rank 0's calls to its own service thread, handed over in
 * memory instead of through MPI. Client (rank 0's main thread): hands the
 * encoded request over (the wbuf's bytes change owner) and sleeps until the
 * reply is in; *reply is malloc'd. Server (the service thread): takes the
 * request if one is waiting (true, *raw malloc'd) and answers it. The
 * request rings rank 0's doorbell, which wakes the service thread. */
int mpr__self_call_init(void);
void mpr__self_call_fini(void);
void mpr__self_call(mpr__wbuf *request, void **reply, size_t *reply_len);
bool mpr__self_take_request(void **raw, size_t *len);
void mpr__self_reply(mpr__wbuf *reply);

/* Object kinds, checked by the server against the handle. */
enum {
    MPR__KIND_QUEUE = 0x51554555u,
    MPR__KIND_JQUEUE = 0x4a515545u,
    MPR__KIND_PIPE = 0x50495045u
};
/* Set in the kind of an unbounded queue: its puts may be posted (posted.c),
 * since they never block. The server stores the kind with the flag. */
enum { MPR__KIND_UNBOUNDED = 0x80000000u };
/* Set in the kind of a queue homed in a node's shared ring (channel.c),
 * clear for one served by rank 0's service (a Manager's queue). */
enum { MPR__KIND_RING = 0x00800000u }; /* a bit no ASCII kind has */

/* ------------------------------------------------- ring.c, channel.c */

/* heap.c's node: the ranks that share memory (or one rank each, with
 * MPR_NODE_SPLIT=rank), their leader, and the leader's server thread, where
 * heap.c and channel.c add their sources; lifecycle.c starts it. */
MPI_Comm mpr__node_comm(void);
int mpr__node_rank(void);
int mpr__node_size(void);
int mpr__node_leader_of(int world_rank); /* -1 for a rank outside the job */
mpr__server *mpr__node_server(void);     /* NULL on a rank that leads no node */
int mpr__node_server_start(void);
uint64_t mpr__node_server_handled(void);

/* ring.c: channels (a Queue: one lane; a Pipe: two) in this node's
 * shared arena, used directly by the node's ranks. The calls try once;
 * `wait` enrolls the caller as a waiter when it would block (it is woken
 * by its doorbell), and mpr__ring_unwait takes it out when it gives up. */
enum { MPR__RING_SPILL = 2 };
enum { MPR__RING_WCLOSED = 1u, MPR__RING_RCLOSED = 2u };
enum { MPR__RING_WAIT_GET, MPR__RING_WAIT_PUT, MPR__RING_WAIT_JOIN };
typedef struct {
    uint64_t items; /* in the ring and spilled */
    uint64_t unfinished;
    bool full;
} mpr__ring_info;
/* Where a get copies an item of len bytes: the caller's buffer, or a new
 * one (the server's); NULL for no memory. */
typedef void *(*mpr__ring_sink)(void *ctx, size_t len);
int mpr__ring_init(void);
bool mpr__ring_is_local(int32_t home);
int mpr__ring_new(unsigned nlanes, uint64_t maxcount, bool joinable, uint64_t *id);
int mpr__ring_free(uint64_t id);
/* MPR_OK, MPR__RING_SPILL (hand the item to the server), MPR__WOULD_BLOCK,
 * or an error (MPR_ECLOSED, MPR_EPIPE, MPR_ENOTFOUND, MPR_EINVAL). */
int mpr__ring_put(uint64_t id, unsigned lane, const void *buf, size_t len, bool wait);
/* MPR_OK (*ticket 0: copied to the sink; else fetch that spilled item),
 * MPR_ETRUNC (*len needed, nothing taken), MPR__WOULD_BLOCK, MPR_EOF
 * (write side closed and drained), or an error. */
int mpr__ring_get(uint64_t id, unsigned lane, size_t cap, mpr__ring_sink sink, void *ctx,
                  size_t *len, uint64_t *ticket, bool wait);
void mpr__ring_unwait(uint64_t id, unsigned lane, int what);
/* Takes back the count of a spilled item that never reached the server. */
void mpr__ring_unspill(uint64_t id, unsigned lane);
/* Without the lock: false only if a get on lane would surely still block
 * for a reader that enrolled earlier (the cheap poll between tries). */
bool mpr__ring_maybe_ready(uint64_t id, unsigned lane);
/* The node server's thread calls this first: its waits use the slot's
 * server entry, rung on the leader's server bell. */
void mpr__ring_as_server(void);
/* Without the lock: true if the caller's enrolled wait of kind `what`
 * (MPR__RING_WAIT_*) was woken, or the object is gone. */
bool mpr__ring_woken(uint64_t id, unsigned lane, int what);
/* Server: puts a ticket for spilled item seq of len bytes if there is room. */
int mpr__ring_ticket(uint64_t id, unsigned lane, uint64_t seq, uint64_t len, bool *placed);
int mpr__ring_state(uint64_t id, unsigned lane, mpr__ring_info *out);
/* MPR__READY when a get would not block, MPR__NOT_YET, or an error. */
int mpr__ring_poll(uint64_t id, unsigned lane, bool wait);
int mpr__ring_close(uint64_t id, unsigned lane, unsigned how);
int mpr__ring_task_done(uint64_t id);
int mpr__ring_join_ready(uint64_t id, bool wait);

/* channel.c: the same operations from any rank. A rank of the home node
 * uses the ring; any other sends one request per try to the home node's
 * server, which also keeps the spilled items. home is the world rank of
 * the home node's leader. Timeouts return MPR_ETIMEDOUT (callers name
 * them: queue.Full, queue.Empty). */
int mpr__channel_init(void);
int mpr__chan_new(int32_t home, unsigned nlanes, uint64_t maxcount, bool joinable, uint64_t *id);
int mpr__chan_put(int32_t home, uint64_t id, unsigned lane, const void *buf, size_t len,
                  double timeout);
int mpr__chan_get(int32_t home, uint64_t id, unsigned lane, void *buf, size_t cap, size_t *len,
                  double timeout);
int mpr__chan_poll(int32_t home, uint64_t id, unsigned lane, double timeout);
int mpr__chan_state(int32_t home, uint64_t id, unsigned lane, mpr__ring_info *out);
int mpr__chan_close(int32_t home, uint64_t id, unsigned lane, unsigned how);
int mpr__chan_task_done(int32_t home, uint64_t id);
int mpr__chan_join(int32_t home, uint64_t id, double timeout);
/* The node servers as clients reach them (posted.c posts puts there). */
mpr__endpoint *mpr__chan_endpoint(void);
/* A round trip to home's node server, answered after this rank's earlier
 * requests to it: every post before it has been served. */
int mpr__chan_sync(int32_t home);
int mpr__chan_free(int32_t home, uint64_t id);
/* MPR_EINVAL unless home leads a node of the job. */
int mpr__chan_check_home(int32_t home, const char *what);

/* ---------------------------------------------- manager.c, mlist.c, mdict.c */

/* A manager and the objects it owns live at the service thread like queues.
 * An owned object's handle id is (manager index << 32) | object index, so
 * the server tells "its manager was shut down" (MPR_ECLOSED) apart from "no
 * such object" (MPR_ENOTFOUND). A create request names its owner in id. */
#define MPR__ID_OWNER(id) ((uint32_t)((uint64_t)(id) >> 32))
#define MPR__ID_INDEX(id) ((uint64_t)(id)&0xffffffffu)

enum {
    MPR__KIND_MANAGER = 0x4d4e4752u, /* "MNGR" */
    MPR__KIND_MVALUE = 0x4d56414cu,  /* "MVAL" */
    MPR__KIND_MLOCK = 0x4d4c434bu,   /* "MLCK" */
    MPR__KIND_MRLOCK = 0x4d524c4bu,  /* "MRLK" */
    MPR__KIND_MLIST = 0x4d4c5354u,   /* "MLST" */
    MPR__KIND_MDICT = 0x4d444354u,   /* "MDCT" */
};

extern const mpr__object_ops mpr__manager_ops;
extern const mpr__object_ops mpr__mvalue_ops;
extern const mpr__object_ops mpr__mlock_ops;
extern const mpr__object_ops mpr__mlist_ops;
extern const mpr__object_ops mpr__mdict_ops;

/* Server: answer with len bytes borrowed from the object, or MPR_ETRUNC
 * (value = len) when they exceed the client's cap; `what` names them. */
int mpr__answer_bytes(mpr__answer *ans, const void *data, size_t len, uint64_t cap,
                      const char *what);
/* Server: timed_out of the kinds whose requests never park. */
void mpr__never_parks(void *impl, const mpr__request *req, mpr__answer *ans);
/* Client: creates an object of `kind` owned by m at its home; fills the
 * handle's home and id. */
int mpr__manager_create(mpr_manager *m, uint32_t op, uint32_t kind, uint64_t arg,
                        const void *payload, size_t len, int32_t *home, uint64_t *id);
/* Client: a manager handle is usable (right kind, home in the job). */
int mpr__mhandle_check(int32_t home, uint32_t kind, uint32_t want, uint32_t want2,
                       const char *what);
/* Client: a request answered with packed items, copied into *out. */
int mpr__snapshot_call(int32_t home, const mpr__request *req, mpr_items *out);
/* Client: rc, or MPR_EINVAL when a fetched item of len bytes (rc MPR_OK)
 * is not an int64. */
int mpr__expect_i64(int rc, size_t len, const char *what);
/* Client: rc, or after MPR_OK terminates the fetched string of len bytes in
 * buf (cap bytes); MPR_ETRUNC when it has no NUL and fills buf. */
int mpr__finish_str(int rc, char *buf, size_t len, size_t cap, const char *what);
/* The queue of mpr_queue_new, owned by the manager whose id is owner. */
int mpr__queue_new_owned(mpr_queue *q, size_t maxsize, bool joinable, uint64_t owner);

/* ------------------------------------- heap.c, value.c, lock.c, sync.c */

/* heap.c. Collective: every rank calls init right after gather_rank_info;
 * its finalize step runs after the workers are stopped. */
int mpr__heap_init(void);

/* Operations on heap elements; all are MPI atomics on the node window. */
enum { MPR__SHM_READ = 1, MPR__SHM_WRITE, MPR__SHM_ADD, MPR__SHM_OR, MPR__SHM_SWAP, MPR__SHM_CAS };
/* Read-mostly cells (replica.c): a region at the same offset of every
 * node's heap, MPR__REPLICA_CELLS cells of 16 bytes: the element, then a
 * sequence number. Only a node's heap server writes its node's cells, so
 * the two ops below are always sent to a server, even from its own node.
 *   SEQUENCED | WRITE, ADD or CAS: at the home, applies the op to the
 *     element and, if it changed anything, bumps the sequence; the result
 *     is the old element, the new one, the int64 sequence, and an int64 1
 *     if the element changed (0: a CAS that did not swap).
 *   PUBLISH: origin is an element and its sequence; a copy takes them if
 *     that sequence is newer than its own. No result. */
enum { MPR__SHM_PUBLISH = 7, MPR__SHM_SEQUENCED = 0x100 };
enum { MPR__HEAP_HEADER = 64, MPR__REPLICA_CELLS = 256, MPR__REPLICA_CELL = 16 };
#define MPR__REPLICA_REGION ((uint64_t)MPR__HEAP_HEADER)
/* Cell 0 of rank 0's node is no copy but the count of cells handed out,
 * a plain heap word that its server serves to other nodes. */
#define MPR__REPLICA_NEXT MPR__REPLICA_REGION
/* count elements of `type` at offset of home's heap: origin is the operand
 * (WRITE/ADD/OR/SWAP; CAS: the new value), compare the CAS expected value,
 * result the old values (not for WRITE). Returns MPR_OK or an error. */
int mpr__shm_op(int home, uint32_t op, char type, uint64_t offset, uint32_t count,
                const void *origin, const void *compare, void *result);
/* One int64 word: returns the old value (READ ignores arg). */
int64_t mpr__shm_i64(int home, uint32_t op, uint64_t offset, int64_t arg);
int64_t mpr__shm_cas64(int home, uint64_t offset, int64_t expect, int64_t desired);
/* The same within a timed call's limit (rpc.c): MPR_OK with *old set, or
 * MPR_ETIMEDOUT, the operation not applied (the home did not answer in
 * time, or got it too late). mpr__shm_op_by is mpr__shm_op's. */
int mpr__shm_op_by(int home, uint32_t op, char type, uint64_t offset, uint32_t count,
                   const void *origin, const void *compare, void *result, mpr__limit lim);
int mpr__shm_i64_by(int home, uint32_t op, uint64_t offset, int64_t arg, mpr__limit lim,
                    int64_t *old);
int mpr__shm_cas64_by(int home, uint64_t offset, int64_t expect, int64_t desired, mpr__limit lim,
                      int64_t *old);
/* Carves bytes (8-aligned, zeroed) from this rank's node heap. Returns
 * MPR_OK or MPR_ENOMEM with the sizes in the message. */
int mpr__shm_alloc(size_t bytes, int32_t *home, uint64_t *offset);
/* true if bytes at offset (8-aligned) lie in the objects' part of a heap:
 * how handles that come from callers are checked before any access. */
bool mpr__shm_span_ok(uint64_t offset, uint64_t bytes);
/* true if offset names a read-mostly cell that replica.c hands out. */
bool mpr__replica_cell_ok(uint64_t offset);
/* This rank's own mapping of bytes at offset of home's heap, or NULL
 * when home is another node's or the span is not in the heap. */
void *mpr__shm_local(int32_t home, uint64_t offset, uint64_t bytes);
uint64_t mpr__shm_heap_size(void);
/* MPR_EINVAL with a message unless code is one of Python's array codes. */
int mpr__typecode_check(char code);

/* replica.c: read-mostly cells. alloc hands out a cell (the same offset on
 * every node) or MPR_ENOMEM when all are used; load reads this node's copy;
 * write applies WRITE, ADD or CAS at home's server and updates every
 * node's copy before it returns (old: the element before, may be NULL). */
int mpr__replica_alloc(uint64_t *offset);
int mpr__replica_load(char type, uint64_t offset, void *out);
int mpr__replica_write(int home, uint32_t op, char type, uint64_t offset, const void *origin,
                       const void *compare, void *old);
/* (A SEQUENCED op's result buffer holds 2 elements and 2 int64 words.) */

/* The RLock that lock=1 Values and Arrays carry (lock.c). */
#define MPR__RLOCK_BYTES 16
mpr_lock mpr__rlock_at(int32_t home, uint64_t offset);
/* Semaphore, Event and Barrier handles are types of their own (mpr.h) with
 * mpr_lock's layout; the checks and allocation they share with Lock take
 * and make an mpr_lock. */
#define MPR__AS_LOCK(h)         ((mpr_lock){(h).home, (h).kind, (h).offset})
#define MPR__FROM_LOCK(type, l) ((type){(l).home, (l).kind, (l).offset})
/* MPR_EINVAL unless l is a handle of kind1 or kind2 (0: kind1 only). */
int mpr__sync_check(const char *what, mpr_lock l, uint32_t kind1, uint32_t kind2);
/* Carves a zeroed object of bytes and makes its handle. */
int mpr__sync_make(mpr_lock *out, uint32_t kind, size_t bytes);
/* Condition's wait: release a held Lock/RLock completely, returning the
 * RLock's count (1 for a Lock); later take it back (waiting forever) with
 * that count. */
int64_t mpr__lock_release_all(mpr_lock l);
void mpr__lock_restore(mpr_lock l, int64_t count);
/* mpr_lock_is_mine within a timed call's limit: 1, 0, or MPR_ETIMEDOUT
 * (the lock's node did not answer in time). */
int mpr__lock_is_mine_by(mpr_lock l, mpr__limit lim);

/* Sync object kinds, checked against the handle on every call. */
enum {
    MPR__KIND_LOCK = 0x4c4f434bu,   /* "LOCK" */
    MPR__KIND_RLOCK = 0x524c434bu,  /* "RLCK" */
    MPR__KIND_SEM = 0x53454d41u,    /* "SEMA" */
    MPR__KIND_BSEM = 0x4253454du,   /* "BSEM" */
    MPR__KIND_EVENT = 0x45564e54u,  /* "EVNT" */
    MPR__KIND_COND = 0x434f4e44u,   /* "COND" */
    MPR__KIND_BARRIER = 0x42415252u /* "BARR" */
};

#endif /* MPR_INTERNAL_H */
