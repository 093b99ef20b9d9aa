#include "gen/gen_data.h"

#include <stdlib.h>
#include <string.h>

/* Surnames (male form) in roughly descending frequency; the weight of the
 * one at rank r is 100000 / (r + 6), so the top few repeat a lot. Female
 * forms are derived: -ов/-ев/-ёв/-ин/-ын add -а, -ский/-цкий become
 * -ская/-цкая, -ой becomes -ая, the rest (Черных, Шевченко, Ким) do not
 * change. */
static const char *const surname_list[] = {
    "Смирнов",    "Иванов",     "Кузнецов",     "Соколов",     "Попов",      "Лебедев",
    "Козлов",     "Новиков",    "Морозов",      "Петров",      "Волков",     "Соловьёв",
    "Васильев",   "Зайцев",     "Павлов",       "Семёнов",     "Голубев",    "Виноградов",
    "Богданов",   "Воробьёв",   "Фёдоров",      "Михайлов",    "Беляев",     "Тарасов",
    "Белов",      "Комаров",    "Орлов",        "Киселёв",     "Макаров",    "Андреев",
    "Ковалёв",    "Ильин",      "Гусев",        "Титов",       "Кузьмин",    "Кудрявцев",
    "Баранов",    "Куликов",    "Алексеев",     "Степанов",    "Яковлев",    "Сорокин",
    "Сергеев",    "Романов",    "Захаров",      "Борисов",     "Королёв",    "Герасимов",
    "Пономарёв",  "Григорьев",  "Лазарев",      "Медведев",    "Ершов",      "Никитин",
    "Соболев",    "Рябов",      "Поляков",      "Цветков",     "Данилов",    "Жуков",
    "Фролов",     "Журавлёв",   "Николаев",     "Крылов",      "Максимов",   "Сидоров",
    "Осипов",     "Белоусов",   "Федотов",      "Дорофеев",    "Егоров",     "Матвеев",
    "Бобров",     "Дмитриев",   "Калинин",      "Анисимов",    "Петухов",    "Антонов",
    "Тимофеев",   "Никифоров",  "Веселов",      "Филиппов",    "Марков",     "Большаков",
    "Суханов",    "Миронов",    "Ширяев",       "Александров", "Коновалов",  "Шестаков",
    "Казаков",    "Ефимов",     "Денисов",      "Громов",      "Фомин",      "Давыдов",
    "Мельников",  "Щербаков",   "Блинов",       "Колесников",  "Карпов",     "Афанасьев",
    "Власов",     "Маслов",     "Исаков",       "Тихонов",     "Аксёнов",    "Гаврилов",
    "Родионов",   "Котов",      "Горбунов",     "Кудряшов",    "Быков",      "Зуев",
    "Третьяков",  "Савельев",   "Панов",        "Рыбаков",     "Суворов",    "Абрамов",
    "Воронов",    "Мухин",      "Архипов",      "Трофимов",    "Мартынов",   "Емельянов",
    "Горшков",    "Чернов",     "Овчинников",   "Селезнёв",    "Панфилов",   "Копылов",
    "Михеев",     "Галкин",     "Назаров",      "Лобанов",     "Лукин",      "Беляков",
    "Потапов",    "Некрасов",   "Хохлов",       "Жданов",      "Наумов",     "Шилов",
    "Воронцов",   "Ермаков",    "Дроздов",      "Игнатьев",    "Савин",      "Логинов",
    "Сафонов",    "Капустин",   "Кириллов",     "Моисеев",     "Елисеев",    "Кошелев",
    "Костин",     "Горбачёв",   "Орехов",       "Ефремов",     "Исаев",      "Евдокимов",
    "Калашников", "Кабанов",    "Носков",       "Юдин",        "Кулагин",    "Лапин",
    "Прохоров",   "Нестеров",   "Харитонов",    "Агафонов",    "Муравьёв",   "Ларионов",
    "Федосеев",   "Зимин",      "Пахомов",      "Шубин",       "Игнатов",    "Филатов",
    "Крюков",     "Рогов",      "Кулаков",      "Терентьев",   "Молчанов",   "Владимиров",
    "Артемьев",   "Гурьев",     "Зиновьев",     "Гришин",      "Кононов",    "Дементьев",
    "Ситников",   "Симонов",    "Мишин",        "Фадеев",      "Комиссаров", "Мамонтов",
    "Носов",      "Гуляев",     "Шаров",        "Устинов",     "Вишняков",   "Евсеев",
    "Лаврентьев", "Брагин",     "Константинов", "Корнилов",    "Авдеев",     "Зыков",
    "Бирюков",    "Шарапов",    "Никонов",      "Щукин",       "Дьячков",    "Одинцов",
    "Сазонов",    "Якушев",     "Красильников", "Гордеев",     "Самойлов",   "Князев",
    "Беспалов",   "Уваров",     "Шашков",       "Бобылёв",     "Доронин",    "Белозёров",
    "Рожков",     "Самсонов",   "Мясников",     "Лихачёв",     "Буров",      "Сысоев",
    "Фомичёв",    "Русаков",    "Стрелков",     "Гущин",       "Тетерин",    "Колобов",
    "Субботин",   "Фокин",      "Блохин",       "Селиверстов", "Пестов",     "Кондратьев",
    "Силин",      "Меркушев",   "Лыткин",       "Туров",       "Вишневский", "Покровский",
    "Островский", "Ковальский", "Заболоцкий",   "Высоцкий",    "Толстой",    "Донской",
    "Черных",     "Белых",      "Седых",        "Шевченко",    "Бондаренко", "Коваленко",
    "Ткаченко",   "Кравченко",  "Ким",          "Цой",         "Пак",        "Хабибуллин",
    "Гарипов",    "Сафин",      "Валиев",       "Галиев",      "Ахмедов",    "Алиев",
    "Мамедов",    "Юсупов",     "Рахимов",      "Абдуллаев",
};

