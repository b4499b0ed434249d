/*
 * scaling_h5.c — the record and the arithmetic of a scaling study
 * (slurm/scaling.sh): reads the runs CSV, writes every run and the summary
 * into one HDF5 file, and the summary as CSV for gnuplot.
 *
 *   mpr_scaling_h5 runs.csv out.h5 summary.csv [key=value ...]
 *   mpr_scaling_h5 --versions      prints the mpr and MPI library versions
 *
 * runs.csv has a header line and these columns, one line per run:
 *   app,mode,ranks,workers,nodes,hosts,rep,size,wall_s,app_s,answer,job
 * (hosts is a space-separated list, answer a string without commas).
 *
 * DESIGN
 *   The compute units p of a run are its workers (ranks - 1: rank 0
 *   coordinates), or 1 for a serial run on one rank. Per rank count, the
 *   time is the median over repetitions of the app's own time (app_s; wall_s, which
 *   includes mpirun's start-up, when the app printed none). With the
 *   smallest rank count as base (p0, T0):
 *     strong  S(p) = p0 * T0 / T(p)        E = S / p
 *     weak    E(p) = T0 / T(p)             S = E * p   (scaled speedup)
 *     Karp-Flatt serial fraction e = (1/S - 1/p) / (1 - 1/p), for p > 1.
 *   HDF5 layout: /runs/<column> (one element per run), /summary/{workers,
 *   ranks,runs,median_s,min_s,max_s,speedup,efficiency,karp_flatt}, and
 *   the key=value arguments plus the versions as attributes of "/".
 *   Written with the serial (sec2) driver: one process, no MPI_Init.
 */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <mpr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_RUNS = 100000, LINE = 8192, NCOLS = 12 };

static const char *const columns[NCOLS] = {"app", "mode", "ranks",  "workers", "nodes",  "hosts",
                                           "rep", "size", "wall_s", "app_s",   "answer", "job"};
static const int numeric[NCOLS] = {0, 0, 1, 1, 1, 0, 1, 1, 2, 2, 0, 0}; /* 1 int, 2 double */

typedef struct {
    char *text[NCOLS];
} run;

typedef struct {
    long workers, ranks, runs;
    double median, min, max, speedup, efficiency, karp_flatt;
} point;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "mpr_scaling_h5: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

/* Splits one CSV line (no quoting: the fields hold no commas) in place. */
static int split(char *line, char **field)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *s = line; n < NCOLS; n++) {
        field[n] = s;
        char *comma = strchr(s, ',');
        if (!comma)
            return n + 1;
        *comma = '\0';
        s = comma + 1;
    }
    return n + 1; /* more fields than columns */
}

static int read_runs(const char *path, run *runs)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s", path);
    char line[LINE];
    int n = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, "app,mode,ranks", 14) != 0)
        die("%s: no header line 'app,mode,ranks,...'", path);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n' || strncmp(line, "app,mode,ranks", 14) == 0)
            continue; /* merged files repeat the header */
        char *field[NCOLS + 1];
        if (split(line, field) != NCOLS)
            die("a line of %s does not have 12 fields", path);
        if (n == MAX_RUNS)
            die("%s: too many runs", path);
        for (int c = 0; c < NCOLS; c++)
            runs[n].text[c] = strdup(field[c]);
        n++;
    }
    fclose(f);
    if (n == 0)
        die("%s holds no runs", path);
    return n;
}

/* The time of a run: the app's own, or the wall time when it printed none. */
static double run_time(const run *r)
{
    double t = atof(r->text[9]);
    return t > 0 ? t : atof(r->text[8]);
}

