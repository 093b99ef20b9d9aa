/* Unit tests of lib/norm/translit.h.
 *
 * 1. cdp_name_fold: case, Ё, diacritics, scripts, separators, odd input.
 * 2. cdp_name_key: every group of spellings the header promises (and more)
 *    has one key; every Cyrillic name in the lists below has the key of its
 *    popular and of its passport (ICAO) transliteration, as cdp-gen writes
 *    them.
 * 3. Collisions: about 600 distinct common names (Russian first names,
 *    patronymics and surnames in Cyrillic; English first names and
 *    surnames); the names that share a key must be exactly those listed in
 *    `expected_collisions`, and the test prints them.
 * 4. cdp_soundex against jellyfish (tests/fixtures/strdist/soundex.tsv).
 * 5. A micro-benchmark of the key, printed only. */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "../check.h"
#include "../files.h"
#include "gen/gen_data.h"
#include "norm/translit.h"

static struct cdp_buf out;

static const char *fold(const char *s)
{
    cdp_buf_reset(&out);
    cdp_name_fold(&out, s, strlen(s));
    return out.data;
}

static const char *key(const char *s)
{
    cdp_buf_reset(&out);
    cdp_name_key(&out, s, strlen(s));
    return out.data;
}

/* Whether a and b have different keys. */
static bool keys_differ(const char *a, const char *b)
{
    char ka[256];
    snprintf(ka, sizeof ka, "%s", key(a));
    return strcmp(ka, key(b)) != 0;
}

static const char *soundex(const char *s)
{
    static char code[5];
    memset(code, 'X', sizeof code);
    cdp_soundex(code, s, strlen(s));
    return code;
}

/* ---- 1. the fold ---- */

static void test_fold(void)
{
    CHECK_STR(fold("Ёлкина-Иванова"), "elkinaivanova");
    CHECK_STR(fold("O'Brien"), "obrien");
    CHECK_STR(fold("IVANOV SERGEI"), "ivanovsergei");
    CHECK_STR(fold("Иванов Сергей"), "ivanovsergey");
    CHECK_STR(fold("Юлия"), "yuliya");
    CHECK_STR(fold("ЖЕНЯ Щукин Цой Чех Шах Хан"), "zhenyashchukintsoychekhshakhkhan");
    CHECK_STR(fold("Подъячев Васильев Крылов Эдуард"), "podyachevvasilevkryloveduard");
    CHECK_STR(fold("ёЁеЕ"), "eeee");
    /* Decomposed й and ё (NFD) as the precomposed ones. */
    CHECK_STR(fold("И\xCC\x86" "ошкар"), "yoshkar");
    CHECK_STR(fold("Е\xCC\x88" "лкин"), "elkin");
    /* Diacritics, letters spelled out, ligatures, full width. */
    CHECK_STR(fold("José Müller-Lüdenscheidt"), "josemullerludenscheidt");
    CHECK_STR(fold("Ñúñez Çelik Øystein Łukasz Straße"), "nunezcelikoysteinlukaszstrasse");
    CHECK_STR(fold("Æsa Œuvre Þór Đorđe İlham"), "aesaoeuvrethordjordjeilham");
    CHECK_STR(fold("José\xCC\x81"), "jose");
    CHECK_STR(fold("ﬁsher"), "fisher");
    CHECK_STR(fold("ＩＶＡＮ"), "ivan");
    /* Other Cyrillic alphabets. */
    CHECK_STR(fold("Їжак Євген Ґанна Ўладзімір"), "yizhakyevgengannauladzimir");
    CHECK_STR(fold("Ђорђе Љиљана Џон Ћирић"), "djordjeljiljanadzonciric");
    CHECK_STR(fold("Әлия Қанат Ұлан Өмір Ғалым Һ Ң Ү"), "aliyakanatulanomirgalymhnu");
    CHECK_STR(fold("Ӂ"), "zh");
    /* Separators of every kind go; apostrophes too; digits stay. */
    CHECK_STR(fold("  Anna-Maria  d’Arc, Jr. 2nd\t"), "annamariadarcjr2nd");
    CHECK_STR(fold("Ма\xC2\xAD" "рия\xE2\x80\x8B"), "mariya"); /* soft hyphen, ZWSP */
    CHECK_STR(fold("Natal'ya Natalʹja"), "natalyanatalja");
    CHECK_STR(fold(""), "");
    CHECK_STR(fold(" -'. "), "");
    CHECK_STR(fold("\xFF" "Ivan" "\xC3"), "ivan"); /* invalid bytes */
    /* Other scripts: lower case, marks kept. */
    CHECK_STR(fold("ΑΘΗΝΆ"), "αθηνα");
    CHECK_STR(fold("東京"), "東京");
    CHECK_STR(fold("हिन्दी"), "हिन्दी");
    /* Appends to what the buffer holds. */
    cdp_buf_reset(&out);
    cdp_buf_adds(&out, "x:");
    cdp_name_fold(&out, "Пётр", strlen("Пётр"));
    CHECK_STR(out.data, "x:petr");
    CHECK(out.len == 6);
    cdp_name_key(&out, " Alexander", 10);
    CHECK_STR(out.data, "x:petraleksandr");
    CHECK(out.len == 15);
    /* A NUL follows even when nothing is appended to a new buffer. */
    struct cdp_buf fresh = CDP_BUF_INIT;
    cdp_name_fold(&fresh, "--", 2);
    CHECK(fresh.data && fresh.len == 0 && fresh.data[0] == '\0');
    cdp_buf_release(&fresh);
    cdp_name_key(&fresh, " ", 1);
    CHECK(fresh.data && fresh.len == 0 && fresh.data[0] == '\0');
    cdp_buf_release(&fresh);
    /* Length is respected: no reading past it. */
    cdp_buf_reset(&out);
    cdp_name_fold(&out, "Иванов", 4);
    CHECK_STR(out.data, "iv");
}

