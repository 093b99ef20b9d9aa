/* fields.h: the figures the report needs from a parsed JSON line: numbers,
 * strings and nested objects of a record (io/record.h), read leniently:
 * a member that is absent or of another type reads as "not there", since
 * profiles and events are written by several programs and versions. */
#ifndef CDP_INSIGHT_FIELDS_H
#define CDP_INSIGHT_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "io/json.h"
#include "io/record.h"
#include "norm/event.h"

/* Numbers and strings: cdp_field_number and cdp_field_string (io/record.h). */

/* A parser for objects nested in a record's values (one level each: a
 * nested object's own objects need another). */
struct cdp_nested {
    struct cdp_json_parser *parser;
    struct cdp_buf text; /* the value, padded for the parser */
    struct cdp_record rec;
};

void cdp_nested_init(struct cdp_nested *n);
void cdp_nested_release(struct cdp_nested *n);
/* Parses the object f holds into n->rec (valid until the next call); false
 * when f is NULL or not an object. */
bool cdp_nested_parse(struct cdp_nested *n, const struct cdp_field *f);


/* What a linked event is, for outcomes, as cdp-merge(1) counts it
 * (Purchases): its name's kind by norm/event.h, where a purchase line with
 * a negative amount or quantity is a return; for a purchase or return line,
 * its money (amount, else price times qty, qty 1 when absent) into
 * *amount, positive for a purchase and negative for a return. A purchase or
 * return without any amount is CDP_EVENT_OTHER, and so are the kinds
 * outcomes do not count (views, cart removals): the result is
 * CDP_EVENT_PURCHASE, CDP_EVENT_RETURN, CDP_EVENT_CART_ADD or
 * CDP_EVENT_OTHER. */
enum cdp_event_kind cdp_event_classify(const struct cdp_record *ev, double *amount);

#endif
