#!/bin/sh
# archive-crash.sh PROGRAM: kill -9 an indexing run at random moments, 20
# times. After every kill the index must open and verify, hold exactly the
# documents of whole committed batches (a prefix of an uninterrupted run's
# export, a multiple of --index-batch long), and rerunning the same input
# must complete it: the final export equals the uninterrupted run's, and no
# document is stored twice.
set -u
prog=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
B=25
fail=0; partial=0
sh "$here/archive-input.sh" 3000 11 >"$tmp/in.jsonl"
# Every run indexes on top of the same seed archive, so the kills also hit
# runs that query a non-empty index.
sh "$here/archive-input.sh" 500 12 >"$tmp/seed.jsonl"
"$prog" dedup -q --index="$tmp/seed" "$tmp/seed.jsonl" >/dev/null || { echo "FAIL: seed run"; exit 1; }
cp -R "$tmp/seed" "$tmp/ref"
start=$(date +%s%N)
"$prog" dedup -q --index="$tmp/ref" --index-batch=$B "$tmp/in.jsonl" >/dev/null || { echo "FAIL: reference run"; exit 1; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
"$prog" index export "$tmp/ref" >"$tmp/ref.tsv"
seeded=$("$prog" index export "$tmp/seed" | wc -l)
total=$(wc -l <"$tmp/ref.tsv")
[ "$total" -gt $((seeded + 10 * B)) ] || { echo "FAIL: too few documents indexed ($total)"; exit 1; }

i=0
while [ $i -lt 20 ]; do
    i=$((i + 1))
    ix="$tmp/ix$i"
    rm -rf "$ix"; cp -R "$tmp/seed" "$ix"
    "$prog" dedup -q --index="$ix" --index-batch=$B "$tmp/in.jsonl" >/dev/null 2>&1 &
    pid=$!
    # odd kills: any moment of the run; even kills: once batches are being
    # committed (polled through a concurrent reader), a little later
    delay=$(awk -v s=$i -v ms="$ms" 'BEGIN { srand(s); printf "%.3f", rand() * ms / 1000 }')
    if [ $((i % 2)) = 0 ]; then
        n=0
        while kill -0 $pid 2>/dev/null; do
            d=$("$prog" index stats "$ix" 2>/dev/null | awk '$1 == "docs" { print $2 }')
            [ "${d:-0}" -gt "$seeded" ] && break
            n=$((n + 1)); [ $n -gt 2000 ] && break
        done
        delay=$(awk -v s=$i 'BEGIN { srand(s); printf "%.3f", rand() * 0.05 }')
    fi
    sleep "$delay"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if ! "$prog" index verify "$ix" >/dev/null; then echo "FAIL: kill $i: verify"; fail=1; continue; fi
    "$prog" index export "$ix" >"$tmp/got.tsv"
    got=$(wc -l <"$tmp/got.tsv")
    if ! head -n "$got" "$tmp/ref.tsv" | cmp -s - "$tmp/got.tsv"; then
        echo "FAIL: kill $i: the index is not a prefix of the uninterrupted run's"; fail=1; continue
    fi
    if [ "$got" -ne "$total" ] && [ $(( (got - seeded) % B )) -ne 0 ]; then
        echo "FAIL: kill $i: $((got - seeded)) documents is not whole batches of $B"; fail=1; continue
    fi
    [ "$got" -gt "$seeded" ] && [ "$got" -lt "$total" ] && partial=$((partial + 1))
    if ! "$prog" dedup -q --index="$ix" --index-batch=$B "$tmp/in.jsonl" >/dev/null; then
        echo "FAIL: kill $i: rerun"; fail=1; continue
    fi
    "$prog" index export "$ix" >"$tmp/got.tsv"
    if ! cmp -s "$tmp/ref.tsv" "$tmp/got.tsv"; then
        echo "FAIL: kill $i (after $got documents): rerun export differs from the uninterrupted run"; fail=1; continue
    fi
    if [ -n "$(cut -f3 "$tmp/got.tsv" | sort | uniq -d)" ]; then
        echo "FAIL: kill $i: a document stored twice"; fail=1; continue
    fi
    "$prog" index verify "$ix" >/dev/null || { echo "FAIL: kill $i: verify after rerun"; fail=1; }
    rm -rf "$ix"
done
echo "archive crash: 20 kills, $partial left a partial index (of $((total - seeded)) documents, batches of $B)"
[ $partial -gt 0 ] || echo "note: no kill landed between two commits; the prefix check proved little"
exit $fail
