/* test_pool.c — Pool: map (static and dynamic), imap, apply, callbacks,
 * errors, several pools, lifecycle. */
#include "mpr_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

static int square(const void *in, void *out)
{
    int64_t x;
    memcpy(&x, in, sizeof x);
    x *= x;
    memcpy(out, &x, sizeof x);
    return 0;
}

static int fail_on_17(const void *in, void *out)
{
    int64_t x;
    memcpy(&x, in, sizeof x);
    if (x == 17)
        return mpr_raise("seventeen is not allowed");
    return square(in, out);
}

static void check_squares(mpr_pool *p, size_t n, size_t chunksize)
{
    int64_t *in = calloc(n + 1, sizeof *in), *out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        in[i] = (int64_t)i - 3;
        out[i] = -1;
    }
    ASSERT_OK(mpr_pool_map(p, square, in, n, sizeof *in, out, sizeof *out, chunksize));
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(out[i], in[i] * in[i]);
    free(in);
    free(out);
}

MPR_TEST(map_sizes)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    int k = mpr_pool_size(p);
    ASSERT_EQ(k, mpr_size() - 1);
    ASSERT_EQ(mpr_free_workers(), 0);
    size_t sizes[] = {0, 1, (size_t)k - 1, (size_t)k, (size_t)k + 1, 3 * (size_t)k + 2, 1000};
    size_t chunks[] = {0, 1, 3, 64};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
            check_squares(p, sizes[s], chunks[c]);
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_OK(mpr_pool_join(p));
    ASSERT_EQ(mpr_free_workers(), mpr_size() - 1);
    mpr_pool_free(p);
    return 0;
}

MPR_TEST(map_million)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    check_squares(p, 1000000, 0);
    check_squares(p, 1000000, 25000);
    mpr_pool_free(p);
    return 0;
}

typedef struct {
    int32_t a, b;
} pair;

static int multiply(const void *in, void *out)
{
    pair ab;
    memcpy(&ab, in, sizeof ab);
    int64_t r = (int64_t)ab.a * ab.b;
    memcpy(out, &r, sizeof r);
    return 0;
}

MPR_TEST(starmap)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    pair args[50];
    int64_t out[50];
    for (int i = 0; i < 50; i++)
        args[i] = (pair){i, i + 1};
    ASSERT_OK(mpr_pool_starmap(p, multiply, args, 50, sizeof *args, out, sizeof *out, 4));
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(out[i], (int64_t)i * (i + 1));
    mpr_pool_free(p);
    return 0;
}

MPR_TEST(map_errors)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    int64_t in[40], out[40];
    for (int i = 0; i < 40; i++)
        in[i] = i;
    size_t chunks[] = {0, 1, 5};
    for (size_t c = 0; c < 3; c++) {
        memset(out, 0, sizeof out);
        ASSERT_RC(mpr_pool_map(p, fail_on_17, in, 40, sizeof *in, out, sizeof *out, chunks[c]),
                  MPR_ETASK);
        ASSERT_CONTAINS(mpr_last_error(), "item 17");
        ASSERT_CONTAINS(mpr_last_error(), "seventeen is not allowed");
        /* "rank N (host)" of the worker: our host only when all run on one. */
        int wrank = -1;
        char whost[256] = "";
        const char *at = strstr(mpr_last_error(), "rank ");
        ASSERT_TRUE(at && sscanf(at, "rank %d (%255[^)])", &wrank, whost) == 2);
        ASSERT_TRUE(wrank > 0 && wrank < mpr_size() && whost[0] != '\0');
        for (int i = 0; i < 40; i++) /* the other items were computed */
            if (i != 17)
                ASSERT_EQ(out[i], (int64_t)i * i);
        /* Nothing of the failed map leaks into the next one. */
        check_squares(p, 100, chunks[c]);
    }
    mpr_pool_free(p);
    return 0;
}

