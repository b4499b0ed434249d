/*
 * app.c — the helpers of app.h. See there for what each one is for.
 */
#define _POSIX_C_SOURCE 200809L

#include "app.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *program = "app";

static void set_program(int argc, char **argv)
{
    if (argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        program = slash ? slash + 1 : argv[0];
    }
}

void app_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int app_fail(const char *what, int rc)
{
    app_error("%s: %s: %s", what, mpr_err_name(rc), mpr_last_error());
    return APP_EXIT_FAIL;
}

int app_raise(const char *what, int rc)
{
    return mpr_raise("%s: %s: %s", what, mpr_err_name(rc), mpr_last_error());
}

/* --------------------------------------------------------------- options */

static void print_option_help(const app_opt *o, const char *left)
{
    printf("  %-22s %s", left, o->help);
    switch (o->type) {
    case APP_OPT_INT:
        printf(" (default %d)\n", *(int *)o->value);
        break;
    case APP_OPT_U64:
        printf(" (default %llu)\n", (unsigned long long)*(uint64_t *)o->value);
        break;
    case APP_OPT_STR:
        if (*(const char **)o->value)
            printf(" (default %s)\n", *(const char **)o->value);
        else
            printf(" (default none)\n");
        break;
    default:
        printf(" (default %.15g)\n", *(double *)o->value);
    }
}

static void print_help(const app_cli *cli)
{
    printf("usage: %s [options]%s\n\n%s\n", program, cli->cmds ? " DEMO" : "", cli->summary);
    if (cli->cmds) {
        printf("\ndemos:\n");
        for (size_t i = 0; i < cli->ncmds; i++)
            printf("  %-22s %s\n", cli->cmds[i].name, cli->cmds[i].help);
    }
    printf("\noptions:\n  %-22s %s\n", "-h, --help", "show this help and exit");
    for (size_t i = 0; i < cli->nopts; i++) {
        const app_opt *o = &cli->opts[i];
        char left[64];
        snprintf(left, sizeof left, "%s %s", o->name, o->metavar);
        print_option_help(o, left);
    }
    printf("\nRun it under mpirun: rank 0 is the parent, every other rank a worker.\n");
}

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "%s: ", program);
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see --help)\n");
    return APP_EXIT_USAGE;
}

int app_parse_u64(const char *what, const char *text, uint64_t *out)
{
    const char *p = text;
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (*p == '-' || *p == '+' || end == p) {
        fprintf(stderr, "%s: %s: '%s' is not a whole number >= 0 (see --help)\n", program, what,
                text);
        return -1;
    }
    if (errno == ERANGE) {
        fprintf(stderr, "%s: %s: '%s' overflows 64 bits (the largest is %llu) (see --help)\n",
                program, what, text, (unsigned long long)UINT64_MAX);
        return -1;
    }
    if (*end != '\0') {
        /* "1e8": exact as a double below 2**53. */
        double d = strtod(p, &end);
        if (*end != '\0' || !(d >= 0 && d < 9007199254740992.0) || d != floor(d)) {
            fprintf(stderr, "%s: %s: '%s' is not a whole number in [0, 2**64) (see --help)\n",
                    program, what, text);
            return -1;
        }
        v = (unsigned long long)d;
    }
    *out = v;
    return 0;
}

static int set_u64_option(const app_opt *o, const char *text)
{
    uint64_t v;
    if (app_parse_u64(o->name, text, &v) != 0)
        return APP_EXIT_USAGE;
    if ((double)v < o->min || (double)v > o->max) {
        fprintf(stderr, "%s: %s: %llu is not in [%.17g, %.17g] (see --help)\n", program, o->name,
                (unsigned long long)v, o->min, o->max);
        return APP_EXIT_USAGE;
    }
    *(uint64_t *)o->value = v;
    return APP_RUN;
}

/* 1 if text is one of the choices of a metavar "{a,b,c}", or if the
 * metavar lists none. */
static int is_choice(const char *metavar, const char *text)
{
    if (metavar[0] != '{')
        return 1;
    size_t len = strlen(text);
    for (const char *c = metavar + 1; *c;) {
        size_t n = strcspn(c, ",}");
        if (n == len && strncmp(c, text, len) == 0)
            return 1;
        c += n + (c[n] != '\0');
    }
    return 0;
}

