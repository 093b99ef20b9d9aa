#include "base/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

struct cdp_sha256 {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

struct cdp_sha256 *cdp_sha256_new(void)
{
    struct cdp_sha256 *h = cdp_xcalloc(1, sizeof *h);
    /* Fetched once: EVP_sha256() would look the implementation up again on
     * every EVP_DigestInit_ex (OpenSSL 3). */
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (!h->md || !h->ctx) {
        cdp_sha256_free(h);
        return NULL;
    }
    return h;
}

void cdp_sha256_free(struct cdp_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    free(h);
}

void cdp_sha256_hex(struct cdp_sha256 *h, const void *data, size_t len,
                    char hex[CDP_SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1 || EVP_DigestUpdate(h->ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32) {
        /* Only a broken libcrypto gets here; a wrong hash must never be
         * written in place of a right one. */
        fputs("cdp: SHA-256 failed in libcrypto\n", stderr);
        abort();
    }
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
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