/* ---- 2. the key ---- */

/* Each line: spellings of one name, separated by '|'. */
static const char *const groups[] = {
    /* the header's groups */
    "Sergey|Sergei|Sergej|Serguei|Сергей|СЕРГЕЙ|SERGEI",
    "Yuliya|Yulia|Julia|Iulia|Iuliia|Юлия|Julija",
    "Aleksandr|Alexander|Aleksander|Alexandr|Александр",
    "Natalya|Natalia|Nataliya|Natal'ya|Наталья|Наталия",
    "Khristina|Kristina|Hristina|Christina|Христина|Кристина",
    "Ksenia|Kseniya|Xenia|Kseniia|Ксения",
    /* and more */
    "Maria|Mariya|Mariia|Мария",
    "Alexey|Aleksei|Alexei|Aleksey|Alexej|Алексей",
    "Dmitry|Dmitrii|Dmitriy|Dmitri|Dmitrij|Дмитрий",
    "Yevgeny|Evgeniy|Evgenii|Evgeny|Jevgenij|Ievgenii|Евгений",
    "Evgenia|Evgeniya|Yevgenia|Yevgeniya|Evgeniia|Евгения",
    "Elena|Yelena|Jelena|Елена",
    "Ekaterina|Yekaterina|Jekaterina|Екатерина",
    "Yury|Yuriy|Yurii|Iurii|Jurij|Yuri|Юрий",
    "Nikolay|Nikolai|Nikolaj|Nicolai|Николай",
    "Andrey|Andrei|Andrej|Андрей",
    "Vasily|Vasiliy|Vasilii|Vassily|Василий",
    "Tatyana|Tatiana|Tatjana|Татьяна",
    "Ilya|Ilia|Ilja|Iliya|Илья",
    "Darya|Daria|Dariya|Дарья",
    "Anastasia|Anastasiya|Anastasiia|Анастасия",
    "Victoria|Viktoria|Viktoriya|Viktoriia|Виктория",
    "Vyacheslav|Viacheslav|Vjacheslav|Вячеслав",
    "Lyudmila|Liudmila|Ludmila|Людмила",
    "Lyubov|Liubov|Lubov|Любовь",
    "Mikhail|Mihail|Михаил",
    "Kirill|Kiril|Кирилл",
    "Filipp|Filip|Philipp|Филипп",
    "Sofia|Sofiya|Sophia|София",
    "Maya|Maia|Mayya|Maiia|Майя",
    "Zoya|Zoia|Зоя",
    "Fyodor|Fedor|Fjodor|Фёдор|Федор",
    "Pyotr|Petr|Peter|Пётр|Петр",
    "Semyon|Semen|Семён",
    "Artyom|Artem|Артём",
    "Alyona|Alena|Aljona|Алёна",
    "Yakov|Iakov|Jakov|Яков",
    "Yana|Iana|Jana|Яна",
    "Vladimir|Wladimir|Владимир",
    "Ivanov|IVANOV|Иванов",
    "Vasilyev|Vasiliev|Vasilev|Васильев",
    "Grigoryev|Grigoriev|Grigorev|Григорьев",
    "Andreyev|Andreev|Андреев",
    "Solovyov|Soloviev|Solovev|Solovyev|Соловьёв",
    "Kiselyov|Kiselev|Киселёв",
    "Mikhaylov|Mikhailov|Mihailov|Михайлов",
    "Zaytsev|Zaitsev|Зайцев",
    "Khabibullin|Habibullin|Khabibulin|Хабибуллин",
    "Tolstoy|Tolstoi|Tolstoj|Толстой",
    "Belyy|Belyi|Bely|Белый",
    "Sergeyevich|Sergeevich|Сергеевич",
    "Yakovlev|Iakovlev|Jakovlev|Яковлев",
    "Schmidt|Shmidt|Шмидт",
    "Elkina|Ёлкина",
};

