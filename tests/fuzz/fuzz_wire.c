/*
 * fuzz_wire.c — libFuzzer harness for mpr's message decoders.
 *
 * The first byte picks a decoder; the rest is the message. Every decoder
 * must reject truncated, oversized and malformed input by returning false,
 * never read past the end (AddressSanitizer catches that), and anything it
 * accepts must point inside the message.
 *
 *   build and run: tests/fuzz/run_fuzz.sh SECONDS (a CTest test runs it briefly)
 */
#include "mpr-internal.h"
#include "pool-protocol.h"

#include <stdlib.h>
#include <string.h>

static void check_inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
    if (n == 0)
        return;
    const uint8_t *q = p;
    if (!q || q < data || q + n > data + size || q + n < q)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* A private copy of exactly the message, so ASan sees its end. */
    size_t n = size - 1;
    uint8_t *msg = malloc(n ? n : 1);
    memcpy(msg, data + 1, n);
    switch (data[0] % 5) {
    case 0: {
        mpr__request req;
        if (mpr__request_decode(msg, n, &req))
            check_inside(req.payload, req.payload_len, msg, n);
        break;
    }
    case 1: {
        mpr__reply rep;
        if (mpr__reply_decode(msg, n, &rep)) {
            check_inside(rep.payload, rep.payload_len, msg, n);
            if (strlen(rep.error) >= sizeof rep.error)
                abort();
        }
        break;
    }
    case 2: {
        mpr__task t;
        if (mpr__task_decode(msg, n, &t)) {
            check_inside(t.arg, t.arg_len, msg, n);
            if (t.target.build_id_len == 0 || t.target.build_id_len > MPR__BUILD_ID_MAX)
                abort();
        }
        break;
    }
    case 3: {
        mpr__pool_cmd c;
        if (mpr__pool_cmd_decode(msg, n, &c))
            check_inside(c.data, c.data_len, msg, n);
        break;
    }
    default: {
        mpr__pool_result r;
        if (mpr__pool_result_decode(msg, n, &r))
            check_inside(r.data, r.data_len, msg, n);
        break;
    }
    }
    free(msg);
    return 0;
}
