/*
 * log.c — diagnostic lines on stderr, prefixed with rank@host.
 *
 * MPR_LOG=warn|info|debug chooses what shows (default warn). Debug lines
 * compile away in release builds (libfabric FI_DBG).
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int log_level(void)
{
    static int level;
    if (level == 0) {
        const char *s = getenv("MPR_LOG");
        level = MPR__LOG_WARN;
        if (s && strcmp(s, "info") == 0)
            level = MPR__LOG_INFO;
        else if (s && strcmp(s, "debug") == 0)
            level = MPR__LOG_DEBUG;
    }
    return level;
}

void mpr__log(int level, const char *fmt, ...)
{
    if (level > log_level())
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line, so lines of concurrent ranks do not interleave. */
    fprintf(stderr, "mpr %d@%s: %s\n", mpr__rt.rank, mpr__rt.host, line);
}
