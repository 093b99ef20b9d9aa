/* fields.c: see fields.h. */
#include "insight/fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/lines.h"

void cdp_nested_init(struct cdp_nested *n)
{
    n->parser = cdp_json_parser_new();
    n->text = (struct cdp_buf)CDP_BUF_INIT;
    n->rec = (struct cdp_record)CDP_RECORD_INIT;
}

void cdp_nested_release(struct cdp_nested *n)
{
    cdp_json_parser_free(n->parser);
    cdp_buf_release(&n->text);
    cdp_record_release(&n->rec);
}

bool cdp_nested_parse(struct cdp_nested *n, const struct cdp_field *f)
{
    cdp_record_clear(&n->rec);
    if (!f || f->type != CDP_OBJECT)
        return false;
    cdp_buf_reset(&n->text);
    cdp_buf_add_padded(&n->text, f->val, f->vlen);
    struct cdp_error why;
    return cdp_json_parse_object(n->parser, n->text.data, f->vlen, &n->rec, &why) == CDP_JSON_OK;
}

enum cdp_event_kind cdp_event_classify(const struct cdp_record *ev, double *amount)
{
    size_t len;
    const char *event = cdp_field_string(ev, "event", &len);
    enum cdp_event_kind kind = event ? cdp_event_kind(event, len) : CDP_EVENT_OTHER;
    if (kind == CDP_EVENT_CART_ADD)
        return CDP_EVENT_CART_ADD;
    bool purchase = kind == CDP_EVENT_PURCHASE;
    bool ret = kind == CDP_EVENT_RETURN;
    if (!purchase && !ret)
        return CDP_EVENT_OTHER;
    double a, price, qty = 1;
    bool has_qty = cdp_field_number(ev, "qty", &qty);
    if (!cdp_field_number(ev, "amount", &a)) {
        if (!cdp_field_number(ev, "price", &price))
            return CDP_EVENT_OTHER;
        a = price * (has_qty ? qty : 1);
    }
    if (ret || a < 0 || (has_qty && qty < 0)) {
        *amount = -fabs(a);
        return CDP_EVENT_RETURN;
    }
    *amount = a;
    return CDP_EVENT_PURCHASE;
}
