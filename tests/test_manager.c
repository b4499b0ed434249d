/*
 * test_manager.c — Manager: list, dict, Value, Lock/RLock and Queue served
 * by rank 0 for every rank; each error code; shutdown; many clients.
 */
#include "mpr_test.h"

#include <stdint.h>
#include <unistd.h>

/* Everything a worker needs, copied into its argument bytes. */
typedef struct {
    mpr_list list;
    mpr_dict dict;
    mpr_mvalue value;
    mpr_mlock lock, lock2;
    mpr_queue queue;
    int64_t id, steps, nproducers;
} margs;

/* Starts n Processes of fn with a->id = 0..n-1 and joins them all. */
static void run_all(mpr_target fn, margs *a, int n)
{
    mpr_process *ps[16] = {NULL};
    ASSERT_TRUE(n <= 16);
    for (int i = 0; i < n; i++) {
        a->id = i;
        ASSERT_OK(mpr_process_new(&ps[i], fn, a, sizeof *a));
        ASSERT_OK(mpr_process_start(ps[i]));
    }
    for (int i = 0; i < n; i++) {
        ASSERT_OK(mpr_process_join(ps[i], -1));
        ASSERT_EQ(mpr_process_exitcode(ps[i]), 0);
        mpr_process_free(ps[i]);
    }
}

static margs unpack(const void *arg, size_t len)
{
    margs a;
    UNPACK_ARG(a, arg, len);
    return a;
}

MPR_TEST(start_shutdown)
{
    mpr_manager *m = NULL, *other = NULL;
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_start(&other));
    margs a = {0};
    mpr_list kept;
    ASSERT_OK(mpr_manager_list(m, &a.list));
    ASSERT_OK(mpr_manager_dict(m, &a.dict));
    ASSERT_OK(mpr_manager_value_i64(m, &a.value, 5));
    ASSERT_OK(mpr_manager_lock(m, &a.lock));
    ASSERT_OK(mpr_manager_queue(m, &a.queue, 0));
    ASSERT_OK(mpr_manager_list(other, &kept));
    ASSERT_OK(mpr_list_append_i64(a.list, 1));
    ASSERT_OK(mpr_list_append_i64(kept, 2));
    ASSERT_OK(mpr_queue_put_i64(a.queue, 3, -1));

    ASSERT_OK(mpr_manager_shutdown(m));
    /* Every handle of the shut-down manager answers MPR_ECLOSED. */
    int64_t v;
    char buf[8];
    size_t len;
    ASSERT_RC(mpr_list_append_i64(a.list, 1), MPR_ECLOSED);
    ASSERT_CONTAINS(mpr_last_error(), "shut down");
    ASSERT_RC(mpr_list_len(a.list), MPR_ECLOSED);
    ASSERT_RC(mpr_dict_get(a.dict, "k", 2, buf, sizeof buf, &len), MPR_ECLOSED);
    ASSERT_RC(mpr_mvalue_get_i64(a.value, &v), MPR_ECLOSED);
    ASSERT_RC(mpr_mlock_acquire(a.lock, 1), MPR_ECLOSED);
    ASSERT_RC(mpr_queue_get_i64(a.queue, &v, 1), MPR_ECLOSED);
    ASSERT_RC(mpr_queue_put_i64(a.queue, 1, 0), MPR_ECLOSED);
    ASSERT_RC(mpr_manager_list(m, &a.list), MPR_ECLOSED);
    ASSERT_RC(mpr_manager_queue(m, &a.queue, 0), MPR_ECLOSED);
    ASSERT_RC(mpr_manager_shutdown(m), MPR_ECLOSED);
    /* The other manager is untouched. */
    ASSERT_OK(mpr_list_get_i64(kept, 0, &v));
    ASSERT_EQ(v, 2);
    mpr_manager_free(m);
    mpr_manager_free(other); /* shuts down */
    ASSERT_RC(mpr_list_len(kept), MPR_ECLOSED);
    mpr_manager_free(NULL);
    return 0;
}

