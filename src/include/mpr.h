/*
 * mpr.h — Python's multiprocessing model over MPI ranks, in C.
 *
 * This header is the reference for the public API. Every prototype says
 * which ranks may call it, how it blocks and what it returns.
 *
 * Execution model: every rank calls mpr_init(). On rank 0 it returns and
 * main() goes on, like a Python script's __main__. On every other rank it
 * serves work (Process targets) until rank 0 calls mpr_finalize(); then it
 * finalizes MPI and exits the process with status 0.
 *
 * Error model: every call returns int; MPR_OK (0) or a negative MPR_E* code
 * (calls that count return >= 0). mpr_strerror() names a code and
 * mpr_last_error() gives this thread's detailed message for the most recent
 * failure. A failed call had no effect: nothing is consumed, no item is lost.
 *
 * Timeouts are seconds as double: negative waits forever, 0 tries once
 * without waiting. What a call returns when its time runs out follows what
 * its Python counterpart does then, in one rule:
 *   - A wait that answers a question (is the flag set, was this rank
 *     notified, is there something to receive: Event.wait, Condition.wait
 *     and wait_for, Connection.poll, which return False in Python) returns
 *     1 or 0. 0 is an answer, not a failure: mpr_last_error is unchanged.
 *   - Every other timed call waits to do something (acquire, get, put,
 *     receive, join, next result). When its time runs out it fails like
 *     any failed call: a negative code, no effect, and mpr_last_error says
 *     what it waited for. The code is MPR_ETIMEDOUT, unless Python raises
 *     an exception of its own there: a Queue's get and put return
 *     MPR_EEMPTY and MPR_EFULL (queue.Empty and queue.Full, the same codes
 *     as their _nowait forms), and Barrier.wait returns MPR_EBROKEN
 *     (BrokenBarrierError; the one timeout with an effect: it breaks the
 *     barrier for every party, as in Python).
 *   Python's False from Lock.acquire or Semaphore.acquire is MPR_ETIMEDOUT
 *   here, since those calls return MPR_OK when they succeed; a join that
 *   times out (Python: returns, exitcode still None) returns MPR_ETIMEDOUT
 *   and leaves the exit code at -1.
 * Each timed call says what it returns in a "Timeout:" line. Calls without
 * a timeout argument (Pool.map, apply, join, mpr_finalize) wait as long as
 * the work takes.
 *
 * Threads: mpr calls are made from one thread per rank (the thread that
 * called mpr_init); mpr runs its own service thread on rank 0.
 *
 * Ranks: each group of prototypes says which ranks may call it, as every
 * PETSc routine says Collective or Not Collective:
 *   any                       any rank on its own: rank 0, or a worker rank
 *                             inside a task (a worker runs user code only in
 *                             Process targets, pool tasks and initializers);
 *   rank 0 only               MPR_ERANK elsewhere, or the call takes an
 *                             object that only rank 0 can make;
 *   the rank that made it     the call takes an opaque object (a pointer),
 *                             which lives in the memory of the rank that
 *                             made (started, opened) it;
 *   every rank, collectively  all ranks of MPI_COMM_WORLD call it.
 * Only mpr_init is collective. Pool calls that run on several ranks at once
 * (map's static path, spmd) are made by rank 0 alone, which drives them.
 *
 * ABI policy: within one major version, functions are only added and
 * handle structs keep their size (they travel in task argument bytes and
 * are guarded by MPR_STATIC_ASSERT). A major version bump may change both.
 */
#ifndef MPR_H
#define MPR_H

/* mpr is a C API. In C++, mpi.h would also declare MPI's C++ bindings
 * (removed from the MPI standard), whose symbols live in a library
 * (libmpi_cxx) that mpr's package does not link; PETSc skips them the
 * same way. */
#ifdef __cplusplus
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#endif
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPR_EXTERN            __attribute__((visibility("default")))
#define MPR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
/* C11's _Static_assert is C++11's static_assert. */
#ifdef __cplusplus
#define MPR_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#else
#define MPR_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#endif

#define MPR_VERSION_MAJOR 0
#define MPR_VERSION_MINOR 1
#define MPR_VERSION_PATCH 0

/* "0.1.0": the version of the library that is linked, not of this header.
 * Ranks: any, before mpr_init too. */
MPR_EXTERN const char *mpr_version_string(void);

/* ------------------------------------------------------------------ errors */

/* One table makes the enum, mpr_strerror() and mpr_err_name(). */
#define MPR_ERRNO_MAP(XX)                                                                          \
    XX(EINVAL, -1, "invalid argument")                                                             \
    XX(ENOMEM, -2, "out of memory")                                                                \
    XX(ETRUNC, -3, "buffer too small")                                                             \
    XX(ENORANK, -4, "no free worker rank")                                                         \
    XX(ETIMEDOUT, -5, "timed out")                                                                 \
    XX(ECLOSED, -6, "object is closed")                                                            \
    XX(EOF, -7, "end of file: the other end is closed and drained")                                \
    XX(EPIPE, -8, "broken pipe: the other end is closed")                                          \
    XX(EAGAIN, -9, "would block")                                                                  \
    XX(EMPI, -10, "MPI call failed")                                                               \
    XX(EFUNC, -11, "function reference does not resolve")                                          \
    XX(ESTATE, -12, "call not allowed in this state")                                              \
    XX(ERANK, -13, "call not allowed on this rank")                                                \
    XX(EFULL, -14, "queue is full")                                                                \
    XX(EEMPTY, -15, "queue is empty")                                                              \
    XX(ETOOBIG, -16, "message too large")                                                          \
    XX(ENOTFOUND, -17, "no such object")                                                           \
    XX(EBROKEN, -18, "barrier is broken")                                                          \
    XX(ERANGE, -24, "index out of range")                                                          \
    XX(ETASK, -30, "a task failed")

typedef enum {
    MPR_OK = 0,
#define MPR_ERRNO_ENUM(name, code, text) MPR_##name = (code),
    MPR_ERRNO_MAP(MPR_ERRNO_ENUM)
#undef MPR_ERRNO_ENUM
} mpr_errno;

/* Ranks: any, before mpr_init too, from any thread.
 * mpr_strerror: short text for a code ("buffer too small"); unknown codes
 * get a generic text. mpr_err_name: the code's name ("MPR_ETRUNC").
 * mpr_last_error: this thread's message for its latest failure. Borrowed;
 * valid until the next failing mpr call on this thread. "" when nothing
 * failed yet. */
MPR_EXTERN const char *mpr_strerror(int code);
MPR_EXTERN const char *mpr_err_name(int code);
MPR_EXTERN const char *mpr_last_error(void);

/* ----------------------------------------------------------------- runtime */

/* Ranks: every rank, collectively (over MPI_COMM_WORLD).
 * Initializes MPI (thread level MPI_THREAD_MULTIPLE) unless the program
 * already did. On rank 0 returns MPR_OK; on other ranks serves work and
 * never returns (exit(0) once rank 0 calls mpr_finalize). A program
 * started without mpirun is a singleton: rank 0 with no workers.
 * Returns: MPR_OK, MPR_EMPI (MPI could not start or lacks thread support),
 * MPR_ESTATE (called twice). */
MPR_EXTERN int mpr_init(int *argc, char ***argv);

/* Ranks: rank 0 only.
 * Waits for every started Process to end (as Python joins non-daemon
 * children at exit), stops the workers and finalizes MPI.
 * Returns: MPR_OK, MPR_ESTATE (not initialized), MPR_ERANK (not rank 0),
 * MPR_EMPI. */
MPR_EXTERN int mpr_finalize(void);

