#!/usr/bin/env python3
"""uniq --window keeps memory flat: stream ten times the window of distinct
records through `wiredup uniq` and read its resident memory (VmRSS in
/proc/PID/status) at checkpoints.

Every record is distinct, so each one is kept, written and indexed. At a
checkpoint the script stops feeding and waits until uniq has written every
record fed so far, so the sample is taken at the same point of the stream
on every run (no timing involved). The window fills at 1x; between 2x and
10x the resident memory of a windowed run must grow by less than BOUND.
The same stream without a window is the control: it must grow by more
than four times BOUND, or the test could not tell the difference.

Usage: tests/uniq-window-memory.py PROGRAM
"""
import random
import subprocess
import sys
import threading

WINDOW = 5000
TIMES = 10
BOUND_KB = 4096
WORDS = 40


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def records(n):
    """n distinct JSONL records (random words from a large vocabulary: no
    two share a 5-word shingle in practice), with increasing times."""
    rng = random.Random(20240601)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
             for _ in range(50000)]
    for i in range(n):
        text = " ".join(rng.choice(vocab) for _ in range(WORDS))
        # URL-like ids, as crawls have: uniq keeps a kept record's id while
        # it can be named (dup_of), so ids kept for ever would show here
        slug = "-".join(rng.choice(vocab) for _ in range(12))
        rid = "https://news.example.com/2024/06/01/%s-%d" % (slug, i)
        yield ('{"id":"%s","t":%d,"text":"%s"}\n' % (rid, 1700000000 + i, text)).encode()


def run(prog, args):
    """Returns {checkpoint (multiple of WINDOW): VmRSS in kB}."""
    p = subprocess.Popen([prog, "uniq", "--batch=512"] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    lines = [0]
    cond = threading.Condition()

    def drain():
        for _ in p.stdout:
            with cond:
                lines[0] += 1
                cond.notify_all()
        with cond:
            lines[0] = -1  # closed
            cond.notify_all()

    t = threading.Thread(target=drain)
    t.start()
    samples = {}
    fed = 0
    for rec in records(WINDOW * TIMES):
        p.stdin.write(rec)
        fed += 1
        if fed % WINDOW == 0:
            p.stdin.flush()
            with cond:
                cond.wait_for(lambda: lines[0] >= fed or lines[0] < 0)
                if lines[0] < 0:
                    raise RuntimeError("uniq stopped early")
            samples[fed // WINDOW] = rss_kb(p.pid)
    p.stdin.close()
    t.join()
    if p.wait() != 0:
        raise RuntimeError("uniq failed: exit %d" % p.returncode)
    return samples


def main():
    prog = sys.argv[1]
    ok = True
    for name, args in (("--window=%d" % WINDOW, ["--window=%d" % WINDOW]),
                       ("--window-time=%ds" % WINDOW,
                        ["--window-time=%ds" % WINDOW, "--time-field=t"])):
        s = run(prog, args)
        growth = s[TIMES] - s[2]
        print("uniq %s: VmRSS at 1x..%dx of the window (kB): %s; 2x -> %dx: %+d kB"
              % (name, TIMES, " ".join(str(s[k]) for k in sorted(s)), TIMES, growth))
        if growth >= BOUND_KB:
            print("FAIL: memory grows with the stream (bound %d kB)" % BOUND_KB)
            ok = False
    s = run(prog, [])
    growth = s[TIMES] - s[2]
    print("uniq without a window (control): 2x -> %dx: %+d kB" % (TIMES, growth))
    if growth <= 4 * BOUND_KB:
        print("FAIL: the control does not grow; the test cannot tell")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
