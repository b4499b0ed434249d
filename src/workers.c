/*
 * workers.c — the set of free worker ranks, kept by rank 0.
 *
 * DESIGN
 *   Ranks 1..size-1 are workers; a Process (and so every Pool worker) runs
 *   on one of them at a time. Rank 0's main thread is the only one that
 *   takes or gives ranks, so the set needs no lock. Ranks are handed out
 *   lowest first, which makes placement predictable (tests pin it).
 *
 * INVARIANTS
 *   nfree == number of ranks r in [1, size) with busy[r] == false.
 */
#include "mpr-internal.h"

#include <stdlib.h>

static struct {
    bool *busy; /* busy[r]: worker rank r runs a Process */
    int nfree;
} set;

static int workers_fini(void)
{
    free(set.busy);
    set.busy = NULL;
    set.nfree = 0;
    return MPR_OK;
}

void mpr__workers_init(void)
{
    set.busy = calloc((size_t)mpr__rt.size, sizeof *set.busy);
    MPR_ASSERT(set.busy);
    set.nfree = mpr__rt.size - 1;
    mpr__at_finalize(MPR__FINI_STATE, workers_fini);
}

int mpr_free_workers(void)
{
    MPR_CHECK(mpr__require_rank0("mpr_free_workers"));
    return set.nfree;
}

int mpr__workers_take(int n, int *ranks)
{
    if (mpr__rt.size == 1)
        return mpr__fail(MPR_ENORANK,
                         "no worker ranks: this program runs as a single rank (started without "
                         "mpirun, or with -n 1); launch it with `mpirun -n N` to get N-1 workers");
    if (set.nfree == 0 && n > 0)
        return mpr__fail(MPR_ENORANK,
                         "all %d worker ranks are busy (%d ranks in all, rank 0 is the parent); "
                         "join a process first or launch more with `mpirun -n %d`",
                         mpr__rt.size - 1, mpr__rt.size, mpr__rt.size + 1);
    if (n > set.nfree)
        return mpr__fail(MPR_ENORANK,
                         "%d worker ranks needed, %d of %d are free; join processes first or "
                         "launch more with `mpirun -n %lld`",
                         n, set.nfree, mpr__rt.size - 1,
                         (long long)mpr__rt.size - set.nfree + n); /* n may be INT_MAX */
    MPR_ASSERT(n >= 0);
    for (int r = 1, i = 0; i < n; r++) {
        MPR_ASSERT(r < mpr__rt.size); /* nfree counted at least n free ranks */
        if (!set.busy[r]) {
            set.busy[r] = true;
            ranks[i++] = r;
        }
    }
    set.nfree -= n;
    return MPR_OK;
}

void mpr__worker_give(int rank)
{
    MPR_ASSERT(rank > 0 && rank < mpr__rt.size && set.busy[rank]);
    set.busy[rank] = false;
    set.nfree++;
}
