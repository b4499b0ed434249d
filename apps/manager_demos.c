/*
 * manager_demos — the Manager examples of seeds 000, 001 and 003, one per
 * demo name.
 *
 *   records        seed 000: insert_record appends ("jeff", 7) to a manager
 *                  list, then print_record prints every record  (mpirun -n 2)
 *   square_list    seed 001: two processes square a manager list in place;
 *                  "Final List outside Process: [4, 9, 16, 25]"  (-n 3)
 *   counter        seed 003: four add and two sub workers of 100 steps do
 *                  counter.value += 1 on a manager Value: a racy result (-n 7)
 *   counter_lock   the same with a manager Lock around each step: 200 (-n 7)
 *   products       seed 003: two producers, two consumers, a manager queue,
 *                  and consumers that leave at the first 'end'       (-n 5)
 *   products_fixed seed 003's fix: a print lock, and an exited-producer
 *                  count under a count lock; consumers leave only when every
 *                  producer has exited                               (-n 5)
 *
 * The documents run the counter and the products on Pools (starmap_async,
 * apply_async). These use one Process per Pool task instead, because
 * mpr's Pool is being written at the same time as the Manager; the sharing
 * through the manager, which is what the examples teach, is the same.
 *
 * The manager's objects live at rank 0's service thread; their handles are
 * plain values copied into the targets' arguments, as Python passes proxies
 * in args=(records,).
 */
#include "app.h"

#include <string.h>

typedef struct {
    mpr_list list;
    mpr_mvalue value; /* the counter, or exited_producer_count */
    mpr_mlock lock;   /* counter_lock, or count_lock */
    mpr_mlock print_lock;
    mpr_queue q;
    int id;
    int nproducers;
    double sleep;
} demo_args;

/* Starts n Processes of fn(args with id = i), then joins them all. */
static int start_join_ids(mpr_target fn, demo_args *a, int first_id, int n, mpr_process **ps)
{
    int rc = APP_EXIT_OK;
    for (int i = 0; i < n && rc == APP_EXIT_OK; i++) {
        a->id = first_id + i;
        rc = app_start(&ps[i], NULL, fn, a, sizeof *a);
    }
    return rc;
}

/* ---------------------------------------------------------------- records */

/* A record ("sam", 10) is a struct: manager list items are bytes. */
typedef struct {
    char name[16];
    int64_t score;
} record;

typedef struct {
    record rec;
    mpr_list records;
} insert_args;

static int print_record(const void *arg, size_t len)
{
    mpr_list records;
    if (app_unpack(&records, sizeof records, arg, len))
        return 1;
    mpr_items it;
    int rc = mpr_list_snapshot(records, &it);
    if (rc != MPR_OK)
        return app_raise("list(records)", rc);
    const void *item;
    size_t size;
    while ((rc = mpr_items_next(&it, &item, &size)) == 1) {
        record r;
        memcpy(&r, item, sizeof r < size ? sizeof r : size);
        printf("Name: %s\nScore: %lld\n\n", r.name, (long long)r.score);
    }
    mpr_items_free(&it);
    return rc == 0 ? 0 : app_raise("for record in records", rc);
}

static int insert_record(const void *arg, size_t len)
{
    insert_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int rc = mpr_list_append(a.records, &a.rec, sizeof a.rec);
    if (rc != MPR_OK)
        return app_raise("records.append", rc);
    printf("New record added!\n");
    return 0;
}

