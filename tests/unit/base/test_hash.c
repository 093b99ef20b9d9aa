/* test_hash: SHA-256 against FIPS 180-4's examples and HMAC-SHA-256
 * against RFC 4231's test cases (a key shorter than a block, "Jefe", a key
 * longer than a block) and the empty key and message; a hasher gives the
 * same digest the second time (the state is reset after each), a digest in
 * parts is the digest of the whole, and begin drops what was fed before
 * it. The forget lists written by earlier versions hold such digests, so a
 * change of library must not change one bit. */
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "base/hash.h"

static void sha_is(struct cdp_sha256 *h, const char *data, size_t len, const char *want)
{
    char hex[CDP_SHA256_HEX_SIZE];
    cdp_sha256_hex(h, data, len, hex);
    if (strcmp(hex, want) != 0)
        fprintf(stderr, "SHA-256 of %zu bytes: %s, want %s\n", len, hex, want);
    CHECK(strcmp(hex, want) == 0);
}

static void hmac_is(struct cdp_hmac *h, const char *data, size_t len, const char *want)
{
    unsigned char d[CDP_HMAC_SIZE];
    char hex[2 * CDP_HMAC_SIZE + 1];
    cdp_hmac_begin(h);
    cdp_hmac_update(h, data, len);
    cdp_hmac_end(h, d);
    cdp_hex(d, sizeof d, hex);
    if (strcmp(hex, want) != 0)
        fprintf(stderr, "HMAC of \"%.*s\": %s, want %s\n", (int)len, data, hex, want);
    CHECK(strcmp(hex, want) == 0);
}

int main(void)
{
    struct cdp_sha256 *s = cdp_sha256_new();
    CHECK(s != NULL);
    static const char empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    sha_is(s, "", 0, empty);
    sha_is(s, "abc", 3, abc);
    sha_is(s, "abc", 3, abc); /* the hasher starts afresh */
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_is(s, two_blocks, strlen(two_blocks),
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char many[1000];
    memset(many, 'a', sizeof many);
    sha_is(s, many, sizeof many, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_adds(&b, "x:");
    cdp_sha256_add_hex(s, &b, "abc", 3);
    CHECK(b.len == 66 && memcmp(b.data, "x:", 2) == 0 && strcmp(b.data + 2, abc) == 0);
    cdp_buf_release(&b);
    cdp_sha256_free(s);

    char key[131];
    memset(key, 0x0b, 20);
    struct cdp_hmac *h = cdp_hmac_new(key, 20);
    static const char hi[] = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    hmac_is(h, "Hi There", 8, hi);
    hmac_is(h, "Hi There", 8, hi);
    /* In parts, and after an abandoned digest. */
    unsigned char d[CDP_HMAC_SIZE];
    char hex[2 * CDP_HMAC_SIZE + 1];
    cdp_hmac_begin(h);
    cdp_hmac_update(h, "something else", 14);
    cdp_hmac_begin(h);
    cdp_hmac_update(h, "Hi", 2);
    cdp_hmac_update(h, "", 0);
    cdp_hmac_update(h, " There", 6);
    cdp_hmac_end(h, d);
    cdp_hex(d, sizeof d, hex);
    CHECK(strcmp(hex, hi) == 0);
    cdp_hmac_free(h);

    h = cdp_hmac_new("Jefe", 4);
    hmac_is(h, "what do ya want for nothing?", 28,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    cdp_hmac_free(h);

    memset(key, 0xaa, sizeof key);
    h = cdp_hmac_new(key, sizeof key);
    static const char large[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_is(h, large, strlen(large), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    cdp_hmac_free(h);

    h = cdp_hmac_new(NULL, 0);
    hmac_is(h, "", 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    cdp_hmac_free(h);
    return check_report("test_hash");
}
