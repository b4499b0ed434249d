/*
 * app.h — what every mpr app shares, so the apps themselves read like the
 * Python they come from (STYLE.md point 14).
 *
 *   - app_parse: `--help` and typed options with ranges, plus an optional
 *     demo name (`queue_demos colors`). Usage errors go to stderr with exit
 *     status 2, as argparse does.
 *   - app_start / app_join_all: Process(...).start() and .join() with the
 *     error reporting every app needs: a failed start prints mpr's message
 *     (mpr_last_error) and never hangs; a failed target prints its
 *     mpr_raise message.
 *   - app_unpack: copy a target's argument bytes into its args struct.
 *   - Python-style output: repr of a float, lists of ints, floats, strings.
 *   - app_sleep and app_random, the time and random modules the documents use.
 */
#ifndef APP_H
#define APP_H

#include <mpr.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --------------------------------------------------------------- options */

/* Elements of an array. */
#define APP_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* APP_OPT_U64 reads any uint64_t ("100000000", or "1e8" below 2**53) and
 * rejects a sign or 64-bit overflow; APP_OPT_STR keeps the text (a
 * borrowed argv string). A metavar "{a,b,c}" lists an option's choices, as
 * argparse shows them, and app_parse accepts only those. */
typedef enum { APP_OPT_DOUBLE, APP_OPT_INT, APP_OPT_U64, APP_OPT_STR } app_opt_type;

typedef struct {
    const char *name;    /* "--sleep" */
    const char *metavar; /* "SECONDS" */
    const char *help;
    app_opt_type type;
    void *value;     /* double *, int *, uint64_t * or const char **: the default on entry */
    double min, max; /* DOUBLE, INT and U64 */
} app_opt;

typedef struct {
    const char *name; /* "colors" */
    const char *help;
} app_cmd;

typedef struct {
    const char *summary; /* what the program shows, one or two sentences */
    const app_opt *opts; /* may be NULL */
    size_t nopts;
    const app_cmd *cmds; /* NULL: the program takes no demo name */
    size_t ncmds;
    size_t cmd; /* out: index of the chosen demo */
} app_cli;

enum { APP_RUN = -1, APP_EXIT_OK = 0, APP_EXIT_FAIL = 1, APP_EXIT_USAGE = 2 };

/* mpr_init, then app_parse on rank 0 (workers never return from
 * mpr_init). Returns APP_RUN to go on with run(), else the exit code. */
int app_init(int *argc, char ***argv, app_cli *cli);
/* mpr_finalize (joining any Process still running), then the exit code:
 * status, or APP_EXIT_FAIL if finalize failed. `return app_exit(rc);` */
int app_exit(int status);

/* Parses argv on rank 0 (after mpr_init). Returns APP_RUN to go on,
 * APP_EXIT_OK after printing --help, APP_EXIT_USAGE after a message on
 * stderr. Also records the program name for app_error. */
int app_parse(app_cli *cli, int argc, char **argv);

/* Reads text as a uint64_t as APP_OPT_U64 does. Returns 0, or -1 after
 * "<program>: <what>: '<text>' ..." on stderr saying what is wrong. */
int app_parse_u64(const char *what, const char *text, uint64_t *out);

/* "<program>: <message>" on stderr. */
void app_error(const char *fmt, ...) MPR_PRINTF(1, 2);

/* In the parent: "<program>: <what>: MPR_E...: <mpr_last_error>" on stderr;
 * returns APP_EXIT_FAIL. `if (rc != MPR_OK) return app_fail("q.get", rc);` */
int app_fail(const char *what, int rc);
/* In a target: the same text through mpr_raise, so it reaches the parent
 * with exit code 1, as an uncaught Python exception does. */
int app_raise(const char *what, int rc);

/* ------------------------------------------------------------- processes */

/* Process(target=fn, args=...).start(), named name (NULL: "Process-N").
 * On failure prints why (mpr_last_error: e.g. how many ranks to launch),
 * leaves *p NULL and returns APP_EXIT_FAIL; else APP_EXIT_OK. */
int app_start(mpr_process **p, const char *name, mpr_target fn, const void *arg, size_t len);

/* Joins every non-NULL process in order, then frees it and sets it NULL.
 * Returns APP_EXIT_OK if all of them exited with 0, else APP_EXIT_FAIL after
 * printing each failure (exit code and mpr_raise message). */
int app_join_all(mpr_process **ps, size_t n);

/* p1 = Process(target=targets[0], args=...); p2 = ...; start them all, then
 * join them all: n Processes that get the same argument bytes. A failed
 * start stops the starting; those started are joined all the same. Returns
 * APP_EXIT_OK if every Process started and exited with 0. */
int app_start_join(const mpr_target *targets, size_t n, const void *arg, size_t len);

/* Copies a target's argument bytes into *dst of size bytes. Returns 0, or
 * mpr_raise's exit code if the sizes differ (a caller bug, reported to the
 * parent like a Python exception): `if (app_unpack(&a, sizeof a, arg, len))
 * return 1;` */
int app_unpack(void *dst, size_t size, const void *arg, size_t len);

/* ------------------------------------------------------ Python-style text */

/* repr(x): the shortest text that reads back as x ("0.1", "1e-05", "2.0"). */
void app_format_float(char *buf, size_t cap, double x);
/* print([1, 4, 9]) and friends, with a newline. */
void app_print_i64_list(const int64_t *v, size_t n);
/* print(list_of_uint64, end=end): full 64-bit range, then end (no newline
 * unless end has one), to print several lists on one line. */
void app_print_u64_list(const uint64_t *v, size_t n, const char *end);
void app_print_float_list(const double *v, size_t n);
void app_print_str_list(const char *const *v, size_t n);

/* A list of strings as one message: the strings one after another, each
 * with its NUL. Returns the bytes used, or 0 if cap is too small. */
size_t app_strlist_pack(char *buf, size_t cap, const char *const *v, size_t n);
/* Splits a packed list in place: up to max pointers into buf. Returns the
 * count, or 0 if buf does not end with a NUL. */
size_t app_strlist_unpack(char *buf, size_t len, const char **v, size_t max);

/* ------------------------------------------------------- time and random */

/* time.sleep(seconds); 0 or less returns at once. */
void app_sleep(double seconds);
/* time.time() for intervals: seconds on a monotonic clock. */
double app_time(void);
/* statistics.median(v); sorts v in place. n > 0. */
double app_median(double *v, size_t n);
/* random.random(): uniform in [0, 1), seeded per process from the pid, the
 * rank and the clock, so that processes started together differ. */
double app_random(void);

#endif /* APP_H */
