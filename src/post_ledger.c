/*
 * post_ledger.c — what this rank's posted puts (posted.c) still owe: the
 * refusals not yet returned to the caller, the home not yet synced, and
 * how many posts were sent.
 *
 * DESIGN
 *   A refused post comes back as an error reply, taken in either by the
 *   next post (posted.c) or by a call that meets it first while waiting for
 *   its own reply (call.c). Both write it here; the rank's next put on that
 *   object returns it (mpr__ledger_take), and what is left at a task's end
 *   is printed (mpr__ledger_report), as Python's feeder thread prints its
 *   errors. Kept apart from posted.c so that call.c, which posted.c uses
 *   for its round trips, can record refusals without a dependency cycle.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <string.h>

enum { MAX_REFUSED_OBJECTS = 16 };

/* The refusals of one object, not yet reported. Ids are unique per home
 * only (each node numbers its channels), so the home is part of the key. */
typedef struct {
    int home;
    uint64_t id;
    int code;
    uint64_t count;
    char message[MPR__MSG_MAX]; /* the server's text, as long as a reply's */
} refusal;

static struct {
    int unsynced_home; /* home of a post not yet followed by a round trip, or -1 */
    refusal refused[MAX_REFUSED_OBJECTS];
    int nrefused;
    uint64_t lost_track; /* refusals beyond MAX_REFUSED_OBJECTS objects */
    uint64_t sent;       /* posts since init */
} ledger = {.unsynced_home = -1};

void mpr__ledger_refused(int home, const mpr__reply *rep)
{
    uint64_t id = rep->value; /* the server names the object */
    int i = 0;
    while (i < ledger.nrefused && (ledger.refused[i].id != id || ledger.refused[i].home != home))
        i++;
    if (i == ledger.nrefused) {
        if (i == MAX_REFUSED_OBJECTS) {
            ledger.lost_track++;
            return;
        }
        ledger.refused[i] = (refusal){.home = home, .id = id, .code = rep->code};
        snprintf(ledger.refused[i].message, sizeof ledger.refused[i].message, "%s", rep->error);
        ledger.nrefused++;
    }
    ledger.refused[i].count++;
}

bool mpr__ledger_take_refusal(int home, void *raw, size_t len)
{
    mpr__reply rep;
    memset(&rep, 0, sizeof rep);
    rep.raw = raw;
    rep.payload_len = len;
    bool refusal = mpr__reply_decode(raw, len, &rep) && (rep.flags & MPR__REP_POSTED);
    if (refusal) {
        mpr__ledger_refused(home, &rep);
        mpr__reply_free(&rep);
    }
    return refusal;
}

int mpr__ledger_take(int home, uint64_t id)
{
    for (int i = 0; i < ledger.nrefused; i++) {
        if (ledger.refused[i].id != id || ledger.refused[i].home != home)
            continue;
        refusal r = ledger.refused[i];
        ledger.refused[i] = ledger.refused[--ledger.nrefused];
        return mpr__fail(r.code,
                         "%s (%llu earlier put(s) from rank %d were refused after they returned; "
                         "this item was not sent)",
                         r.message, (unsigned long long)r.count, mpr__rt.rank);
    }
    return MPR_OK;
}

void mpr__ledger_posted(int home)
{
    ledger.sent++;
    ledger.unsynced_home = home;
}

void mpr__ledger_synced(int home)
{
    if (home == ledger.unsynced_home)
        ledger.unsynced_home = -1;
}

int mpr__ledger_unsynced_home(void) { return ledger.unsynced_home; }

uint64_t mpr__posted_count(void) { return ledger.sent; }

void mpr__ledger_report(void)
{
    for (int i = 0; i < ledger.nrefused; i++)
        fprintf(
            stderr, "mpr: rank %d: %llu put(s) returned MPR_OK but were refused at rank 0: %s\n",
            mpr__rt.rank, (unsigned long long)ledger.refused[i].count, ledger.refused[i].message);
    if (ledger.lost_track)
        fprintf(stderr, "mpr: rank %d: %llu more refused put(s) on other objects\n", mpr__rt.rank,
                (unsigned long long)ledger.lost_track);
    ledger.nrefused = 0;
    ledger.lost_track = 0;
}
