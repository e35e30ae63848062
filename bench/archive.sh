#!/bin/sh
# archive.sh - querying a persistent index against the in-memory rate
# (`make bench-index`; the numbers are in PERFORMANCE.md).
#
#   sh bench/archive.sh PATH/TO/wiredup [SHARED_DATASETS_DIR]
#
# Corpus: 1,100,000 short documents made by `wiredup gen` from AG News (the
# recipe of the "short" benchmark corpus, datasets/make-corpora.sh); the
# first 1,000,000 are the archive, the last 100,000 the new documents
# (copies of archived stories among them, as in a daily feed).
#
#   build      dedup --index=IX --index-batch=1000000 old.jsonl  (once, timed)
#   archive    dedup --index=IX --index-mode=read new.jsonl
#   in memory  dedup all.jsonl  minus  dedup old.jsonl: the cost of the same
#              100,000 documents when the 1,000,000 are sketched and indexed
#              in the same run (the alternative to an archive: rerun on all)
#
# One warm-up round, then BENCH_RUNS rounds (default 3) with the three runs
# interleaved, so a busy neighbour slows all alike; medians of the rounds.
# Rates are new documents per second of wall time. Same thread count for
# all (BENCH_THREADS, default all cores). Needs ~6 GB of disk in BENCH_OUT.
set -u
PROG=${1:?usage: sh bench/archive.sh PATH/TO/wiredup [SHARED_DATASETS_DIR]}
SHARED=${2:-../shared/datasets}
here=$(cd "$(dirname "$0")" && pwd)
OUT=${BENCH_OUT:-build/bench-index}
RUNS=${BENCH_RUNS:-3}
J=${BENCH_THREADS:-$(nproc 2>/dev/null || echo 2)}
if [ ! -f "$SHARED/ag_news/test.csv" ]; then
    echo "bench-index: skipped: $SHARED/ag_news/test.csv not found"
    exit 0
fi
mkdir -p "$OUT" || exit 2
if [ ! -f "$OUT/new.jsonl" ]; then
    python3 "$here/../datasets/agnews2jsonl.py" --out="$OUT/base.jsonl" "$SHARED/ag_news/test.csv" || exit 2
    rm -rf "$OUT/gen.d"
    "$PROG" gen --base="$OUT/base.jsonl" --seed=1 --docs=1100000 --out="$OUT/gen.d" --base-dedup=0 \
        --title-in-text=no --edits=byline:0,trailer:0,truncate:0.2,drop:0.1 >/dev/null || exit 2
    mv "$OUT/gen.d/docs.jsonl" "$OUT/all.jsonl" && rm -rf "$OUT/gen.d" || exit 2
    head -n 1000000 "$OUT/all.jsonl" >"$OUT/old.jsonl"
    tail -n 100000 "$OUT/all.jsonl" >"$OUT/new.jsonl.tmp" && mv "$OUT/new.jsonl.tmp" "$OUT/new.jsonl"
fi

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

if [ ! -f "$OUT/ix.done" ]; then
    rm -rf "$OUT/ix"
    t0=$(now)
    "$PROG" dedup -q -j"$J" --index="$OUT/ix" --index-batch=1000000 -o "$OUT/kept.tmp" "$OUT/old.jsonl" || exit 2
    t1=$(now)
    echo "build: $(secs "$t0" "$t1") s for 1,000,000 documents" | tee "$OUT/ix.done"
fi
cat "$OUT/ix.done"
"$PROG" index stats "$OUT/ix" | grep -E '^(docs|file_bytes|used_bytes)'

: >"$OUT/rounds.tsv"
r=0
while [ $r -le "$RUNS" ]; do
    t0=$(now)
    "$PROG" dedup -q -j"$J" --index="$OUT/ix" --index-mode=read -o "$OUT/kept.tmp" "$OUT/new.jsonl" || exit 2
    t1=$(now)
    "$PROG" dedup -q -j"$J" -o "$OUT/kept.tmp" "$OUT/old.jsonl" || exit 2
    t2=$(now)
    "$PROG" dedup -q -j"$J" -o "$OUT/kept.tmp" "$OUT/all.jsonl" || exit 2
    t3=$(now)
    a=$(secs "$t0" "$t1"); o=$(secs "$t1" "$t2"); l=$(secs "$t2" "$t3")
    if [ $r = 0 ]; then echo "warm-up: archive $a s, old $o s, all $l s"
    else printf '%s\t%s\t%s\n' "$a" "$o" "$l" >>"$OUT/rounds.tsv"; echo "round $r: archive $a s, old $o s, all $l s"; fi
    r=$((r + 1))
done
med() { cut -f"$1" "$OUT/rounds.tsv" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(med 1); o=$(med 2); l=$(med 3)
awk -v a="$a" -v o="$o" -v l="$l" -v j="$J" 'BEGIN {
    ra = 100000 / a; m = l - o; rm = m > 0 ? 100000 / m : 0
    printf "threads %d, medians: archive query %.2f s, in memory all %.2f s - old %.2f s = %.2f s\n", j, a, l, o, m
    printf "archive: %.0f new docs/s; in memory: %.0f new docs/s; ratio %.0f %%\n", ra, rm, rm ? 100 * ra / rm : 0
}'
rm -f "$OUT/kept.tmp"
