/* test_badinput.c — every public call given bad input (issue 9).
 *
 * NULL handles and pointers, zero and huge sizes, handles of the wrong type,
 * zeroed or forged handles (kind, home rank, id/offset), negative counts,
 * use after close or free, receive buffers too small, timeouts of 0 and
 * negative, and calls from a rank that may not make them. Each must return
 * its documented MPR_E* code with a fresh, non-empty mpr_last_error(), leave
 * the object usable and lose no queued item. A crash or hang is a library
 * bug. One case per API area; each runs at 1 and 3 ranks (the shared-state
 * case also with MPR_NODE_SPLIT=rank, where rank 1 reaches rank 0's objects
 * through the heap server).
 */
#include "mpr_test.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>

/* This thread's message is first set to a known text by a call that fails
 * on any rank (even inside a target); was it replaced by a new one since? */
static void known_message(char *out, size_t cap)
{
    (void)mpr_process_start(NULL);
    snprintf(out, cap, "%s", mpr_last_error());
}

static int message_replaced(const char *before)
{
    return mpr_last_error()[0] != '\0' && strcmp(mpr_last_error(), before) != 0;
}

#define EXPECT_CALL_(check, call, want, replaced, why)                                             \
    do {                                                                                           \
        char before_[512];                                                                         \
        known_message(before_, sizeof before_);                                                    \
        check(call, want);                                                                         \
        if (message_replaced(before_) != (replaced))                                               \
            mpr_test_fail(__FILE__, __LINE__, #call " " why);                                      \
    } while (0)
/* The call must fail with `want` and leave a new, non-empty message, so a
 * stale message does not pass. */
#define EXPECT(call, want)                                                                         \
    EXPECT_CALL_(ASSERT_RC, call, want, 1, "failed without a message of its own")
/* A wait that answers a question (mpr.h's timeout rule) times out with 0,
 * an answer and not a failure: the thread's last message stays as it was. */
#define EXPECT_ANSWER(call, want)                                                                  \
    EXPECT_CALL_(ASSERT_EQ, call, want, 0, "answered but changed mpr_last_error")

static const double huge_timeout = 1e300;

/* A handle's bytes read as another handle type of the same size. The
 * shared-state kinds are distinct types, so the compiler refuses a plain
 * mpr_lock_acquire(an_event) (tests/header_handles.c); forged bytes must
 * still be refused at run time. */
#define RECAST(type, h) (*(type *)memcpy(&(type){0}, &(h), sizeof(type)))

/* A queue handle read as a conn, and the other way round (same layout). */
static mpr_conn queue_as_conn(mpr_queue q)
{
    mpr_conn c;
    memcpy(&c, &q, sizeof c);
    return c;
}
static mpr_queue conn_as_queue(mpr_conn c)
{
    mpr_queue q;
    memcpy(&q, &c, sizeof q);
    return q;
}

/* Runs fn(arg, len) on a worker; it must return 0 (its ASSERTs abort the job). */
static void run_on_worker(mpr_target fn, const void *arg, size_t len)
{
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, fn, arg, len));
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 0);
    mpr_process_free(p);
}

static int noop(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    return 7;
}

/* ---------------------------------------------------------- runtime/errors */

/* Inside a target on a worker: what only rank 0 may do is MPR_ERANK. */
static int rank0_only_calls(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    mpr_process *p = (mpr_process *)1;
    EXPECT(mpr_process_new(&p, noop, NULL, 0), MPR_ERANK);
    ASSERT_TRUE(p == NULL);
    ASSERT_CONTAINS(mpr_last_error(), "rank");
    mpr_pool *pool = (mpr_pool *)1;
    EXPECT(mpr_pool_new(&pool, 1), MPR_ERANK);
    ASSERT_TRUE(pool == NULL);
    EXPECT(mpr_free_workers(), MPR_ERANK);
    EXPECT(mpr_finalize(), MPR_ERANK);
    EXPECT(mpr_task_return("x", 1), MPR_ESTATE); /* a Process, not a pool task */
    /* Still a working rank afterwards. */
    ASSERT_TRUE(mpr_rank() > 0);
    return 0;
}

MPR_TEST(runtime)
{
    /* Error table: every code has a name and a text; unknown codes too. */
    int codes[] = {MPR_OK, MPR_EINVAL, MPR_ETRUNC, MPR_ETASK, 1, -19, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        ASSERT_TRUE(mpr_strerror(codes[i]) != NULL && mpr_strerror(codes[i])[0]);
        ASSERT_TRUE(mpr_err_name(codes[i]) != NULL && mpr_err_name(codes[i])[0]);
    }
    ASSERT_STR_EQ(mpr_err_name(MPR_ETRUNC), "MPR_ETRUNC");
    ASSERT_TRUE(mpr_version_string()[0]);
    /* Init twice; finalize is not called here (the runner does it). */
    int argc = 0;
    char **argv = NULL;
    EXPECT(mpr_init(&argc, &argv), MPR_ESTATE);
    EXPECT(mpr_init(NULL, NULL), MPR_ESTATE);
    ASSERT_EQ(mpr_free_workers(), mpr_size() - 1);
    EXPECT(mpr_task_return("x", 1), MPR_ESTATE);
    ASSERT_TRUE(mpr_cpu_count() >= 1);
    ASSERT_STR_EQ(mpr_self_name(), "MainProcess");
    if (mpr_size() > 1) {
        run_on_worker(rank0_only_calls, NULL, 0);
        ASSERT_EQ(mpr_free_workers(), mpr_size() - 1);
    }
    return 0;
}

/* ---------------------------------------------------------------- process */

static int sleep_a_bit(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    usleep(300 * 1000);
    return 3;
}

MPR_TEST(process)
{
    mpr_process *p = (mpr_process *)1;
    EXPECT(mpr_process_new(NULL, noop, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_process_new(&p, NULL, NULL, 0), MPR_EINVAL);
    ASSERT_TRUE(p == NULL);
    p = (mpr_process *)1;
    EXPECT(mpr_process_new(&p, noop, NULL, 5), MPR_EINVAL);
    ASSERT_TRUE(p == NULL);
    /* Not a function of any loaded object: heap memory. */
    void *heap = malloc(64);
    mpr_target not_code;
    memcpy(&not_code, &heap, sizeof not_code);
    p = (mpr_process *)1;
    EXPECT(mpr_process_new(&p, not_code, NULL, 0), MPR_EFUNC);
    ASSERT_TRUE(p == NULL);
    free(heap);
    /* Huge argument: refused before any copy is attempted. */
    static const char byte = 1;
    EXPECT(mpr_process_new(&p, noop, &byte, SIZE_MAX), MPR_ETOOBIG);
    EXPECT(mpr_process_new(&p, noop, &byte, (size_t)INT_MAX + 1), MPR_ETOOBIG);
    EXPECT(mpr_process_new_named(NULL, "x", noop, NULL, 0), MPR_EINVAL);
    /* NULL process to every call. */
    ASSERT_RC(mpr_process_start(NULL), MPR_EINVAL); /* EXPECT's own reference message */
    ASSERT_CONTAINS(mpr_last_error(), "NULL");
    EXPECT(mpr_process_join(NULL, 0), MPR_EINVAL);
    EXPECT(mpr_process_join(NULL, -1), MPR_EINVAL);
    EXPECT(mpr_process_is_alive(NULL), MPR_EINVAL);
    ASSERT_EQ(mpr_process_exitcode(NULL), -1);
    ASSERT_STR_EQ(mpr_process_error(NULL), "");
    ASSERT_STR_EQ(mpr_process_name(NULL), "");
    ASSERT_EQ(mpr_process_rank(NULL), -1);
    ASSERT_STR_EQ(mpr_process_host(NULL), "");
    ASSERT_EQ(mpr_process_pid(NULL), 0);
    mpr_process_free(NULL);

    /* Join before start, with any timeout. */
    ASSERT_OK(mpr_process_new_named(&p, NULL, sleep_a_bit, NULL, 0));
    ASSERT_TRUE(mpr_process_name(p)[0]);
    EXPECT(mpr_process_join(p, 0), MPR_ESTATE);
    EXPECT(mpr_process_join(p, -1), MPR_ESTATE);
    EXPECT(mpr_process_join(p, huge_timeout), MPR_ESTATE);
    ASSERT_EQ(mpr_process_is_alive(p), 0);
    ASSERT_EQ(mpr_process_exitcode(p), -1);
    if (mpr_size() == 1) {
        EXPECT(mpr_process_start(p), MPR_ENORANK);
        ASSERT_CONTAINS(mpr_last_error(), "mpirun -n");
        /* Still new: it may be started later and freed now. */
        EXPECT(mpr_process_join(p, 0), MPR_ESTATE);
        mpr_process_free(p);
        return 0;
    }
    ASSERT_OK(mpr_process_start(p));
    EXPECT(mpr_process_start(p), MPR_ESTATE); /* twice */
    int rc = mpr_process_join(p, 0);
    ASSERT_TRUE(rc == MPR_ETIMEDOUT || rc == MPR_OK);
    if (rc == MPR_ETIMEDOUT)
        ASSERT_TRUE(mpr_last_error()[0]);
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_OK(mpr_process_join(p, 0)); /* joined again: fine, as in Python */
    ASSERT_EQ(mpr_process_exitcode(p), 3);
    EXPECT(mpr_process_start(p), MPR_ESTATE); /* after the end */
    mpr_process_free(p);
    ASSERT_EQ(mpr_free_workers(), mpr_size() - 1);
    /* A free rank is still usable after all of that. */
    ASSERT_OK(mpr_process_new(&p, noop, NULL, 0));
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, huge_timeout));
    ASSERT_EQ(mpr_process_exitcode(p), 7);
    mpr_process_free(p);
    return 0;
}

