/*
 * consumer.c — the smallest program built against an installed mpr.
 *
 * tests/packaging.cmake builds it twice, once with find_package(mpr) and
 * once with `pkg-config --cflags --libs mpr`, and runs it on 2 ranks: rank 0
 * starts one Process, whose target runs on rank 1 and returns 7. The test
 * compares the printed exit code, so a package that compiles and links but
 * loses the target between ranks still fails.
 */
#include <mpr.h>
#include <stdio.h>

static int seven(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    return 7;
}

static int run(void)
{
    mpr_process *p = NULL;
    int rc = mpr_process_new(&p, seven, NULL, 0);
    if (rc == MPR_OK)
        rc = mpr_process_start(p);
    if (rc == MPR_OK)
        rc = mpr_process_join(p, -1.0);
    if (rc == MPR_OK)
        printf("exitcode %d\n", mpr_process_exitcode(p));
    mpr_process_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = mpr_init(&argc, &argv);
    if (rc != MPR_OK) {
        fprintf(stderr, "mpr_init: %s: %s\n", mpr_err_name(rc), mpr_last_error());
        return 1;
    }
    rc = run();
    if (rc != MPR_OK)
        fprintf(stderr, "consumer: %s: %s\n", mpr_err_name(rc), mpr_last_error());
    int frc = mpr_finalize();
    return rc == MPR_OK && frc == MPR_OK ? 0 : 1;
}
