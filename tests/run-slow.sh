#!/bin/sh
# Slower end-to-end tests run by `make test`:
#   - determinism: dedup (also with --template-share), uniq --template-share
#     and uniq --index give the same bytes for any thread count and batch
#     size (kept records, clusters, pairs, annotations);
#   - large input: a 100 MB single-line document;
#   - uniq: trickling input, and bounded memory with --window;
#   - the persistent index: kill -9 and rerun, writer and reader at once;
#   - shared data (../shared/datasets), when present: determinism on the
#     real syndication-dev corpus and the accuracy gates of `make eval`
#     (dev set and held-out set).
# Usage: tests/run-slow.sh PROGRAM SHARED_DATASETS_DIR
set -u
prog=$1
shared=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; skip=0
ok()   { pass=$((pass + 1)); echo "ok: $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL: $1"; }
skipped() { skip=$((skip + 1)); echo "skip: $1"; }

# Runs dedup on $1 with every combination and compares all outputs.
determinism() {
    name=$1; input=$2; shift 2
    ref=""
    for cfg in "-j1 --batch=1000000" "-j2 --batch=1" "-j2 --batch=7" "-j2 --batch=4096" "-j3 --batch=333"; do
        d="$tmp/det-$(echo "$cfg" | tr -c 'a-z0-9' '_')"
        mkdir -p "$d"
        # shellcheck disable=SC2086
        "$prog" dedup $cfg "$@" --clusters="$d/clusters" --pairs="$d/pairs" "$input" >"$d/kept" 2>"$d/err" || { bad "$name: dedup $cfg failed"; return; }
        # shellcheck disable=SC2086
        "$prog" dedup $cfg "$@" --annotate "$input" >"$d/annotated" 2>>"$d/err" || { bad "$name: dedup --annotate $cfg failed"; return; }
        if [ -z "$ref" ]; then ref=$d; continue; fi
        for f in kept clusters pairs annotated; do
            if ! cmp -s "$ref/$f" "$d/$f"; then bad "$name: $f differs for '$cfg'"; return; fi
        done
    done
    [ -s "$ref/pairs" ] || { bad "$name: no pairs found, the test would prove nothing"; return; }
    ok "$name: identical output for 5 thread/batch settings"
}

# Every instruction set gives the same bytes (WIREDUP_ISA forces one).
isa_equal() {
    name=$1; input=$2; shift 2
    ref=""
    for isa in scalar avx2 avx512; do
        d="$tmp/isa-$isa"
        mkdir -p "$d"
        if ! WIREDUP_ISA=$isa "$prog" --version >/dev/null 2>&1; then
            echo "note: $isa not supported by this CPU, not compared"
            continue
        fi
        for sk in minhash oph; do
            WIREDUP_ISA=$isa "$prog" dedup --sketch=$sk "$@" --clusters="$d/c-$sk" --pairs="$d/p-$sk" \
                "$input" >"$d/k-$sk" 2>/dev/null || { bad "$name: $isa $sk failed"; return; }
        done
        if [ -z "$ref" ]; then ref=$d; continue; fi
        for f in c-minhash p-minhash k-minhash c-oph p-oph k-oph; do
            if ! cmp -s "$ref/$f" "$d/$f"; then bad "$name: $f differs for $isa"; return; fi
        done
    done
    ok "$name: identical output on every supported instruction set"
}
isa_equal "sample" "$here/../datasets/sample/news.jsonl"
isa_equal "cjk" "$here/data/cjk.jsonl"

determinism "sample" "$here/../datasets/sample/news.jsonl"
determinism "cjk" "$here/data/cjk.jsonl"
# Against a persistent index (read mode, so every run sees the same one):
# archived matches are found during the parallel sketching, by any thread.
sh "$here/archive-input.sh" 4000 31 >"$tmp/arch.jsonl"
head -n 2000 "$tmp/arch.jsonl" >"$tmp/half.jsonl"
"$prog" dedup -q --index="$tmp/detix" "$tmp/half.jsonl" >/dev/null
determinism "generated, against an index" "$tmp/arch.jsonl" --index="$tmp/detix" --index-mode=read

# A 100 MB single line: one record, processed, kept.
python3 -c "
import random
random.seed(7)
w=[''.join(random.choice('abcdefghij') for _ in range(random.randint(2,9))) for _ in range(5000)]
import sys
out=open('$tmp/big.txt','w')
n=0
while n < 100*1024*1024:
    s=' '.join(random.choice(w) for _ in range(1000))+' '
    out.write(s); n+=len(s)
