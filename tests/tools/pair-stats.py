#!/usr/bin/env python3
"""pair-stats.py: the association-rule figures of item pairs, computed
independently of cdp-recommend, in the lines `cdp-recommend --similar`
writes (jaccard order, every neighbour), for the tests to compare.

    pair-stats.py BASKETS.csv

BASKETS.csv holds one basket a line, its items separated by commas (the
form of arules' Groceries). Over N baskets, with n(a) baskets holding a and
n(a,b) holding both: support = n(a,b)/N, confidence(a->b) = n(a,b)/n(a),
lift = confidence(a->b)/(n(b)/N), jaccard = n(a,b)/(n(a)+n(b)-n(a,b)):
arules' and mlxtend's definitions."""
import csv
import json
import sys
from collections import Counter
from itertools import combinations

baskets = [set(row) - {""} for row in csv.reader(open(sys.argv[1], encoding="utf-8"))]
baskets = [b for b in baskets if b]
N = len(baskets)
n = Counter(i for b in baskets for i in b)
both = Counter()
for b in baskets:
    for x, y in combinations(sorted(b), 2):
        both[x, y] += 1
        both[y, x] += 1
neighbours = {}
for (a, b), c in both.items():
    neighbours.setdefault(a, []).append((c / (n[a] + n[b] - c), b, c))
for a in sorted(n, key=lambda s: s.encode()):
    out = []
    for jac, b, c in sorted(neighbours.get(a, []), key=lambda t: (-t[0], t[1].encode())):
        conf = c / n[a]
        out.append('{"sku":%s,"support":%s,"confidence":%s,"lift":%s,"count":%d}' % (
            json.dumps(b, ensure_ascii=False), "%.6g" % (c / N), "%.6g" % conf,
            "%.6g" % (conf / (n[b] / N)), c))
    print('{"sku":%s,"baskets":%d,"similar":[%s]}' % (json.dumps(a, ensure_ascii=False), n[a], ",".join(out)))