MPR_TEST(imap)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    int64_t in[100];
    for (int i = 0; i < 100; i++)
        in[i] = i;
    mpr_imap *it;
    ASSERT_OK(mpr_pool_imap(p, square, in, 100, sizeof *in, sizeof(int64_t), 3, 1, &it));
    for (size_t i = 0; i < 100; i++) {
        int64_t v;
        size_t index = 999;
        ASSERT_OK(mpr_imap_next(it, &v, &index, 30));
        ASSERT_EQ(index, i);
        ASSERT_EQ(v, (int64_t)(i * i));
    }
    int64_t v;
    ASSERT_RC(mpr_imap_next(it, &v, NULL, 0), MPR_EOF);
    mpr_imap_free(it);

    /* Unordered: every index exactly once, each with its own result. */
    ASSERT_OK(mpr_pool_imap(p, fail_on_17, in, 100, sizeof *in, sizeof(int64_t), 1, 0, &it));
    int seen[100] = {0}, failures = 0;
    for (int n = 0; n < 100; n++) {
        size_t index = 999;
        int rc = mpr_imap_next(it, &v, &index, 30);
        ASSERT_TRUE(index < 100);
        seen[index]++;
        if (rc == MPR_ETASK) {
            failures++;
            ASSERT_EQ(index, 17);
            continue;
        }
        ASSERT_OK(rc);
        ASSERT_EQ(v, (int64_t)(index * index));
    }
    ASSERT_EQ(failures, 1);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(seen[i], 1);
    ASSERT_RC(mpr_imap_next(it, &v, NULL, 0), MPR_EOF);
    mpr_imap_free(it);
    mpr_pool_free(p);
    return 0;
}

static int echo_twice(const void *arg, size_t len)
{
    char buf[256];
    if (len * 2 > sizeof buf)
        return mpr_raise("argument of %zu bytes is too long", len);
    memcpy(buf, arg, len);
    memcpy(buf + len, arg, len);
    return mpr_task_return(buf, 2 * len) == MPR_OK ? 0 : 2;
}

static int slow_task(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    usleep(300000);
    return 0;
}

typedef struct {
    int ok, failed;
    char last[1024], error[1024];
} tally;

static void on_result(const void *result, size_t len, void *user)
{
    tally *t = user;
    t->ok++;
    snprintf(t->last, sizeof t->last, "%.*s", (int)len, (const char *)result);
}

static void on_error(int code, const char *message, void *user)
{
    tally *t = user;
    ASSERT_EQ(code, MPR_ETASK);
    t->failed++;
    snprintf(t->error, sizeof t->error, "%s", message);
}

MPR_TEST(apply)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    char res[64];
    size_t len = 0;
    ASSERT_OK(mpr_pool_apply(p, echo_twice, "ab", 2, res, sizeof res, &len));
    ASSERT_EQ(len, 4);
    ASSERT_TRUE(memcmp(res, "abab", 4) == 0);
    ASSERT_RC(mpr_pool_apply(p, echo_twice, "abc", 3, res, 2, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    ASSERT_RC(mpr_task_return("x", 1), MPR_ESTATE); /* not inside a task */

    tally t = {0};
    mpr_async *a[8];
    char xy[200] = "xy"; /* task 5 sends all 200 bytes: too long for echo_twice */
    for (int i = 0; i < 8; i++)
        ASSERT_OK(mpr_pool_apply_async(p, echo_twice, xy, i == 5 ? 200 : 2, on_result, on_error, &t,
                                       &a[i]));
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(mpr_async_wait(a[i], 30));
        ASSERT_EQ(mpr_async_ready(a[i]), 1);
        ASSERT_EQ(mpr_async_successful(a[i]), i != 5);
        int rc = mpr_async_get(a[i], res, sizeof res, &len, 0);
        ASSERT_EQ(rc, i == 5 ? MPR_ETASK : MPR_OK);
        if (i == 5)
            ASSERT_CONTAINS(mpr_last_error(), "argument of 200 bytes is too long");
        mpr_async_free(a[i]);
    }
    ASSERT_EQ(t.ok, 7);
    ASSERT_EQ(t.failed, 1);

    mpr_async *slow;
    ASSERT_OK(mpr_pool_apply_async(p, slow_task, NULL, 0, NULL, NULL, NULL, &slow));
    ASSERT_EQ(mpr_async_ready(slow), 0);
    ASSERT_RC(mpr_async_successful(slow), MPR_ESTATE);
    ASSERT_RC(mpr_async_get(slow, res, sizeof res, &len, 0.01), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_async_get(slow, res, sizeof res, &len, -1));
    ASSERT_EQ(len, 0); /* Python's None */
    mpr_async_free(slow);
    mpr_pool_free(p);
    return 0;
}

