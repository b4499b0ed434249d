/*
 * ring.c — channels in a node's shared memory: the store of Queues and
 * Pipes, used by the ranks of the node with no message and no server.
 *
 * WHAT
 *   Each node has one arena, a window the node's ranks share
 *   (MPI_Win_allocate_shared; the leader holds it all). The arena is a
 *   table of slots; a slot is one object, a Queue (one lane) or a Pipe (two
 *   lanes, one inbox per end). A lane is a byte ring of variable-size
 *   records, FIFO. A rank of the node puts and gets by copying into and
 *   out of the ring under the slot's lock, and wakes a waiting rank by
 *   ringing its doorbell (doorbell.c).
 *
 * DESIGN
 *   - Only CPU atomics touch the arena (like the doorbells), never MPI RMA,
 *     so the heap's rule (MPI atomics only, heap.c) is not mixed with it.
 *   - The lock is a futex mutex (Drepper's three-state mutex): a short
 *     spin, then FUTEX_WAIT, so a waiter on an oversubscribed node sleeps
 *     instead of stealing the holder's core. Sections under it copy one
 *     item and never wait.
 *   - Waiters are kept per object and per condition (an item in lane L,
 *     room in lane L, no unfinished items), one entry per rank of the
 *     node: its arrival ticket and a "woken" bit. A change wakes the oldest
 *     waiter not yet woken, so waiters are served in arrival order and no
 *     change scans anything but this object's entries; close and free
 *     wake them all. A woken waiter that cannot proceed keeps its ticket;
 *     one that leaves (timeout) after being woken passes the wake on.
 *   - An item larger than a quarter of the ring goes in a block: whole
 *     64 KiB units of the arena's block region, first fit over a bitmap
 *     under the arena lock. The producer copies it in before it takes the
 *     slot's lock, the record in the ring names the block, and the consumer
 *     copies it out after releasing the lock: one copy each side, no server.
 *   - An item that does not fit the ring (the ring is full, or the item is
 *     larger than half a lane and no block is free) is spilled: the put counts it in `spilled`
 *     and the caller hands it to the node's server (channel.c), which holds
 *     it in its private memory and puts a ticket (the item's sequence
 *     number and length) in the ring when there is room; a getter that
 *     takes a ticket fetches the item from the server. While anything is
 *     spilled, every put spills, so each producer's items stay in order.
 *     An unbounded queue never fails for room, and an item of any size
 *     travels.
 *   - A handle's id is generation << 32 | slot. Freeing bumps the
 *     generation, so a stale handle is refused (MPR_ENOTFOUND), never
 *     served by the slot's next object.
 *
 * INVARIANTS (under the slot's lock)
 *   tail - head <= lane capacity; count = records between head and tail;
 *   a bounded queue holds count + spilled <= maxcount items; a slot's
 *   waiter entries are 0 unless that rank is inside a wait on the object.
 */
#include "mpr-internal.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
    DEFAULT_SLOTS = 256,
    DEFAULT_RING = 1 << 20,
    TICKET_BIT_SHIFT = 63,
    WOKEN = 1, /* low bit of a waiter entry */
};
#define TICKET_FLAG ((uint64_t)1 << TICKET_BIT_SHIFT)
#define BLOCK_FLAG  ((uint64_t)1 << (TICKET_BIT_SHIFT - 1))
#define LEN_MASK    (BLOCK_FLAG - 1)
enum { BLOCK_UNIT = 64 << 10, DEFAULT_BLOCKS = 64 << 20 };

/* lane flags */
enum { WCLOSED = 1u, RCLOSED = 2u };

typedef struct {
    uint64_t head, tail; /* byte positions, only growing */
    uint64_t count;      /* records in the ring (items and tickets) */
    uint64_t spilled;    /* items at the server without a ticket yet */
    uint32_t flags;
    uint32_t pad;
} lane;

/* A slot header; its waiter entries follow (MPR__RING_WAITS x node size). */
typedef struct {
    _Atomic uint32_t lock;
    uint32_t gen;
    uint32_t in_use, nlanes;
    uint32_t joinable, next_free; /* next_free: free-list link, slot + 1 */
    uint64_t maxcount;
    uint64_t unfinished;
    uint64_t arrivals; /* waiter tickets */
    lane lane[2];
} slot;

