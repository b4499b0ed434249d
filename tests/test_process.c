/* test_process.c — Process: start, join, exit codes, errors, free ranks. */
#include "mpr_test.h"

#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int return_arg(const void *arg, size_t len)
{
    int v = 0;
    if (len == sizeof v)
        memcpy(&v, arg, sizeof v);
    return v;
}

static int raise_error(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    return mpr_raise("could not parse item %d", 17);
}

/* Burns CPU for the given seconds of wall time (arg: double). */
static int spin(const void *arg, size_t len)
{
    double seconds = 0;
    ASSERT_EQ(len, sizeof seconds);
    memcpy(&seconds, arg, sizeof seconds);
    volatile uint64_t x = 0;
    double end = mpr_test_now() + seconds;
    while (mpr_test_now() < end)
        for (int i = 0; i < 100000; i++)
            x += (uint64_t)i;
    return 0;
}

static int sleep_ms(const void *arg, size_t len)
{
    int ms = 0;
    ASSERT_EQ(len, sizeof ms);
    memcpy(&ms, arg, sizeof ms);
    usleep((useconds_t)ms * 1000);
    return 0;
}

MPR_TEST(start_join)
{
    MPR_TEST_NEED_WORKERS(1);
    int value = 7;
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, return_arg, &value, sizeof value));
    value = 99; /* the argument bytes were copied at new */
    ASSERT_EQ(mpr_process_exitcode(p), -1);
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 7);
    ASSERT_EQ(mpr_process_is_alive(p), 0);
    ASSERT_STR_EQ(mpr_process_error(p), "");
    ASSERT_CONTAINS(mpr_process_name(p), "Process-");
    ASSERT_OK(mpr_process_join(p, 0)); /* joining again is fine */
    mpr_process_free(p);
    mpr_process_free(NULL);
    return 0;
}

MPR_TEST(many)
{
    MPR_TEST_NEED_WORKERS(1);
    int n = mpr_free_workers();
    mpr_process **ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++) {
        int v = 10 + i;
        ASSERT_OK(mpr_process_new(&ps[i], return_arg, &v, sizeof v));
        ASSERT_OK(mpr_process_start(ps[i]));
    }
    ASSERT_EQ(mpr_free_workers(), 0);
    for (int i = n - 1; i >= 0; i--) {
        ASSERT_OK(mpr_process_join(ps[i], -1));
        ASSERT_EQ(mpr_process_exitcode(ps[i]), 10 + i);
        for (int j = 0; j < i; j++)
            ASSERT_TRUE(mpr_process_rank(ps[i]) != mpr_process_rank(ps[j]));
        mpr_process_free(ps[i]);
    }
    ASSERT_EQ(mpr_free_workers(), n);
    free(ps);
    return 0;
}

MPR_TEST(raise)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_process *p;
    ASSERT_OK(mpr_process_new_named(&p, "parser", raise_error, NULL, 0));
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 1);
    char rank[32];
    snprintf(rank, sizeof rank, "rank %d (", mpr_process_rank(p));
    ASSERT_CONTAINS(mpr_process_error(p), rank);
    ASSERT_CONTAINS(mpr_process_error(p), mpr_process_host(p));
    ASSERT_CONTAINS(mpr_process_error(p), "parser: could not parse item 17");
    mpr_process_free(p);
    return 0;
}

static int raise_long(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    char text[5000];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    return mpr_raise("long story: %s", text);
}

/* A message of any length is cut to fit, never a reason to abort: the
 * worker prefixes the raise text with rank, host and a 63-character name,
 * and rank 0 decodes it into its own buffer. */
MPR_TEST(raise_long_message)
{
    MPR_TEST_NEED_WORKERS(1);
    char name[64];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    mpr_process *p;
    ASSERT_OK(mpr_process_new_named(&p, name, raise_long, NULL, 0));
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 1);
    ASSERT_CONTAINS(mpr_process_error(p), "long story: xxxx");
    ASSERT_TRUE(strlen(mpr_process_error(p)) > 400);
    mpr_process_free(p);
    /* The worker rank is free and works. */
    int v = 7;
    ASSERT_OK(mpr_process_new(&p, return_arg, &v, sizeof v));
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 7);
    mpr_process_free(p);
    return 0;
}

MPR_TEST(no_free_rank)
{
    MPR_TEST_NEED_WORKERS(1);
    int n = mpr_free_workers(), ms = 300;
    mpr_process **ps = calloc((size_t)n + 1, sizeof *ps);
    for (int i = 0; i <= n; i++)
        ASSERT_OK(mpr_process_new(&ps[i], sleep_ms, &ms, sizeof ms));
    for (int i = 0; i < n; i++)
        ASSERT_OK(mpr_process_start(ps[i]));
    ASSERT_RC(mpr_process_start(ps[n]), MPR_ENORANK);
    char hint[64];
    snprintf(hint, sizeof hint, "mpirun -n %d", mpr_size() + 1);
    ASSERT_CONTAINS(mpr_last_error(), hint);
    ASSERT_EQ(mpr_process_rank(ps[n]), -1);
    /* Once a rank is back, the same process object can start. */
    ASSERT_OK(mpr_process_join(ps[0], -1));
    ASSERT_OK(mpr_process_start(ps[n]));
    for (int i = 0; i <= n; i++) {
        ASSERT_OK(mpr_process_join(ps[i], -1));
        mpr_process_free(ps[i]);
    }
    free(ps);
    return 0;
}