MPR_TEST(list_ops)
{
    mpr_manager *m;
    mpr_list l;
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_list(m, &l));
    ASSERT_EQ(mpr_list_len(l), 0);
    int64_t init[] = {2, 3, 4, 5};
    ASSERT_OK(mpr_list_extend(l, init, sizeof init[0], 4));
    ASSERT_OK(mpr_list_append_i64(l, 6));
    ASSERT_EQ(mpr_list_len(l), 5);
    int64_t v;
    ASSERT_OK(mpr_list_get_i64(l, -1, &v));
    ASSERT_EQ(v, 6);
    ASSERT_OK(mpr_list_set_i64(l, 0, 20));
    int64_t one = 1, ninety = 90;
    ASSERT_OK(mpr_list_insert(l, 0, &one, sizeof one));          /* [1 20 3 4 5 6] */
    ASSERT_OK(mpr_list_insert(l, 100, &ninety, sizeof ninety));  /* appends */
    ASSERT_OK(mpr_list_insert(l, -100, &ninety, sizeof ninety)); /* prepends */
    size_t len;
    ASSERT_OK(mpr_list_pop(l, 0, &v, sizeof v, &len));
    ASSERT_EQ(v, 90);
    ASSERT_OK(mpr_list_pop(l, -1, &v, sizeof v, &len));
    ASSERT_EQ(v, 90);
    /* Errors leave the list as it was. */
    ASSERT_RC(mpr_list_get_i64(l, 6, &v), MPR_ERANGE);
    ASSERT_CONTAINS(mpr_last_error(), "out of range");
    ASSERT_RC(mpr_list_get_i64(l, -7, &v), MPR_ERANGE);
    ASSERT_RC(mpr_list_set_i64(l, 6, 0), MPR_ERANGE);
    ASSERT_RC(mpr_list_pop(l, 9, &v, sizeof v, &len), MPR_ERANGE);
    ASSERT_OK(mpr_list_append_str(l, "a longer item"));
    char small[4];
    len = 0;
    ASSERT_RC(mpr_list_get(l, -1, small, sizeof small, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 14);
    ASSERT_RC(mpr_list_pop(l, -1, small, sizeof small, &len), MPR_ETRUNC);
    ASSERT_EQ(mpr_list_len(l), 7);
    char text[32];
    ASSERT_OK(mpr_list_get_str(l, 6, text, sizeof text));
    ASSERT_STR_EQ(text, "a longer item");
    ASSERT_RC(mpr_list_get_i64(l, 6, &v), MPR_ETRUNC); /* 14 bytes into 8 */
    ASSERT_OK(mpr_list_pop(l, -1, text, sizeof text, &len));

    mpr_items it;
    ASSERT_OK(mpr_list_snapshot(l, &it));
    ASSERT_EQ(it.count, 6);
    int64_t want[] = {1, 20, 3, 4, 5, 6};
    const void *item;
    for (size_t i = 0; i < 6; i++) {
        ASSERT_EQ(mpr_items_next(&it, &item, &len), 1);
        ASSERT_EQ(len, 8);
        memcpy(&v, item, 8);
        ASSERT_EQ(v, want[i]);
    }
    ASSERT_EQ(mpr_items_next(&it, &item, &len), 0);
    mpr_items_free(&it);
    ASSERT_OK(mpr_manager_shutdown(m));
    mpr_manager_free(m);
    return 0;
}

