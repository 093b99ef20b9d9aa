#!/usr/bin/python3
"""strdist-vectors.py: reference answers of python3-jellyfish for lib/norm/strdist.h.

Writes tests/fixtures/strdist/vectors.tsv (one pair a line:
a, b, jaro_similarity, jaro_winkler_similarity, levenshtein_distance,
damerau_levenshtein_distance; similarities as Python's shortest round-trip
repr, so strtod reads back the very same double) and
tests/fixtures/strdist/soundex.tsv (a folded name and jellyfish.soundex of it).
The unit tests read the committed files: jellyfish is needed only to
regenerate them, with Debian's python3-jellyfish (0.8.9):

    /usr/bin/python3 tests/tools/strdist-vectors.py

The pairs: hand-picked ASCII, Cyrillic, transpositions, empty strings,
single characters, accents (precomposed and combining), a code point outside
the BMP, long strings (up to CDP_STRDIST_MAX = 128 code points: the C code
compares longer ones on their first 128, jellyfish on all), then 1200 pairs
drawn from a fixed seed over a small alphabet mixing Latin and Cyrillic
letters, half of them one string and an edited copy of it."""

import importlib.metadata
import os
import random
import sys
import warnings

warnings.simplefilter("ignore")  # jellyfish 0.8's C module warns about 'u' args
import jellyfish  # noqa: E402

MAX = 128

