/*
 * request.c — the request/reply protocol between clients and the homes of
 * objects (rank 0's service thread), as bytes.
 *
 *   Request (any rank -> home, TAG_REQ):
 *     u32 magic, u32 op, u32 kind, u64 id, u32 end, u32 flags, u64 arg,
 *     f64 timeout, f64 act_by, bytes payload
 *   Reply (home -> requester, TAG_REP):
 *     u32 magic, u32 code, u32 flags, u64 value, str error, bytes payload
 *
 *   The decoders never read past the end of a message: a truncated,
 *   oversized or malformed one is refused (fuzzed by tests/fuzz/fuzz_wire.c).
 */
#include "mpr-internal.h"

#include <stdio.h>
#include <stdlib.h>

enum { REQ_MAGIC = 0x4d505251u /* "MPRQ" */, REP_MAGIC = 0x4d505250u /* "MPRP" */ };

int mpr__answer_fail(mpr__answer *ans, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ans->error, sizeof ans->error, fmt, ap);
    va_end(ap);
    ans->code = code;
    return code;
}

int mpr__request_encode(mpr__wbuf *w, const mpr__request *req)
{
    mpr__wbuf_u32(w, REQ_MAGIC);
    mpr__wbuf_u32(w, req->op);
    mpr__wbuf_u32(w, req->kind);
    mpr__wbuf_u64(w, req->id);
    mpr__wbuf_u32(w, req->end);
    mpr__wbuf_u32(w, req->flags);
    mpr__wbuf_u64(w, req->arg);
    mpr__wbuf_f64(w, req->timeout);
    mpr__wbuf_f64(w, req->act_by);
    mpr__wbuf_bytes(w, req->payload, req->payload_len);
    if (w->oom)
        return mpr__fail(MPR_ENOMEM, "no memory to encode a %zu-byte request", req->payload_len);
    return MPR_OK;
}

bool mpr__request_decode(const void *raw, size_t len, mpr__request *req)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, raw, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    req->op = mpr__rbuf_u32(&r);
    req->kind = mpr__rbuf_u32(&r);
    req->id = mpr__rbuf_u64(&r);
    req->end = mpr__rbuf_u32(&r);
    req->flags = mpr__rbuf_u32(&r);
    req->arg = mpr__rbuf_u64(&r);
    req->timeout = mpr__rbuf_f64(&r);
    req->act_by = mpr__rbuf_f64(&r);
    req->payload = mpr__rbuf_bytes(&r, &req->payload_len);
    return !r.bad && magic == REQ_MAGIC && r.pos == r.len;
}

void mpr__reply_encode(mpr__wbuf *w, const mpr__request *req, const mpr__answer *ans)
{
    bool posted = req->flags & MPR__REQ_POSTED;
    mpr__wbuf_u32(w, REP_MAGIC);
    mpr__wbuf_u32(w, (uint32_t)ans->code);
    mpr__wbuf_u32(w, posted ? MPR__REP_POSTED : 0);
    mpr__wbuf_u64(w, posted ? req->id : ans->value);
    mpr__wbuf_str(w, ans->code < 0 ? ans->error : "");
    mpr__wbuf_bytes(w, ans->payload, ans->payload_len);
}

bool mpr__reply_decode(const void *raw, size_t len, mpr__reply *rep)
{
    mpr__rbuf r;
    mpr__rbuf_init(&r, raw, len);
    uint32_t magic = mpr__rbuf_u32(&r);
    rep->code = (int32_t)mpr__rbuf_u32(&r);
    rep->flags = mpr__rbuf_u32(&r);
    rep->value = mpr__rbuf_u64(&r);
    mpr__rbuf_text(&r, rep->error, sizeof rep->error);
    rep->payload = mpr__rbuf_bytes(&r, &rep->payload_len);
    return !r.bad && magic == REP_MAGIC && r.pos == r.len;
}

void mpr__reply_free(mpr__reply *rep)
{
    free(rep->raw);
    rep->raw = NULL;
}
