/*
 * process.c — multiprocessing.Process: run a function of the program on a
 * free worker rank.
 *
 * DESIGN
 *   start: rank 0 takes the lowest free worker rank and sends it one TASK
 *   message on comm_task: {task id, name, function reference (wire.c),
 *   argument bytes}. The worker resolves the reference, runs the target,
 *   flushes stdout/stderr (they are pipes to mpirun, fully buffered) and
 *   answers with DONE: {task id, exit code, mpr_raise message}.
 *   join: rank 0 waits for that DONE with backoff (wait.c), so a parent
 *   blocked in join leaves the core to the workers; the worker rank goes
 *   back to the free set. is_alive peeks for the DONE without blocking.
 *
 *   Processes that are running are kept on a list so that mpr_finalize (and
 *   exit from main) joins them first, as Python joins non-daemon children.
 *
 * OWNERSHIP
 *   The process object owns a copy of the argument bytes; the caller's
 *   buffer is free again when mpr_process_new returns.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TASK_MAGIC = 0x4d505254u /* "MPRT" */ };
typedef enum { STATE_NEW, STATE_RUNNING, STATE_ENDED } process_state;

struct mpr_process {
    char name[MPR__NAME_MAX];
    mpr__fnref target;
    void *arg;
    size_t len;
    process_state state;
    int rank;
    int exitcode;
    uint64_t task_id;
    char error[MPR__MSG_MAX];
    mpr_process *next_running; /* on the running list while RUNNING */
};

static mpr_process *running;
static unsigned process_counter;
static uint64_t task_counter;

static void running_remove(mpr_process *p)
{
    for (mpr_process **pp = &running; *pp; pp = &(*pp)->next_running) {
        if (*pp == p) {
            *pp = p->next_running;
            p->next_running = NULL;
            return;
        }
    }
}

int mpr_process_new_named(mpr_process **out, const char *name, mpr_target fn, const void *arg,
                          size_t len)
{
    if (!out)
        return mpr__fail(MPR_EINVAL, "mpr_process_new: out pointer is NULL");
    *out = NULL;
    MPR_CHECK(mpr__require_rank0("mpr_process_new"));
    if (!fn)
        return mpr__fail(MPR_EINVAL, "mpr_process_new: target is NULL");
    if (!arg && len > 0)
        return mpr__fail(MPR_EINVAL, "mpr_process_new: arg is NULL but len is %zu", len);
    if (len > MPR_ITEM_MAX)
        return mpr__fail(MPR_ETOOBIG, "mpr_process_new: %zu argument bytes exceed %zu", len,
                         MPR_ITEM_MAX);
    mpr_process *p = calloc(1, sizeof *p);
    if (!p)
        return mpr__fail(MPR_ENOMEM, "mpr_process_new: out of memory");
    int rc = mpr__fnref_make((void (*)(void))fn, &p->target);
    if (rc < 0)
        goto fail_target;
    p->arg = malloc(len ? len : 1);
    if (!p->arg) {
        rc = mpr__fail(MPR_ENOMEM, "mpr_process_new: no memory for %zu argument bytes", len);
        goto fail_target;
    }
    if (len)
        memcpy(p->arg, arg, len);
    p->len = len;
    p->rank = -1;
    p->exitcode = -1;
    process_counter++;
    if (name)
        snprintf(p->name, sizeof p->name, "%s", name);
    else
        snprintf(p->name, sizeof p->name, "Process-%u", process_counter);
    *out = p;
    return MPR_OK;
fail_target:
    free(p);
    return rc;
}

int mpr_process_new(mpr_process **out, mpr_target fn, const void *arg, size_t len)
{
    return mpr_process_new_named(out, NULL, fn, arg, len);
}

static int send_task(mpr_process *p)
{
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__wbuf_u32(&w, TASK_MAGIC);
    mpr__wbuf_u64(&w, p->task_id);
    mpr__wbuf_str(&w, p->name);
    mpr__wbuf_fnref(&w, &p->target);
    mpr__wbuf_bytes(&w, p->arg, p->len);
    int count = 0, rc = w.oom ? mpr__fail(MPR_ENOMEM, "no memory to encode the task")
                              : mpr__count_to_int(w.len, &count);
    if (rc == MPR_OK) {
        int mrc = mpr__send(w.data, count, p->rank, MPR__TAG_TASK, mpr__rt.comm_task, p->rank);
        if (mrc != MPI_SUCCESS)
            rc = mpr__mpi_fail(mrc, "send(task)", __FILE__, __LINE__);
    }
    mpr__wbuf_free(&w);
    return rc;
}

