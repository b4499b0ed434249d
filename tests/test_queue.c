/* test_queue.c — Queue and JoinableQueue: order, bounds, timeouts, errors,
 * and many producers and consumers on any ranks. */
#include "mpr_test.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

MPR_TEST(fifo)
{
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_EQ(mpr_queue_empty(q), 1);
    ASSERT_EQ(mpr_queue_full(q), 0);
    for (int64_t i = 0; i < 100; i++)
        ASSERT_OK(mpr_queue_put_i64(q, i * i, 0));
    ASSERT_EQ(mpr_queue_qsize(q), 100);
    ASSERT_EQ(mpr_queue_empty(q), 0);
    for (int64_t i = 0; i < 100; i++) {
        int64_t v = -1;
        ASSERT_OK(mpr_queue_get_i64(q, &v, 0));
        ASSERT_EQ(v, i * i);
    }
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    /* Empty items are items too. */
    size_t len = 99;
    ASSERT_OK(mpr_queue_put(q, NULL, 0, 0));
    ASSERT_OK(mpr_queue_get(q, NULL, 0, &len, 0));
    ASSERT_EQ(len, 0);
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

MPR_TEST(bounded)
{
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 2));
    ASSERT_OK(mpr_queue_put_str(q, "a", 0));
    ASSERT_OK(mpr_queue_put_nowait(q, "b", 2));
    ASSERT_EQ(mpr_queue_full(q), 1);
    ASSERT_RC(mpr_queue_put_nowait(q, "c", 2), MPR_EFULL);
    double t0 = mpr_test_now();
    ASSERT_RC(mpr_queue_put_str(q, "c", 0.1), MPR_EFULL);
    ASSERT_TRUE(mpr_test_now() - t0 >= 0.09);
    ASSERT_CONTAINS(mpr_last_error(), "full");
    ASSERT_EQ(mpr_queue_qsize(q), 2); /* the refused item was not added */
    char buf[8];
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "a");
    ASSERT_OK(mpr_queue_put_str(q, "c", 0));
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "b");
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "c");
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

