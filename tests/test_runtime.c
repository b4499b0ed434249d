/* test_runtime.c — init, identity, errors and function references. */
#include "mpr_test.h"

#include <unistd.h>

typedef struct {
    int rank;
    long pid;
    char host[64];
    char name[64];
} identity;

/* A worker tells who it is, through a queue. */
static int report_identity(const void *arg, size_t len)
{
    ASSERT_EQ(len, sizeof(mpr_queue));
    mpr_queue q;
    memcpy(&q, arg, sizeof q);
    identity me = {.rank = mpr_rank(), .pid = mpr_self_pid()};
    snprintf(me.host, sizeof me.host, "%s", mpr_self_host());
    snprintf(me.name, sizeof me.name, "%s", mpr_self_name());
    return mpr_queue_put(q, &me, sizeof me, -1) == MPR_OK ? 0 : 3;
}

MPR_TEST(info)
{
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    ASSERT_EQ(mpr_rank(), 0);
    ASSERT_EQ(mpr_size(), size);
    ASSERT_EQ(mpr_free_workers(), size - 1);
    ASSERT_TRUE(mpr_cpu_count() >= 1);
    ASSERT_EQ(mpr_cpu_count(), sysconf(_SC_NPROCESSORS_ONLN));
    ASSERT_STR_EQ(mpr_self_name(), "MainProcess");
    ASSERT_EQ(mpr_self_pid(), getpid());
    char host[256];
    gethostname(host, sizeof host);
    ASSERT_STR_EQ(mpr_self_host(), host);
    ASSERT_STR_EQ(mpr_version_string(), "0.1.0");
    return 0;
}

MPR_TEST(errors)
{
    /* Every code has its own name and text, and unknown codes are named so. */
    int codes[] = {
#define XX(name, value, text) MPR_##name,
        MPR_ERRNO_MAP(XX)
#undef XX
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(codes[i] < 0);
        ASSERT_TRUE(strncmp(mpr_err_name(codes[i]), "MPR_E", 5) == 0);
        for (size_t j = 0; j < i; j++) {
            ASSERT_TRUE(codes[i] != codes[j]);
            ASSERT_TRUE(strcmp(mpr_err_name(codes[i]), mpr_err_name(codes[j])) != 0);
        }
    }
    ASSERT_STR_EQ(mpr_err_name(MPR_ETRUNC), "MPR_ETRUNC");
    ASSERT_STR_EQ(mpr_strerror(MPR_ETRUNC), "buffer too small");
    ASSERT_STR_EQ(mpr_err_name(MPR_OK), "MPR_OK");
    ASSERT_STR_EQ(mpr_err_name(-9999), "MPR_E?");
    ASSERT_STR_EQ(mpr_strerror(-9999), "unknown error code");
    /* The message of a failure names what went wrong. */
    ASSERT_RC(mpr_init(NULL, NULL), MPR_ESTATE);
    ASSERT_CONTAINS(mpr_last_error(), "already");
    return 0;
}

MPR_TEST(worker_identity)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    mpr_process *p;
    ASSERT_OK(mpr_process_new_named(&p, "reporter", report_identity, &q, sizeof q));
    ASSERT_EQ(mpr_process_rank(p), -1);
    ASSERT_EQ(mpr_process_pid(p), 0);
    ASSERT_OK(mpr_process_start(p));
    identity who;
    size_t len = 0;
    ASSERT_OK(mpr_queue_get(q, &who, sizeof who, &len, 30));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(len, sizeof who);
    ASSERT_EQ(mpr_process_exitcode(p), 0);
    ASSERT_EQ(who.rank, mpr_process_rank(p));
    ASSERT_TRUE(who.rank >= 1);
    ASSERT_EQ(who.pid, mpr_process_pid(p));
    ASSERT_TRUE(who.pid != getpid());
    ASSERT_STR_EQ(who.host, mpr_process_host(p));
    ASSERT_STR_EQ(who.name, "reporter");
    ASSERT_STR_EQ(mpr_process_name(p), "reporter");
    mpr_process_free(p);
    ASSERT_OK(mpr_queue_free(q));
    return 0;
}

static int global_data = 42;