static void map_done(const void *result, size_t len, void *user)
{
    const int64_t *v = result;
    int64_t *sum = user;
    for (size_t i = 0; i < len / sizeof *v; i++)
        *sum += v[i];
}

MPR_TEST(map_async)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    int64_t in[64], out[64], out2[64], sum = 0;
    for (int i = 0; i < 64; i++)
        in[i] = i;
    mpr_async *a;
    ASSERT_OK(mpr_pool_map_async(p, square, in, 64, sizeof *in, out, sizeof *out, 0, NULL, NULL,
                                 NULL, &a));
    in[0] = 1000; /* the input was copied */
    ASSERT_OK(mpr_async_get(a, NULL, 0, NULL, 30));
    ASSERT_EQ(mpr_async_successful(a), 1);
    mpr_async_free(a);
    for (int i = 0; i < 64; i++)
        ASSERT_EQ(out[i], (int64_t)i * i);
    in[0] = 0;
    /* Fire and forget: the callback gets every result; join waits for it. */
    ASSERT_OK(mpr_pool_map_async(p, square, in, 64, sizeof *in, out2, sizeof *out2, 5, map_done,
                                 NULL, &sum, NULL));
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_OK(mpr_pool_join(p));
    ASSERT_EQ(sum, 63 * 64 * 127 / 6);
    mpr_pool_free(p);
    return 0;
}

MPR_TEST(callbacks)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    int64_t in[40], out[40];
    for (int i = 0; i < 40; i++)
        in[i] = i;
    tally t = {0};
    /* A failing map reaches the error callback with the first failure. */
    ASSERT_OK(mpr_pool_map_async(p, fail_on_17, in, 40, sizeof *in, out, sizeof *out, 4, NULL,
                                 on_error, &t, NULL));
    ASSERT_OK(mpr_pool_apply_async(p, echo_twice, "hi", 2, on_result, on_error, &t, NULL));
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_OK(mpr_pool_join(p)); /* callbacks run on rank 0 inside pool calls */
    ASSERT_EQ(t.failed, 1);
    ASSERT_CONTAINS(t.error, "item 17");
    ASSERT_EQ(t.ok, 1);
    ASSERT_STR_EQ(t.last, "hihi");
    mpr_pool_free(p);
    return 0;
}

MPR_TEST(lifecycle)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p = (mpr_pool *)1;
    int workers = mpr_free_workers();
    ASSERT_RC(mpr_pool_new(&p, workers + 1), MPR_ENORANK);
    ASSERT_TRUE(p == NULL);
    char hint[64];
    snprintf(hint, sizeof hint, "mpirun -n %d", mpr_size() + 1);
    ASSERT_CONTAINS(mpr_last_error(), hint);
    ASSERT_RC(mpr_pool_new(&p, -1), MPR_EINVAL);
    ASSERT_OK(mpr_pool_new(&p, 1));
    ASSERT_EQ(mpr_free_workers(), workers - 1);
    ASSERT_RC(mpr_pool_join(p), MPR_ESTATE);
    int64_t in[4] = {1, 2, 3, 4}, out[4];
    ASSERT_RC(mpr_pool_map(p, square, in, 4, 0, out, sizeof *out, 0), MPR_EINVAL);
    ASSERT_RC(mpr_pool_map(p, square, NULL, 4, 8, out, sizeof *out, 0), MPR_EINVAL);
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_RC(mpr_pool_map(p, square, in, 4, sizeof *in, out, sizeof *out, 0), MPR_ECLOSED);
    ASSERT_RC(mpr_pool_apply_async(p, slow_task, NULL, 0, NULL, NULL, NULL, NULL), MPR_ECLOSED);
    ASSERT_OK(mpr_pool_join(p));
    ASSERT_EQ(mpr_free_workers(), workers);
    mpr_pool_free(p);

    /* terminate drops what has not started and gives the ranks back. */
    ASSERT_OK(mpr_pool_new(&p, 1));
    tally t = {0};
    for (int i = 0; i < 5; i++)
        ASSERT_OK(mpr_pool_apply_async(p, slow_task, NULL, 0, NULL, on_error, &t, NULL));
    ASSERT_OK(mpr_pool_terminate(p));
    ASSERT_TRUE(t.failed >= 3);
    ASSERT_CONTAINS(t.error, "terminated");
    ASSERT_EQ(mpr_free_workers(), workers);
    mpr_pool_free(p);
    return 0;
}

