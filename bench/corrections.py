#!/usr/bin/env python3
"""corrections.py - a labelled set of real wire corrections from Reuters-21578.

    python3 bench/corrections.py REUTERS_DIR OUT_DIR

Reuters re-issued some stories with a title starting "CORRECTED -" or
"(CORRECTED) -" and the corrected figures or names in the body. Each such
correction is paired with the story it corrects by a rule that looks only at
titles and dates, never at the bodies, so the set does not favour pairs that
a text-similarity engine finds easily:

  - candidates: stories with a body dated 0-3 days before the correction
    (NEWID below it), not themselves corrections or "RPT-" repeats;
  - the original is the candidate whose title (prefix removed, lowercased,
    punctuation stripped) has the highest word-set Jaccard with the
    correction's title, at least 0.5; ties go to the later story;
  - two corrections of one original (the second fixes the first) make one
    cluster of three.

OUT_DIR/docs.jsonl holds each original and its corrections as one cluster plus, as hard negatives,
every other candidate that shares a title word-set Jaccard >= 0.3 or a
ticker (<XYZ>) with a correction: the same company or topic in the same days
but a different story; each is its own cluster (labels.tsv), except that
negatives with the same title on the same day (Reuters re-sent some stories
unchanged) share one. Nothing is
copied into the repository: the set is built from the shared data each run.
"""
import datetime
import glob
import html
import json
import os
import re
import sys

PREFIX = re.compile(r'^\s*\(?CORRECT(ED|ION)\)?\s*-*\s*', re.I)
WINDOW_DAYS = 3


def records(src, files=None):
    """(newid, date, title, body) of every record that has a title and a body,
    from every reut2-*.sgm in src or from the names in files."""
    out = []
    paths = [os.path.join(src, f) for f in files] if files else \
        sorted(glob.glob(os.path.join(src, 'reut2-*.sgm')))
    for path in paths:
        with open(path, encoding='latin-1') as f:
            s = f.read()
        for m in re.finditer(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', s, re.S):
            r = m.group(2)
            t = re.search(r'<TITLE>(.*?)</TITLE>', r, re.S)
            d = re.search(r'<DATE>\s*(\d+)-([A-Z]+)-(\d+)', r)
            b = re.search(r'<BODY>(.*?)</BODY>', r, re.S)
            if not (t and d and b):
                continue
            day = datetime.datetime.strptime('%s-%s-%s' % d.groups(), '%d-%b-%Y').date()
            dl = re.search(r'<DATELINE>(.*?)</DATELINE>', r, re.S)
            body = html.unescape(b.group(1)).replace('\x03', '')
            body = re.sub(r'\s*Reuter\s*$', '', body.rstrip())
            if dl:
                body = html.unescape(dl.group(1)).strip() + ' ' + body
            out.append((int(m.group(1)), day, html.unescape(t.group(1)).strip(), body))
    return out


def words(title):
    return set(re.sub(r'[^a-z0-9]+', ' ', title.lower()).split())


def tickers(title):
    return set(re.findall(r'<([A-Z0-9.]+)>', title))


def jaccard(a, b):
    return len(a & b) / len(a | b) if a | b else 0.0


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: corrections.py REUTERS_DIR OUT_DIR')
    recs = records(sys.argv[1])
    if not recs:
        sys.exit('corrections.py: no Reuters records in %s' % sys.argv[1])
    plain = [r for r in recs if not PREFIX.match(r[2]) and not r[2].upper().startswith('RPT')]
    clusters, negatives = {}, set()  # original -> [original, corrections...]
    for c in recs:
        if not PREFIX.match(c[2]):
            continue
        ct = PREFIX.sub('', c[2])
        cw, ck = words(ct), tickers(ct)
        best, best_j = None, 0.5
        near = []
        for x in plain:
            if x[0] >= c[0] or not 0 <= (c[1] - x[1]).days <= WINDOW_DAYS:
                continue
            j = jaccard(cw, words(x[2]))
            if j >= best_j:
                best, best_j = x, j
            if j >= 0.3 or ck & tickers(x[2]):
                near.append(x)
        if best:
            clusters.setdefault(best, [best]).append(c)
            negatives.update(x for x in near if x is not best)
    used = {r[0] for members in clusters.values() for r in members}
    negatives = sorted(x for x in negatives if x[0] not in used)
    os.makedirs(sys.argv[2], exist_ok=True)
    with open(os.path.join(sys.argv[2], 'docs.jsonl'), 'w', encoding='utf-8') as d, \
            open(os.path.join(sys.argv[2], 'labels.tsv'), 'w') as lab:
        def put(r, cluster):
            d.write(json.dumps({'id': 'r%05d' % r[0], 'title': r[2],
                                'text': r[2] + '\n\n' + r[3]}, ensure_ascii=False) + '\n')
            lab.write('r%05d\t%s\n' % (r[0], cluster))
        for orig in sorted(clusters):
            for r in clusters[orig]:
                put(r, 'p%05d' % orig[0])
        resent = {}
        for x in negatives:
            first = resent.setdefault((x[1], ' '.join(sorted(words(x[2])))), x)
            put(x, 's%05d' % first[0])
    ncorr = sum(len(m) - 1 for m in clusters.values())
    print('corrections: %d corrections of %d originals, %d hard negatives '
          '(same company or topic, same days)' % (ncorr, len(clusters), len(negatives)))


if __name__ == '__main__':
    main()