HAND = [
    # ASCII, from the Jaro-Winkler literature and jellyfish's own tests
    ("martha", "marhta"), ("dixon", "dicksonx"), ("dwayne", "duane"),
    ("jellyfish", "smellyfish"), ("shackleford", "shackelford"),
    ("dunningham", "cunnigham"), ("nichleson", "nichulson"), ("jones", "johnson"),
    ("massey", "massie"), ("abroms", "abrams"), ("hardin", "martinez"),
    ("itman", "smith"), ("jeraldine", "geraldine"), ("michelle", "michael"),
    ("julies", "julius"), ("tanya", "tonya"), ("sean", "susan"), ("jon", "john"),
    ("jon", "jan"), ("brookhaven", "brrokhaven"), ("brook hallow", "brook hllw"),
    ("decatur", "decatir"), ("fitzrureiter", "fitzenreiter"), ("higbee", "highee"),
    ("higbee", "higvee"), ("lacura", "locura"), ("iowa", "iona"), ("1st", "ist"),
    ("1234abc", "1234abd"), ("abcd", "abce"), ("abc", "abc"), ("abc", "xyz"),
    ("Ivan", "ivan"), ("sergey", "sergei"), ("aleksandr", "alexander"),
    ("kitten", "sitting"), ("saturday", "sunday"), ("flaw", "lawn"),
    ("ivanov sergey", "sergey ivanov"), ("a b", "a  b"),
    # transpositions
    ("ab", "ba"), ("abcd", "acbd"), ("abcd", "badc"), ("ca", "abc"), ("abc", "cab"),
    ("abcdef", "badcfe"), ("abcdef", "fedcba"), ("ab", "bca"), ("a cat", "an act"),
    ("aaaa", "aaab"), ("abab", "baba"), ("aabb", "bbaa"),
    # empty strings and single characters
    ("", ""), ("", "a"), ("a", ""), ("", "Иванов"), ("Иванов", ""),
    ("a", "a"), ("a", "b"), ("a", "ab"), ("b", "ab"), ("a", "ba"),
    ("ж", "ж"), ("ж", "ш"), ("ё", "е"), ("я", "Я"),
    # Cyrillic
    ("Иванов", "Иваноф"), ("Сергей", "Серегй"), ("Сергей", "Сергеев"),
    ("Сергей", "Сергеева"), ("Александр", "Алесандр"), ("Наталья", "Наталия"),
    ("Юлия", "Юля"), ("Ёлкина", "Елкина"), ("Петров", "Петрова"),
    ("Кузнецов", "Кузнецова"), ("Смирнов", "Смирнов"), ("Смирнов", "Смирнво"),
    ("Дмитрий", "Дмитрией"), ("Евгений", "Евгения"), ("Екатерина", "Катерина"),
    ("Иванов Сергей", "Сергей Иванов"), ("Мамин-Сибиряк", "Мамин Сибиряк"),
    ("Иванов", "Ivanov"), ("Щербаков", "Шербаков"), ("Хабибуллин", "Хабибулин"),
    ("Ольга", "Ольга "), ("Фёдор", "Федор"), ("ИВАНОВ", "Иванов"),
    # accents, precomposed and combining
    ("José", "Jose"), ("Müller", "Mueller"), ("Renée", "Renee"), ("Zoë", "Zoe"),
    ("naïve", "naive"), ("Jose\u0301", "José"), ("e\u0301", "é"), ("Ñuñez", "Nunez"),
    ("Ørsted", "Orsted"), ("Straße", "Strasse"), ("Йошкар", "И\u0306ошкар"),
    # outside the BMP
    ("a\U0001F600b", "a\U0001F600c"), ("\U0001F600", "\U0001F601"), ("\U00010348x", "x"),
    # long strings (at most MAX code points)
    ("ул. Большая Садовая, д. 10, кв. 50, Москва, 123001",
     "улица Большая Садовая дом 10 квартира 50 г. Москва 123001"),
    ("The quick brown fox jumps over the lazy dog" * 2,
     "The quick brown fox jumped over the lazy dogs" * 2),
    ("абвгдеёжзийклмнопрстуфхцчшщъыьэюя" * 3, "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" * 3),
    ("абвгдеёжзийклмнопрстуфхцчшщъыьэюя" * 3, "абвгдеёжзийклмнопрстуфхцчшщъыьэяю" * 3),
    ("x" * MAX, "x" * MAX), ("x" * MAX, "y" * MAX), ("xy" * (MAX // 2), "yx" * (MAX // 2)),
    ("a" * MAX, ""), ("ab" * 60, "ba" * 61), ("Ё" * 100, "ё" * 100),
]

LATIN = "aeiknorsvy"
CYRILLIC = "аеиклнорсвёй"
ALPHABET = LATIN + CYRILLIC


def edited(r, s):
    s = list(s)
    for _ in range(r.randint(1, 3)):
        op = r.randrange(4)
        i = r.randrange(len(s) + 1)
        if op == 0 and i < len(s):
            s[i] = r.choice(ALPHABET)
        elif op == 1:
            s.insert(i, r.choice(ALPHABET))
        elif op == 2 and i < len(s):
            del s[i]
        elif op == 3 and i + 1 < len(s):
            s[i], s[i + 1] = s[i + 1], s[i]
    return "".join(s)


def random_pairs(n, seed=20240611):
    r = random.Random(seed)
    pairs = []
    for k in range(n):
        longer = k % 10 == 9
        la = r.randint(0, 40 if longer else 12)
        a = "".join(r.choice(ALPHABET) for _ in range(la))
        if k % 2:
            b = edited(r, a)
        else:
            b = "".join(r.choice(ALPHABET) for _ in range(r.randint(0, 40 if longer else 12)))
        pairs.append((a, b))
    return pairs


SOUNDEX = [
    "robert", "rupert", "rubin", "ashcraft", "ashcroft", "tymczak", "pfister",
    "honeyman", "lee", "gutierrez", "jackson", "washington", "a", "b", "aaaa",
    "ivanov", "ivanova", "sergei", "sergey", "kuznetsov", "shcherbakov", "smirnov",
    "khabibullin", "habibulin", "zhukov", "tsvetkov", "chernyshevskii", "yuliia",
    "iulia", "bbbbbb", "sawh", "wh", "hwh", "burroughs", "lloyd", "van", "vandeusen",
    "deusen", "mcdonald", "ohara", "obrien", "elkinaivanova", "ekaterina", "schmidt",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "..", "fixtures", "strdist")
    os.makedirs(out_dir, exist_ok=True)
    pairs = HAND + random_pairs(1200)
    for a, b in pairs:
        assert "\t" not in a + b and "\n" not in a + b, (a, b)
        assert len(a) <= MAX and len(b) <= MAX, (a, b)
    with open(os.path.join(out_dir, "vectors.tsv"), "w", encoding="utf-8") as f:
        f.write("# generated by tests/tools/strdist-vectors.py with python3-jellyfish %s (%s)\n"
                % (importlib.metadata.version("jellyfish"), jellyfish.library))
        f.write("# a\tb\tjaro\tjaro_winkler\tlevenshtein\tdamerau\n")
        for a, b in pairs:
            f.write("%s\t%s\t%r\t%r\t%d\t%d\n" % (
                a, b, jellyfish.jaro_similarity(a, b), jellyfish.jaro_winkler_similarity(a, b),
                jellyfish.levenshtein_distance(a, b), jellyfish.damerau_levenshtein_distance(a, b)))
    with open(os.path.join(out_dir, "soundex.tsv"), "w", encoding="utf-8") as f:
        f.write("# generated by tests/tools/strdist-vectors.py: jellyfish.soundex\n")
        for s in SOUNDEX:
            f.write("%s\t%s\n" % (s, jellyfish.soundex(s)))
    print("%d pairs, %d soundex codes" % (len(pairs), len(SOUNDEX)), file=sys.stderr)


if __name__ == "__main__":
    main()