/* A first name, its weight, its form as a father's name (male names), and
 * the spellings people use besides the plain transliteration. */
struct first_src {
    const char *name;
    unsigned weight;
    const char *patr; /* male: the masculine patronymic; NULL for female names */
    const char *dimin;
    const char *western;
};

static const struct first_src male_list[] = {
    { "Александр", 100, "Александрович", "sasha", "Alexander" },
    { "Сергей", 90, "Сергеевич", NULL, NULL },
    { "Дмитрий", 70, "Дмитриевич", "dima", "Dmitry" },
    { "Андрей", 65, "Андреевич", NULL, "Andrei" },
    { "Алексей", 65, "Алексеевич", NULL, "Alexey" },
    { "Владимир", 45, "Владимирович", "vova", NULL },
    { "Евгений", 45, "Евгеньевич", "zhenya", "Evgeny" },
    { "Максим", 35, "Максимович", "max", "Maxim" },
    { "Михаил", 35, "Михайлович", "misha", "Michael" },
    { "Игорь", 30, "Игоревич", NULL, "Igor" },
    { "Иван", 30, "Иванович", "vanya", NULL },
    { "Николай", 30, "Николаевич", "kolya", "Nikolai" },
    { "Денис", 25, "Денисович", NULL, NULL },
    { "Роман", 25, "Романович", "roma", NULL },
    { "Павел", 25, "Павлович", "pasha", "Paul" },
    { "Олег", 22, "Олегович", NULL, NULL },
    { "Виктор", 22, "Викторович", NULL, "Victor" },
    { "Артём", 22, "Артёмович", "tema", "Artyom" },
    { "Антон", 20, "Антонович", NULL, NULL },
    { "Юрий", 20, "Юрьевич", "yura", "Yury" },
    { "Илья", 15, "Ильич", NULL, "Ilia" },
    { "Константин", 14, "Константинович", "kostya", NULL },
    { "Кирилл", 14, "Кириллович", NULL, "Kirill" },
    { "Никита", 14, "Никитич", NULL, NULL },
    { "Владислав", 12, "Владиславович", "vlad", NULL },
    { "Вадим", 12, "Вадимович", NULL, NULL },
    { "Василий", 10, "Васильевич", "vasya", "Vasily" },
    { "Анатолий", 10, "Анатольевич", "tolya", NULL },
    { "Валерий", 10, "Валерьевич", NULL, "Valery" },
    { "Руслан", 10, "Русланович", NULL, NULL },
    { "Виталий", 10, "Витальевич", NULL, "Vitaly" },
    { "Вячеслав", 10, "Вячеславович", "slava", NULL },
    { "Геннадий", 8, "Геннадьевич", "gena", NULL },
    { "Станислав", 8, "Станиславович", "stas", NULL },
    { "Даниил", 8, "Даниилович", "danya", "Daniel" },
    { "Егор", 8, "Егорович", NULL, "Yegor" },
    { "Борис", 6, "Борисович", NULL, NULL },
    { "Леонид", 6, "Леонидович", "lenya", NULL },
    { "Пётр", 6, "Петрович", "petya", "Peter" },
    { "Тимур", 6, "Тимурович", NULL, NULL },
    { "Григорий", 5, "Григорьевич", "grisha", NULL },
    { "Ярослав", 5, "Ярославович", NULL, "Iaroslav" },
    { "Георгий", 5, "Георгиевич", "zhora", "George" },
    { "Фёдор", 4, "Фёдорович", "fedya", "Fyodor" },
    { "Матвей", 4, "Матвеевич", NULL, NULL },
    { "Валентин", 4, "Валентинович", NULL, NULL },
    { "Эдуард", 4, "Эдуардович", "edik", NULL },
    { "Степан", 3, "Степанович", NULL, NULL },
    { "Глеб", 3, "Глебович", NULL, NULL },
    { "Семён", 3, "Семёнович", NULL, "Semyon" },
    { "Лев", 3, "Львович", NULL, "Leo" },
    { "Тимофей", 3, "Тимофеевич", NULL, NULL },
    { "Ринат", 3, "Ринатович", NULL, NULL },
    { "Марат", 3, "Маратович", NULL, NULL },
    { "Аркадий", 2, "Аркадьевич", NULL, NULL },
};

