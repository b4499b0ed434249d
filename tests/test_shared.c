/* Tests for the shared heap, Value and Array (src/heap.c, src/value.c). Every case
 * runs twice in CTest: on one node, and with MPR_NODE_SPLIT=rank, where
 * every rank is its own node and children reach rank 0's objects through
 * its heap server. */
#include "shared_test_util.h"

#include <stdint.h>

static const char codes[] = "cbBhHiIlLqQfd";

/* Per typecode: a Value and an Array of 4, each element being 1..4 as that
 * type. Values are built through a double, which is exact for these. */
typedef struct {
    mpr_value v[13];
    mpr_array a[13];
} typed_objects;

static void to_type(char code, double x, void *out)
{
    switch (code) {
    case 'c':
    case 'b':
        *(signed char *)out = (signed char)x;
        break;
    case 'B':
        *(unsigned char *)out = (unsigned char)x;
        break;
    case 'h':
        *(short *)out = (short)x;
        break;
    case 'H':
        *(unsigned short *)out = (unsigned short)x;
        break;
    case 'i':
        *(int *)out = (int)x;
        break;
    case 'I':
        *(unsigned *)out = (unsigned)x;
        break;
    case 'l':
        *(long *)out = (long)x;
        break;
    case 'L':
        *(unsigned long *)out = (unsigned long)x;
        break;
    case 'q':
        *(int64_t *)out = (int64_t)x;
        break;
    case 'Q':
        *(uint64_t *)out = (uint64_t)x;
        break;
    case 'f':
        *(float *)out = (float)x;
        break;
    default:
        *(double *)out = x;
        break;
    }
}

static double from_type(char code, const void *in)
{
    switch (code) {
    case 'c':
    case 'b':
        return *(const signed char *)in;
    case 'B':
        return *(const unsigned char *)in;
    case 'h':
        return *(const short *)in;
    case 'H':
        return *(const unsigned short *)in;
    case 'i':
        return *(const int *)in;
    case 'I':
        return *(const unsigned *)in;
    case 'l':
        return (double)*(const long *)in;
    case 'L':
        return (double)*(const unsigned long *)in;
    case 'q':
        return (double)*(const int64_t *)in;
    case 'Q':
        return (double)*(const uint64_t *)in;
    case 'f':
        return *(const float *)in;
    default:
        return *(const double *)in;
    }
}

/* In a child: every Value holds 7; add 3 (-> 10), CAS 10 -> 20; every
 * Array holds 1..4: square it in place (the seed's square_list). */
static int typed_child(const void *arg, size_t len)
{
    typed_objects o;
    CHILD_ARG(o, arg, len);
    for (int t = 0; t < 13; t++) {
        char code = codes[t], x[8], y[8], old[8], buf[4 * 8];
        ASSERT_EQ(mpr_value_typecode(o.v[t]), code);
        ASSERT_OK(mpr_value_load(o.v[t], x));
        ASSERT_EQ(from_type(code, x), 7);
        to_type(code, 3, x);
        ASSERT_OK(mpr_value_fetch_add(o.v[t], x, old));
        ASSERT_EQ(from_type(code, old), 7);
        to_type(code, 10, x);
        to_type(code, 20, y);
        ASSERT_EQ(mpr_value_compare_and_swap(o.v[t], x, y, old), 1);
        ASSERT_EQ(mpr_value_compare_and_swap(o.v[t], x, y, old), 0);
        ASSERT_EQ(from_type(code, old), 20);
        size_t es = mpr_typecode_size(code);
        ASSERT_EQ(mpr_array_len(o.a[t]), 4);
        ASSERT_OK(mpr_array_read(o.a[t], 0, 4, buf));
        for (int i = 0; i < 4; i++) {
            double e = from_type(code, buf + es * (size_t)i);
            to_type(code, e * e, buf + es * (size_t)i);
        }
        ASSERT_OK(mpr_array_write(o.a[t], 0, 4, buf));
    }
    return 0;
}

MPR_TEST(typecodes)
{
    typed_objects o;
    for (int t = 0; t < 13; t++) {
        char code = codes[t], x[8], buf[4 * 8];
        size_t es = mpr_typecode_size(code);
        ASSERT_TRUE(es > 0);
        to_type(code, 7, x);
        ASSERT_OK(mpr_value_new(&o.v[t], code, x, t % 2));
        for (int i = 0; i < 4; i++)
            to_type(code, i + 1, buf + es * (size_t)i);
        ASSERT_OK(mpr_array_new(&o.a[t], code, 4, buf, t % 2 == 0));
    }
    if (mpr_size() > 1)
        run_children(1, typed_child, &o, sizeof o);
    else
        ASSERT_EQ(typed_child(&o, sizeof o), 0);
    for (int t = 0; t < 13; t++) {
        char code = codes[t], x[8], buf[4 * 8];
        size_t es = mpr_typecode_size(code);
        ASSERT_OK(mpr_value_load(o.v[t], x));
        ASSERT_EQ(from_type(code, x), 20);
        ASSERT_OK(mpr_array_read(o.a[t], 0, 4, buf));
        for (int i = 0; i < 4; i++)
            ASSERT_EQ(from_type(code, buf + es * (size_t)i), (i + 1) * (i + 1));
    }
    return 0;
}

