/*
 * shared_demos — Value, Array and Lock examples of seeds 000 and 001.
 *
 *   bank_race    seed 000: withdraw and deposit 10000 times each on a
 *                Value('i', 100) without a lock, 10 times: the final
 *                balance varies (a load then a store races). The two
 *                loops start at a Barrier(2): in C they last about a
 *                millisecond, less than starting a Process, so without it
 *                they would seldom overlap as Python's do.
 *   bank_lock    the same with a Lock around each update: always 100.
 *   square_list  seed 000: square_list(mylist, result, square_sum) with an
 *                Array('i', 4) and a Value('i'): "30", "[1, 4, 9, 16]".
 *   array        seed 001: a plain list (the child's copy), an Array, and
 *                an Array with a Value summed under its get_lock().
 *
 * Each Process runs on a worker rank: mpirun -n 3.
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

enum { BANK_RACE, BANK_LOCK, SQUARE_LIST, ARRAY };

/* ------------------------------------------------------------------ bank */

typedef struct {
    mpr_value balance;
    mpr_lock lock;
    mpr_barrier start; /* both loops begin together, as Python's slower ones overlap */
    int32_t use_lock;
    int32_t pad;
} bank_args;

/* balance.value = balance.value + delta, 10000 times, under the lock if
 * there is one. Without it, two ranks interleave their loads and stores. */
static int transact(const void *arg, size_t len, int delta)
{
    bank_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int rc = mpr_barrier_wait(a.start, 60);
    if (rc < 0)
        return app_raise("start", rc);
    for (int i = 0; i < 10000; i++) {
        rc = a.use_lock ? mpr_lock_acquire(a.lock, -1) : MPR_OK;
        int b = 0;
        if (rc == MPR_OK)
            rc = mpr_value_load(a.balance, &b);
        b += delta;
        if (rc == MPR_OK)
            rc = mpr_value_store(a.balance, &b);
        if (rc == MPR_OK && a.use_lock)
            rc = mpr_lock_release(a.lock);
        if (rc != MPR_OK)
            return app_raise("balance", rc);
    }
    return 0;
}

static int withdraw(const void *arg, size_t len) { return transact(arg, len, -1); }

static int deposit(const void *arg, size_t len) { return transact(arg, len, +1); }