/* Ranks: any, before mpr_init too.
 * This rank in MPI_COMM_WORLD and the number of ranks (0 and 1 before
 * init); the online CPUs of this host (multiprocessing.cpu_count()). */
MPR_EXTERN int mpr_rank(void);
MPR_EXTERN int mpr_size(void);
MPR_EXTERN int mpr_cpu_count(void);
/* Ranks: rank 0 only (MPR_ERANK elsewhere).
 * Worker ranks not running a Process now. */
MPR_EXTERN int mpr_free_workers(void);

/* Ranks: any.
 * The current process: "MainProcess" on rank 0, the Process name
 * ("Process-3") while a worker runs a target, "Worker-N" while it idles.
 * Borrowed strings, valid until the next mpr call on this rank. */
MPR_EXTERN const char *mpr_self_name(void);
MPR_EXTERN const char *mpr_self_host(void);
MPR_EXTERN long mpr_self_pid(void);

/* Ranks: any.
 * Fail the running task with a message, as an uncaught Python exception
 * does: `return mpr_raise("bad input %d", x);` The Process's exit code
 * becomes 1 (Python's) and the message, with rank and host, reaches the
 * parent (mpr_process_error). Outside a task it only sets mpr_last_error. */
MPR_EXTERN int mpr_raise(const char *fmt, ...) MPR_PRINTF(1, 2);

/* ----------------------------------------------------------------- Process */

/* A target is any function of the program; it travels between ranks as
 * (loaded object, offset) checked by the object's build-id, so it need not
 * be registered. Its int return value is the Process's exit code. */
typedef int (*mpr_target)(const void *arg, size_t len);

typedef struct mpr_process mpr_process;

/* Ranks: rank 0 only (MPR_ERANK elsewhere): rank 0 owns the worker ranks,
 * and the Process object lives in its memory, so the other mpr_process_*
 * calls are rank 0's too.
 * Copies len bytes of arg; the caller's buffer may be reused at once. *p is
 * NULL on failure.
 * Returns: MPR_OK, MPR_EINVAL (NULL p or fn, arg NULL with len > 0),
 * MPR_EFUNC (fn is not in a loaded object), MPR_ETOOBIG, MPR_ENOMEM. */
MPR_EXTERN int mpr_process_new(mpr_process **p, mpr_target fn, const void *arg, size_t len);
/* Ranks: rank 0 only. Like mpr_process_new with a name instead of
 * "Process-N". */
MPR_EXTERN int mpr_process_new_named(mpr_process **p, const char *name, mpr_target fn,
                                     const void *arg, size_t len);
/* Ranks: rank 0 only (MPR_ERANK elsewhere).
 * Runs the target on a free worker rank. Does not wait for it.
 * Returns: MPR_OK, MPR_ENORANK (no worker free: the message says how many
 * ranks exist and how to launch more), MPR_ESTATE (already started), MPR_EMPI. */
MPR_EXTERN int mpr_process_start(mpr_process *p);
/* Ranks: rank 0 only (the rank that made p).
 * Waits up to timeout for the target to return. Returns: MPR_OK once it
 * has ended, MPR_ESTATE if never started, MPR_EINVAL (NULL p).
 * Timeout: MPR_ETIMEDOUT; the target still runs and mpr_process_exitcode
 * stays -1 (Python's None); join again later. */
MPR_EXTERN int mpr_process_join(mpr_process *p, double timeout);
/* Ranks: rank 0 only (the rank that made p). Never block.
 * is_alive: 1 between start and the end of the target, else 0; or an
 * error code. exitcode: the target's return value once joined; -1 before
 * (Python's None). error: mpr_raise's message ("rank 2 (host) Process-1:
 * ..."), or "" if none; borrowed. name; rank (-1 before start); host (""
 * before start); OS pid (0 before start). */
MPR_EXTERN int mpr_process_is_alive(mpr_process *p);
MPR_EXTERN int mpr_process_exitcode(const mpr_process *p);
MPR_EXTERN const char *mpr_process_error(const mpr_process *p);
MPR_EXTERN const char *mpr_process_name(const mpr_process *p);
MPR_EXTERN int mpr_process_rank(const mpr_process *p);
MPR_EXTERN const char *mpr_process_host(const mpr_process *p);
MPR_EXTERN long mpr_process_pid(const mpr_process *p);
/* Ranks: rank 0 only (the rank that made p).
 * Frees p; NULL is fine. A running process is joined first (its rank is
 * needed back), as a Python Process object outlives its handle. */
MPR_EXTERN void mpr_process_free(mpr_process *p);

/* ------------------------------------------------------------ Queue, Pipe */

/* Handles are plain values valid on every rank: copy them into a target's
 * argument bytes as Python passes a Queue in args=(q,). A Queue or Pipe
 * lives in the shared memory of its home node; a pipe end is bound to no
 * rank, so moving it to another Process costs nothing. */
typedef struct {
    int32_t home;  /* the leader rank of the home node (rank 0 for a Manager's) */
    uint32_t kind; /* object kind, checked at home */
    uint64_t id;   /* object id at home */
} mpr_queue;
typedef struct {
    int32_t home;
    uint32_t end; /* 0 or 1, plus direction flags */
    uint64_t id;
} mpr_conn;

/* Where an object lives: on the node of the rank given, or with
 * MPR_HOME_HERE on the caller's node (what mpr_queue_new and mpr_pipe_new
 * do). Ranks of the home node use the object in shared memory, with no
 * message; ranks of other nodes reach it through the home node's server,
 * one request per try. A zeroed opts struct homes the object on rank 0's
 * node. */
#define MPR_HOME_HERE (-1)
typedef struct {
    size_t maxsize; /* 0: unbounded */
    int joinable;   /* 1: a JoinableQueue */
    int home;       /* a rank whose node holds the queue, or MPR_HOME_HERE */
} mpr_queue_opts;
typedef struct {
    int duplex; /* as mpr_pipe_new */
    int home;   /* a rank whose node holds the pipe, or MPR_HOME_HERE */
} mpr_pipe_opts;

/* Ranks: any. maxsize 0 means unbounded. Items are bytes of any length up
 * to MPR_ITEM_MAX. Returns: MPR_OK, MPR_ENOMEM, MPR_EMPI. */
#define MPR_ITEM_MAX ((size_t)1 << 30)
MPR_EXTERN int mpr_queue_new(mpr_queue *q, size_t maxsize);
/* Ranks: any.
 * A JoinableQueue: every get is matched by a task_done; join waits for all. */
MPR_EXTERN int mpr_joinable_queue_new(mpr_queue *q, size_t maxsize);
/* Ranks: any.
 * A Queue or JoinableQueue on the node opts->home names.
 * Returns: MPR_OK, MPR_EINVAL (no such rank), MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_queue_new_opts(mpr_queue *q, const mpr_queue_opts *opts);
/* Ranks: any. Blocks up to timeout while the queue is full (a put on an
 * unbounded queue never blocks). On an unbounded queue homed on another
 * node, the put is posted, as Python's Queue.put hands its item to a
 * feeder thread: it returns once the item is on its way (one message, no
 * answer awaited), and the item is in the queue before anything this rank
 * asks of the queue later, and before a Process's join or a Pool task's
 * result returns. A posted put the home refuses (the queue was closed)
 * comes back as the error of this rank's next put on that queue, naming
 * how many were refused, or is printed on stderr at the task's end.
 * Returns: MPR_OK, MPR_ECLOSED (queue closed), MPR_ETOOBIG (len >
 * MPR_ITEM_MAX), MPR_EINVAL.
 * Timeout: MPR_EFULL (queue.Full), nothing put; put_nowait on a full queue
 * returns the same at once. */
