/* texts.h: every text of the report page, in English and Russian: one
 * table, so that a text is never in one language only. A text with %s
 * takes the arguments its users pass (page.c). */
#ifndef CDP_INSIGHT_TEXTS_H
#define CDP_INSIGHT_TEXTS_H

#include "insight/lang.h"

#define CDP_TEXTS(X) \
    X(TITLE, "Nightly report", "Ночной отчёт") \
    X(AS_OF, "as of %s", "на %s") \
    X(NO_DATE, "date unknown", "дата неизвестна") \
    X(KPI_PERSONS, "persons", "клиентов") \
    X(NAV_RUN, "Run", "Прогон") \
    X(NAV_IDENTITY, "Identity", "Клиенты") \
    X(NAV_AUDIENCES, "Audiences", "Аудитории") \
    X(NAV_CAMPAIGNS, "Campaigns", "Кампании") \
    X(NAV_CARTS, "Carts", "Корзины") \
    X(DELTA_SINCE, "%s since %s", "%s с %s") \
    X(UNCHANGED_SINCE, "unchanged since %s", "без изменений с %s") \
    X(KPI_REJECTED, "rows rejected", "строк отклонено") \
    X(KPI_MEMBERSHIPS, "in segments", "в сегментах") \
    X(KPI_CARTS, "abandoned carts", "брошенных корзин") \
    X(KPI_CART_VALUE, "left in carts", "осталось в корзинах") \
    X(SEC_RUN, "1. The run", "1. Ночной прогон") \
    X(SEC_IDENTITY, "2. Identity", "2. Клиенты и склейка") \
    X(SEC_AUDIENCES, "3. Audiences", "3. Аудитории") \
    X(SEC_CAMPAIGNS, "4. Campaigns", "4. Кампании") \
    X(SEC_CARTS, "5. Carts and categories", "5. Корзины и категории") \
    X(SOURCE, "Source", "Источник") \
    X(READ, "read", "прочитано") \
    X(WRITTEN, "written", "записано") \
    X(REJECTED, "rejected", "отклонено") \
    X(INVALID, "invalid values", "неверных значений") \
    X(REJECTS_FILE, "rejects", "отклонённые") \
    X(TOP_REASONS, "Why rows were rejected", "Почему строки отклонены") \
    X(TOP_FIELDS, "Fields with invalid values", "Поля с неверными значениями") \
    X(NONE, "none", "нет") \
    X(TREND_READ, "Rows read per night", "Строк прочитано за ночь") \
    X(TREND_BAD, "Rows rejected and values invalid per night", "Отклонённые строки и неверные значения за ночь") \
    X(ONE_NIGHT, "One night kept so far: the trend appears from the second.", "Пока сохранена одна ночь: динамика появится со второй.") \
    X(PROGRAMS, "Programs", "Программы") \
    X(PROGRAM, "Program", "Программа") \
    X(COUNTS, "Counts", "Счётчики") \
    X(RECORDS, "records", "записей") \
    X(CROSS_SOURCE, "in more than one source", "в нескольких источниках") \
    X(RECORDS_PER_PERSON, "Records per person", "Записей на клиента") \
    X(LARGEST, "The largest clusters (the first place to look for a false merge)", "Самые крупные склейки (где искать ошибочное объединение)") \
    X(NAME, "Name", "Имя") \
    X(SOURCES, "Sources", "Источники") \
    X(EMAILS, "e-mails", "e-mail") \
    X(PHONES, "phones", "телефонов") \
    X(CARDS, "cards", "карт") \
    X(MERGED, "merged", "объединено") \
    X(SPLIT, "split", "разделено") \
    X(SINCE, "since %s", "с %s") \
    X(SINCE_START, "since the journal began", "с начала журнала") \
    X(JOURNAL, "Ids merged and split since %s", "Объединённые и разделённые id с %s") \
    X(JOURNAL_ALL, "Ids merged and split (the whole journal)", "Объединённые и разделённые id (весь журнал)") \
    X(ID_FROM, "id", "id") \
    X(ID_INTO, "into", "в") \
    X(HOW, "how", "как") \
    X(MERGED_BY, "merged by %s", "объединены по %s") \
    X(SPLIT_OFF, "split off", "отделён") \
    X(NO_JOURNAL_LINES, "No id was merged or split.", "Ни один id не объединён и не разделён.") \
    X(LINKS_USED, "Links used, by key", "Использованные связи по ключам") \
    X(LINKS_REFUSED, "Links refused, by reason", "Отклонённые связи по причинам") \
    X(MODEL, "Model links by match weight", "Связи модели по весу совпадения") \
    X(NO_MODEL, "No model links (cdp-dedupe ran without --model).", "Связей модели нет (cdp-dedupe без --model).") \
    X(SEGMENT_SIZES, "Segment sizes per night (the largest)", "Размер сегментов по ночам (крупнейшие)") \
    X(SEGMENT, "Segment", "Сегмент") \
    X(MEMBERS, "members", "участников") \
    X(HOLDOUT, "held out", "в контроле") \
    X(CHANGE, "change", "изменение") \
    X(ENTERED, "entered", "вошли") \
    X(EXITED, "exited", "вышли") \
    X(REVENUE, "revenue", "выручка") \
    X(TREND, "trend", "динамика") \
    X(MOVERS, "Biggest movers since the night before", "Сильнее всего изменились за ночь") \
    X(NO_MOVERS, "No change since the night before.", "За ночь без изменений.") \
    X(OVERLAP, "Overlap: members in both segments", "Пересечение: участники обоих сегментов") \
    X(RFM, "RFM grid: recency by frequency (persons, revenue)", "RFM-сетка: давность и частота (клиенты, выручка)") \
    X(RECENCY, "recency (5 = bought recently)", "давность (5 = покупал недавно)") \
    X(FREQUENCY, "frequency (5 = buys often)", "частота (5 = покупает часто)") \
    X(NO_CAMPAIGNS, "No campaign asked for: cdp-report --campaign SEGMENT@DATE compares who got a campaign with the control group.", "Кампании не заданы: cdp-report --campaign СЕГМЕНТ@ДАТА сравнит получивших кампанию с контрольной группой.") \
    X(CAMPAIGN, "%s, sent %s", "%s, отправлена %s") \
    X(WINDOW, "window %s days, %s observed", "окно %s дн., прошло %s") \
    X(ARM, "Group", "Группа") \
    X(SENT, "got the campaign", "получили кампанию") \
    X(HELD, "control group", "контрольная группа") \
    X(PEOPLE, "people", "человек") \
    X(CONVERSION, "bought", "купили") \
    X(REVENUE_PP, "revenue per person", "выручка на человека") \
    X(ORDERS_PP, "orders per person", "заказов на человека") \
    X(DIFFERENCE, "difference", "разница") \
    X(CI, "95% interval", "95% интервал") \
    X(P_VALUE, "p-value", "p-значение") \
    X(METHOD, "Conversion: Newcombe's interval (from Wilson's) and the two-proportion z-test; revenue and orders per person: Welch's t.", "Конверсия: интервал Ньюкомба (по Уилсону) и z-тест для двух долей; выручка и заказы на человека: t-критерий Уэлча.") \
    X(V_NO_DATA, "No figures: there was no segment output for that day, or nobody in the segment.", "Нет данных: за этот день нет выгрузки сегментов или сегмент пуст.") \
    X(V_NO_HOLDOUT, "No control group: nobody was held out of this segment, so the lift cannot be measured.", "Нет контрольной группы: из сегмента никого не оставили в контроле, прирост измерить нельзя.") \
    X(V_TOO_FEW, "Not enough people to tell: the interval crosses zero.", "Недостаточно людей, чтобы судить: интервал пересекает ноль.") \
    X(V_UP, "The campaign worked: conversion is higher than in the control group.", "Кампания сработала: конверсия выше, чем в контрольной группе.") \
    X(V_DOWN, "The campaign did harm: conversion is lower than in the control group.", "Кампания навредила: конверсия ниже, чем в контрольной группе.") \
    X(UPLIFT_CHART, "Uplift with its 95% interval", "Прирост и его 95% интервал") \
    X(ABANDONED, "abandoned carts", "брошенных корзин") \
    X(CART_VALUE, "value in them", "сумма в них") \
    X(CARTS_CREATED, "carts in %s days", "корзин за %s дн.") \
    X(ABANDON_RATE, "abandonment rate", "доля брошенных") \
    X(RECOVERED, "recovered since %s", "возвращено с %s") \
    X(RECOVERY_RATE, "recovery rate", "доля возвращённых") \
    X(CART_TREND, "Abandoned carts per night (segment abandoned_cart)", "Брошенные корзины по ночам (сегмент abandoned_cart)") \
    X(TOP_CATEGORIES, "Top categories by revenue", "Лучшие категории по выручке") \
    X(CATEGORY, "Category", "Категория") \
    X(CATEGORIES, "Every category", "Все категории") \
    X(BUYERS, "buyers", "покупателей") \
    X(ORDERS, "orders", "заказов") \
    X(VIEWERS, "viewed", "смотрели") \
    X(ROOMS, "Rooms being furnished now (latest purchase or view in 90 days)", "Какие комнаты обставляют сейчас (покупка или просмотр за 90 дней)") \
    X(FOOTER, "Made by cdp-report from %s. Figures as --json writes them.", "Сделано cdp-report из %s. Все цифры есть в --json.")

enum cdp_text {
#define CDP_TEXT_ID(id, en, ru) CDP_T_##id,
    CDP_TEXTS(CDP_TEXT_ID)
#undef CDP_TEXT_ID
    CDP_T_COUNT
};

/* The text in the language. */
const char *cdp_text(enum cdp_lang lang, enum cdp_text id);

#endif