static void test_groups(void)
{
    char buf[512];
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        snprintf(buf, sizeof buf, "%s", groups[g]);
        char first_key[128] = "", *save = NULL;
        const char *first = NULL;
        for (char *s = strtok_r(buf, "|", &save); s; s = strtok_r(NULL, "|", &save)) {
            const char *k = key(s);
            if (!first) {
                first = s;
                snprintf(first_key, sizeof first_key, "%s", k);
                CHECK(k[0] != '\0');
                continue;
            }
            check_count++;
            if (strcmp(k, first_key) != 0) {
                check_failures++;
                fprintf(stderr, "key(\"%s\") = \"%s\" but key(\"%s\") = \"%s\"\n", s, k, first,
                        first_key);
            }
        }
    }
    /* Not unified: a leading "yo" is left alone (John, Yoko), so the Latin
     * Yolkina is not the Ёлкина the fold makes elkina. */
    CHECK_STR(key("Yolkina"), "yolkina");
    /* Names that must stay apart. */
    CHECK(keys_differ("Sergey", "Sergeeva"));
    CHECK(keys_differ("Sergey", "Sergeev"));
    CHECK(keys_differ("Anna", "Anya"));
    CHECK(keys_differ("Ivan", "Ivanna"));
    CHECK(keys_differ("Evgeny", "Evgenia"));
    CHECK(keys_differ("Alena", "Elena"));
    CHECK(keys_differ("Andrew", "Андреев"));
    CHECK(keys_differ("Aleksandr", "Aleksandra"));
    CHECK(keys_differ("Ivanov", "Ivanova"));
    CHECK(keys_differ("Yuliya", "Yuliy"));
    /* Words are rewritten one by one: word rules at each word's ends. */
    CHECK_STR(key("Ivanov Sergey"), "ivanovsergei");
    CHECK_STR(key("Sergey Ivanov"), "sergeiivanov");
    CHECK_STR(key("YELENA-YULIYA"), "elenayulia");
    CHECK_STR(key("Natal'ya"), "natalia");
    CHECK_STR(key(""), "");
    CHECK_STR(key("--"), "");
    CHECK_STR(key("Xxx"), "ksksks");
    CHECK_STR(key("東京"), "東京");
    /* A long value grows the buffer (x doubles in length). */
    char longname[1201];
    for (int i = 0; i < 1200; i++)
        longname[i] = i % 6 == 5 ? ' ' : 'x';
    longname[1200] = '\0';
    const char *k = key(longname);
    CHECK(strlen(k) == 2000 && strncmp(k, "ksksksksks", 10) == 0);
}