MPR_EXTERN int mpr_queue_put(mpr_queue q, const void *buf, size_t len, double timeout);
MPR_EXTERN int mpr_queue_put_nowait(mpr_queue q, const void *buf, size_t len);
/* Ranks: any. Blocks up to timeout while the queue is empty. Items of one
 * producer come out in the order it put them.
 * Returns: MPR_OK with *len set, MPR_ETRUNC (the item is larger than cap:
 * *len is set to its size and the item stays at the head of the queue),
 * MPR_ECLOSED (closed and drained), MPR_EINVAL.
 * Timeout: MPR_EEMPTY (queue.Empty), nothing taken; get_nowait on an empty
 * queue returns the same at once. */
MPR_EXTERN int mpr_queue_get(mpr_queue q, void *buf, size_t cap, size_t *len, double timeout);
MPR_EXTERN int mpr_queue_get_nowait(mpr_queue q, void *buf, size_t cap, size_t *len);
/* Ranks: any.
 * Typed helpers: a NUL-terminated string (cap counts the NUL), an int64.
 * Timeout: as put and get, MPR_EFULL and MPR_EEMPTY. */
MPR_EXTERN int mpr_queue_put_str(mpr_queue q, const char *s, double timeout);
MPR_EXTERN int mpr_queue_get_str(mpr_queue q, char *buf, size_t cap, double timeout);
MPR_EXTERN int mpr_queue_put_i64(mpr_queue q, int64_t v, double timeout);
MPR_EXTERN int mpr_queue_get_i64(mpr_queue q, int64_t *v, double timeout);
/* Ranks: any.
 * Items now queued (>= 0), 1/0 for empty and full, or an error code. Like
 * Python's, the answers may be stale by the time the caller acts. */
MPR_EXTERN int mpr_queue_qsize(mpr_queue q);
MPR_EXTERN int mpr_queue_empty(mpr_queue q);
MPR_EXTERN int mpr_queue_full(mpr_queue q);
/* Ranks: any.
 * No more puts, from any rank: put returns MPR_ECLOSED, get drains what is
 * left and then returns MPR_ECLOSED, and blocked getters wake. A put that
 * began before the close returned is either in the queue (MPR_OK) or
 * refused (MPR_ECLOSED), from any rank of any node: the home decides, in
 * the order the two reach it; a put begun after close returned is
 * refused. Exception: a posted put (an unbounded queue's, from another node
 * than its home, or from a worker on a queue made when its node's
 * MPR_CHANNEL_SLOTS were all in use, which rank 0 serves) returns MPR_OK and
 * its refusal comes back with that rank's next put on the queue. */
MPR_EXTERN int mpr_queue_close(mpr_queue q);
/* Ranks: any.
 * JoinableQueue: mark one gotten item done (MPR_EINVAL if more task_done
 * than items), and wait until every item put has been marked done.
 * Timeout (join): MPR_ETIMEDOUT, items are still unfinished. */
MPR_EXTERN int mpr_queue_task_done(mpr_queue q);
MPR_EXTERN int mpr_queue_join(mpr_queue q, double timeout);
/* Ranks: any, once for the queue (not once per rank).
 * Frees the queue at its home. Items left are dropped. */
MPR_EXTERN int mpr_queue_free(mpr_queue q);

/* Ranks: any. A connected pair. duplex 1: both ends send and receive;
 * duplex 0: a receives only and b sends only (Python's Pipe(False)).
 * Returns: MPR_OK, MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_pipe_new(mpr_conn *a, mpr_conn *b, int duplex);
/* Ranks: any.
 * A pipe on the node opts->home names.
 * Returns: MPR_OK, MPR_EINVAL (no such rank), MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_pipe_new_opts(mpr_conn *a, mpr_conn *b, const mpr_pipe_opts *opts);
/* Ranks: any.
 * Send len bytes to the other end. Does not wait for the receiver.
 * Ends bind to no rank: any rank may use either end (pass it to a Process
 * as Python passes a Connection). The pipe lives on its home node; a rank
 * of that node sends and receives in shared memory, a rank of another node
 * sends with one posted message to the home's node server (no answer
 * awaited, as below for refusals) and receives with one request the server
 * answers when a message is there. Moving an end to another rank moves
 * nothing: its messages wait at the home.
 * Returns: MPR_OK, MPR_EPIPE (other end closed), MPR_ECLOSED (this end
 * closed), MPR_EINVAL (receive-only end), MPR_ETOOBIG. A send from another
 * node than the home that the home refuses (the other end closed meanwhile)
 * comes back as the error of that rank's next send on the end. */
MPR_EXTERN int mpr_conn_send(mpr_conn c, const void *buf, size_t len);
/* Ranks: any.
 * Receive the next message, waiting up to timeout.
 * Returns: MPR_OK with *len set, MPR_EOF (the other end closed and every
 * message was received), MPR_ETRUNC (*len = needed size; the message
 * stays), MPR_ECLOSED (this end closed), MPR_EINVAL.
 * Timeout: MPR_ETIMEDOUT, nothing received. */
MPR_EXTERN int mpr_conn_recv(mpr_conn c, void *buf, size_t cap, size_t *len, double timeout);
/* Ranks: any.
 * 1 if recv would not block (a message or end of file is there), or an
 * error code.
 * Timeout: 0 (Python's False). */
MPR_EXTERN int mpr_conn_poll(mpr_conn c, double timeout);
/* Ranks: any.
 * Close this end: the other end reads what was sent, then MPR_EOF. */
MPR_EXTERN int mpr_conn_close(mpr_conn c);
/* Ranks: any.
 * Typed helpers: send a NUL-terminated string with its NUL; receive one
 * into buf (cap counts the NUL), returning as mpr_conn_recv.
 * Timeout (recv_str): MPR_ETIMEDOUT, as mpr_conn_recv. */
MPR_EXTERN int mpr_conn_send_str(mpr_conn c, const char *s);
MPR_EXTERN int mpr_conn_recv_str(mpr_conn c, char *buf, size_t cap, double timeout);

/* ---------------------------------------------------------------- Counters */

/* Ranks: any.
 * What this rank's server threads have handled since mpr_init, counted in
 * events (a request, a spilled item, a forwarded output chunk): rank 0's
 * service (Managers and the objects it serves) and a node leader's node
 * server (requests from other nodes' ranks, spilled items). A rank without
 * such a thread reads 0. Use it to check that a channel costs a rank it
 * does not involve nothing per item.
 * Returns: MPR_OK, MPR_EINVAL (NULL), MPR_ESTATE (before mpr_init). */
typedef struct {
    uint64_t service;
    uint64_t node_server;
} mpr_served;
MPR_EXTERN int mpr_served_counts(mpr_served *out);

/* -------------------------------------------------------------------- Pool */

/* A pool of worker ranks (Python's multiprocessing.Pool). Rank 0 only: the
 * pool object lives on rank 0 and coordinates, so every mpr_pool_*,
 * mpr_imap_* and mpr_async_* call is rank 0's, the maker of the objects
 * they take. Its workers are free worker ranks taken at mpr_pool_new and
 * given back at join. Several pools may be alive at once on disjoint ranks.
 *
 * Callbacks of async results run on rank 0's main thread, inside whichever
 * pool call (get, wait, ready, apply_async, map_async, join, next) notices
 * the result; like Python's, they should return quickly. */
typedef struct mpr_pool mpr_pool;
typedef struct mpr_async mpr_async; /* an AsyncResult */
typedef struct mpr_imap mpr_imap;   /* an imap / imap_unordered iterator */

/* A map function: reads one item of in_size bytes, writes one of out_size
 * bytes. Returns 0, or non-zero (or `return mpr_raise(...)`) to fail. */
typedef int (*mpr_map_fn)(const void *in, void *out);