/* Two pools at once on disjoint ranks (seed 003's producer and consumer pools). */
MPR_TEST(two_pools)
{
    MPR_TEST_NEED_WORKERS(2);
    int workers = mpr_free_workers();
    mpr_pool *a, *b;
    ASSERT_OK(mpr_pool_new(&a, workers / 2));
    ASSERT_OK(mpr_pool_new(&b, 0));
    ASSERT_EQ(mpr_pool_size(a) + mpr_pool_size(b), workers);
    mpr_async *slow;
    ASSERT_OK(mpr_pool_apply_async(a, slow_task, NULL, 0, NULL, NULL, NULL, &slow));
    check_squares(b, 5000, 0);
    check_squares(a, 300, 7);
    check_squares(b, 300, 0);
    ASSERT_OK(mpr_async_get(slow, NULL, 0, &(size_t){0}, -1));
    mpr_async_free(slow);
    mpr_pool_free(a);
    mpr_pool_free(b);
    ASSERT_EQ(mpr_free_workers(), workers);
    return 0;
}

static int64_t worker_base = -1;

static int set_base(const void *arg, size_t len)
{
    ASSERT_EQ(len, sizeof worker_base);
    memcpy(&worker_base, arg, len);
    return 0;
}

static int add_base_and_count(const void *in, void *out)
{
    int64_t x;
    memcpy(&x, in, sizeof x);
    x += worker_base++;
    memcpy(out, &x, sizeof x);
    return 0;
}

MPR_TEST(initializer)
{
    MPR_TEST_NEED_WORKERS(1);
    int64_t base = 1000;
    mpr_pool_options opts = {.initializer = set_base,
                             .initarg = &base,
                             .initarg_len = sizeof base,
                             .maxtasksperchild = 1,
                             .progress = 0};
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new_opts(&p, 1, &opts));
    int64_t in[10] = {0}, out[10];
    /* chunksize 1 and maxtasksperchild 1: every item sees a fresh base. */
    ASSERT_OK(mpr_pool_map(p, add_base_and_count, in, 10, sizeof *in, out, sizeof *out, 1));
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(out[i], 1000);
    mpr_pool_free(p);
    opts.maxtasksperchild = 0;
    ASSERT_OK(mpr_pool_new_opts(&p, 1, &opts));
    ASSERT_OK(mpr_pool_map(p, add_base_and_count, in, 10, sizeof *in, out, sizeof *out, 1));
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(out[i], 1000 + i);
    mpr_pool_free(p);
    return 0;
}

static int slow_square(const void *in, void *out)
{
    usleep(2000);
    return square(in, out);
}

/* progress 1: rank 0 keeps a progress line on stderr, ending at 100%. */
MPR_TEST(progress_line)
{
    MPR_TEST_NEED_WORKERS(1);
    char path[] = "/tmp/mpr-progress-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    mpr_pool_options opts = {.progress = 1};
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new_opts(&p, 0, &opts));
    int64_t in[200], out[200];
    for (int i = 0; i < 200; i++)
        in[i] = i;
    fflush(stderr);
    int saved = dup(2);
    ASSERT_TRUE(freopen(path, "w", stderr) != NULL);
    int rc = mpr_pool_map(p, slow_square, in, 200, sizeof *in, out, sizeof *out, 2);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ASSERT_OK(rc);
    mpr_pool_free(p);
    char text[8192] = {0};
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    unlink(path);
    ASSERT_TRUE(n > 0);
    ASSERT_CONTAINS(text, "mpr map: 200/200 items (100%)");
    ASSERT_CONTAINS(text, "items/s, ETA");
    return 0;
}