MPR_TEST(dict_ops)
{
    mpr_manager *m;
    mpr_dict d;
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_dict(m, &d));
    char buf[64];
    size_t len;
    int64_t v;
    ASSERT_RC(mpr_dict_get_str(d, "sam", buf, sizeof buf), MPR_ENOTFOUND);
    ASSERT_CONTAINS(mpr_last_error(), "'sam'");
    ASSERT_RC(mpr_dict_delete(d, "sam", 4), MPR_ENOTFOUND);
    ASSERT_OK(mpr_dict_set_i64(d, "sam", 10));
    ASSERT_OK(mpr_dict_set_i64(d, "adam", 9));
    ASSERT_OK(mpr_dict_set_str(d, "kevin", "eight"));
    ASSERT_OK(mpr_dict_set_i64(d, "sam", 11)); /* replaces, keeps its place */
    ASSERT_EQ(mpr_dict_len(d), 3);
    ASSERT_EQ(mpr_dict_contains(d, "adam", 5), 1);
    ASSERT_EQ(mpr_dict_contains(d, "jeff", 5), 0);
    ASSERT_OK(mpr_dict_get_i64(d, "sam", &v));
    ASSERT_EQ(v, 11);
    ASSERT_RC(mpr_dict_get(d, "kevin", 6, buf, 3, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    ASSERT_OK(mpr_dict_get_str(d, "kevin", buf, sizeof buf));
    ASSERT_STR_EQ(buf, "eight");
    /* setdefault: the old value, or the default inserted; a too small
     * buffer inserts nothing. */
    ASSERT_OK(mpr_dict_setdefault(d, "sam", 4, "x", 2, buf, sizeof buf, &len));
    ASSERT_EQ(len, 8);
    ASSERT_RC(mpr_dict_setdefault(d, "jeff", 5, "seven", 6, buf, 2, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    ASSERT_EQ(mpr_dict_contains(d, "jeff", 5), 0);
    ASSERT_OK(mpr_dict_setdefault(d, "jeff", 5, "seven", 6, buf, sizeof buf, &len));
    ASSERT_STR_EQ(buf, "seven");
    ASSERT_OK(mpr_dict_delete(d, "adam", 5));
    ASSERT_EQ(mpr_dict_len(d), 3);

    /* Many keys: the table grows and keeps insertion order. */
    for (int i = 0; i < 300; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        ASSERT_OK(mpr_dict_set_i64(d, k, i));
    }
    mpr_items it;
    ASSERT_OK(mpr_dict_keys(d, &it));
    ASSERT_EQ(it.count, 303);
    const void *item;
    const char *first[] = {"sam", "kevin", "jeff", "k0"};
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ(mpr_items_next(&it, &item, &len), 1);
        ASSERT_STR_EQ((const char *)item, first[i]);
    }
    mpr_items_free(&it);
    ASSERT_OK(mpr_dict_items(d, &it));
    ASSERT_EQ(it.count, 606);
    ASSERT_EQ(mpr_items_next(&it, &item, &len), 1);
    ASSERT_STR_EQ((const char *)item, "sam");
    ASSERT_EQ(mpr_items_next(&it, &item, &len), 1);
    ASSERT_EQ(len, 8);
    memcpy(&v, item, 8);
    ASSERT_EQ(v, 11);
    mpr_items_free(&it);
    ASSERT_OK(mpr_dict_get_i64(d, "k299", &v));
    ASSERT_EQ(v, 299);
    mpr_manager_free(m);
    return 0;
}

MPR_TEST(value_ops)
{
    mpr_manager *m;
    mpr_mvalue v, text;
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_value_i64(m, &v, 0));
    ASSERT_OK(mpr_manager_value(m, &text, "hello", 6));
    int64_t x, old;
    ASSERT_OK(mpr_mvalue_fetch_add_i64(v, 5, &old));
    ASSERT_EQ(old, 0);
    ASSERT_OK(mpr_mvalue_fetch_add_i64(v, -7, NULL));
    ASSERT_OK(mpr_mvalue_get_i64(v, &x));
    ASSERT_EQ(x, -2);
    ASSERT_OK(mpr_mvalue_set_i64(v, 42));
    ASSERT_OK(mpr_mvalue_get_i64(v, &x));
    ASSERT_EQ(x, 42);
    char buf[16];
    size_t len = 0;
    ASSERT_RC(mpr_mvalue_get(text, buf, 3, &len), MPR_ETRUNC);
    ASSERT_EQ(len, 6);
    ASSERT_RC(mpr_mvalue_fetch_add_i64(text, 1, NULL), MPR_EINVAL);
    ASSERT_CONTAINS(mpr_last_error(), "8-byte");
    ASSERT_RC(mpr_mvalue_get_i64(text, &x), MPR_EINVAL);
    ASSERT_OK(mpr_mvalue_get(text, buf, sizeof buf, &len));
    ASSERT_STR_EQ(buf, "hello");
    ASSERT_OK(mpr_mvalue_set(text, "a much longer text", 19));
    char big[32];
    ASSERT_OK(mpr_mvalue_get(text, big, sizeof big, &len));
    ASSERT_EQ(len, 19);
    ASSERT_STR_EQ(big, "a much longer text");
    mpr_manager_free(m);
    return 0;
}

MPR_TEST(bad_handles)
{
    mpr_manager *m;
    ASSERT_OK(mpr_manager_start(&m));
    mpr_list zero = {0};
    ASSERT_RC(mpr_list_len(zero), MPR_EINVAL);
    mpr_dict d;
    ASSERT_OK(mpr_manager_dict(m, &d));
    mpr_list as_list = {d.home, d.kind, d.id};
    ASSERT_RC(mpr_list_len(as_list), MPR_EINVAL);
    mpr_list l;
    ASSERT_OK(mpr_manager_list(m, &l));
    mpr_list forged = l;
    forged.id += 1000;
    ASSERT_RC(mpr_list_len(forged), MPR_ENOTFOUND);
    forged = l;
    forged.kind = d.kind;
    mpr_dict as_dict = {forged.home, forged.kind, forged.id};
    ASSERT_RC(mpr_dict_len(as_dict), MPR_EINVAL); /* the server checks kinds */
    ASSERT_RC(mpr_manager_list(NULL, &l), MPR_EINVAL);
    ASSERT_RC(mpr_manager_start(NULL), MPR_EINVAL);
    mpr_manager_free(m);
    return 0;
}

/* ------------------------------------------------------------------ locks */

static int hold_lock(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    ASSERT_OK(mpr_mlock_acquire(a.lock, -1));
    ASSERT_OK(mpr_mvalue_set_i64(a.value, 1)); /* "I hold it" */
    /* Hold until the parent has seen a timeout, then release. */
    int n;
    while ((n = mpr_list_len(a.list)) == 0)
        ;
    ASSERT_EQ(n, 1);
    ASSERT_OK(mpr_mlock_release(a.lock));
    /* An RLock taken by the parent cannot be released here. */
    ASSERT_RC(mpr_mlock_release(a.lock2), MPR_ESTATE);
    ASSERT_CONTAINS(mpr_last_error(), "only the holder");
    return 0;
}

MPR_TEST(lock_ops)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_manager *m;
    margs a = {0};
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_lock(m, &a.lock));
    ASSERT_OK(mpr_manager_rlock(m, &a.lock2));
    ASSERT_OK(mpr_manager_value_i64(m, &a.value, 0));
    ASSERT_OK(mpr_manager_list(m, &a.list));
    /* Lock: not reentrant; release of an unheld lock is an error. */
    ASSERT_RC(mpr_mlock_release(a.lock), MPR_ESTATE);
    ASSERT_OK(mpr_mlock_acquire(a.lock, -1));
    ASSERT_RC(mpr_mlock_acquire(a.lock, 0), MPR_ETIMEDOUT);
    double t0 = MPI_Wtime();
    ASSERT_RC(mpr_mlock_acquire(a.lock, 0.2), MPR_ETIMEDOUT);
    ASSERT_TRUE(MPI_Wtime() - t0 >= 0.19);
    ASSERT_OK(mpr_mlock_release(a.lock));
    /* RLock: reentrant for its holder. */
    ASSERT_OK(mpr_mlock_acquire(a.lock2, -1));
    ASSERT_OK(mpr_mlock_acquire(a.lock2, 0));
    ASSERT_OK(mpr_mlock_release(a.lock2));

    /* Across ranks: a worker holds the Lock, we time out, then wait for it. */
    mpr_process *p;
    ASSERT_OK(mpr_process_new(&p, hold_lock, &a, sizeof a));
    ASSERT_OK(mpr_process_start(p));
    int64_t held = 0;
    while (held == 0)
        ASSERT_OK(mpr_mvalue_get_i64(a.value, &held));
    ASSERT_RC(mpr_mlock_acquire(a.lock, 0.05), MPR_ETIMEDOUT);
    ASSERT_OK(mpr_list_append_i64(a.list, 1)); /* let it release */
    ASSERT_OK(mpr_mlock_acquire(a.lock, 10));
    ASSERT_OK(mpr_process_join(p, -1));
    ASSERT_EQ(mpr_process_exitcode(p), 0);
    mpr_process_free(p);
    ASSERT_OK(mpr_mlock_release(a.lock2));
    ASSERT_RC(mpr_mlock_release(a.lock2), MPR_ESTATE);
    mpr_manager_free(m);
    return 0;
}

