/* test_stress.c — bounded load: a million queue items, a million locked
 * updates, ten million map items, thousands of short-lived Processes.
 * Each case stays within a minute on 2 cores (label "stress"). */
#include "mpr_test.h"

#include <stdint.h>

/* --------------------------------------------- 1,000,000 queue items */

typedef struct {
    mpr_queue q, results;
    int id, items;
} role;

static int produce(const void *arg, size_t len)
{
    role r;
    memcpy(&r, arg, len);
    for (int i = 0; i < r.items; i++) {
        int64_t v = (int64_t)r.id * 10000000 + i;
        if (mpr_queue_put_i64(r.q, v, -1) != MPR_OK)
            return mpr_raise("put: %s", mpr_last_error());
    }
    return 0;
}

static int consume(const void *arg, size_t len)
{
    role r;
    memcpy(&r, arg, len);
    int64_t count = 0, sum = 0, v, last[3] = {-1, -1, -1};
    while (mpr_queue_get_i64(r.q, &v, -1) == MPR_OK && v >= 0) {
        int64_t producer = v / 10000000, seq = v % 10000000;
        if (producer > 2 || seq <= last[producer])
            return mpr_raise("item %lld after %lld of producer %lld: out of order", (long long)seq,
                             (long long)last[producer], (long long)producer);
        last[producer] = seq;
        count++;
        sum += v;
    }
    int64_t t[2] = {count, sum};
    return mpr_queue_put(r.results, t, sizeof t, -1) == MPR_OK ? 0 : 2;
}

/* 3 producers x 3 consumers, 1e6 items through one queue of maxsize:
 * every item exactly once (count, sum), in order per producer. */
static int queue_million(size_t maxsize)
{
    MPR_TEST_NEED_WORKERS(6);
    int total = 1000000;
#ifdef MPR_TEST_SANITIZED
    total /= 10; /* every message is ~10x slower under ASan; the dev build runs it whole */
#endif
    int per = total / 3;
    mpr_queue q, results;
    ASSERT_OK(mpr_queue_new(&q, maxsize));
    ASSERT_OK(mpr_queue_new(&results, 0));
    mpr_process *p[6];
    int64_t want_sum = 0;
    for (int i = 0; i < 3; i++) {
        int items = i == 2 ? total - 2 * per : per;
        role r = {q, results, i, items};
        for (int k = 0; k < items; k++)
            want_sum += (int64_t)i * 10000000 + k;
        ASSERT_OK(mpr_process_new(&p[i], produce, &r, sizeof r));
        ASSERT_OK(mpr_process_new(&p[3 + i], consume, &r, sizeof r));
    }
    for (int i = 0; i < 6; i++)
        ASSERT_OK(mpr_process_start(p[i]));
    for (int i = 0; i < 3; i++)
        ASSERT_OK(mpr_process_join(p[i], -1));
    for (int i = 0; i < 3; i++)
        ASSERT_OK(mpr_queue_put_i64(q, -1, -1));
    int64_t count = 0, sum = 0;
    for (int i = 3; i < 6; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        int64_t t[2];
        size_t n;
        ASSERT_OK(mpr_queue_get(results, t, sizeof t, &n, 0));
        count += t[0];
        sum += t[1];
    }
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
    ASSERT_EQ(count, total);
    ASSERT_EQ(sum, want_sum);
    ASSERT_EQ(mpr_queue_qsize(q), 0);
    ASSERT_OK(mpr_queue_free(q));
    ASSERT_OK(mpr_queue_free(results));
    return 0;
}

MPR_TEST(queue_million) { return queue_million(10000); }
MPR_TEST(queue_million_unbounded) { return queue_million(0); }
MPR_TEST(queue_million_max1) { return queue_million(1); }
MPR_TEST(queue_million_max10) { return queue_million(10); }

/* ---------------------------------------- 1,000,000 locked updates */

typedef struct {
    mpr_value v;
    int n;
} adder;

static int add_locked(const void *arg, size_t len)
{
    adder a;
    memcpy(&a, arg, len);
    mpr_lock l;
    if (mpr_value_get_lock(a.v, &l) != MPR_OK)
        return 2;
    for (int i = 0; i < a.n; i++) {
        int64_t x;
        if (mpr_lock_acquire(l, -1) != MPR_OK)
            return 3;
        mpr_value_load(a.v, &x);
        x++;
        mpr_value_store(a.v, &x);
        mpr_lock_release(l);
    }
    return 0;
}

MPR_TEST(locked_million)
{
    MPR_TEST_NEED_WORKERS(3);
    int workers = 3, total = 1000000;
#ifdef MPR_TEST_SANITIZED
    total /= 20;
#endif
    mpr_value v;
    int64_t zero = 0;
    ASSERT_OK(mpr_value_new(&v, 'q', &zero, 1));
    mpr_process *p[4];
    /* Three workers and the parent: four ranks update the one value. */
    adder a = {v, total / 4};
    for (int i = 0; i < workers; i++) {
        ASSERT_OK(mpr_process_new(&p[i], add_locked, &a, sizeof a));
        ASSERT_OK(mpr_process_start(p[i]));
    }
    ASSERT_EQ(add_locked(&a, sizeof a), 0);
    for (int i = 0; i < workers; i++) {
        ASSERT_OK(mpr_process_join(p[i], -1));
        ASSERT_EQ(mpr_process_exitcode(p[i]), 0);
        mpr_process_free(p[i]);
    }
    int64_t x;
    ASSERT_OK(mpr_value_load(v, &x));
    ASSERT_EQ(x, total);
    return 0;
}