MPR_TEST(join_timeout)
{
    MPR_TEST_NEED_WORKERS(1);
    int ms = 400;
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, sleep_ms, &ms, sizeof ms));
    ASSERT_RC(mpr_process_join(p, 0), MPR_ESTATE);
    ASSERT_EQ(mpr_process_is_alive(p), 0);
    ASSERT_OK(mpr_process_start(p));
    ASSERT_RC(mpr_process_start(p), MPR_ESTATE);
    ASSERT_EQ(mpr_process_is_alive(p), 1);
    double t0 = mpr_test_now();
    ASSERT_RC(mpr_process_join(p, 0.05), MPR_ETIMEDOUT);
    ASSERT_TRUE(mpr_test_now() - t0 >= 0.045);
    ASSERT_CONTAINS(mpr_last_error(), "still runs");
    ASSERT_EQ(mpr_process_exitcode(p), -1);
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_is_alive(p), 0);
    ASSERT_EQ(mpr_process_exitcode(p), 0);
    mpr_process_free(p);
    return 0;
}

/* Starting and joining in a loop gives every rank back. */
MPR_TEST(loop)
{
    MPR_TEST_NEED_WORKERS(1);
    int workers = mpr_free_workers();
    for (int i = 0; i < 300; i++) {
        mpr_process *p;
        int v = i % 100;
        ASSERT_OK(mpr_process_new(&p, return_arg, &v, sizeof v));
        ASSERT_OK(mpr_process_start(p));
        ASSERT_OK(mpr_process_join(p, -1));
        ASSERT_EQ(mpr_process_exitcode(p), v);
        mpr_process_free(p);
    }
    ASSERT_EQ(mpr_free_workers(), workers);
    return 0;
}

static int try_nested_process(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    mpr_process *p = NULL;
    int rc = mpr_process_new(&p, return_arg, NULL, 0);
    return rc == MPR_ERANK && p == NULL && strstr(mpr_last_error(), "rank 0") ? 0 : 5;
}

MPR_TEST(worker_cannot_spawn)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, try_nested_process, NULL, 0));
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 0);
    mpr_process_free(p);
    return 0;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* A parent blocked in join must leave the cores to the workers: its CPU
 * time (main and service thread together) stays a small part of the wait. */
MPR_TEST(waiter_is_idle)
{
    MPR_TEST_NEED_WORKERS(1);
    double seconds = 1.0;
    int n = mpr_free_workers();
    mpr_process **ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_new(&ps[i], spin, &seconds, sizeof seconds));
        ASSERT_OK(mpr_process_start(ps[i]));
    }
    double cpu0 = cpu_seconds(), t0 = mpr_test_now();
    for (int i = 0; i < n; i++)
        ASSERT_OK(mpr_process_join(ps[i], -1));
    double cpu = cpu_seconds() - cpu0, wall = mpr_test_now() - t0;
    printf("parent waited %.3f s using %.3f s of CPU (%.1f%%)\n", wall, cpu, 100 * cpu / wall);
    ASSERT_TRUE(wall >= 0.9);
    ASSERT_TRUE(cpu < 0.1 * wall);
    for (int i = 0; i < n; i++)
        mpr_process_free(ps[i]);
    free(ps);
    return 0;
}

static int hash_bytes(const void *arg, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const unsigned char *)arg)[i]) * 16777619u;
    return (int)(h & 0x7fffffff);
}

/* Argument bytes arrive whole, including several MiB. */
MPR_TEST(big_argument)
{
    MPR_TEST_NEED_WORKERS(1);
    size_t n = 4u << 20;
    unsigned char *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 31u + 7u);
    int want = hash_bytes(buf, n);
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, hash_bytes, buf, n));
    free(buf);
    ASSERT_OK(mpr_process_start(p));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), want);
    mpr_process_free(p);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(start_join), MPR_TEST_ENTRY(many), MPR_TEST_ENTRY(raise),
              MPR_TEST_ENTRY(raise_long_message), MPR_TEST_ENTRY(no_free_rank),
              MPR_TEST_ENTRY(join_timeout), MPR_TEST_ENTRY(loop),
              MPR_TEST_ENTRY(worker_cannot_spawn), MPR_TEST_ENTRY(waiter_is_idle),
              MPR_TEST_ENTRY(big_argument))