/* ---- 3. collisions among distinct names ---- */

static const char *const russian_male =
    "Александр Алексей Анатолий Андрей Антон Аркадий Арсений Артём Борис Вадим Валентин "
    "Валерий Василий Виктор Виталий Владимир Владислав Вячеслав Геннадий Георгий Глеб "
    "Григорий Даниил Денис Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Лев "
    "Леонид Максим Марк Матвей Михаил Никита Николай Олег Павел Пётр Роман Руслан Семён "
    "Сергей Станислав Степан Тимофей Тимур Фёдор Юрий Ярослав Ян";
static const char *const russian_female =
    "Александра Алёна Алина Алиса Алла Анастасия Ангелина Анна Антонина Валентина Валерия "
    "Вера Вероника Виктория Галина Дарья Диана Ева Евгения Екатерина Елена Елизавета Жанна "
    "Зинаида Зоя Инна Ирина Карина Кира Клавдия Кристина Ксения Лариса Лидия Лилия Любовь "
    "Людмила Маргарита Марина Мария Милана Надежда Наталья Нина Оксана Олеся Ольга Полина "
    "Раиса Светлана София Софья Таисия Тамара Татьяна Ульяна Юлия Яна Лиля Майя Мая Эльвира "
    "Эмилия Василиса Злата Арина Варвара Виолетта Дана Дина";
static const char *const russian_surnames =
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв "
    "Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов "
    "Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов "
    "Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков "
    "Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков "
    "Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов "
    "Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин "
    "Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников "
    "Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов "
    "Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев "
    "Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин "
    "Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронцов "
    "Суханов Зуев Аксёнов Белый Белая Толстой Толстая Сергеева Иванова Ильина Зайцева "
    "Сергеевич Сергеевна Алексеевич Андреевич Иванович Ивановна Хабибуллин Шмидт";
static const char *const english_first =
    "John Jon Joan Jane Jean James Mary Marie Mark Martin Julian Ian Jack Jacob Joseph "
    "Alexander Anna Diana Christina Maria Sophia Victoria "
    "Michael Daniel David Peter Paul George Thomas William Robert Richard Charles "
    "Christopher Matthew Anthony Steven Andrew Kevin Brian Edward Ronald Timothy Jason "
    "Jeffrey Ryan Gary Nicholas Eric Stephen Larry Justin Scott Brandon Frank Benjamin "
    "Gregory Samuel Patrick Dennis Jerry Tyler Aaron Henry Adam Douglas Nathan Zachary "
    "Kyle Walter Harold Carl Arthur Gerald Roger Keith Jeremy Lawrence Terry Sean "
    "Christian Albert Joe Ethan Austin Jesse Willie Billy Bryan Bruce Jordan Ralph Roy Noah "
    "Dylan Eugene Wayne Alan Juan Louis Russell Gabriel Randy Philip Harry Vincent Bobby "
    "Johnny Logan Elizabeth Jennifer Linda Barbara Susan Jessica Sarah Karen Nancy Lisa "
    "Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Dorothy Carol Amanda Melissa "
    "Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Brenda "
    "Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet "
    "Catherine Heather Diane Ruth Julie Olivia Joyce Virginia Kelly Lauren Evelyn Judith "
    "Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Theresa Ann Sara Madison "
    "Frances Kathryn Janice Abigail Alice Judy Grace Denise Amber Doris Marilyn Danielle "
    "Beverly Isabella Natalie Brittany Charlotte Kayla Alexis Lori";