typedef struct {
    mpr_target initializer; /* run once on each worker before its first task; NULL: none */
    const void *initarg;    /* copied at mpr_pool_new_opts */
    size_t initarg_len;
    int maxtasksperchild; /* > 0: re-run the initializer after that many tasks (a rank can
                             not be replaced like a process; this resets its state) */
    int progress;         /* 1: progress line on stderr, 0: never, -1: MPR_PROGRESS or,
                             if unset, when stderr is a terminal and a map runs > 2 s */
} mpr_pool_options;

/* Ranks: rank 0 only (MPR_ERANK elsewhere).
 * nworkers 0 takes every free worker rank.
 * Returns: MPR_OK; MPR_ENORANK (fewer free ranks than asked, or none: the
 * message says how many are free and which mpirun -n would fit);
 * MPR_ERANK (not rank 0); MPR_EINVAL; MPR_EFUNC (initializer not code). */
MPR_EXTERN int mpr_pool_new(mpr_pool **p, int nworkers);
MPR_EXTERN int mpr_pool_new_opts(mpr_pool **p, int nworkers, const mpr_pool_options *opts);
/* Ranks: rank 0 only.
 * Number of worker ranks in the pool. */
MPR_EXTERN int mpr_pool_size(const mpr_pool *p);

/* Ranks: rank 0 only. The workers of the pool compute; rank 0 alone calls.
 * out[i] = fn(in[i]) for n items, blocking until all are done.
 * chunksize 0: the static path, one contiguous block per worker by
 * MPI_Scatterv/MPI_Gatherv on the pool's communicator (used when the pool
 * has no other work in flight; else as chunksize 0 of map_async).
 * chunksize > 0: chunks of that many items are handed out as workers free
 * up, so uneven items balance. A worker also holds its next chunk while it
 * computes one (MPR_POOL_PREFETCH, default 1), except for the last chunks,
 * which go to whoever is free.
 * Returns: MPR_OK; MPR_ETASK (an item failed: mpr_last_error has the first
 * failure's message, item index, rank and host; the other items were still
 * computed and out holds their results); MPR_ECLOSED (pool closed);
 * MPR_EINVAL (sizes 0 with n > 0, NULL buffers); MPR_ETOOBIG (items larger
 * than INT32_MAX bytes, or n * size overflowing); MPR_EFUNC. */
MPR_EXTERN int mpr_pool_map(mpr_pool *p, mpr_map_fn fn, const void *in, size_t n, size_t in_size,
                            void *out, size_t out_size, size_t chunksize);
/* Ranks: rank 0 only.
 * map over a struct of arguments per item (Python's starmap): the same
 * call, named for what it does; fn unpacks the struct. */
MPR_EXTERN int mpr_pool_starmap(mpr_pool *p, mpr_map_fn fn, const void *args, size_t n,
                                size_t args_size, void *out, size_t out_size, size_t chunksize);

/* Ranks: rank 0 only.
 * imap: results one by one, in order (ordered 1) or as they complete
 * (ordered 0, imap_unordered; each with its index). in is copied. */
MPR_EXTERN int mpr_pool_imap(mpr_pool *p, mpr_map_fn fn, const void *in, size_t n, size_t in_size,
                             size_t out_size, size_t chunksize, int ordered, mpr_imap **it);
/* Ranks: rank 0 only.
 * Next result into out (out_size bytes) and its item index. Returns MPR_OK;
 * MPR_EOF when every result was returned (StopIteration); MPR_ETASK if that
 * item failed (the iterator goes on with the next).
 * Timeout: MPR_ETIMEDOUT (Python's TimeoutError); the iterator stays where
 * it was. */
MPR_EXTERN int mpr_imap_next(mpr_imap *it, void *out, size_t *index, double timeout);
MPR_EXTERN void mpr_imap_free(mpr_imap *it);

/* Callbacks: result bytes (borrowed for the call) or the failure message. */
typedef void (*mpr_callback)(const void *result, size_t len, void *user);
typedef void (*mpr_error_callback)(int code, const char *message, void *user);

/* Ranks: rank 0 only.
 * Starts a map and returns at once. in is copied; out must stay valid until
 * the result is ready (the one place mpr writes to caller memory later).
 * chunksize 0 picks ceil(n / (4 * workers)), as Python does. callback gets
 * (out, n * out_size) once all items are done; error_callback the first
 * failure. result may be NULL (fire and forget: join waits for it). */
MPR_EXTERN int mpr_pool_map_async(mpr_pool *p, mpr_map_fn fn, const void *in, size_t n,
                                  size_t in_size, void *out, size_t out_size, size_t chunksize,
                                  mpr_callback callback, mpr_error_callback error_callback,
                                  void *user, mpr_async **result);

/* Ranks: rank 0 only.
 * Runs fn(arg, len) once on a pool worker. fn's int return is its status
 * (0 ok); its result is the bytes it passes to mpr_task_return (none: an
 * empty result, Python's None). arg is copied.
 * apply blocks and copies the result into res (cap bytes; *len set; too
 * small: MPR_ETRUNC with *len the size needed; the result is dropped). */
MPR_EXTERN int mpr_pool_apply(mpr_pool *p, mpr_target fn, const void *arg, size_t len, void *res,
                              size_t cap, size_t *res_len);
MPR_EXTERN int mpr_pool_apply_async(mpr_pool *p, mpr_target fn, const void *arg, size_t len,
                                    mpr_callback callback, mpr_error_callback error_callback,
                                    void *user, mpr_async **result);
/* Ranks: a pool worker, inside a task of mpr_pool_apply or apply_async
 * (MPR_ESTATE elsewhere).
 * The bytes apply returns (copied). */
MPR_EXTERN int mpr_task_return(const void *buf, size_t len);

/* Ranks: rank 0 only.
 * AsyncResult. get waits up to timeout and copies an apply's result bytes
 * (map results are already in the map's out buffer; pass NULL/0).
 * Returns MPR_OK, MPR_ETASK (the task failed; message as for map),
 * MPR_ETRUNC (cap too small; *len = size; get again). wait waits as get
 * does and returns MPR_OK once the result is ready. ready: 1, 0, or an
 * error; successful: 1/0 once ready, MPR_ESTATE before.
 * Timeout (get, wait): MPR_ETIMEDOUT (get: Python's TimeoutError; wait:
 * Python returns with ready() still False); the task runs on. */
MPR_EXTERN int mpr_async_get(mpr_async *r, void *res, size_t cap, size_t *len, double timeout);
MPR_EXTERN int mpr_async_wait(mpr_async *r, double timeout);
MPR_EXTERN int mpr_async_ready(mpr_async *r);
MPR_EXTERN int mpr_async_successful(mpr_async *r);
/* Ranks: rank 0 only.
 * Frees the handle; the task itself runs on (its result is dropped). */
MPR_EXTERN void mpr_async_free(mpr_async *r);

/* Ranks: rank 0 only; mpr runs fn on the workers (they do not call this).
 * SPMD step: runs fn(comm, arg, len) at the same time on rank 0 and on
 * every worker of the pool, where comm is the pool's communicator (rank 0
 * is comm rank 0, the workers 1..k). For collective work that Pool.map
 * cannot express, e.g. every rank writing its part of one HDF5 dataset
 * with collective I/O. Waits for pending pool work first. arg is copied.
 * Returns MPR_OK, or MPR_ETASK with the first failing rank's message (rank
 * 0's own failure counts as comm rank 0). */
typedef int (*mpr_spmd_fn)(MPI_Comm comm, const void *arg, size_t len);
MPR_EXTERN int mpr_pool_spmd(mpr_pool *p, mpr_spmd_fn fn, const void *arg, size_t len);