static const struct first_src female_list[] = {
    { "Елена", 70, NULL, "lena", "Helen" },
    { "Ольга", 65, NULL, "olya", "Olga" },
    { "Наталья", 60, NULL, "natasha", "Natalia" },
    { "Татьяна", 60, NULL, "tanya", "Tatiana" },
    { "Ирина", 55, NULL, "ira", "Irina" },
    { "Светлана", 45, NULL, "sveta", NULL },
    { "Анна", 45, NULL, "anya", "Anna" },
    { "Екатерина", 45, NULL, "katya", "Ekaterina" },
    { "Мария", 40, NULL, "masha", "Maria" },
    { "Юлия", 40, NULL, "yulya", "Julia" },
    { "Анастасия", 40, NULL, "nastya", "Anastasia" },
    { "Марина", 30, NULL, NULL, NULL },
    { "Людмила", 25, NULL, "luda", NULL },
    { "Галина", 20, NULL, "galya", NULL },
    { "Надежда", 20, NULL, "nadya", NULL },
    { "Дарья", 20, NULL, "dasha", "Daria" },
    { "Ксения", 18, NULL, "ksusha", "Ksenia" },
    { "Виктория", 18, NULL, "vika", "Victoria" },
    { "Оксана", 18, NULL, NULL, NULL },
    { "Валентина", 15, NULL, "valya", NULL },
    { "Любовь", 15, NULL, "lyuba", NULL },
    { "Алина", 15, NULL, NULL, NULL },
    { "Кристина", 15, NULL, NULL, "Christina" },
    { "Лариса", 15, NULL, NULL, NULL },
    { "Нина", 12, NULL, NULL, NULL },
    { "Евгения", 12, NULL, "zhenya", "Evgenia" },
    { "Александра", 12, NULL, "sasha", "Alexandra" },
    { "Вера", 10, NULL, NULL, NULL },
    { "Полина", 10, NULL, "polya", NULL },
    { "Алёна", 10, NULL, NULL, "Alena" },
    { "Маргарита", 8, NULL, "rita", "Margarita" },
    { "Тамара", 8, NULL, NULL, NULL },
    { "Софья", 6, NULL, "sonya", "Sofia" },
    { "Елизавета", 6, NULL, "liza", "Elizaveta" },
    { "Диана", 6, NULL, NULL, NULL },
    { "Валерия", 6, NULL, "lera", "Valeria" },
    { "Инна", 6, NULL, NULL, NULL },
    { "Яна", 6, NULL, NULL, "Iana" },
    { "Олеся", 6, NULL, NULL, NULL },
    { "Вероника", 6, NULL, "nika", NULL },
    { "Лидия", 5, NULL, "lida", NULL },
    { "Жанна", 5, NULL, NULL, NULL },
    { "Алла", 5, NULL, NULL, NULL },
    { "Раиса", 4, NULL, NULL, NULL },
    { "Арина", 4, NULL, NULL, NULL },
    { "Зоя", 3, NULL, NULL, NULL },
    { "Варвара", 3, NULL, "varya", NULL },
    { "Ангелина", 3, NULL, "gelya", NULL },
    { "Эльвира", 3, NULL, NULL, NULL },
    { "Регина", 3, NULL, NULL, NULL },
    { "Милана", 2, NULL, NULL, NULL },
};