static int join_all(void);

/* Starts p on a worker rank the caller has taken from the free set. */
static int start_on(mpr_process *p, int rank)
{
    static bool joined_at_finalize;
    if (!joined_at_finalize) {
        mpr__at_finalize(MPR__FINI_PROCESSES, join_all);
        joined_at_finalize = true;
    }
    p->rank = rank;
    p->task_id = ++task_counter;
    int rc = send_task(p);
    if (rc < 0) {
        p->rank = -1;
        return rc;
    }
    p->state = STATE_RUNNING;
    p->next_running = running;
    running = p;
    return MPR_OK;
}

static int check_startable(mpr_process *p)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "mpr_process_start: process is NULL");
    MPR_CHECK(mpr__require_rank0("mpr_process_start"));
    if (p->state != STATE_NEW)
        return mpr__fail(MPR_ESTATE, "%s was already started (a process starts once)", p->name);
    return MPR_OK;
}

int mpr_process_start(mpr_process *p)
{
    MPR_CHECK(check_startable(p));
    int rank = 0;
    int rc = mpr__workers_take(1, &rank);
    if (rc < 0) {
        char why[MPR__MSG_MAX];
        snprintf(why, sizeof why, "%s", mpr_last_error());
        return mpr__fail(rc, "cannot start %s: %s", p->name, why);
    }
    rc = start_on(p, rank);
    if (rc < 0)
        mpr__worker_give(rank);
    return rc;
}

int mpr__process_start_on(mpr_process *p, int rank)
{
    MPR_CHECK(check_startable(p));
    return start_on(p, rank);
}

/* Receives the worker's DONE for p. */
static int receive_done(mpr_process *p, MPI_Message *msg, MPI_Status *st)
{
    void *body = NULL;
    size_t len = 0;
    MPR_CHECK(mpr__mrecv_alloc(msg, st, &body, &len));
    mpr__rbuf r;
    mpr__rbuf_init(&r, body, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    uint64_t id = mpr__rbuf_u64(&r);
    int32_t code = (int32_t)mpr__rbuf_u32(&r);
    uint64_t output_bytes = mpr__rbuf_u64(&r);
    mpr__rbuf_text(&r, p->error, sizeof p->error);
    free(body);
    MPR_ASSERT(!r.bad && magic == TASK_MAGIC && id == p->task_id);
    /* Everything the child printed is out before the parent goes on. */
    mpr__output_wait(p->rank, output_bytes);
    p->exitcode = code;
    p->state = STATE_ENDED;
    running_remove(p);
    mpr__worker_give(p->rank);
    return MPR_OK;
}

int mpr_process_join(mpr_process *p, double timeout)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "mpr_process_join: process is NULL");
    if (p->state == STATE_NEW)
        return mpr__fail(MPR_ESTATE, "can only join a started process; %s was not started",
                         p->name);
    if (p->state == STATE_ENDED)
        return MPR_OK;
    MPI_Message msg;
    MPI_Status st;
    int found = mpr__probe_wait(mpr__rt.comm_task, p->rank, MPR__TAG_DONE, timeout, &msg, &st);
    MPR_CHECK(found);
    if (!found)
        return mpr__fail(MPR_ETIMEDOUT, "%s (rank %d, %s) still runs after %.3g s", p->name,
                         p->rank, mpr__rt.ranks[p->rank].host, timeout);
    return receive_done(p, &msg, &st);
}

int mpr_process_is_alive(mpr_process *p)
{
    if (!p)
        return mpr__fail(MPR_EINVAL, "mpr_process_is_alive: process is NULL");
    if (p->state != STATE_RUNNING)
        return 0;
    int rc = mpr_process_join(p, 0);
    if (rc == MPR_ETIMEDOUT)
        return 1;
    return rc < 0 ? rc : 0;
}

int mpr_process_exitcode(const mpr_process *p)
{
    return p && p->state == STATE_ENDED ? p->exitcode : -1;
}
const char *mpr_process_error(const mpr_process *p) { return p ? p->error : ""; }
const char *mpr_process_name(const mpr_process *p) { return p ? p->name : ""; }
int mpr_process_rank(const mpr_process *p) { return p ? p->rank : -1; }

const char *mpr_process_host(const mpr_process *p)
{
    if (!p || p->rank < 0 || !mpr__rt.ranks)
        return "";
    return mpr__rt.ranks[p->rank].host;
}

long mpr_process_pid(const mpr_process *p)
{
    if (!p || p->rank < 0 || !mpr__rt.ranks)
        return 0;
    return mpr__rt.ranks[p->rank].pid;
}

