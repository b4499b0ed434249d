/*
 * consumer.c — the smallest program built against an installed mpr.
 *
 * tests/packaging.cmake builds it with find_package(mpr) and with
 * `pkg-config --cflags --libs mpr`, against a shared and (with
 * `pkg-config --static`) a static libmpr, and runs it on 2 ranks: rank 0
 * starts one Process, whose target runs on rank 1 and returns 7, then
 * stores that exit code in a result cache and reads it back. The test
 * compares the printed lines, so a package that compiles and links but
 * loses the target between ranks still fails. The cache is there for the
 * static library: it is the part of libmpr that uses HDF5 and xxHash, so a
 * package that does not bring libmpr's private dependencies fails to link.
 */
#include <mpr.h>
#include <stdio.h>
#include <stdlib.h>

static int seven(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    return 7;
}

/* Caches exitcode as the result of seven() and reads it back, in a file
 * of its own under $TMPDIR that is removed afterwards. */
static int cache_round_trip(int exitcode)
{
    const char *tmp = getenv("TMPDIR");
    char path[512], lock[520];
    snprintf(path, sizeof path, "%s/mpr-consumer-%ld.h5", tmp && *tmp ? tmp : "/tmp",
             mpr_self_pid());
    snprintf(lock, sizeof lock, "%s.lock", path);
    mpr_cache *c = NULL;
    int out = -1;
    size_t len = 0;
    int rc = mpr_cache_open(&c, path, "consumer 1");
    if (rc == MPR_OK)
        rc = mpr_cache_put(c, (mpr_fn)seven, NULL, 0, &exitcode, sizeof exitcode);
    if (rc == MPR_OK)
        rc = mpr_cache_get(c, (mpr_fn)seven, NULL, 0, &out, sizeof out, &len);
    if (rc == MPR_OK)
        printf("cached %d\n", out);
    mpr_cache_close(c);
    remove(path);
    remove(lock);
    return rc;
}

static int run(void)
{
    mpr_process *p = NULL;
    int rc = mpr_process_new(&p, seven, NULL, 0);
    if (rc == MPR_OK)
        rc = mpr_process_start(p);
    if (rc == MPR_OK)
        rc = mpr_process_join(p, -1.0);
    if (rc == MPR_OK)
        printf("exitcode %d\n", mpr_process_exitcode(p));
    if (rc == MPR_OK)
        rc = cache_round_trip(mpr_process_exitcode(p));
    mpr_process_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = mpr_init(&argc, &argv);
    if (rc != MPR_OK) {
        fprintf(stderr, "mpr_init: %s: %s\n", mpr_err_name(rc), mpr_last_error());
        return 1;
    }
    rc = run();
    if (rc != MPR_OK)
        fprintf(stderr, "consumer: %s: %s\n", mpr_err_name(rc), mpr_last_error());
    int frc = mpr_finalize();
    return rc == MPR_OK && frc == MPR_OK ? 0 : 1;
}
