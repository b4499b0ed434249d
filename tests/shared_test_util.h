/*
 * shared_test_util.h — what test_shared.c and test_lock.c share: start n
 * children on one argument and join them, and the mode of the run.
 */
#ifndef SHARED_TEST_UTIL_H
#define SHARED_TEST_UTIL_H

#include "mpr_test.h"

/* Starts n Processes of fn with the same argument bytes, joins them all
 * and checks each exited with 0. */
static inline void run_children(int n, mpr_target fn, const void *arg, size_t len)
{
    mpr_process *p[64];
    ASSERT_TRUE(n <= 64);
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_new(&p[i], fn, arg, len));
        ASSERT_OK(mpr_process_start(p[i]));
    }
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        if (mpr_process_exitcode(p[i]) != 0)
            fprintf(stderr, "child %d: %s\n", i, mpr_process_error(p[i]));
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
}

/* 1 when every rank is its own node (the cross-node path). */
static inline int split_by_rank(void)
{
    const char *s = getenv("MPR_NODE_SPLIT");
    return s && strcmp(s, "rank") == 0;
}

/* An int64 Value's value. */
static inline int64_t load_i64(mpr_value v)
{
    int64_t x = 0;
    ASSERT_OK(mpr_value_load(v, &x));
    return x;
}

/* iters times: with l held, *v = *v + 1 as a load and a store (an int64
 * Value): the locked version of the bank-balance race. */
static inline void locked_increments(mpr_lock l, mpr_value v, int iters)
{
    for (int i = 0; i < iters; i++) {
        int64_t x;
        ASSERT_OK(mpr_lock_acquire(l, -1));
        ASSERT_OK(mpr_value_load(v, &x));
        x++;
        ASSERT_OK(mpr_value_store(v, &x));
        ASSERT_OK(mpr_lock_release(l));
    }
}

/* Copies a child's argument into *dst, failing the child on a size mismatch. */
#define CHILD_ARG(dst, arg, len)                                                                   \
    do {                                                                                           \
        if ((len) != sizeof(dst))                                                                  \
            return mpr_raise("argument is %zu bytes, expected %zu", (size_t)(len), sizeof(dst));   \
        memcpy(&(dst), (arg), sizeof(dst));                                                        \
    } while (0)

#endif
