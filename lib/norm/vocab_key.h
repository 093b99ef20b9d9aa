/* vocab_key.h: the keys under which vocabulary words are looked up.
 *
 * A country or region name is matched however it is typed: "UNITED
 * KINGDOM", "United  Kingdom", "Côte d'Ivoire" and "Cote d Ivoire",
 * "Соединённое Королевство" and "Соединенное королевство" each give one key.
 * The build (tools/iso-vocab.c) makes the keys of the ISO 3166 tables with
 * these same functions, so a table and the text looked up in it always agree.
 *
 * Neither function allocates anything the caller must free. */
#ifndef CDP_NORM_VOCAB_KEY_H
#define CDP_NORM_VOCAB_KEY_H

#include <stddef.h>

#include "base/buf.h"

/* The key of a word: Unicode compatibility decomposition, accents and other
 * combining marks dropped (so ё is е and й is и), case folded; punctuation,
 * symbols, controls and white space are word breaks, written as one ASCII
 * space, none at the ends. Appends to out (input: valid UTF-8). */
void cdp_vocab_key(struct cdp_buf *out, const char *s, size_t len);

/* The key of a region (ISO 3166-2 subdivision) name: the word key without
 * the words that name a kind of subdivision (область, обл, край, республика,
 * респ, автономный округ, АО, город, г, oblast, respublika, kraj...), so that
 * "Республика Татарстан", "Татарстан Респ." and "Tatarstan, Respublika" meet
 * at the name itself. When nothing else is left, the words are kept. */
void cdp_vocab_region_key(struct cdp_buf *out, const char *s, size_t len);

#endif
