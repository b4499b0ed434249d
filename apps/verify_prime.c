/*
 * verify_prime.c — seed 004's "Interprocess Communication" section: is one
 * large number prime, with the divisors [3, isqrt(n)] split over a Pool.
 *
 *   def check_prime(n, pool, num_processes):
 *       ranges_to_check = create_range(3, int(math.sqrt(n)) + 1, num_processes)
 *       results = pool.map(check_prime_in_range, zip(n, ranges_to_check))
 *       return False not in results
 *   print(f'The Value {n} is a prime: {check_prime(n, pool, 4)} (Took {...} seconds)')
 *
 * Variants (--variant), as the document's three scripts:
 *   naive       verify_prime_naive.py: Pool.map over num_processes ranges of
 *               the odd divisors in [3, isqrt(n) + 1).
 *   less_naive  verify_prime_less_naive.py: first a serial check of the
 *               divisors below SERIAL_CHECK_CUTOFF (21), so a number with a
 *               small factor never pays for the pool; then naive from 21.
 *   flagged     verify_prime_flagged.py: less_naive, plus a flag shared by
 *               every worker: the one that finds a divisor sets it, and the
 *               others look at it every --check-every divisors and give up.
 *
 * The flag is a shared mpr Value (multiprocessing.Value), not the Manager's
 * Value the document uses. Polling is the hot path here: every worker reads
 * the flag thousands of times per number. A shared Value is one atomic load
 * from the node's shared memory (an MPI window), well under a microsecond;
 * a Manager value is a request/reply round trip to rank 0's service thread,
 * tens of microseconds and serialized at rank 0 — the "additional overhead
 * of reading a shared object" the document observes. The flag is made
 * read-mostly (mpr_value_new_opts), so a worker on another node than rank
 * 0's reads a copy on its own node too, instead of asking rank 0's node for
 * each look; a store reaches every copy before it returns.
 *
 * Two bugs of the document are not copied: its flagged loop polls when
 * i % 1000 == 0, which never holds for an odd i, so its workers never see
 * the flag; here they poll every --check-every divisors. And its check
 * calls 2 not prime and 1 prime; here 0, 1 and 2 get the right answer
 * (apps/common/primality.h). Numbers are uint64_t with an exact integer
 * square root: the test cases are ~1e17, beyond a double's exact integers.
 */
#include "app.h"
#include "primality.h"

#include <stdlib.h>
#include <string.h>

#define SERIAL_CHECK_CUTOFF 21
#define FLAG_CLEAR          '0'
#define FLAG_SET            '1'

/* [non_prime, non_prime, non_prime, prime, prime] */
static const uint64_t test_cases[] = {112272535095295u, 100109100129100369u, 100109100129101027u,
                                      100109100129100151u, 100109100129162907u};

enum { NAIVE, LESS_NAIVE, FLAGGED, NVARIANTS };
static const char *const variant_names[] = {"naive", "less_naive", "flagged"};

typedef struct {
    uint64_t n, from, to;
    mpr_value flag;
    uint64_t check_every; /* 0: no flag (naive, less_naive) */
} range_item;

typedef struct {
    mpr_pool *pool;
    int num_processes;
    mpr_value flag;
    uint64_t check_every;
} checker;

/* The flagged loop: odd divisors in pieces of check_every, the flag read
 * before each piece and set on a find. *prime as check_prime_in_range's.
 * Returns 0, or app_raise's code. */
static int check_range_flagged(const range_item *it, int32_t *prime)
{
    uint64_t from = it->from % 2 == 0 ? it->from - 1 : it->from;
    *prime = 0;
    for (uint64_t at = from; at < it->to;) {
        char flag = FLAG_CLEAR;
        int rc = mpr_value_load(it->flag, &flag);
        if (rc != MPR_OK)
            return app_raise("flag.value", rc);
        if (flag == FLAG_SET)
            return 0;
        uint64_t end = it->to - at > 2 * it->check_every ? at + 2 * it->check_every : it->to;
        if (app_odd_divisor(it->n, at, end) != 0) {
            char set = FLAG_SET;
            rc = mpr_value_store(it->flag, &set);
            return rc == MPR_OK ? 0 : app_raise("flag.value = FLAG_SET", rc);
        }
        at = end;
    }
    *prime = 1;
    return 0;
}

/* check_prime_in_range: out is 1 if no odd divisor of n is in the item's
 * range, else 0 (also when another worker's find stopped this one). */
static int check_prime_in_range(const void *in, void *out)
{
    const range_item *it = in;
    int32_t prime = 0;
    if (it->n % 2 == 0)
        prime = 0;
    else if (it->check_every == 0)
        prime = app_odd_divisor(it->n, it->from, it->to) == 0;
    else if (check_range_flagged(it, &prime) != 0)
        return 1;
    memcpy(out, &prime, sizeof prime);
    return 0;
}

/* create_range: num_processes consecutive parts of [from, to), cut in
 * whole numbers (the document cuts at int(chunk * i) of a float chunk).
 * len * i cannot overflow: len <= 2**32 (an isqrt) and k < 2**31. */
static void create_range(uint64_t from, uint64_t to, int k, range_item *items)
{
    uint64_t len = to > from ? to - from : 0;
    for (int i = 0; i < k; i++) {
        items[i].from = from + len * (uint64_t)i / (uint64_t)k;
        items[i].to = from + len * (uint64_t)(i + 1) / (uint64_t)k;
    }
}

/* check_prime for one variant: 1 prime, 0 not, or an exit code < 0 after
 * a message. */