static int records_demo(mpr_manager *manager)
{
    const record init[] = {{"sam", 10}, {"adam", 9}, {"kevin", 8}};
    insert_args a = {{"jeff", 7}, {0}};
    int rc = mpr_manager_list(manager, &a.records);
    if (rc == MPR_OK)
        rc = mpr_list_extend(a.records, init, sizeof init[0], APP_LEN(init));
    if (rc != MPR_OK)
        return app_fail("manager.list([...])", rc);
    mpr_process *p1 = NULL, *p2 = NULL;
    if (app_start(&p1, NULL, insert_record, &a, sizeof a) != APP_EXIT_OK ||
        app_join_all(&p1, 1) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    if (app_start(&p2, NULL, print_record, &a.records, sizeof a.records) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    return app_join_all(&p2, 1);
}

/* ------------------------------------------------------------ square_list */

/* print(records): the list as Python prints it. */
static int print_i64_list(const char *prefix, mpr_list l)
{
    int64_t v[16];
    size_t n = 0;
    mpr_items it;
    int rc = mpr_list_snapshot(l, &it);
    if (rc != MPR_OK)
        return rc;
    const void *item;
    size_t size;
    while (n < APP_LEN(v) && mpr_items_next(&it, &item, &size) == 1 && size == sizeof v[0])
        memcpy(&v[n++], item, sizeof v[0]);
    mpr_items_free(&it);
    fputs(prefix, stdout);
    app_print_i64_list(v, n);
    return MPR_OK;
}

/* Both processes read records[index], sleep, then write its square: they
 * read each item before the other writes it, so every item is squared
 * once, as in the document's output (a start skew longer than --sleep would
 * square some twice, in Python too). */
static int square_list(const void *arg, size_t len)
{
    demo_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int n = mpr_list_len(a.list);
    if (n < 0)
        return app_raise("len(records)", n);
    for (int index = 0; index < n; index++) {
        int64_t record;
        int rc = mpr_list_get_i64(a.list, index, &record);
        if (rc != MPR_OK)
            return app_raise("records[index]", rc);
        app_sleep(a.sleep); /* Simulating a delay */
        rc = mpr_list_set_i64(a.list, index, record * record);
        if (rc != MPR_OK)
            return app_raise("records[index] = record ** 2", rc);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "Process %ld modified index %d: ", mpr_self_pid(), index);
        rc = print_i64_list(prefix, a.list);
        if (rc != MPR_OK)
            return app_raise("print(records)", rc);
    }
    return 0;
}

static int square_list_demo(mpr_manager *manager, double sleep)
{
    demo_args a = {.sleep = sleep};
    int rc = mpr_manager_list(manager, &a.list);
    for (int64_t i = 2; i < 6 && rc == MPR_OK; i++)
        rc = mpr_list_append_i64(a.list, i);
    if (rc != MPR_OK)
        return app_fail("manager.list([i for i in range(2,6)])", rc);
    double start_time = app_time();
    rc = app_start_join((mpr_target[]){square_list, square_list}, 2, &a, sizeof a);
    if (rc != APP_EXIT_OK)
        return rc;
    double end_time = app_time();
    rc = print_i64_list("Final List outside Process: ", a.list);
    if (rc != MPR_OK)
        return app_fail("print(records)", rc);
    printf("Total Execution Time: %.2f seconds\n", end_time - start_time);
    return APP_EXIT_OK;
}

/* ---------------------------------------------------------------- counter */

/* counter.value += 1 (ids 0-3) or -= 1 (ids 4-5): a get, then a set, each
 * atomic at the server, but not the pair; with_lock wraps the pair in
 * counter_lock.acquire()/release(). */
static int step_counter(const void *arg, size_t len, int with_lock)
{
    demo_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int64_t delta = a.id < 4 ? 1 : -1;
    for (int i = 0; i < 100; i++) {
        int64_t value;
        int rc = with_lock ? mpr_mlock_acquire(a.lock, -1) : MPR_OK;
        if (rc == MPR_OK)
            rc = mpr_mvalue_get_i64(a.value, &value);
        if (rc == MPR_OK)
            rc = mpr_mvalue_set_i64(a.value, value + delta);
        if (rc == MPR_OK && with_lock)
            rc = mpr_mlock_release(a.lock);
        if (rc != MPR_OK)
            return app_raise("counter.value += 1", rc);
    }
    return 0;
}

static int racy_worker(const void *arg, size_t len) { return step_counter(arg, len, 0); }
static int locked_worker(const void *arg, size_t len) { return step_counter(arg, len, 1); }

static int counter_demo(mpr_manager *manager, int with_lock)
{
    demo_args a = {0};
    int rc = mpr_manager_value_i64(manager, &a.value, 0);
    if (rc == MPR_OK)
        rc = mpr_manager_lock(manager, &a.lock);
    if (rc != MPR_OK)
        return app_fail("manager.Value('i', 0)", rc);
    mpr_process *ps[6] = {NULL};
    int started = start_join_ids(with_lock ? locked_worker : racy_worker, &a, 0, 6, ps);
    int joined = app_join_all(ps, 6);
    if (started != APP_EXIT_OK || joined != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    int64_t value;
    rc = mpr_mvalue_get_i64(a.value, &value);
    if (rc != MPR_OK)
        return app_fail("counter.value", rc);
    printf("%lld\n", (long long)value);
    return APP_EXIT_OK;
}

/* --------------------------------------------------------------- products */

/* with print_lock: print(...), when the program has one. */
static int say(const demo_args *a, int locked, const char *text)
{
    int rc = locked ? mpr_mlock_acquire(a->print_lock, -1) : MPR_OK;
    if (rc != MPR_OK)
        return rc;
    printf("%s\n", text);
    fflush(stdout);
    return locked ? mpr_mlock_release(a->print_lock) : MPR_OK;
}

/* fixed: the exit message is printed before 'end' is put, so that in the
 * output every producer has exited before a consumer leaves (Python prints
 * after the put, and a consumer may get there first). */
static int producer(const demo_args *a, int fixed)
{
    char text[64];
    for (int i = 0; i < 5; i++) {
        app_sleep(app_random() * a->sleep);
        snprintf(text, sizeof text, "product %d from producer %d", i, a->id);
        int rc = mpr_queue_put_str(a->q, text, -1);
        if (rc != MPR_OK)
            return app_raise("q.put", rc);
    }
    snprintf(text, sizeof text, "producer %d exits", a->id);
    int rc = fixed ? say(a, 1, text) : MPR_OK;
    if (rc == MPR_OK) /* to notify the consumer process that a producer process has exited */
        rc = mpr_queue_put_str(a->q, "end", -1);
    if (rc == MPR_OK && !fixed)
        rc = say(a, 0, text);
    return rc == MPR_OK ? 0 : app_raise("producer", rc);
}

/* The fixed consumer's q.get_nowait() in a `continue` loop would spin on
 * the server; a get with a short timeout is the same logic without
 * burning a core. */
static int next_product(const demo_args *a, int fixed, char *product, size_t cap, int *done)
{
    *done = 0;
    for (;;) {
        int rc = mpr_queue_get_str(a->q, product, cap, fixed ? 0.05 : -1);
        if (rc != MPR_EEMPTY || !fixed)
            return rc;
        int64_t exited;
        rc = mpr_mvalue_get_i64(a->value, &exited);
        if (rc != MPR_OK)
            return rc;
        if (exited == a->nproducers) { /* all producers have exited */
            *done = 1;
            return MPR_OK;
        }
    }
}

static int count_exited(const demo_args *a)
{
    int64_t exited;
    int rc = mpr_mlock_acquire(a->lock, -1);
    if (rc == MPR_OK)
        rc = mpr_mvalue_get_i64(a->value, &exited);
    if (rc == MPR_OK)
        rc = mpr_mvalue_set_i64(a->value, exited + 1);
    if (rc == MPR_OK)
        rc = mpr_mlock_release(a->lock);
    return rc;
}

static int consumer(const demo_args *a, int fixed)
{
    int consumer_id = a->id - a->nproducers;
    char product[64], text[128];
    for (;;) {
        int done, rc = next_product(a, fixed, product, sizeof product, &done);
        if (rc != MPR_OK)
            return app_raise("q.get", rc);
        if (done)
            break;
        if (strcmp(product, "end") == 0) {
            if (!fixed)
                break;
            rc = count_exited(a);
            if (rc != MPR_OK)
                return app_raise("exited_producer_count.value += 1", rc);
            continue;
        }
        snprintf(text, sizeof text, "%s consumed by consumer %d", product, consumer_id);
        if ((rc = say(a, fixed, text)) != MPR_OK)
            return app_raise("print", rc);
    }
    snprintf(text, sizeof text, "consumer %d exits", consumer_id);
    int rc = say(a, fixed, text);
    return rc == MPR_OK ? 0 : app_raise("print", rc);
}

static int products_worker(const void *arg, size_t len, int fixed)
{
    demo_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    return a.id < a.nproducers ? producer(&a, fixed) : consumer(&a, fixed);
}

static int flawed_worker(const void *arg, size_t len) { return products_worker(arg, len, 0); }
static int fixed_worker(const void *arg, size_t len) { return products_worker(arg, len, 1); }

static int products_demo(mpr_manager *manager, int fixed, double max_sleep)
{
    enum { PRODUCERS = 2, CONSUMERS = 2 };
    demo_args a = {.nproducers = PRODUCERS, .sleep = max_sleep};
    int rc = mpr_manager_queue(manager, &a.q, 0);
    if (rc == MPR_OK)
        rc = mpr_manager_value_i64(manager, &a.value, 0);
    if (rc == MPR_OK)
        rc = mpr_manager_lock(manager, &a.print_lock);
    if (rc == MPR_OK)
        rc = mpr_manager_lock(manager, &a.lock);
    if (rc != MPR_OK)
        return app_fail("manager.Queue()", rc);
    mpr_process *ps[PRODUCERS + CONSUMERS] = {NULL};
    int started =
        start_join_ids(fixed ? fixed_worker : flawed_worker, &a, 0, PRODUCERS + CONSUMERS, ps);
    int joined = app_join_all(ps, PRODUCERS + CONSUMERS);
    return started != APP_EXIT_OK ? started : joined;
}

/* ------------------------------------------------------------------- main */

enum { RECORDS, SQUARE_LIST, COUNTER, COUNTER_LOCK, PRODUCTS, PRODUCTS_FIXED };

static int run(size_t demo, double sleep)
{
    mpr_manager *manager;
    int rc = mpr_manager_start(&manager);
    if (rc != MPR_OK)
        return app_fail("Manager()", rc);
    switch (demo) {
    case RECORDS:
        rc = records_demo(manager);
        break;
    case SQUARE_LIST:
        rc = square_list_demo(manager, sleep);
        break;
    case COUNTER:
    case COUNTER_LOCK:
        rc = counter_demo(manager, demo == COUNTER_LOCK);
        break;
    default:
        rc = products_demo(manager, demo == PRODUCTS_FIXED, sleep);
        break;
    }
    int down = mpr_manager_shutdown(manager);
    mpr_manager_free(manager);
    if (down != MPR_OK && rc == APP_EXIT_OK)
        rc = app_fail("manager.shutdown()", down);
    return rc;
}

int main(int argc, char **argv)
{
    double sleep = 1.0;
    app_opt opts[] = {
        {"--sleep", "SECONDS",
         "square_list: the delay per item; products: producers sleep random() * this",
         APP_OPT_DOUBLE, &sleep, 0, 60},
    };
    const app_cmd cmds[] = {
        [RECORDS] = {"records", "seed 000: a record list shared by two processes (-n 2)"},
        [SQUARE_LIST] = {"square_list", "seed 001: two processes square one list (-n 3)"},
        [COUNTER] = {"counter", "seed 003: counter.value += 1 without a lock races (-n 7)"},
        [COUNTER_LOCK] = {"counter_lock", "seed 003: the same with a manager Lock: 200 (-n 7)"},
        [PRODUCTS] = {"products", "seed 003: producers and consumers, first form (-n 5)"},
        [PRODUCTS_FIXED] = {"products_fixed", "seed 003: the fixed form (-n 5)"},
    };
    app_cli cli = {.summary = "Manager examples of seeds 000, 001 and 003.",
                   .opts = opts,
                   .nopts = APP_LEN(opts),
                   .cmds = cmds,
                   .ncmds = APP_LEN(cmds)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(cli.cmd, sleep);
    return app_exit(rc);
}
