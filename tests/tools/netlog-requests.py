#!/usr/bin/env python3
"""netlog-requests.py NETLOG: the network requests a page made, from a
Chromium --log-net-log file, one URL a line (nothing when it made none).

Chromium's own background calls (update checks, account and time
services, spelling dictionaries) are in the log too; they are told apart
by their initiator: a request of the browser itself starts with the
initiator "not an origin", one a document made names the document's
origin ("null" for a file:// page, which has an opaque origin) and sits
in the document's network partition ("file://"). Every URL in the log
that no request of the browser's own accounts for is listed too (a
preconnect or a stream job of the page), so that only the browser's own
traffic passes."""
import json
import sys

log = json.load(open(sys.argv[1], encoding="utf-8"))
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
browser, page = set(), []
for e in log["events"]:
    p = e.get("params") or {}
    if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
        if p.get("initiator") == "not an origin" and "file://" not in p.get("network_isolation_key", ""):
            browser.add(p["url"])
        else:
            page.append(p["url"])
for e in log["events"]:
    url = (e.get("params") or {}).get("url", "")
    if url.startswith(("http:", "https:", "ws:", "wss:", "ftp:")) and url not in browser and url not in page:
        page.append(url)
for url in dict.fromkeys(page):
    print(url)
