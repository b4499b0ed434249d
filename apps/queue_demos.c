/*
 * queue_demos — the Queue examples of seeds 000 and 003, one per demo name.
 *
 *   squares            seed 000: square_list puts 1..6 squared, print_list
 *                      prints them, then "Completed!"       (mpirun -n 3)
 *   colors             seed 003: put four colours, then pop them while the
 *                      queue is not empty, all in the parent (any -n)
 *   producer_consumer  seed 003: one producer puts 0..4 after random sleeps
 *                      and 'end'; one consumer prints until 'end' (-n 3)
 *   random             seed 003: four Processes put random.random() each;
 *                      the parent prints the list of them   (mpirun -n 5)
 *
 * A queue lives at the rank that made it (here rank 0, the parent) and its
 * handle is a plain value, copied into the target's arguments as Python
 * passes q in args=(q,).
 */
#include "app.h"

#include <string.h>

/* ---------------------------------------------------------------- squares */

typedef struct {
    int64_t my_list[8];
    size_t len;
    mpr_queue q;
} square_args;

/* The Python print_list loops `while not q.empty()` and relies on luck: if
 * it looks before square_list has put anything it prints nothing at all.
 * Here the producer closes the queue when it is done, and the consumer reads
 * until the queue is closed and drained, so it prints every square whatever
 * the timing. */
static int square_list(const void *arg, size_t len)
{
    square_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    for (size_t i = 0; i < a.len; i++) {
        int rc = mpr_queue_put_i64(a.q, a.my_list[i] * a.my_list[i], -1);
        if (rc != MPR_OK)
            return app_raise("q.put", rc);
    }
    int rc = mpr_queue_close(a.q);
    return rc == MPR_OK ? 0 : app_raise("q.close", rc);
}

static int print_list(const void *arg, size_t len)
{
    square_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int64_t v;
    int rc;
    while ((rc = mpr_queue_get_i64(a.q, &v, -1)) == MPR_OK)
        printf("%lld\n", (long long)v);
    return rc == MPR_ECLOSED ? 0 : app_raise("q.get", rc);
}

static int squares(mpr_queue q)
{
    square_args args = {{1, 2, 3, 4, 5, 6}, 6, q};
    int rc = app_start_join((mpr_target[]){square_list, print_list}, 2, &args, sizeof args);
    if (rc != APP_EXIT_OK)
        return rc;
    printf("Completed!\n");
    return APP_EXIT_OK;
}

/* ----------------------------------------------------------------- colors */

/* The document's output stops after "popping items from queue:": Python's
 * put hands the item to a feeder thread, so empty() right after put can
 * still say True. mpr's put returns once the queue holds the item, so the
 * popped items are printed. */
static int colors(mpr_queue queue)
{
    const char *colors[] = {"red", "green", "blue", "black"};
    int cnt = 1;
    printf("pushing items to queue:\n");
    for (size_t i = 0; i < APP_LEN(colors); i++) {
        printf("item no:  %d   %s\n", cnt, colors[i]);
        int rc = mpr_queue_put_str(queue, colors[i], -1);
        if (rc != MPR_OK)
            return app_fail("queue.put", rc);
        cnt += 1;
    }

    printf("\npopping items from queue:\n");
    cnt = 0;
    int empty;
    while ((empty = mpr_queue_empty(queue)) == 0) {
        char color[32];
        int rc = mpr_queue_get_str(queue, color, sizeof color, -1);
        if (rc != MPR_OK)
            return app_fail("queue.get", rc);
        printf("item no:  %d   %s\n", cnt, color);
        cnt += 1;
    }
    return empty == 1 ? APP_EXIT_OK : app_fail("queue.empty", empty);
}

/* ------------------------------------------------------ producer_consumer */

typedef struct {
    mpr_queue q;
    double max_sleep;
} pc_args;

/* Python puts the ints 0..4 and the str 'end'; queue items here are bytes,
 * so every item is text. */