typedef struct {
    _Atomic uint32_t lock;
    uint32_t free_head; /* slot + 1, 0: none */
    uint32_t fresh;     /* slots never used start here */
    uint32_t pad;
} arena_header;

static struct {
    bool up;
    MPI_Win win;
    unsigned char *mem;
    uint32_t nslots;
    uint64_t ring_bytes;
    uint64_t nunits; /* BLOCK_UNITs in the block region (large items) */
    size_t stride;   /* bytes per slot header with its waiters */
    int me, node_size;
    int nwaiters;  /* entries per waiter class: the node's ranks, then the node server */
    int *world_of; /* node rank -> world rank */
    int leader;
    int crash_rank; /* MPR_FAULT_INJECT=ring_lock@R: rank R aborts holding a lock */
} ar;

/* ---------------------------------------------------------------- lock */

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

static void lock(_Atomic uint32_t *l)
{
    for (int spin = 0; spin < 64; spin++) {
        uint32_t c = 0;
        if (atomic_compare_exchange_weak(l, &c, 1))
            return;
        if (c == 2)
            break;
    }
    uint32_t c = atomic_exchange(l, 2);
    while (c != 0) {
        futex(l, FUTEX_WAIT, 2);
        c = atomic_exchange(l, 2);
    }
}

static void unlock(_Atomic uint32_t *l)
{
    if (atomic_fetch_sub(l, 1) != 1) {
        atomic_store(l, 0);
        futex(l, FUTEX_WAKE, 1);
    }
}

/* --------------------------------------------------------------- layout */

static arena_header *header(void) { return (arena_header *)ar.mem; }

/* Arena layout: the header (64 bytes), the block map (a bit per unit),
 * the slot headers, the rings, the block region. */
static uint64_t *block_map(void) { return (uint64_t *)(ar.mem + 64); }

static size_t map_bytes(void) { return (size_t)((ar.nunits + 63) / 64) * 8; }

static size_t headers_offset(void) { return (64 + map_bytes() + 63) & ~(size_t)63; }

static size_t rings_offset(void)
{
    return (headers_offset() + (size_t)ar.nslots * ar.stride + 63) & ~(size_t)63;
}

static size_t blocks_offset(void) { return rings_offset() + (size_t)ar.nslots * ar.ring_bytes; }

static slot *slot_at(uint32_t i)
{
    return (slot *)(ar.mem + headers_offset() + (size_t)i * ar.stride);
}

static uint64_t *waiters(slot *s, int cls)
{
    return (uint64_t *)(s + 1) + (size_t)cls * (size_t)ar.nwaiters;
}

static uint64_t lane_cap(const slot *s) { return (ar.ring_bytes / s->nlanes) & ~7ull; }

static unsigned char *lane_base(uint32_t i, unsigned l)
{
    return ar.mem + rings_offset() + (size_t)i * ar.ring_bytes + (size_t)l * lane_cap(slot_at(i));
}

/* ------------------------------------------------------------- blocks */

/* A large item travels in a block of whole units of the block region, so
 * the producer copies it in and the consumer out, each without the slot's
 * lock, and no server takes part. First fit over the map, under the
 * arena's lock: large items are few. Returns the block's arena offset, or
 * 0 when no run of free units is long enough (the item then spills). */
static uint64_t units_of(uint64_t len) { return (len + BLOCK_UNIT - 1) / BLOCK_UNIT; }

static void mark_units(uint64_t first, uint64_t n, bool used)
{
    uint64_t *map = block_map();
    for (uint64_t u = first; u < first + n; u++) {
        if (used)
            map[u / 64] |= (uint64_t)1 << (u % 64);
        else
            map[u / 64] &= ~((uint64_t)1 << (u % 64));
    }
}

static uint64_t block_alloc(uint64_t len)
{
    uint64_t n = units_of(len), run = 0, start = 0;
    if (n == 0 || n > ar.nunits)
        return 0;
    const uint64_t *map = block_map();
    arena_header *h = (arena_header *)ar.mem;
    lock(&h->lock);
    for (uint64_t u = 0; u < ar.nunits && run < n; u++) {
        if (map[u / 64] >> (u % 64) & 1) {
            run = 0;
        } else if (run++ == 0) {
            start = u;
        }
    }
    if (run == n)
        mark_units(start, n, true);
    unlock(&h->lock);
    return run == n ? blocks_offset() + start * BLOCK_UNIT : 0;
}

