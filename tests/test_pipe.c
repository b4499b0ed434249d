/* test_pipe.c — Pipe: duplex and one-way ends, end of file, truncation,
 * poll, closed ends, and ends held by two children. */
#include "mpr_test.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    mpr_conn conn;
    int n;
} conn_arg;

/* Answers every int with its double until end of file. */
static int doubler(const void *arg, size_t len)
{
    (void)len;
    conn_arg a;
    memcpy(&a, arg, sizeof a);
    int v, served = 0;
    size_t n;
    int rc;
    while ((rc = mpr_conn_recv(a.conn, &v, sizeof v, &n, -1)) == MPR_OK) {
        v *= 2;
        if (mpr_conn_send(a.conn, &v, sizeof v) != MPR_OK)
            return 100;
        served++;
    }
    return rc == MPR_EOF ? served : 101;
}

MPR_TEST(duplex)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_conn parent, child;
    ASSERT_OK(mpr_pipe_new(&parent, &child, 1));
    conn_arg a = {child, 0};
    mpr_process *p = mpr_test_start(doubler, &a, sizeof a);
    for (int i = 0; i < 50; i++) {
        int v = i, back = -1;
        size_t n = 0;
        ASSERT_OK(mpr_conn_send(parent, &v, sizeof v));
        ASSERT_OK(mpr_conn_recv(parent, &back, sizeof back, &n, 30));
        ASSERT_EQ(n, sizeof back);
        ASSERT_EQ(back, 2 * i);
    }
    ASSERT_OK(mpr_conn_close(parent));
    ASSERT_EQ(mpr_test_join_free(p), 50);
    return 0;
}

static int send_three_and_close(const void *arg, size_t len)
{
    (void)len;
    conn_arg a;
    memcpy(&a, arg, sizeof a);
    const char *msgs[] = {"hello", "hi", "heya!"};
    for (int i = 0; i < 3; i++)
        if (mpr_conn_send_str(a.conn, msgs[i]) != MPR_OK)
            return 2;
    return mpr_conn_close(a.conn) == MPR_OK ? 0 : 3;
}