static long units(const run *r)
{
    long w = atol(r->text[3]);
    return w > 0 ? w : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One point per rank count, ascending, with median/min/max. Rank counts
 * 1 (serial) and 2 (one worker) both have p = 1 but stay apart. */
static int group(const run *runs, int n, point *pts, int cap, double *scratch)
{
    int np = 0;
    long last = 0;
    for (;;) {
        long r = 0;
        for (int i = 0; i < n; i++) {
            long ri = atol(runs[i].text[2]);
            if (ri > last && (r == 0 || ri < r))
                r = ri;
        }
        if (r == 0)
            return np;
        if (np == cap)
            die("%s", "more than 256 rank counts");
        int k = 0;
        point *pt = &pts[np++];
        memset(pt, 0, sizeof *pt);
        pt->ranks = r;
        for (int i = 0; i < n; i++)
            if (atol(runs[i].text[2]) == r) {
                scratch[k++] = run_time(&runs[i]);
                pt->workers = units(&runs[i]);
            }
        qsort(scratch, (size_t)k, sizeof *scratch, cmp_double);
        pt->runs = k;
        pt->min = scratch[0];
        pt->max = scratch[k - 1];
        pt->median = k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
        last = r;
    }
}

static void derive(point *pts, int np, int weak)
{
    double p0 = (double)pts[0].workers, t0 = pts[0].median;
    for (int i = 0; i < np; i++) {
        double p = (double)pts[i].workers, t = pts[i].median;
        if (weak) {
            pts[i].efficiency = t0 / t;
            pts[i].speedup = pts[i].efficiency * p;
        } else {
            pts[i].speedup = p0 * t0 / t;
            pts[i].efficiency = pts[i].speedup / p;
        }
        pts[i].karp_flatt = p > 1 ? (1 / pts[i].speedup - 1 / p) / (1 - 1 / p) : (double)NAN;
    }
}

/* ------------------------------------------------------------- writing */

static void write_column(hid_t g, const char *name, const run *runs, int n, int c)
{
    hsize_t dims = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t type = numeric[c] == 1   ? H5Tcopy(H5T_NATIVE_LLONG)
                 : numeric[c] == 2 ? H5Tcopy(H5T_NATIVE_DOUBLE)
                                   : H5Tcopy(H5T_C_S1);
    void *buf;
    if (numeric[c] == 1) {
        long long *v = malloc(sizeof *v * (size_t)n);
        for (int i = 0; i < n; i++)
            v[i] = atoll(runs[i].text[c]);
        buf = v;
    } else if (numeric[c] == 2) {
        double *v = malloc(sizeof *v * (size_t)n);
        for (int i = 0; i < n; i++)
            v[i] = atof(runs[i].text[c]);
        buf = v;
    } else {
        H5Tset_size(type, H5T_VARIABLE);
        const char **v = malloc(sizeof *v * (size_t)n);
        for (int i = 0; i < n; i++)
            v[i] = runs[i].text[c];
        buf = v;
    }
    hid_t d = H5Dcreate2(g, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        die("cannot write /runs/%s", name);
    free(buf);
    H5Dclose(d);
    H5Tclose(type);
    H5Sclose(space);
}

static void write_doubles(hid_t g, const char *name, const double *v, int n)
{
    hsize_t dims = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t d = H5Dcreate2(g, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        die("cannot write /summary/%s", name);
    H5Dclose(d);
    H5Sclose(space);
}

static void write_summary(hid_t g, const point *pts, int np)
{
    double v[9][256];
    static const char *const names[9] = {"workers", "ranks",   "runs",       "median_s",  "min_s",
                                         "max_s",   "speedup", "efficiency", "karp_flatt"};
    for (int i = 0; i < np; i++) {
        const point *p = &pts[i];
        double row[9] = {(double)p->workers, (double)p->ranks, (double)p->runs,
                         p->median,          p->min,           p->max,
                         p->speedup,         p->efficiency,    p->karp_flatt};
        for (int k = 0; k < 9; k++)
            v[k][i] = row[k];
    }
    for (int k = 0; k < 9; k++)
        write_doubles(g, names[k], v[k], np);
}

static void attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, type, value) < 0)
        die("cannot write attribute %s", name);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

static void mpi_version(char *out)
{
    int len = 0;
    MPI_Get_library_version(out, &len);
    out[strcspn(out, "\n,")] = '\0';
}

static void write_file(const char *path, const run *runs, int n, const point *pts, int np,
                       char **kv, int nkv)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        die("cannot create %s", path);
    hid_t g = H5Gcreate2(f, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int c = 0; c < NCOLS; c++)
        write_column(g, columns[c], runs, n, c);
    H5Gclose(g);
    g = H5Gcreate2(f, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    write_summary(g, pts, np);
    H5Gclose(g);
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
    mpi_version(mpi);
    attr_str(f, "mpr_version", mpr_version_string());
    attr_str(f, "mpi_version", mpi);
    for (int i = 0; i < nkv; i++) {
        char *eq = strchr(kv[i], '=');
        if (!eq)
            die("'%s' is not key=value", kv[i]);
        *eq = '\0';
        attr_str(f, kv[i], eq + 1);
        *eq = '=';
    }
    if (H5Fclose(f) < 0)
        die("cannot close %s", path);
}

static void write_csv(const char *path, const point *pts, int np)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot create %s", path);
    fprintf(f, "workers,ranks,runs,median_s,min_s,max_s,speedup,efficiency,karp_flatt\n");
    for (int i = 0; i < np; i++) {
        const point *p = &pts[i];
        fprintf(f, "%ld,%ld,%ld,%.6f,%.6f,%.6f,%.4f,%.4f,", p->workers, p->ranks, p->runs,
                p->median, p->min, p->max, p->speedup, p->efficiency);
        if (isnan(p->karp_flatt))
            fprintf(f, "\n");
        else
            fprintf(f, "%.4f\n", p->karp_flatt);
    }
    if (fclose(f) != 0)
        die("cannot write %s", path);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--versions") == 0) {
        char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
        mpi_version(mpi);
        printf("mpr %s; %s\n", mpr_version_string(), mpi);
        return 0;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: mpr_scaling_h5 runs.csv out.h5 summary.csv [key=value ...]\n"
                        "       mpr_scaling_h5 --versions\n");
        return 2;
    }
    static run runs[MAX_RUNS];
    static double scratch[MAX_RUNS];
    static point pts[256];
    int n = read_runs(argv[1], runs);
    int np = group(runs, n, pts, 256, scratch);
    derive(pts, np, strcmp(runs[0].text[1], "weak") == 0);
    write_file(argv[2], runs, n, pts, np, argv + 4, argc - 4);
    write_csv(argv[3], pts, np);
    printf("%d runs at %d worker counts -> %s, %s\n", n, np, argv[2], argv[3]);
    return 0;
}
