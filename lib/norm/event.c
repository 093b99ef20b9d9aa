#include "norm/event.h"

#include <string.h>

static const struct {
    const char *name;
    enum cdp_event_kind kind;
} names[] = {
    { "purchase", CDP_EVENT_PURCHASE },     { "order", CDP_EVENT_PURCHASE },
    { "return", CDP_EVENT_RETURN },         { "refund", CDP_EVENT_RETURN },
    { "view", CDP_EVENT_VIEW },             { "product_view", CDP_EVENT_VIEW },
    { "cart_add", CDP_EVENT_CART_ADD },     { "add_to_cart", CDP_EVENT_CART_ADD },
    { "cart_remove", CDP_EVENT_CART_REMOVE }, { "remove_from_cart", CDP_EVENT_CART_REMOVE },
};

enum cdp_event_kind cdp_event_kind(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
            return names[i].kind;
    return CDP_EVENT_OTHER;
}

const char *cdp_event_kind_name(enum cdp_event_kind kind)
{
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].kind == kind)
            return names[i].name;
    return "other";
}