static void block_free(uint64_t offset, uint64_t len)
{
    arena_header *h = (arena_header *)ar.mem;
    lock(&h->lock);
    mark_units((offset - blocks_offset()) / BLOCK_UNIT, units_of(len), false);
    unlock(&h->lock);
}

static void ring_write(unsigned char *base, uint64_t cap, uint64_t pos, const void *src, size_t n)
{
    uint64_t at = pos % cap, first = cap - at < n ? cap - at : n;
    memcpy(base + at, src, first);
    if (first < n)
        memcpy(base, (const unsigned char *)src + first, n - first);
}

static void ring_read(const unsigned char *base, uint64_t cap, uint64_t pos, void *dst, size_t n)
{
    uint64_t at = pos % cap, first = cap - at < n ? cap - at : n;
    memcpy(dst, base + at, first);
    if (first < n)
        memcpy((unsigned char *)dst + first, base, n - first);
}

static uint64_t record_bytes(uint64_t len) { return 8 + ((len + 7) & ~7ull); }

/* ---------------------------------------------------------------- waiters */

/* The waiter classes of a slot: an item in lane 0/1, room in lane 0/1,
 * no unfinished items. */
static int readers(unsigned l) { return (int)l; }
static int writers(unsigned l) { return 2 + (int)l; }
enum { JOINERS = 4 };

/* The calling thread's waiter entry: its rank's, or the node server's. */
static _Thread_local bool as_server;

void mpr__ring_as_server(void) { as_server = true; }

static int my_entry(void) { return as_server ? ar.node_size : ar.me; }

static void enroll(slot *s, int cls)
{
    uint64_t *w = &waiters(s, cls)[my_entry()];
    if (*w == 0)
        *w = ++s->arrivals << 1;
    else
        *w &= ~(uint64_t)WOKEN; /* woken but not served: wait again, same place */
}

/* Leaves; true if this rank had been woken (and so owes the wake on). */
static bool leave(slot *s, int cls)
{
    uint64_t *w = &waiters(s, cls)[my_entry()];
    bool woken = *w & WOKEN;
    *w = 0;
    return woken;
}

/* Marks the oldest waiter not yet woken and returns its node rank, or -1. */
static int wake_oldest(slot *s, int cls)
{
    uint64_t *w = waiters(s, cls);
    int best = -1;
    for (int i = 0; i < ar.nwaiters; i++)
        if (w[i] && !(w[i] & WOKEN) && (best < 0 || w[i] < w[best]))
            best = i;
    if (best >= 0)
        w[best] |= WOKEN;
    return best;
}

static void ring_bell(int entry)
{
    if (entry == ar.node_size)
        mpr__doorbell_ring(ar.leader, MPR__BELL_SERVER);
    else if (entry >= 0)
        mpr__doorbell_ring(ar.world_of[entry], MPR__BELL_MAIN);
}

static void wake_all(slot *s, int cls)
{
    uint64_t *w = waiters(s, cls);
    for (int i = 0; i < ar.nwaiters; i++)
        if (w[i]) {
            w[i] |= WOKEN;
            ring_bell(i);
        }
}

/* ------------------------------------------------------------ slots */

/* Locks the slot an id names and returns it, or NULL with *rc the reason
 * (the lock is then not held). */
static slot *lock_slot(uint64_t id, int *rc)
{
    uint32_t i = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (!ar.up) {
        *rc = mpr__fail(MPR_ESTATE, "no channel arena on this rank");
        return NULL;
    }
    if (i >= ar.nslots) {
        *rc =
            mpr__fail(MPR_ENOTFOUND, "object %llu names slot %u, its home has %u: a damaged handle",
                      (unsigned long long)id, i, ar.nslots);
        return NULL;
    }
    slot *s = slot_at(i);
    lock(&s->lock);
    if (!s->in_use || s->gen != gen) {
        unlock(&s->lock);
        *rc = mpr__fail(MPR_ENOTFOUND,
                        "object %llu does not exist at its home (freed, or never created)",
                        (unsigned long long)id);
        return NULL;
    }
    *rc = MPR_OK;
    return s;
}

bool mpr__ring_is_local(int32_t home) { return ar.up && home == ar.leader; }