static int set_str_option(const app_opt *o, const char *text)
{
    if (!is_choice(o->metavar, text)) {
        fprintf(stderr, "%s: %s: '%s' is not one of %s (see --help)\n", program, o->name, text,
                o->metavar);
        return APP_EXIT_USAGE;
    }
    *(const char **)o->value = text;
    return APP_RUN;
}

/* Parses text into the option's value, checking the whole text is a number
 * within the option's range. */
static int set_option(const app_opt *o, const char *text)
{
    if (o->type == APP_OPT_U64)
        return set_u64_option(o, text);
    if (o->type == APP_OPT_STR)
        return set_str_option(o, text);
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno || !isfinite(v) || v < o->min || v > o->max ||
        (o->type == APP_OPT_INT && v != floor(v))) {
        fprintf(stderr, "%s: %s: '%s' is not %s in [%g, %g] (see --help)\n", program, o->name, text,
                o->type == APP_OPT_INT ? "an integer" : "a number", o->min, o->max);
        return APP_EXIT_USAGE;
    }
    if (o->type == APP_OPT_INT)
        *(int *)o->value = (int)v;
    else
        *(double *)o->value = v;
    return APP_RUN;
}

static const app_opt *find_option(const app_cli *cli, const char *name, size_t namelen)
{
    for (size_t i = 0; i < cli->nopts; i++)
        if (strlen(cli->opts[i].name) == namelen && strncmp(cli->opts[i].name, name, namelen) == 0)
            return &cli->opts[i];
    return NULL;
}

static int set_command(app_cli *cli, const char *name, int *seen)
{
    if (!cli->cmds)
        return usage_error("unexpected argument '%s'", name);
    if (*seen)
        return usage_error("only one demo at a time: '%s' is one too many", name);
    for (size_t i = 0; i < cli->ncmds; i++) {
        if (strcmp(cli->cmds[i].name, name) == 0) {
            cli->cmd = i;
            *seen = 1;
            return APP_RUN;
        }
    }
    return usage_error("unknown demo '%s'", name);
}

/* Accepts "--name VALUE" and "--name=VALUE". */
int app_parse(app_cli *cli, int argc, char **argv)
{
    set_program(argc, argv);
    int seen = 0, rc = APP_RUN;
    for (int i = 1; i < argc && rc == APP_RUN; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            print_help(cli);
            return APP_EXIT_OK;
        }
        if (strncmp(arg, "-", 1) != 0) {
            rc = set_command(cli, arg, &seen);
            continue;
        }
        const char *eq = strchr(arg, '=');
        const app_opt *o = find_option(cli, arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (!o)
            return usage_error("unknown option '%s'", arg);
        if (!eq && i + 1 >= argc)
            return usage_error("option '%s' needs a value", arg);
        rc = set_option(o, eq ? eq + 1 : argv[++i]);
    }
    if (rc == APP_RUN && cli->cmds && !seen)
        return usage_error("%s", "which demo? name one");
    return rc;
}

int app_init(int *argc, char ***argv, app_cli *cli)
{
    set_program(*argc, *argv);
    int rc = mpr_init(argc, argv);
    if (rc != MPR_OK)
        return app_fail("mpr_init", rc);
    return app_parse(cli, *argc, *argv);
}

int app_exit(int status)
{
    int rc = mpr_finalize();
    if (rc != MPR_OK)
        return app_fail("mpr_finalize", rc);
    return status;
}

/* ------------------------------------------------------------- processes */

int app_start(mpr_process **p, const char *name, mpr_target fn, const void *arg, size_t len)
{
    int rc = name ? mpr_process_new_named(p, name, fn, arg, len) : mpr_process_new(p, fn, arg, len);
    if (rc == MPR_OK) {
        rc = mpr_process_start(*p);
        if (rc != MPR_OK) {
            mpr_process_free(*p);
            *p = NULL;
        }
    }
    if (rc == MPR_OK)
        return APP_EXIT_OK;
    char what[96];
    snprintf(what, sizeof what, "%s.start()", name ? name : "Process");
    return app_fail(what, rc);
}

int app_join_all(mpr_process **ps, size_t n)
{
    int status = APP_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        if (!ps[i])
            continue;
        int rc = mpr_process_join(ps[i], -1);
        if (rc != MPR_OK) {
            status = app_fail(mpr_process_name(ps[i]), rc);
        } else if (mpr_process_exitcode(ps[i]) != 0) {
            app_error("%s exited with %d: %s", mpr_process_name(ps[i]), mpr_process_exitcode(ps[i]),
                      mpr_process_error(ps[i]));
            status = APP_EXIT_FAIL;
        }
        mpr_process_free(ps[i]);
        ps[i] = NULL;
    }
    return status;
}

