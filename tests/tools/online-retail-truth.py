#!/usr/bin/env python3
"""online-retail-truth.py: what each customer's profile must say after the
first N nights of examples/online-retail.sh, computed from the raw daily files
alone (no cdp program involved), for tests and make bench to compare with.

    online-retail-truth.py DAYS_DIR [N]
    online-retail-truth.py --profiles PROFILES.ndjson.zst

Reads DAYS_DIR/*.csv.zst in name order (the first N; all by default) and
prints one line per customer, sorted by id:

    customer_id  orders  returns  revenue  first_purchase_at  last_purchase_at

An order is an invoice whose number does not start with C; a return is one
that does (a cancellation); revenue is the sum over all the customer's lines
of quantity x price, cancellations included, to the cent (half away from
zero); the purchase times are the earliest and latest of the orders' lines
("-" when none), as ISO 8601 UTC. CustomerID is written 17850.0: the
customer is 17850. Lines without a CustomerID are nobody's.

With --profiles it prints the same columns from cdp-merge's profiles (the
first of customer_ids), numbers as written, for diff(1)."""

import csv
import decimal
import glob
import io
import json
import os
import subprocess
import sys


def profiles(path):
    text = subprocess.run(["zstd", "-dcf", path], check=True, capture_output=True).stdout
    rows = []
    for line in text.decode("utf-8").splitlines():
        p = json.loads(line, parse_float=str, parse_int=str)  # numbers as written
        for cid in p.get("customer_ids", [])[:1]:
            rows.append((int(cid), f"{cid}\t{p['orders']}\t{p['returns']}\t{p['revenue']}\t"
                                   f"{p.get('first_purchase_at', '-')}\t"
                                   f"{p.get('last_purchase_at', '-')}"))
    for _, row in sorted(rows):
        print(row)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--profiles":
        return profiles(sys.argv[2])
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.csv.zst")))
    if len(sys.argv) == 3:
        files = files[: int(sys.argv[2])]
    if not files:
        sys.exit("online-retail-truth.py: no DAY.csv.zst in " + sys.argv[1])
    customers = {}
    for path in files:
        text = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        for row in csv.DictReader(io.StringIO(text.decode("utf-8"))):
            cid = row["CustomerID"]
            if not cid:
                continue
            if cid.endswith(".0"):
                cid = cid[:-2]
            c = customers.setdefault(cid, {"orders": set(), "returns": set(),
                                           "revenue": decimal.Decimal(0), "times": []})
            invoice = row["InvoiceNo"]
            c["revenue"] += decimal.Decimal(row["Quantity"]) * decimal.Decimal(row["UnitPrice"])
            if invoice.startswith("C"):
                c["returns"].add(invoice)
            else:
                c["orders"].add(invoice)
                c["times"].append(row["InvoiceDate"].replace(" ", "T") + "Z")
    cent = decimal.Decimal("0.01")
    for cid in sorted(customers, key=int):
        c = customers[cid]
        revenue = c["revenue"].quantize(cent, rounding=decimal.ROUND_HALF_UP)
        first = min(c["times"]) if c["times"] else "-"
        last = max(c["times"]) if c["times"] else "-"
        print(f"{cid}\t{len(c['orders'])}\t{len(c['returns'])}\t{revenue}\t{first}\t{last}")


if __name__ == "__main__":
    main()