int mpr__ring_new(unsigned nlanes, uint64_t maxcount, bool joinable, uint64_t *id)
{
    MPR_ASSERT(nlanes == 1 || nlanes == 2);
    if (!ar.up)
        return mpr__fail(MPR_ENOMEM, "no channel arena on this node");
    arena_header *h = header();
    lock(&h->lock);
    uint32_t i;
    if (h->free_head) {
        i = h->free_head - 1;
        h->free_head = slot_at(i)->next_free;
    } else if (h->fresh < ar.nslots) {
        i = h->fresh++;
    } else {
        unlock(&h->lock);
        return mpr__fail(MPR_ENOMEM,
                         "the %u channel slots of rank %d's node are in use (MPR_CHANNEL_SLOTS)",
                         ar.nslots, ar.leader);
    }
    unlock(&h->lock);
    slot *s = slot_at(i);
    lock(&s->lock);
    uint32_t gen = s->gen + 1;
    memset((unsigned char *)s + sizeof s->lock, 0, ar.stride - sizeof s->lock);
    s->gen = gen ? gen : 1;
    s->in_use = 1;
    s->nlanes = nlanes;
    s->joinable = joinable;
    s->maxcount = maxcount;
    *id = (uint64_t)s->gen << 32 | i;
    unlock(&s->lock);
    return MPR_OK;
}

/* The blocks of the items still in lane l, whose object is being freed. */
static void free_blocks_of(slot *s, uint32_t i, unsigned l)
{
    lane *ln = &s->lane[l];
    uint64_t cap = lane_cap(s);
    const unsigned char *base = lane_base(i, l);
    for (uint64_t at = ln->head; at < ln->tail;) {
        uint64_t hdr = 0, block = 0;
        ring_read(base, cap, at, &hdr, 8);
        bool small = hdr & (TICKET_FLAG | BLOCK_FLAG);
        if (hdr & BLOCK_FLAG) {
            ring_read(base, cap, at + 8, &block, 8);
            block_free(block, hdr & LEN_MASK);
        }
        at += record_bytes(small ? 8 : hdr & LEN_MASK);
    }
}

int mpr__ring_free(uint64_t id)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    for (unsigned l = 0; l < s->nlanes; l++)
        free_blocks_of(s, (uint32_t)id, l);
    for (int c = 0; c <= JOINERS; c++)
        wake_all(s, c);
    memset(waiters(s, 0), 0, sizeof(uint64_t) * (JOINERS + 1) * (size_t)ar.nwaiters);
    s->in_use = 0;
    s->gen++;
    unlock(&s->lock);
    arena_header *h = header();
    lock(&h->lock);
    s->next_free = h->free_head;
    h->free_head = (uint32_t)id + 1;
    unlock(&h->lock);
    return MPR_OK;
}

/* -------------------------------------------------------------- put, get */

/* Puts len bytes in lane l. MPR_OK: stored; MPR__RING_SPILL: counted, and
 * the caller must hand the item to the server now; MPR__WOULD_BLOCK: a
 * bounded queue is full (enrolled as a waiter if `wait`); or an error. */
static int put_locked(slot *s, uint32_t i, unsigned l, const void *buf, size_t len, uint64_t block,
                      bool wait, int *wake)
{
    lane *ln = &s->lane[l];
    if (ln->flags & WCLOSED)
        return mpr__fail(MPR_ECLOSED, "put on a closed channel (object %u)", i);
    if (ln->flags & RCLOSED)
        return mpr__fail(MPR_EPIPE, "the other end is closed (broken pipe)");
    if (s->maxcount && ln->count + ln->spilled >= s->maxcount) {
        if (wait)
            enroll(s, writers(l));
        return MPR__WOULD_BLOCK;
    }
    uint64_t cap = lane_cap(s), need = block ? record_bytes(8) : record_bytes(len);
    int rc = MPR_OK;
    if (ln->spilled == 0 && (block || len <= cap / 2) && need <= cap - (ln->tail - ln->head)) {
        uint64_t hdr = len | (block ? BLOCK_FLAG : 0);
        unsigned char *base = lane_base(i, l);
        ring_write(base, cap, ln->tail, &hdr, 8);
        if (block)
            ring_write(base, cap, ln->tail + 8, &block, 8);
        else if (len)
            ring_write(base, cap, ln->tail + 8, buf, len);
        ln->tail += need;
        ln->count++;
        *wake = wake_oldest(s, readers(l));
    } else {
        ln->spilled++;
        rc = MPR__RING_SPILL;
    }
    s->unfinished += s->joinable;
    return rc;
}

