#!/usr/bin/env python3
"""The hostile client of bench/abuse.sh: floods of sign-ins, registrations and replies,
each bounded in count, sent from many threads at once to a Tribune on loopback. Prints one
JSON object with what the server answered. Standard library only.

  abuse_client.py login    BASE EMAIL COUNT [ADDRESS]     wrong passwords, all at once
  abuse_client.py spread   BASE EMAIL COUNT               wrong passwords at once, each from its own address
  abuse_client.py hammer   BASE EMAIL SECONDS [ADDRESS]   wrong passwords one after another, for SECONDS
  abuse_client.py sign-in  BASE EMAIL PASSWORD [ADDRESS]  one sign-in: its status
  abuse_client.py register BASE COUNT [ADDRESS]           new accounts, all at once
  abuse_client.py replies  BASE SLUG COUNT CHARS          a guest's replies under one comment
  abuse_client.py post     BASE SLUG BODY NAME            one guest comment: status and reason

ADDRESS is sent as X-Forwarded-For: the server believes it only from a trusted proxy
(abuse.sh runs it with trusted_proxies = 127.0.0.1, as behind nginx).
"""

import collections
import concurrent.futures
import http.client
import json
import re
import sys
import time
import urllib.parse


def request(base, method, path, body=None, headers=None, timeout=60):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, dict(res.getheaders()), res.read()
    except (OSError, http.client.HTTPException) as e:
        return f"error: {type(e).__name__}", {}, b""
    finally:
        conn.close()


class Browser:
    """Keeps cookies, finds the CSRF token of a page's form, and says where it comes from."""

    def __init__(self, base, address=None):
        self.base, self.cookies, self.address = base, {}, address

    def headers(self, extra=None):
        h = dict(extra or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.address:
            h["X-Forwarded-For"] = self.address
        return h

    def keep(self, headers):
        for k, v in headers.items():
            if k.lower() == "set-cookie":
                name, _, value = v.split(";")[0].partition("=")
                self.cookies[name] = value

    def get(self, path):
        status, headers, body = request(self.base, "GET", path, headers=self.headers())
        self.keep(headers)
        return status, body.decode("utf-8", "replace")

    def token(self, path):
        _, page = self.get(path)
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        return m.group(1) if m else ""

    def post(self, path, fields):
        body = urllib.parse.urlencode(fields)
        h = self.headers({"Content-Type": "application/x-www-form-urlencoded"})
        status, headers, page = request(self.base, "POST", path, body=body, headers=h)
        self.keep(headers)
        return status, headers, page.decode("utf-8", "replace")


def all_at_once(jobs, workers):
    """Runs the jobs from `workers` threads, released together; counts their statuses."""
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(lambda job: job(), jobs))
    return collections.Counter(str(s) for s in statuses), time.monotonic() - start


def login_flood(base, email, count, address=None):
    b = Browser(base, address)
    token = b.token("/admin/login")
    fields = {"email": email, "password": "not the password", "csrf": token}
    counts, seconds = all_at_once([lambda: b.post("/admin/login", fields)[0]] * count, count)
    return {"statuses": counts, "seconds": round(seconds, 2)}


def spread_flood(base, email, count):
    """Each attempt from its own address (RFC 2544's benchmarking range): no throttle stops
    them, so the password hashing itself is what the server must bound."""
    browsers = [Browser(base, f"198.18.{i // 250}.{i % 250 + 1}") for i in range(count)]
    jobs = []
    for b in browsers:
        fields = {"email": email, "password": "not the password", "csrf": b.token("/admin/login")}
        jobs.append(lambda b=b, fields=fields: b.post("/admin/login", fields)[0])
    counts, seconds = all_at_once(jobs, count)
    return {"statuses": counts, "seconds": round(seconds, 2)}


def hammer(base, email, seconds, address=None):
    b = Browser(base, address)
    fields = {"email": email, "password": "not the password", "csrf": b.token("/admin/login")}
    counts, end = collections.Counter(), time.monotonic() + seconds
    while time.monotonic() < end:
        counts[str(b.post("/admin/login", fields)[0])] += 1
    return {"statuses": counts, "seconds": seconds}


def sign_in(base, email, password, address=None):
    b = Browser(base, address)
    token = b.token("/admin/login")
    status, headers, _ = b.post("/admin/login", {"email": email, "password": password, "csrf": token})
    return {"status": status, "retry_after": headers.get("retry-after", headers.get("Retry-After"))}


def register_flood(base, count, address=None):
    def one(i):
        b = Browser(base, address)
        token = b.token("/register")
        fields = {
            "name": f"Bench Reader {i}",
            "email": f"bench{i}-{time.time_ns()}@example.org",
            "password": "a long enough password",
            "csrf": token,
        }
        return b.post("/register", fields)[0]

    counts, seconds = all_at_once([lambda i=i: one(i) for i in range(count)], min(count, 50))
    return {"statuses": counts, "seconds": round(seconds, 2)}


def post(base, slug, body, name, parent=None, browser=None):
    b = browser or Browser(base)
    token = b.token(f"/articles/{slug}")
    fields = {"body": body, "author_name": name, "csrf": token}
    if parent:
        fields["parent_id"] = parent
    status, headers, page = b.post(f"/articles/{slug}/comments", fields)
    reason = re.search(r'<p[^>]*class="[^"]*error[^"]*"[^>]*>(.*?)</p>', page, re.S)
    location = headers.get("location", headers.get("Location", ""))
    return status, location, (reason.group(1).strip() if reason else "")


def reply_flood(base, slug, count, chars):
    guest = Browser(base)
    status, location, _ = post(base, slug, "The comment everyone replies to.", "Flooder", browser=guest)
    parent = location.rsplit("/", 1)[-1]
    if status != 303 or not parent.isdigit():
        return {"error": f"could not post the first comment: {status}"}
    body = ("A long reply. " * (chars // 14 + 1))[:chars]

    def one(i):
        b = Browser(base)
        b.cookies = dict(guest.cookies)
        return post(base, slug, f"{i} {body}"[:chars], "Flooder", parent=parent, browser=b)[0]

    counts, seconds = all_at_once([lambda i=i: one(i) for i in range(count)], 8)
    return {"statuses": counts, "seconds": round(seconds, 2), "parent": int(parent)}


def main(argv):
    kind, base = argv[1], argv[2]
    if kind == "login":
        out = login_flood(base, argv[3], int(argv[4]), argv[5] if len(argv) > 5 else None)
    elif kind == "spread":
        out = spread_flood(base, argv[3], int(argv[4]))
    elif kind == "hammer":
        out = hammer(base, argv[3], float(argv[4]), argv[5] if len(argv) > 5 else None)
    elif kind == "sign-in":
        out = sign_in(base, argv[3], argv[4], argv[5] if len(argv) > 5 else None)
    elif kind == "register":
        out = register_flood(base, int(argv[3]), argv[4] if len(argv) > 4 else None)
    elif kind == "replies":
        out = reply_flood(base, argv[3], int(argv[4]), int(argv[5]))
    elif kind == "post":
        status, _, reason = post(base, argv[3], argv[4], argv[5])
        out = {"status": status, "reason": reason}
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
