/*
 * primality.h — trial division as seed 004 writes it, shared by apps/primes
 * and apps/verify_prime:
 *
 *   def check_prime(n):
 *       if n % 2 == 0: return False
 *       for i in range(3, int(math.sqrt(n)) + 1, 2):
 *           if n % i == 0: return False
 *       return True
 *
 * in 64-bit unsigned integers. Two fixes to the document: 2 is prime (its
 * n % 2 == 0 says it is not) and 0 and 1 are not (its loop is empty for
 * them, so it says they are). int(math.sqrt(n)) is also exact here:
 * doubles round numbers above 2**53, so a float root can be one off near a
 * perfect square, and a divisor would be missed.
 */
#ifndef PRIMALITY_H
#define PRIMALITY_H

#include <stddef.h>
#include <stdint.h>

/* The largest r with r * r <= n, for every uint64_t n. */
uint64_t app_isqrt(uint64_t n);

/* The document's check_prime, fixed for 0, 1 and 2. */
int app_is_prime(uint64_t n);

/* The first odd d in [from, to) that divides n, or 0 if there is none.
 * An even from starts at from - 1, as the document's check_prime_in_range
 * does (so a range boundary is never skipped); from must be >= 3. */
uint64_t app_odd_divisor(uint64_t n, uint64_t from, uint64_t to);

/* The primes in [from, to), in order, into out (NULL: count only).
 * out needs room for app_primes_bound(from, to) numbers. Returns how many. */
size_t app_primes_in(uint64_t from, uint64_t to, uint64_t *out);
/* An upper bound on the primes in [from, to): 2 and the odd numbers. */
size_t app_primes_bound(uint64_t from, uint64_t to);

#endif /* PRIMALITY_H */
