/*
 * wire.c — how mpr's messages are laid out, and function references.
 *
 * DESIGN
 *   Messages are flat little-endian byte strings written with mpr__wbuf and
 *   read with mpr__rbuf. The reader is bounded: a truncated or malformed
 *   message marks it bad and later reads yield zeros, so a decoder reads
 *   everything and checks `bad` once. Nothing here trusts a length field.
 *
 *   A function pointer means nothing on another rank: with ASLR every
 *   process loads the same binary at another address. A target therefore
 *   travels as (build-id of the loaded object that contains it, offset from
 *   that object's load bias) and is resolved on arrival with
 *   dl_iterate_phdr. The build-id (ELF note NT_GNU_BUILD_ID, which Debian's
 *   toolchain always writes) identifies the exact build, so a rank running
 *   another build fails with MPR_EFUNC instead of jumping into wrong code;
 *   the offset must also land in an executable segment. Static functions
 *   work, and nothing is registered. (Checked with Open MPI 4.1.4 and PIE
 *   binaries: the same offset resolves to the same function on every rank.)
 */
#include "mpr-internal.h"

#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- buffers */

void mpr__wbuf_init(mpr__wbuf *w) { memset(w, 0, sizeof *w); }
void mpr__wbuf_free(mpr__wbuf *w)
{
    free(w->data);
    mpr__wbuf_init(w);
}

void *mpr__wbuf_take(mpr__wbuf *w)
{
    void *data = w->data;
    mpr__wbuf_init(w);
    return data;
}

void mpr__wbuf_put(mpr__wbuf *w, const void *p, size_t n)
{
    if (w->oom || n == 0)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 128;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *d = realloc(w->data, cap);
        if (!d) {
            w->oom = true;
            return;
        }
        w->data = d;
        w->cap = cap;
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

void mpr__wbuf_u32(mpr__wbuf *w, uint32_t v) { mpr__wbuf_put(w, &v, sizeof v); }
void mpr__wbuf_u64(mpr__wbuf *w, uint64_t v) { mpr__wbuf_put(w, &v, sizeof v); }
void mpr__wbuf_f64(mpr__wbuf *w, double v) { mpr__wbuf_put(w, &v, sizeof v); }

void mpr__wbuf_bytes(mpr__wbuf *w, const void *p, size_t n)
{
    mpr__wbuf_u64(w, n);
    mpr__wbuf_put(w, p, n);
}

void mpr__wbuf_str(mpr__wbuf *w, const char *s) { mpr__wbuf_bytes(w, s, strlen(s)); }

void mpr__rbuf_init(mpr__rbuf *r, const void *data, size_t len)
{
    r->data = data;
    r->len = data ? len : 0;
    r->pos = 0;
    r->bad = false;
}

static const void *take(mpr__rbuf *r, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return NULL;
    }
    const void *p = r->data + r->pos;
    r->pos += n;
    return p;
}

#define RBUF_SCALAR(name, type)                                                                    \
    type mpr__rbuf_##name(mpr__rbuf *r)                                                            \
    {                                                                                              \
        type v = 0;                                                                                \
        const void *p = take(r, sizeof v);                                                         \
        if (p)                                                                                     \
            memcpy(&v, p, sizeof v);                                                               \
        return v;                                                                                  \
    }
RBUF_SCALAR(u32, uint32_t)
RBUF_SCALAR(u64, uint64_t)
RBUF_SCALAR(f64, double)

const void *mpr__rbuf_bytes(mpr__rbuf *r, size_t *n)
{
    uint64_t len = mpr__rbuf_u64(r);
    const void *p = take(r, (size_t)len);
    *n = p ? (size_t)len : 0;
    return p;
}

void mpr__rbuf_text(mpr__rbuf *r, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = mpr__rbuf_bytes(r, &n);
    if (!p)
        n = 0;
    MPR_ASSERT(cap > 0);
    if (n >= cap)
        n = cap - 1; /* a message is cut to fit, never refused */
    if (n)
        memcpy(out, p, n);
    out[n] = '\0';
}

void mpr__rbuf_str(mpr__rbuf *r, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = mpr__rbuf_bytes(r, &n);
    if (!p || n >= cap) {
        r->bad = true;
        n = 0;
    }
    if (p)
        memcpy(out, p, n);
    out[n] = '\0';
}

/* ---------------------------------------------------- function references */