MPR_TEST(one_way_eof)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_conn reader, writer;
    ASSERT_OK(mpr_pipe_new(&reader, &writer, 0));
    /* Python's Pipe(duplex=False): the first end only receives. */
    ASSERT_RC(mpr_conn_send_str(reader, "x"), MPR_EINVAL);
    char buf[16];
    size_t n;
    ASSERT_RC(mpr_conn_recv(writer, buf, sizeof buf, &n, 0), MPR_EINVAL);
    ASSERT_RC(mpr_conn_poll(writer, 0), MPR_EINVAL);
    conn_arg a = {writer, 0};
    mpr_process *p = mpr_test_start(send_three_and_close, &a, sizeof a);
    ASSERT_EQ(mpr_test_join_free(p), 0);
    ASSERT_EQ(mpr_conn_poll(reader, 0), 1);
    ASSERT_OK(mpr_conn_recv_str(reader, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "hello");
    ASSERT_OK(mpr_conn_recv_str(reader, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "hi");
    ASSERT_OK(mpr_conn_recv_str(reader, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "heya!");
    /* Closed and drained: end of file, every time, without waiting. */
    ASSERT_RC(mpr_conn_recv(reader, buf, sizeof buf, &n, -1), MPR_EOF);
    ASSERT_RC(mpr_conn_recv(reader, buf, sizeof buf, &n, -1), MPR_EOF);
    ASSERT_EQ(mpr_conn_poll(reader, -1), 1);
    return 0;
}

MPR_TEST(truncated)
{
    mpr_conn a, b;
    ASSERT_OK(mpr_pipe_new(&a, &b, 1));
    ASSERT_OK(mpr_conn_send_str(a, "0123456789"));
    char small[4], big[16];
    size_t n = 0;
    ASSERT_RC(mpr_conn_recv(b, small, sizeof small, &n, 0), MPR_ETRUNC);
    ASSERT_EQ(n, 11);
    ASSERT_CONTAINS(mpr_last_error(), "11 bytes");
    ASSERT_OK(mpr_conn_recv_str(b, big, sizeof big, 0));
    ASSERT_STR_EQ(big, "0123456789");
    return 0;
}

MPR_TEST(poll_and_timeout)
{
    mpr_conn a, b;
    char buf[8];
    size_t n;
    ASSERT_OK(mpr_pipe_new(&a, &b, 1));
    ASSERT_EQ(mpr_conn_poll(b, 0), 0);
    double t0 = mpr_test_now();
    ASSERT_EQ(mpr_conn_poll(b, 0.1), 0);
    ASSERT_TRUE(mpr_test_now() - t0 >= 0.09);
    ASSERT_RC(mpr_conn_recv(b, buf, sizeof buf, &n, 0), MPR_ETIMEDOUT);
    t0 = mpr_test_now();
    ASSERT_RC(mpr_conn_recv(b, buf, sizeof buf, &n, 0.1), MPR_ETIMEDOUT);
    ASSERT_TRUE(mpr_test_now() - t0 >= 0.09);
    ASSERT_OK(mpr_conn_send_str(a, "x"));
    ASSERT_EQ(mpr_conn_poll(b, 0), 1);
    ASSERT_EQ(mpr_conn_poll(a, 0), 0); /* the two directions are separate */
    ASSERT_OK(mpr_conn_recv_str(b, buf, sizeof buf, 0));
    return 0;
}

MPR_TEST(closed_ends)
{
    mpr_conn a, b, zero = {0};
    char buf[8];
    size_t n;
    ASSERT_RC(mpr_conn_send_str(zero, "x"), MPR_EINVAL);
    ASSERT_RC(mpr_pipe_new(NULL, &b, 1), MPR_EINVAL);
    ASSERT_OK(mpr_pipe_new(&a, &b, 1));
    ASSERT_OK(mpr_conn_send_str(a, "last"));
    ASSERT_OK(mpr_conn_close(a));
    ASSERT_RC(mpr_conn_send_str(a, "x"), MPR_ECLOSED);
    ASSERT_RC(mpr_conn_recv(a, buf, sizeof buf, &n, 0), MPR_ECLOSED);
    ASSERT_RC(mpr_conn_send_str(b, "x"), MPR_EPIPE);
    ASSERT_CONTAINS(mpr_last_error(), "broken pipe");
    ASSERT_OK(mpr_conn_recv_str(b, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "last");
    ASSERT_RC(mpr_conn_recv(b, buf, sizeof buf, &n, 0), MPR_EOF);
    return 0;
}

/* The receiver blocked in recv wakes with end of file when the sender closes. */
static int count_until_eof(const void *arg, size_t len)
{
    (void)len;
    conn_arg a;
    memcpy(&a, arg, sizeof a);
    int got = 0, rc;
    uint64_t sum = 0;
    unsigned char *buf = malloc((size_t)a.n);
    size_t n;
    while ((rc = mpr_conn_recv(a.conn, buf, (size_t)a.n, &n, -1)) == MPR_OK) {
        for (size_t i = 0; i < n; i++)
            sum += buf[i];
        got++;
    }
    free(buf);
    return rc == MPR_EOF ? (int)(sum % 1000003) : -1;
}

typedef struct {
    mpr_conn conn;
    int n, count;
} sender_arg;

static int send_blocks(const void *arg, size_t len)
{
    (void)len;
    sender_arg a;
    memcpy(&a, arg, sizeof a);
    unsigned char *buf = malloc((size_t)a.n);
    for (int k = 0; k < a.count; k++) {
        for (int i = 0; i < a.n; i++)
            buf[i] = (unsigned char)(i + k);
        if (mpr_conn_send(a.conn, buf, (size_t)a.n) != MPR_OK)
            return 2;
    }
    free(buf);
    return mpr_conn_close(a.conn) == MPR_OK ? 0 : 3;
}

/* Both ends in children on other ranks; 1 MiB messages arrive whole. */
MPR_TEST(between_children)
{
    MPR_TEST_NEED_WORKERS(2);
    mpr_conn r, w;
    ASSERT_OK(mpr_pipe_new(&r, &w, 0));
    int size = 1 << 20, count = 8;
    conn_arg ra = {r, size};
    sender_arg sa = {w, size, count};
    mpr_process *reader = mpr_test_start(count_until_eof, &ra, sizeof ra);
    mpr_process *writer = mpr_test_start(send_blocks, &sa, sizeof sa);
    uint64_t sum = 0;
    for (int k = 0; k < count; k++)
        for (int i = 0; i < size; i++)
            sum += (unsigned char)(i + k);
    ASSERT_EQ(mpr_test_join_free(writer), 0);
    ASSERT_EQ(mpr_test_join_free(reader), (int)(sum % 1000003));
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(duplex), MPR_TEST_ENTRY(one_way_eof), MPR_TEST_ENTRY(truncated),
              MPR_TEST_ENTRY(poll_and_timeout), MPR_TEST_ENTRY(closed_ends),
              MPR_TEST_ENTRY(between_children))