/* ------------------------------------------------------------------ queue */

static void queue_bad_handles(mpr_queue q)
{
    char buf[16];
    size_t len;
    mpr_queue zero = {0}, forged;
    /* Zeroed, forged kind, forged home (negative, past the job, huge), forged id. */
    mpr_queue bad[7];
    bad[6] = q;
    bad[6].home = MPI_PROC_NULL;
    bad[0] = zero;
    bad[1] = q;
    bad[1].kind ^= 0x5a5au;
    bad[2] = q;
    bad[2].home = -1;
    bad[3] = q;
    bad[3].home = mpr_size();
    bad[4] = q;
    bad[4].home = INT32_MAX;
    bad[5] = q;
    bad[5].id += 1u << 20;
    for (int i = 0; i < 7; i++) {
        forged = bad[i];
        int want = i == 5 ? MPR_ENOTFOUND : MPR_EINVAL;
        EXPECT(mpr_queue_put(forged, "x", 1, 0), want);
        EXPECT(mpr_queue_put_nowait(forged, "x", 1), want);
        EXPECT(mpr_queue_get(forged, buf, sizeof buf, &len, 0), want);
        EXPECT(mpr_queue_get_nowait(forged, buf, sizeof buf, &len), want);
        EXPECT(mpr_queue_qsize(forged), want);
        EXPECT(mpr_queue_empty(forged), want);
        EXPECT(mpr_queue_full(forged), want);
        EXPECT(mpr_queue_close(forged), want);
        EXPECT(mpr_queue_task_done(forged), MPR_EINVAL); /* q is not joinable either */
        EXPECT(mpr_queue_join(forged, 0), MPR_EINVAL);
        EXPECT(mpr_queue_free(forged), want);
    }
}

/* A worker sees the same answers as rank 0 for rank 0's queue. */
static int queue_from_worker(const void *arg, size_t len)
{
    ASSERT_EQ(len, sizeof(mpr_queue));
    mpr_queue q;
    memcpy(&q, arg, sizeof q);
    queue_bad_handles(q);
    char small[2], big[64];
    size_t n = 0;
    EXPECT(mpr_queue_get(q, small, sizeof small, &n, -1), MPR_ETRUNC);
    ASSERT_EQ(n, 11);
    ASSERT_OK(mpr_queue_get(q, big, sizeof big, &n, 0));
    ASSERT_EQ(n, 11);
    ASSERT_STR_EQ(big, "from rank0");
    return 0;
}