/* A Lock may be released by a rank that did not acquire it. */
static int release_it(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    ASSERT_OK(mpr_mlock_release(a.lock));
    return 0;
}

MPR_TEST(lock_released_elsewhere)
{
    MPR_TEST_NEED_WORKERS(1);
    mpr_manager *m;
    margs a = {0};
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_lock(m, &a.lock));
    ASSERT_OK(mpr_mlock_acquire(a.lock, -1));
    run_all(release_it, &a, 1);
    ASSERT_OK(mpr_mlock_acquire(a.lock, 0));
    mpr_manager_free(m);
    return 0;
}

/* A call parked at the server when the manager shuts down gets ECLOSED. */
static int wait_forever(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    ASSERT_OK(mpr_mvalue_set_i64(a.value, 1));
    int64_t v;
    if (a.id == 0)
        ASSERT_RC(mpr_mlock_acquire(a.lock, -1), MPR_ECLOSED);
    else
        ASSERT_RC(mpr_queue_get_i64(a.queue, &v, -1), MPR_ECLOSED);
    ASSERT_CONTAINS(mpr_last_error(), "shut down");
    return 0;
}

MPR_TEST(shutdown_wakes_waiters)
{
    MPR_TEST_NEED_WORKERS(1);
    for (int kind = 0; kind < 2; kind++) {
        mpr_manager *m;
        margs a = {0};
        ASSERT_OK(mpr_manager_start(&m));
        ASSERT_OK(mpr_manager_lock(m, &a.lock));
        ASSERT_OK(mpr_manager_queue(m, &a.queue, 0));
        ASSERT_OK(mpr_manager_value_i64(m, &a.value, 0));
        ASSERT_OK(mpr_mlock_acquire(a.lock, -1));
        a.id = kind;
        mpr_process *p;
        ASSERT_OK(mpr_process_new(&p, wait_forever, &a, sizeof a));
        ASSERT_OK(mpr_process_start(p));
        int64_t started = 0;
        while (started == 0)
            ASSERT_OK(mpr_mvalue_get_i64(a.value, &started));
        /* Give the worker's call time to park (it may also arrive after the
         * shutdown: then it is answered ECLOSED at once, the same code). */
        usleep(100000);
        ASSERT_OK(mpr_manager_shutdown(m));
        ASSERT_OK(mpr_process_join(p, -1));
        ASSERT_EQ(mpr_process_exitcode(p), 0);
        mpr_process_free(p);
        mpr_manager_free(m);
    }
    return 0;
}