/* Ranks: rank 0 only.
 * close: no more tasks (later ones get MPR_ECLOSED). join (after close or
 * terminate): waits for every task, then gives the ranks back.
 * terminate: drops tasks not yet started, waits for running ones (a rank
 * cannot be killed), then stops the workers. free: terminates if needed. */
MPR_EXTERN int mpr_pool_close(mpr_pool *p);
MPR_EXTERN int mpr_pool_join(mpr_pool *p);
MPR_EXTERN int mpr_pool_terminate(mpr_pool *p);
MPR_EXTERN void mpr_pool_free(mpr_pool *p);

/* ----------------------------------------------------------------- Manager */

/* Python's multiprocessing.Manager(): a server that holds lists, dicts,
 * values, locks and queues and answers requests from any rank by MPI
 * messages. The server is rank 0's service thread (the home of queues and
 * pipes), so a manager costs no rank. The manager itself lives on the rank
 * that started it (an opaque pointer); the objects' handles (proxies) are
 * plain values valid on every rank: copy them into a Process's argument
 * bytes as Python passes a proxy in args=(records,).
 *
 * A manager owns its objects: mpr_manager_shutdown frees them, and every
 * later call on one of their handles returns MPR_ECLOSED. Items are bytes
 * of any length up to MPR_ITEM_MAX (a record such as ("sam", 10) is a
 * struct); _str helpers store a string with its NUL, _i64 helpers an int64.
 *
 * Every call on a handle is one request/reply round trip to rank 0, and
 * atomic at the server: two ranks that each get, then set, race (seed 003's
 * counter); fetch_add, or a manager lock around get+set, does not.
 *
 * Common returns of the calls on handles: MPR_ECLOSED (the manager was shut
 * down), MPR_ENOTFOUND (a missing key; an object freed otherwise), MPR_ERANGE
 * (an index out of range), MPR_ETRUNC (the item is larger than cap: *len is
 * set to its size and nothing changes), MPR_EINVAL (a bad handle or
 * argument), MPR_ETOOBIG, MPR_ENOMEM, MPR_EMPI. A failed call changes
 * nothing. */
typedef struct mpr_manager mpr_manager;

typedef struct {
    int32_t home;  /* rank that serves the object */
    uint32_t kind; /* object kind, checked by the server */
    uint64_t id;   /* (manager << 32) | object, at home */
} mpr_list;
typedef struct {
    int32_t home;
    uint32_t kind;
    uint64_t id;
} mpr_dict;
/* manager.Value: named mvalue to keep it apart from the shared-memory Value. */
typedef struct {
    int32_t home;
    uint32_t kind;
    uint64_t id;
} mpr_mvalue;
/* manager.Lock() and manager.RLock(). */
typedef struct {
    int32_t home;
    uint32_t kind;
    uint64_t id;
} mpr_mlock;

/* A snapshot of items (list items, dict keys, or dict key/value pairs one
 * after the other), copied to the caller: mpr allocates data, the caller
 * frees it with mpr_items_free. Walk it with mpr_items_next. */
typedef struct {
    unsigned char *data;
    size_t len, pos;
    size_t count; /* items in the snapshot (pairs count 2) */
} mpr_items;
/* Ranks: the rank that took the snapshot (data is in its memory).
 * next: the next item, borrowed from it: 1 with *item and *len set, 0 at
 * the end, MPR_EINVAL if the snapshot is damaged. free: frees the
 * snapshot's data; a zeroed mpr_items is fine. */
MPR_EXTERN int mpr_items_next(mpr_items *it, const void **item, size_t *len);
MPR_EXTERN void mpr_items_free(mpr_items *it);

/* Ranks: any.
 * Starts a manager served by rank 0; *m is NULL on failure.
 * Returns: MPR_OK, MPR_EINVAL, MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_manager_start(mpr_manager **m);
/* Ranks: the rank that started m.
 * Frees every object of the manager at the server; parked calls on them
 * (lock acquire, queue get) return MPR_ECLOSED, and so does every later
 * call on their handles or on m.
 * Returns: MPR_OK, MPR_ECLOSED (already shut down), MPR_EMPI. */
MPR_EXTERN int mpr_manager_shutdown(mpr_manager *m);
/* Ranks: the rank that started m.
 * Shuts down if still running, then frees m; NULL is fine. */
MPR_EXTERN void mpr_manager_free(mpr_manager *m);

/* Ranks: the rank that started m; the handles they make work on any rank.
 * Object constructors. Each returns MPR_OK, MPR_ECLOSED (m was shut down),
 * MPR_ENOMEM, MPR_EINVAL, MPR_EMPI. */
MPR_EXTERN int mpr_manager_list(mpr_manager *m, mpr_list *l);
MPR_EXTERN int mpr_manager_dict(mpr_manager *m, mpr_dict *d);
/* Ranks: the rank that started m.
 * A value of len bytes (len <= MPR_ITEM_MAX), set to init. */
MPR_EXTERN int mpr_manager_value(mpr_manager *m, mpr_mvalue *v, const void *init, size_t len);
MPR_EXTERN int mpr_manager_value_i64(mpr_manager *m, mpr_mvalue *v, int64_t init);
MPR_EXTERN int mpr_manager_lock(mpr_manager *m, mpr_mlock *l);
MPR_EXTERN int mpr_manager_rlock(mpr_manager *m, mpr_mlock *l);
/* Ranks: the rank that started m.
 * manager.Queue() / JoinableQueue(): an mpr_queue, used with the
 * mpr_queue_* calls like any queue, and freed with the manager. */
MPR_EXTERN int mpr_manager_queue(mpr_manager *m, mpr_queue *q, size_t maxsize);
MPR_EXTERN int mpr_manager_joinable_queue(mpr_manager *m, mpr_queue *q, size_t maxsize);

/* Ranks: any.
 * list. Indices are Python's: -1 is the last item.
 * append/extend/insert: extend adds n items of item_size bytes each (an
 * array of structs or of int64). insert at len or past it appends, before
 * -len or past it prepends, as Python's does.
 * get: l[index] into buf; MPR_ERANGE, MPR_ETRUNC as above.
 * set: l[index] = item; MPR_ERANGE.
 * pop: remove l[index] and return it; MPR_ETRUNC leaves it in place.
 * len: len(l) (>= 0), or an error code.
 * snapshot: list(l), every item, taken at one instant. */
MPR_EXTERN int mpr_list_append(mpr_list l, const void *buf, size_t len);
MPR_EXTERN int mpr_list_append_str(mpr_list l, const char *s);
MPR_EXTERN int mpr_list_append_i64(mpr_list l, int64_t v);
MPR_EXTERN int mpr_list_extend(mpr_list l, const void *items, size_t item_size, size_t n);
MPR_EXTERN int mpr_list_insert(mpr_list l, int64_t index, const void *buf, size_t len);
MPR_EXTERN int mpr_list_get(mpr_list l, int64_t index, void *buf, size_t cap, size_t *len);
MPR_EXTERN int mpr_list_get_str(mpr_list l, int64_t index, char *buf, size_t cap);
MPR_EXTERN int mpr_list_get_i64(mpr_list l, int64_t index, int64_t *v);
MPR_EXTERN int mpr_list_set(mpr_list l, int64_t index, const void *buf, size_t len);
MPR_EXTERN int mpr_list_set_i64(mpr_list l, int64_t index, int64_t v);
MPR_EXTERN int mpr_list_pop(mpr_list l, int64_t index, void *buf, size_t cap, size_t *len);
MPR_EXTERN int mpr_list_len(mpr_list l);
MPR_EXTERN int mpr_list_snapshot(mpr_list l, mpr_items *out);