/* Every pool rank and rank 0 run the function together on the pool's
 * communicator: an MPI_Allreduce over it sees all of them. */
static int sum_ranks(MPI_Comm comm, const void *arg, size_t len)
{
    int me, size, sum = 0, want;
    MPI_Comm_rank(comm, &me);
    MPI_Comm_size(comm, &size);
    MPI_Allreduce(&me, &sum, 1, MPI_INT, MPI_SUM, comm);
    memcpy(&want, arg, len);
    if (size != want)
        return mpr_raise("communicator has %d ranks, expected %d", size, want);
    if (sum != size * (size - 1) / 2)
        return mpr_raise("sum of ranks %d", sum);
    return me == 2 && want == 999 ? mpr_raise("never") : 0;
}

static int fail_on_rank_1(MPI_Comm comm, const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    int me;
    MPI_Comm_rank(comm, &me);
    return me == 1 ? mpr_raise("rank 1 refuses") : 0;
}

MPR_TEST(spmd)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    int want = mpr_pool_size(p) + 1;
    ASSERT_OK(mpr_pool_spmd(p, sum_ranks, &want, sizeof want));
    ASSERT_RC(mpr_pool_spmd(p, fail_on_rank_1, NULL, 0), MPR_ETASK);
    ASSERT_CONTAINS(mpr_last_error(), "rank 1 refuses");
    check_squares(p, 100, 0); /* the pool goes on */
    mpr_pool_free(p);
    return 0;
}

/* A task that puts its item's square on the queue named in the item. */
typedef struct {
    mpr_queue q;
    int64_t x;
} put_item;

static int put_square(const void *in, void *out)
{
    put_item it;
    memcpy(&it, in, sizeof it);
    int64_t sq = it.x * it.x;
    memcpy(out, &sq, sizeof sq);
    return mpr_queue_put_i64(it.q, sq, -1) == MPR_OK ? 0 : mpr_raise("put failed");
}

/* Puts by tasks are posted (posted.c), yet when map returns every item is
 * in the queue: rank 0 waits until its service has served the posts each
 * result reports. Static and dynamic maps, and apply. */
MPR_TEST(tasks_puts_arrive)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    mpr_queue q;
    ASSERT_OK(mpr_queue_new(&q, 0));
    enum { N = 500 };
    put_item *in = calloc(N, sizeof *in);
    int64_t *out = calloc(N, sizeof *out);
    for (int64_t i = 0; i < N; i++)
        in[i] = (put_item){q, i};
    size_t chunksizes[] = {0, 7};
    for (int c = 0; c < 2; c++) {
        ASSERT_OK(mpr_pool_map(p, put_square, in, N, sizeof *in, out, sizeof *out, chunksizes[c]));
        ASSERT_EQ(mpr_queue_qsize(q), N); /* at once, no waiting */
        int64_t sum = 0, v = 0;
        for (int i = 0; i < N; i++) {
            ASSERT_OK(mpr_queue_get_i64(q, &v, 0));
            sum += v;
        }
        ASSERT_EQ(sum, (int64_t)(N - 1) * N * (2 * N - 1) / 6);
    }
    free(in);
    free(out);
    mpr_queue_free(q);
    mpr_pool_free(p);
    return 0;
}

/* Chunks of 400 KB, over Open MPI's eager limit, given ahead to workers
 * that compute: the sends must not block rank 0 while a worker blocks
 * sending its 400 KB result back (a deadlock before sends were Isends). */
MPR_TEST(map_big_chunks)
{
    MPR_TEST_NEED_WORKERS(1);
    enum { CHUNK = 50000, N = 12 * CHUNK };
    int64_t *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
    for (int64_t i = 0; i < N; i++)
        in[i] = i;
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    ASSERT_OK(mpr_pool_map(p, square, in, N, sizeof *in, out, sizeof *out, CHUNK));
    for (int64_t i = 0; i < N; i++)
        if (out[i] != i * i)
            ASSERT_EQ(out[i], i * i);
    mpr_pool_free(p);
    free(in);
    free(out);
    return 0;
}