/* ---------------------------------------------------------------- queue */

MPR_TEST(queue_via_manager)
{
    mpr_manager *m;
    mpr_queue q, jq;
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_queue(m, &q, 2));
    ASSERT_OK(mpr_manager_joinable_queue(m, &jq, 0));
    ASSERT_OK(mpr_queue_put_str(q, "a", -1));
    ASSERT_OK(mpr_queue_put_str(q, "b", -1));
    ASSERT_RC(mpr_queue_put_str(q, "c", 0.05), MPR_EFULL);
    ASSERT_EQ(mpr_queue_qsize(q), 2);
    char buf[8];
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, -1));
    ASSERT_STR_EQ(buf, "a");
    ASSERT_OK(mpr_queue_get_str(q, buf, sizeof buf, -1));
    ASSERT_RC(mpr_queue_get_str(q, buf, sizeof buf, 0.05), MPR_EEMPTY);
    ASSERT_OK(mpr_queue_put_i64(jq, 7, -1));
    ASSERT_RC(mpr_queue_join(jq, 0.05), MPR_ETIMEDOUT);
    int64_t v;
    ASSERT_OK(mpr_queue_get_i64(jq, &v, -1));
    ASSERT_OK(mpr_queue_task_done(jq));
    ASSERT_OK(mpr_queue_join(jq, 1));
    /* A manager queue may be freed on its own, before the manager. */
    ASSERT_OK(mpr_queue_free(q));
    ASSERT_RC(mpr_queue_qsize(q), MPR_ENOTFOUND);
    ASSERT_OK(mpr_manager_shutdown(m));
    ASSERT_RC(mpr_queue_qsize(jq), MPR_ECLOSED);
    mpr_manager_free(m);
    return 0;
}

