/*
 * print_numbers — seed 001, "Multiprocessing in Python": two Processes
 * that each sleep and print three numbers, running at the same time.
 *
 *   def print_numbers(process):
 *       for i in range(3):
 *           time.sleep(1)
 *           print(f"{process} Number: {i}")
 *
 * process1 and process2 print in either order at each step, as in the
 * document. Needs 2 worker ranks: mpirun -n 3.
 */
#include "app.h"

typedef struct {
    char process[32];
    double sleep;
} numbers_args;

static int print_numbers(const void *arg, size_t len)
{
    numbers_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    for (int i = 0; i < 3; i++) {
        app_sleep(a.sleep);
        printf("%s Number: %d\n", a.process, i);
    }
    return 0;
}

static int run(double sleep)
{
    numbers_args args1 = {"process1", sleep}, args2 = {"process2", sleep};
    mpr_process *procs[2] = {NULL, NULL};

    /* start processes */
    int rc = app_start(&procs[0], "process1", print_numbers, &args1, sizeof args1);
    if (rc == APP_EXIT_OK)
        rc = app_start(&procs[1], "process2", print_numbers, &args2, sizeof args2);

    /* Wait for completion */
    int joined = app_join_all(procs, 2);
    return rc != APP_EXIT_OK ? rc : joined;
}

int main(int argc, char **argv)
{
    double sleep = 1.0;
    app_opt opts[] = {
        {"--sleep", "SECONDS", "time.sleep before each print", APP_OPT_DOUBLE, &sleep, 0, 60},
    };
    app_cli cli = {.summary = "Seed 001: two Processes print '<name> Number: i' for i in 0..2, "
                              "sleeping before each.\nNeeds 2 worker ranks (mpirun -n 3).",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run(sleep);
    return app_exit(rc);
}
