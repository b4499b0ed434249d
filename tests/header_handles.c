/*
 * header_handles.c — compile-time proof that the shared-state handles are
 * distinct types (tests/header.cmake).
 *
 * Lock, Semaphore, Event and Barrier handles have the same 16-byte layout,
 * but passing one kind to another kind's call must not compile: the call
 * would only fail at run time (MPR_EINVAL) or, worse, in code that never
 * runs in the tests. MPR_CASE 0 is the control: every handle with its own
 * calls compiles. Each other case is one mistake the compiler must reject.
 */
#include <mpr.h>

int mistake(mpr_lock l, mpr_semaphore s, mpr_event e, mpr_barrier b, mpr_condition *c);

int mistake(mpr_lock l, mpr_semaphore s, mpr_event e, mpr_barrier b, mpr_condition *c)
{
    (void)l, (void)s, (void)e, (void)b, (void)c;
#if MPR_CASE == 0
    return mpr_lock_acquire(l, 0) + mpr_semaphore_acquire(s, 0) + mpr_event_wait(e, 0) +
           mpr_barrier_wait(b, 0) + mpr_condition_new(c, &l);
#elif MPR_CASE == 1
    return mpr_lock_acquire(e, 0);
#elif MPR_CASE == 2
    return mpr_event_wait(l, 0);
#elif MPR_CASE == 3
    return mpr_semaphore_acquire(b, 0);
#elif MPR_CASE == 4
    return mpr_barrier_wait(s, 0);
#elif MPR_CASE == 5
    return mpr_condition_new(c, &e);
#elif MPR_CASE == 6
    return mpr_event_new(&l);
#else
#error "unknown MPR_CASE"
#endif
}
