/* linked.h: the linked-record line, what cdp-dedupe writes and cdp-merge
 * reads.
 *
 * cdp-dedupe writes every record as one line: a JSON object whose LAST
 * member is "cdp_id", the person's id as a string, or null for an event
 * that belongs to nobody:
 *
 *   {"_source":"crm","_rid":"1","email":"x@y.ru","cdp_id":"9f2c4e1a0b3d5c6e"}
 *
 * An NDJSON line is copied as it was read, with the id added before its
 * closing brace, so that every other member keeps its text and order; a
 * CSV record, or a line that carried a cdp_id already (an earlier run's
 * output read again), is written anew, its old cdp_id left out.
 *
 * That promise lets cdp-merge take the id from the end of a line without
 * parsing it: its reading thread, which no other thread can share the work
 * of, then only splits lines. A line that does not end that way ("cdp_id"
 * null or elsewhere, another program's output) is parsed; a line that does
 * end that way but is not JSON is only found out when the person's lines
 * are parsed, after grouping. */
#ifndef CDP_IDENTITY_LINKED_H
#define CDP_IDENTITY_LINKED_H

#include <stddef.h>

#include "base/buf.h"
#include "io/json.h"
#include "io/record.h"

/* Appends line, one NDJSON object as read (spaces, tabs and a CR may follow
 * its closing brace), with "cdp_id" added as its last member, and '\n'.
 * id NULL: null. */
void cdp_linked_append(struct cdp_buf *b, const char *line, size_t len, const char *id);

/* Appends rec as a linked line: its members but cdp_id, then cdp_id. */
void cdp_linked_write(struct cdp_buf *b, const struct cdp_record *rec, const char *id);

/* The id at the end of a linked line, found without parsing: true with
 * *id and *idlen pointing into line, or false when the line does not end
 * with ,"cdp_id":"ID"} (an id of at most 64 bytes without '"' or '\\'). */
bool cdp_linked_id_at_end(const char *line, size_t len, const char **id, size_t *idlen);

/* The cdp_id of a line: from its end when it is there, else by parsing
 * (line padded as cdp_json_parse_object needs; rec is scratch space, and
 * the id may point into it). Returns 1 with the id; 0 when the line has
 * no cdp_id, or one that is null, empty or not a string; -1 when the line
 * is not a JSON object (*status says why). */
int cdp_linked_id(struct cdp_json_parser *json, struct cdp_record *rec, const char *line,
                  size_t len, const char **id, size_t *idlen, enum cdp_json_status *status);

#endif
