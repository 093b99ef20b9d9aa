/* Unit tests of lib/profile: one person's records to the golden profile
 * (survivorship, identifiers, consent, traits as of a moment), the events
 * given to custom traits, and profile/merge.h, which groups lines by
 * cdp_id and builds the profiles with their jq traits on worker threads:
 * the same bytes for any number of them. */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "io/json.h"
#include "io/lines.h"
#include "norm/date.h"
#include "profile/merge.h"
#include "profile/moment.h"
#include "profile/profile.h"

static struct cdp_json_parser *json;
static struct cdp_record rec = CDP_RECORD_INIT;
static struct cdp_buf pad;

static void add(struct cdp_profile *p, const char *line, bool person)
{
    struct cdp_error err;
    cdp_buf_reset(&pad);
    cdp_buf_add_padded(&pad, line, strlen(line));
    cdp_record_clear(&rec);
    CHECK(cdp_json_parse_object(json, pad.data, pad.len, &rec, &err) == CDP_JSON_OK);
    cdp_profile_add(p, &rec, person);
}

/* The end of 2026-11-20, UTC. */
static struct cdp_profile_options options(void)
{
    struct cdp_profile_options o = { 0 };
    o.as_of_day = cdp_days_from_civil(2026, 11, 20);
    o.as_of_ms = (o.as_of_day + 1) * 86400000LL;
    o.cart_timeout_ms = 24 * 3600000LL;
    o.keep_events = true;
    return o;
}

