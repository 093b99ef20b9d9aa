#include "norm/name.h"

#include <stdlib.h>
#include <string.h>

#include "norm/text.h"

bool cdp_name_normalize(struct cdp_buf *out, struct cdp_buf *scratch, const char *s, size_t len)
{
    cdp_buf_reset(scratch);
    cdp_text_clean(scratch, s, len);
    bool ok = scratch->len > 0 && cdp_text_has_letter(scratch->data, scratch->len);
    if (ok)
        cdp_text_title(out, scratch->data, scratch->len);
    return ok;
}

static bool ends_with_any(const char *w, size_t n, const char *const *suffixes)
{
    for (; *suffixes; suffixes++) {
        size_t k = strlen(*suffixes);
        if (n > k && memcmp(w + n - k, *suffixes, k) == 0)
            return true;
    }
    return false;
}

static void lower_word(const char *w, size_t n, struct cdp_buf *tmp)
{
    cdp_buf_reset(tmp);
    cdp_text_lower(tmp, w, n);
}

static bool is_patronymic(const char *w, size_t n, struct cdp_buf *tmp)
{
    /* Not the bare "-ич" of Ильич: it is also a family name ending (Бабич). */
    static const char *const suffixes[] = { "ович", "евич", "ёвич", "овна", "евна", "ёвна",
                                            "ична", "инична", "ovich", "evich", "ovna", "evna",
                                            "ichna", "ovitch", NULL };
    lower_word(w, n, tmp);
    return ends_with_any(tmp->data, tmp->len, suffixes);
}

static bool is_family_name(const char *w, size_t n, struct cdp_buf *tmp)
{
    static const char *const suffixes[] = {
        "ов", "ев", "ёв", "ин", "ын", "ова", "ева", "ёва", "ына", "ский", "цкий", "ская",
        "цкая", "ской", "енко", "ук", "юк", "ян", "янц", "дзе", "швили", "их", "ых", "ко", "ич",
        "ov", "ev", "ova", "eva", "sky", "skiy", "skii", "skaya", "enko", "yan", "dze",
        "shvili", NULL
    };
    /* "-ина" is left out: Ирина, Марина, Полина are given names. */
    lower_word(w, n, tmp);
    return ends_with_any(tmp->data, tmp->len, suffixes);
}

/* The most common given names in Russian exports, and their usual Latin
 * spellings: a family name is rarely one of them, so a known given name
 * settles which word of "Наталья Кузьмина" or "Константин Егоров" is which
 * (family-name endings alone get both wrong). Lower case, sorted. */
