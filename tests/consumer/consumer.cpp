/*
 * consumer.cpp — a C++ program built against an installed mpr.
 *
 * mpr.h promises extern "C"; this program holds it to that. It includes
 * the header as C++ (C++11 here; the consumer project also compiles it as
 * C++14, 17 and 20), links with the C++ driver and runs on 2 ranks: rank 0
 * passes a Queue and a Lock to a Process on rank 1, which takes the lock,
 * puts a string and returns 7. tests/packaging.cmake compares the output
 * with expected_cxx.out, so a header that compiles but mangles a name, or
 * pulls in MPI's C++ bindings that the package does not link, fails.
 */
#include <mpr.h>

#include <cstdio>
#include <cstring>

namespace
{

struct task_args {
    mpr_queue q;
    mpr_lock lock;
};

int greet(const void *arg, size_t len)
{
    task_args a;
    if (len != sizeof a)
        return 2;
    std::memcpy(&a, arg, sizeof a);
    if (mpr_lock_acquire(a.lock, -1.0) != MPR_OK)
        return 3;
    int rc = mpr_queue_put_str(a.q, "hello from C++", -1.0);
    mpr_lock_release(a.lock);
    return rc == MPR_OK ? 7 : 1;
}

int check(int rc, const char *what)
{
    if (rc < 0)
        std::fprintf(stderr, "consumer_cxx: %s: %s: %s\n", what, mpr_err_name(rc),
                     mpr_last_error());
    return rc;
}

int run()
{
    task_args a;
    if (check(mpr_queue_new(&a.q, 0), "mpr_queue_new") != MPR_OK ||
        check(mpr_lock_new(&a.lock), "mpr_lock_new") != MPR_OK)
        return 1;
    mpr_process *p = nullptr;
    int rc = check(mpr_process_new(&p, greet, &a, sizeof a), "mpr_process_new");
    if (rc == MPR_OK)
        rc = check(mpr_process_start(p), "mpr_process_start");
    char buf[64];
    if (rc == MPR_OK)
        rc = check(mpr_queue_get_str(a.q, buf, sizeof buf, -1.0), "mpr_queue_get_str");
    if (rc == MPR_OK)
        rc = check(mpr_process_join(p, -1.0), "mpr_process_join");
    if (rc == MPR_OK)
        std::printf("%s\nexitcode %d\n", buf, mpr_process_exitcode(p));
    mpr_process_free(p);
    mpr_queue_free(a.q);
    return rc == MPR_OK ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    if (check(mpr_init(&argc, &argv), "mpr_init") != MPR_OK)
        return 1;
    int rc = run();
    int frc = check(mpr_finalize(), "mpr_finalize");
    return rc == 0 && frc == MPR_OK ? 0 : 1;
}