static void test_golden_profile(void)
{
    struct cdp_profile_options o = options();
    static const char *const prefer[] = { "shop" };
    o.prefer = prefer;
    o.nprefer = 1;
    struct cdp_profile *p = cdp_profile_new(&o);
    struct cdp_buf out = CDP_BUF_INIT;
    cdp_profile_begin(p, "p1", 2);
    add(p, "{\"_source\":\"crm\",\"_rid\":\"1\",\"last_name\":\"Иванова\",\"first_name\":\"Анна\",\"city\":\"Казань\","
           "\"email\":\"anna@mail.ru\",\"phone\":\"+79161234567\",\"consent_email\":true,\"updated_at\":\"2026-01-10T00:00:00Z\"}",
        true);
    add(p, "{\"_source\":\"shop\",\"_rid\":\"7\",\"first_name\":\"Аня\",\"city\":\"Москва\",\"email\":\"a.ivanova@ya.ru\","
           "\"phone\":\"+79999999999\",\"consent_email\":false,\"updated_at\":\"2026-03-01T00:00:00Z\"}",
        true);
    add(p, "{\"_source\":\"pos\",\"_rid\":\"1\",\"event\":\"purchase\",\"ts\":\"2026-11-01T10:00:00Z\",\"order_id\":\"o1\","
           "\"sku\":\"s1\",\"category\":\"Кухня\",\"amount\":1000.50,\"channel\":\"pos\",\"store\":\"Химки\",\"card\":\"0012345\"}",
        false);
    add(p, "{\"_source\":\"pos\",\"_rid\":\"2\",\"event\":\"purchase\",\"ts\":\"2026-11-01T10:00:00Z\",\"order_id\":\"o1\","
           "\"sku\":\"s2\",\"category\":\"Кухня\",\"amount\":200,\"channel\":\"pos\",\"store\":\"Химки\"}",
        false);
    add(p, "{\"_source\":\"web\",\"_rid\":\"3\",\"event\":\"purchase\",\"ts\":\"2025-06-01T00:00:00Z\",\"order_id\":\"o2\","
           "\"category\":\"Спальня\",\"price\":500,\"qty\":2,\"channel\":\"web\"}",
        false);
    add(p, "{\"_source\":\"pos\",\"_rid\":\"4\",\"event\":\"return\",\"ts\":\"2026-11-05T00:00:00Z\",\"order_id\":\"o1\","
           "\"category\":\"Кухня\",\"amount\":200,\"channel\":\"pos\"}",
        false);
    add(p, "{\"_source\":\"web\",\"_rid\":\"5\",\"event\":\"view\",\"ts\":\"2026-11-10T00:00:00Z\",\"sku\":\"s9\","
           "\"category\":\"Гостиная\",\"channel\":\"web\"}",
        false);
    add(p, "{\"_source\":\"web\",\"_rid\":\"6\",\"event\":\"cart_add\",\"ts\":\"2026-11-15T00:00:00Z\",\"sku\":\"s9\","
           "\"category\":\"Гостиная\",\"qty\":1,\"price\":300,\"channel\":\"web\"}",
        false);
    /* after the as-of moment: not in the traits, but in sources */
    add(p, "{\"_source\":\"web\",\"_rid\":\"7\",\"event\":\"purchase\",\"ts\":\"2026-12-01T00:00:00Z\",\"order_id\":\"o3\","
           "\"amount\":999,\"channel\":\"web\"}",
        false);
    cdp_profile_end(p, &out);
    cdp_buf_addc(&out, '}');
    CHECK_STR(out.data,
              "{\"cdp_id\":\"p1\",\"last_name\":\"Иванова\",\"first_name\":\"Аня\",\"city\":\"Москва\","
              "\"updated_at\":\"2026-03-01T00:00:00Z\","
              "\"email\":\"a.ivanova@ya.ru\",\"emails\":[\"a.ivanova@ya.ru\",\"anna@mail.ru\"],"
              "\"phone\":\"+79161234567\",\"phones\":[\"+79161234567\"],\"cards\":[\"0012345\"],"
              "\"consent_email\":false,\"consent_email_source\":\"shop/7\",\"consent_email_at\":\"2026-03-01T00:00:00Z\","
              "\"orders\":2,\"revenue\":2000.50,\"avg_order_value\":1000.25,"
              "\"first_purchase_at\":\"2025-06-01T00:00:00Z\",\"last_purchase_at\":\"2026-11-01T10:00:00Z\","
              "\"days_since_last_purchase\":19,\"orders_30d\":1,\"orders_90d\":1,\"orders_365d\":1,"
              "\"revenue_365d\":1000.50,\"returns\":1,"
              "\"categories\":{\"Гостиная\":{\"orders\":0,\"revenue\":0.00,\"views\":1,\"last_view_at\":\"2026-11-10T00:00:00Z\"},"
              "\"Кухня\":{\"orders\":1,\"revenue\":1000.50,\"first_at\":\"2026-11-01T10:00:00Z\",\"last_at\":\"2026-11-01T10:00:00Z\",\"views\":0},"
              "\"Спальня\":{\"orders\":1,\"revenue\":1000.00,\"first_at\":\"2025-06-01T00:00:00Z\",\"last_at\":\"2025-06-01T00:00:00Z\",\"views\":0}},"
              "\"top_category\":\"Кухня\",\"views_30d\":1,"
              "\"last_viewed\":[{\"sku\":\"s9\",\"category\":\"Гостиная\",\"at\":\"2026-11-10T00:00:00Z\"}],"
              "\"abandoned_cart\":{\"since\":\"2026-11-15T00:00:00Z\",\"items\":[{\"sku\":\"s9\",\"category\":\"Гостиная\","
              "\"qty\":1,\"price\":300.00}],\"value\":300.00},"
              "\"channels\":{\"pos\":3,\"web\":3},\"stores\":[\"Химки\"],"
              "\"sources\":{\"crm\":[\"1\"],\"pos\":[\"1\",\"2\",\"4\"],\"shop\":[\"7\"],\"web\":[\"3\",\"5\",\"6\",\"7\"]},"
              "\"records\":9}");
    /* the events for custom traits: by time, the future one left out */
    cdp_buf_reset(&out);
    cdp_profile_events_json(p, &out);
    CHECK(strncmp(out.data, "[{\"_source\":\"web\",\"_rid\":\"3\"", 28) == 0);
    CHECK(strstr(out.data, "\"_rid\":\"7\"") == NULL);
    CHECK(strstr(out.data, "\"_rid\":\"6\",\"event\":\"cart_add\"") != NULL);
    cdp_buf_release(&out);
    cdp_profile_free(p);
}

