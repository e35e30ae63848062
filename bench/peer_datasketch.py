#!/usr/bin/env python3
"""peer_datasketch.py - the datasketch MinHashLSH peer of bench/peers.sh.

    PYTHONPATH=$DATASKETCH_SRC python3 bench/peer_datasketch.py CORPUS.jsonl

The usual way to deduplicate with datasketch, on the same text and the same
shingles as `wiredup dedup`: for each JSONL record in order, lower-case word
tokens (\\w+), the set of word 5-grams, a 128-permutation MinHash
(update_batch), a query of MinHashLSH(threshold=0.5) for earlier
near-duplicates, then an insert. Prints one JSON line: seconds (all of it:
reading, parsing, shingling, hashing, LSH), bytes, docs, candidate pairs.
datasketch itself comes from DATASKETCH_SRC (nothing of it is in this
repository).
"""
import json
import re
import sys
import time

from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+")


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    docs = cands = nbytes = 0
    with open(path, "rb") as f:
        for line in f:
            nbytes += len(line)
            w = WORD.findall(json.loads(line)["text"].lower())
            grams = {" ".join(w[i:i + 5]).encode("utf-8") for i in range(len(w) - 4)}
            m = MinHash(num_perm=128)
            if grams:
                m.update_batch(list(grams))
            cands += len(lsh.query(m))
            lsh.insert(str(docs), m)
            docs += 1
    secs = time.perf_counter() - t0
    print(json.dumps({"seconds": round(secs, 3), "bytes": nbytes, "docs": docs,
                      "candidates": cands, "mb_per_s": round(nbytes / 1e6 / secs, 3)}))


if __name__ == "__main__":
    main()
