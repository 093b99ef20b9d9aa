/* texts.c: see texts.h. */
#include "insight/texts.h"

static const char *const texts[CDP_T_COUNT][2] = {
#define CDP_TEXT_ROW(id, en, ru) [CDP_T_##id] = { en, ru },
    CDP_TEXTS(CDP_TEXT_ROW)
#undef CDP_TEXT_ROW
};

const char *cdp_text(enum cdp_lang lang, enum cdp_text id)
{
    return texts[id][lang == CDP_LANG_RU];
}