int mpr__ring_put(uint64_t id, unsigned l, const void *buf, size_t len, bool wait)
{
    /* An item too large for any lane's inline limit goes in a block,
     * copied before the slot is locked. */
    uint64_t block = len > ar.ring_bytes / 4 ? block_alloc(len) : 0;
    if (block)
        memcpy(ar.mem + block, buf, len);
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s) {
        if (block)
            block_free(block, len);
        return rc0;
    }
    if (ar.crash_rank == mpr__rt.rank)
        abort(); /* fault injection: tests/faults.cmake ring_lock */
    int wake = -1;
    int rc = put_locked(s, (uint32_t)id, l, buf, len, block, wait, &wake);
    if (wait && rc != MPR__WOULD_BLOCK)
        leave(s, writers(l));
    unlock(&s->lock);
    ring_bell(wake);
    if (block && rc != MPR_OK)
        block_free(block, len); /* refused, full, or spilled instead */
    return rc;
}

/* Takes the head record of lane l: an item is copied to sink(ctx, len), a
 * ticket's sequence number goes to *ticket (the caller fetches the item).
 * MPR_ETRUNC: *len is the size needed, nothing taken. */
static int get_locked(slot *s, uint32_t i, unsigned l, size_t cap, mpr__ring_sink sink, void *ctx,
                      size_t *len, uint64_t *ticket, bool wait, int *wake, bool *server,
                      uint64_t *block, void **block_dst)
{
    lane *ln = &s->lane[l];
    if (ln->flags & RCLOSED)
        return mpr__fail(MPR_ECLOSED, "recv on a closed end (object %u)", i);
    if (ln->count == 0) {
        if (ln->spilled == 0 && (ln->flags & WCLOSED))
            return mpr__fail(MPR_EOF, "the channel is closed and every item was taken");
        if (wait)
            enroll(s, readers(l));
        return MPR__WOULD_BLOCK;
    }
    uint64_t cap_l = lane_cap(s), hdr = 0;
    const unsigned char *base = lane_base(i, l);
    ring_read(base, cap_l, ln->head, &hdr, 8);
    uint64_t n = hdr & LEN_MASK;
    *len = n;
    if (n > cap)
        return mpr__fail(MPR_ETRUNC,
                         "the next item is %llu bytes, the buffer holds %zu; it stays queued",
                         (unsigned long long)n, cap);
    uint64_t stored = (hdr & (TICKET_FLAG | BLOCK_FLAG)) ? 8 : n;
    *ticket = 0;
    if (hdr & TICKET_FLAG) {
        ring_read(base, cap_l, ln->head + 8, ticket, 8);
    } else if (hdr & BLOCK_FLAG) {
        /* The destination now, so that a sink without memory takes nothing;
         * the copy after the lock is released. */
        *block_dst = sink(ctx, n);
        if (!*block_dst)
            return mpr__fail(MPR_ENOMEM, "no memory for a %llu-byte item", (unsigned long long)n);
        ring_read(base, cap_l, ln->head + 8, block, 8);
    } else {
        void *dst = n ? sink(ctx, n) : NULL;
        if (n && !dst)
            return mpr__fail(MPR_ENOMEM, "no memory for a %llu-byte item", (unsigned long long)n);
        if (n)
            ring_read(base, cap_l, ln->head + 8, dst, n);
    }
    ln->head += record_bytes(stored);
    ln->count--;
    *wake = s->maxcount ? wake_oldest(s, writers(l)) : -1;
    *server = ln->spilled > 0; /* room for the server's next ticket */
    return MPR_OK;
}

int mpr__ring_get(uint64_t id, unsigned l, size_t cap, mpr__ring_sink sink, void *ctx, size_t *len,
                  uint64_t *ticket, bool wait)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    int wake = -1;
    bool server = false;
    uint64_t block = 0;
    void *block_dst = NULL;
    int rc = get_locked(s, (uint32_t)id, l, cap, sink, ctx, len, ticket, wait, &wake, &server,
                        &block, &block_dst);
    int pass_on = -1;
    /* Woken for an item it leaves there (ETRUNC, an error): the wake goes to
     * the next reader. */
    if (wait && rc != MPR__WOULD_BLOCK && leave(s, readers(l)) && rc != MPR_OK)
        pass_on = wake_oldest(s, readers(l));
    unlock(&s->lock);
    ring_bell(pass_on);
    if (block) {
        memcpy(block_dst, ar.mem + block, *len);
        block_free(block, *len);
    }
    ring_bell(wake);
    if (server)
        mpr__doorbell_ring(ar.leader, MPR__BELL_SERVER);
    return rc;
}

