#!/bin/sh
# archive.sh - querying a persistent index against the in-memory rate
# (`make bench-index`; the numbers are in PERFORMANCE.md).
#
#   sh bench/archive.sh PATH/TO/wiredup [SHARED_DATASETS_DIR]
#
# Corpus: short documents made by `wiredup gen` from AG News (the recipe of
# the "short" benchmark corpus, datasets/make-corpora.sh), 2,000,000 of them.
# The archive: the first 1,000,000 records `dedup` keeps of them (distinct
# documents, so the index holds exactly 1,000,000); the new documents: the
# 100,000 generated right after the last of those (about 40 % of them copies
# of archived stories, as in a daily feed). all.jsonl = archive + new.
#
#   build      dedup --index=IX --index-batch=1000000 old.jsonl  (once, timed)
#   archive    dedup --index=IX --index-mode=read new.jsonl
#   in memory  dedup all.jsonl  minus  dedup old.jsonl: the cost of the same
#              100,000 documents when the 1,000,000 are sketched and indexed
#              in the same run (the alternative to an archive: rerun on all)
#
# One warm-up round, then BENCH_RUNS rounds (default 3) with the three runs
# interleaved, so a busy neighbour slows all alike; the in-memory figure is
# each round's difference, then medians over the rounds. Rates are new
# documents per second of wall time; CPU time (user + system, less sensitive
# to a loaded machine) is reported beside it. Same thread count for
# all (BENCH_THREADS, default all cores). Needs ~3 GB of disk in BENCH_OUT.
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
    "$PROG" gen --base="$OUT/base.jsonl" --seed=1 --docs=2000000 --out="$OUT/gen.d" --base-dedup=0 \
        --title-in-text=no --edits=byline:0,trailer:0,truncate:0.2,drop:0.1 >/dev/null || exit 2
    mv "$OUT/gen.d/docs.jsonl" "$OUT/gen.jsonl" && rm -rf "$OUT/gen.d" || exit 2
    "$PROG" dedup -q -j"$J" -o "$OUT/kept.jsonl" "$OUT/gen.jsonl" || exit 2
    head -n 1000000 "$OUT/kept.jsonl" >"$OUT/old.jsonl"
    [ "$(wc -l <"$OUT/old.jsonl")" -eq 1000000 ] || { echo "bench-index: too few distinct documents"; exit 2; }
    # gen numbers its documents d0000000, d0000001, ... in file order
    last=$(tail -n 1 "$OUT/old.jsonl" | sed 's/^{"id":"d0*\([0-9]*\)".*/\1/')
    tail -n +"$((last + 2))" "$OUT/gen.jsonl" | head -n 100000 >"$OUT/new.part"
    [ "$(wc -l <"$OUT/new.part")" -eq 100000 ] || { echo "bench-index: too few new documents"; exit 2; }
    cat "$OUT/old.jsonl" "$OUT/new.part" >"$OUT/all.jsonl"
    rm -f "$OUT/kept.jsonl" "$OUT/gen.jsonl"
    mv "$OUT/new.part" "$OUT/new.jsonl"
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
# timed RUN NAME CMD...: wall and CPU seconds (user + system) into $OUT/t.NAME
timed() {
    name=$1; shift
    /usr/bin/time -f '%e %U %S' -o "$OUT/t.$name" "$@" || exit 2
}
r=0
while [ $r -le "$RUNS" ]; do
    timed archive "$PROG" dedup -q -j"$J" --index="$OUT/ix" --index-mode=read -o "$OUT/kept.tmp" "$OUT/new.jsonl"
    timed old "$PROG" dedup -q -j"$J" -o "$OUT/kept.tmp" "$OUT/old.jsonl"
    timed all "$PROG" dedup -q -j"$J" -o "$OUT/kept.tmp" "$OUT/all.jsonl"
    line=$(cat "$OUT/t.archive" "$OUT/t.old" "$OUT/t.all" | awk '{ w[NR] = $1; c[NR] = $2 + $3 }
        END { printf "%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f", w[1], c[1], w[3] - w[2], c[3] - c[2], w[2], w[3] }')
    if [ $r = 0 ]; then echo "warm-up (wall, cpu: archive; all - old; old; all): $line"
    else printf '%s\n' "$line" >>"$OUT/rounds.tsv"; echo "round $r (wall, cpu: archive; all - old; old; all): $line"; fi
    r=$((r + 1))
done
med() { cut -f"$1" "$OUT/rounds.tsv" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
aw=$(med 1); ac=$(med 2); mw=$(med 3); mc=$(med 4)
awk -v aw="$aw" -v ac="$ac" -v mw="$mw" -v mc="$mc" -v j="$J" 'BEGIN {
    rw = mw > 0 ? 1e5 / mw : 0; pw = aw > 0 ? 100 * mw / aw : 0; pc = ac > 0 ? 100 * mc / ac : 0
    printf "threads %d, medians over rounds for 100,000 new documents:\n", j
    printf "  archive query:  %.2f s wall (%.0f docs/s), %.2f s CPU (%.1f us/doc)\n", aw, 1e5 / aw, ac, ac * 10
    printf "  in memory:      %.2f s wall (%.0f docs/s), %.2f s CPU (%.1f us/doc)\n", mw, rw, mc, mc * 10
    printf "  archive rate / in-memory rate: %.0f %% (wall), %.0f %% (CPU)\n", pw, pc
}'
rm -f "$OUT/kept.tmp"

# The same at the library level, without parsing and process start-up:
# wd_index_add() of the 100,000 texts into an index already holding the
# 1,000,000 (memory) and into an empty one attached to the archive
# (bench/archive_query.c).
BA=${BENCH_ARCHIVE:-$(dirname "$PROG")/bench-archive}
if [ -x "$BA" ]; then
    if [ ! -f "$OUT/new.nul" ]; then
        for f in old new; do
            python3 -c 'import json, sys
out = sys.stdout.buffer
for line in sys.stdin:
    out.write(json.loads(line)["text"].encode() + b"\0")' <"$OUT/$f.jsonl" >"$OUT/$f.nul" || exit 2
        done
    fi
    "$BA" "$OUT/old.nul" "$OUT/new.nul" "$OUT/ix" "$J" "$RUNS" | tee "$OUT/library.txt"
    grep '^round' "$OUT/library.txt" | awk -v j="$J" '{ aw[NR] = $4; ac[NR] = $7; mw[NR] = $13; mc[NR] = $16 }
        END {
            n = NR; m = int((n + 1) / 2)
            # medians: sort each column (n is small)
            for (k = 1; k <= 4; k++) {
                for (i = 1; i <= n; i++) v[i] = k == 1 ? aw[i] : k == 2 ? ac[i] : k == 3 ? mw[i] : mc[i]
                for (i = 1; i <= n; i++) for (q = i + 1; q <= n; q++) if (v[q] < v[i]) { t = v[i]; v[i] = v[q]; v[q] = t }
                med[k] = v[m]
            }
            printf "library, threads %d, medians: archive %.2f s wall %.2f s CPU; memory %.2f s wall %.2f s CPU\n", j, med[1], med[2], med[3], med[4]
            printf "  archive rate / in-memory rate: %.0f %% (wall), %.0f %% (CPU)\n", 100 * med[3] / med[1], 100 * med[4] / med[2]
        }'
else
    echo "bench-index: $BA not built (make $BA): library-level figures skipped"
fi