MPR_TEST(timeouts)
{
    mpr_queue q;
    size_t len = 0;
    char buf[8];
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_RC(mpr_queue_get_nowait(q, buf, sizeof buf, &len), MPR_EEMPTY);
    double t0 = mpr_test_now();
    ASSERT_RC(mpr_queue_get(q, buf, sizeof buf, &len, 0.2), MPR_EEMPTY);
    double waited = mpr_test_now() - t0;
    ASSERT_TRUE(waited >= 0.19);
    ASSERT_TRUE(waited < 5);
    ASSERT_CONTAINS(mpr_last_error(), "empty");
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

MPR_TEST(truncated)
{
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_OK(mpr_queue_put_str(q, "a longer item", 0));
    ASSERT_OK(mpr_queue_put_str(q, "next", 0));
    char small[4];
    size_t len = 0;
    ASSERT_RC(mpr_queue_get(q, small, sizeof small, &len, 0), MPR_ETRUNC);
    ASSERT_EQ(len, strlen("a longer item") + 1);
    ASSERT_CONTAINS(mpr_last_error(), "14 bytes");
    ASSERT_CONTAINS(mpr_last_error(), "stays queued");
    ASSERT_EQ(mpr_queue_qsize(q), 2);
    char big[32];
    ASSERT_OK(mpr_queue_get_str(q, big, sizeof big, 0));
    ASSERT_STR_EQ(big, "a longer item");
    ASSERT_OK(mpr_queue_get_str(q, big, sizeof big, 0));
    ASSERT_STR_EQ(big, "next");
    /* An item that is not an int64 is refused by get_i64. */
    int64_t v;
    ASSERT_OK(mpr_queue_put_str(q, "x", 0));
    ASSERT_RC(mpr_queue_get_i64(q, &v, 0), MPR_EINVAL);
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

MPR_TEST(bad_handles)
{
    mpr_queue zero = {0}, q;
    char buf[4];
    size_t len;
    ASSERT_RC(mpr_queue_put(zero, "x", 1, 0), MPR_EINVAL);
    ASSERT_RC(mpr_queue_new(NULL, 0), MPR_EINVAL);
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_RC(mpr_queue_put(q, NULL, 3, 0), MPR_EINVAL);
    ASSERT_RC(mpr_queue_get(q, buf, sizeof buf, NULL, 0), MPR_EINVAL);
    ASSERT_RC(mpr_queue_put(q, "x", MPR_ITEM_MAX + 1, 0), MPR_ETOOBIG);
    ASSERT_RC(mpr_queue_task_done(q), MPR_EINVAL); /* not joinable */
    ASSERT_OK(mpr_queue_free(q));
    ASSERT_RC(mpr_queue_put(q, "x", 1, 0), MPR_ENOTFOUND);
    ASSERT_RC(mpr_queue_get(q, buf, sizeof buf, &len, 0), MPR_ENOTFOUND);
    mpr_queue forged = q;
    forged.home = 1000;
    ASSERT_RC(mpr_queue_qsize(forged), MPR_EINVAL);
    return 0;
}

typedef struct {
    mpr_queue q;
    int id;
    int n;
} job;

static int get_until_closed(const void *arg, size_t len)
{
    (void)len;
    job j;
    memcpy(&j, arg, sizeof j);
    int got = 0;
    int64_t v;
    int rc;
    while ((rc = mpr_queue_get_i64(j.q, &v, -1)) == MPR_OK)
        got++;
    return rc == MPR_ECLOSED ? got : 100 + got;
}

/* close: puts are refused, what is queued drains, blocked getters wake. */
MPR_TEST(close)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    job j = {q, 0, 0};
    mpr_process *p = mpr_test_start(get_until_closed, &j, sizeof j);
    for (int i = 0; i < 5; i++)
        ASSERT_OK(mpr_queue_put_i64(q, i, 0));
    usleep(100000); /* the consumer is now blocked in get */
    ASSERT_OK(mpr_queue_close(q));
    ASSERT_RC(mpr_queue_put_i64(q, 5, 0), MPR_ECLOSED);
    ASSERT_EQ(mpr_test_join_free(p), 5);
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

static int consume_and_mark_done(const void *arg, size_t len)
{
    (void)len;
    job j;
    memcpy(&j, arg, sizeof j);
    for (int i = 0; i < j.n; i++) {
        int64_t v;
        if (mpr_queue_get_i64(j.q, &v, 30) != MPR_OK)
            return 2;
        usleep(1000);
        if (mpr_queue_task_done(j.q) != MPR_OK)
            return 3;
    }
    return 0;
}

MPR_TEST(joinable)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_queue q;
    ASSERT_OK(mpr_joinable_queue_new(&q, 0));
    ASSERT_OK(mpr_queue_join(q, 0)); /* nothing unfinished */
    for (int i = 0; i < 20; i++)
        ASSERT_OK(mpr_queue_put_i64(q, i, 0));
    ASSERT_RC(mpr_queue_join(q, 0.05), MPR_ETIMEDOUT);
    job j = {q, 0, 20};
    mpr_process *p = mpr_test_start(consume_and_mark_done, &j, sizeof j);
    ASSERT_OK(mpr_queue_join(q, 60));
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    ASSERT_EQ(mpr_test_join_free(p), 0);
    ASSERT_RC(mpr_queue_task_done(q), MPR_EINVAL);
    ASSERT_CONTAINS(mpr_last_error(), "task_done() called more times");
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

/* ---------------------------------------- many producers, many consumers */

enum { STOP = -1 };
typedef struct {
    int32_t producer;
    int32_t seq;
} record;
typedef struct {
    mpr_queue q, results;
    int id, items, producers;
} role;
typedef struct {
    int64_t count[3], sum[3], sumsq[3];
    int in_order;
} tally;

static int produce(const void *arg, size_t len)
{
    (void)len;
    role r;
    memcpy(&r, arg, sizeof r);
    for (int i = 0; i < r.items; i++) {
        record rec = {r.id, i};
        if (mpr_queue_put(r.q, &rec, sizeof rec, -1) != MPR_OK)
            return 2;
    }
    return 0;
}

static int consume(const void *arg, size_t len)
{
    (void)len;
    role r;
    memcpy(&r, arg, sizeof r);
    tally t = {.in_order = 1};
    int last[3] = {-1, -1, -1};
    for (;;) {
        record rec;
        size_t n = 0;
        if (mpr_queue_get(r.q, &rec, sizeof rec, &n, -1) != MPR_OK || n != sizeof rec)
            return 2;
        if (rec.producer == STOP)
            break;
        /* Items of one producer come out in the order it put them. */
        if (rec.seq <= last[rec.producer])
            t.in_order = 0;
        last[rec.producer] = rec.seq;
        t.count[rec.producer]++;
        t.sum[rec.producer] += rec.seq;
        t.sumsq[rec.producer] += (int64_t)rec.seq * rec.seq;
    }
    return mpr_queue_put(r.results, &t, sizeof t, -1) == MPR_OK ? 0 : 3;
}

/* P producers x N items to C consumers, all on worker ranks: every item is
 * received exactly once (count, sum and sum of squares per producer) and
 * in order per producer. 3 x 100,000 with 6 workers. */
MPR_TEST(many_producers_consumers)
{
    MPR_TEST_NEED_WORKERS(2);
    int workers = mpr_free_workers();
    int pc = workers / 2 > 3 ? 3 : workers / 2;
    int items = pc == 3 ? 100000 : 20000;
#ifdef MPR_TEST_SANITIZED
    items /= 10; /* sanitizers slow every message tenfold; the dev build runs it whole */
#endif
    mpr_queue q, results;
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_OK(mpr_queue_new(&results, 0));
    mpr_process *prod[3], *cons[3];
    for (int i = 0; i < pc; i++) {
        role r = {q, results, i, items, pc};
        cons[i] = mpr_test_start(consume, &r, sizeof r);
        prod[i] = mpr_test_start(produce, &r, sizeof r);
    }
    for (int i = 0; i < pc; i++)
        ASSERT_EQ(mpr_test_join_free(prod[i]), 0);
    for (int i = 0; i < pc; i++) {
        record stop = {STOP, 0};
        ASSERT_OK(mpr_queue_put(q, &stop, sizeof stop, 0));
    }
    tally total = {.in_order = 1};
    for (int i = 0; i < pc; i++) {
        ASSERT_EQ(mpr_test_join_free(cons[i]), 0);
        tally t;
        size_t n;
        ASSERT_OK(mpr_queue_get(results, &t, sizeof t, &n, 0));
        for (int p = 0; p < 3; p++) {
            total.count[p] += t.count[p];
            total.sum[p] += t.sum[p];
            total.sumsq[p] += t.sumsq[p];
        }
        total.in_order &= t.in_order;
    }
    int64_t n = items;
    for (int p = 0; p < pc; p++) {
        ASSERT_EQ(total.count[p], n);
        ASSERT_EQ(total.sum[p], n * (n - 1) / 2);
        ASSERT_EQ(total.sumsq[p], (n - 1) * n * (2 * n - 1) / 6);
    }
    ASSERT_EQ(total.in_order, 1);
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    printf("%d producers x %d items -> %d consumers: all received once, in order\n", pc, items, pc);
    ASSERT_OK(mpr_queue_free(q));
    ASSERT_OK(mpr_queue_free(results));
    return 0;
}

static int put_big(const void *arg, size_t len)
{
    (void)len;
    job j;
    memcpy(&j, arg, sizeof j);
    size_t n = (size_t)j.n;
    unsigned char *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i % 251);
    int rc = mpr_queue_put(j.q, buf, n, -1);
    free(buf);
    return rc == MPR_OK ? 0 : 2;
}

MPR_TEST(big_items)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 1));
    job j = {q, 0, 8 << 20};
    mpr_process *p = mpr_test_start(put_big, &j, sizeof j);
    unsigned char *buf = malloc((size_t)j.n);
    size_t len = 0;
    ASSERT_OK(mpr_queue_get(q, buf, (size_t)j.n, &len, 60));
    ASSERT_EQ(len, j.n);
    for (size_t i = 0; i < len; i += 4093)
        ASSERT_EQ(buf[i], i % 251);
    free(buf);
    ASSERT_EQ(mpr_test_join_free(p), 0);
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