void mpr_process_free(mpr_process *p)
{
    if (!p)
        return;
    if (p->state == STATE_RUNNING)
        mpr_process_join(p, -1);
    free(p->arg);
    free(p);
}

/* At finalize, as Python joins non-daemon children at exit. A join that
 * fails leaves the rest running; finalize goes on without them. */
static int join_all(void)
{
    while (running)
        if (mpr_process_join(running, -1) < 0)
            break;
    return MPR_OK;
}

/* ------------------------------------------------------------ worker side */

static void send_done(uint64_t task_id, int code, const char *message)
{
    uint64_t output_bytes = mpr__output_flush();
    mpr__wbuf w;
    mpr__wbuf_init(&w);
    mpr__wbuf_u32(&w, TASK_MAGIC);
    mpr__wbuf_u64(&w, task_id);
    mpr__wbuf_u32(&w, (uint32_t)code);
    mpr__wbuf_u64(&w, output_bytes);
    mpr__wbuf_str(&w, message);
    MPR_ASSERT(!w.oom);
    MPR_MPI_MUST(mpr__send(w.data, (int)w.len, 0, MPR__TAG_DONE, mpr__rt.comm_task, 0));
    mpr__wbuf_free(&w);
}

bool mpr__task_decode(const void *msg, size_t len, mpr__task *t)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, msg, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    t->task_id = mpr__rbuf_u64(&r);
    mpr__rbuf_str(&r, t->name, sizeof t->name);
    mpr__rbuf_fnref(&r, &t->target);
    t->arg = mpr__rbuf_bytes(&r, &t->arg_len);
    return !r.bad && magic == TASK_MAGIC && r.pos == r.len;
}

static void run_task(void *msg, size_t len)
{
    mpr__task t;
    /* Only rank 0 sends tasks, with the same build: a bad one is a bug. */
    MPR_ASSERT(mpr__task_decode(msg, len, &t));
    const char *name = t.name;
    uint64_t task_id = t.task_id;
    mpr__fnref ref = t.target;
    const void *arg = t.arg;
    size_t arg_len = t.arg_len;

    mpr__self_set_name(name);
    mpr__fault_task_begin(name);
    mpr__raise_reset();
    void (*fn)(void) = NULL;
    char message[MPR__MSG_MAX];
    int code;
    if (mpr__fnref_resolve(&ref, &fn) < 0) {
        code = 1;
        snprintf(message, sizeof message, "rank %d (%s) %s: %s", mpr__rt.rank, mpr__rt.host, name,
                 mpr_last_error());
    } else {
        /* Aligned as malloc aligns, whatever its offset in the message: a
         * target may cast its argument to a struct. */
        void *aligned = arg_len ? malloc(arg_len) : NULL;
        MPR_ASSERT(aligned || !arg_len);
        if (arg_len)
            memcpy(aligned, arg, arg_len);
        code = ((mpr_target)fn)(aligned, arg_len);
        free(aligned);
        message[0] = '\0';
        if (mpr__raise_message()[0])
            snprintf(message, sizeof message, "rank %d (%s) %s: %s", mpr__rt.rank, mpr__rt.host,
                     name, mpr__raise_message());
    }
    mpr__fault_task_end();
    mpr__posted_flush(); /* the task's puts are in their queues before join returns */
    if (message[0])
        /* Python prints the child's traceback on the child's stderr. */
        fprintf(stderr, "Process %s:\nmpr_raise: %s\n", name, message);
    fflush(stderr);
    send_done(task_id, code, message);
}

/* The worker loop: run tasks until rank 0 says stop. */
void mpr__worker_loop(void)
{
    char idle[MPR__NAME_MAX];
    snprintf(idle, sizeof idle, "Worker-%d", mpr__rt.rank);
    for (;;) {
        mpr__self_set_name(idle);
        MPI_Message msg;
        MPI_Status st;
        int rc = mpr__probe_wait(mpr__rt.comm_task, 0, MPI_ANY_TAG, -1, &msg, &st);
        MPR_ASSERT(rc == 1);
        void *body = NULL;
        size_t len = 0;
        MPR_ASSERT(mpr__mrecv_alloc(&msg, &st, &body, &len) == MPR_OK);
        if (st.MPI_TAG == MPR__TAG_STOP) {
            free(body);
            return;
        }
        MPR_ASSERT(st.MPI_TAG == MPR__TAG_TASK);
        run_task(body, len);
        free(body);
    }
}