/* Cities by population (thousands), with a landline area code. */
static const struct gen_city city_list[] = {
    { "Москва", "Moscow", "495", 13100 },
    { "Санкт-Петербург", "Saint Petersburg", "812", 5600 },
    { "Новосибирск", "Novosibirsk", "383", 1630 },
    { "Екатеринбург", "Yekaterinburg", "343", 1540 },
    { "Казань", "Kazan", "843", 1310 },
    { "Нижний Новгород", "Nizhny Novgorod", "831", 1230 },
    { "Красноярск", NULL, "391", 1190 },
    { "Челябинск", NULL, "351", 1180 },
    { "Самара", "Samara", "846", 1160 },
    { "Уфа", "Ufa", "347", 1160 },
    { "Ростов-на-Дону", "Rostov-on-Don", "863", 1140 },
    { "Омск", NULL, "3812", 1120 },
    { "Краснодар", "Krasnodar", "861", 1100 },
    { "Воронеж", NULL, "473", 1050 },
    { "Пермь", "Perm", "342", 1030 },
    { "Волгоград", NULL, "8442", 1020 },
    { "Саратов", NULL, "8452", 900 },
    { "Тюмень", NULL, "3452", 850 },
    { "Тольятти", NULL, "8482", 680 },
    { "Барнаул", NULL, "3852", 630 },
    { "Ижевск", NULL, "3412", 630 },
    { "Махачкала", NULL, "8722", 620 },
    { "Хабаровск", NULL, "4212", 610 },
    { "Ульяновск", NULL, "8422", 610 },
    { "Иркутск", NULL, "3952", 610 },
    { "Владивосток", NULL, "423", 600 },
    { "Ярославль", NULL, "4852", 570 },
    { "Томск", NULL, "3822", 560 },
    { "Ставрополь", NULL, "8652", 550 },
    { "Кемерово", NULL, "3842", 550 },
    { "Набережные Челны", NULL, "8552", 550 },
    { "Оренбург", NULL, "3532", 550 },
    { "Новокузнецк", NULL, "3843", 540 },
    { "Балашиха", NULL, "495", 520 },
    { "Рязань", NULL, "4912", 530 },
    { "Чебоксары", NULL, "8352", 500 },
    { "Калининград", "Kaliningrad", "4012", 490 },
    { "Пенза", NULL, "8412", 500 },
    { "Липецк", NULL, "4742", 500 },
    { "Киров", NULL, "8332", 470 },
    { "Астрахань", NULL, "8512", 470 },
    { "Тула", NULL, "4872", 470 },
    { "Сочи", "Sochi", "862", 450 },
    { "Курск", NULL, "4712", 440 },
    { "Улан-Удэ", NULL, "3012", 430 },
    { "Тверь", NULL, "4822", 420 },
    { "Магнитогорск", NULL, "3519", 410 },
    { "Сургут", NULL, "3462", 400 },
    { "Брянск", NULL, "4832", 380 },
    { "Иваново", NULL, "4932", 360 },
    { "Владимир", NULL, "4922", 350 },
    { "Белгород", NULL, "4722", 340 },
    { "Калуга", NULL, "4842", 330 },
    { "Подольск", NULL, "4967", 310 },
    { "Смоленск", NULL, "4812", 310 },
    { "Вологда", NULL, "8172", 310 },
    { "Архангельск", NULL, "8182", 300 },
    { "Петрозаводск", NULL, "8142", 280 },
    { "Мурманск", NULL, "8152", 270 },
    { "Кострома", NULL, "4942", 270 },
    { "Химки", "Khimki", "495", 260 },
    { "Мытищи", NULL, "495", 240 },
    { "Королёв", NULL, "495", 230 },
    { "Великий Новгород", NULL, "8162", 220 },
    { "Люберцы", NULL, "495", 210 },
    { "Псков", NULL, "8112", 200 },
    { "Красногорск", NULL, "495", 180 },
    { "Одинцово", NULL, "495", 140 },
};

/* The retailer's stores (two-digit store codes are the index + 1); stores
 * of one city are adjacent. */
static const struct gen_store store_list[] = {
    { "Москва Авиапарк", 0, 0 },
    { "Москва Химки", 0, 0 },
    { "Москва Тёплый Стан", 0, 1 },
    { "Москва Белая Дача", 0, 0 },
    { "Москва Коломенская", 0, 1 },
    { "Санкт-Петербург Лиговский", 1, 0 },
    { "Санкт-Петербург Парнас", 1, 1 },
    { "Санкт-Петербург Дыбенко", 1, 0 },
    { "Новосибирск Мега", 2, 0 },
    { "Екатеринбург Мега", 3, 1 },
    { "Казань Мега", 4, 0 },
    { "Нижний Новгород Фантастика", 5, 0 },
    { "Самара Мега", 8, 1 },
    { "Уфа Мега", 9, 0 },
    { "Ростов-на-Дону Мега", 10, 0 },
    { "Краснодар OZ Молл", 12, 1 },
    { "Пермь Планета", 14, 0 },
    { "Воронеж Сити-парк Град", 13, 0 },
};

static const char *const category_list[GEN_NCAT] = {
    "", "Кухня", "Гостиная", "Спальня", "Детская", "Прихожая", "Текстиль", "Кабинет", "Ванная",
};

/* How likely a customer is to be furnishing each room (0: textiles are
 * not a room). */
static const unsigned room_weight[GEN_NCAT] = { 0, 25, 22, 22, 12, 8, 0, 6, 5 };

static const char *const domain_list[] = {
    "mail.ru", "yandex.ru",  "gmail.com", "bk.ru",      "inbox.ru",
    "list.ru", "rambler.ru", "ya.ru",     "icloud.com",
};
static const unsigned domain_weight[] = { 36, 22, 18, 5, 4, 4, 5, 4, 2 };

/* Kinds of product: a name with '@' where the model goes, a price range
 * in rubles and how many a customer takes at most. */
struct kind_src {
    unsigned cat;
    const char *name;
    unsigned lo, hi;
    unsigned qty_max;
};