/* An undated "no" wins over a later "yes": an unsubscribe is never lost. */
static void test_consent(void)
{
    struct cdp_profile_options o = options();
    struct cdp_profile *p = cdp_profile_new(&o);
    struct cdp_buf out = CDP_BUF_INIT;
    cdp_profile_begin(p, "p2", 2);
    add(p, "{\"_source\":\"crm\",\"_rid\":\"1\",\"consent_sms\":false}", true);
    add(p, "{\"_source\":\"shop\",\"_rid\":\"2\",\"consent_sms\":true,\"consent_ads\":true,\"updated_at\":\"2026-11-01T00:00:00Z\"}",
        true);
    cdp_profile_end(p, &out);
    CHECK_STR(out.data, "{\"cdp_id\":\"p2\",\"updated_at\":\"2026-11-01T00:00:00Z\","
                        "\"consent_sms\":false,\"consent_sms_source\":\"crm/1\","
                        "\"consent_ads\":true,\"consent_ads_source\":\"shop/2\",\"consent_ads_at\":\"2026-11-01T00:00:00Z\","
                        "\"orders\":0,\"revenue\":0.00,\"orders_30d\":0,\"orders_90d\":0,\"orders_365d\":0,"
                        "\"revenue_365d\":0.00,\"returns\":0,\"views_30d\":0,"
                        "\"sources\":{\"crm\":[\"1\"],\"shop\":[\"2\"]},\"records\":2");
    cdp_buf_release(&out);
    cdp_profile_free(p);
}

/* ---- profile/moment.h ------------------------------------------------------ */

/* A person whose profile changes with the moment in every way: points that
 * expire, orders and returns over two years, views, a cart added to, with
 * an item bought, and events still to come. */
static const char *const moment_history[] = {
    "{\"_source\":\"crm\",\"_rid\":\"1\",\"first_name\":\"Анна\",\"updated_at\":\"2025-01-10T00:00:00Z\"}",
    "{\"_source\":\"crm\",\"_rid\":\"2\",\"city\":\"Казань\"}",
    "{\"_source\":\"pos\",\"_rid\":\"1\",\"event\":\"purchase\",\"ts\":\"2025-02-01T10:00:00Z\",\"order_id\":\"o1\","
    "\"sku\":\"s1\",\"category\":\"Кухня\",\"amount\":1000.50,\"points_balance\":120,\"points_expire_at\":\"2026-03-01\"}",
    "{\"_source\":\"pos\",\"_rid\":\"2\",\"event\":\"purchase\",\"ts\":\"2025-02-01T10:00:00Z\",\"order_id\":\"o1\","
    "\"sku\":\"s2\",\"category\":\"Кухня\",\"amount\":99.99}",
    "{\"_source\":\"web\",\"_rid\":\"3\",\"event\":\"purchase\",\"ts\":\"2025-06-15T08:00:00+03:00\",\"order_id\":\"o2\","
    "\"price\":500,\"qty\":3}",
    "{\"_source\":\"pos\",\"_rid\":\"4\",\"event\":\"return\",\"ts\":\"2025-06-20T00:00:00Z\",\"order_id\":\"o2\","
    "\"amount\":500}",
    "{\"_source\":\"web\",\"_rid\":\"5\",\"event\":\"view\",\"ts\":\"2025-06-01T00:00:00Z\",\"sku\":\"s9\"}",
    "{\"_source\":\"web\",\"_rid\":\"6\",\"event\":\"view\",\"ts\":\"2025-06-10T12:00:00Z\",\"sku\":\"s8\"}",
    "{\"_source\":\"web\",\"_rid\":\"7\",\"event\":\"cart_add\",\"ts\":\"2025-06-10T12:00:00Z\",\"sku\":\"s8\","
    "\"qty\":2,\"price\":30.5}",
    "{\"_source\":\"web\",\"_rid\":\"8\",\"event\":\"cart_add\",\"ts\":\"2025-06-11T09:00:00Z\",\"sku\":\"s7\","
    "\"qty\":1,\"price\":10}",
    "{\"_source\":\"web\",\"_rid\":\"9\",\"event\":\"cart_add\",\"ts\":\"2025-06-11T10:00:00Z\",\"sku\":\"s6\","
    "\"qty\":1,\"price\":5}",
    "{\"_source\":\"web\",\"_rid\":\"10\",\"event\":\"purchase\",\"ts\":\"2025-06-11T11:00:00Z\",\"sku\":\"s6\","
    "\"amount\":5}",
    "{\"_source\":\"web\",\"_rid\":\"11\",\"event\":\"view\",\"ts\":\"2025-08-01T00:00:00Z\",\"sku\":\"s5\"}",
    "{\"_source\":\"pos\",\"_rid\":\"12\",\"event\":\"purchase\",\"ts\":\"2025-09-30T23:59:59Z\",\"order_id\":\"o3\","
    "\"amount\":42}",
};

