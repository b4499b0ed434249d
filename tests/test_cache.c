/* test_cache.c — the HDF5 result cache: hits and misses by key, damaged
 * files and entries detected and recomputed, many ranks sharing a file. */
#include "mpr_test.h"

#include <hdf5.h>
#include <unistd.h>

static int task_a(const void *arg, size_t len) { return (int)len + (arg ? 0 : 1); }
static int task_b(const void *arg, size_t len) { return (int)len + (arg ? 2 : 3); }

static void temp_path(char *path, size_t cap, const char *tag)
{
    snprintf(path, cap, "/tmp/mpr-cache-%s-%ld.h5", tag, (long)getpid());
    unlink(path);
}

MPR_TEST(roundtrip)
{
    char path[256];
    temp_path(path, sizeof path, "rt");
    mpr_cache *c;
    ASSERT_OK(mpr_cache_open(&c, path, "v1"));
    int64_t arg = 42, value = 4242, out = 0;
    size_t len = 0;
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len),
              MPR_ENOTFOUND);
    ASSERT_OK(mpr_cache_put(c, (mpr_fn)task_a, &arg, sizeof arg, &value, sizeof value));
    ASSERT_OK(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len));
    ASSERT_EQ(len, sizeof value);
    ASSERT_EQ(out, 4242);
    /* Another argument, function or code version is another key. */
    int64_t other = 43;
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_a, &other, sizeof other, &out, sizeof out, &len),
              MPR_ENOTFOUND);
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_b, &arg, sizeof arg, &out, sizeof out, &len),
              MPR_ENOTFOUND);
    char small[2];
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, small, sizeof small, &len),
              MPR_ETRUNC);
    ASSERT_EQ(len, sizeof value);
    uint64_t hits, misses, damaged;
    mpr_cache_stats(c, &hits, &misses, &damaged);
    ASSERT_EQ(hits, 1);
    ASSERT_EQ(misses, 3);
    ASSERT_EQ(damaged, 0);
    mpr_cache_close(c);
    ASSERT_OK(mpr_cache_open(&c, path, "v2"));
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len),
              MPR_ENOTFOUND);
    mpr_cache_close(c);
    /* A new handle on the same file and version finds it again. */
    ASSERT_OK(mpr_cache_open(&c, path, "v1"));
    ASSERT_OK(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len));
    ASSERT_EQ(out, 4242);
    mpr_cache_close(c);
    ASSERT_RC(mpr_cache_open(&c, "", "v1"), MPR_EINVAL);
    unlink(path);
    return 0;
}

MPR_TEST(damaged_file)
{
    char path[256], aside[300];
    temp_path(path, sizeof path, "dmg");
    snprintf(aside, sizeof aside, "%s.damaged", path);
    unlink(aside);
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    fputs("this is not an HDF5 file, whatever it claims", f);
    fclose(f);
    mpr_cache *c;
    ASSERT_OK(mpr_cache_open(&c, path, "v1"));
    uint64_t damaged = 0;
    mpr_cache_stats(c, NULL, NULL, &damaged);
    ASSERT_EQ(damaged, 1);
    ASSERT_TRUE(access(aside, F_OK) == 0); /* kept for inspection */
    int64_t arg = 1, value = 7, out = 0;
    size_t len;
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len),
              MPR_ENOTFOUND);
    ASSERT_OK(mpr_cache_put(c, (mpr_fn)task_a, &arg, sizeof arg, &value, sizeof value));
    ASSERT_OK(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len));
    ASSERT_EQ(out, 7);
    mpr_cache_close(c);
    unlink(path);
    unlink(aside);
    return 0;
}

