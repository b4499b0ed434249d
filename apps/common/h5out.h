/*
 * h5out.h — what the apps need to write their results with parallel HDF5:
 * a file opened by every rank of a communicator (MPI-IO driver), one 1-D
 * dataset assembled from each rank's contiguous part with collective I/O,
 * and scalar datasets and attributes for parameters and timings.
 *
 * Every call is collective over the file's communicator, because HDF5's
 * metadata (objects, attributes, sizes) must be created identically on all
 * of its ranks: call them on every rank in the same order, with the same
 * names and the same scalar values. Raw data is written collectively
 * (H5FD_MPIO_COLLECTIVE), so ranks with nothing to write still take part.
 *
 * With MPI_COMM_SELF a single rank writes alone (e.g. rank 0 of an app
 * without a pool): the same calls, no other rank involved.
 *
 * Errors: calls return 0, or -1 with a message for h5out_last_error()
 * (the HDF5 error stack is not printed: the message names the file and
 * the object). Kept out of libmpr: only the apps link HDF5.
 */
#ifndef H5OUT_H
#define H5OUT_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

typedef struct {
    hid_t id;      /* the HDF5 file */
    MPI_Comm comm; /* borrowed: the caller keeps it alive until h5out_close */
    int rank;      /* in comm */
    char path[256];
} h5out_file;

/* Creates (or truncates) path for writing by every rank of comm. On
 * failure f->id is H5I_INVALID_HID and nothing needs closing. */
int h5out_create(h5out_file *f, MPI_Comm comm, const char *path);
/* Closes the file; every rank. A closed or never-opened f is fine. */
int h5out_close(h5out_file *f);

/* Writes the 1-D dataset `name` of memory type `type` (H5T_NATIVE_*):
 * this rank's `count` elements of `part` go right after those of the lower
 * ranks of comm, so the dataset is the ranks' parts in rank order and has
 * their total length. count may be 0. */
int h5out_write_parts(h5out_file *f, const char *name, hid_t type, const void *part,
                      uint64_t count);

/* A scalar dataset holding v; comm rank 0 writes the value. */
int h5out_scalar_f64(h5out_file *f, const char *name, double v);
int h5out_scalar_i64(h5out_file *f, const char *name, int64_t v);

/* Attributes of the object at path `obj` ("/" for the file, or a dataset
 * name written before). */
int h5out_attr_f64(h5out_file *f, const char *obj, const char *name, double v);
int h5out_attr_i64(h5out_file *f, const char *obj, const char *name, int64_t v);
int h5out_attr_u64(h5out_file *f, const char *obj, const char *name, uint64_t v);
int h5out_attr_str(h5out_file *f, const char *obj, const char *name, const char *s);

/* The message of the latest failure on this rank ("" if none). */
const char *h5out_last_error(void);

#endif /* H5OUT_H */
