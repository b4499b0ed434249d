# The HDF5 result cache (issue 6).
target_link_libraries(test_cache PRIVATE HDF5::HDF5)
foreach(case roundtrip damaged_file damaged_entry)
  mpr_add_mpi_test(cache ${case} RANKS 1 2)
endforeach()
mpr_add_mpi_test(cache shared_file RANKS 3 5 8 TIMEOUT 120)
