/*
 * state.c — the rank's identity and the process-wide state every layer
 * reads, and the finalize steps modules register.
 *
 * DESIGN
 *   The bottom layer (see layers.txt): it calls nothing of mpr, so every
 *   file may read mpr__rt without a dependency cycle. What fills it in
 *   (MPI start-up, communicators, the rank table) is lifecycle.c's job, at
 *   the top; what reads it is everyone.
 *
 *   Modules tear themselves down: at init (or first use) each registers
 *   its finalize step with mpr__at_finalize, in one of the phases below,
 *   and mpr_finalize (or a worker's exit) runs the phases in order. So the
 *   lifecycle code needs no knowledge of Pool or Process, and a module that
 *   was never used has nothing to undo.
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

mpr__runtime mpr__rt = {.rank = 0, .size = 1, .host = "?", .name = "MainProcess"};

const char *mpr_version_string(void) { return "0.1.0"; }

int mpr_rank(void) { return mpr__rt.rank; }
int mpr_size(void) { return mpr__rt.size; }

int mpr_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

const char *mpr_self_name(void) { return mpr__rt.name; }
const char *mpr_self_host(void) { return mpr__rt.host; }
long mpr_self_pid(void) { return (long)getpid(); }

void mpr__self_set_name(const char *name)
{
    snprintf(mpr__rt.name, sizeof mpr__rt.name, "%s", name);
}

/* ------------------------------------------------------- finalize steps */

enum { STEPS_PER_PHASE = 4 };

static struct {
    mpr__fini_fn fn[STEPS_PER_PHASE];
    int n;
} steps[MPR__FINI_PHASES];

void mpr__at_finalize(int phase, mpr__fini_fn fn)
{
    /* A fixed table: the library has a handful of modules, and a step that
     * does not fit is a bug to find at once, not a leak at exit. */
    if (phase < 0 || phase >= MPR__FINI_PHASES || steps[phase].n == STEPS_PER_PHASE) {
        fprintf(stderr, "mpr: finalize phase %d cannot take another step\n", phase);
        abort();
    }
    steps[phase].fn[steps[phase].n++] = fn;
}

int mpr__run_finalizers(bool stop_at_failure)
{
    int first_error = MPR_OK;
    for (int phase = 0; phase < MPR__FINI_PHASES; phase++) {
        /* Within a phase, the last registered goes first, as with atexit. A
         * step leaves the table only once it succeeded, so a finalize that
         * stopped at a failure and is called again (at exit) retries it. */
        while (steps[phase].n > 0) {
            int rc = steps[phase].fn[steps[phase].n - 1]();
            if (rc < 0 && stop_at_failure)
                return rc;
            if (rc < 0 && first_error == MPR_OK)
                first_error = rc;
            steps[phase].n--;
        }
    }
    return first_error;
}