typedef struct {
    mpr_value total;
    mpr_array per;
    int32_t iters;
} counters;

static int add_child(const void *arg, size_t len)
{
    counters c;
    CHILD_ARG(c, arg, len);
    int64_t one = 1;
    for (int i = 0; i < c.iters; i++) {
        ASSERT_OK(mpr_value_fetch_add(c.total, &one, NULL));
        ASSERT_OK(mpr_array_fetch_add(c.per, (size_t)(i % 3), &one, NULL));
    }
    return 0;
}

/* fetch_add from every worker never loses an update. */
MPR_TEST(fetch_add_exact)
{
    MPR_TEST_NEED_WORKERS(1);
    counters c = {.iters = 10000};
    ASSERT_OK(mpr_value_new(&c.total, 'q', NULL, 0));
    ASSERT_OK(mpr_array_new(&c.per, 'q', 3, NULL, 0));
    int n = mpr_size() - 1;
    run_children(n, add_child, &c, sizeof c);
    int64_t total = 0, per[3];
    ASSERT_OK(mpr_value_load(c.total, &total));
    ASSERT_EQ(total, (int64_t)n * c.iters);
    ASSERT_OK(mpr_array_read(c.per, 0, 3, per));
    ASSERT_EQ(per[0] + per[1] + per[2], (int64_t)n * c.iters);
    return 0;
}

static int locked_child(const void *arg, size_t len)
{
    counters c;
    CHILD_ARG(c, arg, len);
    mpr_lock l;
    ASSERT_OK(mpr_value_get_lock(c.total, &l));
    locked_increments(l, c.total, c.iters);
    return 0;
}

/* with v.get_lock(): v.value += 1 from every worker, exact. */
MPR_TEST(get_lock_exact)
{
    MPR_TEST_NEED_WORKERS(1);
    counters c = {.iters = 5000};
    ASSERT_OK(mpr_value_new(&c.total, 'q', NULL, 1));
    int n = mpr_size() - 1;
    run_children(n, locked_child, &c, sizeof c);
    ASSERT_EQ(load_i64(c.total), (int64_t)n * c.iters);
    return 0;
}

static int ptr_child(const void *arg, size_t len)
{
    mpr_array a;
    CHILD_ARG(a, arg, len);
    int *p = mpr_array_ptr(a);
    if (split_by_rank()) {
        ASSERT_TRUE(p == NULL);
        int v = 5;
        ASSERT_OK(mpr_array_write(a, 1, 1, &v));
    } else {
        ASSERT_TRUE(p != NULL);
        ASSERT_EQ(p[0], 42);
        p[1] = 5;
    }
    return 0;
}

/* The raw pointer: on the array's node only. */
MPR_TEST(array_ptr)
{
    mpr_array a;
    int init[2] = {42, 0};
    ASSERT_OK(mpr_array_new(&a, 'i', 2, init, 0));
    int *p = mpr_array_ptr(a);
    ASSERT_TRUE(p != NULL);
    ASSERT_EQ(p[0], 42);
    if (mpr_size() > 1) {
        run_children(1, ptr_child, &a, sizeof a);
        int v = 0;
        ASSERT_OK(mpr_array_read(a, 1, 1, &v));
        ASSERT_EQ(v, 5);
    }
    return 0;
}

MPR_TEST(errors)
{
    mpr_value v;
    mpr_array a;
    mpr_lock l;
    ASSERT_RC(mpr_value_new(&v, 'x', NULL, 1), MPR_EINVAL);
    ASSERT_CONTAINS(mpr_last_error(), "typecode");
    ASSERT_RC(mpr_array_new(&a, 'i', 0, NULL, 1), MPR_EINVAL);
    ASSERT_OK(mpr_array_new(&a, 'i', 3, NULL, 0));
    int buf[4];
    ASSERT_RC(mpr_array_read(a, 2, 2, buf), MPR_EINVAL);
    ASSERT_RC(mpr_array_write(a, 3, 1, buf), MPR_EINVAL);
    ASSERT_RC(mpr_array_get_lock(a, &l), MPR_ESTATE);
    ASSERT_OK(mpr_value_new(&v, 'd', NULL, 0));
    ASSERT_RC(mpr_value_get_lock(v, &l), MPR_ESTATE);
    mpr_value bad = {0};
    ASSERT_RC(mpr_value_load(bad, buf), MPR_EINVAL);
    ASSERT_EQ(mpr_typecode_size('z'), 0);
    return 0;
}

