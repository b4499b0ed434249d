/*
 * fault.c — a rank that dies says who it was and what it ran.
 *
 * DESIGN
 *   When a rank dies, Open MPI ends the whole job ("mpirun noticed that
 *   process rank 2 ... exited on signal 11"), so nothing hangs, but its
 *   message names neither the host nor the task. mpr installs handlers for
 *   the fatal signals (SEGV, BUS, FPE, ILL, ABRT) that write one line
 *   first:
 *       mpr: rank 2 (node7) died on signal 11 (Segmentation fault) while
 *       running Process-3
 *   and then re-raise the signal to the handler that was there before
 *   (Open MPI's backtrace printer, a sanitizer's) or the default action, so
 *   the exit status and core dump are the usual ones. MPR_FAULT_HANDLERS=0
 *   leaves the signals alone. The line is built with
 *   async-signal-safe calls only (write, no stdio, no malloc): the task
 *   name is copied into a static buffer when a task starts.
 *   A worker whose target calls exit() is reported the same way by an
 *   atexit handler; Open MPI then aborts the job because the rank left
 *   without MPI_Finalize.
 */
#include "mpr-internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char task_name[MPR__NAME_MAX] = "";
static volatile sig_atomic_t in_task;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
enum { NSIGNALS = sizeof fatal_signals / sizeof fatal_signals[0] };
static struct sigaction previous[NSIGNALS];

static size_t append(char *buf, size_t len, size_t cap, const char *s)
{
    while (*s && len + 1 < cap)
        buf[len++] = *s++;
    return len;
}

static size_t append_int(char *buf, size_t len, size_t cap, long v)
{
    char digits[24];
    int n = 0;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < (int)sizeof digits);
    if (v < 0 && len + 1 < cap)
        buf[len++] = '-';
    while (n > 0 && len + 1 < cap)
        buf[len++] = digits[--n];
    return len;
}

/* "mpr: rank R (host) <what>[ while running <task>]\n", signal-safe. */
static void report(const char *what, int number, const char *detail)
{
    char line[512];
    size_t n = append(line, 0, sizeof line, "mpr: rank ");
    n = append_int(line, n, sizeof line, mpr__rt.rank);
    n = append(line, n, sizeof line, " (");
    n = append(line, n, sizeof line, mpr__rt.host);
    n = append(line, n, sizeof line, ") ");
    n = append(line, n, sizeof line, what);
    if (number >= 0)
        n = append_int(line, n, sizeof line, number);
    n = append(line, n, sizeof line, detail);
    if (in_task && task_name[0]) {
        n = append(line, n, sizeof line, " while running ");
        n = append(line, n, sizeof line, task_name);
    }
    n = append(line, n, sizeof line, "\n");
    ssize_t ignored = write(STDERR_FILENO, line, n);
    (void)ignored;
}

static const char *signal_text(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return " (Segmentation fault)";
    case SIGBUS:
        return " (Bus error)";
    case SIGFPE:
        return " (Floating point exception)";
    case SIGILL:
        return " (Illegal instruction)";
    case SIGABRT:
        return " (Aborted)";
    }
    return "";
}

static void on_fatal_signal(int sig)
{
    report("died on signal ", sig, signal_text(sig));
    /* Hand the signal to whoever had it before (Open MPI prints a
     * backtrace, a sanitizer its report), or to the default action. */
    for (int i = 0; i < NSIGNALS; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous[i], NULL);
    raise(sig);
}

static void on_exit_in_task(void)
{
    if (in_task)
        report("called exit() inside its target (return from it instead); the job is aborted", -1,
               "");
}

void mpr__fault_install(void)
{
    const char *s = getenv("MPR_FAULT_HANDLERS");
    if (s && strcmp(s, "0") == 0)
        return; /* leave the signals to a debugger or another library */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    for (int i = 0; i < NSIGNALS; i++)
        sigaction(fatal_signals[i], &sa, &previous[i]);
    if (mpr__rt.rank != 0)
        atexit(on_exit_in_task);
}

void mpr__fault_task_begin(const char *name)
{
    size_t n = strlen(name);
    if (n >= sizeof task_name)
        n = sizeof task_name - 1;
    in_task = 0;
    memcpy(task_name, name, n);
    task_name[n] = '\0';
    in_task = 1;
}

void mpr__fault_task_end(void) { in_task = 0; }