/* A child's puts on an unbounded queue: in the queue, in order, when join
 * returns; and a put on a queue closed before it began is refused at once
 * (MPR_ECLOSED), every time, from any rank. Before the queues moved into
 * the home node's shared memory, a worker's put was posted to rank 0 and
 * returned MPR_OK, the refusal coming back later. */
enum { CHILD_ITEMS = 2000 };

/* Puts on a closed queue are refused: at once on the home node; from
 * another node (split runs) a put is posted, so its refusal comes with the
 * next put, once a call on the queue (qsize) has brought it in. */
static int put_to_closed(const void *arg, size_t len)
{
    (void)len;
    job j;
    memcpy(&j, arg, sizeof j);
    for (int i = 0; i < 3; i++) {
        int rc = mpr_queue_put_i64(j.q, i, -1);
        if (rc == MPR_OK) { /* posted: the next put reports the refusal */
            if (mpr_queue_qsize(j.q) != 0)
                return 30 + i;
            if (mpr_queue_put_i64(j.q, i, -1) != MPR_ECLOSED)
                return 40 + i;
            if (!strstr(mpr_last_error(), "refused"))
                return 50 + i;
            continue;
        }
        if (rc != MPR_ECLOSED)
            return 2 + i;
        if (!strstr(mpr_last_error(), "closed"))
            return 10 + i;
    }
    return mpr_queue_qsize(j.q) == 0 ? 0 : 20;
}

