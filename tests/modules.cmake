# Module tests: mpr_add_mpi_test(<module> <case> ...) per case.
