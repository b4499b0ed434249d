/*
 * cube_square — seed 000, "Multiprocessing in Python": the first Processes.
 *
 *   print_cube(3); print_square(3)              in the parent
 *   multiprocessing.cpu_count()
 *   Process(target=print_cube, args=(5,))       start, join, "DONE"
 *   both Processes started, then joined         "DONE"
 *   the os.getpid() variant, args=(2,)          "DONE..."
 *   square_list appends to a global `result`    the child prints it filled,
 *                                               the parent prints "[]"
 *
 * Each Process runs on its own worker rank, so the PID lines also name the
 * rank and host. It needs 2 worker ranks: mpirun -n 3.
 */
#include "app.h"

#include <stdio.h>

typedef struct {
    int number;
} number_args;

static int print_cube(const void *arg, size_t len)
{
    number_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    printf("Cube: %d\n", a.number * a.number * a.number);
    return 0;
}

static int print_square(const void *arg, size_t len)
{
    number_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    printf("Square: %d\n", a.number * a.number);
    return 0;
}

/* os.getpid() differs from the parent's: the target runs in another OS
 * process, here on another MPI rank. */
static int print_cube_pid(const void *arg, size_t len)
{
    printf("PID::print_cube::id -> %ld (rank %d on %s)\n", mpr_self_pid(), mpr_rank(),
           mpr_self_host());
    return print_cube(arg, len);
}

static int print_square_pid(const void *arg, size_t len)
{
    printf("PID::print_square::id -> %ld (rank %d on %s)\n", mpr_self_pid(), mpr_rank(),
           mpr_self_host());
    return print_square(arg, len);
}

/* result = [] at module level: each process has its own copy. */
enum { LIST_MAX = 16 };
static int64_t result[LIST_MAX];
static size_t result_len;

typedef struct {
    int64_t mylist[LIST_MAX];
    size_t len;
} list_args;

static int square_list(const void *arg, size_t len)
{
    list_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    /* A forked Python child starts from a copy of the parent's empty list.
     * A worker rank outlives one Process, so start from empty here too. */
    result_len = 0;
    for (size_t i = 0; i < a.len && result_len < LIST_MAX; i++)
        result[result_len++] = a.mylist[i] * a.mylist[i];
    printf("Result: ");
    app_print_i64_list(result, result_len);
    return 0;
}

static int run(void)
{
    number_args three = {3};
    print_cube(&three, sizeof three);
    print_square(&three, sizeof three);

    printf("Number of CPUs:  %d\n", mpr_cpu_count());

    number_args five = {5};
    int rc = app_start_join((mpr_target[]){print_cube}, 1, &five, sizeof five);
    if (rc != APP_EXIT_OK)
        return rc;
    printf("DONE\n");

    /* Started together, they run in parallel: Cube and Square may come in
     * either order, but both before DONE, which is printed after the joins. */
    rc = app_start_join((mpr_target[]){print_cube, print_square}, 2, &five, sizeof five);
    if (rc != APP_EXIT_OK)
        return rc;
    printf("DONE\n");

    number_args two = {2};
    rc = app_start_join((mpr_target[]){print_cube_pid, print_square_pid}, 2, &two, sizeof two);
    if (rc != APP_EXIT_OK)
        return rc;
    printf("DONE...\n");

    list_args mylist = {{1, 2, 3, 4, 5}, 5};
    rc = app_start_join((mpr_target[]){square_list}, 1, &mylist, sizeof mylist);
    if (rc != APP_EXIT_OK)
        return rc;
    printf("DONE...\n");
    /* print(result): the child filled its own copy, the parent's is empty. */
    app_print_i64_list(result, result_len);
    return APP_EXIT_OK;
}

int main(int argc, char **argv)
{
    app_cli cli = {.summary = "Seed 000: print_cube and print_square as two Processes, their "
                              "PIDs, and a child's list that the parent does not see. Needs 2 "
                              "worker ranks (mpirun -n 3)."};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run();
    return app_exit(rc);
}
