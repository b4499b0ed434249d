/*
 * primality.c — the helpers of primality.h.
 *
 * Numbers below 2**32 are divided in 32-bit arithmetic: a 32-bit division
 * costs a fraction of a 64-bit one on x86-64, and the default range of
 * apps/primes lies there. Larger numbers (verify_prime's ~1e17) use 64 bits.
 */
#include "primality.h"

#include <math.h>

uint64_t app_isqrt(uint64_t n)
{
    /* The double root is within one or two of the answer; fix it in
     * integers. r is kept <= 2**32 - 1 so r * r cannot overflow. */
    uint64_t r = (uint64_t)sqrt((double)n);
    if (r > UINT32_MAX)
        r = UINT32_MAX;
    while (r * r > n)
        r--;
    while (r < UINT32_MAX && (r + 1) * (r + 1) <= n)
        r++;
    return r;
}

static uint32_t odd_divisor32(uint32_t n, uint32_t from, uint32_t to)
{
    for (uint32_t d = from; d < to; d += 2)
        if (n % d == 0)
            return d;
    return 0;
}

uint64_t app_odd_divisor(uint64_t n, uint64_t from, uint64_t to)
{
    if (from % 2 == 0)
        from--;
    if (n <= UINT32_MAX && to <= UINT32_MAX)
        return odd_divisor32((uint32_t)n, (uint32_t)from, (uint32_t)to);
    for (uint64_t d = from; d < to; d += 2)
        if (n % d == 0)
            return d;
    return 0;
}

int app_is_prime(uint64_t n)
{
    if (n < 3)
        return n == 2;
    if (n % 2 == 0)
        return 0;
    return app_odd_divisor(n, 3, app_isqrt(n) + 1) == 0;
}

size_t app_primes_in(uint64_t from, uint64_t to, uint64_t *out)
{
    size_t count = 0;
    for (uint64_t n = from; n < to; n++) {
        if (app_is_prime(n)) {
            if (out)
                out[count] = n;
            count++;
        }
    }
    return count;
}

size_t app_primes_bound(uint64_t from, uint64_t to)
{
    return from >= to ? 0 : (size_t)((to - from) / 2 + 2);
}
