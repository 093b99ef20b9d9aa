#include "norm/vocab.h"

#include <string.h>

#include "norm/text.h"

/* Lower-cased, trimmed copy in a small buffer; false if too long. */
/* Trimmed, inner white space collapsed, lower-cased; false if too long. */
static bool folded(const char *s, size_t len, char *out, size_t cap)
{
    cdp_text_trim(&s, &len);
    if (len == 0 || len >= cap)
        return false;
    char clean[256];
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n < sizeof clean - 1; i++) {
        if (s[i] == ' ' || s[i] == '\t') {
            space = true;
            continue;
        }
        if (space && n < sizeof clean - 1)
            clean[n++] = ' ';
        space = false;
        clean[n++] = s[i];
    }
    return cdp_text_lower_to(out, cap, clean, n) > 0;
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
    /* Any other assigned ISO 3166-1 alpha-2 code. */
    static const char iso[] =
        "ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn "
        "bo bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz "
        "de dj dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl "
        "gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm "
        "jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me "
        "mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np "
        "nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd "
        "se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to "
        "tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";
    bool known = false;
    for (size_t i = 0; i + 2 <= sizeof iso - 1 && !known; i += 3)
        known = n == 2 && iso[i] == w[0] && iso[i + 1] == w[1];
    if (known) {
        code[0] = (char)(w[0] - 32);
        code[1] = (char)(w[1] - 32);
        code[2] = '\0';
        return true;
    }
    return false;
}