MPR_TEST(function_refs)
{
    /* Data is not code: a reference to it is refused before any rank jumps. */
    mpr_process *p = (mpr_process *)1;
    ASSERT_RC(mpr_process_new(&p, (mpr_target)(void *)&global_data, NULL, 0), MPR_EFUNC);
    ASSERT_TRUE(p == NULL);
    ASSERT_CONTAINS(mpr_last_error(), "not code");
    ASSERT_RC(mpr_process_new(&p, NULL, NULL, 0), MPR_EINVAL);
    ASSERT_RC(mpr_process_new(NULL, report_identity, NULL, 0), MPR_EINVAL);
    ASSERT_RC(mpr_process_new(&p, report_identity, NULL, 5), MPR_EINVAL);
    return 0;
}

/* Started without mpirun (or with -n 1): zero workers, and a clear reason. */
MPR_TEST(no_workers)
{
    if (mpr_size() != 1) {
        printf("SKIP: for a single-rank job\n");
        return MPR_TEST_SKIP;
    }
    ASSERT_EQ(mpr_free_workers(), 0);
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, report_identity, NULL, 0));
    ASSERT_RC(mpr_process_start(p), MPR_ENORANK);
    ASSERT_CONTAINS(mpr_last_error(), "mpirun -n");
    ASSERT_RC(mpr_process_join(p, 0), MPR_ESTATE);
    mpr_process_free(p);
    /* Queues and pipes still work within rank 0. */
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    ASSERT_OK(mpr_queue_put_str(q, "solo", 0));
    char buf[8];
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, 0));
    ASSERT_STR_EQ(buf, "solo");
    return 0;
}

/* Ping-pong through two queues after long idle spells, so that every
 * waiter has backed off to its longest sleep (the harness sets
 * MPR_BACKOFF_MAX_US to 1 s for this case). A same-node message must wake
 * its receiver at once through the doorbell (doorbell.c) instead of at the
 * end of the sleep: each round trip crosses two sleepers (rank 0's service
 * thread, then the worker). With MPR_DOORBELL=0 the same case is expected to
 * fail, which shows the test can. */
enum { WAKE_ROUNDS = 4 };

typedef struct {
    mpr_queue ping, pong;
} wake_queues;

static int wake_ponger(const void *arg, size_t len)
{
    ASSERT_EQ(len, sizeof(wake_queues));
    wake_queues q;
    memcpy(&q, arg, sizeof q);
    double slowest = 0;
    for (int64_t r = 0; r < WAKE_ROUNDS; r++) {
        usleep(1200 * 1000); /* everyone goes to sleep for up to 1 s */
        double t0 = mpr_test_now();
        ASSERT_OK(mpr_queue_put_i64(q.ping, r, -1));
        int64_t back = -1;
        ASSERT_OK(mpr_queue_get_i64(q.pong, &back, -1));
        ASSERT_EQ(back, r);
        double rt = mpr_test_now() - t0;
        slowest = rt > slowest ? rt : slowest;
    }
    /* Report the slowest round trip in microseconds. */
    ASSERT_OK(mpr_queue_put_i64(q.ping, (int64_t)(slowest * 1e6), -1));
    return 0;
}

MPR_TEST(doorbell_wakes)
{
    MPR_TEST_NEED_WORKERS(1);
    wake_queues q;
    ASSERT_OK(mpr_queue_new(&q.ping, 0));
    ASSERT_OK(mpr_queue_new(&q.pong, 0));
    mpr_process *p = mpr_test_start(wake_ponger, &q, sizeof q);
    for (int64_t r = 0; r < WAKE_ROUNDS; r++) {
        int64_t got = -1;
        ASSERT_OK(mpr_queue_get_i64(q.ping, &got, -1));
        ASSERT_EQ(got, r);
        ASSERT_OK(mpr_queue_put_i64(q.pong, got, -1));
    }
    int64_t slowest_us = -1;
    ASSERT_OK(mpr_queue_get_i64(q.ping, &slowest_us, -1));
    ASSERT_EQ(mpr_test_join_free(p), 0);
    printf("slowest round trip after 1.2 s idle: %.3f ms (sleep cap 1 s)\n", slowest_us / 1e3);
    /* A missed wake-up costs up to the 1 s cap twice; allow scheduling
     * noise of a loaded 2-core machine, far below that. */
    ASSERT_TRUE(slowest_us < 150000);
    mpr_queue_free(q.ping);
    mpr_queue_free(q.pong);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(info), MPR_TEST_ENTRY(errors), MPR_TEST_ENTRY(worker_identity),
              MPR_TEST_ENTRY(function_refs), MPR_TEST_ENTRY(no_workers),
              MPR_TEST_ENTRY(doorbell_wakes))