static int class_of(int what, unsigned l)
{
    return what == MPR__RING_WAIT_GET   ? readers(l)
           : what == MPR__RING_WAIT_PUT ? writers(l)
                                        : JOINERS;
}

bool mpr__ring_woken(uint64_t id, unsigned l, int what)
{
    uint32_t i = (uint32_t)id;
    if (!ar.up || i >= ar.nslots)
        return true;
    slot *s = slot_at(i);
    return (__atomic_load_n(&waiters(s, class_of(what, l & 1u))[my_entry()], __ATOMIC_ACQUIRE) &
            WOKEN) ||
           __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != (uint32_t)(id >> 32);
}

/* A waiter that gives up: leaves its class and, if it had been woken for
 * something it will not take, wakes the next one. */
void mpr__ring_unwait(uint64_t id, unsigned l, int what)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return;
    int cls = what == MPR__RING_WAIT_GET   ? readers(l)
              : what == MPR__RING_WAIT_PUT ? writers(l)
                                           : JOINERS;
    int wake = -1;
    if (leave(s, cls) && cls != JOINERS)
        wake = wake_oldest(s, cls);
    unlock(&s->lock);
    ring_bell(wake);
}

int mpr__ring_ticket(uint64_t id, unsigned l, uint64_t seq, uint64_t len, bool *placed)
{
    *placed = false;
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    lane *ln = &s->lane[l];
    uint64_t cap = lane_cap(s);
    int wake = -1;
    if (record_bytes(8) <= cap - (ln->tail - ln->head)) {
        uint64_t hdr = (len & LEN_MASK) | TICKET_FLAG;
        unsigned char *base = lane_base((uint32_t)id, l);
        ring_write(base, cap, ln->tail, &hdr, 8);
        ring_write(base, cap, ln->tail + 8, &seq, 8);
        ln->tail += record_bytes(8);
        ln->count++;
        ln->spilled--;
        *placed = true;
        wake = wake_oldest(s, readers(l));
    }
    unlock(&s->lock);
    ring_bell(wake);
    return MPR_OK;
}

/* -------------------------------------------------- state and closing */

int mpr__ring_state(uint64_t id, unsigned l, mpr__ring_info *out)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    const lane *ln = &s->lane[l];
    out->items = ln->count + ln->spilled;
    out->full = s->maxcount && out->items >= s->maxcount;
    out->unfinished = s->unfinished;
    unlock(&s->lock);
    return MPR_OK;
}

bool mpr__ring_maybe_ready(uint64_t id, unsigned l)
{
    uint32_t i = (uint32_t)id;
    if (!ar.up || i >= ar.nslots)
        return true; /* let the locked path say what is wrong */
    slot *s = slot_at(i);
    const lane *ln = &s->lane[l & 1u];
    /* Racy reads on purpose, without the lock: a stale answer only costs
     * one more try, and a waiter woken for nothing must re-arm. */
    return __atomic_load_n(&ln->count, __ATOMIC_ACQUIRE) != 0 ||
           __atomic_load_n(&ln->flags, __ATOMIC_ACQUIRE) != 0 ||
           (__atomic_load_n(&waiters(s, readers(l & 1u))[my_entry()], __ATOMIC_ACQUIRE) & WOKEN) ||
           __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != (uint32_t)(id >> 32);
}

int mpr__ring_poll(uint64_t id, unsigned l, bool wait)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    const lane *ln = &s->lane[l];
    int rc =
        ln->count > 0 || (ln->spilled == 0 && (ln->flags & WCLOSED)) ? MPR__READY : MPR__NOT_YET;
    if (ln->flags & RCLOSED)
        rc = mpr__fail(MPR_ECLOSED, "poll on a closed end");
    int pass_on = -1;
    if (wait && rc == MPR__NOT_YET)
        enroll(s, readers(l));
    else if (wait && leave(s, readers(l)) && rc == MPR__READY)
        pass_on = wake_oldest(s, readers(l)); /* a poll takes nothing */
    unlock(&s->lock);
    ring_bell(pass_on);
    return rc;
}

void mpr__ring_unspill(uint64_t id, unsigned l)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return;
    s->lane[l].spilled--;
    s->unfinished -= s->joinable;
    unlock(&s->lock);
}