/* Overwrites the value of every entry with other bytes, leaving its checksum. */
static void corrupt_values(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_TRUE(f >= 0);
    hid_t g = H5Gopen2(f, "mpr_cache", H5P_DEFAULT);
    hsize_t n = 0;
    H5Gget_num_objs(g, &n);
    for (hsize_t i = 0; i < n; i++) {
        char name[64], full[128];
        H5Gget_objname_by_idx(g, i, name, sizeof name);
        snprintf(full, sizeof full, "%s/value", name);
        hid_t d = H5Dopen2(g, full, H5P_DEFAULT);
        unsigned char junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        ASSERT_TRUE(H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, junk) >= 0);
        H5Dclose(d);
    }
    H5Gclose(g);
    H5Fclose(f);
}

MPR_TEST(damaged_entry)
{
    char path[256];
    temp_path(path, sizeof path, "ent");
    mpr_cache *c;
    ASSERT_OK(mpr_cache_open(&c, path, "v1"));
    int64_t arg = 5, value = 55, out = 0;
    size_t len;
    ASSERT_OK(mpr_cache_put(c, (mpr_fn)task_a, &arg, sizeof arg, &value, sizeof value));
    corrupt_values(path);
    ASSERT_RC(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len),
              MPR_ENOTFOUND);
    uint64_t damaged = 0;
    mpr_cache_stats(c, NULL, NULL, &damaged);
    ASSERT_EQ(damaged, 1);
    ASSERT_OK(mpr_cache_put(c, (mpr_fn)task_a, &arg, sizeof arg, &value, sizeof value));
    ASSERT_OK(mpr_cache_get(c, (mpr_fn)task_a, &arg, sizeof arg, &out, sizeof out, &len));
    ASSERT_EQ(out, 55);
    mpr_cache_close(c);
    unlink(path);
    return 0;
}

typedef struct {
    char path[256];
    int id, n;
} writer_args;

static int write_entries(const void *arg, size_t len)
{
    writer_args a;
    memcpy(&a, arg, len);
    mpr_cache *c;
    if (mpr_cache_open(&c, a.path, "shared") != MPR_OK)
        return mpr_raise("open: %s", mpr_last_error());
    for (int i = 0; i < a.n; i++) {
        int64_t key[2] = {a.id, i}, value = a.id * 1000 + i;
        if (mpr_cache_put(c, (mpr_fn)task_a, key, sizeof key, &value, sizeof value) != MPR_OK)
            return mpr_raise("put: %s", mpr_last_error());
    }
    mpr_cache_close(c);
    return 0;
}

/* Several ranks write one file at the same time; every entry is there. */
MPR_TEST(shared_file)
{
    MPR_TEST_NEED_WORKERS(2);
    int writers = mpr_free_workers() > 4 ? 4 : mpr_free_workers();
    writer_args a = {.n = 25};
    temp_path(a.path, sizeof a.path, "shared");
    mpr_process *p[4];
    for (int w = 0; w < writers; w++) {
        a.id = w;
        ASSERT_OK(mpr_process_new(&p[w], write_entries, &a, sizeof a));
        ASSERT_OK(mpr_process_start(p[w]));
    }
    for (int w = 0; w < writers; w++) {
        ASSERT_OK(mpr_process_join(p[w], -1));
        if (mpr_process_exitcode(p[w]) != 0)
            printf("writer %d: %s\n", w, mpr_process_error(p[w]));
        ASSERT_EQ(mpr_process_exitcode(p[w]), 0);
        mpr_process_free(p[w]);
    }
    mpr_cache *c;
    ASSERT_OK(mpr_cache_open(&c, a.path, "shared"));
    for (int w = 0; w < writers; w++)
        for (int i = 0; i < a.n; i++) {
            int64_t key[2] = {w, i}, out = -1;
            size_t len;
            ASSERT_OK(mpr_cache_get(c, (mpr_fn)task_a, key, sizeof key, &out, sizeof out, &len));
            ASSERT_EQ(out, w * 1000 + i);
        }
    mpr_cache_close(c);
    unlink(a.path);
    return 0;
}

MPR_TEST_MAIN(MPR_TEST_ENTRY(roundtrip), MPR_TEST_ENTRY(damaged_file),
              MPR_TEST_ENTRY(damaged_entry), MPR_TEST_ENTRY(shared_file))
