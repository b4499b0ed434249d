/*
 * h5out.c — the helpers of h5out.h.
 *
 * DESIGN. A dataset from per-rank parts: MPI_Exscan of the counts gives
 * each rank its offset and MPI_Allreduce the length, so no rank needs the
 * others' data. Each rank selects its hyperslab [offset, offset + count)
 * of the file space (or nothing) and all write it in one collective
 * H5Dwrite, which lets MPI-IO merge the parts into large contiguous writes
 * (two-phase I/O) instead of one small write per rank.
 *
 * Scalars (datasets and attributes) have one value for every rank. HDF5
 * requires the metadata calls on every rank; the raw value of a scalar
 * dataset is written by comm rank 0 alone inside a collective write where
 * the others select nothing. Attribute values are metadata: every rank
 * writes the same bytes and HDF5 keeps one.
 */
#include "h5out.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char last_error[512];

const char *h5out_last_error(void) { return last_error; }

static int fail(const h5out_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const h5out_file *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int used = snprintf(last_error, sizeof last_error, "%s: ", f->path);
    if (used < 0 || (size_t)used >= sizeof last_error)
        used = 0;
    vsnprintf(last_error + used, sizeof last_error - (size_t)used, fmt, ap);
    va_end(ap);
    return -1;
}

int h5out_create(h5out_file *f, MPI_Comm comm, const char *path)
{
    f->id = H5I_INVALID_HID;
    f->comm = comm;
    MPI_Comm_rank(comm, &f->rank);
    snprintf(f->path, sizeof f->path, "%s", path);
    /* Our messages name the file and object; HDF5's stack would print
     * once per rank. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return fail(f, "cannot set up the MPI-IO file driver");
    }
    /* Metadata written collectively too: fewer, larger writes at close. */
    H5Pset_coll_metadata_write(fapl, 1);
    f->id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f->id < 0)
        return fail(f, "cannot create the file (does its directory exist and is it writable?)");
    return 0;
}

int h5out_close(h5out_file *f)
{
    if (f->id < 0)
        return 0;
    herr_t rc = H5Fclose(f->id);
    f->id = H5I_INVALID_HID;
    return rc < 0 ? fail(f, "closing the file failed") : 0;
}

/* Writes `mem` elements from buf into the selection of `file_space`, with
 * every rank of the file's communicator taking part. */
static int write_collective(h5out_file *f, const char *name, hid_t dset, hid_t type,
                            hid_t mem_space, hid_t file_space, const void *buf)
{
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    herr_t rc = -1;
    if (dxpl >= 0 && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) >= 0)
        rc = H5Dwrite(dset, type, mem_space, file_space, dxpl, buf);
    H5Pclose(dxpl);
    return rc < 0 ? fail(f, "collective write of '%s' failed", name) : 0;
}

int h5out_write_parts(h5out_file *f, const char *name, hid_t type, const void *part, uint64_t count)
{
    uint64_t offset = 0, total = 0;
    MPI_Exscan(&count, &offset, 1, MPI_UINT64_T, MPI_SUM, f->comm);
    if (f->rank == 0)
        offset = 0; /* MPI_Exscan leaves rank 0's result undefined */
    MPI_Allreduce(&count, &total, 1, MPI_UINT64_T, MPI_SUM, f->comm);

    hsize_t dims = total, start = offset, n = count, one = 1;
    hid_t file_space = H5Screate_simple(1, &dims, NULL);
    /* A memory space of at least one element: selecting none of it is
     * what a rank without data contributes to the collective write. */
    hid_t mem_space = H5Screate_simple(1, count ? &n : &one, NULL);
    hid_t dset = H5Dcreate2(f->id, name, type, file_space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = -1;
    if (file_space < 0 || mem_space < 0 || dset < 0) {
        rc =
            fail(f, "cannot create dataset '%s' of %llu elements", name, (unsigned long long)total);
    } else {
        if (count)
            H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, NULL, &n, NULL);
        else {
            H5Sselect_none(file_space);
            H5Sselect_none(mem_space);
        }
        rc = write_collective(f, name, dset, type, mem_space, file_space, part);
    }
    H5Dclose(dset);
    H5Sclose(mem_space);
    H5Sclose(file_space);
    return rc;
}

static int scalar_dataset(h5out_file *f, const char *name, hid_t type, const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t dset = H5Dcreate2(f->id, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc;
    if (space < 0 || dset < 0) {
        rc = fail(f, "cannot create scalar dataset '%s'", name);
    } else {
        if (f->rank != 0)
            H5Sselect_none(space);
        rc = write_collective(f, name, dset, type, space, space, v);
    }
    H5Dclose(dset);
    H5Sclose(space);
    return rc;
}

int h5out_scalar_f64(h5out_file *f, const char *name, double v)
{
    return scalar_dataset(f, name, H5T_NATIVE_DOUBLE, &v);
}

int h5out_scalar_i64(h5out_file *f, const char *name, int64_t v)
{
    return scalar_dataset(f, name, H5T_NATIVE_INT64, &v);
}

static int attribute(h5out_file *f, const char *obj, const char *name, hid_t type, const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr =
        H5Acreate_by_name(f->id, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (space < 0 || attr < 0 || H5Awrite(attr, type, v) < 0)
        rc = fail(f, "cannot write attribute '%s' of '%s'", name, obj);
    H5Aclose(attr);
    H5Sclose(space);
    return rc;
}

int h5out_attr_f64(h5out_file *f, const char *obj, const char *name, double v)
{
    return attribute(f, obj, name, H5T_NATIVE_DOUBLE, &v);
}

int h5out_attr_i64(h5out_file *f, const char *obj, const char *name, int64_t v)
{
    return attribute(f, obj, name, H5T_NATIVE_INT64, &v);
}

int h5out_attr_u64(h5out_file *f, const char *obj, const char *name, uint64_t v)
{
    return attribute(f, obj, name, H5T_NATIVE_UINT64, &v);
}

int h5out_attr_str(h5out_file *f, const char *obj, const char *name, const char *s)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(s) + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    int rc = attribute(f, obj, name, type, s);
    H5Tclose(type);
    return rc;
}
