#!/usr/bin/env python3
"""reuters-base.py - base stories for `wiredup gen` from Reuters-21578 SGML.

    python3 bench/reuters-base.py REUTERS_DIR FIRST LAST OUT.jsonl

Writes {"title","text"} lines (text: dateline and body as wrapped on the
wire, entities decoded, the closing "Reuter" removed) for the stories of
reut2-FIRST.sgm .. reut2-LAST.sgm whose body has at least 80 words. The
held-out evaluation uses files the dev set never drew from (014-021), so its
stories are new as well as its edits. Read from the shared data at each run.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corrections  # noqa: E402  (the SGML reader)


def main():
    if len(sys.argv) != 5:
        sys.exit('usage: reuters-base.py REUTERS_DIR FIRST LAST OUT.jsonl')
    first, last = int(sys.argv[2]), int(sys.argv[3])
    files = ['reut2-%03d.sgm' % k for k in range(first, last + 1)]
    n = 0
    with open(sys.argv[4], 'w', encoding='utf-8') as out:
        for r in corrections.records(sys.argv[1], files):
            if len(r[3].split()) >= 80:
                out.write(json.dumps({'title': r[2], 'text': r[3]}, ensure_ascii=False) + '\n')
                n += 1
    if n == 0:
        sys.exit('reuters-base.py: no stories in %s' % sys.argv[1])
    print('reuters-base: %d stories from %s .. %s' % (n, files[0], files[-1]))


if __name__ == '__main__':
    main()