/* -------------------------------------------------------------- counters */

/* Seed 003: counter.value += 1 under counter_lock, 100 times. */
static int locked_steps(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    int64_t delta = a.id < 4 ? 1 : -1; /* four add workers, two sub workers */
    for (int64_t i = 0; i < a.steps; i++) {
        int64_t v;
        ASSERT_OK(mpr_mlock_acquire(a.lock, -1));
        ASSERT_OK(mpr_mvalue_get_i64(a.value, &v));
        ASSERT_OK(mpr_mvalue_set_i64(a.value, v + delta));
        ASSERT_OK(mpr_mlock_release(a.lock));
    }
    return 0;
}

MPR_TEST(counter_with_lock)
{
    MPR_TEST_NEED_WORKERS(6);
    mpr_manager *m;
    margs a = {.steps = 100};
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_value_i64(m, &a.value, 0));
    ASSERT_OK(mpr_manager_lock(m, &a.lock));
    run_all(locked_steps, &a, 6);
    int64_t v;
    ASSERT_OK(mpr_mvalue_get_i64(a.value, &v));
    ASSERT_EQ(v, 200);
    mpr_manager_free(m);
    return 0;
}

/* ------------------------------------------- producers and consumers */

/* Seed 003's fixed program: products and one 'end' per producer; the
 * consumers count exited producers under count_lock and leave only when
 * all have exited. Each consumer appends what it consumed to a.list and,
 * when it leaves, the exited count it saw to the dict. */
static int producer(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    for (int64_t i = 0; i < a.steps; i++)
        ASSERT_OK(mpr_queue_put_i64(a.queue, a.id * 1000000 + i, -1));
    ASSERT_OK(mpr_queue_put_i64(a.queue, -1, -1)); /* 'end' */
    return 0;
}

static int consumer(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    for (;;) {
        int64_t product, exited;
        int rc = mpr_queue_get_i64(a.queue, &product, 0.01);
        if (rc == MPR_EEMPTY) {
            ASSERT_OK(mpr_mvalue_get_i64(a.value, &exited));
            if (exited == a.nproducers)
                break;
            continue;
        }
        ASSERT_OK(rc);
        if (product == -1) {
            ASSERT_OK(mpr_mlock_acquire(a.lock, -1));
            ASSERT_OK(mpr_mvalue_get_i64(a.value, &exited));
            ASSERT_OK(mpr_mvalue_set_i64(a.value, exited + 1));
            ASSERT_OK(mpr_mlock_release(a.lock));
            continue;
        }
        ASSERT_OK(mpr_list_append_i64(a.list, product));
    }
    char key[32];
    snprintf(key, sizeof key, "consumer %lld", (long long)a.id);
    int64_t exited;
    ASSERT_OK(mpr_mvalue_get_i64(a.value, &exited));
    ASSERT_OK(mpr_dict_set_i64(a.dict, key, exited));
    return 0;
}

static int producer_or_consumer(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    if (a.id < a.nproducers)
        return producer(arg, len);
    a.id -= a.nproducers;
    return consumer(&a, sizeof a);
}

MPR_TEST(producers_consumers)
{
    MPR_TEST_NEED_WORKERS(2);
    int workers = mpr_size() - 1 < 16 ? mpr_size() - 1 : 16;
    int np = workers / 2, nc = workers - workers / 2;
    mpr_manager *m;
    margs a = {.steps = 200, .nproducers = np};
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_queue(m, &a.queue, 0));
    ASSERT_OK(mpr_manager_value_i64(m, &a.value, 0));
    ASSERT_OK(mpr_manager_lock(m, &a.lock));
    ASSERT_OK(mpr_manager_list(m, &a.list));
    ASSERT_OK(mpr_manager_dict(m, &a.dict));
    run_all(producer_or_consumer, &a, np + nc);

    /* Every product consumed exactly once. */
    ASSERT_EQ(mpr_list_len(a.list), np * a.steps);
    char *seen = calloc((size_t)(np * a.steps), 1);
    mpr_items it;
    ASSERT_OK(mpr_list_snapshot(a.list, &it));
    const void *item;
    size_t len;
    while (mpr_items_next(&it, &item, &len) == 1) {
        int64_t v;
        memcpy(&v, item, sizeof v);
        int64_t p = v / 1000000, i = v % 1000000;
        ASSERT_TRUE(p >= 0 && p < np && i >= 0 && i < a.steps);
        ASSERT_EQ(seen[p * a.steps + i], 0);
        seen[p * a.steps + i] = 1;
    }
    mpr_items_free(&it);
    free(seen);
    /* Every consumer left after all producers had exited. */
    ASSERT_EQ(mpr_dict_len(a.dict), nc);
    for (int c = 0; c < nc; c++) {
        char key[32];
        int64_t exited;
        snprintf(key, sizeof key, "consumer %d", c);
        ASSERT_OK(mpr_dict_get_i64(a.dict, key, &exited));
        ASSERT_EQ(exited, np);
    }
    ASSERT_EQ(mpr_queue_qsize(a.queue), 0);
    mpr_manager_free(m);
    return 0;
}

