/* test_faults.c — programs that fail on purpose. Run by check_fault.sh,
 * which checks the job ends quickly, with the right status and message.
 *
 *   segv          a worker's target dereferences NULL
 *   abort         a worker's target calls abort()
 *   exit          a worker's target calls exit(3)
 *   no_finalize   rank 0 returns from main without mpr_finalize while a
 *                 Process still runs: mpr joins it at exit, as Python does,
 *                 and every rank ends
 *   ring_lock     a worker dies while it holds a queue's lock in the node's
 *                 shared memory (MPR_FAULT_INJECT=ring_lock@1), and rank 0
 *                 waits on that lock in a get: the job still ends
 */
#define _GNU_SOURCE /* usleep */
#include <mpr.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char how[32];
    mpr_queue q;
} crash_arg;

static int crash(const void *arg, size_t len)
{
    (void)len;
    crash_arg a;
    memcpy(&a, arg, sizeof a);
    const char *how = a.how;
    if (strcmp(how, "ring_lock") == 0)
        return mpr_queue_put_str(a.q, "never", -1); /* dies holding the lock */
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
    static mpr_process *p; /* static: no_finalize leaves it to the exit, on purpose */
    crash_arg a;
    memset(&a, 0, sizeof a);
    snprintf(a.how, sizeof a.how, "%s", argv[1]);
    if (mpr_queue_new(&a.q, 0) != MPR_OK ||
        mpr_process_new_named(&p, "crasher", crash, &a, sizeof a) != MPR_OK ||
        mpr_process_start(p) != MPR_OK) {
        fprintf(stderr, "start: %s\n", mpr_last_error());
        return 2;
    }
    if (strcmp(argv[1], "no_finalize") == 0) {
        printf("parent returns\n");
        return 0; /* no join, no mpr_finalize */
    }
    if (strcmp(argv[1], "ring_lock") == 0) {
        char buf[16];
        mpr_queue_get_str(a.q, buf, sizeof buf, -1); /* waits on the dead rank's lock */
    }
    mpr_process_join(p, -1);
    printf("the parent should not get here\n");
    return mpr_finalize();
}