/* Ranks: any.
 * dict. Keys and values are bytes; the _str/_i64 helpers take a C-string
 * key. Iteration order is insertion order, as in Python.
 * get: MPR_ENOTFOUND for a missing key, MPR_ETRUNC as above.
 * delete: MPR_ENOTFOUND for a missing key.
 * contains: 1 or 0, or an error code. len: >= 0, or an error code.
 * setdefault: d.setdefault(key, dflt): the value now stored under key (the
 * old one, or dflt which is then inserted) into buf; with MPR_ETRUNC
 * nothing is inserted. */
MPR_EXTERN int mpr_dict_set(mpr_dict d, const void *key, size_t klen, const void *val, size_t vlen);
MPR_EXTERN int mpr_dict_get(mpr_dict d, const void *key, size_t klen, void *buf, size_t cap,
                            size_t *len);
MPR_EXTERN int mpr_dict_delete(mpr_dict d, const void *key, size_t klen);
MPR_EXTERN int mpr_dict_contains(mpr_dict d, const void *key, size_t klen);
MPR_EXTERN int mpr_dict_len(mpr_dict d);
MPR_EXTERN int mpr_dict_setdefault(mpr_dict d, const void *key, size_t klen, const void *dflt,
                                   size_t dlen, void *buf, size_t cap, size_t *len);
MPR_EXTERN int mpr_dict_set_str(mpr_dict d, const char *key, const char *val);
MPR_EXTERN int mpr_dict_get_str(mpr_dict d, const char *key, char *buf, size_t cap);
MPR_EXTERN int mpr_dict_set_i64(mpr_dict d, const char *key, int64_t v);
MPR_EXTERN int mpr_dict_get_i64(mpr_dict d, const char *key, int64_t *v);
/* Ranks: any.
 * d.keys(); d.items() as key, value, key, value, ... */
MPR_EXTERN int mpr_dict_keys(mpr_dict d, mpr_items *out);
MPR_EXTERN int mpr_dict_items(mpr_dict d, mpr_items *out);

/* Ranks: any.
 * Value. get/set copy bytes; set may change the size. fetch_add_i64 adds
 * delta atomically at the server and returns the old value in *old (may be
 * NULL); it needs an 8-byte value (MPR_EINVAL otherwise). */
MPR_EXTERN int mpr_mvalue_get(mpr_mvalue v, void *buf, size_t cap, size_t *len);
MPR_EXTERN int mpr_mvalue_set(mpr_mvalue v, const void *buf, size_t len);
MPR_EXTERN int mpr_mvalue_get_i64(mpr_mvalue v, int64_t *out);
MPR_EXTERN int mpr_mvalue_set_i64(mpr_mvalue v, int64_t x);
MPR_EXTERN int mpr_mvalue_fetch_add_i64(mpr_mvalue v, int64_t delta, int64_t *old);

/* Ranks: any.
 * Lock / RLock. acquire waits up to timeout at the server (negative: for
 * ever, 0: try once) and returns MPR_OK. A Lock is not
 * reentrant (a second acquire by its holder waits) and any rank may release
 * it; an RLock belongs to the acquiring rank, counts recursion, and only
 * that rank may release it. release returns MPR_ESTATE for a Lock that is
 * not held or an RLock this rank does not hold.
 * Timeout (acquire): MPR_ETIMEDOUT (Python's False), not acquired. */
MPR_EXTERN int mpr_mlock_acquire(mpr_mlock l, double timeout);
MPR_EXTERN int mpr_mlock_release(mpr_mlock l);

/* ----- Value, Array, Lock, RLock, Semaphore, Event, Condition, Barrier ----- */

/* Shared state (Python's multiprocessing.Value/Array/Lock/...). Objects
 * live in a per-node shared heap (MPR_HEAP_SIZE bytes per node, default
 * 4 MiB, suffixes k/M/G) and are carved out by whichever rank creates
 * them, with no collective call. Handles are plain values: copy them into a
 * target's argument bytes as Python passes a Value in args=(v,). Objects
 * live until mpr_finalize; there is no free (the heap never reuses memory).
 *
 * Every access is an MPI atomic (one element at a time for ranges), so a
 * load never sees a torn element; but a load followed by a store is two
 * operations and races with other ranks, on purpose, as in the
 * bank-balance lesson. fetch_add, compare_and_swap and locked sections
 * never lose an update. Ranks on another node than the object reach it
 * through a server thread on that node (see README "Shared memory").
 *
 * Typecodes are Python's array codes: 'c' 'b' (signed char), 'B', 'h',
 * 'H', 'i', 'I', 'l', 'L', 'q' (int64_t), 'Q', 'f' (float), 'd' (double).
 * Element values are passed by pointer to a C object of that type.
 *
 * Blocking calls take a timeout in seconds (negative: forever, 0: try
 * once; what they return then follows the rule at the top of this file)
 * and wait with mpr's backoff: a waiting rank sleeps rather than
 * spins, so the holder of a lock gets the core on an oversubscribed node. */

/* Ranks: any, before mpr_init too.
 * Bytes of one element of a typecode, 0 for an unknown code. */
MPR_EXTERN size_t mpr_typecode_size(char typecode);

/* Lock and RLock. The other kinds have the same layout but are types of
 * their own, so that passing an Event to mpr_lock_acquire does not compile. */
typedef struct {
    int32_t home;    /* world rank of the leader of the node that holds it */
    uint32_t kind;   /* object kind, checked on use */
    uint64_t offset; /* byte offset in the home node's heap */
} mpr_lock;
typedef struct { /* Semaphore and BoundedSemaphore */
    int32_t home;
    uint32_t kind;
    uint64_t offset;
} mpr_semaphore;
typedef struct {
    int32_t home;
    uint32_t kind;
    uint64_t offset;
} mpr_event;
typedef struct {
    int32_t home;
    uint32_t kind;
    uint64_t offset;
} mpr_barrier;
typedef struct {
    int32_t home;
    uint32_t kind;
    uint64_t offset;
    mpr_lock lock; /* the Condition's lock */
} mpr_condition;
typedef struct {
    int32_t home;
    uint32_t type; /* typecode, whether it has a lock, whether read-mostly */
    uint64_t offset;
    uint64_t lock; /* offset of its RLock, 0 for a raw Value */
} mpr_value;
typedef struct {
    int32_t home;
    uint32_t type;
    uint64_t offset;
    uint64_t length; /* elements */
    uint64_t lock;
} mpr_array;

/* Ranks: any.
 * Value(typecode, init, lock=...). init points to one element (NULL:
 * zero). lock 1 gives it an RLock (mpr_value_get_lock), as Python's
 * default lock=True; lock 0 is RawValue. Returns: MPR_OK, MPR_EINVAL (bad
 * typecode, NULL v), MPR_ENOMEM (heap full: the message gives the sizes),
 * MPR_EMPI. */
MPR_EXTERN int mpr_value_new(mpr_value *v, char typecode, const void *init, int lock);
/* What mpr_value_new_opts makes. A zeroed struct is mpr_value_new's
 * Value with lock 0. */
typedef struct {
    int lock;        /* 1: with an RLock, as mpr_value_new's lock */
    int read_mostly; /* 1: a copy on every node, read where it is used */
} mpr_value_opts;
/* Ranks: any.
 * A Value as mpr_value_new makes, with options. read_mostly is for a Value
 * that is read far more often than written, such as a flag that workers
 * poll: a load reads a copy on the caller's node, with no message, on any
 * node. A store, fetch_add or compare_and_swap goes to the Value's home
 * (the node of the rank that made it) and returns once every node's copy
 * holds the result, so a load that starts after it returns sees it (or a
 * later write), on any node; a load made while it is in flight may see
 * either value. A write costs one round trip per node of the job (none on
 * one node).
 * At most 255 read-mostly Values per job. Returns: MPR_OK, MPR_EINVAL (bad
 * typecode, NULL v or opts), MPR_ENOMEM (heap full, or 255 read-mostly
 * Values in use), MPR_EMPI. */