static const char *const english_surnames =
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Taylor Moore Jackson Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez "
    "Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Howard Ramos Kim "
    "Cox Ward Richardson Watson Brooks Chavez Wood Bennett Gray Mendoza Ruiz Hughes Price "
    "Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez";

/* Every pair of distinct names above that shares a key, in the order the
 * test finds them (sorted by key, then by name); "same" when they are
 * spellings of one name in two scripts or two Englishes. */
static const struct {
    const char *a, *b;
    bool same;
} expected_collisions[] = {
    {"Alexander", "Александр", true}, {"Anna", "Анна", true},
    {"Brian", "Bryan", true},         {"Dennis", "Денис", true},
    {"Diana", "Диана", true},         {"Catherine", "Katherine", true},
    {"Christina", "Кристина", true},  {"Лилия", "Лиля", false},
    {"Maria", "Мария", true},         {"Mark", "Марк", true},
    {"Майя", "Мая", true},            {"Peter", "Пётр", true},
    {"Sophia", "София", true},        {"Sophia", "Софья", true},
    {"София", "Софья", false},
    {"Teresa", "Theresa", true},      {"Victoria", "Виктория", true},
    {"Ian", "Ян", false},
};

struct named {
    char name[64];
    char key[128];
};

static int by_key(const void *x, const void *y)
{
    const struct named *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->name, b->name);
}

static size_t add_names(struct named *list, size_t n, const char *names)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", names);
    char *save = NULL;
    for (char *s = strtok_r(buf, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        snprintf(list[n].name, sizeof list[n].name, "%s", s);
        snprintf(list[n].key, sizeof list[n].key, "%s", key(s));
        n++;
    }
    return n;
}

/* The index of the pair (a, b) in expected_collisions, or -1. */
static int expected(const char *a, const char *b)
{
    for (size_t i = 0; i < sizeof expected_collisions / sizeof *expected_collisions; i++)
    {
        const char *x = expected_collisions[i].a, *y = expected_collisions[i].b;
        if ((strcmp(x, a) == 0 && strcmp(y, b) == 0) || (strcmp(x, b) == 0 && strcmp(y, a) == 0))
            return (int)i;
    }
    return -1;
}

