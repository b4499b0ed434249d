/*
 * doorbell.c — waking a sleeping rank on the same node at once.
 *
 * DESIGN
 *   Every wait in mpr polls MPI and sleeps in between with a growing pause
 *   (wait.c), because Open MPI's blocking calls spin and would starve the
 *   working ranks of an oversubscribed node. The pause has a price: a
 *   message that lands while its receiver sleeps waits for the end of the
 *   sleep, up to MPR_BACKOFF_MAX_US (1 ms). On a Pool of short tasks that
 *   is most of the overhead: measured on apps/primes --mode dynamic with
 *   one worker, every 6 ms task paid ~1 ms to reach rank 0's service
 *   thread and ~1 ms to get its next chunk.
 *
 *   So each rank has a doorbell: a futex word in a window shared by the
 *   ranks of its node (MPI_Win_allocate_shared; only CPU atomics touch it,
 *   never MPI RMA). A sender, after it has sent to a rank of its node, rings
 *   that rank's bell: it bumps the word and, if someone sleeps on it,
 *   FUTEX_WAKEs them. A waiter sleeps in FUTEX_WAIT on its own bell instead
 *   of nanosleep, with the same pause as its timeout. No ring is lost: the
 *   waiter notes the bell's value before it polls MPI (mpr__backoff_reset,
 *   and again after each sleep), and FUTEX_WAIT returns at once if the value
 *   moved since. Ranks of other nodes cannot ring; their messages are seen
 *   at the end of the pause as before. A rank has two bells: one for its
 *   main thread, one for its server threads (rank 0's service thread and a
 *   node leader's heap server), so a request to the service does not wake
 *   a parent waiting for pool results, and the other way round; a sender
 *   picks the bell by the message's tag.
 *
 *   If the window cannot be made (no shared memory between the ranks), or
 *   MPR_DOORBELL=0, every rank sleeps plainly as before.
 */
#include "mpr-internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* One cache line a bell, so a ring does not disturb the neighbours' lines. */
typedef struct {
    _Atomic uint32_t rings;    /* the futex word: bumped by every ring */
    _Atomic uint32_t sleepers; /* threads in FUTEX_WAIT on it */
    unsigned char pad[56];
} bell_line;

typedef struct {
    bell_line of[2]; /* MPR__BELL_MAIN, MPR__BELL_SERVER */
} bell;

/* Which of its rank's bells the calling thread sleeps on. */
static _Thread_local int my_bell = MPR__BELL_MAIN;

static struct {
    MPI_Comm node;
    MPI_Win win;
    bell *mine;
    bell **of_rank; /* world rank -> its bell, NULL for other nodes */
    bool up;
} bells;

static bool doorbells_wanted(void)
{
    const char *s = getenv("MPR_DOORBELL");
    return !s || strcmp(s, "0") != 0;
}

static int doorbell_fini(void)
{
    if (!bells.up)
        return MPR_OK;
    bells.up = false;
    bells.mine = NULL;
    free(bells.of_rank);
    bells.of_rank = NULL;
    MPR_MPI_RELEASE(MPI_Win_free(&bells.win));
    MPR_MPI_RELEASE(MPI_Comm_free(&bells.node));
    return MPR_OK;
}

int mpr__doorbell_init(void)
{
    /* Collective over the world even when disabled, so that every rank
     * takes the same path (the setting is copied from rank 0). */
    bool wanted = doorbells_wanted();
    MPR_MPI_CALL(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, mpr__rt.rank,
                                     MPI_INFO_NULL, &bells.node));
    MPR_MPI_CALL(MPI_Comm_set_errhandler(bells.node, MPI_ERRORS_RETURN));
    int node_size = 0;
    MPR_MPI_CALL(MPI_Comm_size(bells.node, &node_size));
    bell *mine = NULL;
    int rc = MPI_Win_allocate_shared(wanted ? (MPI_Aint)sizeof(bell) : 0, 1, MPI_INFO_NULL,
                                     bells.node, &mine, &bells.win);
    if (rc != MPI_SUCCESS) {
        MPR_INFO("no shared window for doorbells (%s): waits end by their timeout only",
                 "MPI_Win_allocate_shared failed");
        return MPI_Comm_free(&bells.node) == MPI_SUCCESS ? MPR_OK : MPR_EMPI;
    }
    if (wanted)
        memset(mine, 0, sizeof *mine);
    bells.of_rank = calloc((size_t)mpr__rt.size, sizeof *bells.of_rank);
    int *world_ranks = malloc((size_t)node_size * sizeof *world_ranks);
    MPR_ASSERT(bells.of_rank && world_ranks);
    rc = MPI_Allgather(&mpr__rt.rank, 1, MPI_INT, world_ranks, 1, MPI_INT, bells.node);
    for (int i = 0; i < node_size && wanted && rc == MPI_SUCCESS; i++) {
        MPI_Aint size = 0;
        int unit = 0;
        void *base = NULL;
        rc = MPI_Win_shared_query(bells.win, i, &size, &unit, &base);
        if (rc == MPI_SUCCESS && size >= (MPI_Aint)sizeof(bell))
            bells.of_rank[world_ranks[i]] = base;
    }
    free(world_ranks);
    if (rc != MPI_SUCCESS) {
        free(bells.of_rank);
        bells.of_rank = NULL;
        MPR_MPI_RELEASE(MPI_Win_free(&bells.win));
        MPR_MPI_RELEASE(MPI_Comm_free(&bells.node));
        return mpr__mpi_fail(rc, "doorbell window", __FILE__, __LINE__);
    }
    bells.mine = bells.of_rank[mpr__rt.rank];
    MPR_INFO("doorbells: %s, %d rank(s) on this node", bells.mine ? "on" : "off", node_size);
    /* Every bell is zeroed before anyone rings. */
    MPR_MPI_CALL(MPI_Barrier(bells.node));
    bells.up = true;
    mpr__at_finalize(MPR__FINI_DOORBELLS, doorbell_fini);
    return MPR_OK;
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, timeout, NULL, 0);
}

void mpr__doorbell_serve(void) { my_bell = MPR__BELL_SERVER; }

void mpr__doorbell_ring(int world_rank, int which)
{
    bell *b =
        bells.up && world_rank >= 0 && world_rank < mpr__rt.size ? bells.of_rank[world_rank] : NULL;
    if (!b)
        return;
    bell_line *l = &b->of[which];
    atomic_fetch_add(&l->rings, 1);
    /* A waiter counts itself before FUTEX_WAIT compares the word, so a
     * waiter this load misses will see the bumped word and not sleep. */
    if (atomic_load(&l->sleepers) > 0)
        futex(&l->rings, FUTEX_WAKE, INT_MAX, NULL);
}

bool mpr__doorbell_reaches(int world_rank)
{
    return bells.mine && world_rank >= 0 && world_rank < mpr__rt.size && bells.of_rank[world_rank];
}

uint32_t mpr__doorbell_seen(void)
{
    return bells.mine ? atomic_load(&bells.mine->of[my_bell].rings) : 0;
}

void mpr__doorbell_sleep(uint32_t seen, long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    if (!bells.mine) {
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
            ;
        return;
    }
    bell_line *l = &bells.mine->of[my_bell];
    atomic_fetch_add(&l->sleepers, 1);
    /* Returns at once if a ring came after `seen` was read; EINTR and
     * spurious wake-ups only end the pause early, which a poll absorbs. */
    futex(&l->rings, FUTEX_WAIT, seen, &ts);
    atomic_fetch_sub(&l->sleepers, 1);
}
