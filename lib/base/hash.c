#include "base/hash.h"

#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdlib.h>

struct cdp_sha256 {
    struct sha256_ctx ctx;
};

struct cdp_sha256 *cdp_sha256_new(void)
{
    struct cdp_sha256 *h = cdp_xcalloc(1, sizeof *h);
    sha256_init(&h->ctx);
    return h;
}

void cdp_sha256_free(struct cdp_sha256 *h)
{
    free(h);
}

void cdp_hex(const void *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void cdp_sha256_hex(struct cdp_sha256 *h, const void *data, size_t len,
                    char hex[CDP_SHA256_HEX_SIZE])
{
    uint8_t md[SHA256_DIGEST_SIZE];
    sha256_update(&h->ctx, len, data);
    sha256_digest(&h->ctx, sizeof md, md); /* and starts the next one */
    cdp_hex(md, sizeof md, hex);
}

void cdp_sha256_add_hex(struct cdp_sha256 *h, struct cdp_buf *out, const void *data, size_t len)
{
    char hex[CDP_SHA256_HEX_SIZE];
    cdp_sha256_hex(h, data, len, hex);
    cdp_buf_add(out, hex, 64);
}

bool cdp_sha256_hex_like(const char *s, size_t len)
{
    if (len != 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* ---- HMAC-SHA-256 --------------------------------------------------------- */

struct cdp_hmac {
    struct hmac_sha256_ctx ctx; /* the key's padded blocks hashed once */
};

struct cdp_hmac *cdp_hmac_new(const void *key, size_t len)
{
    struct cdp_hmac *h = cdp_xcalloc(1, sizeof *h);
    hmac_sha256_set_key(&h->ctx, len, len ? key : (const void *)"");
    return h;
}

void cdp_hmac_free(struct cdp_hmac *h)
{
    free(h);
}

void cdp_hmac_begin(struct cdp_hmac *h)
{
    /* The inner state as the key left it: a digest costs no key schedule
     * (what hmac_sha256_digest leaves too, after a digest). */
    h->ctx.state = h->ctx.inner;
}

void cdp_hmac_update(struct cdp_hmac *h, const void *data, size_t len)
{
    hmac_sha256_update(&h->ctx, len, data);
}

void cdp_hmac_end(struct cdp_hmac *h, unsigned char out[CDP_HMAC_SIZE])
{
    hmac_sha256_digest(&h->ctx, CDP_HMAC_SIZE, out);
}
