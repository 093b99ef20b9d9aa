#include "vocab.h"

#include <string.h>

#include "text.h"

/* Lower-cased, trimmed copy in a small buffer; false if too long. */
static bool folded(const char *s, size_t len, char *out, size_t cap)
{
    cdp_text_trim(&s, &len);
    return len > 0 && cdp_text_lower_to(out, cap, s, len) > 0;
}

static bool in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return true;
    return false;
}

char cdp_gender_parse(const char *s, size_t len)
{
    static const char *const male[] = { "m", "м", "муж", "муж.", "мужской", "male", "man",
                                        "мужчина", "1", NULL };
    static const char *const female[] = { "f", "ж", "жен", "жен.", "женский", "female",
                                          "woman", "женщина", "2", "w", NULL };
    char w[64];
    if (!folded(s, len, w, sizeof w))
        return 0;
    if (in(w, male))
        return 'm';
    if (in(w, female))
        return 'f';
    return 0;
}

int cdp_bool_parse(const char *s, size_t len)
{
    static const char *const yes[] = { "1", "true", "yes", "y", "да", "д", "t", "on", "+",
                                       "истина", NULL };
    static const char *const no[] = { "0", "false", "no", "n", "нет", "н", "f", "off", "-",
                                      "ложь", NULL };
    char w[64];
    if (!folded(s, len, w, sizeof w))
        return -1;
    if (in(w, yes))
        return 1;
    if (in(w, no))
        return 0;
    return -1;
}

bool cdp_country_parse(const char *s, size_t len, char code[3])
{
    static const struct {
        const char *code;
        const char *names[6];
    } countries[] = {
        { "ru", { "russia", "россия", "российская федерация", "рф", "russian federation", NULL } },
        { "kz", { "kazakhstan", "казахстан", NULL } },
        { "by", { "belarus", "беларусь", "белоруссия", NULL } },
        { "ua", { "ukraine", "украина", NULL } },
        { "uz", { "uzbekistan", "узбекистан", NULL } },
        { "am", { "armenia", "армения", NULL } },
        { "ge", { "georgia", "грузия", NULL } },
        { "de", { "germany", "германия", "deutschland", NULL } },
        { "gb", { "united kingdom", "великобритания", "uk", "great britain", NULL } },
        { "us", { "united states", "сша", "usa", "united states of america", NULL } },
        { "fr", { "france", "франция", NULL } },
        { "it", { "italy", "италия", NULL } },
        { "es", { "spain", "испания", NULL } },
        { "tr", { "turkey", "турция", "türkiye", NULL } },
        { "cn", { "china", "китай", NULL } },
    };
    char w[64];
    if (!folded(s, len, w, sizeof w))
        return false;
    size_t n = strlen(w);
    for (size_t i = 0; i < sizeof countries / sizeof *countries; i++) {
        bool hit = strcmp(w, countries[i].code) == 0 || in(w, countries[i].names);
        if (hit) {
            code[0] = (char)(countries[i].code[0] - 32);
            code[1] = (char)(countries[i].code[1] - 32);
            code[2] = '\0';
            return true;
        }
    }
    /* Any other two ASCII letters are taken as an alpha-2 code. */
    if (n == 2 && w[0] >= 'a' && w[0] <= 'z' && w[1] >= 'a' && w[1] <= 'z') {
        code[0] = (char)(w[0] - 32);
        code[1] = (char)(w[1] - 32);
        code[2] = '\0';
        return true;
    }
    return false;
}