MPR_TEST(queue)
{
    mpr_queue q, jq;
    char buf[64], small[3];
    size_t len = 0;
    int64_t v;
    EXPECT(mpr_queue_new(NULL, 0), MPR_EINVAL);
    EXPECT(mpr_joinable_queue_new(NULL, 0), MPR_EINVAL);
    ASSERT_OK(mpr_queue_new(&q, 2));
    queue_bad_handles(q);
    /* A conn handle is not a queue: the kind is checked. */
    mpr_conn a, b;
    ASSERT_OK(mpr_pipe_new(&a, &b, 1));
    EXPECT(mpr_queue_put(conn_as_queue(a), "x", 1, 0), MPR_EINVAL);
    EXPECT(mpr_queue_get(conn_as_queue(b), buf, sizeof buf, &len, 0), MPR_EINVAL);
    EXPECT(mpr_queue_qsize(conn_as_queue(a)), MPR_EINVAL);
    EXPECT(mpr_queue_free(conn_as_queue(a)), MPR_EINVAL);
    ASSERT_OK(mpr_conn_send_str(a, "still a pipe"));
    ASSERT_OK(mpr_conn_recv_str(b, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "still a pipe");

    /* Bad arguments on a good queue change nothing. */
    EXPECT(mpr_queue_put(q, NULL, 3, 0), MPR_EINVAL);
    EXPECT(mpr_queue_put(q, "x", MPR_ITEM_MAX + 1, 0), MPR_ETOOBIG);
    EXPECT(mpr_queue_put(q, "x", SIZE_MAX, 0), MPR_ETOOBIG);
    EXPECT(mpr_queue_put_str(q, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_queue_get(q, buf, sizeof buf, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_queue_get(q, NULL, 5, &len, 0), MPR_EINVAL);
    EXPECT(mpr_queue_get_i64(q, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_queue_get_str(q, NULL, 5, 0), MPR_EINVAL);
    EXPECT(mpr_queue_task_done(q), MPR_EINVAL); /* not joinable */
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    /* Empty: timeouts 0, tiny, and nowait. */
    EXPECT(mpr_queue_get(q, buf, sizeof buf, &len, 0), MPR_EEMPTY);
    EXPECT(mpr_queue_get(q, buf, sizeof buf, &len, 0.01), MPR_EEMPTY);
    EXPECT(mpr_queue_get_nowait(q, buf, sizeof buf, &len), MPR_EEMPTY);
    EXPECT(mpr_queue_get_i64(q, &v, 0), MPR_EEMPTY);
    /* A zero-length item is an item. */
    ASSERT_OK(mpr_queue_put(q, NULL, 0, 0));
    ASSERT_OK(mpr_queue_put_str(q, "0123456789", -1));
    EXPECT(mpr_queue_put(q, "x", 1, 0), MPR_EFULL);
    EXPECT(mpr_queue_put_nowait(q, "x", 1), MPR_EFULL);
    EXPECT(mpr_queue_put(q, "x", 1, 0.01), MPR_EFULL);
    ASSERT_EQ(mpr_queue_full(q), 1);
    ASSERT_EQ(mpr_queue_qsize(q), 2);
    len = 99;
    ASSERT_OK(mpr_queue_get(q, NULL, 0, &len, 0));
    ASSERT_EQ(len, 0);
    /* Too small: ETRUNC with the size, and the item stays at the head. */
    len = 0;
    EXPECT(mpr_queue_get(q, small, sizeof small, &len, 0), MPR_ETRUNC);
    ASSERT_EQ(len, 11);
    EXPECT(mpr_queue_get(q, NULL, 0, &len, -1), MPR_ETRUNC);
    ASSERT_EQ(len, 11);
    EXPECT(mpr_queue_get_str(q, small, sizeof small, 0), MPR_ETRUNC);
    EXPECT(mpr_queue_get_i64(q, &v, 0), MPR_ETRUNC); /* 11 bytes do not fit an int64 */
    ASSERT_EQ(mpr_queue_qsize(q), 1);
    ASSERT_OK(mpr_queue_get(q, buf, sizeof buf, &len, 0));
    ASSERT_EQ(len, 11);
    ASSERT_STR_EQ(buf, "0123456789");

    /* Rank 0's queue used from a worker, bad handles included. */
    if (mpr_size() > 1) {
        ASSERT_OK(mpr_queue_put_str(q, "from rank0", 0));
        run_on_worker(queue_from_worker, &q, sizeof q);
        ASSERT_EQ(mpr_queue_qsize(q), 0);
    }

    /* Closed: puts refused, items drain, then ECLOSED (timeouts 0 and forever). */
    ASSERT_OK(mpr_queue_put_i64(q, 41, 0));
    ASSERT_OK(mpr_queue_close(q));
    EXPECT(mpr_queue_put_i64(q, 42, 0), MPR_ECLOSED);
    EXPECT(mpr_queue_put_nowait(q, "x", 1), MPR_ECLOSED);
    EXPECT(mpr_queue_put(q, "x", 1, -1), MPR_ECLOSED);
    EXPECT(mpr_queue_get(q, small, 1, &len, 0), MPR_ETRUNC);
    ASSERT_EQ(len, 8);
    ASSERT_OK(mpr_queue_get_i64(q, &v, -1));
    ASSERT_EQ(v, 41);
    EXPECT(mpr_queue_get(q, buf, sizeof buf, &len, 0), MPR_ECLOSED);
    EXPECT(mpr_queue_get(q, buf, sizeof buf, &len, -1), MPR_ECLOSED);
    EXPECT(mpr_queue_get_nowait(q, buf, sizeof buf, &len), MPR_ECLOSED);
    int rc = mpr_queue_close(q); /* twice: harmless or ECLOSED, never a crash */
    ASSERT_TRUE(rc == MPR_OK || rc == MPR_ECLOSED);
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    /* Freed: every call is ENOTFOUND, and a second free too. */
    ASSERT_OK(mpr_queue_free(q));
    EXPECT(mpr_queue_put(q, "x", 1, 0), MPR_ENOTFOUND);
    EXPECT(mpr_queue_get(q, buf, sizeof buf, &len, -1), MPR_ENOTFOUND);
    EXPECT(mpr_queue_qsize(q), MPR_ENOTFOUND);
    EXPECT(mpr_queue_close(q), MPR_ENOTFOUND);
    EXPECT(mpr_queue_join(q, -1), MPR_EINVAL); /* not joinable: refused before the lookup */
    EXPECT(mpr_queue_free(q), MPR_ENOTFOUND);

    /* JoinableQueue: more task_done than items; join with timeouts 0 and tiny. */
    ASSERT_OK(mpr_joinable_queue_new(&jq, 0));
    EXPECT(mpr_queue_task_done(jq), MPR_EINVAL);
    ASSERT_OK(mpr_queue_join(jq, 0)); /* nothing outstanding */
    ASSERT_OK(mpr_queue_put_i64(jq, 1, 0));
    ASSERT_OK(mpr_queue_put_i64(jq, 2, 0));
    EXPECT(mpr_queue_join(jq, 0), MPR_ETIMEDOUT);
    EXPECT(mpr_queue_join(jq, 0.01), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_queue_get_i64(jq, &v, 0));
    ASSERT_OK(mpr_queue_task_done(jq));
    ASSERT_EQ(mpr_queue_qsize(jq), 1);
    ASSERT_OK(mpr_queue_get_i64(jq, &v, 0));
    ASSERT_EQ(v, 2);
    ASSERT_OK(mpr_queue_task_done(jq));
    ASSERT_OK(mpr_queue_join(jq, -1));
    EXPECT(mpr_queue_task_done(jq), MPR_EINVAL); /* more task_done than items put */
    ASSERT_OK(mpr_queue_join(jq, 0));
    ASSERT_OK(mpr_queue_free(jq));
    /* An unbounded queue with a huge maxsize is still a queue. */
    rc = mpr_queue_new(&q, SIZE_MAX);
    if (rc == MPR_OK) {
        ASSERT_OK(mpr_queue_put_i64(q, 5, 0));
        ASSERT_EQ(mpr_queue_full(q), 0);
        ASSERT_OK(mpr_queue_free(q));
    } else {
        ASSERT_EQ(rc, MPR_EINVAL);
        ASSERT_TRUE(mpr_last_error()[0]);
    }
    (void)queue_as_conn;
    ASSERT_OK(mpr_conn_close(a));
    ASSERT_OK(mpr_conn_close(b));
    return 0;
}

/* ------------------------------------------------------------------- pipe */

static void conn_bad_handles(mpr_conn c, mpr_queue q)
{
    char buf[16];
    size_t len;
    mpr_conn bad[8];
    bad[7] = c;
    bad[7].home = MPI_PROC_NULL;
    memset(&bad[0], 0, sizeof bad[0]);
    bad[1] = c;
    bad[1].end ^= 0x5a5a0000u; /* forged flags */
    bad[2] = c;
    bad[2].home = -1;
    bad[3] = c;
    bad[3].home = mpr_size();
    bad[4] = c;
    bad[4].home = INT32_MAX;
    bad[5] = queue_as_conn(q);
    bad[6] = c;
    bad[6].id += 1u << 20;
    for (int i = 0; i < 8; i++) {
        int want = i == 6 ? MPR_ENOTFOUND : MPR_EINVAL;
        EXPECT(mpr_conn_send(bad[i], "x", 1), want);
        EXPECT(mpr_conn_send_str(bad[i], "x"), want);
        EXPECT(mpr_conn_recv(bad[i], buf, sizeof buf, &len, 0), want);
        EXPECT(mpr_conn_recv_str(bad[i], buf, sizeof buf, 0), want);
        EXPECT(mpr_conn_poll(bad[i], 0), want);
        EXPECT(mpr_conn_close(bad[i]), want);
    }
}

static int pipe_from_worker(const void *arg, size_t len)
{
    struct {
        mpr_conn c;
        mpr_queue q;
    } a;
    UNPACK_ARG(a, arg, len);
    conn_bad_handles(a.c, a.q);
    char small[2], big[32];
    size_t n = 0;
    EXPECT(mpr_conn_recv(a.c, small, sizeof small, &n, -1), MPR_ETRUNC);
    ASSERT_EQ(n, 6);
    ASSERT_OK(mpr_conn_recv(a.c, big, sizeof big, &n, 0));
    ASSERT_STR_EQ(big, "hello");
    return 0;
}

MPR_TEST(pipe)
{
    mpr_conn a, b, r, s;
    mpr_queue q;
    char buf[32], small[3];
    size_t len = 0;
    EXPECT(mpr_pipe_new(NULL, &b, 1), MPR_EINVAL);
    EXPECT(mpr_pipe_new(&a, NULL, 1), MPR_EINVAL);
    EXPECT(mpr_pipe_new(NULL, NULL, 0), MPR_EINVAL);
    ASSERT_OK(mpr_pipe_new(&a, &b, 1));
    ASSERT_OK(mpr_queue_new(&q, 0));
    conn_bad_handles(a, q);
    /* The queue is untouched by being passed as a conn. */
    ASSERT_OK(mpr_queue_put_str(q, "q", 0));
    ASSERT_EQ(mpr_queue_qsize(q), 1);

    EXPECT(mpr_conn_send(a, NULL, 4), MPR_EINVAL);
    EXPECT(mpr_conn_send(a, "x", MPR_ITEM_MAX + 1), MPR_ETOOBIG);
    EXPECT(mpr_conn_send(a, "x", SIZE_MAX), MPR_ETOOBIG);
    EXPECT(mpr_conn_send_str(a, NULL), MPR_EINVAL);
    EXPECT(mpr_conn_recv(b, buf, sizeof buf, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_conn_recv(b, NULL, 4, &len, 0), MPR_EINVAL);
    EXPECT(mpr_conn_recv_str(b, NULL, 4, 0), MPR_EINVAL);
    /* Nothing there: timeouts 0 and tiny. */
    EXPECT(mpr_conn_recv(b, buf, sizeof buf, &len, 0), MPR_ETIMEDOUT);
    EXPECT(mpr_conn_recv(b, buf, sizeof buf, &len, 0.01), MPR_ETIMEDOUT);
    EXPECT_ANSWER(mpr_conn_poll(b, 0), 0);
    EXPECT_ANSWER(mpr_conn_poll(b, 0.01), 0);
    /* Zero-length messages are messages. */
    ASSERT_OK(mpr_conn_send(a, NULL, 0));
    ASSERT_OK(mpr_conn_send_str(a, "0123456789"));
    ASSERT_EQ(mpr_conn_poll(b, -1), 1);
    len = 99;
    ASSERT_OK(mpr_conn_recv(b, NULL, 0, &len, -1));
    ASSERT_EQ(len, 0);
    /* Too small: ETRUNC with the size; the message stays. */
    EXPECT(mpr_conn_recv(b, small, sizeof small, &len, 0), MPR_ETRUNC);
    ASSERT_EQ(len, 11);
    EXPECT(mpr_conn_recv_str(b, small, sizeof small, -1), MPR_ETRUNC);
    ASSERT_EQ(mpr_conn_poll(b, 0), 1);
    ASSERT_OK(mpr_conn_recv(b, buf, sizeof buf, &len, 0));
    ASSERT_EQ(len, 11);
    ASSERT_STR_EQ(buf, "0123456789");

    /* One-way pipe: r receives only, s sends only. */
    ASSERT_OK(mpr_pipe_new(&r, &s, 0));
    EXPECT(mpr_conn_send_str(r, "x"), MPR_EINVAL);
    EXPECT(mpr_conn_recv(s, buf, sizeof buf, &len, 0), MPR_EINVAL);
    EXPECT(mpr_conn_poll(s, 0), MPR_EINVAL);
    ASSERT_OK(mpr_conn_send_str(s, "one way"));
    ASSERT_OK(mpr_conn_recv_str(r, buf, sizeof buf, -1));
    ASSERT_STR_EQ(buf, "one way");

    /* Rank 0's pipe end used from a worker. */
    if (mpr_size() > 1) {
        ASSERT_OK(mpr_conn_send_str(a, "hello"));
        struct {
            mpr_conn c;
            mpr_queue q;
        } arg = {b, q};
        run_on_worker(pipe_from_worker, &arg, sizeof arg);
        ASSERT_EQ(mpr_conn_poll(b, 0), 0);
    }

    /* Closed ends: this end ECLOSED, the other EPIPE on send, EOF after draining. */
    ASSERT_OK(mpr_conn_send_str(a, "last"));
    ASSERT_OK(mpr_conn_close(a));
    EXPECT(mpr_conn_send_str(a, "x"), MPR_ECLOSED);
    EXPECT(mpr_conn_recv(a, buf, sizeof buf, &len, -1), MPR_ECLOSED);
    EXPECT(mpr_conn_poll(a, -1), MPR_ECLOSED);
    int rc = mpr_conn_close(a); /* twice: harmless, as Python's, or ECLOSED */
    ASSERT_TRUE(rc == MPR_OK || rc == MPR_ECLOSED);
    EXPECT(mpr_conn_send_str(b, "x"), MPR_EPIPE);
    EXPECT(mpr_conn_recv(b, small, 1, &len, -1), MPR_ETRUNC);
    ASSERT_EQ(len, 5);
    ASSERT_OK(mpr_conn_recv_str(b, buf, sizeof buf, -1));
    ASSERT_STR_EQ(buf, "last");
    EXPECT(mpr_conn_recv(b, buf, sizeof buf, &len, 0), MPR_EOF);
    EXPECT(mpr_conn_recv(b, buf, sizeof buf, &len, -1), MPR_EOF);
    ASSERT_EQ(mpr_conn_poll(b, -1), 1); /* EOF is there: recv does not block */
    ASSERT_OK(mpr_conn_close(b));
    EXPECT(mpr_conn_recv(b, buf, sizeof buf, &len, 0), MPR_ECLOSED);
    ASSERT_OK(mpr_conn_close(r));
    EXPECT(mpr_conn_send_str(s, "x"), MPR_EPIPE);
    ASSERT_OK(mpr_conn_close(s));
    /* The queue lost nothing. */
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "q");
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

/* ------------------------------------------------------------------- pool */

static int square(const void *in, void *out)
{
    int64_t x;
    memcpy(&x, in, sizeof x);
    x *= x;
    memcpy(out, &x, sizeof x);
    return 0;
}

static int return_100_bytes(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    char buf[100];
    memset(buf, 'r', sizeof buf);
    return mpr_task_return(buf, sizeof buf);
}

static int task_return_bad(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    if (mpr_task_return(NULL, 5) != MPR_EINVAL)
        return 1;
    if (!mpr_last_error()[0])
        return 2;
    return mpr_task_return("ok", 3);
}

static int spmd_noop(MPI_Comm comm, const void *arg, size_t len)
{
    (void)comm;
    (void)arg;
    (void)len;
    return 0;
}

MPR_TEST(pool)
{
    mpr_pool *p = (mpr_pool *)1;
    EXPECT(mpr_pool_new(NULL, 1), MPR_EINVAL);
    EXPECT(mpr_pool_new(&p, -1), MPR_EINVAL);
    ASSERT_TRUE(p == NULL);
    p = (mpr_pool *)1;
    EXPECT(mpr_pool_new(&p, INT_MIN), MPR_EINVAL);
    ASSERT_TRUE(p == NULL);
    EXPECT(mpr_pool_new(&p, mpr_size()), MPR_ENORANK); /* one more than the workers */
    ASSERT_CONTAINS(mpr_last_error(), "mpirun -n");
    ASSERT_TRUE(p == NULL);
    EXPECT(mpr_pool_new(&p, INT_MAX), MPR_ENORANK);
    ASSERT_EQ(mpr_pool_size(NULL), 0);
    mpr_pool_free(NULL);
    mpr_async_free(NULL);
    mpr_imap_free(NULL);
    int64_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    EXPECT(mpr_pool_map(NULL, square, in, 8, 8, out, 8, 0), MPR_EINVAL);
    EXPECT(mpr_pool_close(NULL), MPR_EINVAL);
    EXPECT(mpr_pool_join(NULL), MPR_EINVAL);
    EXPECT(mpr_pool_terminate(NULL), MPR_EINVAL);
    EXPECT(mpr_async_get(NULL, NULL, 0, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_async_wait(NULL, 0), MPR_EINVAL);
    EXPECT(mpr_async_ready(NULL), MPR_EINVAL);
    EXPECT(mpr_async_successful(NULL), MPR_EINVAL);
    EXPECT(mpr_imap_next(NULL, out, NULL, 0), MPR_EINVAL);
    if (mpr_size() == 1) {
        EXPECT(mpr_pool_new(&p, 0), MPR_ENORANK);
        ASSERT_CONTAINS(mpr_last_error(), "mpirun -n");
        return 0;
    }
    mpr_pool_options opts = {0};
    void *heap = malloc(16);
    memcpy(&opts.initializer, &heap, sizeof opts.initializer);
    EXPECT(mpr_pool_new_opts(&p, 1, &opts), MPR_EFUNC);
    ASSERT_TRUE(p == NULL);
    free(heap);
    opts.initializer = noop;
    opts.initarg_len = 4; /* NULL initarg with a length */
    EXPECT(mpr_pool_new_opts(&p, 1, &opts), MPR_EINVAL);
    opts.initarg_len = 0;
    opts.maxtasksperchild = -1;
    EXPECT(mpr_pool_new_opts(&p, 1, &opts), MPR_EINVAL);
    ASSERT_EQ(mpr_free_workers(), mpr_size() - 1); /* no rank leaked by the failures */

    ASSERT_OK(mpr_pool_new(&p, 0));
    /* map: bad arguments, each for the static and the dynamic path. */
    for (size_t chunk = 0; chunk < 2; chunk++) {
        EXPECT(mpr_pool_map(p, NULL, in, 8, 8, out, 8, chunk), MPR_EINVAL);
        EXPECT(mpr_pool_map(p, square, NULL, 8, 8, out, 8, chunk), MPR_EINVAL);
        EXPECT(mpr_pool_map(p, square, in, 8, 8, NULL, 8, chunk), MPR_EINVAL);
        EXPECT(mpr_pool_map(p, square, in, 8, 0, out, 8, chunk), MPR_EINVAL);
        EXPECT(mpr_pool_map(p, square, in, 8, 8, out, 0, chunk), MPR_EINVAL);
        EXPECT(mpr_pool_map(p, square, in, SIZE_MAX, 8, out, 8, chunk), MPR_ETOOBIG);
        EXPECT(mpr_pool_map(p, square, in, SIZE_MAX / 4, 8, out, 8, chunk), MPR_ETOOBIG);
        EXPECT(mpr_pool_map(p, square, in, 8, SIZE_MAX / 4, out, 8, chunk), MPR_ETOOBIG);
        EXPECT(mpr_pool_starmap(p, NULL, in, 8, 8, out, 8, chunk), MPR_EINVAL);
        ASSERT_OK(mpr_pool_map(p, square, in, 0, 8, out, 8, chunk)); /* nothing to do */
        ASSERT_OK(mpr_pool_map(p, square, in, 8, 8, out, 8, chunk));
        ASSERT_EQ(out[7], 64);
    }
    mpr_async *r = (mpr_async *)1;
    EXPECT(mpr_pool_map_async(p, NULL, in, 8, 8, out, 8, 0, NULL, NULL, NULL, &r), MPR_EINVAL);
    EXPECT(mpr_pool_map_async(p, square, in, 8, 0, out, 8, 0, NULL, NULL, NULL, &r), MPR_EINVAL);
    mpr_imap *it = (mpr_imap *)1;
    EXPECT(mpr_pool_imap(p, square, in, 8, 8, 8, 1, 1, NULL), MPR_EINVAL);
    EXPECT(mpr_pool_imap(p, NULL, in, 8, 8, 8, 1, 1, &it), MPR_EINVAL);
    EXPECT(mpr_pool_imap(p, square, NULL, 8, 8, 8, 1, 1, &it), MPR_EINVAL);
    /* apply: bad arguments, a result too big for the buffer. */
    char res[16];
    size_t len = 0;
    EXPECT(mpr_pool_apply(p, NULL, NULL, 0, res, sizeof res, &len), MPR_EINVAL);
    EXPECT(mpr_pool_apply(p, noop, NULL, 3, res, sizeof res, &len), MPR_EINVAL);
    EXPECT(mpr_pool_apply(p, noop, "x", SIZE_MAX, res, sizeof res, &len), MPR_ETOOBIG);
    EXPECT(mpr_pool_apply_async(p, NULL, NULL, 0, NULL, NULL, NULL, &r), MPR_EINVAL);
    EXPECT(mpr_pool_apply(p, return_100_bytes, NULL, 0, res, sizeof res, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 100);
    len = 0;
    ASSERT_OK(mpr_pool_apply(p, task_return_bad, NULL, 0, res, sizeof res, &len));
    ASSERT_EQ(len, 3);
    ASSERT_STR_EQ(res, "ok");
    /* AsyncResult: ETRUNC, then the same result with a big buffer. */
    ASSERT_OK(mpr_pool_apply_async(p, return_100_bytes, NULL, 0, NULL, NULL, NULL, &r));
    int rc = mpr_async_successful(r);
    ASSERT_TRUE(rc == MPR_ESTATE || rc == 1);
    EXPECT(mpr_async_get(r, res, sizeof res, &len, -1), MPR_ETRUNC);
    ASSERT_EQ(len, 100);
    EXPECT(mpr_async_get(r, NULL, 0, &len, 0), MPR_ETRUNC);
    char big[128];
    ASSERT_OK(mpr_async_get(r, big, sizeof big, &len, 0));
    ASSERT_EQ(len, 100);
    ASSERT_EQ(big[99], 'r');
    ASSERT_EQ(mpr_async_successful(r), 1);
    ASSERT_EQ(mpr_async_ready(r), 1);
    ASSERT_OK(mpr_async_wait(r, 0));
    mpr_async_free(r);
    /* imap past its end; timeouts 0. */
    ASSERT_OK(mpr_pool_imap(p, square, in, 2, 8, 8, 1, 1, &it));
    size_t idx;
    int64_t v;
    EXPECT(mpr_imap_next(it, NULL, &idx, -1), MPR_EINVAL); /* consumes nothing */
    ASSERT_OK(mpr_imap_next(it, &v, &idx, -1));
    ASSERT_OK(mpr_imap_next(it, &v, &idx, -1));
    ASSERT_RC(mpr_imap_next(it, &v, &idx, 0), MPR_EOF);
    ASSERT_RC(mpr_imap_next(it, &v, &idx, -1), MPR_EOF);
    mpr_imap_free(it);
    EXPECT(mpr_pool_spmd(p, NULL, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_pool_spmd(p, spmd_noop, NULL, 2), MPR_EINVAL);
    ASSERT_OK(mpr_pool_spmd(p, spmd_noop, NULL, 0));
    /* Join before close; the pool still works afterwards. */
    EXPECT(mpr_pool_join(p), MPR_ESTATE);
    ASSERT_OK(mpr_pool_map(p, square, in, 8, 8, out, 8, 1));
    /* Closed: every new task is ECLOSED. */
    ASSERT_OK(mpr_pool_close(p));
    EXPECT(mpr_pool_map(p, square, in, 8, 8, out, 8, 0), MPR_ECLOSED);
    EXPECT(mpr_pool_map(p, square, in, 8, 8, out, 8, 2), MPR_ECLOSED);
    EXPECT(mpr_pool_apply(p, noop, NULL, 0, res, sizeof res, &len), MPR_ECLOSED);
    EXPECT(mpr_pool_apply_async(p, noop, NULL, 0, NULL, NULL, NULL, &r), MPR_ECLOSED);
    EXPECT(mpr_pool_map_async(p, square, in, 8, 8, out, 8, 0, NULL, NULL, NULL, &r), MPR_ECLOSED);
    EXPECT(mpr_pool_imap(p, square, in, 8, 8, 8, 1, 1, &it), MPR_ECLOSED);
    EXPECT(mpr_pool_spmd(p, spmd_noop, NULL, 0), MPR_ECLOSED);
    rc = mpr_pool_close(p); /* twice */
    ASSERT_TRUE(rc == MPR_OK || rc == MPR_ECLOSED);
    ASSERT_OK(mpr_pool_join(p));
    rc = mpr_pool_join(p); /* twice */
    ASSERT_TRUE(rc == MPR_OK || rc == MPR_ESTATE);
    EXPECT(mpr_pool_map(p, square, in, 8, 8, out, 8, 0), MPR_ECLOSED);
    ASSERT_EQ(mpr_free_workers(), mpr_size() - 1);
    mpr_pool_free(p);

    /* Terminated: the same; terminate twice is harmless. */
    ASSERT_OK(mpr_pool_new(&p, 1));
    ASSERT_OK(mpr_pool_terminate(p));
    EXPECT(mpr_pool_map(p, square, in, 8, 8, out, 8, 0), MPR_ECLOSED);
    EXPECT(mpr_pool_apply(p, noop, NULL, 0, res, sizeof res, &len), MPR_ECLOSED);
    rc = mpr_pool_terminate(p);
    ASSERT_TRUE(rc == MPR_OK || rc == MPR_ESTATE || rc == MPR_ECLOSED);
    ASSERT_OK(mpr_pool_join(p));
    mpr_pool_free(p);
    ASSERT_EQ(mpr_free_workers(), mpr_size() - 1);
    return 0;
}

/* ---------------------------------------------------------------- manager */

static int manager_from_worker(const void *arg, size_t len)
{
    struct {
        mpr_list l;
        mpr_mlock lk;
    } a;
    UNPACK_ARG(a, arg, len);
    char small[2], big[32];
    size_t n = 0;
    EXPECT(mpr_list_get(a.l, 0, small, sizeof small, &n), MPR_ETRUNC);
    ASSERT_EQ(n, 6);
    EXPECT(mpr_list_get(a.l, 5, big, sizeof big, &n), MPR_ERANGE);
    mpr_list forged = a.l;
    forged.home = mpr_size();
    EXPECT(mpr_list_len(forged), MPR_EINVAL);
    EXPECT(mpr_mlock_acquire(a.lk, 0), MPR_ETIMEDOUT); /* rank 0 holds it */
    EXPECT(mpr_mlock_acquire(a.lk, 0.01), MPR_ETIMEDOUT);
    return 0;
}

MPR_TEST(manager)
{
    mpr_manager *m = (mpr_manager *)1;
    EXPECT(mpr_manager_start(NULL), MPR_EINVAL);
    mpr_list l;
    mpr_dict d;
    mpr_mvalue v, v3;
    mpr_mlock lk, rl;
    mpr_queue q;
    EXPECT(mpr_manager_list(NULL, &l), MPR_EINVAL);
    EXPECT(mpr_manager_dict(NULL, &d), MPR_EINVAL);
    EXPECT(mpr_manager_value_i64(NULL, &v, 1), MPR_EINVAL);
    EXPECT(mpr_manager_lock(NULL, &lk), MPR_EINVAL);
    EXPECT(mpr_manager_queue(NULL, &q, 0), MPR_EINVAL);
    EXPECT(mpr_manager_shutdown(NULL), MPR_EINVAL);
    mpr_manager_free(NULL);
    mpr_items_free(NULL);
    mpr_items zero_items = {0};
    mpr_items_free(&zero_items);
    ASSERT_OK(mpr_manager_start(&m));
    EXPECT(mpr_manager_list(m, NULL), MPR_EINVAL);
    EXPECT(mpr_manager_dict(m, NULL), MPR_EINVAL);
    EXPECT(mpr_manager_value(m, NULL, "x", 1), MPR_EINVAL);
    EXPECT(mpr_manager_value(m, &v, NULL, 4), MPR_EINVAL);
    EXPECT(mpr_manager_value(m, &v, "x", MPR_ITEM_MAX + 1), MPR_ETOOBIG);
    EXPECT(mpr_manager_lock(m, NULL), MPR_EINVAL);
    EXPECT(mpr_manager_queue(m, NULL, 0), MPR_EINVAL);
    ASSERT_OK(mpr_manager_list(m, &l));
    ASSERT_OK(mpr_manager_dict(m, &d));
    ASSERT_OK(mpr_manager_value_i64(m, &v, 5));
    ASSERT_OK(mpr_manager_value(m, &v3, "abc", 3));
    ASSERT_OK(mpr_manager_lock(m, &lk));
    ASSERT_OK(mpr_manager_rlock(m, &rl));
    ASSERT_OK(mpr_manager_queue(m, &q, 1));

    /* Handles of the wrong type, zeroed, forged. */
    mpr_list zero = {0}, as_list;
    memcpy(&as_list, &d, sizeof as_list);
    EXPECT(mpr_list_len(zero), MPR_EINVAL);
    EXPECT(mpr_list_len(as_list), MPR_EINVAL);
    memcpy(&as_list, &q, sizeof as_list);
    EXPECT(mpr_list_append_i64(as_list, 1), MPR_EINVAL); /* a queue is not a list */
    mpr_dict as_dict;
    memcpy(&as_dict, &l, sizeof as_dict);
    EXPECT(mpr_dict_len(as_dict), MPR_EINVAL);
    mpr_mvalue as_value;
    memcpy(&as_value, &lk, sizeof as_value);
    EXPECT(mpr_mvalue_set_i64(as_value, 1), MPR_EINVAL);
    mpr_mlock as_lock;
    memcpy(&as_lock, &v, sizeof as_lock);
    EXPECT(mpr_mlock_acquire(as_lock, 0), MPR_EINVAL);
    mpr_list forged = l;
    forged.kind ^= 0x5a5au;
    EXPECT(mpr_list_len(forged), MPR_EINVAL);
    forged = l;
    forged.home = -1;
    EXPECT(mpr_list_len(forged), MPR_EINVAL);
    forged.home = INT32_MAX;
    EXPECT(mpr_list_append_i64(forged, 1), MPR_EINVAL);
    forged.home = MPI_PROC_NULL;
    EXPECT(mpr_list_append_i64(forged, 1), MPR_EINVAL);
    forged = l;
    forged.id += 1000;
    EXPECT(mpr_list_len(forged), MPR_ENOTFOUND);
    forged = l;
    forged.id += (uint64_t)1000 << 32; /* another manager */
    EXPECT(mpr_list_len(forged), MPR_ENOTFOUND);
    mpr_queue as_queue;
    memcpy(&as_queue, &l, sizeof as_queue);
    EXPECT(mpr_queue_put_i64(as_queue, 1, 0), MPR_EINVAL); /* a list is not a queue */

    /* list: bad arguments, ranges, truncation; nothing changes. */
    ASSERT_OK(mpr_list_append_str(l, "hello"));
    EXPECT(mpr_list_append(l, NULL, 3), MPR_EINVAL);
    EXPECT(mpr_list_append(l, "x", MPR_ITEM_MAX + 1), MPR_ETOOBIG);
    EXPECT(mpr_list_append_str(l, NULL), MPR_EINVAL);
    EXPECT(mpr_list_extend(l, NULL, 8, 2), MPR_EINVAL);
    int64_t items[2] = {1, 2};
    EXPECT(mpr_list_extend(l, items, 8, SIZE_MAX / 4), MPR_EINVAL); /* > MPR_ITEM_MAX in all */
    EXPECT(mpr_list_extend(l, items, 0, 2), MPR_EINVAL);
    EXPECT(mpr_list_insert(l, 0, NULL, 2), MPR_EINVAL);
    char buf[32], small[3];
    size_t len = 0;
    int64_t x;
    int64_t bad_index[] = {1, -2, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < 4; i++) {
        EXPECT(mpr_list_get(l, bad_index[i], buf, sizeof buf, &len), MPR_ERANGE);
        EXPECT(mpr_list_set(l, bad_index[i], "x", 1), MPR_ERANGE);
        EXPECT(mpr_list_pop(l, bad_index[i], buf, sizeof buf, &len), MPR_ERANGE);
    }
    EXPECT(mpr_list_get(l, 0, buf, sizeof buf, NULL), MPR_EINVAL);
    EXPECT(mpr_list_get(l, 0, NULL, 4, &len), MPR_EINVAL);
    EXPECT(mpr_list_get_i64(l, 0, NULL), MPR_EINVAL);
    EXPECT(mpr_list_get(l, 0, small, sizeof small, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    EXPECT(mpr_list_get_str(l, -1, small, sizeof small), MPR_ETRUNC);
    EXPECT(mpr_list_pop(l, 0, small, sizeof small, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    EXPECT(mpr_list_get_i64(l, 0, &x), MPR_EINVAL); /* 6 bytes are not an int64 */
    ASSERT_EQ(mpr_list_len(l), 1);
    ASSERT_OK(mpr_list_get_str(l, 0, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "hello");
    /* A damaged snapshot is EINVAL, never a read past its end. */
    mpr_items snap;
    ASSERT_OK(mpr_list_snapshot(l, &snap));
    EXPECT(mpr_list_snapshot(l, NULL), MPR_EINVAL);
    const void *item;
    size_t ilen;
    snap.len -= 1;
    EXPECT(mpr_items_next(&snap, &item, &ilen), MPR_EINVAL);
    snap.len += 1;
    snap.pos = snap.len + 100;
    int rc = mpr_items_next(&snap, &item, &ilen);
    ASSERT_TRUE(rc == 0 || rc == MPR_EINVAL);
    EXPECT(mpr_items_next(NULL, &item, &ilen), MPR_EINVAL);
    mpr_items_free(&snap);
    mpr_items_free(&snap); /* twice: the data pointer was cleared */

    /* dict */
    EXPECT(mpr_dict_set(d, NULL, 3, "v", 1), MPR_EINVAL);
    EXPECT(mpr_dict_set(d, "k", 1, NULL, 3), MPR_EINVAL);
    EXPECT(mpr_dict_set(d, "k", MPR_ITEM_MAX + 1, "v", 1), MPR_ETOOBIG);
    EXPECT(mpr_dict_set_str(d, NULL, "v"), MPR_EINVAL);
    EXPECT(mpr_dict_set_str(d, "k", NULL), MPR_EINVAL);
    EXPECT(mpr_dict_get_str(d, "missing", buf, sizeof buf), MPR_ENOTFOUND);
    EXPECT(mpr_dict_delete(d, "missing", 7), MPR_ENOTFOUND);
    ASSERT_EQ(mpr_dict_contains(d, "missing", 7), 0);
    ASSERT_OK(mpr_dict_set_str(d, "k", "value"));
    EXPECT(mpr_dict_get_str(d, "k", small, sizeof small), MPR_ETRUNC);
    EXPECT(mpr_dict_get(d, "k", 2, small, sizeof small, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    EXPECT(mpr_dict_get(d, "k", 2, buf, sizeof buf, NULL), MPR_EINVAL);
    EXPECT(mpr_dict_get_i64(d, "k", &x), MPR_EINVAL);
    EXPECT(mpr_dict_setdefault(d, "k", 2, "d", 2, small, sizeof small, &len), MPR_ETRUNC);
    EXPECT(mpr_dict_setdefault(d, "n", 2, "long default", 13, small, sizeof small, &len),
           MPR_ETRUNC);
    ASSERT_EQ(mpr_dict_contains(d, "n", 2), 0); /* ETRUNC inserted nothing */
    ASSERT_EQ(mpr_dict_len(d), 1);
    EXPECT(mpr_dict_keys(d, NULL), MPR_EINVAL);
    ASSERT_OK(mpr_dict_get_str(d, "k", buf, sizeof buf));
    ASSERT_STR_EQ(buf, "value");

    /* values and locks */
    EXPECT(mpr_mvalue_fetch_add_i64(v3, 1, NULL), MPR_EINVAL); /* 3 bytes */
    EXPECT(mpr_mvalue_get_i64(v3, &x), MPR_EINVAL);
    EXPECT(mpr_mvalue_get(v3, small, 2, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 3);
    EXPECT(mpr_mvalue_get(v3, buf, sizeof buf, NULL), MPR_EINVAL);
    EXPECT(mpr_mvalue_set(v3, NULL, 2), MPR_EINVAL);
    EXPECT(mpr_mvalue_get_i64(v, NULL), MPR_EINVAL);
    ASSERT_OK(mpr_mvalue_get(v3, buf, sizeof buf, &len));
    ASSERT_EQ(len, 3);
    EXPECT(mpr_mlock_release(lk), MPR_ESTATE); /* not held */
    EXPECT(mpr_mlock_release(rl), MPR_ESTATE);
    ASSERT_OK(mpr_mlock_acquire(lk, 0));
    EXPECT(mpr_mlock_acquire(lk, 0), MPR_ETIMEDOUT); /* not reentrant */
    EXPECT(mpr_mlock_acquire(lk, 0.01), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_mlock_acquire(rl, 0));
    ASSERT_OK(mpr_mlock_acquire(rl, -1)); /* reentrant */
    ASSERT_OK(mpr_mlock_release(rl));
    ASSERT_OK(mpr_mlock_release(rl));
    EXPECT(mpr_mlock_release(rl), MPR_ESTATE);
    if (mpr_size() > 1) {
        struct {
            mpr_list l;
            mpr_mlock lk;
        } arg = {l, lk};
        run_on_worker(manager_from_worker, &arg, sizeof arg);
        ASSERT_EQ(mpr_list_len(l), 1);
    }
    ASSERT_OK(mpr_mlock_release(lk));

    /* The manager's queue: ETRUNC keeps the item. */
    ASSERT_OK(mpr_queue_put_str(q, "queued", 0));
    EXPECT(mpr_queue_put_str(q, "x", 0), MPR_EFULL);
    EXPECT(mpr_queue_get(q, small, sizeof small, &len, 0), MPR_ETRUNC);
    ASSERT_EQ(len, 7);
    ASSERT_EQ(mpr_queue_qsize(q), 1);

    /* Shut down: every handle and the manager are ECLOSED. */
    ASSERT_OK(mpr_manager_shutdown(m));
    EXPECT(mpr_manager_shutdown(m), MPR_ECLOSED);
    mpr_list l2;
    mpr_dict d2;
    mpr_mvalue v2;
    mpr_mlock lk2;
    mpr_queue q2;
    EXPECT(mpr_manager_list(m, &l2), MPR_ECLOSED);
    EXPECT(mpr_manager_dict(m, &d2), MPR_ECLOSED);
    EXPECT(mpr_manager_value_i64(m, &v2, 0), MPR_ECLOSED);
    EXPECT(mpr_manager_lock(m, &lk2), MPR_ECLOSED);
    EXPECT(mpr_manager_queue(m, &q2, 0), MPR_ECLOSED);
    EXPECT(mpr_list_len(l), MPR_ECLOSED);
    EXPECT(mpr_list_append_i64(l, 1), MPR_ECLOSED);
    EXPECT(mpr_list_get(l, 0, buf, sizeof buf, &len), MPR_ECLOSED);
    EXPECT(mpr_dict_len(d), MPR_ECLOSED);
    EXPECT(mpr_dict_get_str(d, "k", buf, sizeof buf), MPR_ECLOSED);
    EXPECT(mpr_mvalue_get_i64(v, &x), MPR_ECLOSED);
    EXPECT(mpr_mvalue_fetch_add_i64(v, 1, &x), MPR_ECLOSED);
    EXPECT(mpr_mlock_acquire(lk, -1), MPR_ECLOSED);
    EXPECT(mpr_mlock_release(rl), MPR_ECLOSED);
    EXPECT(mpr_queue_put_str(q, "x", -1), MPR_ECLOSED);
    EXPECT(mpr_queue_get(q, buf, sizeof buf, &len, -1), MPR_ECLOSED);
    EXPECT(mpr_queue_qsize(q), MPR_ECLOSED);
    mpr_manager_free(m);
    /* A second manager works after all of that. */
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_list(m, &l));
    ASSERT_OK(mpr_list_append_i64(l, 9));
    ASSERT_EQ(mpr_list_len(l), 1);
    mpr_manager_free(m);
    return 0;
}

/* ---------------------------------------------- value/array/lock/sync */

typedef struct {
    mpr_value v;
    mpr_array a;
    mpr_lock lock, rlock;
    mpr_semaphore bs;
    mpr_event e;
    mpr_condition c;
    mpr_barrier b;
} shared_objs;

static int never(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Handles forged from good ones: offsets past the heap, homes past the job. */
static void shared_bad_handles(const shared_objs *o)
{
    int64_t x = 0;
    double d = 0;
    mpr_value v = o->v;
    v.offset = UINT64_MAX - 7;
    EXPECT(mpr_value_load(v, &d), MPR_EINVAL);
    EXPECT(mpr_value_store(v, &d), MPR_EINVAL);
    v = o->v;
    v.home = mpr_size();
    EXPECT(mpr_value_load(v, &d), MPR_EINVAL);
    v.home = -1;
    EXPECT(mpr_value_fetch_add(v, &d, NULL), MPR_EINVAL);
    v = o->v;
    v.type = 'z';
    EXPECT(mpr_value_load(v, &d), MPR_EINVAL);
    mpr_value zero_v = {0};
    EXPECT(mpr_value_load(zero_v, &d), MPR_EINVAL);
    /* An Array handle read as a Value (and a lock as a Value). */
    memcpy(&v, &o->a, sizeof v);
    int rc = mpr_value_load(v, &x); /* the first element, or EINVAL: never a crash */
    ASSERT_TRUE(rc == MPR_OK || rc == MPR_EINVAL);
    memcpy(&v, &o->lock, sizeof(mpr_lock));
    v.lock = 0;
    rc = mpr_value_store(v, &x);
    ASSERT_TRUE(rc == MPR_EINVAL);
    mpr_array a = o->a;
    a.offset = UINT64_MAX - 64;
    EXPECT(mpr_array_read(a, 0, 1, &x), MPR_EINVAL);
    a = o->a;
    a.length = UINT64_MAX;
    EXPECT(mpr_array_read(a, 0, 1, &x), MPR_EINVAL);
    a = o->a;
    a.home = INT32_MAX;
    EXPECT(mpr_array_write(a, 0, 1, &x), MPR_EINVAL);
    mpr_array zero_a = {0};
    EXPECT(mpr_array_read(zero_a, 0, 1, &x), MPR_EINVAL);
    ASSERT_TRUE(mpr_array_ptr(zero_a) == NULL);
    /* Locks: zeroed, forged kind/offset/home, and other kinds in their place. */
    mpr_lock l = o->lock;
    l.kind ^= 0x5a5au;
    EXPECT(mpr_lock_acquire(l, 0), MPR_EINVAL);
    l = o->lock;
    l.offset = UINT64_MAX - 7;
    EXPECT(mpr_lock_acquire(l, -1), MPR_EINVAL);
    EXPECT(mpr_lock_release(l), MPR_EINVAL);
    l = o->lock;
    l.home = mpr_size();
    EXPECT(mpr_lock_is_mine(l), MPR_EINVAL);
    mpr_lock zero_l = {0};
    EXPECT(mpr_lock_acquire(zero_l, 0), MPR_EINVAL);
    EXPECT(mpr_lock_release(zero_l), MPR_EINVAL);
    EXPECT(mpr_lock_acquire(RECAST(mpr_lock, o->e), 0), MPR_EINVAL); /* an Event is not a lock */
    EXPECT(mpr_semaphore_acquire(RECAST(mpr_semaphore, o->lock), 0),
           MPR_EINVAL); /* nor a lock a Semaphore */
    EXPECT(mpr_event_set(RECAST(mpr_event, o->b)), MPR_EINVAL);
    EXPECT(mpr_event_wait(RECAST(mpr_event, o->lock), 0), MPR_EINVAL);
    EXPECT(mpr_barrier_wait(RECAST(mpr_barrier, o->e), 0), MPR_EINVAL);
    ASSERT_EQ(mpr_semaphore_value(RECAST(mpr_semaphore, o->e)), MPR_EINVAL);
    EXPECT(mpr_barrier_parties(RECAST(mpr_barrier, o->lock)), MPR_EINVAL);
    mpr_condition c = o->c;
    c.kind ^= 0x5a5au;
    EXPECT(mpr_condition_notify(c, 1), MPR_EINVAL);
    c = o->c;
    c.lock = RECAST(mpr_lock, o->e);
    EXPECT(mpr_condition_wait(c, 0), MPR_EINVAL);
}

/* On a worker (another "node" with MPR_NODE_SPLIT=rank): the same answers. */
static int shared_from_worker(const void *arg, size_t len)
{
    shared_objs o;
    ASSERT_EQ(len, sizeof o);
    memcpy(&o, arg, sizeof o);
    shared_bad_handles(&o);
    double d = 0;
    EXPECT(mpr_array_read(o.a, 2, 2, &d), MPR_EINVAL);
    EXPECT(mpr_array_read(o.a, SIZE_MAX, 2, &d), MPR_EINVAL);
    EXPECT(mpr_lock_acquire(o.lock, 0), MPR_ETIMEDOUT); /* rank 0 holds it */
    EXPECT(mpr_lock_release(o.rlock), MPR_ESTATE);      /* rank 0's RLock */
    ASSERT_EQ(mpr_lock_is_mine(o.rlock), 0);
    EXPECT(mpr_semaphore_release(o.bs), MPR_ESTATE);
    ASSERT_OK(mpr_value_load(o.v, &d));
    ASSERT_TRUE(d == 2.5);
    return 0;
}

MPR_TEST(shared)
{
    shared_objs o;
    double d = 2.5;
    int64_t x = 0;
    EXPECT(mpr_value_new(NULL, 'd', &d, 1), MPR_EINVAL);
    EXPECT(mpr_value_new(&o.v, 'x', &d, 1), MPR_EINVAL);
    EXPECT(mpr_value_new(&o.v, '\0', NULL, 0), MPR_EINVAL);
    ASSERT_OK(mpr_value_new(&o.v, 'd', &d, 1));
    EXPECT(mpr_value_load(o.v, NULL), MPR_EINVAL);
    EXPECT(mpr_value_store(o.v, NULL), MPR_EINVAL);
    EXPECT(mpr_value_fetch_add(o.v, NULL, NULL), MPR_EINVAL);
    EXPECT(mpr_value_compare_and_swap(o.v, NULL, &d, NULL), MPR_EINVAL);
    EXPECT(mpr_value_get_lock(o.v, NULL), MPR_EINVAL);
    EXPECT(mpr_array_new(NULL, 'q', 4, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_array_new(&o.a, 'q', 0, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_array_new(&o.a, 'q', (size_t)INT32_MAX + 1, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_array_new(&o.a, 'q', SIZE_MAX, NULL, 0), MPR_EINVAL);
    EXPECT(mpr_array_new(&o.a, '?', 4, NULL, 0), MPR_EINVAL);
    double init[3] = {1, 2, 3};
    ASSERT_OK(mpr_array_new(&o.a, 'd', 3, init, 1));
    double two[2];
    EXPECT(mpr_array_read(o.a, 2, 2, two), MPR_EINVAL);
    EXPECT(mpr_array_read(o.a, 3, 0, two), MPR_EINVAL);
    EXPECT(mpr_array_read(o.a, SIZE_MAX, 2, two), MPR_EINVAL); /* start + n wraps */
    EXPECT(mpr_array_read(o.a, 1, SIZE_MAX, two), MPR_EINVAL);
    EXPECT(mpr_array_write(o.a, 0, 1, NULL), MPR_EINVAL);
    EXPECT(mpr_array_read(o.a, 0, 1, NULL), MPR_EINVAL);
    EXPECT(mpr_array_fetch_add(o.a, 3, &d, NULL), MPR_EINVAL);
    EXPECT(mpr_array_fetch_add(o.a, SIZE_MAX, &d, NULL), MPR_EINVAL);
    EXPECT(mpr_array_compare_and_swap(o.a, 3, &d, &d, NULL), MPR_EINVAL);
    EXPECT(mpr_array_get_lock(o.a, NULL), MPR_EINVAL);
    ASSERT_OK(mpr_array_read(o.a, 0, 3, init)); /* unharmed */
    ASSERT_TRUE(init[2] == 3);
    EXPECT(mpr_lock_new(NULL), MPR_EINVAL);
    EXPECT(mpr_rlock_new(NULL), MPR_EINVAL);
    ASSERT_OK(mpr_lock_new(&o.lock));
    ASSERT_OK(mpr_rlock_new(&o.rlock));
    EXPECT(mpr_semaphore_new(NULL, 1), MPR_EINVAL);
    EXPECT(mpr_semaphore_new(&o.bs, -1), MPR_EINVAL);
    EXPECT(mpr_bounded_semaphore_new(&o.bs, INT64_MIN), MPR_EINVAL);
    ASSERT_OK(mpr_bounded_semaphore_new(&o.bs, 1));
    EXPECT(mpr_event_new(NULL), MPR_EINVAL);
    ASSERT_OK(mpr_event_new(&o.e));
    EXPECT(mpr_condition_new(NULL, NULL), MPR_EINVAL);
    mpr_lock e_bytes = RECAST(mpr_lock, o.e);
    EXPECT(mpr_condition_new(&o.c, &e_bytes), MPR_EINVAL); /* an Event is not a lock */
    ASSERT_OK(mpr_condition_new(&o.c, &o.lock));
    EXPECT(mpr_barrier_new(NULL, 2), MPR_EINVAL);
    EXPECT(mpr_barrier_new(&o.b, 0), MPR_EINVAL);
    EXPECT(mpr_barrier_new(&o.b, -5), MPR_EINVAL);
    EXPECT(mpr_barrier_new(&o.b, INT_MIN), MPR_EINVAL);
    ASSERT_OK(mpr_barrier_new(&o.b, 2));
    shared_bad_handles(&o);

    /* State errors and timeouts 0 on good objects. */
    EXPECT(mpr_lock_release(o.lock), MPR_ESTATE);
    EXPECT(mpr_lock_release(o.rlock), MPR_ESTATE);
    ASSERT_OK(mpr_lock_acquire(o.lock, 0));
    EXPECT(mpr_lock_acquire(o.lock, 0), MPR_ETIMEDOUT);
    EXPECT(mpr_lock_acquire(o.lock, 0.01), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_lock_acquire(o.rlock, 0));
    ASSERT_OK(mpr_semaphore_acquire(o.bs, 0));
    EXPECT(mpr_semaphore_acquire(o.bs, 0), MPR_ETIMEDOUT);
    EXPECT(mpr_semaphore_acquire(o.bs, 0.01), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_semaphore_release(o.bs));
    EXPECT(mpr_semaphore_release(o.bs), MPR_ESTATE);
    ASSERT_EQ(mpr_semaphore_value(o.bs), 1);
    EXPECT_ANSWER(mpr_event_wait(o.e, 0), 0);
    EXPECT_ANSWER(mpr_event_wait(o.e, 0.01), 0);
    mpr_condition c2;
    ASSERT_OK(mpr_condition_new(&c2, NULL));
    EXPECT(mpr_condition_wait(c2, 0), MPR_ESTATE); /* lock not held */
    EXPECT(mpr_condition_notify(c2, 1), MPR_ESTATE);
    EXPECT(mpr_condition_notify_all(c2), MPR_ESTATE);
    EXPECT(mpr_condition_wait_for(c2, NULL, NULL, 0), MPR_EINVAL);
    ASSERT_OK(mpr_lock_acquire(mpr_condition_lock(c2), 0));
    EXPECT(mpr_condition_notify(c2, -1), MPR_EINVAL);
    ASSERT_EQ(mpr_condition_notify(c2, 0), 0);
    EXPECT_ANSWER(mpr_condition_wait(c2, 0), 0);
    EXPECT_ANSWER(mpr_condition_wait_for(c2, never, NULL, 0.01), 0);
    ASSERT_EQ(mpr_lock_is_mine(mpr_condition_lock(c2)), 1); /* reacquired */
    ASSERT_OK(mpr_lock_release(mpr_condition_lock(c2)));
    /* One party of two with timeout 0: the barrier breaks. */
    EXPECT(mpr_barrier_wait(o.b, 0), MPR_EBROKEN);
    ASSERT_EQ(mpr_barrier_broken(o.b), 1);
    EXPECT(mpr_barrier_wait(o.b, -1), MPR_EBROKEN);
    ASSERT_OK(mpr_barrier_reset(o.b));
    ASSERT_EQ(mpr_barrier_broken(o.b), 0);

    if (mpr_size() > 1) {
        ASSERT_OK(mpr_semaphore_acquire(o.bs, 0));
        ASSERT_OK(mpr_semaphore_release(o.bs)); /* back at its bound */
        run_on_worker(shared_from_worker, &o, sizeof o);
    }
    ASSERT_OK(mpr_lock_release(o.lock));
    ASSERT_OK(mpr_lock_release(o.rlock));
    ASSERT_EQ(mpr_lock_is_mine(o.rlock), 0);
    ASSERT_OK(mpr_value_fetch_add(o.v, &d, &d));
    ASSERT_OK(mpr_value_load(o.v, &d));
    ASSERT_TRUE(d == 5.0);
    (void)x;
    return 0;
}

/* ---------------------------------------------------------------- rng, cache */

static int cached_task(const void *arg, size_t len)
{
    (void)arg;
    return (int)len;
}

MPR_TEST(rng_cache)
{
    /* rng: zero-length fills, extreme seeds and streams are defined. */
    mpr_rng r, r2;
    mpr_rng_init(&r, UINT64_MAX, UINT64_MAX);
    mpr_rng_fill_uniform(&r, NULL, 0);
    double u = mpr_rng_uniform(&r);
    ASSERT_TRUE(u >= 0 && u < 1);
    mpr_rng_init(&r2, UINT64_MAX, UINT64_MAX);
    ASSERT_TRUE(mpr_rng_uniform(&r2) == u); /* the empty fill consumed nothing */
    /* The counter wraps without trouble. */
    r.counter = UINT64_MAX;
    r.used = 4;
    for (int i = 0; i < 16; i++) {
        u = mpr_rng_uniform(&r);
        ASSERT_TRUE(u >= 0 && u < 1 && !isnan(u));
    }

    /* cache */
    char path[256];
    snprintf(path, sizeof path, "/tmp/mpr-badinput-%ld.h5", (long)getpid());
    unlink(path);
    mpr_cache *c = (mpr_cache *)1;
    EXPECT(mpr_cache_open(NULL, path, "v1"), MPR_EINVAL);
    EXPECT(mpr_cache_open(&c, NULL, "v1"), MPR_EINVAL);
    ASSERT_TRUE(c == NULL);
    EXPECT(mpr_cache_open(&c, "", "v1"), MPR_EINVAL);
    int rc = mpr_cache_open(&c, "/nonexistent-dir/x.h5", "v1");
    ASSERT_TRUE(rc < 0);
    ASSERT_TRUE(mpr_last_error()[0]);
    ASSERT_TRUE(c == NULL);
    mpr_cache_close(NULL);
    uint64_t hits = 9, misses = 9, damaged = 9;
    mpr_cache_stats(NULL, &hits, &misses, &damaged);
    ASSERT_OK(mpr_cache_open(&c, path, "v1"));
    int64_t arg = 1, value = 77, out = 0;
    size_t len = 0;
    EXPECT(mpr_cache_get(NULL, (mpr_fn)cached_task, &arg, 8, &out, 8, &len), MPR_EINVAL);
    EXPECT(mpr_cache_get(c, NULL, &arg, 8, &out, 8, &len), MPR_EINVAL);
    EXPECT(mpr_cache_get(c, (mpr_fn)cached_task, NULL, 8, &out, 8, &len), MPR_EINVAL);
    EXPECT(mpr_cache_get(c, (mpr_fn)cached_task, &arg, 8, &out, 8, NULL), MPR_EINVAL);
    EXPECT(mpr_cache_put(NULL, (mpr_fn)cached_task, &arg, 8, &value, 8), MPR_EINVAL);
    EXPECT(mpr_cache_put(c, NULL, &arg, 8, &value, 8), MPR_EINVAL);
    EXPECT(mpr_cache_put(c, (mpr_fn)cached_task, &arg, 8, NULL, 8), MPR_EINVAL);
    void *heap = malloc(8);
    mpr_fn not_code;
    memcpy(&not_code, &heap, sizeof not_code);
    EXPECT(mpr_cache_put(c, not_code, &arg, 8, &value, 8), MPR_EFUNC);
    EXPECT(mpr_cache_get(c, not_code, &arg, 8, &out, 8, &len), MPR_EFUNC);
    free(heap);
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)cached_task, &arg, 8, &out, 8, &len), MPR_ENOTFOUND);
    ASSERT_OK(mpr_cache_put(c, (mpr_fn)cached_task, &arg, 8, &value, 8));
    char small[3];
    EXPECT(mpr_cache_get(c, (mpr_fn)cached_task, &arg, 8, small, sizeof small, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 8);
    EXPECT(mpr_cache_get(c, (mpr_fn)cached_task, &arg, 8, NULL, 0, &len), MPR_ETRUNC);
    ASSERT_OK(mpr_cache_get(c, (mpr_fn)cached_task, &arg, 8, &out, 8, &len));
    ASSERT_EQ(out, 77);
    /* Empty argument and empty value are keys and values too. */
    ASSERT_OK(mpr_cache_put(c, (mpr_fn)cached_task, NULL, 0, NULL, 0));
    len = 99;
    ASSERT_OK(mpr_cache_get(c, (mpr_fn)cached_task, NULL, 0, NULL, 0, &len));
    ASSERT_EQ(len, 0);
    mpr_cache_close(c);
    unlink(path);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(runtime), MPR_TEST_ENTRY(process), MPR_TEST_ENTRY(queue),
              MPR_TEST_ENTRY(pipe), MPR_TEST_ENTRY(pool), MPR_TEST_ENTRY(manager),
              MPR_TEST_ENTRY(shared), MPR_TEST_ENTRY(rng_cache))