/* A child's items are in q, in order, when join returns; then after q is
 * closed, a child's puts behave as put_after_close checks. */
static int child_items_then_closed(mpr_queue q, mpr_target put_after_close)
{
    role r = {.q = q, .id = 7, .items = CHILD_ITEMS};
    mpr_process *p = mpr_test_start(produce, &r, sizeof r);
    ASSERT_EQ(mpr_test_join_free(p), 0);
    ASSERT_EQ(mpr_queue_qsize(q), CHILD_ITEMS);
    for (int i = 0; i < CHILD_ITEMS; i++) {
        record rec = {0, -1};
        size_t n = 0;
        ASSERT_OK(mpr_queue_get(q, &rec, sizeof rec, &n, 0));
        ASSERT_EQ(rec.producer, 7);
        ASSERT_EQ(rec.seq, i);
    }
    ASSERT_OK(mpr_queue_close(q));
    job j = {q, 0, 0};
    p = mpr_test_start(put_after_close, &j, sizeof j);
    ASSERT_EQ(mpr_test_join_free(p), 0);
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    return 0;
}

MPR_TEST(child_puts)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_OK(child_items_then_closed(q, put_to_closed));
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

/* k independent pairs, each with its own queue homed on its consumer's
 * node: rank 0's service and node server handle nothing per item, and a
 * producer's node server nothing at all (it is not the home). */
enum { PAIR_ITEMS = 3000 };

typedef struct {
    mpr_queue q;
    int items;
} pair_job;

static int pair_produce(const void *arg, size_t len)
{
    (void)len;
    pair_job j;
    memcpy(&j, arg, sizeof j);
    mpr_served before, after;
    if (mpr_served_counts(&before) != MPR_OK)
        return 2;
    for (int64_t i = 0; i < j.items; i++)
        if (mpr_queue_put_i64(j.q, i, -1) != MPR_OK)
            return 3;
    if (mpr_served_counts(&after) != MPR_OK)
        return 4;
    return after.node_server == before.node_server && after.service == before.service ? 0 : 5;
}

static int pair_consume(const void *arg, size_t len)
{
    (void)len;
    pair_job j;
    memcpy(&j, arg, sizeof j);
    for (int64_t i = 0; i < j.items; i++) {
        int64_t v = -1;
        if (mpr_queue_get_i64(j.q, &v, 60) != MPR_OK || v != i)
            return 10;
    }
    return 0;
}

MPR_TEST(pairs_bypass_rank0)
{
    MPR_TEST_NEED_WORKERS(2);
    int k = (mpr_size() - 1) / 2;
    mpr_queue q[4];
    mpr_process *p[8];
    if (k > 4)
        k = 4;
    for (int i = 0; i < k; i++) {
        /* Workers start on the lowest free ranks: pair i is 2i+1 -> 2i+2. */
        mpr_queue_opts o = {.home = 2 * i + 2};
        ASSERT_OK(mpr_queue_new_opts(&q[i], &o));
    }
    mpr_served before, after;
    ASSERT_OK(mpr_served_counts(&before));
    for (int i = 0; i < k; i++) {
        pair_job j = {q[i], PAIR_ITEMS};
        p[2 * i] = mpr_test_start(pair_produce, &j, sizeof j);
        p[2 * i + 1] = mpr_test_start(pair_consume, &j, sizeof j);
        ASSERT_EQ(mpr_process_rank(p[2 * i]), 2 * i + 1);
        ASSERT_EQ(mpr_process_rank(p[2 * i + 1]), 2 * i + 2);
    }
    for (int i = 0; i < 2 * k; i++)
        ASSERT_EQ(mpr_test_join_free(p[i]), 0);
    ASSERT_OK(mpr_served_counts(&after));
    ASSERT_EQ(after.service - before.service, 0);
    ASSERT_EQ(after.node_server - before.node_server, 0);
    for (int i = 0; i < k; i++)
        ASSERT_OK(mpr_queue_free(q[i]));
    /* The count sees traffic when there is some: a Manager's queue is
     * served by rank 0, one request per put. */
    mpr_manager *m = NULL;
    mpr_queue mq;
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_queue(m, &mq, 0));
    ASSERT_OK(mpr_served_counts(&before));
    pair_job j = {mq, 10};
    ASSERT_EQ(mpr_test_join_free(mpr_test_start(pair_produce, &j, sizeof j)), 0);
    ASSERT_OK(mpr_served_counts(&after));
    ASSERT_EQ(after.service - before.service >= 10, 1);
    ASSERT_EQ(mpr_queue_qsize(mq), 10);
    ASSERT_OK(mpr_manager_shutdown(m));
    mpr_manager_free(m);
    return 0;
}

