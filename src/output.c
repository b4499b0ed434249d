/*
 * output.c — a worker's stdout, forwarded to rank 0 in order.
 *
 * DESIGN
 *   mpirun forwards each rank's stdout on its own pipe, so a line a child
 *   printed before it returned can reach the terminal after the parent's
 *   "DONE" printed after join: Python users expect the opposite, and tests
 *   of the documents' output need it. So while a worker runs, its stdout is
 *   a line-buffered stream (fopencookie) whose writes are MPI messages
 *   (TAG_OUT, comm_svc) to rank 0; the service thread writes them into rank
 *   0's own stdout FILE, so they interleave with the parent's prints in the
 *   order things happened. The DONE message carries how many bytes the
 *   worker sent in all, and join returns only when rank 0 has written that
 *   many, so everything a child printed comes before what the parent prints
 *   after joining it.
 *   MPR_STDOUT=direct turns this off (each rank writes its own stdout, as
 *   plain mpirun does). stderr is never forwarded: diagnostics must get out
 *   even when MPI is broken.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static uint64_t sent_total;       /* worker: bytes forwarded since init */
static FILE *real_stdout;         /* worker: stdout before redirection */
static _Atomic uint64_t *written; /* rank 0: bytes written, per source rank */

static ssize_t forward_write(void *cookie, const char *buf, size_t n)
{
    (void)cookie;
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done > (1u << 30) ? (1u << 30) : n - done;
        if (mpr__send(buf + done, (int)chunk, 0, MPR__TAG_OUT, mpr__rt.comm_svc, 0) != MPI_SUCCESS)
            return -1;
        done += chunk;
    }
    sent_total += n;
    return (ssize_t)n;
}

static bool forwarding_wanted(void)
{
    const char *s = getenv("MPR_STDOUT");
    return !(s && strcmp(s, "direct") == 0);
}

static int output_fini(void)
{
    if (mpr__rt.rank == 0) {
        fflush(stdout);
        free((void *)written);
        written = NULL;
    } else if (real_stdout) {
        fclose(stdout);
        stdout = real_stdout;
        real_stdout = NULL;
    }
    return MPR_OK;
}

void mpr__output_init(void)
{
    mpr__at_finalize(MPR__FINI_OUTPUT, output_fini);
    if (mpr__rt.rank == 0) {
        written = calloc((size_t)mpr__rt.size, sizeof *written);
        MPR_ASSERT(written);
        return;
    }
    if (!forwarding_wanted())
        return;
    cookie_io_functions_t fns = {.write = forward_write};
    FILE *f = fopencookie(NULL, "w", fns);
    if (!f) {
        MPR_WARN("cannot forward stdout to rank 0; child output may interleave out of order");
        return;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    fflush(stdout);
    real_stdout = stdout;
    stdout = f;
}

uint64_t mpr__output_flush(void)
{
    fflush(stdout);
    return sent_total;
}

int mpr__output_serve(MPI_Message *msg, const MPI_Status *st)
{
    void *data = NULL;
    size_t len = 0;
    MPR_CHECK(mpr__mrecv_alloc(msg, st, &data, &len));
    fwrite(data, 1, len, stdout);
    free(data);
    atomic_fetch_add(&written[st->MPI_SOURCE], (uint64_t)len);
    mpr__doorbell_ring(mpr__rt.rank, MPR__BELL_MAIN); /* wakes mpr__output_wait */
    return MPR_OK;
}

void mpr__output_wait(int rank, uint64_t total) { mpr__wait_counter(&written[rank], total); }