out.write('\nsecond record\n')
"
if "$prog" dedup --stats "$tmp/big.txt" >"$tmp/big.out" 2>"$tmp/big.err" &&
   grep -q '"records_in":2,' "$tmp/big.err" && [ "$(wc -l <"$tmp/big.out")" -eq 2 ]; then
    ok "100 MB single line: both records processed"
else
    bad "100 MB single line"; cat "$tmp/big.err"
fi

# The generator: same seed, same bytes; labels complete.
if sh "$here/gen-test.sh" "$prog"; then ok "generator"; else bad "generator"; fi

# uniq answers a trickling input record by record.
if python3 "$here/uniq-trickle.py" "$prog"; then ok "uniq trickle"; else bad "uniq trickle"; fi

# uniq --window: the same bytes for any thread count and batch size.
uniq_det() {
    ref=""
    for cfg in "-j1 --batch=100000" "-j2 --batch=1" "-j2 --batch=7" "-j3 --batch=333"; do
        # shellcheck disable=SC2086
        "$prog" uniq $cfg "$@" --annotate "$here/../datasets/sample/news.jsonl" >"$tmp/uw.out" 2>/dev/null ||
            { bad "uniq $*: $cfg failed"; return; }
        if [ -z "$ref" ]; then mv "$tmp/uw.out" "$tmp/uw.ref"; ref=1; continue; fi
        cmp -s "$tmp/uw.ref" "$tmp/uw.out" || { bad "uniq $*: output differs for '$cfg'"; return; }
    done
    grep -q '"dup_of":"' "$tmp/uw.ref" || { bad "uniq $*: no duplicates, the test would prove nothing"; return; }
    ok "uniq $*: identical output for 4 thread/batch settings"
}
uniq_det --window=3
uniq_det --window=5 --sketch=simhash --max-distance=10
uniq_det --window-time=1d --time-field=date
uniq_det --window=4 --template-share=0.05

# uniq --index: the same bytes (output, and the records it archives) for any
# thread count, batch size and --index-batch. $2 = the archived part (dedup
# builds it), $3 = the part uniq reads; each setting gets a copy of the index.
uniq_index_det() {
    name=$1; archived=$2; queried=$3
    rm -rf "$tmp/uix-base"
    "$prog" dedup -q --index="$tmp/uix-base" "$archived" >/dev/null 2>&1 || { bad "$name: dedup --index failed"; return; }
    ref=""
    for cfg in "-j1 --batch=100000 --index-batch=100000" "-j2 --batch=1 --index-batch=1" \
               "-j2 --batch=7 --index-batch=7" "-j1 --batch=7 --index-batch=3" "-j2 --batch=4096"; do
        rm -rf "$tmp/uix"; cp -R "$tmp/uix-base" "$tmp/uix"
        # shellcheck disable=SC2086
        "$prog" uniq $cfg --index="$tmp/uix" --annotate "$queried" >"$tmp/uix.out" 2>/dev/null ||
            { bad "$name: uniq --index $cfg failed"; return; }
        "$prog" index export "$tmp/uix" >>"$tmp/uix.out" || { bad "$name: index export failed"; return; }
        "$prog" uniq $cfg --index="$tmp/uix-base" --index-mode=read -d --annotate "$queried" >>"$tmp/uix.out" 2>/dev/null ||
            { bad "$name: uniq --index-mode=read $cfg failed"; return; }
        if [ -z "$ref" ]; then mv "$tmp/uix.out" "$tmp/uix.ref"; ref=1; continue; fi
        cmp -s "$tmp/uix.ref" "$tmp/uix.out" || { bad "$name: uniq --index output differs for '$cfg'"; return; }
    done
    grep -q '"dup_of":"archive:' "$tmp/uix.ref" && grep -q '"dup_of":"[^a]' "$tmp/uix.ref" ||
        { bad "$name: no archived or no in-memory duplicates, the test would prove nothing"; return; }
    ok "$name: uniq --index identical for 5 thread/batch/index-batch settings"
}
head -n 20 "$here/../datasets/sample/news.jsonl" >"$tmp/news-head.jsonl"
uniq_index_det "sample" "$tmp/news-head.jsonl" "$here/../datasets/sample/news.jsonl"