/* ------------------------------------------- 10,000,000 map items */

/* A load's size: a tenth under the sanitizers, which run 10x slower. */
static size_t sized(size_t n)
{
#ifdef MPR_TEST_SANITIZED
    return n / 10;
#else
    return n;
#endif
}

static int triple(const void *in, void *out)
{
    int32_t x;
    memcpy(&x, in, sizeof x);
    x = 3 * x + 1;
    memcpy(out, &x, sizeof x);
    return 0;
}

MPR_TEST(map_ten_million)
{
    MPR_TEST_NEED_WORKERS(1);
    size_t n = sized(10000000);
    int32_t *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
    for (size_t i = 0; i < n; i++)
        in[i] = (int32_t)(i % 1000003);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    ASSERT_OK(mpr_pool_map(p, triple, in, n, sizeof *in, out, sizeof *out, 0));
    for (size_t i = 0; i < n; i++)
        if (out[i] != 3 * in[i] + 1)
            ASSERT_EQ(out[i], 3 * in[i] + 1);
    ASSERT_OK(mpr_pool_map(p, triple, in, n / 10, sizeof *in, out, sizeof *out, 50000));
    for (size_t i = 0; i < n / 10; i++)
        if (out[i] != 3 * in[i] + 1)
            ASSERT_EQ(out[i], 3 * in[i] + 1);
    mpr_pool_free(p);
    free(in);
    free(out);
    return 0;
}

/* --------------------------------- apply_async with 1e5 results outstanding */

static int plus_one(const void *in, size_t len)
{
    int64_t x;
    if (len != sizeof x)
        return mpr_raise("argument of %zu bytes", len);
    memcpy(&x, in, sizeof x);
    x++;
    return mpr_task_return(&x, sizeof x);
}

/* Every result of 1e5 outstanding apply_async calls comes back right: a
 * third kept and read last first, a third freed before they finish, a
 * third submitted without a handle. Before the pool kept its jobs in a
 * list walked at every submit, dispatch, result and free, 2e4 outstanding
 * took 61 s and 1e5 did not finish in 15 minutes. */
MPR_TEST(apply_async_outstanding)
{
    MPR_TEST_NEED_WORKERS(1);
    int n = (int)sized(100000);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    mpr_async **kept = calloc((size_t)n, sizeof *kept);
    ASSERT_TRUE(kept != NULL);
    for (int64_t i = 0; i < n; i++) {
        mpr_async **out = i % 3 == 2 ? NULL : &kept[i];
        ASSERT_OK(mpr_pool_apply_async(p, plus_one, &i, sizeof i, NULL, NULL, NULL, out));
        if (i % 3 == 1) {
            mpr_async_free(kept[i]);
            kept[i] = NULL;
        }
    }
    for (int64_t i = n - 1; i >= 0; i--) {
        if (!kept[i])
            continue;
        int64_t x = 0;
        size_t len = 0;
        ASSERT_OK(mpr_async_get(kept[i], &x, sizeof x, &len, -1));
        ASSERT_EQ(len, sizeof x);
        ASSERT_EQ(x, i + 1);
        mpr_async_free(kept[i]);
    }
    free(kept);
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_OK(mpr_pool_join(p));
    mpr_pool_free(p);
    return 0;
}

/* ------------------------------------- short-lived Processes in a loop */

static int nothing(const void *arg, size_t len)
{
    (void)arg;
    return (int)len;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

MPR_TEST(process_churn)
{
    MPR_TEST_NEED_WORKERS(1);
    int workers = mpr_free_workers();
    long rss_after_warmup = 0;
    for (int round = 0; round < 5000; round++) {
        int k = round % workers + 1;
        mpr_process *p[64];
        for (int i = 0; i < k && i < 64; i++) {
            ASSERT_OK(mpr_process_new(&p[i], nothing, "abc", (size_t)(i % 3)));
            ASSERT_OK(mpr_process_start(p[i]));
        }
        for (int i = 0; i < k && i < 64; i++) {
            ASSERT_OK(mpr_process_join(p[i], -1));
            ASSERT_EQ(mpr_process_exitcode(p[i]), i % 3);
            mpr_process_free(p[i]);
        }
        if (round == 500)
            rss_after_warmup = rss_kib();
    }
    ASSERT_EQ(mpr_free_workers(), workers); /* every rank came back */
    long growth = rss_kib() - rss_after_warmup;
    printf("rank 0 RSS grew by %ld KiB over 4500 rounds\n", growth);
#ifndef MPR_TEST_SANITIZED /* ASan's quarantine keeps freed memory resident; LSan checks leaks */
    ASSERT_TRUE(growth < 4096); /* no per-process leak: 4500 rounds x even 1 KiB = 4.4 MiB */
#endif
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(queue_million), MPR_TEST_ENTRY(queue_million_unbounded),
              MPR_TEST_ENTRY(queue_million_max1), MPR_TEST_ENTRY(queue_million_max10),
              MPR_TEST_ENTRY(locked_million), MPR_TEST_ENTRY(map_ten_million),
              MPR_TEST_ENTRY(process_churn), MPR_TEST_ENTRY(apply_async_outstanding))
