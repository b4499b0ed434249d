/*
 * h5peek.c — reads back what the apps write with apps/common/h5out.h, for
 * output tests without h5dump (hdf5-tools):
 *
 *   h5peek FILE DATASET
 *
 * prints the length of the 1-D uint64 dataset, its first and last values
 * and whether it is ascending, then every attribute of the file's root
 * group, one "name = value" line each, in name order:
 *
 *   primes: 2262 values, first 2, last 19997, ascending
 *   batch = 10000
 *   mode = 'queue'
 *
 * Exit status 1 with a message if the file or dataset cannot be read.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>

static herr_t print_attribute(hid_t loc, const char *name, const H5A_info_t *info, void *unused)
{
    (void)info, (void)unused;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t type = H5Aget_type(attr);
    H5T_class_t cls = H5Tget_class(type);
    printf("%s = ", name);
    if (cls == H5T_STRING) {
        char text[512] = "";
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, sizeof text);
        H5Aread(attr, mem, text);
        H5Tclose(mem);
        printf("'%s'\n", text);
    } else if (cls == H5T_FLOAT) {
        double v = 0;
        H5Aread(attr, H5T_NATIVE_DOUBLE, &v);
        printf("%.17g\n", v);
    } else if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE) {
        unsigned long long v = 0;
        H5Aread(attr, H5T_NATIVE_ULLONG, &v);
        printf("%llu\n", v);
    } else {
        long long v = 0;
        H5Aread(attr, H5T_NATIVE_LLONG, &v);
        printf("%lld\n", v);
    }
    H5Tclose(type);
    H5Aclose(attr);
    return 0;
}

static int peek(hid_t file, const char *name)
{
    hid_t dset = H5Dopen2(file, name, H5P_DEFAULT);
    if (dset < 0) {
        fprintf(stderr, "h5peek: no dataset '%s'\n", name);
        return 1;
    }
    hid_t space = H5Dget_space(dset);
    hsize_t n = 0;
    if (H5Sget_simple_extent_ndims(space) != 1 || H5Sget_simple_extent_dims(space, &n, NULL) < 0) {
        fprintf(stderr, "h5peek: '%s' is not 1-D\n", name);
        return 1;
    }
    unsigned long long *v = malloc((n ? n : 1) * sizeof *v);
    if (!v || H5Dread(dset, H5T_NATIVE_ULLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        fprintf(stderr, "h5peek: cannot read '%s'\n", name);
        return 1;
    }
    int ascending = 1;
    for (hsize_t i = 1; i < n; i++)
        ascending &= v[i - 1] < v[i];
    printf("%s: %llu values", name, (unsigned long long)n);
    if (n)
        printf(", first %llu, last %llu, %s", v[0], v[n - 1], ascending ? "ascending" : "unsorted");
    printf("\n");
    free(v);
    H5Sclose(space);
    H5Dclose(dset);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: h5peek FILE DATASET\n");
        return 2;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        fprintf(stderr, "h5peek: cannot open '%s'\n", argv[1]);
        return 1;
    }
    int rc = peek(file, argv[2]);
    if (rc == 0)
        H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, NULL, print_attribute, NULL);
    H5Fclose(file);
    return rc;
}
