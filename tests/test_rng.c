/* test_rng.c — Philox4x32-10 against Random123's known answers, and the
 * stream properties Monte Carlo apps rely on. */
#include "mpr_test.h"

static void check_block(const uint32_t ctr[4], const uint32_t key[2], const uint32_t want[4])
{
    uint32_t out[4];
    mpr_philox4x32(ctr, key, out);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(out[i], want[i]);
}

MPR_TEST(known_answers)
{
    /* Random123 kat_vectors, philox4x32 with 10 rounds. */
    const uint32_t z4[4] = {0, 0, 0, 0}, z2[2] = {0, 0};
    const uint32_t want0[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
    check_block(z4, z2, want0);
    const uint32_t f4[4] = {~0u, ~0u, ~0u, ~0u}, f2[2] = {~0u, ~0u};
    const uint32_t want1[4] = {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu};
    check_block(f4, f2, want1);
    const uint32_t pi4[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
    const uint32_t pi2[2] = {0xa4093822u, 0x299f31d0u};
    const uint32_t want2[4] = {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u};
    check_block(pi4, pi2, want2);
    return 0;
}

MPR_TEST(streams)
{
    mpr_rng a, b, c;
    mpr_rng_init(&a, 42, 7);
    mpr_rng_init(&b, 42, 7);
    mpr_rng_init(&c, 42, 8);
    int same_as_other_stream = 0;
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = mpr_rng_u64(&a);
        ASSERT_EQ(x, mpr_rng_u64(&b)); /* same seed and stream: same numbers */
        same_as_other_stream += x == mpr_rng_u64(&c);
        double u = mpr_rng_uniform(&a);
        mpr_rng_uniform(&b);
        mpr_rng_uniform(&c);
        ASSERT_TRUE(u >= 0.0 && u < 1.0);
        sum += u;
    }
    ASSERT_EQ(same_as_other_stream, 0);
    /* Mean of 1e5 uniforms: 0.5 within 5 standard errors (0.0009 each). */
    ASSERT_TRUE(sum / 100000 > 0.5 - 0.0046 && sum / 100000 < 0.5 + 0.0046);
    return 0;
}

MPR_TEST(fill_matches_single)
{
    /* Block filling gives the very numbers single draws give, whatever the
     * starting offset within a block and the length: short fills (single
     * blocks) and long ones (groups of 16 blocks, rng.c's lanes, then the
     * rest), also where the block counter carries into its high word. */
    uint64_t starts[] = {0, 0xFFFFFFF0u};
    for (int c = 0; c < 2; c++)
        for (int skip = 0; skip < 3; skip++) {
            for (size_t n = 0; n < 300; n += n < 40 ? 7 : 29) {
                mpr_rng a, b;
                mpr_rng_init(&a, 99, 3);
                mpr_rng_init(&b, 99, 3);
                a.counter = b.counter = starts[c];
                for (int i = 0; i < skip; i++) {
                    mpr_rng_u32(&a);
                    mpr_rng_u32(&b);
                }
                double block[300];
                mpr_rng_fill_uniform(&a, block, n);
                for (size_t i = 0; i < n; i++)
                    ASSERT_TRUE(block[i] == mpr_rng_uniform(&b));
                ASSERT_EQ(mpr_rng_u64(&a), mpr_rng_u64(&b)); /* and both go on alike */
            }
        }
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(known_answers), MPR_TEST_ENTRY(streams),
              MPR_TEST_ENTRY(fill_matches_single))