int app_start_join(const mpr_target *targets, size_t n, const void *arg, size_t len)
{
    mpr_process **ps = calloc(n, sizeof *ps);
    if (!ps) {
        app_error("no memory for %zu processes", n);
        return APP_EXIT_FAIL;
    }
    int started = APP_EXIT_OK;
    for (size_t i = 0; i < n && started == APP_EXIT_OK; i++)
        started = app_start(&ps[i], NULL, targets[i], arg, len);
    int joined = app_join_all(ps, n);
    free(ps);
    return started != APP_EXIT_OK ? started : joined;
}

int app_unpack(void *dst, size_t size, const void *arg, size_t len)
{
    if (len != size || !arg)
        return mpr_raise("target got %zu argument bytes, expected %zu", len, size);
    memcpy(dst, arg, size);
    return 0;
}

/* ------------------------------------------------------ Python-style text */

/* Python's float repr: the fewest significant digits that read back as x,
 * written in fixed notation when the decimal exponent is in [-4, 16) and in
 * scientific notation otherwise; a whole number keeps its ".0". */
void app_format_float(char *buf, size_t cap, double x)
{
    if (!isfinite(x)) {
        snprintf(buf, cap, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        return;
    }
    char sci[40];
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(sci, sizeof sci, "%.*e", digits - 1, x);
        if (strtod(sci, NULL) == x)
            break;
    }
    snprintf(sci, sizeof sci, "%.*e", digits - 1, x);
    int exp10 = atoi(strchr(sci, 'e') + 1);
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(buf, cap, "%s", sci);
        return;
    }
    int decimals = digits - 1 - exp10;
    snprintf(buf, cap, "%.*f%s", decimals > 0 ? decimals : 0, x, decimals > 0 ? "" : ".0");
}

/* repr(s) for printable text: single quotes unless s holds one and no
 * double quote, as Python chooses. */
static void print_str_repr(const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    putchar(q);
    for (; *s; s++) {
        if (*s == q || *s == '\\')
            printf("\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", stdout);
        else if (*s == '\t')
            fputs("\\t", stdout);
        else
            putchar(*s);
    }
    putchar(q);
}

void app_print_i64_list(const int64_t *v, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%lld", i ? ", " : "", (long long)v[i]);
    puts("]");
}

void app_print_u64_list(const uint64_t *v, size_t n, const char *end)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%llu", i ? ", " : "", (unsigned long long)v[i]);
    printf("]%s", end);
}

void app_print_float_list(const double *v, size_t n)
{
    char text[40];
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        app_format_float(text, sizeof text, v[i]);
        printf("%s%s", i ? ", " : "", text);
    }
    puts("]");
}

void app_print_str_list(const char *const *v, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", stdout);
        print_str_repr(v[i]);
    }
    puts("]");
}

size_t app_strlist_pack(char *buf, size_t cap, const char *const *v, size_t n)
{
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        if (len > cap - used)
            return 0;
        memcpy(buf + used, v[i], len);
        used += len;
    }
    return used;
}

size_t app_strlist_unpack(char *buf, size_t len, const char **v, size_t max)
{
    if (len == 0 || buf[len - 1] != '\0')
        return 0;
    size_t n = 0;
    for (size_t at = 0; at < len && n < max; at += strlen(buf + at) + 1)
        v[n++] = buf + at;
    return n;
}

/* ------------------------------------------------------- time and random */

void app_sleep(double seconds)
{
    if (!(seconds > 0))
        return;
    struct timespec ts = {.tv_sec = (time_t)seconds};
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

double app_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double app_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Python seeds random per process from the OS; here the clock picks the
 * key and the rank and pid pick the stream, so Processes started at the same
 * moment on different ranks still draw different numbers. */
double app_random(void)
{
    static mpr_rng rng;
    static int seeded;
    if (!seeded) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t stream = (uint64_t)mpr_rank() << 32 | (uint32_t)mpr_self_pid();
        mpr_rng_init(&rng, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec, stream);
        seeded = 1;
    }
    return mpr_rng_uniform(&rng);
}
