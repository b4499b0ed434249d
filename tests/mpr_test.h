/*
 * mpr_test.h — the test runner every tests/test_<module>.c uses.
 *
 * A test program holds cases declared with MPR_TEST(name) and listed in
 * an MPR_TEST_LIST; argv[1] picks the case (libuv's TEST_IMPL/TEST_ENTRY).
 * Every rank calls mpr_init through mpr_test_main, so a case runs on rank 0
 * as a program's main does, and starts Processes on the other ranks.
 * ASSERT_* print both values, rank@host and file:line, and abort the whole
 * job, so a failure on a worker fails the test too. Exit 77 means skip.
 */
#ifndef MPR_TEST_H
#define MPR_TEST_H

#include <mpi.h>
#include <mpr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MPR_TEST_SKIP 77

static inline void mpr_test_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "FAIL %d@%s %s:%d: %s\n  last mpr error: %s\n", mpr_rank(), mpr_self_host(),
            file, line, what, mpr_last_error());
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

#define ASSERT_TRUE(expr)                                                                          \
    do {                                                                                           \
        if (!(expr))                                                                               \
            mpr_test_fail(__FILE__, __LINE__, "ASSERT_TRUE(" #expr ")");                           \
    } while (0)

#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            char m_[512];                                                                          \
            snprintf(m_, sizeof m_, "ASSERT_EQ(%s, %s): %lld != %lld", #a, #b, a_, b_);            \
            mpr_test_fail(__FILE__, __LINE__, m_);                                                 \
        }                                                                                          \
    } while (0)

/* An mpr call's result code, shown by name. */
#define ASSERT_RC(call, want)                                                                      \
    do {                                                                                           \
        int rc_ = (call), want_ = (want);                                                          \
        if (rc_ != want_) {                                                                        \
            char m_[512];                                                                          \
            snprintf(m_, sizeof m_, "%s returned %s (%d), expected %s", #call, mpr_err_name(rc_),  \
                     rc_, mpr_err_name(want_));                                                    \
            mpr_test_fail(__FILE__, __LINE__, m_);                                                 \
        }                                                                                          \
    } while (0)
#define ASSERT_OK(call) ASSERT_RC(call, MPR_OK)
/* Copies a target's argument bytes into dst, which must be their size. */
#define UNPACK_ARG(dst, arg, len)                                                                  \
    do {                                                                                           \
        ASSERT_EQ((len), sizeof(dst));                                                             \
        memcpy(&(dst), (arg), sizeof(dst));                                                        \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (strcmp(a_, b_) != 0) {                                                                 \
            char m_[1024];                                                                         \
            snprintf(m_, sizeof m_, "ASSERT_STR_EQ(%s, %s): \"%.400s\" != \"%.400s\"", #a, #b, a_, \
                     b_);                                                                          \
            mpr_test_fail(__FILE__, __LINE__, m_);                                                 \
        }                                                                                          \
    } while (0)

#define ASSERT_CONTAINS(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!strstr(h_, n_)) {                                                                     \
            char m_[1024];                                                                         \
            snprintf(m_, sizeof m_, "\"%.600s\" does not contain \"%.300s\"", h_, n_);             \
            mpr_test_fail(__FILE__, __LINE__, m_);                                                 \
        }                                                                                          \
    } while (0)

/* Seconds on a monotonic clock. */
static inline double mpr_test_now(void) { return MPI_Wtime(); }

/* Process(target=fn, args=...).start(), asserting it worked. */
static inline mpr_process *mpr_test_start(mpr_target fn, const void *arg, size_t len)
{
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, fn, arg, len));
    ASSERT_OK(mpr_process_start(p));
    return p;
}

/* join, free, and the exit code. */
static inline int mpr_test_join_free(mpr_process *p)
{
    ASSERT_OK(mpr_process_join(p, -1));
    int code = mpr_process_exitcode(p);
    mpr_process_free(p);
    return code;
}

typedef struct {
    const char *name;
    int (*fn)(void);
} mpr_test_entry;

#define MPR_TEST(name) static int test_##name(void)
#define MPR_TEST_ENTRY(name)                                                                       \
    {                                                                                              \
#name, test_##name                                                                         \
    }

/* Skip a case that needs more ranks than the job has. */
#define MPR_TEST_NEED_WORKERS(n)                                                                   \
    do {                                                                                           \
        if (mpr_size() - 1 < (n)) {                                                                \
            printf("SKIP: needs %d worker ranks, the job has %d\n", (n), mpr_size() - 1);          \
            return MPR_TEST_SKIP;                                                                  \
        }                                                                                          \
    } while (0)

static inline int mpr_test_main(int argc, char **argv, const mpr_test_entry *tests, size_t n)
{
    if (mpr_init(&argc, &argv) != MPR_OK) {
        fprintf(stderr, "mpr_init: %s\n", mpr_last_error());
        return 1;
    }
    const char *want = argc > 1 ? argv[1] : "";
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tests[i].name, want) != 0)
            continue;
        int rc = tests[i].fn();
        if (mpr_finalize() != MPR_OK) {
            fprintf(stderr, "mpr_finalize: %s\n", mpr_last_error());
            return 1;
        }
        return rc;
    }
    fprintf(stderr, "no test case '%s'; cases:", want);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", tests[i].name);
    fprintf(stderr, "\n");
    mpr_finalize();
    return 2;
}

#define MPR_TEST_MAIN(...)                                                                         \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const mpr_test_entry tests_[] = {__VA_ARGS__};                                      \
        return mpr_test_main(argc, argv, tests_, sizeof tests_ / sizeof tests_[0]);                \
    }

#endif /* MPR_TEST_H */