static const struct kind_src kind_list[] = {
    { GEN_CAT_KITCHEN, "Кухонный гарнитур «@» 2,4 м", 59990, 129990, 1 },
    { GEN_CAT_KITCHEN, "Стол обеденный «@» раздвижной", 14990, 34990, 1 },
    { GEN_CAT_KITCHEN, "Стул «@» дуб", 3490, 6990, 6 },
    { GEN_CAT_KITCHEN, "Мойка кухонная гранитная «@» 78 см", 7990, 15990, 1 },
    { GEN_CAT_KITCHEN, "Шкаф навесной «@» 80 см", 5990, 11990, 2 },
    { GEN_CAT_KITCHEN, "Табурет барный «@»", 3990, 7990, 4 },
    { GEN_CAT_KITCHEN, "Уголок кухонный «@»", 19990, 39990, 1 },
    { GEN_CAT_LIVING, "Диван-кровать угловой «@»", 39990, 99990, 1 },
    { GEN_CAT_LIVING, "Кресло «@»", 12990, 29990, 2 },
    { GEN_CAT_LIVING, "Журнальный стол «@»", 4990, 12990, 1 },
    { GEN_CAT_LIVING, "Стенка «@» 3,2 м", 29990, 59990, 1 },
    { GEN_CAT_LIVING, "Тумба под ТВ «@»", 8990, 19990, 1 },
    { GEN_CAT_LIVING, "Стеллаж «@» 5 полок", 6990, 14990, 2 },
    { GEN_CAT_LIVING, "Пуф «@»", 2990, 5990, 2 },
    { GEN_CAT_BEDROOM, "Кровать «@» 160×200", 24990, 69990, 1 },
    { GEN_CAT_BEDROOM, "Матрас ортопедический «@» 160×200", 14990, 39990, 1 },
    { GEN_CAT_BEDROOM, "Шкаф-купе «@» 3-дверный", 34990, 79990, 1 },
    { GEN_CAT_BEDROOM, "Комод «@»", 9990, 24990, 1 },
    { GEN_CAT_BEDROOM, "Тумба прикроватная «@»", 3990, 8990, 2 },
    { GEN_CAT_BEDROOM, "Туалетный столик «@»", 8990, 17990, 1 },
    { GEN_CAT_KIDS, "Кровать-чердак «@»", 24990, 44990, 1 },
    { GEN_CAT_KIDS, "Стол письменный «@»", 7990, 15990, 1 },
    { GEN_CAT_KIDS, "Кресло компьютерное детское «@»", 5990, 12990, 1 },
    { GEN_CAT_KIDS, "Стеллаж «@» для игрушек", 4990, 9990, 2 },
    { GEN_CAT_KIDS, "Шкаф детский «@»", 12990, 24990, 1 },
    { GEN_CAT_HALL, "Прихожая «@» с зеркалом", 12990, 29990, 1 },
    { GEN_CAT_HALL, "Обувница «@»", 2990, 7990, 1 },
    { GEN_CAT_HALL, "Вешалка напольная «@»", 1490, 3990, 1 },
    { GEN_CAT_HALL, "Зеркало настенное «@»", 2990, 8990, 1 },
    { GEN_CAT_HALL, "Банкетка «@»", 3490, 6990, 1 },
    { GEN_CAT_TEXTILE, "Комплект постельного белья «@» евро", 3990, 7990, 3 },
    { GEN_CAT_TEXTILE, "Плед «@» 150×200", 1990, 4990, 2 },
    { GEN_CAT_TEXTILE, "Подушка декоративная «@» 45×45", 690, 1490, 4 },
    { GEN_CAT_TEXTILE, "Шторы блэкаут «@» 2×270", 3490, 6990, 2 },
    { GEN_CAT_TEXTILE, "Полотенце махровое «@» 70×140", 490, 990, 6 },
    { GEN_CAT_TEXTILE, "Ковёр «@» 160×230", 5990, 19990, 1 },
    { GEN_CAT_STUDY, "Стол компьютерный «@»", 7990, 19990, 1 },
    { GEN_CAT_STUDY, "Кресло офисное «@»", 6990, 24990, 1 },
    { GEN_CAT_STUDY, "Шкаф книжный «@»", 9990, 24990, 2 },
    { GEN_CAT_STUDY, "Тумба офисная «@»", 3990, 7990, 1 },
    { GEN_CAT_BATH, "Тумба с раковиной «@» 60 см", 9990, 24990, 1 },
    { GEN_CAT_BATH, "Шкаф-пенал «@»", 5990, 12990, 1 },
    { GEN_CAT_BATH, "Зеркало с подсветкой «@»", 4990, 11990, 1 },
    { GEN_CAT_BATH, "Полка для ванной «@»", 990, 2990, 2 },
};

/* Products whose names need quoting in a CSV file: a semicolon, quotes. */
static const struct kind_src odd_products[] = {
    { GEN_CAT_KITCHEN, "Стул \"Венский\" бук", 4290, 4290, 6 },
    { GEN_CAT_KITCHEN, "Набор: стол; 4 стула «Нордик»", 39990, 39990, 1 },
    { GEN_CAT_LIVING, "Диван \"Честер\" 3-местный, велюр", 74990, 74990, 1 },
};

