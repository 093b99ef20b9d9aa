/* hash.h: SHA-256 as ad platforms want it, lower-case hexadecimal; and
 * HMAC-SHA-256, keyed hashes of values that must be recognised later but
 * never read back (the forget list, io/forgetlist.h).
 *
 * Google Customer Match and Meta Custom Audiences take identifiers hashed
 * with SHA-256 and written as 64 lower-case hex digits; suppression lists
 * may hold such hashes too. The digests are Nettle's (GnuTLS's crypto
 * library, with the CPU's SHA instructions where it has them), never
 * hand-written ones. OpenSSL 3's EVP calls cost 317 ns per HMAC of an
 * e-mail address against Nettle's 152, and 140-165 ns per SHA-256 against
 * 67-80 (precomputed key blocks in both; e13c345), and cdp-dedupe
 * --forgotten makes about five HMACs a record. A hasher is not
 * thread-safe: one per thread. */
#ifndef CDP_BASE_HASH_H
#define CDP_BASE_HASH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* The n bytes at p as 2n lower-case hex digits into out, then a NUL. */
void cdp_hex(const void *p, size_t n, char *out);

/* 64 hex digits and a NUL. */
#define CDP_SHA256_HEX_SIZE 65

struct cdp_sha256;

/* Never NULL (the library's calls cannot fail). */
struct cdp_sha256 *cdp_sha256_new(void);
void cdp_sha256_free(struct cdp_sha256 *h);

/* The digest of len bytes as lower-case hex into hex (NUL-terminated). */
void cdp_sha256_hex(struct cdp_sha256 *h, const void *data, size_t len,
                    char hex[CDP_SHA256_HEX_SIZE]);

/* Appends the hex digest of len bytes to out. */
void cdp_sha256_add_hex(struct cdp_sha256 *h, struct cdp_buf *out, const void *data, size_t len);

/* Whether s is exactly 64 hex digits (either case): a SHA-256 written out. */
bool cdp_sha256_hex_like(const char *s, size_t len);

/* ---- HMAC-SHA-256 --------------------------------------------------------- */

#define CDP_HMAC_SIZE 32

struct cdp_hmac;

/* A keyed hasher for key (any bytes), never NULL. The key is set up once:
 * each digest then costs two SHA-256 compressions plus the data's. Not
 * thread-safe: one per thread. */
struct cdp_hmac *cdp_hmac_new(const void *key, size_t len);
void cdp_hmac_free(struct cdp_hmac *h);

/* The digest of the concatenation of parts: begin, then update any number
 * of times, then end. */
void cdp_hmac_begin(struct cdp_hmac *h);
void cdp_hmac_update(struct cdp_hmac *h, const void *data, size_t len);
void cdp_hmac_end(struct cdp_hmac *h, unsigned char out[CDP_HMAC_SIZE]);

#endif
