#include "base/hash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
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
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1 || EVP_DigestUpdate(h->ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32) {
        /* Only a broken libcrypto gets here; a wrong hash must never be
         * written in place of a right one. */
        fputs("cdp: SHA-256 failed in libcrypto\n", stderr);
        abort();
    }
    cdp_hex(md, 32, hex);
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
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
};

/* Only a broken libcrypto fails once the key is set: a wrong digest must
 * never be taken for a right one. */
static void hmac_failed(void)
{
    fputs("cdp: HMAC-SHA-256 failed in libcrypto\n", stderr);
    abort();
}

struct cdp_hmac *cdp_hmac_new(const void *key, size_t len)
{
    struct cdp_hmac *h = cdp_xcalloc(1, sizeof *h);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                            OSSL_PARAM_construct_end() };
    h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    h->ctx = h->mac ? EVP_MAC_CTX_new(h->mac) : NULL;
    /* An empty key still needs a pointer: NULL means "keep the old key". */
    if (!h->ctx || EVP_MAC_init(h->ctx, len ? key : (const void *)"", len, params) != 1) {
        cdp_hmac_free(h);
        return NULL;
    }
    return h;
}

void cdp_hmac_free(struct cdp_hmac *h)
{
    if (!h)
        return;
    EVP_MAC_CTX_free(h->ctx);
    EVP_MAC_free(h->mac);
    free(h);
}

void cdp_hmac_begin(struct cdp_hmac *h)
{
    /* No key: the one set up is used again, its padded blocks already
     * hashed (OpenSSL keeps them), so a digest costs no key schedule. */
    if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
        hmac_failed();
}

void cdp_hmac_update(struct cdp_hmac *h, const void *data, size_t len)
{
    if (len && EVP_MAC_update(h->ctx, data, len) != 1)
        hmac_failed();
}

void cdp_hmac_end(struct cdp_hmac *h, unsigned char out[CDP_HMAC_SIZE])
{
    size_t n = 0;
    if (EVP_MAC_final(h->ctx, out, &n, CDP_HMAC_SIZE) != 1 || n != CDP_HMAC_SIZE)
        hmac_failed();
}