static const char *const model_list[] = {
    "Прованс",  "Нордик", "Лофт",   "Милана",  "Вега",  "Осло",    "Скандинавия", "Модерн",
    "Классика", "Арт",    "Лайн",   "Уют",     "Лаура", "Сон",     "Астра",       "Нова",
    "Юнга",     "Кубики", "Рост",   "Венеция", "Токио", "Бергамо", "Олимп",       "Тоскана",
    "Верона",   "Гранд",  "Соната", "Адель",   "Лён",   "Бриз",    "Мальта",      "Сиена",
    "Норд",     "Фьорд",  "Хюгге",  "Оскар",   "Эко",   "Марсель", "Ницца",       "Орион",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Cyrillic letters а..я (index 0..31) and ё (32) from a UTF-8 pair;
 * -1 if not one. Upper case sets *upper. */
static int cyr_index(const unsigned char *p, int *upper)
{
    unsigned c = ((unsigned)p[0] << 8) | p[1];
    *upper = 0;
    if (c >= 0xD090 && c <= 0xD0AF) { /* А..Я */
        *upper = 1;
        return (int)(c - 0xD090);
    }
    if (c >= 0xD0B0 && c <= 0xD0BF) /* а..п */
        return (int)(c - 0xD0B0);
    if (c >= 0xD180 && c <= 0xD18F) /* р..я */
        return (int)(c - 0xD180 + 16);
    if (c == 0xD081) {
        *upper = 1;
        return 32;
    }
    if (c == 0xD191)
        return 32;
    return -1;
}

/* Transliteration of а..я, ё: popular and passport (ICAO 9303). */
static const char *const tr_popular[33] = {
    "a", "b", "v", "g", "d",  "e",  "zh", "z",  "i",    "y", "k", "l", "m", "n",  "o",  "p", "r",
    "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "",  "y", "",  "e", "yu", "ya", "e",
};
static const char *const tr_passport[33] = {
    "a", "b", "v", "g", "d",  "e",  "zh", "z",  "i",    "i",  "k", "l", "m", "n",  "o",  "p", "r",
    "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "",  "e", "iu", "ia", "e",
};

void gen_translit(struct cdp_buf *out, const char *s, enum gen_translit_style style)
{
    const char *const *tab = style == GEN_TR_PASSPORT ? tr_passport : tr_popular;
    const unsigned char *p = (const unsigned char *)s;
    int first = 1;
    while (*p) {
        int upper;
        int k = p[1] ? cyr_index(p, &upper) : -1;
        if (k < 0) {
            cdp_buf_addc(out, (char)*p);
            first = *p == ' ' || *p == '-';
            p++;
            continue;
        }
        const char *t = tab[k];
        if (*t) {
            size_t at = out->len;
            cdp_buf_adds(out, t);
            if (first && style != GEN_TR_LOWER && out->data[at] >= 'a' && out->data[at] <= 'z')
                out->data[at] = (char)(out->data[at] - 'a' + 'A');
            first = 0;
        }
        p += 2;
    }
}

void gen_upper(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 'a' && p[i] <= 'z') {
            p[i] = (unsigned char)(p[i] - 32);
        } else if (p[i] == 0xD0 && i + 1 < len && p[i + 1] >= 0xB0 && p[i + 1] <= 0xBF) {
            p[i + 1] = (unsigned char)(p[i + 1] - 0x20); /* а..п -> А..П */
            i++;
        } else if (p[i] == 0xD1 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x8F) {
            p[i] = 0xD0; /* р..я -> Р..Я */
            p[i + 1] = (unsigned char)(p[i + 1] + 0x20);
            i++;
        } else if (p[i] == 0xD1 && i + 1 < len && p[i + 1] == 0x91) {
            p[i] = 0xD0; /* ё -> Ё */
            p[i + 1] = 0x81;
            i++;
        } else if (p[i] >= 0x80 && i + 1 < len) {
            i++;
        }
    }
}

void gen_lower(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 'A' && p[i] <= 'Z') {
            p[i] = (unsigned char)(p[i] + 32);
        } else if (p[i] == 0xD0 && i + 1 < len && p[i + 1] >= 0x90 && p[i + 1] <= 0x9F) {
            p[i + 1] = (unsigned char)(p[i + 1] + 0x20); /* А..П -> а..п */
            i++;
        } else if (p[i] == 0xD0 && i + 1 < len && p[i + 1] >= 0xA0 && p[i + 1] <= 0xAF) {
            p[i] = 0xD1; /* Р..Я -> р..я */
            p[i + 1] = (unsigned char)(p[i + 1] - 0x20);
            i++;
        } else if (p[i] == 0xD0 && i + 1 < len && p[i + 1] == 0x81) {
            p[i] = 0xD1; /* Ё -> ё */
            p[i + 1] = 0x91;
            i++;
        } else if (p[i] >= 0x80 && i + 1 < len) {
            i++;
        }
    }
}

void gen_to_cp1251(struct cdp_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    cdp_buf_grow(out, len);
    unsigned char *o = (unsigned char *)out->data + out->len;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            *o++ = (unsigned char)c;
            i++;
            continue;
        }
        unsigned cp = 0;
        size_t n = 1;
        if ((c & 0xE0) == 0xC0 && i + 1 < len) {
            cp = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F);
            n = 2;
        } else if ((c & 0xF0) == 0xE0 && i + 2 < len) {
            cp = ((c & 0x0F) << 12) | ((unsigned)(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
            n = 3;
        }
        unsigned char b = '?';
        if (cp >= 0x410 && cp <= 0x44F)
            b = (unsigned char)(cp - 0x410 + 0xC0);
        else if (cp == 0x401)
            b = 0xA8;
        else if (cp == 0x451)
            b = 0xB8;
        else if (cp == 0xAB)
            b = 0xAB;
        else if (cp == 0xBB)
            b = 0xBB;
        else if (cp == 0xA0)
            b = 0xA0;
        else if (cp == 0x2116)
            b = 0xB9;
        else if (cp == 0x2013)
            b = 0x96;
        *o++ = b;
        i += n;
    }
    out->len = (size_t)((char *)o - out->data);
    out->data[out->len] = '\0';
}

