#include "mpr_test.h"

MPR_TEST(placeholder) { return 0; }

MPR_TEST_MAIN(MPR_TEST_ENTRY(placeholder))
