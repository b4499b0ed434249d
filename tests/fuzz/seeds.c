/* seeds.c — writes a valid message of each kind into the corpus directory
 * given as argv[1], so the fuzzer starts from real encodings. */
#include "mpr-internal.h"
#include "pool-protocol.h"

#include <stdio.h>

static void save(const char *dir, const char *name, uint8_t kind, const mpr__wbuf *w)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputc(kind, f);
    fwrite(w->data, 1, w->len, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    mpr__fnref ref;
    mpr__fnref_make((void (*)(void))main, &ref);
    mpr__wbuf w;
    /* request (service.c's layout) */
    mpr__wbuf_init(&w);
    mpr__request req = {.op = MPR__OP_QUEUE_PUT,
                        .kind = MPR__KIND_QUEUE | MPR__KIND_UNBOUNDED,
                        .id = 1,
                        .flags = MPR__REQ_POSTED,
                        .arg = 64,
                        .timeout = -1,
                        .payload = "hello",
                        .payload_len = 5};
    mpr__request_encode(&w, &req);
    save(argv[1], "request", 0, &w);
    mpr__wbuf_free(&w);
    /* reply */
    mpr__wbuf_init(&w);
    mpr__wbuf_u32(&w, 0x4d505250u);
    mpr__wbuf_u32(&w, (uint32_t)MPR_ETRUNC);
    mpr__wbuf_u32(&w, 0); /* flags */
    mpr__wbuf_u64(&w, 6);
    mpr__wbuf_str(&w, "too small");
    mpr__wbuf_bytes(&w, "", 0);
    save(argv[1], "reply", 1, &w);
    mpr__wbuf_free(&w);
    /* task (process.c's layout) */
    mpr__wbuf_init(&w);
    mpr__wbuf_u32(&w, 0x4d505254u);
    mpr__wbuf_u64(&w, 7);
    mpr__wbuf_str(&w, "Process-7");
    mpr__wbuf_fnref(&w, &ref);
    mpr__wbuf_bytes(&w, "args", 4);
    save(argv[1], "task", 2, &w);
    mpr__wbuf_free(&w);
    /* pool command and result */
    mpr__pool_cmd c = {.kind = MPR__POOL_CHUNK,
                       .job = 3,
                       .fn = ref,
                       .start = 0,
                       .count = 2,
                       .in_size = 4,
                       .out_size = 8,
                       .data = "abcdefgh",
                       .data_len = 8};
    mpr__wbuf_init(&w);
    mpr__pool_cmd_encode(&w, &c);
    save(argv[1], "pool_cmd", 3, &w);
    mpr__wbuf_free(&w);
    mpr__pool_result r = {.job = 3,
                          .start = 0,
                          .count = 2,
                          .status = 1,
                          .failed_index = 1,
                          .message = "item 1 failed",
                          .data = "0123456789abcdefgh",
                          .data_len = 18};
    mpr__wbuf_init(&w);
    mpr__pool_result_encode(&w, &r);
    save(argv[1], "pool_result", 4, &w);
    mpr__wbuf_free(&w);
    return 0;
}
