/*
 * rng.c — counter-based random streams (Philox4x32-10).
 *
 * DESIGN
 *   A Monte Carlo result must depend on the seed and on how the work is cut
 *   into tasks, never on how many ranks ran it or in which order. Seeding a
 *   generator per process from the clock or the pid (what the documents'
 *   Python does with `random`) repeats or correlates streams. Philox
 *   (Salmon et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3")
 *   is a keyed bijection of a 128-bit counter: block = philox(counter, key).
 *   mpr uses key = seed and counter = (stream, index), so stream s is the
 *   sequence of blocks (s, 0), (s, 1), ... and two streams can never
 *   overlap. Each block gives four 32-bit words. It passes BigCrush and is
 *   the generator of Random123, cuRAND and numpy's Philox.
 *
 *   Checked against Random123's known-answer vectors in tests/test_rng.c.
 */
#include "mpr-internal.h"

#include <string.h>

enum {
    PHILOX_M0 = 0xD2511F53u,
    PHILOX_M1 = 0xCD9E8D57u,
    PHILOX_W0 = 0x9E3779B9u,
    PHILOX_W1 = 0xBB67AE85u,
};

void mpr_philox4x32(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr_in[0], ctr_in[1], ctr_in[2], ctr_in[3]};
    uint32_t k[2] = {key_in[0], key_in[1]};
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
        uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
        uint32_t next[4] = {(uint32_t)(p1 >> 32) ^ c[1] ^ k[0], (uint32_t)p1,
                            (uint32_t)(p0 >> 32) ^ c[3] ^ k[1], (uint32_t)p0};
        memcpy(c, next, sizeof c);
    }
    memcpy(out, c, sizeof c);
}

void mpr_rng_init(mpr_rng *r, uint64_t seed, uint64_t stream)
{
    memset(r, 0, sizeof *r);
    r->key = seed;
    r->stream = stream;
    r->used = 4; /* no block drawn yet */
}

static void next_block(mpr_rng *r)
{
    uint32_t ctr[4] = {(uint32_t)r->counter, (uint32_t)(r->counter >> 32), (uint32_t)r->stream,
                       (uint32_t)(r->stream >> 32)};
    uint32_t key[2] = {(uint32_t)r->key, (uint32_t)(r->key >> 32)};
    mpr_philox4x32(ctr, key, r->block);
    r->counter++;
    r->used = 0;
}

uint32_t mpr_rng_u32(mpr_rng *r)
{
    if (r->used == 4)
        next_block(r);
    return r->block[r->used++];
}

uint64_t mpr_rng_u64(mpr_rng *r)
{
    uint64_t hi = mpr_rng_u32(r);
    return hi << 32 | mpr_rng_u32(r);
}

void mpr_rng_fill_uniform(mpr_rng *r, double *out, size_t n)
{
    /* Whole blocks straight from the counter: the same numbers, in the same
     * order, as n calls of mpr_rng_uniform, without a call per number. */
    size_t i = 0;
    while (i < n && r->used != 4)
        out[i++] = mpr_rng_uniform(r);
    uint32_t key[2] = {(uint32_t)r->key, (uint32_t)(r->key >> 32)};
    for (; i + 2 <= n; i += 2) {
        uint32_t ctr[4] = {(uint32_t)r->counter, (uint32_t)(r->counter >> 32), (uint32_t)r->stream,
                           (uint32_t)(r->stream >> 32)};
        uint32_t b[4];
        mpr_philox4x32(ctr, key, b);
        r->counter++;
        out[i] = (double)((((uint64_t)b[0] << 32) | b[1]) >> 11) * 0x1.0p-53;
        out[i + 1] = (double)((((uint64_t)b[2] << 32) | b[3]) >> 11) * 0x1.0p-53;
    }
    if (i < n)
        out[i] = mpr_rng_uniform(r);
}

double mpr_rng_uniform(mpr_rng *r)
{
    /* 53 random bits, as Python's random.random(): a double in [0, 1). */
    return (double)(mpr_rng_u64(r) >> 11) * 0x1.0p-53;
}