static size_t endswith(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0 ? m : 0;
}

static char *concat(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    char *s = cdp_xmalloc(alen + blen + 1);
    memcpy(s, a, alen);
    memcpy(s + alen, b, blen + 1);
    return s;
}

/* The female form of a surname (allocated). */
static char *female_surname(const char *m)
{
    size_t n = strlen(m), k;
    if ((k = endswith(m, "ский")) || (k = endswith(m, "цкий")))
        return concat(m, n - strlen("ий"), "ая");
    if ((k = endswith(m, "ой")))
        return concat(m, n - k, "ая");
    if (endswith(m, "ов") || endswith(m, "ев") || endswith(m, "ёв") || endswith(m, "ин") ||
        endswith(m, "ын"))
        return concat(m, n, "а");
    return cdp_xstrdup(m);
}

/* The female patronymic of a male one: Сергеевич -> Сергеевна. */
static char *female_patronymic(const char *m)
{
    size_t n = strlen(m);
    if (strcmp(m, "Ильич") == 0)
        return cdp_xstrdup("Ильинична");
    if (strcmp(m, "Никитич") == 0)
        return cdp_xstrdup("Никитична");
    if (endswith(m, "ич"))
        return concat(m, n - strlen("ич"), "на");
    return cdp_xstrdup(m);
}

static char *translit_dup(const char *s, enum gen_translit_style style)
{
    struct cdp_buf b = CDP_BUF_INIT;
    gen_translit(&b, s, style);
    return cdp_buf_detach(&b, NULL);
}

static void weights_build(struct gen_weights *w, size_t n, unsigned (*weight)(const void *, size_t),
                          const void *ctx)
{
    w->cum = cdp_xcalloc(n ? n : 1, sizeof *w->cum);
    w->n = n;
    uint32_t t = 0;
    for (size_t i = 0; i < n; i++) {
        t += weight(ctx, i);
        w->cum[i] = t;
    }
    w->total = t;
}

