/*
 * continents — seed 003, "Process": one Process per name, started in a
 * loop, then all joined.
 *
 *   def print_func(continent='Asia'):
 *       print('The name of continent is : ', continent)
 *
 * print() with two arguments puts a space between them, hence the two
 * spaces after the colon. The three lines come in any order. Needs 3
 * worker ranks: mpirun -n 4.
 */
#include "app.h"

typedef struct {
    char continent[32];
} continent_args;

static int print_func(const void *arg, size_t len)
{
    continent_args a;
    if (app_unpack(&a, sizeof a, arg, len))
        return 1;
    printf("The name of continent is :  %s\n", a.continent[0] ? a.continent : "Asia");
    return 0;
}

static int run(void)
{
    const char *names[] = {"America", "Europe", "Africa"};
    enum { N = APP_LEN(names) };
    mpr_process *procs[N] = {NULL};

    /* instantiating process with arguments */
    int rc = APP_EXIT_OK;
    for (size_t i = 0; i < N && rc == APP_EXIT_OK; i++) {
        continent_args args = {{0}};
        snprintf(args.continent, sizeof args.continent, "%s", names[i]);
        rc = app_start(&procs[i], NULL, print_func, &args, sizeof args);
    }

    /* complete the processes */
    int joined = app_join_all(procs, N);
    return rc != APP_EXIT_OK ? rc : joined;
}

int main(int argc, char **argv)
{
    app_cli cli = {.summary = "Seed 003: three Processes print 'The name of continent is :  "
                              "<name>'.\nNeeds 3 worker ranks (mpirun -n 4)."};
    int rc = app_init(&argc, &argv, &cli);
    if (rc == APP_RUN)
        rc = run();
    return app_exit(rc);
}