static int check_prime(const checker *c, int variant, uint64_t n)
{
    if (n < 3 || n % 2 == 0)
        return n == 2;
    uint64_t from = 3, to = app_isqrt(n) + 1;
    if (variant != NAIVE) {
        uint64_t cut = to < SERIAL_CHECK_CUTOFF ? to : SERIAL_CHECK_CUTOFF;
        int result = app_odd_divisor(n, from, cut) == 0;
        if (to <= SERIAL_CHECK_CUTOFF || !result)
            return result;
        from = SERIAL_CHECK_CUTOFF;
    }
    char clear = FLAG_CLEAR;
    int rc = variant == FLAGGED ? mpr_value_store(c->flag, &clear) : MPR_OK;
    if (rc != MPR_OK)
        return -app_fail("flag.value = FLAG_CLEAR", rc);
    range_item items[c->num_processes];
    int32_t results[c->num_processes];
    create_range(from, to, c->num_processes, items);
    for (int i = 0; i < c->num_processes; i++) {
        items[i].n = n;
        items[i].flag = c->flag;
        items[i].check_every = variant == FLAGGED ? c->check_every : 0;
    }
    rc = mpr_pool_map(c->pool, check_prime_in_range, items, (size_t)c->num_processes, sizeof *items,
                      results, sizeof *results, 0);
    if (rc != MPR_OK)
        return -app_fail("pool.map", rc);
    for (int i = 0; i < c->num_processes; i++)
        if (!results[i])
            return 0;
    return 1;
}

static int run_variant(const checker *c, int variant, const uint64_t *numbers, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        double st = app_time();
        int prime = check_prime(c, variant, numbers[i]);
        if (prime < 0)
            return -prime;
        char took[40];
        app_format_float(took, sizeof took, app_time() - st);
        printf("The Value %llu is a prime: %s (Took %s seconds)\n", (unsigned long long)numbers[i],
               prime ? "True" : "False", took);
        fflush(stdout);
    }
    return APP_EXIT_OK;
}

static int run(const char *variant, int workers, uint64_t check_every, const uint64_t *numbers,
               size_t count)
{
    checker c = {.num_processes = workers, .check_every = check_every};
    char clear = FLAG_CLEAR;
    /* flag = Value('c', FLAG_CLEAR), read where the workers are */
    int rc = mpr_value_new_opts(&c.flag, 'c', &clear, &(mpr_value_opts){.read_mostly = 1});
    if (rc != MPR_OK)
        return app_fail("Value()", rc);
    rc = mpr_pool_new(&c.pool, workers);
    if (rc != MPR_OK)
        return app_fail("Pool()", rc);
    int status = APP_EXIT_OK, all = strcmp(variant, "all") == 0;
    for (int v = 0; v < NVARIANTS && status == APP_EXIT_OK; v++) {
        if (!all && strcmp(variant, variant_names[v]) != 0)
            continue;
        if (all)
            printf("%s%s:\n", v ? "\n" : "", variant_names[v]);
        status = run_variant(&c, v, numbers, count);
    }
    mpr_pool_free(c.pool);
    return status;
}

/* "2,3,1e17" into numbers; returns the count, or 0 after a message. */
static size_t parse_numbers(const char *text, uint64_t *numbers, size_t max)
{
    size_t count = 0;
    char token[64];
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ",");
        if (count == max || len >= sizeof token) {
            app_error("--numbers: at most %zu numbers of up to 20 digits (see --help)", max);
            return 0;
        }
        memcpy(token, p, len);
        token[len] = '\0';
        if (app_parse_u64("--numbers", token, &numbers[count]) != 0)
            return 0;
        count++;
        p += len;
        if (*p == '\0')
            return count;
    }
}

int main(int argc, char **argv)
{
    const char *variant = "all", *numbers_text = NULL;
    int workers = -1;
    uint64_t check_every = 2000;
    app_opt opts[] = {
        {"--variant", "{naive,less_naive,flagged,all}", "which of the document's scripts to run",
         APP_OPT_STR, &variant, 0, 0},
        {"--numbers", "N,N,...",
         "numbers to check, comma-separated (none: the document's five test cases)", APP_OPT_STR,
         &numbers_text, 0, 0},
        {"--workers", "W", "pool workers, num_processes (-1: every free worker rank)", APP_OPT_INT,
         &workers, -1, 1000000},
        {"--check-every", "D", "flagged: divisors tried between two looks at the flag", APP_OPT_U64,
         &check_every, 1, 1e12},
    };
    app_cli cli = {.summary = "Check whether numbers are prime by trial division, with the "
                              "divisors split over a Pool, as seed 004's verify_prime scripts "
                              "(naive, less naive, flagged) do.",
                   .opts = opts,
                   .nopts = APP_LEN(opts)};
    int rc = app_init(&argc, &argv, &cli);
    uint64_t numbers[64];
    size_t count = APP_LEN(test_cases);
    memcpy(numbers, test_cases, sizeof test_cases);
    if (rc == APP_RUN && numbers_text && (count = parse_numbers(numbers_text, numbers, 64)) == 0)
        rc = APP_EXIT_USAGE;
    if (rc == APP_RUN) {
        int free_ranks = mpr_free_workers();
        if (workers < 0)
            workers = free_ranks;
        if (workers == 0 || workers > free_ranks) {
            app_error("a Pool of %d worker%s needs %d free worker ranks, %d %s free; launch "
                      "with `mpirun -n %d`",
                      workers ? workers : 1, workers > 1 ? "s" : "", workers ? workers : 1,
                      free_ranks, free_ranks == 1 ? "is" : "are", (workers ? workers : 1) + 1);
            rc = APP_EXIT_USAGE;
        }
    }
    if (rc == APP_RUN)
        rc = run(variant, workers, check_every, numbers, count);
    return app_exit(rc);
}
