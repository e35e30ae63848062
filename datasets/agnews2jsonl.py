#!/usr/bin/env python3
"""agnews2jsonl.py - base snippets for `wiredup gen` from AG News.

    python3 datasets/agnews2jsonl.py [--out=FILE] [CSV]

Reads the AG News CSV (default ../shared/datasets/ag_news/test.csv: no
header, quoted columns label,title,description) and writes one JSON object
per row, {"id": "a1", "title": ..., "text": <description>}, in row order.
The CSV's own escapes are undone: a backslash stands for a line break (it
becomes a space, as the snippets are single paragraphs), " #36;" style
entities become the character ("$"), "#39;" an apostrophe, and runs of
white space collapse. Rows whose description is empty are skipped, and so
are near duplicates of an earlier row (--dedup, as in reuters2jsonl.py). Output
goes under build/; Python 3 standard library only.
"""
import argparse
import csv
import html
import json
import os
import re
import sys

from reuters2jsonl import drop_near_duplicates

ENT = re.compile(r" ?#(\d+);")
AMP = re.compile(r"&(amp|lt|gt|quot|#\d+);")


def clean(s):
    s = s.replace("\\", " ")
    s = ENT.sub(lambda m: chr(int(m.group(1))), s)
    s = AMP.sub(lambda m: html.unescape(m.group(0)), s)
    return " ".join(s.split())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "shared", "datasets", "ag_news", "test.csv")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="?", default=default)
    ap.add_argument("--dedup", type=float, default=0.3,
                    help="drop rows with word-5-gram Jaccard >= this with an earlier one (0: off)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    a = ap.parse_args()

    def rows():
        with open(a.csv, encoding="utf-8", newline="") as f:
            for i, row in enumerate(csv.reader(f), 1):
                text = clean(row[2]) if len(row) >= 3 else ""
                if text:
                    yield {"id": "a%d" % i, "title": clean(row[1]), "text": text}
    recs = drop_near_duplicates(rows(), a.dedup) if a.dedup > 0 else rows()
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="\n")
    n = 0
    for rec in recs:
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    if out is not sys.stdout:
        out.close()
    print("agnews2jsonl: %d snippets (%d near duplicates dropped)"
          % (n, getattr(drop_near_duplicates, "dropped", 0)), file=sys.stderr)


if __name__ == "__main__":
    main()