static const char *const given_names[] = {
    "adel", "aleksandr", "aleksandra", "aleksei", "aleksey", "alena", "alexander", "alexandra",
    "alexei", "alexey", "alina", "alla", "anastasia", "anastasiya", "andrei", "andrey", "anna",
    "anton", "artem", "artur", "bogdan", "boris", "daria", "darya", "denis", "dmitrii",
    "dmitriy", "dmitry", "egor", "ekaterina", "elena", "evgenii", "evgeniy", "evgeny", "galina",
    "georgii", "georgiy", "grigorii", "grigoriy", "igor", "ilya", "inna", "irina", "ivan",
    "julia", "kirill", "konstantin", "kristina", "ksenia", "kseniya", "larisa", "ludmila",
    "lyudmila", "maksim", "margarita", "maria", "marina", "mariya", "maxim", "mikhail",
    "nadezhda", "natalia", "natalya", "nikita", "nikolai", "nikolay", "nina", "oksana", "oleg",
    "olga", "pavel", "polina", "roman", "ruslan", "sergei", "sergey", "sofia", "sofya",
    "stanislav", "svetlana", "tatiana", "tatyana", "timur", "vadim", "valentina", "valeria",
    "valeriya", "vasilii", "vasiliy", "vera", "victor", "victoria", "viktor", "viktoria",
    "viktoriya", "vitaliy", "vitaly", "vladimir", "vladislav", "vyacheslav", "yana", "yaroslav",
    "yulia", "yuliya", "yuri", "yuriy", "августина", "ада", "адель", "азат", "айгуль",
    "алевтина", "александр", "александра", "алексей", "алена", "али", "алина", "алиса", "алла",
    "альберт", "альбина", "алёна", "анастасия", "анатолий", "ангелина", "андрей", "анжела",
    "анна", "антон", "антонина", "арина", "аркадий", "арсений", "артем", "артур", "артём",
    "ахмед", "богдан", "борис", "вадим", "валентин", "валентина", "валерий", "валерия",
    "варвара", "василий", "василиса", "вера", "вероника", "виктор", "виктория", "виталий",
    "владимир", "владислав", "всеволод", "вячеслав", "галина", "геннадий", "георгий", "глеб",
    "григорий", "давид", "даниил", "данил", "дарья", "денис", "диана", "дина", "дмитрий", "ева",
    "евгений", "евгения", "егор", "екатерина", "елена", "елизавета", "жанна", "зинаида", "зоя",
    "иван", "игорь", "илья", "инна", "ирина", "карина", "кира", "кирилл", "константин",
    "кристина", "ксения", "лариса", "лев", "леонид", "лидия", "лилия", "любовь", "людмила",
    "майя", "максим", "марат", "маргарита", "марина", "мария", "марк", "матвей", "милана",
    "михаил", "надежда", "наталия", "наталья", "нелли", "никита", "николай", "нина", "оксана",
    "олег", "олеся", "ольга", "павел", "петр", "полина", "пётр", "раиса", "регина", "ринат",
    "роман", "руслан", "рустам", "светлана", "семен", "семён", "сергей", "снежана", "софия",
    "софья", "станислав", "степан", "таисия", "тамара", "татьяна", "тимофей", "тимур", "ульяна",
    "федор", "филипп", "фёдор", "эдуард", "элина", "эльвира", "эльдар", "юлия", "юрий", "яков",
    "яна", "ярослав",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_given_name(const char *w, size_t n, struct cdp_buf *tmp)
{
    lower_word(w, n, tmp);
    const char *key = tmp->data;
    return bsearch(&key, given_names, sizeof given_names / sizeof *given_names,
                   sizeof *given_names, cmp_str) != NULL;
}

static bool is_cyrillic(const char *w)
{
    /* U+0400..U+04FF start with 0xD0..0xD3 in UTF-8. */
    unsigned char c = (unsigned char)w[0];
    return c >= 0xD0 && c <= 0xD3;
}

struct span {
    size_t off, len;
};

void cdp_name_split(const char *name, size_t len, struct cdp_name_parts *parts)
{
    memset(parts, 0, sizeof *parts);
    struct span w[8];
    size_t n = 0;
    for (size_t i = 0; i < len && n < 8;) {
        size_t j = i;
        while (j < len && name[j] != ' ')
            j++;
        w[n++] = (struct span){ i, j - i };
        i = j + 1;
    }
    if (n == 0)
        return;
    struct cdp_buf tmp = CDP_BUF_INIT;
#define W(k) name + w[k].off, w[k].len
    struct span first = { 0, 0 }, middle = { 0, 0 }, last = { 0, 0 };
    /* Turkic patronymics are two words: "Али Гусейн оглы". */
    bool turkic = false;
    if (n >= 3) {
        lower_word(W(n - 1), &tmp);
        turkic = strcmp(tmp.data, "оглы") == 0 || strcmp(tmp.data, "кызы") == 0 ||
                 strcmp(tmp.data, "улы") == 0 || strcmp(tmp.data, "гызы") == 0;
    }
    if (turkic && n >= 4) {
        last = w[0];
        first = w[1];
        middle = (struct span){ w[2].off, w[n - 1].off + w[n - 1].len - w[2].off };
    } else if (turkic) {
        first = w[0];
        middle = (struct span){ w[1].off, w[2].off + w[2].len - w[1].off };
    } else if (n == 1) {
        if (is_family_name(W(0), &tmp))
            last = w[0];
        else
            first = w[0];
    } else if (n == 2) {
        if (is_patronymic(W(1), &tmp)) {
            first = w[0];
            middle = w[1];
        } else {
            /* A known given name decides; then a family-name ending; then
             * the script's habit. */
            bool g0 = is_given_name(W(0), &tmp), g1 = is_given_name(W(1), &tmp);
            bool f0 = is_family_name(W(0), &tmp), f1 = is_family_name(W(1), &tmp);
            bool family_first = g0 != g1   ? g1
                              : f0 != f1   ? f0
                                           : is_cyrillic(name + w[0].off);
            last = w[family_first ? 0 : 1];
            first = w[family_first ? 1 : 0];
        }
    } else if (n == 3 && is_patronymic(W(2), &tmp)) {
        last = w[0];
        first = w[1];
        middle = w[2];
    } else if (n == 3 && is_patronymic(W(1), &tmp)) {
        first = w[0];
        middle = w[1];
        last = w[2];
    } else if (n == 3 && ((is_given_name(W(1), &tmp) && !is_given_name(W(0), &tmp)) ||
                          (!is_given_name(W(0), &tmp) && is_cyrillic(name + w[0].off)))) {
        /* "Волков Александр Никитич": family, given, then a patronymic of a
         * rarer form. */
        last = w[0];
        first = w[1];
        middle = w[2];
    } else {
        first = w[0];
        last = w[n - 1];
        if (n > 2)
            middle = (struct span){ w[1].off, w[n - 2].off + w[n - 2].len - w[1].off };
    }
#undef W
    cdp_buf_release(&tmp);
    parts->first_off = first.off, parts->first_len = first.len;
    parts->middle_off = middle.off, parts->middle_len = middle.len;
    parts->last_off = last.off, parts->last_len = last.len;
}