MPR_EXTERN int mpr_value_new_opts(mpr_value *v, char typecode, const void *init,
                                  const mpr_value_opts *opts);
/* Ranks: any.
 * v.value and v.value = x: one atomic load or store of the element; never
 * blocks for long (a read-mostly Value's store: one round trip per node,
 * see mpr_value_new_opts). Returns: MPR_OK, MPR_EINVAL (not a Value handle),
 * MPR_EMPI. */
MPR_EXTERN int mpr_value_load(mpr_value v, void *out);
MPR_EXTERN int mpr_value_store(mpr_value v, const void *in);
/* Ranks: any.
 * Atomically adds *delta and gives the old value in *old (may be NULL).
 * Returns: MPR_OK, MPR_EINVAL, MPR_EMPI. */
MPR_EXTERN int mpr_value_fetch_add(mpr_value v, const void *delta, void *old);
/* Ranks: any.
 * If the value equals *expected, stores *desired. Floats compare as bits.
 * *old (may be NULL) gets the value seen. Returns: 1 swapped, 0 not,
 * MPR_EINVAL, MPR_EMPI. */
MPR_EXTERN int mpr_value_compare_and_swap(mpr_value v, const void *expected, const void *desired,
                                          void *old);
/* Ranks: any.
 * v.get_lock(): the Value's RLock. Returns: MPR_OK, MPR_ESTATE (raw Value). */
MPR_EXTERN int mpr_value_get_lock(mpr_value v, mpr_lock *lock);
MPR_EXTERN char mpr_value_typecode(mpr_value v);

/* Ranks: any.
 * Array(typecode, length or initializer, lock=...). init points to length
 * elements (NULL: zeros). Returns: MPR_OK, MPR_EINVAL (bad typecode,
 * length 0 or > INT32_MAX), MPR_ENOMEM (heap full), MPR_EMPI. */
MPR_EXTERN int mpr_array_new(mpr_array *a, char typecode, size_t length, const void *init,
                             int lock);
/* Ranks: any.
 * a[start:start+n] read into out / written from in, element by element
 * atomically. Returns: MPR_OK, MPR_EINVAL (range outside the array), MPR_EMPI. */
MPR_EXTERN int mpr_array_read(mpr_array a, size_t start, size_t n, void *out);
MPR_EXTERN int mpr_array_write(mpr_array a, size_t start, size_t n, const void *in);
/* Ranks: any.
 * Atomics on element index, as mpr_value_fetch_add/compare_and_swap. */
MPR_EXTERN int mpr_array_fetch_add(mpr_array a, size_t index, const void *delta, void *old);
MPR_EXTERN int mpr_array_compare_and_swap(mpr_array a, size_t index, const void *expected,
                                          const void *desired, void *old);
/* Ranks: any.
 * a.get_lock(). Returns: MPR_OK, MPR_ESTATE (raw Array). */
MPR_EXTERN int mpr_array_get_lock(mpr_array a, mpr_lock *lock);
/* Ranks: any.
 * len(a) and its typecode; never fail. */
MPR_EXTERN size_t mpr_array_len(mpr_array a);
MPR_EXTERN char mpr_array_typecode(mpr_array a);
/* Ranks: any.
 * The elements in this node's shared memory, for plain C loads and stores
 * (unsynchronized: mix them with the calls above only under a lock, or to
 * show a race). NULL when the array lives on another node (or with
 * MPR_NODE_SPLIT=rank on another rank). */
MPR_EXTERN void *mpr_array_ptr(mpr_array a);

/* Ranks: any.
 * Lock(): any rank may release it, as in Python. RLock(): only the owner
 * releases, once per acquire. Returns: MPR_OK, MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_lock_new(mpr_lock *l);
MPR_EXTERN int mpr_rlock_new(mpr_lock *l);
/* Ranks: any.
 * Waits up to timeout to acquire. An RLock held by this rank is taken
 * again at once (its count grows); a Lock held by this rank deadlocks
 * until the timeout, as in Python. Returns: MPR_OK, MPR_EINVAL (not a lock).
 * Timeout: MPR_ETIMEDOUT (Python's False), not acquired; at once for
 * timeout 0. */
MPR_EXTERN int mpr_lock_acquire(mpr_lock l, double timeout);
/* Ranks: any for a Lock; for an RLock, the rank that holds it.
 * Returns: MPR_OK, MPR_ESTATE (Lock not held, or RLock not held by this
 * rank: Python's RuntimeError), MPR_EINVAL. */
MPR_EXTERN int mpr_lock_release(mpr_lock l);
/* Ranks: any.
 * 1 if held by this rank, 0 if not (free or another rank's), or MPR_EINVAL. */
MPR_EXTERN int mpr_lock_is_mine(mpr_lock l);

/* Ranks: any.
 * Semaphore(value) and BoundedSemaphore(value). Returns: MPR_OK,
 * MPR_EINVAL (value < 0), MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_semaphore_new(mpr_semaphore *s, int64_t value);
MPR_EXTERN int mpr_bounded_semaphore_new(mpr_semaphore *s, int64_t value);
/* Ranks: any.
 * Decrements when positive, waiting up to timeout. Returns: MPR_OK,
 * MPR_EINVAL.
 * Timeout: MPR_ETIMEDOUT (Python's False), the value unchanged. */
MPR_EXTERN int mpr_semaphore_acquire(mpr_semaphore s, double timeout);
/* Ranks: any.
 * Increments. Returns: MPR_OK, MPR_ESTATE (a BoundedSemaphore released
 * past its initial value: Python's ValueError; no effect), MPR_EINVAL. */
MPR_EXTERN int mpr_semaphore_release(mpr_semaphore s);
/* Ranks: any.
 * The current value (>= 0), or MPR_EINVAL; stale once returned. */
MPR_EXTERN int64_t mpr_semaphore_value(mpr_semaphore s);

/* Ranks: any.
 * Event(). set/clear never block. Returns: MPR_OK, MPR_ENOMEM, MPR_EINVAL,
 * MPR_EMPI. */
MPR_EXTERN int mpr_event_new(mpr_event *e);
MPR_EXTERN int mpr_event_set(mpr_event e);
MPR_EXTERN int mpr_event_clear(mpr_event e);
/* Ranks: any.
 * 1 if set, 0 if not, or MPR_EINVAL. */
MPR_EXTERN int mpr_event_is_set(mpr_event e);
/* Ranks: any.
 * Waits up to timeout for the flag. Returns 1 (set), MPR_EINVAL.
 * Timeout: 0 (Python's False). */
MPR_EXTERN int mpr_event_wait(mpr_event e, double timeout);

/* Ranks: any.
 * Condition(lock): lock is a Lock or RLock handle (NULL: a new RLock, as
 * Python). Returns: MPR_OK, MPR_EINVAL, MPR_ENOMEM, MPR_EMPI. */
MPR_EXTERN int mpr_condition_new(mpr_condition *c, const mpr_lock *lock);
/* Ranks: any.
 * The Condition's lock: acquire/release it with mpr_lock_*. */
MPR_EXTERN mpr_lock mpr_condition_lock(mpr_condition c);
/* Ranks: the holder of the Condition's lock (MPR_ESTATE elsewhere).
 * Releases the lock (fully, for an RLock), waits up to timeout for a
 * notify, and reacquires it (without timeout) before returning.
 * Returns 1 (notified), MPR_ESTATE (lock not held by this rank), MPR_EINVAL.
 * Timeout: 0 (Python's False), with the lock held again. MPR_ETIMEDOUT
 * when the Condition's node did not answer in time (its ranks stopped, or
 * the network): with the lock still held if that happened before the lock
 * was released, else without it if the lock lives on that node too; the
 * call returns within the timeout and its slack. */