# uniq --window: resident memory flat after the window fills.
if python3 "$here/uniq-window-memory.py" "$prog"; then ok "uniq window memory"; else bad "uniq window memory"; fi
# Streaming template counts: uniq gives the same bytes for any batch size and
# thread count (counts freeze at fixed epochs, not at batch ends).
uniq_template() {
    name=$1; input=$2
    "$prog" uniq --template-share=0.02 -j1 --batch=4096 "$input" >"$tmp/uniq-ref" 2>/dev/null || { bad "$name: uniq failed"; return; }
    for cfg in "-j2 --batch=1" "-j2 --batch=7" "-j3 --batch=1000"; do
        # shellcheck disable=SC2086
        "$prog" uniq --template-share=0.02 $cfg "$input" 2>/dev/null | cmp -s - "$tmp/uniq-ref" ||
            { bad "$name: uniq --template-share output differs for '$cfg'"; return; }
    done
    ok "$name: uniq --template-share identical for 4 thread/batch settings"
}
# The persistent index: kill -9 at random moments, then a writer and a
# reader process on one index at once.
if sh "$here/archive-crash.sh" "$prog"; then ok "index: kill -9 and rerun"; else bad "index: kill -9 and rerun"; fi
if sh "$here/archive-concurrent.sh" "$prog"; then ok "index: writer and reader processes"; else bad "index: writer and reader processes"; fi
# A read-only index directory: write mode fails clearly and changes nothing
# (root ignores permissions, so only another user can test it).
if [ "$(id -u)" != 0 ]; then
    printf 'a story about the harbour strike on monday\n' >"$tmp/ro.txt"
    printf 'another story about the mine rescue teams today\n' >"$tmp/ro2.txt"
    "$prog" dedup -q --index="$tmp/ro" "$tmp/ro.txt" >/dev/null
    "$prog" index export "$tmp/ro" >"$tmp/ro.before"
    chmod a-w "$tmp/ro" "$tmp/ro/data.mdb"
    "$prog" dedup -q --index="$tmp/ro" "$tmp/ro2.txt" >/dev/null 2>"$tmp/ro.err"; st=$?
    chmod u+w "$tmp/ro" "$tmp/ro/data.mdb"
    "$prog" index export "$tmp/ro" >"$tmp/ro.after"
    if [ $st -ne 0 ] && [ -s "$tmp/ro.err" ] && cmp -s "$tmp/ro.before" "$tmp/ro.after"; then
        ok "index: read-only directory is a clear error"
    else
        bad "index: read-only directory (exit $st)"; cat "$tmp/ro.err"
    fi
else
    skipped "index: read-only directory (running as root, which ignores permissions)"
fi

if [ -f "$shared/syndication-dev/docs.jsonl" ]; then
    determinism "syndication-dev" "$shared/syndication-dev/docs.jsonl"
    determinism "syndication-dev template-share" "$shared/syndication-dev/docs.jsonl" --template-share=0.02
    uniq_template "syndication-dev" "$shared/syndication-dev/docs.jsonl"
    head -n 3750 "$shared/syndication-dev/docs.jsonl" >"$tmp/synd-head.jsonl"
    tail -n +3000 "$shared/syndication-dev/docs.jsonl" >"$tmp/synd-tail.jsonl"
    uniq_index_det "syndication-dev" "$tmp/synd-head.jsonl" "$tmp/synd-tail.jsonl"
    isa_equal "syndication-dev" "$shared/syndication-dev/docs.jsonl"
    if sh "$here/../bench/eval.sh" "$prog" "$shared/syndication-dev"; then ok "eval gate"; else bad "eval gate"; fi
    if sh "$here/tune-check.sh" "$prog" "$shared"; then ok "tune check"; else bad "tune check"; fi
else
    skipped "shared datasets not found at '$shared'"
fi
# The held-out evaluation (bench/eval-heldout.sh): its floors on the
# synthetic held-out set; Reuters SGML from the shared data.
if [ -f "$shared/reuters21578/reut2-014.sgm" ]; then
    if sh "$here/../bench/eval-heldout.sh" "$prog" "$shared/reuters21578"; then ok "held-out eval gate"; else bad "held-out eval gate"; fi
else
    skipped "Reuters SGML not found at '$shared/reuters21578'"
fi
echo "slow: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