/* Large items travel in blocks of the node's arena (ring.c), and spill to
 * the node server only when the block region is full: 20 items of 4 MiB
 * (80 MiB, the region holds 64) come back whole and in order, some through
 * the server; a queue freed with 10 such items still in it gives their
 * blocks back, so 15 more then pass with no event at the server. */
enum { BIG = 4 << 20 };

static void fill_big(unsigned char *b, int k)
{
    for (size_t i = 0; i < BIG; i += 4096)
        b[i] = (unsigned char)(k * 7 + i / 4096);
}

static int check_big(const unsigned char *b, int k)
{
    for (size_t i = 0; i < BIG; i += 4096)
        if (b[i] != (unsigned char)(k * 7 + i / 4096))
            return 0;
    return 1;
}

static uint64_t node_server_events(void)
{
    mpr_served c = {0, 0};
    mpr_served_counts(&c);
    return c.node_server;
}

MPR_TEST(big_blocks)
{
    unsigned char *buf = malloc(BIG);
    ASSERT_TRUE(buf != NULL);
    mpr_queue q;
    size_t len = 0;
    ASSERT_OK(mpr_queue_new(&q, 0));
    uint64_t before = node_server_events();
    for (int k = 0; k < 20; k++) {
        fill_big(buf, k);
        ASSERT_OK(mpr_queue_put(q, buf, BIG, -1));
    }
    ASSERT_TRUE(node_server_events() > before); /* the region ran out: some spilled */
    ASSERT_EQ(mpr_queue_qsize(q), 20);
    for (int k = 0; k < 20; k++) {
        memset(buf, 0, BIG);
        ASSERT_OK(mpr_queue_get(q, buf, BIG, &len, 0));
        ASSERT_EQ(len, BIG);
        ASSERT_EQ(check_big(buf, k), 1);
    }
    for (int k = 0; k < 10; k++)
        ASSERT_OK(mpr_queue_put(q, buf, BIG, -1));
    ASSERT_OK(mpr_queue_free(q));
    ASSERT_OK(mpr_queue_new(&q, 0));
    before = node_server_events();
    for (int k = 0; k < 15; k++) {
        fill_big(buf, k);
        ASSERT_OK(mpr_queue_put(q, buf, BIG, -1));
    }
    ASSERT_EQ(node_server_events(), before);
    for (int k = 0; k < 15; k++) {
        ASSERT_OK(mpr_queue_get(q, buf, BIG, &len, 0));
        ASSERT_EQ(check_big(buf, k), 1);
    }
    ASSERT_OK(mpr_queue_free(q));
    free(buf);
    return 0;
}

/* Spilled items of two queues at once (run with a 4 KiB ring and no block
 * region, so 3000-byte items spill): when one queue's spill record goes,
 * the other's moves in the server's table, and its next spill must still
 * be found. Before the fix, that item was written through a stale pointer
 * and never came out. */