static uint32_t read_build_id(const struct dl_phdr_info *info, uint8_t *out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const unsigned char *name = p + sizeof *nh;
            const unsigned char *desc = name + ((nh->n_namesz + 3u) & ~3u);
            if (desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                nh->n_descsz <= MPR__BUILD_ID_MAX) {
                memcpy(out, desc, nh->n_descsz);
                return nh->n_descsz;
            }
            p = desc + ((nh->n_descsz + 3u) & ~3u);
        }
    }
    return 0;
}

static bool in_segment(const struct dl_phdr_info *info, uintptr_t addr, bool need_exec)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr < lo + ph->p_memsz &&
            (!need_exec || (ph->p_flags & PF_X)))
            return true;
    }
    return false;
}

typedef struct {
    uintptr_t addr;
    mpr__fnref *ref;
    bool found;
} make_ctx;

static int make_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    make_ctx *c = data;
    if (!in_segment(info, c->addr, true))
        return 0;
    c->ref->build_id_len = read_build_id(info, c->ref->build_id);
    c->ref->offset = c->addr - info->dlpi_addr;
    c->found = true;
    return 1;
}

int mpr__fnref_make(void (*fn)(void), mpr__fnref *out)
{
    memset(out, 0, sizeof *out);
    make_ctx c = {(uintptr_t)fn, out, false};
    if (!fn)
        return mpr__fail(MPR_EINVAL, "target function is NULL");
    dl_iterate_phdr(make_cb, &c);
    if (!c.found)
        return mpr__fail(MPR_EFUNC,
                         "target %p is not code of a loaded object, so no other rank can find it",
                         (void *)fn);
    if (out->build_id_len == 0)
        return mpr__fail(MPR_EFUNC,
                         "the object holding target %p has no build-id; link with "
                         "-Wl,--build-id so ranks can check they run the same build",
                         (void *)fn);
    return MPR_OK;
}

typedef struct {
    const mpr__fnref *ref;
    uintptr_t addr;
    int status; /* 0 object not found, 1 resolved, -1 offset outside code */
} resolve_ctx;

static int resolve_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    resolve_ctx *c = data;
    uint8_t id[MPR__BUILD_ID_MAX];
    uint32_t n = read_build_id(info, id);
    if (n == 0 || n != c->ref->build_id_len || memcmp(id, c->ref->build_id, n) != 0)
        return 0;
    uintptr_t addr = info->dlpi_addr + (uintptr_t)c->ref->offset;
    c->status = in_segment(info, addr, true) ? 1 : -1;
    c->addr = addr;
    return 1;
}

int mpr__fnref_resolve(const mpr__fnref *ref, void (**fn)(void))
{
    resolve_ctx c = {ref, 0, 0};
    *fn = NULL;
    if (ref->build_id_len == 0 || ref->build_id_len > MPR__BUILD_ID_MAX)
        return mpr__fail(MPR_EFUNC, "function reference carries no valid build-id");
    dl_iterate_phdr(resolve_cb, &c);
    if (c.status == 0)
        return mpr__fail(MPR_EFUNC,
                         "rank %d (%s) has no loaded object with the target's build-id: ranks "
                         "must run the same build of the program",
                         mpr__rt.rank, mpr__rt.host);
    if (c.status < 0)
        return mpr__fail(MPR_EFUNC, "target offset 0x%llx is outside the object's code",
                         (unsigned long long)ref->offset);
    /* The function pointer is rebuilt from an address: ISO C leaves this
     * conversion to the implementation; POSIX (dlsym) guarantees it. */
    *fn = (void (*)(void))c.addr;
    return MPR_OK;
}

void mpr__wbuf_fnref(mpr__wbuf *w, const mpr__fnref *ref)
{
    mpr__wbuf_bytes(w, ref->build_id, ref->build_id_len);
    mpr__wbuf_u64(w, ref->offset);
}

void mpr__rbuf_fnref(mpr__rbuf *r, mpr__fnref *ref)
{
    size_t n = 0;
    const void *id = mpr__rbuf_bytes(r, &n);
    memset(ref, 0, sizeof *ref);
    if (!id || n == 0 || n > MPR__BUILD_ID_MAX) {
        r->bad = true;
        return;
    }
    memcpy(ref->build_id, id, n);
    ref->build_id_len = (uint32_t)n;
    ref->offset = mpr__rbuf_u64(r);
}
