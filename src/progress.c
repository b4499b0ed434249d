/*
 * progress.c — the serve loop of mpr's server threads (rank 0's service
 * thread, a node leader's heap server).
 *
 * DESIGN
 *   A server is a thread that polls its registered sources, as Open MPI's
 *   opal_progress calls its registered callbacks: each source handles
 *   what is ready (a request on a communicator, a mailbox, a parked
 *   request's deadline) and returns how many events it handled. Sources
 *   are polled in priority order, and a round that handled something
 *   starts over at the first at once, since more often follows; an idle
 *   round pauses with wait.c's backoff on the server bell (doorbell.c),
 *   which a sender on the node rings, and never longer than the earliest
 *   deadline a source asked for. Senders on other nodes cannot ring, so
 *   the server stays hot (pauses of MPR_HOT_PAUSE_US, 50 us) for
 *   MPR__HOT_WINDOW after each event: a client's next request, which
 *   often follows within milliseconds, waits at most 50 us instead of a
 *   1 ms sleep. An idle server costs about 1000 wake-ups a second
 *   (MPR_BACKOFF_MAX_US), well under 1% of a core.
 *
 *   Sources run on the server thread only. A source that fails has nobody
 *   to return its error to, so it aborts the job with a message (see
 *   error.c, "server-side failures").
 */
#include "mpr-internal.h"

void mpr__server_add(mpr__server *s, mpr__source_fn poll, void *ctx)
{
    MPR_ASSERT(!s->running && s->nsources < MPR__SOURCES_MAX);
    s->sources[s->nsources].poll = poll;
    s->sources[s->nsources].ctx = ctx;
    s->nsources++;
}

static int receive_messages(void *ctx, double *wake_by)
{
    (void)wake_by;
    const mpr__message_source *m = ctx;
    int found = 0;
    MPI_Message msg;
    MPI_Status st;
    MPR_MPI_MUST(MPI_Improbe(MPI_ANY_SOURCE, m->tag, m->comm, &found, &msg, &st));
    if (!found)
        return 0;
    m->handle(&msg, &st);
    return 1;
}

void mpr__server_add_messages(mpr__server *s, MPI_Comm comm, int tag, mpr__message_fn handle)
{
    MPR_ASSERT(s->nmessages < MPR__SOURCES_MAX);
    s->messages[s->nmessages].comm = comm;
    s->messages[s->nmessages].tag = tag;
    s->messages[s->nmessages].handle = handle;
    mpr__server_add(s, receive_messages, &s->messages[s->nmessages++]);
}

/* One round: the sources in the order they were added, which is their
 * priority, until one handles something. Stopping there matters: an
 * MPI_Improbe for a tag with nothing pending walks Open MPI's whole queue
 * of unexpected messages, so probing the rarer tags while requests pile up
 * costs time linear in the backlog on every request (measured: 300000
 * posted puts took 180 s instead of 2 s). Deadlines come last, as the
 * service thread always did: a busy server expires parked requests late. */
static int serve_round(mpr__server *s, double *wake_by)
{
    for (int i = 0; i < s->nsources; i++) {
        int n = s->sources[i].poll(s->sources[i].ctx, wake_by);
        MPR_ASSERT(n >= 0);
        if (n > 0)
            return n;
    }
    return 0;
}

static void *serve_loop(void *arg)
{
    mpr__server *s = arg;
    mpr__doorbell_serve();
    mpr__backoff b;
    mpr__backoff_init(&b);
    while (!atomic_load(&s->stop)) {
        double wake_by = -1;
        int n = serve_round(s, &wake_by);
        if (n > 0) {
            atomic_fetch_add(&s->handled, (uint64_t)n);
            mpr__backoff_reset(&b);
            mpr__backoff_stay_hot(&b, MPR__HOT_WINDOW); /* more requests may follow */
            continue;
        }
        mpr__backoff_pause(&b, wake_by >= 0 ? mpr__remaining(wake_by) : -1);
    }
    return NULL;
}

int mpr__server_start(mpr__server *s, const char *what)
{
    atomic_store(&s->stop, false);
    if (pthread_create(&s->thread, NULL, serve_loop, s) != 0)
        return mpr__fail(MPR_ENOMEM, "rank %d could not start its %s thread", mpr__rt.rank, what);
    s->running = true;
    return MPR_OK;
}

void mpr__server_stop(mpr__server *s)
{
    if (!s->running)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    s->running = false;
    s->nsources = 0;
    s->nmessages = 0;
}

void mpr__wake_by(double *wake_by, double deadline)
{
    if (deadline >= 0 && (*wake_by < 0 || deadline < *wake_by))
        *wake_by = deadline;
}
