#!/usr/bin/env python3
"""wiredup uniq answers a trickling input record by record.

A writer sends one record, then waits; the test requires the record to come
out of `wiredup uniq` while the writer is still waiting (before the next
record is sent), for each of several records and for JSONL and plain lines.
This checks behaviour (no buffering until more input or EOF), not speed: the
writer waits up to 5 s for each answer. It also reports the worst latency
seen, for information.
"""
import json, os, select, subprocess, sys, time

prog = sys.argv[1]
fails = 0
worst = 0.0
for fmt in ("lines", "jsonl"):
    p = subprocess.Popen([prog, "uniq", "-j1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = p.stdout.fileno()
    docs = ["the first story about a port strike at harwick today",
            "The first story about a port strike at Harwick today!",   # a copy: dropped
            "a second story about rates rising in osterland this week",
            "a third story about a copper mine collapse at corran ridge"]
    expect = [0, 2, 3]
    got = []
    buf = b""
    for i, d in enumerate(docs):
        rec = json.dumps({"id": "r%d" % i, "text": d}) if fmt == "jsonl" else d
        t0 = time.monotonic()
        p.stdin.write((rec + "\n").encode()); p.stdin.flush()
        if i not in expect:
            continue
        # The record must come out while we hold the next one back.
        while b"\n" not in buf:
            r, _, _ = select.select([out], [], [], 5.0)
            if not r:
                break
            chunk = os.read(out, 65536)
            if not chunk:
                break
            buf += chunk
        if b"\n" not in buf:
            print("FAIL: %s record %d not written before the next one was sent" % (fmt, i))
            fails += 1
            break
        line, buf = buf.split(b"\n", 1)
        worst = max(worst, time.monotonic() - t0)
        got.append(line.decode())
    p.stdin.close()
    rest = p.stdout.read().decode()
    p.wait()
    if p.returncode != 0 or rest:
        print("FAIL: %s exit %d, unexpected trailing output %r" % (fmt, p.returncode, rest))
        fails += 1
    want = [json.dumps({"id": "r%d" % i, "text": docs[i]}) if fmt == "jsonl" else docs[i]
            for i in expect]
    if got != want:
        print("FAIL: %s output %r, expected %r" % (fmt, got, want))
        fails += 1
print("uniq trickle: worst latency %.1f ms (information only)" % (worst * 1000))
print("uniq: %d passed, %d failed" % (2 - min(fails, 2), min(fails, 2)))
sys.exit(1 if fails else 0)