MPR_EXTERN int mpr_condition_wait(mpr_condition c, double timeout);
/* Ranks: the holder of the Condition's lock, as mpr_condition_wait.
 * Waits until pred(ctx) is non-zero, at most timeout in all; returns the
 * last pred value, or MPR_ESTATE/MPR_EINVAL.
 * Timeout: the last pred value, 0 (Python's too), with the lock held. */
MPR_EXTERN int mpr_condition_wait_for(mpr_condition c, int (*pred)(void *ctx), void *ctx,
                                      double timeout);
/* Ranks: the holder of the Condition's lock (MPR_ESTATE elsewhere).
 * Wakes up to n waiters (the longest waiting first) / all of them.
 * Returns the number woken (>= 0), MPR_ESTATE (lock not held), MPR_EINVAL
 * (n < 0, or a damaged handle). */
MPR_EXTERN int mpr_condition_notify(mpr_condition c, int n);
MPR_EXTERN int mpr_condition_notify_all(mpr_condition c);

/* Ranks: any.
 * Barrier(parties). Returns: MPR_OK, MPR_EINVAL (parties < 1), MPR_ENOMEM,
 * MPR_EMPI. */
MPR_EXTERN int mpr_barrier_new(mpr_barrier *b, int parties);
/* Ranks: any.
 * Waits until `parties` ranks have called wait. Returns the arrival index
 * in [0, parties) (each index once per round), or MPR_EBROKEN: the barrier
 * is or becomes broken (abort, reset while waiting, or a waiter's
 * timeout); MPR_EINVAL.
 * Timeout: MPR_EBROKEN (Python's BrokenBarrierError): the rank that timed
 * out breaks the barrier, so the other waiters get MPR_EBROKEN too.
 * MPR_ETIMEDOUT instead when the barrier's node did not answer in time
 * (its ranks stopped, or the network): the call returns within the
 * timeout and its slack, as every timed call, and cannot break it. */
MPR_EXTERN int mpr_barrier_wait(mpr_barrier b, double timeout);
/* Ranks: any.
 * Breaks the barrier: current and later waiters get MPR_EBROKEN. */
MPR_EXTERN int mpr_barrier_abort(mpr_barrier b);
/* Ranks: any.
 * Back to the empty, unbroken state; ranks waiting now get MPR_EBROKEN. */
MPR_EXTERN int mpr_barrier_reset(mpr_barrier b);
/* Ranks: any.
 * parties, ranks waiting now, 1/0 broken; or MPR_EINVAL. */
MPR_EXTERN int mpr_barrier_parties(mpr_barrier b);
MPR_EXTERN int mpr_barrier_n_waiting(mpr_barrier b);
MPR_EXTERN int mpr_barrier_broken(mpr_barrier b);

MPR_STATIC_ASSERT(sizeof(mpr_lock) == 16, "travels in task bytes");
MPR_STATIC_ASSERT(sizeof(mpr_semaphore) == 16, "travels in task bytes");
MPR_STATIC_ASSERT(sizeof(mpr_event) == 16, "travels in task bytes");
MPR_STATIC_ASSERT(sizeof(mpr_barrier) == 16, "travels in task bytes");
MPR_STATIC_ASSERT(sizeof(mpr_condition) == 32, "travels in task bytes");
MPR_STATIC_ASSERT(sizeof(mpr_value) == 24, "travels in task bytes");
MPR_STATIC_ASSERT(sizeof(mpr_array) == 32, "travels in task bytes");

/* ------------------------------------------------------------ result cache */

/* A persistent cache of results in an HDF5 file (joblib.Memory): the key is
 * the function's identity (its build and place in it), the argument bytes
 * and a code version string of the caller's; bump the version when the
 * meaning of a result changes. Nothing read is trusted: a damaged entry or
 * file is reported (stderr), counted and treated as a miss. Several ranks
 * and runs may share one file (HDF5 file locks; mpr waits for a lock up to
 * MPR_CACHE_LOCK_TIMEOUT seconds). Any rank opens a cache; a handle is
 * used by the rank and thread that opened it. */
typedef struct mpr_cache mpr_cache;
typedef void (*mpr_fn)(void); /* any function: cast it, (mpr_fn)my_task */
/* Ranks: any.
 * Returns MPR_OK, MPR_EINVAL, MPR_ENOMEM.
 * Timeout: MPR_ETIMEDOUT when another holder kept the file's lock for
 * MPR_CACHE_LOCK_TIMEOUT seconds; *c is NULL. */
MPR_EXTERN int mpr_cache_open(mpr_cache **c, const char *path, const char *code_version);
/* Ranks: the rank that opened c.
 * MPR_OK with the result in out (*out_len set); MPR_ENOTFOUND (a miss:
 * compute and put); MPR_ETRUNC (*out_len = size needed); MPR_EFUNC.
 * Timeout: MPR_ETIMEDOUT, as mpr_cache_open, and nothing is counted. */
MPR_EXTERN int mpr_cache_get(mpr_cache *c, mpr_fn fn, const void *arg, size_t len, void *out,
                             size_t cap, size_t *out_len);
/* Ranks: the rank that opened c.
 * Stores (or replaces) the result for (fn, arg).
 * Timeout: MPR_ETIMEDOUT, as mpr_cache_open; nothing is stored. */
MPR_EXTERN int mpr_cache_put(mpr_cache *c, mpr_fn fn, const void *arg, size_t len,
                             const void *value, size_t value_len);
/* Ranks: the rank that opened c.
 * stats: hits, misses and damaged entries or files seen through this
 * handle. close: closes and frees c; NULL is fine. */
MPR_EXTERN void mpr_cache_stats(const mpr_cache *c, uint64_t *hits, uint64_t *misses,
                                uint64_t *damaged);
MPR_EXTERN void mpr_cache_close(mpr_cache *c);

/* ------------------------------------------------------- random streams */

/* Counter-based random numbers (Philox4x32-10): stream `stream` under key
 * `seed` is the same sequence on every rank and never overlaps another
 * stream. Give each task its own stream (its index) and a Monte Carlo
 * result depends on the seed and the tasks, not on the number of ranks.
 * Plain value, no allocation. */
typedef struct {
    uint64_t key, stream, counter;
    uint32_t block[4];
    uint32_t used;
} mpr_rng;
/* Ranks: any, before mpr_init too, from any thread (one mpr_rng per thread).
 * init: the stream's start; u32/u64: its next 32 or 64 bits. */
MPR_EXTERN void mpr_rng_init(mpr_rng *r, uint64_t seed, uint64_t stream);
MPR_EXTERN uint32_t mpr_rng_u32(mpr_rng *r);
MPR_EXTERN uint64_t mpr_rng_u64(mpr_rng *r);
/* Ranks: any, any thread.
 * A double in [0, 1) with 53 random bits. */
MPR_EXTERN double mpr_rng_uniform(mpr_rng *r);
/* Ranks: any, any thread.
 * n such doubles, the same as n calls of mpr_rng_uniform but in one call
 * (numpy's random.uniform(0, 1, n)). */
MPR_EXTERN void mpr_rng_fill_uniform(mpr_rng *r, double *out, size_t n);
/* Ranks: any, any thread.
 * The raw block function: out = Philox4x32-10(counter, key). */
MPR_EXTERN void mpr_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

#ifdef __cplusplus
}
#endif
#endif /* MPR_H */
