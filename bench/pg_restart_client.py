#!/usr/bin/env python3
"""Posts comments from N threads until told to stop (SIGTERM or a STOP file), recording
each answer: the ids acknowledged with 201, the count of every other status, errors,
and the slowest answer. Used by bench/pg_restart.sh; standard library only."""
import http.client
import json
import os
import sys
import threading
import time

host, port, slug, threads, out, stop_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
lock = threading.Lock()
acked, statuses, events = [], {}, []
slowest = [0.0]


def writer(n):
    conn, i = None, 0
    while not os.path.exists(stop_file):
        i += 1
        body = json.dumps({"body": f"Restart test {n}-{i} at {time.time():.6f}", "author_name": f"Writer {n}"})
        started = time.time()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request("POST", f"/api/v1/articles/{slug}/comments", body, {"Content-Type": "application/json"})
            res = conn.getresponse()
            data = res.read()
            status = str(res.status)
            if res.status == 201:
                cid = json.loads(data)["id"]
        except Exception as e:  # a refused or reset connection: counted, then a new one
            status, conn = type(e).__name__, None
            time.sleep(0.05)
        took = time.time() - started
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            slowest[0] = max(slowest[0], took)
            events.append((started, started + took, status))
            if status == "201":
                acked.append(cid)
        if status == "503":
            time.sleep(0.05)


workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
with open(out, "w") as f:
    json.dump({"acked": acked, "statuses": statuses, "slowest": slowest[0], "events": events}, f)
