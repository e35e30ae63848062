#!/bin/sh
# peers.sh - wiredup next to the tools people use today, in the same run, on
# the same text (issue 3, item 5). Runs whatever peers are present and skips
# the rest with a message.
#
#   sh bench/peers.sh PATH/TO/wiredup [CORPUS.jsonl]
#
# Peers (their code is never part of this repository; paths come from the
# environment):
#   DATASKETCH_SRC  a checkout of datasketch (the folder holding the
#                   datasketch/ package); run by bench/peer_datasketch.py with
#                   Debian's python3-numpy and python3-scipy: MinHashLSH,
#                   128 permutations, threshold 0.5, word 5-grams, query then
#                   insert for each document
#   ONION_SRC       a checkout of onion (Jan Pomikalek; src/onion.c), built
#                   here against libjudy-dev; fed the same text tokenized one
#                   lower-case word per line in <doc> elements, -n 5 -t 0.5
# and the ceilings `cat FILE >/dev/null` and `xxhsum -H3 FILE`.
#
# The corpus (default build/corpus/long.jsonl, made by datasets/make-corpora.sh)
# is cut to a subsample of PEER_MB megabytes of whole records (default 20: a
# few minutes of datasketch at about 1 MB/s), and every tool, wiredup
# included, runs on that subsample. MB/s always counts the bytes of the JSONL
# subsample (onion's own input, the tokenized text, is smaller: its MB/s of
# that is shown too). Ratios are wiredup MB/s over the peer's.
# Environment: PEER_MB, PEER_RUNS (timed runs of the fast tools, default 5;
# datasketch runs once), BENCH_OUT (default build/bench).
set -u
PROG=${1:?usage: sh bench/peers.sh PATH/TO/wiredup [CORPUS.jsonl]}
CORPUS=${2:-build/corpus/long.jsonl}
OUT=${BENCH_OUT:-build/bench}
MB=${PEER_MB:-20}
RUNS=${PEER_RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

if [ ! -f "$CORPUS" ]; then
    echo "peers: skipped: $CORPUS not found (make it with datasets/make-corpora.sh)"
    exit 0
fi
mkdir -p "$OUT/peers" || exit 2
S="$OUT/peers/sample.jsonl"
head -c "$((MB * 1000000))" "$CORPUS" | sed '$ { /}$/!d }' >"$S"
BYTES=$(wc -c <"$S")
DOCS=$(wc -l <"$S")
echo "peers: subsample $S: $BYTES bytes, $DOCS docs (first $MB MB of $CORPUS), sha256 $(sha256sum <"$S" | cut -c1-16)..."
cat "$S" >/dev/null

now() { date +%s.%N; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# timeit N CMD...: median wall seconds of N runs after one warm-up (output discarded)
timeit() {
    n=$1
    shift
    "$@" >/dev/null 2>&1 || return 1
    for _ in $(seq 1 "$n"); do
        a=$(now)
        "$@" >/dev/null 2>&1 || return 1
        b=$(now)
        echo "$a $b" | awk '{printf "%.4f\n", $2 - $1}'
    done | median
}
mbs() { awk -v b="$BYTES" -v s="$1" 'BEGIN {printf "%.2f", b / 1e6 / s}'; }

CSV="$OUT/peers.csv"
echo "tool,seconds,mb_per_s,note" >"$CSV"
row() { # tool seconds note
    printf '%-28s %10.3f %12s   %s\n' "$1" "$2" "$(mbs "$2")" "$3"
    echo "$1,$2,$(mbs "$2"),$3" >>"$CSV"
}
printf '%-28s %10s %12s   %s\n' tool seconds "MB/s" note

t=$(timeit "$RUNS" cat "$S") && row "cat >/dev/null" "$t" "ceiling: reading from the page cache"
if command -v xxhsum >/dev/null 2>&1; then
    t=$(timeit "$RUNS" xxhsum -H3 "$S") && row "xxhsum -H3" "$t" "ceiling: hashing every byte"
else
    echo "peers: xxhsum not found (Debian package xxhash): skipped"
fi
W1=$(timeit "$RUNS" "$PROG" dedup -j1 --clusters="$OUT/peers/clusters.tsv" "$S") && row "wiredup dedup -j1" "$W1" "--clusters, defaults (128 hashes, word 5-grams)"
W2=$(timeit "$RUNS" "$PROG" dedup -j2 --clusters="$OUT/peers/clusters.tsv" "$S") && row "wiredup dedup -j2" "$W2" "same, 2 threads"

DS=""
if [ -n "${DATASKETCH_SRC:-}" ] && [ -d "$DATASKETCH_SRC/datasketch" ]; then
    if res=$(PYTHONPATH="$DATASKETCH_SRC" "$PY" "$here/peer_datasketch.py" "$S" 2>"$OUT/peers/datasketch.err"); then
        DS=$(echo "$res" | sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p')
        row "datasketch MinHashLSH" "$DS" "python3 $("$PY" --version 2>&1 | cut -d' ' -f2), 128 perms, threshold 0.5, 1 thread"
    else
        echo "peers: datasketch failed: $(tail -1 "$OUT/peers/datasketch.err")"
    fi
else
    echo "peers: datasketch: skipped (set DATASKETCH_SRC to a datasketch checkout)"
fi

ON=""
if [ -n "${ONION_SRC:-}" ] && [ -f "$ONION_SRC/src/onion.c" ]; then
    ob="$OUT/peers/onion"
    if cc -O3 -w -o "$ob" "$ONION_SRC/src/onion.c" "$ONION_SRC/src/buzhash.c" "$ONION_SRC/src/version.c" \
        -I"$ONION_SRC/src" -lJudy 2>"$OUT/peers/onion-build.err"; then
        V="$OUT/peers/sample.vert"
        "$PY" - "$S" "$V" <<'EOF'
import json, re, sys
word = re.compile(r"\w+")
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for i, line in enumerate(f):
        o.write('<doc id="%d">\n' % i)
        o.write("\n".join(word.findall(json.loads(line)["text"].lower())))
        o.write("\n</doc>\n")
EOF
        VB=$(wc -c <"$V")
        ON=$(timeit "$RUNS" "$ob" -q -n 5 -t 0.5 "$V") &&
            row "onion -n 5 -t 0.5" "$ON" "pre-tokenized input ($VB bytes: $(awk -v b="$VB" -v s="$ON" 'BEGIN {printf "%.1f", b / 1e6 / s}') MB/s of it), 1 thread"
    else
        echo "peers: onion: build failed (libjudy-dev?): $(head -1 "$OUT/peers/onion-build.err")"
    fi
else
    echo "peers: onion: skipped (set ONION_SRC to an onion checkout with src/onion.c)"
fi

echo
for pr in "datasketch:$DS" "onion:$ON"; do
    name=${pr%%:*}
    t=${pr#*:}
    [ -n "$t" ] || continue
    for w in "1:$W1" "2:$W2"; do
        wt=${w#*:}
        [ -n "$wt" ] && echo "ratio: wiredup -j${w%%:*} / $name = $(awk -v a="$t" -v b="$wt" 'BEGIN {printf "%.1fx", a / b}')" |
            tee -a "$OUT/peers/ratios.txt"
    done
done
echo "peers: CSV: $CSV"