/* Item 0 is slow (2 s), the other items instant. */
static int slow_first_rank(const void *in, void *out)
{
    int64_t i, rank = mpr_rank();
    memcpy(&i, in, sizeof i);
    if (i == 0)
        usleep(2000000);
    memcpy(out, &rank, sizeof rank);
    return 0;
}

/* Prefetch (pool.c): with chunksize 1 on 2 workers, the first dispatch
 * gives each worker a second item ahead, so item 2 waits behind the slow
 * item 0 on its rank while the other worker does every later item (the
 * tail is never given ahead). With MPR_POOL_PREFETCH=0 a worker gets an
 * item only when idle: the other worker does items 1..7. */
MPR_TEST(prefetch)
{
    MPR_TEST_NEED_WORKERS(2);
    const char *env = getenv("MPR_POOL_PREFETCH");
    bool ahead = !(env && strcmp(env, "0") == 0);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 2));
    enum { N = 8 };
    int64_t in[N], rank_of[N];
    for (int64_t i = 0; i < N; i++)
        in[i] = i;
    ASSERT_OK(mpr_pool_map(p, slow_first_rank, in, N, sizeof *in, rank_of, sizeof *rank_of, 1));
    int64_t slow = rank_of[0], other = rank_of[1];
    ASSERT_TRUE(slow != other);
    ASSERT_EQ(rank_of[2], ahead ? slow : other);
    for (int i = 3; i < N; i++)
        ASSERT_EQ(rank_of[i], other);
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_OK(mpr_pool_join(p));
    mpr_pool_free(p);
    return 0;
}

typedef struct {
    mpr_async *r;
    int calls;
} self_freeing;

static void free_own_handle(const void *result, size_t len, void *user)
{
    (void)result;
    (void)len;
    self_freeing *c = user;
    c->calls++;
    mpr_async_free(c->r); /* as Python drops its last reference in a callback */
    c->r = NULL;
}

/* A callback may free its own result's handle: the pool does not touch the
 * job after. Under ASan this was a use-after-free in the pool's result
 * path. */
MPR_TEST(callbacks_free)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_pool *p;
    ASSERT_OK(mpr_pool_new(&p, 0));
    self_freeing c[20] = {{0}};
    for (int i = 0; i < 20; i++)
        ASSERT_OK(
            mpr_pool_apply_async(p, echo_twice, "ab", 2, free_own_handle, NULL, &c[i], &c[i].r));
    for (int i = 0; i < 100; i++) /* n == 0: done at once, nobody holds it */
        ASSERT_OK(mpr_pool_map_async(p, square, NULL, 0, 4, NULL, 4, 0, NULL, NULL, NULL, NULL));
    mpr_async *last;
    ASSERT_OK(mpr_pool_apply_async(p, echo_twice, "y", 1, NULL, NULL, NULL, &last));
    ASSERT_OK(mpr_async_wait(last, -1));
    mpr_async_free(last);
    ASSERT_OK(mpr_pool_close(p));
    ASSERT_OK(mpr_pool_join(p));
    for (int i = 0; i < 20; i++) {
        ASSERT_EQ(c[i].calls, 1);
        ASSERT_TRUE(c[i].r == NULL);
    }
    mpr_pool_free(p);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(map_sizes), MPR_TEST_ENTRY(map_million), MPR_TEST_ENTRY(starmap),
              MPR_TEST_ENTRY(map_errors), MPR_TEST_ENTRY(imap), MPR_TEST_ENTRY(apply),
              MPR_TEST_ENTRY(map_async), MPR_TEST_ENTRY(callbacks), MPR_TEST_ENTRY(lifecycle),
              MPR_TEST_ENTRY(two_pools), MPR_TEST_ENTRY(initializer), MPR_TEST_ENTRY(progress_line),
              MPR_TEST_ENTRY(spmd), MPR_TEST_ENTRY(tasks_puts_arrive), MPR_TEST_ENTRY(prefetch),
              MPR_TEST_ENTRY(map_big_chunks), MPR_TEST_ENTRY(callbacks_free))
