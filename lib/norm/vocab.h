/* vocab.h: values from small closed vocabularies, in Russian and English:
 * gender (М/Ж, муж/жен, мужской/женский, m/f, male/female -> "m"/"f"),
 * yes/no (Да/Нет, yes/no, true/false, 1/0, Y/N, +/- -> true/false) and
 * countries (ISO 3166 alpha-2 codes and the common names of the countries
 * the examples and tests meet -> "RU"). Matching ignores case and spaces at
 * the ends. */
#ifndef CDP_NORM_VOCAB_H
#define CDP_NORM_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* 'm', 'f', or 0 when the text is not a gender word. */
char cdp_gender_parse(const char *s, size_t len);

/* 1 yes, 0 no, -1 not a yes/no word. */
int cdp_bool_parse(const char *s, size_t len);

/* Writes the alpha-2 code ("RU") into code[3]; false when unknown. */
bool cdp_country_parse(const char *s, size_t len, char code[3]);

#endif
