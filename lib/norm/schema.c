#include "norm/schema.h"

#include <string.h>

#define P CDP_KIND_PERSON
#define E CDP_KIND_EVENT

static const struct cdp_schema_field fields[] = {
    /* Identifiers: person records and events both carry them. */
    { "customer_id", CDP_FT_ID, P | E },
    { "email", CDP_FT_EMAIL, P | E },
    { "phone", CDP_FT_PHONE, P | E },
    { "card", CDP_FT_ID, P | E },
    { "anon_id", CDP_FT_ID, E },
    /* The person. */
    { "full_name", CDP_FT_FULL_NAME, P },
    { "last_name", CDP_FT_NAME, P },
    { "first_name", CDP_FT_NAME, P },
    { "middle_name", CDP_FT_NAME, P },
    { "gender", CDP_FT_GENDER, P },
    { "birth_date", CDP_FT_DATE, P },
    { "country", CDP_FT_COUNTRY, P },
    { "region", CDP_FT_REGION, P }, /* after country, which it is looked up in */
    { "city", CDP_FT_TEXT, P },
    { "postal_code", CDP_FT_ID, P },
    { "address", CDP_FT_TEXT, P },
    { "consent_email", CDP_FT_BOOL, P | E },
    { "consent_sms", CDP_FT_BOOL, P | E },
    { "consent_ads", CDP_FT_BOOL, P | E },
    { "points_balance", CDP_FT_DECIMAL, P | E },
    { "points_expire_at", CDP_FT_DATETIME, P | E },
    { "created_at", CDP_FT_DATETIME, P },
    { "updated_at", CDP_FT_DATETIME, P },
    /* The event. */
    { "ts", CDP_FT_DATETIME, E },
    { "event", CDP_FT_TOKEN, E },
    { "channel", CDP_FT_TOKEN, E },
    { "store", CDP_FT_ID, E },
    { "order_id", CDP_FT_ID, E },
    { "sku", CDP_FT_ID, E },
    { "category", CDP_FT_TEXT, E },
    { "qty", CDP_FT_DECIMAL, E },
    { "price", CDP_FT_DECIMAL, E },
    { "amount", CDP_FT_DECIMAL, E },
    { "points", CDP_FT_DECIMAL, E },
};

const struct cdp_schema_field *cdp_schema_fields(size_t *count)
{
    *count = sizeof fields / sizeof *fields;
    return fields;
}

const struct cdp_schema_field *cdp_schema_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
            return &fields[i];
    return NULL;
}

const char *cdp_field_type_noun(enum cdp_field_type type)
{
    switch (type) {
    case CDP_FT_EMAIL: return "e-mail";
    case CDP_FT_PHONE: return "phone";
    case CDP_FT_NAME: return "name";
    case CDP_FT_FULL_NAME: return "name";
    case CDP_FT_TEXT: return "text";
    case CDP_FT_ID: return "identifier";
    case CDP_FT_TOKEN: return "value";
    case CDP_FT_GENDER: return "gender";
    case CDP_FT_DATE: return "date";
    case CDP_FT_DATETIME: return "date/time";
    case CDP_FT_BOOL: return "yes/no value";
    case CDP_FT_DECIMAL: return "number";
    case CDP_FT_COUNTRY: return "country";
    case CDP_FT_REGION: return "region";
    }
    return "value";
}
