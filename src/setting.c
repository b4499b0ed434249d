/*
 * setting.c — reading one numeric MPR_* setting from the environment.
 *
 * Every rank sees rank 0's settings (lifecycle.c copies them at mpr_init),
 * so a value read here is the same on every rank. A size may carry a k, M
 * or G suffix (binary: 64k is 65536). A value out of its range, or not a
 * number, is refused with a warning and the default used, so a typo never
 * silently becomes 0.
 */
#include "mpr-internal.h"

#include <stdlib.h>

uint64_t mpr__setting_u64(const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = *end == 'k' || *end == 'K'   ? 10
                : *end == 'm' || *end == 'M' ? 20
                : *end == 'g' || *end == 'G' ? 30
                                             : 0;
    bool junk = end == s || (shift ? end[1] != '\0' : *end != '\0');
    if (!junk && shift && v > (UINT64_MAX >> shift))
        junk = true;
    v <<= shift;
    if (junk || v < lo || v > hi) {
        MPR_WARN("%s=%s is not a number in [%llu, %llu]; using %llu", name, s,
                 (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)def);
        return def;
    }
    return v;
}