static void test_collisions(void)
{
    enum { MAXNAMES = 1000 };
    static struct named list[MAXNAMES];
    size_t n = 0;
    n = add_names(list, n, russian_male);
    n = add_names(list, n, russian_female);
    n = add_names(list, n, russian_surnames);
    n = add_names(list, n, english_first);
    n = add_names(list, n, english_surnames);
    CHECK(n > 500 && n < MAXNAMES);

    /* The Cyrillic names: their transliterations have their key. */
    struct cdp_buf tr = CDP_BUF_INIT, k2 = CDP_BUF_INIT;
    size_t translits = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)list[i].name[0] < 0x80)
            continue;
        static const enum gen_translit_style styles[] = {GEN_TR_LOWER, GEN_TR_POPULAR,
                                                         GEN_TR_PASSPORT};
        for (int s = 0; s < 3; s++) {
            cdp_buf_reset(&tr);
            gen_translit(&tr, list[i].name, styles[s]);
            if (s == 2)
                gen_upper(tr.data, tr.len);
            cdp_buf_reset(&k2);
            cdp_name_key(&k2, tr.data, tr.len);
            check_count++;
            translits++;
            if (strcmp(k2.data, list[i].key) != 0) {
                check_failures++;
                fprintf(stderr, "key(\"%s\") = \"%s\" but key(\"%s\") = \"%s\"\n", list[i].name,
                        list[i].key, tr.data, k2.data);
            }
        }
    }
    cdp_buf_release(&tr);
    cdp_buf_release(&k2);

    qsort(list, n, sizeof *list, by_key);
    bool seen[sizeof expected_collisions / sizeof *expected_collisions] = {false};
    int same = 0, different = 0;
    struct cdp_buf report = CDP_BUF_INIT;
    cdp_buf_adds(&report, "");
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n && strcmp(list[i].key, list[j].key) == 0; j++) {
            /* A name twice in the lists would be a false collision. */
            CHECK(strcmp(list[i].name, list[j].name) != 0);
            int e = expected(list[i].name, list[j].name);
            check_count++;
            if (e < 0) {
                check_failures++;
                fprintf(stderr, "unexpected collision: %s and %s (key \"%s\")\n", list[i].name,
                        list[j].name, list[i].key);
                continue;
            }
            seen[e] = true;
            if (expected_collisions[e].same) {
                same++;
                continue;
            }
            cdp_buf_printf(&report, "%s%s/%s (%s)", different ? ", " : "", list[i].name,
                           list[j].name, list[i].key);
            different++;
        }
    for (size_t e = 0; e < sizeof seen / sizeof *seen; e++) {
        CHECK(seen[e]);
        if (!seen[e])
            fprintf(stderr, "expected collision gone: %s and %s (update the list)\n",
                    expected_collisions[e].a, expected_collisions[e].b);
    }
    printf("test_translit: %zu distinct names, %zu transliterations agree; %d pairs share a key "
           "as spellings of one name, %d pairs of different names do: %s\n",
           n, translits, same, different, report.data);
    cdp_buf_release(&report);
}

/* ---- 4. Soundex ---- */

static void test_soundex(const char *argv0)
{
    FILE *f = open_fixture(argv0, "tests/fixtures/strdist/soundex.tsv");
    char line[256];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        CHECK(tab != NULL);
        if (!tab)
            continue;
        *tab = '\0';
        CHECK_STR(soundex(line), tab + 1);
        rows++;
    }
    fclose(f);
    CHECK(rows >= 40);
    CHECK_STR(soundex("robert"), "R163");
    CHECK_STR(soundex("ROBERT"), "R163");
    CHECK_STR(soundex(""), "");
    CHECK_STR(soundex("123"), "");
    CHECK_STR(soundex("o'hara"), "O600");
    CHECK_STR(soundex("2pac"), "P200");
    CHECK_STR(soundex(fold("Щербаков")), "S612");
    CHECK_STR(soundex(fold("Иванова")), "I151");
}

/* ---- 5. the benchmark ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void benchmark(void)
{
    static const char *const names[] = {"Кузнецова", "Сергей",  "Наталья", "Alexander",
                                        "Yuliya",    "Соловьёв", "Ivanov",  "Хабибуллин"};
    enum { K = sizeof names / sizeof *names, REPS = 20000 };
    size_t len[K];
    for (int i = 0; i < K; i++)
        len[i] = strlen(names[i]);
    double best_fold = 1e30, best_key = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (int r = 0; r < REPS; r++)
            for (int i = 0; i < K; i++) {
                cdp_buf_reset(&out);
                cdp_name_fold(&out, names[i], len[i]);
            }
        double t1 = now();
        for (int r = 0; r < REPS; r++)
            for (int i = 0; i < K; i++) {
                cdp_buf_reset(&out);
                cdp_name_key(&out, names[i], len[i]);
            }
        double t2 = now();
        if ((t1 - t0) < best_fold)
            best_fold = t1 - t0;
        if ((t2 - t1) < best_key)
            best_key = t2 - t1;
    }
    printf("test_translit: benchmark, names of 6-10 letters: fold %.0f ns/call, key %.0f ns/call\n",
           best_fold / (REPS * K) * 1e9, best_key / (REPS * K) * 1e9);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_fold();
    test_groups();
    test_collisions();
    test_soundex(argv[0]);
    benchmark();
    cdp_buf_release(&out);
    return check_report("test_translit");
}