/* Running out of heap is MPR_ENOMEM with the sizes, never a crash. */
MPR_TEST(heap_full)
{
    mpr_array a;
    ASSERT_RC(mpr_array_new(&a, 'd', 1 << 20, NULL, 0), MPR_ENOMEM);
    ASSERT_CONTAINS(mpr_last_error(), "MPR_HEAP_SIZE");
    ASSERT_CONTAINS(mpr_last_error(), "8388608 more needed");
    ASSERT_OK(mpr_array_new(&a, 'd', 1000, NULL, 1));
    return 0;
}

/* --------------------------------------------------- read-mostly Values */

enum { RM_LOADS = 2000, RM_ADDS = 300 };

typedef struct {
    mpr_value flag;  /* read-mostly, 'q' */
    mpr_value small; /* read-mostly, 'c': a 1-byte element through the same paths */
    mpr_value wins;  /* plain: how many children's CAS swapped */
    int64_t expect;  /* what every load of flag must see */
    int phase;
} rm_arg;

static int rm_child(const void *arg, size_t len)
{
    rm_arg a;
    CHILD_ARG(a, arg, len);
    int64_t one = 1, zero = 0, me = mpr_rank();
    signed char c_one = 1, c = 0, c_want = (signed char)(10 * (mpr_size() - 1));
    signed char c_mine = (signed char)-me;
    mpr_served before, after;
    switch (a.phase) {
    case 0: /* loads only, served by no node's server: not this one's either */
        ASSERT_OK(mpr_served_counts(&before));
        for (int i = 0; i < RM_LOADS; i++)
            ASSERT_EQ(load_i64(a.flag), a.expect);
        ASSERT_OK(mpr_served_counts(&after));
        ASSERT_TRUE(after.node_server - before.node_server < RM_LOADS);
        break;
    case 1: /* fetch_add from every child, 8-byte and 1-byte */
        for (int i = 0; i < RM_ADDS; i++)
            ASSERT_OK(mpr_value_fetch_add(a.flag, &one, NULL));
        for (int i = 0; i < 10; i++)
            ASSERT_OK(mpr_value_fetch_add(a.small, &c_one, NULL));
        break;
    case 2: { /* one CAS from expect wins; a failed CAS updated this copy */
        int swapped = mpr_value_compare_and_swap(a.flag, &a.expect, &me, NULL);
        ASSERT_TRUE(swapped == 0 || swapped == 1);
        if (swapped)
            ASSERT_OK(mpr_value_fetch_add(a.wins, &one, NULL));
        ASSERT_TRUE(load_i64(a.flag) != a.expect);
        ASSERT_OK(mpr_value_load(a.small, &c));
        ASSERT_TRUE(c == c_want || c < 0); /* every 1-byte add, or a CAS after them */
        swapped = mpr_value_compare_and_swap(a.small, &c_want, &c_mine, NULL);
        ASSERT_TRUE(swapped == 0 || swapped == 1);
        ASSERT_OK(mpr_value_load(a.small, &c));
        ASSERT_TRUE(c < 0);
        break;
    }
    default: /* a store here, seen by the next child on any node */
        ASSERT_OK(mpr_value_store(a.flag, &zero));
        ASSERT_EQ(load_i64(a.flag), 0);
    }
    return 0;
}

/* A read-mostly Value: loads on any node cost its home nothing, and every
 * write is in every node's copy when it returns. */