size_t gen_weights_pick(const struct gen_weights *w, uint32_t r)
{
    size_t lo = 0, hi = w->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static unsigned w_surname(const void *ctx, size_t i)
{
    (void)ctx;
    return (unsigned)(100000 / (i + 6));
}
static unsigned w_first(const void *ctx, size_t i)
{
    return ((const struct first_src *)ctx)[i].weight;
}
static unsigned w_city(const void *ctx, size_t i)
{
    (void)ctx;
    return city_list[i].weight;
}
static unsigned w_room(const void *ctx, size_t i)
{
    (void)ctx;
    return room_weight[i];
}
static unsigned w_domain(const void *ctx, size_t i)
{
    (void)ctx;
    return domain_weight[i];
}
static unsigned w_store(const void *ctx, size_t i)
{
    (void)ctx;
    /* A store sells in proportion to its city, shared among the city's stores. */
    unsigned c = store_list[i].city, n = 0;
    for (size_t j = 0; j < COUNT(store_list); j++)
        n += store_list[j].city == c;
    return city_list[c].weight / n;
}

static char *product_name(const char *tmpl, const char *model)
{
    struct cdp_buf b = CDP_BUF_INIT;
    for (const char *p = tmpl; *p; p++) {
        if (*p == '@')
            cdp_buf_adds(&b, model);
        else
            cdp_buf_addc(&b, *p);
    }
    return cdp_buf_detach(&b, NULL);
}

/* Rounds a price to end in 990 (or 90 under a thousand), as shops do. */
static unsigned shop_price(unsigned p)
{
    if (p < 1000)
        return p / 100 * 100 + 90;
    return p / 1000 * 1000 + 990;
}

static void build_catalogue(struct gen_vocab *v)
{
    size_t cap = COUNT(kind_list) * 5 + COUNT(odd_products);
    v->products = cdp_xcalloc(cap, sizeof *v->products);
    size_t n = 0;
    for (unsigned cat = 1; cat < GEN_NCAT; cat++) {
        v->cat_first[cat] = n;
        unsigned kind_no = 0;
        for (size_t k = 0; k < COUNT(kind_list); k++) {
            const struct kind_src *ks = &kind_list[k];
            if (ks->cat != cat)
                continue;
            kind_no++;
            unsigned nmodels = 3 + (unsigned)(k % 3); /* 3 to 5 models of each kind */
            for (unsigned m = 0; m < nmodels; m++) {
                struct gen_product *p = &v->products[n++];
                const char *model = model_list[(k * 7 + m * 11) % COUNT(model_list)];
                p->sku = cat * 100000 + kind_no * 100 + m + 1;
                p->name = product_name(ks->name, model);
                p->cat = cat;
                p->price =
                    shop_price(ks->lo + (ks->hi - ks->lo) * m / (nmodels > 1 ? nmodels - 1 : 1));
                p->qty_max = ks->qty_max;
            }
        }
        unsigned odd_no = 0;
        for (size_t k = 0; k < COUNT(odd_products); k++) {
            const struct kind_src *ks = &odd_products[k];
            if (ks->cat != cat)
                continue;
            struct gen_product *p = &v->products[n++];
            p->sku = cat * 100000 + 90000 + ++odd_no;
            p->name = cdp_xstrdup(ks->name);
            p->cat = cat;
            p->price = ks->lo;
            p->qty_max = ks->qty_max;
        }
    }
    v->cat_first[GEN_NCAT] = n;
    v->cat_first[0] = 0;
    v->nproducts = n;
}

struct gen_vocab *gen_vocab_new(void)
{
    struct gen_vocab *v = cdp_xcalloc(1, sizeof *v);
    v->nsurnames = COUNT(surname_list);
    v->surnames = cdp_xcalloc(v->nsurnames, sizeof *v->surnames);
    for (size_t i = 0; i < v->nsurnames; i++) {
        struct gen_surname *s = &v->surnames[i];
        s->form[GEN_SEX_M] = surname_list[i];
        s->form[GEN_SEX_F] = female_surname(surname_list[i]);
        s->lat[GEN_SEX_M] = translit_dup(s->form[GEN_SEX_M], GEN_TR_LOWER);
        s->lat[GEN_SEX_F] = translit_dup(s->form[GEN_SEX_F], GEN_TR_LOWER);
    }
    const struct first_src *src[2] = { male_list, female_list };
    size_t nsrc[2] = { COUNT(male_list), COUNT(female_list) };
    for (int sex = 0; sex < 2; sex++) {
        v->nfirsts[sex] = nsrc[sex];
        v->firsts[sex] = cdp_xcalloc(nsrc[sex], sizeof *v->firsts[sex]);
        for (size_t i = 0; i < nsrc[sex]; i++) {
            struct gen_first *f = &v->firsts[sex][i];
            f->name = src[sex][i].name;
            f->lat = translit_dup(f->name, GEN_TR_LOWER);
            f->dimin = src[sex][i].dimin;
            f->western = src[sex][i].western;
            if (src[sex][i].patr) {
                f->patr[GEN_SEX_M] = src[sex][i].patr;
                f->patr[GEN_SEX_F] = female_patronymic(src[sex][i].patr);
            }
        }
        weights_build(&v->w_first[sex], nsrc[sex], w_first, src[sex]);
    }
    weights_build(&v->w_father, COUNT(male_list), w_first, male_list);
    weights_build(&v->w_surname, v->nsurnames, w_surname, NULL);
    v->cities = city_list;
    v->ncities = COUNT(city_list);
    weights_build(&v->w_city, v->ncities, w_city, NULL);
    v->stores = store_list;
    v->nstores = COUNT(store_list);
    weights_build(&v->w_store, v->nstores, w_store, NULL);
    v->city_store = cdp_xcalloc(v->ncities, sizeof *v->city_store);
    v->city_nstores = cdp_xcalloc(v->ncities, sizeof *v->city_nstores);
    for (size_t c = 0; c < v->ncities; c++)
        v->city_store[c] = -1;
    for (size_t s = 0; s < v->nstores; s++) {
        unsigned c = store_list[s].city;
        if (v->city_store[c] < 0)
            v->city_store[c] = (int)s;
        v->city_nstores[c]++;
    }
    v->categories = category_list;
    weights_build(&v->w_room, GEN_NCAT, w_room, NULL);
    v->domains = domain_list;
    v->ndomains = COUNT(domain_list);
    weights_build(&v->w_domain, v->ndomains, w_domain, NULL);
    build_catalogue(v);
    return v;
}

void gen_vocab_free(struct gen_vocab *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nsurnames; i++) {
        free((char *)v->surnames[i].form[GEN_SEX_F]);
        free(v->surnames[i].lat[0]);
        free(v->surnames[i].lat[1]);
    }
    free(v->surnames);
    for (int sex = 0; sex < 2; sex++) {
        for (size_t i = 0; i < v->nfirsts[sex]; i++) {
            free(v->firsts[sex][i].lat);
            free((char *)v->firsts[sex][i].patr[GEN_SEX_F]);
        }
        free(v->firsts[sex]);
        free(v->w_first[sex].cum);
    }
    free(v->w_father.cum);
    free(v->w_surname.cum);
    free(v->w_city.cum);
    free(v->w_store.cum);
    free(v->w_room.cum);
    free(v->w_domain.cum);
    free(v->city_store);
    free(v->city_nstores);
    for (size_t i = 0; i < v->nproducts; i++)
        free(v->products[i].name);
    free(v->products);
    free(v);
}