/* ---------------------------------------------------------- many clients */

/* Each worker appends (id, i) to the list, counts in the dict and the
 * Value, and checks every reply is its own. */
static int client(const void *arg, size_t len)
{
    margs a = unpack(arg, len);
    char key[32];
    snprintf(key, sizeof key, "client %lld", (long long)a.id);
    ASSERT_OK(mpr_dict_set_i64(a.dict, key, 0));
    for (int64_t i = 0; i < a.steps; i++) {
        int64_t rec[2] = {a.id, i}, back;
        ASSERT_OK(mpr_list_append(a.list, rec, sizeof rec));
        ASSERT_OK(mpr_dict_set_i64(a.dict, key, i + 1));
        ASSERT_OK(mpr_dict_get_i64(a.dict, key, &back));
        ASSERT_EQ(back, i + 1);
        ASSERT_OK(mpr_mvalue_fetch_add_i64(a.value, 1, NULL));
    }
    return 0;
}

MPR_TEST(many_clients)
{
    MPR_TEST_NEED_WORKERS(1);
    int workers = mpr_size() - 1 < 16 ? mpr_size() - 1 : 16;
    mpr_manager *m;
#ifdef MPR_TEST_SANITIZED
    margs a = {.steps = 100};
#else
    margs a = {.steps = 500};
#endif
    ASSERT_OK(mpr_manager_start(&m));
    ASSERT_OK(mpr_manager_list(m, &a.list));
    ASSERT_OK(mpr_manager_dict(m, &a.dict));
    ASSERT_OK(mpr_manager_value_i64(m, &a.value, 0));
    run_all(client, &a, workers);

    int64_t total;
    ASSERT_OK(mpr_mvalue_get_i64(a.value, &total));
    ASSERT_EQ(total, workers * a.steps);
    ASSERT_EQ(mpr_list_len(a.list), workers * a.steps);
    ASSERT_EQ(mpr_dict_len(a.dict), workers);
    /* Each client's items are there in the order it appended them. */
    int64_t next[16] = {0};
    mpr_items it;
    ASSERT_OK(mpr_list_snapshot(a.list, &it));
    const void *item;
    size_t len;
    while (mpr_items_next(&it, &item, &len) == 1) {
        int64_t rec[2];
        ASSERT_EQ(len, sizeof rec);
        memcpy(rec, item, sizeof rec);
        ASSERT_TRUE(rec[0] >= 0 && rec[0] < workers);
        ASSERT_EQ(rec[1], next[rec[0]]);
        next[rec[0]]++;
    }
    mpr_items_free(&it);
    mpr_manager_free(m);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(start_shutdown), MPR_TEST_ENTRY(list_ops), MPR_TEST_ENTRY(dict_ops),
              MPR_TEST_ENTRY(value_ops), MPR_TEST_ENTRY(bad_handles), MPR_TEST_ENTRY(lock_ops),
              MPR_TEST_ENTRY(lock_released_elsewhere), MPR_TEST_ENTRY(shutdown_wakes_waiters),
              MPR_TEST_ENTRY(queue_via_manager), MPR_TEST_ENTRY(counter_with_lock),
              MPR_TEST_ENTRY(producers_consumers), MPR_TEST_ENTRY(many_clients))