/* The moment at the end of a day, days after 2025-06-10, or at noon of it. */
static struct cdp_profile_options moment(int days, bool noon)
{
    struct cdp_profile_options o = options();
    o.keep_events = false;
    o.as_of_day = cdp_days_from_civil(2025, 6, 10) + days;
    o.as_of_ms = (o.as_of_day + 1) * 86400000LL - (noon ? 12 * 3600000LL : 0);
    return o;
}

/* The profile of moment_history as of o (saved into saved if not NULL). */
static void profile_at(const struct cdp_profile_options *o, struct cdp_buf *out, struct cdp_buf *saved)
{
    struct cdp_profile *p = cdp_profile_new(o);
    cdp_profile_begin(p, "p", 1);
    for (size_t i = 0; i < sizeof moment_history / sizeof *moment_history; i++)
        add(p, moment_history[i], strstr(moment_history[i], "\"event\"") == NULL);
    cdp_buf_reset(out);
    cdp_profile_end(p, out);
    if (saved) {
        cdp_buf_reset(saved);
        cdp_profile_save(p, out->data, out->len, saved);
    }
    cdp_profile_free(p);
}

/* A profile saved at one moment and written again at every later moment
 * is the profile made from the records at that moment, as long as no event
 * of the person's happened in between; then it says it is not current. */
static void test_saved_profile(void)
{
    struct cdp_buf fresh = CDP_BUF_INIT, saved = CDP_BUF_INIT, restored = CDP_BUF_INIT;
    int same = 0, stale = 0, days[] = { 0, 1, 5, 40, 120 };
    bool failed = false;
    for (size_t s = 0; s < sizeof days / sizeof *days && !failed; s++) {
        struct cdp_profile_options at = moment(days[s], s % 2);
        profile_at(&at, &fresh, &saved);
        for (int later = days[s]; later < 420 && !failed; later++) {
            for (int noon = 0; noon < 2 && !failed; noon++) {
                struct cdp_profile_options o = moment(later, noon);
                if (o.as_of_ms < at.as_of_ms)
                    continue;
                profile_at(&o, &fresh, NULL);
                cdp_buf_reset(&restored);
                if (!cdp_moment_current(saved.data, saved.len, &o)) {
                    stale++;
                    continue;
                }
                same++;
                CHECK(cdp_moment_restore(saved.data, saved.len, &o, &restored) == 0);
                failed = restored.len != fresh.len || memcmp(restored.data, fresh.data, fresh.len) != 0;
                CHECK(!failed);
                if (failed)
                    fprintf(stderr, "saved at %d, as of %d%s:\n  %.*s\n  %.*s\n", days[s], later,
                            noon ? " noon" : "", (int)fresh.len, fresh.data, (int)restored.len, restored.data);
            }
        }
    }
    /* saved on 2025-06-10 (day 0), current until the cart add of 06-11 09:00 */
    CHECK(same > 300 && stale > 1000);
    struct cdp_profile_options o = moment(0, false);
    profile_at(&o, &fresh, &saved);
    o = moment(1, true); /* 2025-06-11 12:00 */
    CHECK(!cdp_moment_current(saved.data, saved.len, &o));
    o.as_of_ms = (o.as_of_day * 86400000LL) + 9 * 3600000LL; /* 09:00: not yet */
    CHECK(cdp_moment_current(saved.data, saved.len, &o));
    o = moment(-1, false); /* earlier than saved */
    CHECK(!cdp_moment_current(saved.data, saved.len, &o));
    /* a damaged one is refused */
    CHECK(cdp_moment_restore(saved.data, saved.len - 1, &o, &restored) == -1);
    cdp_buf_release(&fresh);
    cdp_buf_release(&saved);
    cdp_buf_release(&restored);
}

/* ---- profile/merge.h --------------------------------------------------------- */

struct merged {
    struct cdp_buf out, notes, rejects;
    uint64_t profiles, rejected, trait_errors;
};

static void on_consume(void *ctx, const struct cdp_merge_result *r)
{
    struct merged *m = ctx;
    cdp_buf_add(&m->out, r->out->data, r->out->len);
    cdp_buf_add(&m->rejects, r->rejects->data, r->rejects->len);
    for (size_t i = 0; i < r->nnotes; i++)
        cdp_buf_printf(&m->notes, "%s: %s\n", r->notes[i].where, r->notes[i].message);
    m->profiles += r->profiles;
    m->rejected += r->rejected;
    m->trait_errors += r->trait_errors[0];
}