static int producer(const void *arg, size_t len)
{
    pc_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    for (int i = 0; i < 5; i++) {
        app_sleep(app_random() * a.max_sleep);
        char item[16];
        snprintf(item, sizeof item, "%d", i);
        int rc = mpr_queue_put_str(a.q, item, -1);
        if (rc != MPR_OK)
            return app_raise("q.put", rc);
    }
    /* to notify the consumer process that the producer process has exited */
    int rc = mpr_queue_put_str(a.q, "end", -1);
    if (rc != MPR_OK)
        return app_raise("q.put", rc);
    printf("producer exits\n");
    return 0;
}

static int consumer(const void *arg, size_t len)
{
    pc_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    for (;;) {
        char product[16];
        int rc = mpr_queue_get_str(a.q, product, sizeof product, -1);
        if (rc != MPR_OK)
            return app_raise("q.get", rc);
        if (strcmp(product, "end") == 0)
            break;
        printf("%s\n", product);
    }
    printf("consumer exits\n");
    return 0;
}

static int producer_consumer(mpr_queue q, double max_sleep)
{
    pc_args args = {q, max_sleep};
    return app_start_join((mpr_target[]){producer, consumer}, 2, &args, sizeof args);
}

/* ----------------------------------------------------------------- random */

static int rand_num(const void *arg, size_t len)
{
    mpr_queue queue;
    if (app_unpack(&queue, sizeof queue, arg, len))
        return 1;
    double num = app_random();
    int rc = mpr_queue_put(queue, &num, sizeof num, -1);
    return rc == MPR_OK ? 0 : app_raise("queue.put", rc);
}

/* Joining before getting is safe here, unlike in Python (where a child that
 * put a large item cannot exit until it is got): the items wait at the
 * queue's home, not in the child. */
static int random_numbers(mpr_queue queue)
{
    enum { N = 4 };
    mpr_process *processes[N] = {NULL};
    int rc = APP_EXIT_OK;
    for (size_t i = 0; i < N && rc == APP_EXIT_OK; i++)
        rc = app_start(&processes[i], NULL, rand_num, &queue, sizeof queue);
    int joined = app_join_all(processes, N);
    if (rc != APP_EXIT_OK || joined != APP_EXIT_OK)
        return APP_EXIT_FAIL;

    double results[N];
    for (size_t i = 0; i < N; i++) {
        size_t len;
        rc = mpr_queue_get(queue, &results[i], sizeof results[i], &len, -1);
        if (rc != MPR_OK)
            return app_fail("queue.get", rc);
    }
    app_print_float_list(results, N);
    return APP_EXIT_OK;
}

/* ------------------------------------------------------------------- main */

enum { SQUARES, COLORS, PRODUCER_CONSUMER, RANDOM };

static int run(size_t demo, double max_sleep)
{
    mpr_queue q;
    int rc = mpr_queue_new(&q, 0);
    if (rc != MPR_OK)
        return app_fail("Queue()", rc);
    switch (demo) {
    case SQUARES:
        rc = squares(q);
        break;
    case COLORS:
        rc = colors(q);
        break;
    case PRODUCER_CONSUMER:
        rc = producer_consumer(q, max_sleep);
        break;
    default:
        rc = random_numbers(q);
        break;
    }
    int freed = mpr_queue_free(q);
    if (freed != MPR_OK && rc == APP_EXIT_OK)
        rc = app_fail("free the queue", freed);
    return rc;
}

int main(int argc, char **argv)
{
    double max_sleep = 1.0;
    app_opt opts[] = {
        {"--max-sleep", "SECONDS", "producer_consumer: the producer sleeps random() * this",
         APP_OPT_DOUBLE, &max_sleep, 0, 60},
    };
    const app_cmd cmds[] = {
        [SQUARES] = {"squares", "seed 000: squares through a queue (mpirun -n 3)"},
        [COLORS] = {"colors", "seed 003: put and get in one process"},
        [PRODUCER_CONSUMER] = {"producer_consumer", "seed 003: 'end' sentinel (mpirun -n 3)"},
        [RANDOM] = {"random", "seed 003: 4 random numbers (mpirun -n 5)"},
    };
    app_cli cli = {.summary = "Queue examples of seeds 000 and 003.",
                   .opts = opts,
                   .nopts = APP_LEN(opts),
                   .cmds = cmds,
                   .ncmds = APP_LEN(cmds)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(cli.cmd, max_sleep);
    return app_exit(rc);
}
