# Slurm tests (issue 7): a real one-node Slurm cluster (munged, slurmctld,
# slurmd started by tests/slurm.sh with all state under the build tree),
# each slurm/ batch script submitted at a smoke size with `sbatch --wait`,
# and its exit status, answer and result files checked. slurm.cleanup stops
# the daemons by the PIDs slurm.setup recorded, even after a failure.
# Without Slurm installed (or not root) they skip (77).
# Run only these: ctest --preset dev -L slurm.
if(MPR_SANITIZE)
  return()  # the jobs run the apps; the asan workflow tests those directly
endif()

string(MD5 mpr_slurm_hash "slurm:${CMAKE_BINARY_DIR}")
string(SUBSTRING "${mpr_slurm_hash}" 0 2 mpr_slurm_hex)
math(EXPR mpr_slurm_port "17000 + 2 * (0x${mpr_slurm_hex} % 200)")
set(mpr_slurm_dir ${CMAKE_CURRENT_BINARY_DIR}/slurm-cluster)
set(mpr_slurm_sh ${CMAKE_CURRENT_SOURCE_DIR}/slurm.sh)
set(mpr_slurm_env ${MPR_TEST_ENV} MPR_SLURM_PORT=${mpr_slurm_port}
    MPR_BIN=$<TARGET_FILE_DIR:pi>)

add_test(NAME slurm.setup COMMAND ${mpr_slurm_sh} up ${mpr_slurm_dir})
add_test(NAME slurm.cleanup COMMAND ${mpr_slurm_sh} down ${mpr_slurm_dir})
set_tests_properties(slurm.setup PROPERTIES FIXTURES_SETUP slurm SKIP_RETURN_CODE 77
  LABELS slurm TIMEOUT 60 ENVIRONMENT "${mpr_slurm_env}" RESOURCE_LOCK slurm)
set_tests_properties(slurm.cleanup PROPERTIES FIXTURES_CLEANUP slurm
  LABELS slurm TIMEOUT 60 ENVIRONMENT "${mpr_slurm_env}" RESOURCE_LOCK slurm)
# One job at a time: the node has 4 advertised CPUs on a 2-core box.
foreach(job pi pi-srun primes verify_prime scaling)
  add_test(NAME slurm.job.${job} COMMAND ${mpr_slurm_sh} job ${mpr_slurm_dir} ${job})
  set_tests_properties(slurm.job.${job} PROPERTIES FIXTURES_REQUIRED slurm RESOURCE_LOCK slurm
    SKIP_RETURN_CODE 77 PROCESSORS 2 TIMEOUT 120 LABELS "slurm;apps"
    ENVIRONMENT "${mpr_slurm_env}")
endforeach()

# The scaling command itself, without Slurm: 1 and 2 ranks, tiny sizes.
add_test(NAME scaling.pi.np1_2 COMMAND ${mpr_slurm_sh} scaling
  ${CMAKE_CURRENT_BINARY_DIR}/scaling-test)
set_tests_properties(scaling.pi.np1_2 PROPERTIES PROCESSORS 2 TIMEOUT 120
  LABELS "slurm;scaling;apps" ENVIRONMENT "${mpr_slurm_env}" SKIP_RETURN_CODE 77)
# Without gnuplot (README's packages include it, a hand install may not), the
# scaling check still checks the runs, then skips naming what it lacks.
add_test(NAME scaling.pi.without_gnuplot COMMAND ${mpr_slurm_sh} scaling
  ${CMAKE_CURRENT_BINARY_DIR}/scaling-nognuplot)
set_tests_properties(scaling.pi.without_gnuplot PROPERTIES PROCESSORS 2 TIMEOUT 120
  LABELS "slurm;scaling;apps" ENVIRONMENT "${mpr_slurm_env};MPR_GNUPLOT=no-such-gnuplot"
  PASS_REGULAR_EXPRESSION "SKIP: 4 runs checked in runs.csv and scaling.h5; no plots: gnuplot \\(no-such-gnuplot\\) not found")

# A cluster whose directory has a parent only root may enter (a checkout in
# /root, mode 700): munged refuses such a socket path, so slurm.sh puts its
# socket in /run. Own ports (+400), so it never meets the fixture's cluster.
math(EXPR mpr_slurm_port_private "${mpr_slurm_port} + 400")
add_test(NAME slurm.private_parent COMMAND bash -c
  "d=$(mktemp -d) && chmod 700 \"$d\" && rc=0 && { '${mpr_slurm_sh}' up \"$d/c\" || rc=$?; } && '${mpr_slurm_sh}' down \"$d/c\"; rm -rf \"$d\"; exit $rc")
set_tests_properties(slurm.private_parent PROPERTIES SKIP_RETURN_CODE 77 LABELS slurm TIMEOUT 60
  ENVIRONMENT "${MPR_TEST_ENV};MPR_SLURM_PORT=${mpr_slurm_port_private}")