int mpr__ring_close(uint64_t id, unsigned l, unsigned how)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    s->lane[l].flags |= how & (WCLOSED | RCLOSED);
    for (int c = 0; c < JOINERS; c++)
        wake_all(s, c);
    unlock(&s->lock);
    return MPR_OK;
}

int mpr__ring_task_done(uint64_t id)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    int rc = MPR_OK;
    if (s->unfinished == 0)
        rc = mpr__fail(MPR_EINVAL, "task_done() called more times than items were put");
    else if (--s->unfinished == 0)
        wake_all(s, JOINERS);
    unlock(&s->lock);
    return rc;
}

int mpr__ring_join_ready(uint64_t id, bool wait)
{
    int rc0 = MPR_OK;
    slot *s = lock_slot(id, &rc0);
    if (!s)
        return rc0;
    int rc = s->unfinished == 0 ? MPR__READY : MPR__NOT_YET;
    if (wait && rc == MPR__NOT_YET)
        enroll(s, JOINERS);
    else if (wait)
        leave(s, JOINERS);
    unlock(&s->lock);
    return rc;
}

/* ------------------------------------------------------- init and fini */

static int ring_fini(void)
{
    if (!ar.up)
        return MPR_OK;
    ar.up = false;
    free(ar.world_of);
    ar.world_of = NULL;
    MPR_MPI_RELEASE(MPI_Win_free(&ar.win));
    return MPR_OK;
}

int mpr__ring_init(void)
{
    MPI_Comm node = mpr__node_comm();
    ar.me = mpr__node_rank();
    ar.node_size = mpr__node_size();
    ar.nwaiters = ar.node_size + 1;
    ar.leader = mpr__node_leader_of(mpr__rt.rank);
    ar.nslots = (uint32_t)mpr__setting_u64("MPR_CHANNEL_SLOTS", DEFAULT_SLOTS, 1, 1 << 20);
    ar.ring_bytes =
        mpr__setting_u64("MPR_CHANNEL_RING", DEFAULT_RING, 1024, (uint64_t)1 << 30) & ~63ull;
    ar.nunits =
        mpr__setting_u64("MPR_CHANNEL_BLOCKS", DEFAULT_BLOCKS, 0, (uint64_t)1 << 40) / BLOCK_UNIT;
    ar.stride =
        (sizeof(slot) + sizeof(uint64_t) * (JOINERS + 1) * (size_t)ar.nwaiters + 63) & ~(size_t)63;
    size_t headers = rings_offset(); /* everything before the rings */
    size_t bytes = blocks_offset() + (size_t)ar.nunits * BLOCK_UNIT;
    const char *inject = getenv("MPR_FAULT_INJECT");
    ar.crash_rank = -1;
    if (inject && sscanf(inject, "ring_lock@%d", &ar.crash_rank) != 1)
        ar.crash_rank = -1;
    ar.world_of = malloc((size_t)ar.node_size * sizeof *ar.world_of);
    MPR_ASSERT(ar.world_of);
    MPR_MPI_CALL(MPI_Allgather(&mpr__rt.rank, 1, MPI_INT, ar.world_of, 1, MPI_INT, node));
    void *mine = NULL;
    MPR_MPI_CALL(MPI_Win_allocate_shared(ar.me == 0 ? (MPI_Aint)bytes : 0, 1, MPI_INFO_NULL, node,
                                         &mine, &ar.win));
    MPI_Aint size = 0;
    int unit = 0;
    MPR_MPI_CALL(MPI_Win_shared_query(ar.win, 0, &size, &unit, &ar.mem));
    /* Every rank computed the layout from the same settings (rank 0's, see
     * lifecycle.c); a window of another size means they differ. */
    if ((size_t)size < bytes)
        return mpr__fail(MPR_ESTATE,
                         "channel arena is %lld bytes, this rank expects %zu: the "
                         "ranks of a node disagree on MPR_CHANNEL_*",
                         (long long)size, bytes);
    /* Only the headers need zeros; ring bytes are written before read, and
     * leaving them untouched keeps the pages of unused rings unallocated. */
    if (ar.me == 0)
        memset(mine, 0, headers);
    MPR_MPI_CALL(MPI_Barrier(node));
    ar.up = true;
    mpr__at_finalize(MPR__FINI_CHANNELS, ring_fini);
    return MPR_OK;
}
