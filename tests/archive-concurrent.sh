#!/bin/sh
# archive-concurrent.sh PROGRAM: one writer process adds batches to an index
# while a reader process queries it (dedup --index-mode=read), verifies it
# and exports it, over and over. Every reader run must succeed and see a
# consistent snapshot: whole batches, a prefix of the final index, never
# fewer documents than the run before.
set -u
prog=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
B=20
fail=0
sh "$here/archive-input.sh" 300 21 >"$tmp/seed.jsonl"
sh "$here/archive-input.sh" 3000 22 >"$tmp/in.jsonl"
sh "$here/archive-input.sh" 200 23 >"$tmp/query.jsonl"
"$prog" dedup -q --index="$tmp/ix" "$tmp/seed.jsonl" >/dev/null || { echo "FAIL: seed run"; exit 1; }
seeded=$("$prog" index export "$tmp/ix" | wc -l)

"$prog" dedup -q --index="$tmp/ix" --index-batch=$B "$tmp/in.jsonl" >/dev/null 2>"$tmp/writer.err" &
writer=$!
runs=0; during=0; last=$seeded
: >"$tmp/seen"
while :; do
    alive=0; kill -0 $writer 2>/dev/null && alive=1
    runs=$((runs + 1))
    "$prog" dedup -q --index="$tmp/ix" --index-mode=read --stats "$tmp/query.jsonl" >/dev/null 2>"$tmp/r.err" ||
        { echo "FAIL: reader run $runs: dedup --index-mode=read"; cat "$tmp/r.err"; fail=1; break; }
    "$prog" index verify "$tmp/ix" >/dev/null 2>"$tmp/r.err" ||
        { echo "FAIL: reader run $runs: verify"; cat "$tmp/r.err"; fail=1; break; }
    "$prog" index export "$tmp/ix" >"$tmp/snap$runs.tsv" 2>"$tmp/r.err" ||
        { echo "FAIL: reader run $runs: export"; cat "$tmp/r.err"; fail=1; break; }
    n=$(wc -l <"$tmp/snap$runs.tsv")
    [ "$n" -ge "$last" ] || { echo "FAIL: reader run $runs: $n documents after $last"; fail=1; break; }
    last=$n
    echo "$runs $n" >>"$tmp/seen"
    [ $alive = 1 ] && [ "$n" -gt "$seeded" ] && during=$((during + 1))
    [ $alive = 0 ] && break
done
wait $writer || { echo "FAIL: writer"; cat "$tmp/writer.err"; fail=1; }
"$prog" index export "$tmp/ix" >"$tmp/final.tsv"
total=$(wc -l <"$tmp/final.tsv")
while read -r r n; do
    if ! head -n "$n" "$tmp/final.tsv" | cmp -s - "$tmp/snap$r.tsv"; then
        echo "FAIL: reader run $r saw a snapshot that is not a prefix of the final index"; fail=1
    fi
    if [ "$n" -ne "$total" ] && [ $(( (n - seeded) % B )) -ne 0 ]; then
        echo "FAIL: reader run $r saw $((n - seeded)) new documents: not whole batches of $B"; fail=1
    fi
done <"$tmp/seen"
echo "archive concurrency: $runs reader runs, $during while the writer had committed part of its batches"
[ $during -gt 0 ] || echo "note: no reader run saw a partly written index; the snapshot checks proved little"
exit $fail
