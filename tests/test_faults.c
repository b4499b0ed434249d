/* test_faults.c — programs that fail on purpose. Run by check_fault.sh,
 * which checks the job ends quickly, with the right status and message.
 *
 *   segv          a worker's target dereferences NULL
 *   abort         a worker's target calls abort()
 *   exit          a worker's target calls exit(3)
 *   no_finalize   rank 0 returns from main without mpr_finalize while a
 *                 Process still runs: mpr joins it at exit, as Python does,
 *                 and every rank ends
 */
#define _GNU_SOURCE /* usleep */
#include <mpr.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int crash(const void *arg, size_t len)
{
    (void)len;
    const char *how = arg;
    if (strcmp(how, "segv") == 0) {
#ifdef MPR_TEST_SANITIZED
        /* UBSan stops a NULL load before it faults; deliver the signal itself. */
        raise(SIGSEGV);
#endif
        volatile int *nowhere = NULL;
        return *nowhere;
    }
    if (strcmp(how, "abort") == 0)
        abort();
    if (strcmp(how, "exit") == 0)
        exit(3);
    usleep(300000);
    printf("child done\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (mpr_init(&argc, &argv) != MPR_OK || argc < 2) {
        fprintf(stderr, "usage: test_faults segv|abort|exit|no_finalize (%s)\n", mpr_last_error());
        return 2;
    }
    mpr_process *p;
    if (mpr_process_new_named(&p, "crasher", crash, argv[1], strlen(argv[1]) + 1) != MPR_OK ||
        mpr_process_start(p) != MPR_OK) {
        fprintf(stderr, "start: %s\n", mpr_last_error());
        return 2;
    }
    if (strcmp(argv[1], "no_finalize") == 0) {
        printf("parent returns\n");
        return 0; /* no join, no mpr_finalize */
    }
    mpr_process_join(p, -1);
    printf("the parent should not get here\n");
    return mpr_finalize();
}
