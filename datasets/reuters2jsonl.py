#!/usr/bin/env python3
"""reuters2jsonl.py - base stories for `wiredup gen` from Reuters-21578.

    python3 datasets/reuters2jsonl.py [--min-words=80] [--out=FILE] [SGM_OR_DIR...]

Reads the Reuters-21578 SGML files (latin-1; default: every reut2-*.sgm in
../shared/datasets/reuters21578) and writes one JSON object per story:

    {"id": "r1", "title": "BAHIA COCOA REVIEW", "text": "SALVADOR, Feb 26 - Showers ..."}

- only records with a <BODY> whose body has at least --min-words words;
- the text is the dateline (leading blanks removed) followed by the body with
  its original hard wrapping and indented paragraph starts;
- SGML entities are decoded (&lt; &gt; &amp; &quot; &#N;); control characters
  that entities produce (&#2; &#3; &#5; ...) are dropped;
- the trailing "Reuter" sign-off line is removed;
- with --dedup=J (default 0.3), a story is dropped when its word-5-gram set
  (lower case, letters and digits) has Jaccard >= J, or containment
  |A&B|/min(|A|,|B|) >= 0.5, with an earlier kept story: the collection's own
  re-sent items and templated reports would otherwise give two generated
  clusters the same content under different labels (0 keeps all). Exact
  sets, no sketching, so the result never depends on wiredup itself.

Output order is file order, then record order: the same input gives the same
bytes. The output belongs under build/ (the data must never be copied into
the repository). Python 3 standard library only.
"""
import argparse
import collections
import glob
import json
import os
import re
import sys

RECORD = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
NEWID = re.compile(r'NEWID="(\d+)"')
FIELD = {name: re.compile(r"<%s>(.*?)</%s>" % (name, name), re.S)
         for name in ("TITLE", "DATELINE", "BODY")}
ENTITY = re.compile(r"&(#\d+|lt|gt|amp|quot|apos);")
SIGNOFF = re.compile(r"\s*\breuter\b\s*$", re.I)
TRAILING_WS = re.compile(r"[ \t]+\n")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def decode(s):
    """Decodes the entities; characters below 0x20 other than tab and
    newline (and DEL) are dropped, as they are wire-service control codes."""
    def one(m):
        e = m.group(1)
        if e[0] == "#":
            c = int(e[1:])
            if (c < 32 and c not in (9, 10)) or c == 127:
                return ""
            return chr(c)
        return NAMED[e]
    s = ENTITY.sub(one, s)
    return "".join(ch for ch in s if ch >= " " or ch in "\t\n")


def stories(path, min_words):
    with open(path, encoding="latin-1") as f:
        data = f.read()
    for m in RECORD.finditer(data):
        attrs, inner = m.group(1), m.group(2)
        body = FIELD["BODY"].search(inner)
        if not body:
            continue
        idm = NEWID.search(attrs)
        title = FIELD["TITLE"].search(inner)
        dateline = FIELD["DATELINE"].search(inner)
        text = decode(body.group(1)).rstrip()
        text = SIGNOFF.sub("", text).rstrip()
        text = TRAILING_WS.sub("\n", text)
        if len(text.split()) < min_words:
            continue
        dl = decode(dateline.group(1)).strip() if dateline else ""
        if dl:
            text = dl + " " + text.lstrip()
        title_s = " ".join(decode(title.group(1)).split()) if title else ""
        yield {"id": "r" + (idm.group(1) if idm else str(m.start())),
               "title": title_s, "text": text}


WORD = re.compile(r"[a-z0-9]+")


def shingle_set(text, k=5):
    w = WORD.findall(text.lower())
    return {tuple(w[i:i + k]) for i in range(max(len(w) - k + 1, 1))} if w else set()


def drop_near_duplicates(records, jaccard, containment=0.5):
    """Yields the records (dicts with "text") that are not near duplicates
    of an earlier kept one; counts the dropped in drop_near_duplicates.dropped."""
    index = collections.defaultdict(list)   # shingle -> kept record numbers
    sizes = []
    drop_near_duplicates.dropped = 0
    for rec in records:
        s = shingle_set(rec["text"])
        shared = collections.Counter()
        for g in s:
            for j in index.get(g, ()):
                shared[j] += 1
        dup = False
        for j, k in shared.items():
            if k / (len(s) + sizes[j] - k) >= jaccard or k / max(min(len(s), sizes[j]), 1) >= containment:
                dup = True
                break
        if dup:
            drop_near_duplicates.dropped += 1
            continue
        n = len(sizes)
        sizes.append(len(s))
        for g in s:
            index[g].append(n)
        yield rec


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_dir = os.path.join(here, "..", "..", "shared", "datasets", "reuters21578")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="*", help="reut2-*.sgm files or a folder holding them")
    ap.add_argument("--min-words", type=int, default=80, help="shortest body kept (default 80)")
    ap.add_argument("--dedup", type=float, default=0.3,
                    help="drop stories with word-5-gram Jaccard >= this with an earlier one (0: off)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    a = ap.parse_args()
    files = []
    for p in a.inputs or [default_dir]:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "reut2-*.sgm")))
        else:
            files.append(p)
    if not files:
        sys.exit("reuters2jsonl: no reut2-*.sgm files found")
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="\n")
    n = 0
    recs = (st for path in files for st in stories(path, a.min_words))
    if a.dedup > 0:
        recs = drop_near_duplicates(recs, a.dedup)
    for st in recs:
        out.write(json.dumps(st, ensure_ascii=False) + "\n")
        n += 1
    if out is not sys.stdout:
        out.close()
    print("reuters2jsonl: %d stories from %d files (%d near duplicates dropped)"
          % (n, len(files), getattr(drop_near_duplicates, "dropped", 0)), file=sys.stderr)


if __name__ == "__main__":
    main()
