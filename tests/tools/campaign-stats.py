#!/usr/bin/env python3
"""campaign-stats.py SEGMENTS EVENTS SEGMENT DATE WINDOW: a campaign's
figures computed from the files themselves, independently of cdp-report
(its arms, outcomes and statistics), for tests/cdp-report.bats to compare
with its --json. Prints one line:

  sent converted held converted p_z revenue_diff ci_low ci_high df p_welch
      orders_diff ci_low ci_high df p_welch

SEGMENTS is the segment output of DATE (NDJSON: cdp_id, segments,
holdout), EVENTS the linked events (cdp_id, ts, event, amount or price
and qty); a purchase counts from the midnight after DATE (UTC) for WINDOW
days; a person's orders are their distinct order_ids, a purchase line
without one an order of its own. The z-test's p-value comes from math.erfc; Welch's interval and
p-value from Student's t by numerical integration of its density
(Simpson's rule) and bisection, not from the incomplete beta function
cdp-report uses. Ids are taken as they are (no merges followed)."""
import datetime
import json
import math
import sys


def day_ms(date):
    d = datetime.date.fromisoformat(date)
    return (d - datetime.date(1970, 1, 1)).days * 86400000


def t_density(x, df):
    c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(c - (df + 1) / 2 * math.log1p(x * x / df))


def t_two_sided(t, df, steps=20000):
    """P(|T| >= t), by Simpson's rule over [0, t]."""
    t = abs(t)
    h = t / steps
    s = t_density(0, df) + t_density(t, df)
    for i in range(1, steps):
        s += (4 if i % 2 else 2) * t_density(i * h, df)
    return max(0.0, 1 - 2 * s * h / 3)


def t_quantile_975(df):
    lo, hi = 0.0, 100.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if t_two_sided(mid, df, 4000) > 0.05:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def main():
    segments, events, segment, date, window = sys.argv[1:6]
    start = day_ms(date) + 86400000
    end = start + int(window) * 86400000
    arm = {}
    for line in open(segments, encoding="utf-8"):
        p = json.loads(line)
        if segment in p.get("segments", []):
            arm[p["cdp_id"]] = "sent"
        elif segment in p.get("holdout", []):
            arm[p["cdp_id"]] = "held"
    revenue = {i: 0.0 for i in arm}
    order_ids = {i: set() for i in arm}
    lone_orders = {i: 0 for i in arm}
    bought = set()
    for line in open(events, encoding="utf-8"):
        e = json.loads(line)
        ts = datetime.datetime.fromisoformat(e["ts"].replace("Z", "+00:00"))
        ms = int(ts.timestamp() * 1000)
        if e.get("cdp_id") not in arm or not start <= ms < end or e.get("event") != "purchase":
            continue
        amount = e["amount"] if "amount" in e else e["price"] * e.get("qty", 1)
        revenue[e["cdp_id"]] += amount
        if "order_id" in e:
            order_ids[e["cdp_id"]].add(e["order_id"])
        else:
            lone_orders[e["cdp_id"]] += 1
        bought.add(e["cdp_id"])
    n = {a: sum(1 for i in arm if arm[i] == a) for a in ("sent", "held")}
    x = {a: sum(1 for i in bought if arm[i] == a) for a in ("sent", "held")}
    p1, p0, pool = x["sent"] / n["sent"], x["held"] / n["held"], (x["sent"] + x["held"]) / (n["sent"] + n["held"])
    z = (p1 - p0) / math.sqrt(pool * (1 - pool) * (1 / n["sent"] + 1 / n["held"]))
    p_z = math.erfc(abs(z) / math.sqrt(2))
    orders = {i: len(order_ids[i]) + lone_orders[i] for i in arm}
    out = [x["sent"], n["sent"], x["held"], n["held"], "%.6f" % p_z]
    for per_person in (revenue, orders):
        mean, var = {}, {}
        for a in ("sent", "held"):
            v = [per_person[i] for i in arm if arm[i] == a]
            mean[a] = sum(v) / len(v)
            var[a] = sum((r - mean[a]) ** 2 for r in v) / (len(v) - 1)
        se2 = {a: var[a] / n[a] for a in ("sent", "held")}
        se = math.sqrt(se2["sent"] + se2["held"])
        df = (se2["sent"] + se2["held"]) ** 2 / (se2["sent"] ** 2 / (n["sent"] - 1) + se2["held"] ** 2 / (n["held"] - 1))
        diff = mean["sent"] - mean["held"]
        q = t_quantile_975(df)
        out += ["%.4f" % diff, "%.4f" % (diff - q * se), "%.4f" % (diff + q * se), "%.4f" % df,
                "%.6f" % t_two_sided(diff / se, df)]
    print(*out)


main()