static void on_reject(void *ctx, const struct cdp_reject *r)
{
    struct merged *m = ctx;
    cdp_reject_format(&m->rejects, r);
}

/* cdp-merge over path with nworkers threads and a small sort budget. */
static void merge(const char *path, size_t nworkers, struct merged *m)
{
    struct cdp_profile_options po = options();
    static const struct cdp_trait traits[] = { { "n", ".events | length" } };
    struct cdp_merger_options o = { &po, traits, 1, 65536, nworkers, 0, NULL, NULL, NULL, on_reject, on_consume, m };
    size_t bad;
    struct cdp_error err;
    memset(m, 0, sizeof *m);
    struct cdp_merger *mg = cdp_merger_new(&o, &bad, &err);
    CHECK(mg != NULL);
    struct cdp_reader_options in = { 0 };
    CHECK(cdp_merger_read(mg, path, &in, &err) == 0);
    CHECK(cdp_merger_sort(mg, &err) == 0);
    CHECK(cdp_merger_write(mg, &err) == 0);
    CHECK(cdp_merger_lines(mg) == 3003);
    CHECK(cdp_merger_anonymous(mg) == 1);
    cdp_merger_free(mg);
}

static void merged_release(struct merged *m)
{
    cdp_buf_release(&m->out);
    cdp_buf_release(&m->notes);
    cdp_buf_release(&m->rejects);
}

static void test_merge(void)
{
    char path[] = "/tmp/cdp-test-merge-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    /* 1000 persons of 3 records each, written in reverse order of id */
    for (int i = 999; i >= 0; i--)
        for (int k = 0; k < 3; k++)
            fprintf(f, "{\"_source\":\"pos\",\"_rid\":\"%d\",\"event\":\"view\",\"ts\":\"2026-11-0%dT00:00:00Z\","
                       "\"cdp_id\":\"id%04d\"}\n", i * 3 + k, k + 1, i);
    fprintf(f, "{\"_source\":\"web\",\"_rid\":\"1\",\"cdp_id\":null}\n");
    fprintf(f, "not json\n");
    fprintf(f, "{\"x\":tru,\"cdp_id\":\"id0500\"}\n");
    fclose(f);
    struct merged one, many;
    merge(path, 0, &one);
    merge(path, 3, &many);
    CHECK(one.profiles == 1000 && one.rejected == 1 && one.trait_errors == 0);
    CHECK(one.out.len == many.out.len && memcmp(one.out.data, many.out.data, one.out.len) == 0);
    CHECK_STR(one.notes.data, many.notes.data);
    CHECK_STR(one.rejects.data, many.rejects.data);
    CHECK(strncmp(one.out.data, "{\"cdp_id\":\"id0000\",", 19) == 0);
    CHECK(strstr(one.out.data, "\"sources\":{\"pos\":[\"0\",\"1\",\"2\"]},\"records\":3,\"n\":3}\n{\"cdp_id\":\"id0001\",") != NULL);
    CHECK_STR(one.notes.data, "(records): invalid JSON: Problem while parsing an atom starting with the letter 't'; line rejected\n");
    char want[1024];
    snprintf(want, sizeof want,
             "{\"_source\":null,\"file\":\"%s\",\"line\":3002,\"row\":3002,\"code\":\"invalid_json\",\"reason\":\"not a JSON object\",\"raw\":\"not json\"}\n"
             "{\"_source\":null,\"file\":null,\"line\":null,\"row\":null,\"code\":\"invalid_json\",\"reason\":\"invalid JSON: Problem while parsing an atom starting with the letter 't'\",\"raw\":\"{\\\"x\\\":tru,\\\"cdp_id\\\":\\\"id0500\\\"}\"}\n",
             path);
    CHECK_STR(one.rejects.data, want);
    merged_release(&one);
    merged_release(&many);
    unlink(path);
}

int main(void)
{
    json = cdp_json_parser_new();
    test_golden_profile();
    test_consent();
    test_saved_profile();
    test_merge();
    cdp_json_parser_free(json);
    cdp_record_release(&rec);
    cdp_buf_release(&pad);
    return check_report("test_profile");
}