static int perform_transactions(int use_lock)
{
    int init = 100;
    bank_args a = {.use_lock = use_lock};
    int rc = mpr_value_new(&a.balance, 'i', &init, 1);
    if (rc == MPR_OK)
        rc = mpr_barrier_new(&a.start, 2);
    if (rc == MPR_OK && use_lock)
        rc = mpr_lock_new(&a.lock);
    if (rc != MPR_OK)
        return app_fail("Value/Lock", rc);
    if (app_start_join((mpr_target[]){withdraw, deposit}, 2, &a, sizeof a) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    int balance = 0;
    if ((rc = mpr_value_load(a.balance, &balance)) != MPR_OK)
        return app_fail("balance.value", rc);
    printf("Final balance: %d\n", balance);
    return APP_EXIT_OK;
}

/* ---------------------------------------------------------- square_list */

typedef struct {
    int32_t mylist[4];
    mpr_array result;
    mpr_value square_sum;
} square_args;

static int square_list(const void *arg, size_t len)
{
    square_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int sq[4], sum = 0;
    for (int i = 0; i < 4; i++) {
        sq[i] = a.mylist[i] * a.mylist[i];
        sum += sq[i];
    }
    int rc = mpr_array_write(a.result, 0, 4, sq);
    if (rc == MPR_OK)
        rc = mpr_value_store(a.square_sum, &sum);
    return rc == MPR_OK ? 0 : app_raise("result", rc);
}

/* print(prefix, [a[i] for i in range(n)], end=end); the demos' values
 * are never negative. */
static int print_array(const char *prefix, mpr_array a, const char *end)
{
    int v[16];
    size_t n = mpr_array_len(a);
    int rc = n <= 16 ? mpr_array_read(a, 0, n, v) : MPR_EINVAL;
    if (rc != MPR_OK)
        return rc;
    uint64_t w[16];
    for (size_t i = 0; i < n; i++)
        w[i] = (uint64_t)v[i];
    fputs(prefix, stdout);
    app_print_u64_list(w, n, end);
    return MPR_OK;
}

static int run_square_list(void)
{
    square_args a = {.mylist = {1, 2, 3, 4}};
    int rc = mpr_array_new(&a.result, 'i', 4, NULL, 1);
    if (rc == MPR_OK)
        rc = mpr_value_new(&a.square_sum, 'i', NULL, 1);
    if (rc != MPR_OK)
        return app_fail("Array/Value", rc);
    if (app_start_join((mpr_target[]){square_list}, 1, &a, sizeof a) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    printf("Process completed...\n");
    int sum = 0;
    rc = mpr_value_load(a.square_sum, &sum);
    if (rc == MPR_OK)
        printf("%d\n", sum);
    if (rc == MPR_OK)
        rc = print_array("", a.result, "\n");
    return rc == MPR_OK ? APP_EXIT_OK : app_fail("square_sum.value", rc);
}

/* ---------------------------------------------------------------- array */

typedef struct {
    int32_t list_v[4]; /* a plain list: the child squares its own copy */
    mpr_array array;
    mpr_value sum_v;
    int32_t with_sum;
    int32_t pad;
} array_args;

static int squre_list_copy(const void *arg, size_t len)
{
    array_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    int64_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = a.list_v[i] * a.list_v[i];
    fputs("Array inside process : ", stdout);
    app_print_i64_list(v, 4);
    return 0;
}

/* for index, number in enumerate(array): array[index] = number * number,
 * and with a Value: `with sum_v.get_lock(): sum_v.value += array[index]`. */
static int square_elements(const void *arg, size_t len)
{
    array_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    mpr_lock l;
    int rc = a.with_sum ? mpr_value_get_lock(a.sum_v, &l) : MPR_OK;
    for (size_t i = 0; rc == MPR_OK && i < mpr_array_len(a.array); i++) {
        int x = 0, s = 0;
        rc = mpr_array_read(a.array, i, 1, &x);
        x *= x;
        if (rc == MPR_OK)
            rc = mpr_array_write(a.array, i, 1, &x);
        if (rc == MPR_OK && a.with_sum && (rc = mpr_lock_acquire(l, -1)) == MPR_OK) {
            rc = mpr_value_load(a.sum_v, &s);
            s += x;
            if (rc == MPR_OK)
                rc = mpr_value_store(a.sum_v, &s);
            mpr_lock_release(l);
        }
    }
    int sum = 0;
    if (rc == MPR_OK && a.with_sum)
        rc = mpr_value_load(a.sum_v, &sum);
    if (rc == MPR_OK && a.with_sum &&
        (rc = print_array("Array inside process: ", a.array, "")) == MPR_OK)
        printf(", Sum: %d\n", sum);
    else if (rc == MPR_OK)
        rc = print_array("Array inside process : ", a.array, "\n");
    return rc == MPR_OK ? 0 : app_raise("array", rc);
}

static int run_array(void)
{
    array_args a = {.list_v = {1, 2, 3, 4}};
    if (app_start_join((mpr_target[]){squre_list_copy}, 1, &a, sizeof a) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    printf("Array outside process : [1, 2, 3, 4]\n");
    int rc = mpr_array_new(&a.array, 'i', 4, a.list_v, 1);
    if (rc == MPR_OK &&
        app_start_join((mpr_target[]){square_elements}, 1, &a, sizeof a) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    if (rc == MPR_OK)
        rc = print_array("Array outside process : ", a.array, "\n");
    a.with_sum = 1;
    if (rc == MPR_OK)
        rc = mpr_array_new(&a.array, 'i', 4, a.list_v, 1);
    if (rc == MPR_OK)
        rc = mpr_value_new(&a.sum_v, 'i', NULL, 1);
    if (rc != MPR_OK)
        return app_fail("Array/Value", rc);
    if (app_start_join((mpr_target[]){square_elements}, 1, &a, sizeof a) != APP_EXIT_OK)
        return APP_EXIT_FAIL;
    int sum = 0;
    if ((rc = mpr_value_load(a.sum_v, &sum)) != MPR_OK)
        return app_fail("list_sum.value", rc);
    if ((rc = print_array("Array outside process: ", a.array, "")) != MPR_OK)
        return app_fail("list_v[:]", rc);
    printf(", Sum: %d\n", sum);
    return APP_EXIT_OK;
}

static int run(size_t cmd)
{
    int rc = APP_EXIT_OK;
    switch (cmd) {
    case BANK_RACE:
    case BANK_LOCK:
        for (int i = 0; i < 10 && rc == APP_EXIT_OK; i++)
            rc = perform_transactions(cmd == BANK_LOCK);
        return rc;
    case SQUARE_LIST:
        return run_square_list();
    default:
        return run_array();
    }
}

int main(int argc, char **argv)
{
    const app_cmd cmds[] = {
        [BANK_RACE] = {"bank_race", "seed 000: balance without a lock, 10 runs (mpirun -n 3)"},
        [BANK_LOCK] = {"bank_lock", "seed 000: balance with a Lock, 10 runs (mpirun -n 3)"},
        [SQUARE_LIST] = {"square_list", "seed 000: Array and Value (mpirun -n 2)"},
        [ARRAY] = {"array", "seed 001: list, Array, Array with Value (mpirun -n 2)"},
    };
    app_cli cli = {.summary = "Shared Value, Array and Lock examples of seeds 000 and 001.",
                   .cmds = cmds,
                   .ncmds = APP_LEN(cmds)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(cli.cmd);
    return app_exit(rc);
}
