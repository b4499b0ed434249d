/*
 * error.c — the error model: codes, names, and this thread's last message.
 *
 * DESIGN
 *   Codes come from one X-macro table in mpr.h (MPR_ERRNO_MAP), so the enum,
 *   mpr_strerror() and mpr_err_name() cannot drift apart (libuv).
 *   The message is set where the error happens, on the calling thread, into
 *   a _Thread_local buffer that mpr owns (SQLite errmsg, Redis
 *   anetSetError). The service thread never writes a client's message into
 *   its own buffer: it sends the text in the reply and the client records it.
 *   mpr_raise() fails the running task; its message travels back to the
 *   parent with the exit code.
 */
#include "mpr-internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[MPR__MSG_MAX];
static _Thread_local char raise_message[MPR__MSG_MAX];

const char *mpr_strerror(int code)
{
    switch (code) {
    case MPR_OK:
        return "success";
#define XX(name, value, text)                                                                      \
    case MPR_##name:                                                                               \
        return text;
        MPR_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error code";
}

const char *mpr_err_name(int code)
{
    switch (code) {
    case MPR_OK:
        return "MPR_OK";
#define XX(name, value, text)                                                                      \
    case MPR_##name:                                                                               \
        return "MPR_" #name;
        MPR_ERRNO_MAP(XX)
#undef XX
    }
    return "MPR_E?";
}

const char *mpr_last_error(void) { return last_error; }

int mpr__vfail(int code, const char *fmt, va_list ap)
{
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    return code;
}

int mpr__fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mpr__vfail(code, fmt, ap);
    va_end(ap);
    return code;
}

int mpr_raise(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raise_message, sizeof raise_message, fmt, ap);
    va_end(ap);
    mpr__fail(1, "%s", raise_message);
    /* Python's exit code for a process that ended with an exception. */
    return 1;
}

const char *mpr__raise_message(void) { return raise_message; }
void mpr__raise_reset(void) { raise_message[0] = '\0'; }

static void mpi_text(int mpi_code, char text[MPI_MAX_ERROR_STRING])
{
    int n = 0;
    if (MPI_Error_string(mpi_code, text, &n) != MPI_SUCCESS)
        snprintf(text, MPI_MAX_ERROR_STRING, "MPI error %d", mpi_code);
}

int mpr__mpi_fail(int mpi_code, const char *call, const char *file, int line)
{
    char text[MPI_MAX_ERROR_STRING];
    mpi_text(mpi_code, text);
    return mpr__fail(MPR_EMPI, "rank %d (%s) %s:%d: %s failed: %s", mpr__rt.rank, mpr__rt.host,
                     file, line, call, text);
}

/* The policy for MPI failures (macros in mpr-internal.h):
 *   - a call made for a caller (any public function, and what it calls)
 *     returns MPR_EMPI with MPI's text: MPR_MPI_CALL;
 *   - a server-side path (service thread, heap server, a worker's task and
 *     pool loops) has nobody to return to, and clients would wait forever
 *     for an answer that never comes: MPR_MPI_MUST aborts the job with the
 *     call and MPI's text, as an assertion would, but saying what failed;
 *   - releasing MPI objects (frees, after the work is done or on a path
 *     that already fails) must not hide the first error or stop the
 *     release of the rest: MPR_MPI_RELEASE logs the failure and goes on. */
_Noreturn void mpr__mpi_abort(int mpi_code, const char *call, const char *file, int line)
{
    char text[MPI_MAX_ERROR_STRING];
    mpi_text(mpi_code, text);
    fprintf(stderr,
            "mpr: rank %d (%s) %s:%d: %s failed on a server-side path: %s; aborting the job\n",
            mpr__rt.rank, mpr__rt.host, file, line, call, text);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 70);
    abort();
}

void mpr__mpi_warn(int mpi_code, const char *call, const char *file, int line)
{
    char text[MPI_MAX_ERROR_STRING];
    mpi_text(mpi_code, text);
    MPR_WARN("%s:%d: %s failed: %s", file, line, call, text);
}

_Noreturn void mpr__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "mpr: rank %d (%s) %s:%d: assertion '%s' failed; aborting the job\n",
            mpr__rt.rank, mpr__rt.host, file, line, expr);
    fflush(stderr);
    int up = 0;
    MPI_Initialized(&up);
    if (up)
        MPI_Abort(MPI_COMM_WORLD, 70);
    abort();
}

int mpr__require_init(void)
{
    if (!mpr__rt.initialized)
        return mpr__fail(MPR_ESTATE, "mpr is not initialized: call mpr_init(&argc, &argv) first");
    return MPR_OK;
}

int mpr__require_rank0(const char *what)
{
    MPR_CHECK(mpr__require_init());
    if (mpr__rt.rank != 0)
        return mpr__fail(MPR_ERANK,
                         "%s is for rank 0, the parent (it owns the worker ranks); this is rank "
                         "%d (%s)",
                         what, mpr__rt.rank, mpr__rt.host);
    return MPR_OK;
}

int mpr__count_to_int(size_t n, int *out)
{
    if (n > (size_t)INT_MAX)
        return mpr__fail(MPR_ETOOBIG, "%zu bytes exceed what one MPI message carries (%d)", n,
                         INT_MAX);
    *out = (int)n;
    return MPR_OK;
}
