#!/usr/bin/env python3
"""heldout-breakdown.py - scores of a held-out corpus by edit type.

    python3 bench/heldout-breakdown.py LABELS.tsv CLUSTERS.tsv EDITS.tsv

EDITS.tsv is `wiredup gen --edits=heldout`'s id<TAB>edits file. For each copy
edit type: the true pairs with at least one document that has it, and the
share of them in one predicted cluster (recall). For each story type (hard
negatives, their own true clusters): how many, and how many the prediction
merged with another true cluster. "none" is the pairs where neither
document has a held-out edit, the baseline the others compare with.
"""
import collections
import sys

STORY = ('template', 'followup')


def read_tsv(path):
    """id -> second column (dedup --clusters adds a third: the similarity)."""
    with open(path) as f:
        return dict(line.rstrip('\n').split('\t')[:2] for line in f if line.strip())


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: heldout-breakdown.py LABELS.tsv CLUSTERS.tsv EDITS.tsv')
    gold, pred, edits = (read_tsv(p) for p in sys.argv[1:])
    pred = {i: pred.get(i, 'single:' + i) for i in gold}  # missing = singleton
    tags = {i: set(e.split(',')) - {'-'} for i, e in edits.items()}
    members = collections.defaultdict(list)
    for i, c in gold.items():
        members[c].append(i)
    found = collections.Counter()
    total = collections.Counter()
    for docs in members.values():
        for a in range(len(docs)):
            for b in range(a + 1, len(docs)):
                x, y = docs[a], docs[b]
                kinds = (tags.get(x, set()) | tags.get(y, set())) - set(STORY) or {'none'}
                for k in kinds:
                    total[k] += 1
                    found[k] += pred[x] == pred[y]
    gold_in_pred = collections.defaultdict(set)
    for i, c in pred.items():
        gold_in_pred[c].add(gold[i])
    print('  %-12s %8s %8s %8s' % ('edit', 'pairs', 'found', 'recall'))
    for k in sorted(total, key=lambda k: (k == 'none', found[k] / total[k])):
        print('  %-12s %8d %8d %8.4f' % (k, total[k], found[k], found[k] / total[k]))
    print('  %-12s %8s %8s %8s' % ('negative', 'stories', 'merged', 'share'))
    for k in STORY:
        docs = [i for i in gold if k in tags.get(i, set())]
        merged = sum(len(gold_in_pred[pred[i]]) > 1 for i in docs)
        print('  %-12s %8d %8d %8.4f' % (k, len(docs), merged, merged / len(docs) if docs else 0.0))


if __name__ == '__main__':
    main()