MPR_TEST(spill_two_queues)
{
    mpr_queue x, y;
    char item[3000], out[3000];
    size_t len = 0;
    ASSERT_OK(mpr_queue_new(&x, 0));
    ASSERT_OK(mpr_queue_new(&y, 0));
    memset(item, 'x', sizeof item);
    ASSERT_OK(mpr_queue_put(x, item, sizeof item, -1));
    memset(item, '1', sizeof item);
    ASSERT_OK(mpr_queue_put(y, item, sizeof item, -1));
    ASSERT_OK(mpr_queue_get(x, out, sizeof out, &len, 5));
    ASSERT_EQ(out[0], 'x');
    memset(item, '2', sizeof item);
    ASSERT_OK(mpr_queue_put(y, item, sizeof item, -1));
    ASSERT_OK(mpr_queue_get(y, out, sizeof out, &len, 5));
    ASSERT_EQ(out[0], '1');
    ASSERT_OK(mpr_queue_get(y, out, sizeof out, &len, 5));
    ASSERT_EQ(out[0], '2');
    ASSERT_OK(mpr_queue_free(x));
    ASSERT_OK(mpr_queue_free(y));
    return 0;
}

/* A waiter woken for an item it cannot take (its buffer is too small)
 * passes the wake on: here to a getter of another node, parked at the home
 * node's server, which must get the item at once, not after its timeout.
 * Every rank is its own node; the queue lives on rank 1's. */
typedef struct {
    mpr_queue q;
    size_t cap;
} small_getter;

static int get_with_cap(const void *arg, size_t len)
{
    (void)len;
    small_getter g;
    memcpy(&g, arg, sizeof g);
    char buf[1024];
    size_t n = 0;
    int rc = mpr_queue_get(g.q, buf, g.cap, &n, 10);
    if (g.cap < 100)
        return rc == MPR_ETRUNC && n == 100 ? 0
                                            : mpr_raise("rc %d n %zu: %s", rc, n, mpr_last_error());
    return rc == MPR_OK && n == 100 ? 0 : 3;
}

MPR_TEST(etrunc_passes_wake)
{
    MPR_TEST_NEED_WORKERS(2);
    mpr_queue q;
    mpr_queue_opts o = {.home = 1};
    ASSERT_OK(mpr_queue_new_opts(&q, &o));
    small_getter a = {q, 4}, b = {q, 1024};
    mpr_process *pa = mpr_test_start(get_with_cap, &a, sizeof a);
    ASSERT_EQ(mpr_process_rank(pa), 1); /* on the home node: the first waiter */
    usleep(300000);
    mpr_process *pb = mpr_test_start(get_with_cap, &b, sizeof b);
    usleep(300000);
    char item[100];
    memset(item, 5, sizeof item);
    double t0 = mpr_test_now();
    ASSERT_OK(mpr_queue_put(q, item, sizeof item, -1));
    ASSERT_EQ(mpr_test_join_free(pa), 0);
    ASSERT_EQ(mpr_test_join_free(pb), 0);
    ASSERT_TRUE(mpr_test_now() - t0 < 5); /* not the 10 s timeout */
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

/* Queues made when the home node's channel slots are all in use are
 * served by rank 0 (run with MPR_CHANNEL_SLOTS=1: a filler takes the one
 * slot). A worker's put on such an unbounded queue is posted (posted.c):
 * it returns before rank 0 has the item, join still finds the child's
 * items in order, and a put on a queue closed meanwhile returns MPR_OK,
 * its refusal coming back with the next put (as before issue 16). */
static int post_to_closed(const void *arg, size_t len)
{
    (void)len;
    job j;
    memcpy(&j, arg, sizeof j);
    if (mpr_queue_put_i64(j.q, 1, -1) != MPR_OK)
        return 2;                  /* posted: the refusal is not known yet */
    if (mpr_queue_qsize(j.q) != 0) /* a round trip: the refusal comes in */
        return 3;
    if (mpr_queue_put_i64(j.q, 2, -1) != MPR_ECLOSED)
        return 4;
    if (!strstr(mpr_last_error(), "1 earlier put(s)") || !strstr(mpr_last_error(), "closed"))
        return 5;
    /* Reported once: the next put is posted again, and refused again. */
    if (mpr_queue_put_i64(j.q, 3, -1) != MPR_OK)
        return 6;
    return 0;
}

MPR_TEST(served_when_slots_run_out)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_queue filler, q;
    ASSERT_OK(mpr_queue_new(&filler, 0));
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_EQ(q.home, 0);
    ASSERT_OK(child_items_then_closed(q, post_to_closed));
    ASSERT_OK(mpr_queue_free(q));
    ASSERT_OK(mpr_queue_free(filler));
    return 0;
}

/* Rank 0 puts on a queue and sends on a pipe homed on the last rank's node
 * (in a split or multi-node run, another node: the puts and sends are
 * posted): a child gets every item, in order, and then the pipe's end of
 * file. */