MPR_TEST(read_mostly)
{
    rm_arg a = {.expect = 7};
    ASSERT_OK(mpr_value_new_opts(&a.flag, 'q', &a.expect, &(mpr_value_opts){.read_mostly = 1}));
    ASSERT_OK(mpr_value_new_opts(&a.small, 'c', NULL, &(mpr_value_opts){.read_mostly = 1}));
    ASSERT_OK(mpr_value_new(&a.wins, 'q', NULL, 0));
    ASSERT_EQ(load_i64(a.flag), 7);
    int n = mpr_size() - 1;
    if (n == 0)
        return 0;
    mpr_served before, after;
    ASSERT_OK(mpr_served_counts(&before));
    run_children(n, rm_child, &a, sizeof a);
    ASSERT_OK(mpr_served_counts(&after));
    /* A plain Value's loads from other nodes are one request each to this
     * node's server; spawning and joining the children is a few. */
    ASSERT_TRUE(after.node_server - before.node_server < RM_LOADS);

    a.phase = 1;
    run_children(n, rm_child, &a, sizeof a);
    a.expect = 7 + (int64_t)n * RM_ADDS;
    ASSERT_EQ(load_i64(a.flag), a.expect);

    a.phase = 0; /* every node's copy holds every add */
    run_children(n, rm_child, &a, sizeof a);
    a.phase = 2;
    run_children(n, rm_child, &a, sizeof a);
    ASSERT_EQ(load_i64(a.wins), 1);
    int64_t winner = load_i64(a.flag);
    ASSERT_TRUE(winner >= 1 && winner <= n);

    a.phase = 3;
    run_children(1, rm_child, &a, sizeof a);
    ASSERT_EQ(load_i64(a.flag), 0);
    a.phase = 0;
    a.expect = 0;
    run_children(n, rm_child, &a, sizeof a);
    return 0;
}

/* The control for read_mostly's count: a plain Value's loads from other
 * nodes reach this node's server, one request each. */
MPR_TEST(plain_loads_counted)
{
    rm_arg a = {.expect = 7};
    ASSERT_OK(mpr_value_new(&a.flag, 'q', &a.expect, 0));
    mpr_served before, after;
    ASSERT_OK(mpr_served_counts(&before));
    run_children(mpr_size() - 1, rm_child, &a, sizeof a);
    ASSERT_OK(mpr_served_counts(&after));
    ASSERT_TRUE(after.node_server - before.node_server >= (uint64_t)RM_LOADS * (mpr_size() - 1));
    return 0;
}

/* 255 read-mostly Values per job, then MPR_ENOMEM saying so; bad options. */
MPR_TEST(read_mostly_limits)
{
    mpr_value v;
    mpr_value_opts rm = {.read_mostly = 1, .lock = 1};
    ASSERT_RC(mpr_value_new_opts(&v, 'q', NULL, NULL), MPR_EINVAL);
    ASSERT_RC(mpr_value_new_opts(&v, 'x', NULL, &rm), MPR_EINVAL);
    for (int i = 0; i < 255 - 1; i++) /* the failed 'x' took none */
        ASSERT_OK(mpr_value_new_opts(&v, 'd', NULL, &rm));
    double x = 2.5;
    ASSERT_OK(mpr_value_store(v, &x));
    mpr_lock l;
    ASSERT_OK(mpr_value_get_lock(v, &l));
    ASSERT_OK(mpr_lock_acquire(l, -1));
    ASSERT_OK(mpr_lock_release(l));
    ASSERT_OK(mpr_value_new_opts(&v, 'd', NULL, &rm));
    ASSERT_RC(mpr_value_new_opts(&v, 'd', NULL, &rm), MPR_ENOMEM);
    ASSERT_CONTAINS(mpr_last_error(), "all 255 read-mostly Values");
    mpr_array forged = {v.home, v.type, v.offset, 1, 0};
    ASSERT_RC(mpr_array_read(forged, 0, 1, &x), MPR_EINVAL);
    ASSERT_TRUE(mpr_array_ptr(forged) == NULL);
    /* A read-mostly handle names a cell handed out: not the counter of
     * cells (the first), not between two cells, not among the objects. */
    mpr_value plain;
    ASSERT_OK(mpr_value_new(&plain, 'd', NULL, 0));
    const uint64_t not_cells[] = {v.offset - 16 * 255, v.offset + 8, plain.offset};
    for (size_t i = 0; i < sizeof not_cells / sizeof not_cells[0]; i++) {
        mpr_value bad = v;
        bad.offset = not_cells[i];
        ASSERT_RC(mpr_value_store(bad, &x), MPR_EINVAL);
        ASSERT_RC(mpr_value_load(bad, &x), MPR_EINVAL);
    }
    /* A plain handle does not reach the cells: only their server writes them. */
    mpr_value into_cells = plain;
    into_cells.offset = v.offset + 8; /* the cell's sequence word */
    ASSERT_RC(mpr_value_store(into_cells, &x), MPR_EINVAL);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(typecodes), MPR_TEST_ENTRY(fetch_add_exact),
              MPR_TEST_ENTRY(get_lock_exact), MPR_TEST_ENTRY(array_ptr), MPR_TEST_ENTRY(errors),
              MPR_TEST_ENTRY(heap_full), MPR_TEST_ENTRY(read_mostly),
              MPR_TEST_ENTRY(plain_loads_counted), MPR_TEST_ENTRY(read_mostly_limits))