enum { POSTS = 2000 };

typedef struct {
    mpr_queue q;
    mpr_conn in;
} posts_job;

static int take_posts(const void *arg, size_t len)
{
    (void)len;
    posts_job j;
    memcpy(&j, arg, sizeof j);
    for (int64_t i = 0; i < POSTS; i++) {
        int64_t x = -1;
        if (mpr_queue_get_i64(j.q, &x, 30) != MPR_OK || x != i)
            return 2;
        char buf[8];
        size_t n = 0;
        if (mpr_conn_recv(j.in, buf, sizeof buf, &n, 30) != MPR_OK || n != sizeof x)
            return 3;
        memcpy(&x, buf, sizeof x);
        if (x != i)
            return 4;
    }
    char buf[8];
    size_t n = 0;
    return mpr_conn_recv(j.in, buf, sizeof buf, &n, 30) == MPR_EOF ? 0 : 5;
}

MPR_TEST(posts_from_rank0)
{
    MPR_TEST_NEED_WORKERS(1);
    posts_job j;
    mpr_conn out;
    int home = mpr_size() - 1;
    ASSERT_OK(mpr_queue_new_opts(&j.q, &(mpr_queue_opts){.home = home}));
    ASSERT_OK(mpr_pipe_new_opts(&j.in, &out, &(mpr_pipe_opts){.duplex = 0, .home = home}));
    mpr_process *p = mpr_test_start(take_posts, &j, sizeof j);
    for (int64_t i = 0; i < POSTS; i++) {
        ASSERT_OK(mpr_queue_put_i64(j.q, i, -1));
        ASSERT_OK(mpr_conn_send(out, &i, sizeof i));
    }
    ASSERT_OK(mpr_conn_close(out));
    ASSERT_EQ(mpr_test_join_free(p), 0);
    ASSERT_EQ(mpr_queue_qsize(j.q), 0);
    ASSERT_OK(mpr_queue_free(j.q));
    return 0;
}

/* Two queues homed on two other ranks' nodes can have the same id (each
 * node numbers its channels): a refused post on one must come back on that
 * one only. In a split run rank 0's puts on both are posted. */
MPR_TEST(refusal_per_home)
{
    MPR_TEST_NEED_WORKERS(2);
    mpr_queue closed, open;
    ASSERT_OK(mpr_queue_new_opts(&closed, &(mpr_queue_opts){.home = 1}));
    ASSERT_OK(mpr_queue_new_opts(&open, &(mpr_queue_opts){.home = 2}));
    ASSERT_OK(mpr_queue_close(closed));
    int rc = mpr_queue_put_i64(closed, 1, -1);
    if (rc == MPR_OK) { /* posted: qsize brings the refusal in */
        ASSERT_EQ(mpr_queue_qsize(closed), 0);
        ASSERT_OK(mpr_queue_put_i64(open, 2, -1)); /* not the other queue's refusal */
        ASSERT_RC(mpr_queue_put_i64(closed, 3, -1), MPR_ECLOSED);
        ASSERT_CONTAINS(mpr_last_error(), "refused");
    } else {
        ASSERT_EQ(rc, MPR_ECLOSED);
        ASSERT_OK(mpr_queue_put_i64(open, 2, -1));
    }
    int64_t x = 0;
    ASSERT_OK(mpr_queue_get_i64(open, &x, 5));
    ASSERT_EQ(x, 2);
    ASSERT_OK(mpr_queue_free(closed));
    ASSERT_OK(mpr_queue_free(open));
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(fifo), MPR_TEST_ENTRY(bounded), MPR_TEST_ENTRY(timeouts),
              MPR_TEST_ENTRY(truncated), MPR_TEST_ENTRY(bad_handles), MPR_TEST_ENTRY(close),
              MPR_TEST_ENTRY(joinable), MPR_TEST_ENTRY(many_producers_consumers),
              MPR_TEST_ENTRY(big_items), MPR_TEST_ENTRY(child_puts),
              MPR_TEST_ENTRY(pairs_bypass_rank0), MPR_TEST_ENTRY(big_blocks),
              MPR_TEST_ENTRY(spill_two_queues), MPR_TEST_ENTRY(etrunc_passes_wake),
              MPR_TEST_ENTRY(served_when_slots_run_out), MPR_TEST_ENTRY(posts_from_rank0),
              MPR_TEST_ENTRY(refusal_per_home))
