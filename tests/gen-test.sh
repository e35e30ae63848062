#!/bin/sh
# gen-test.sh - tests of `wiredup gen`: determinism (golden-style: the same
# seed gives the same sha256 of every output file, whatever the thread count;
# another seed gives other bytes) and a sanity check of the labeled corpus
# (every id labeled once, in order; the cluster count and sizes as asked;
# well-formed JSON records; reused bases kept apart; the labels are what
# `wiredup dedup` finds). Needs only the repository: the base stories are
# written here (plus datasets/sample/news.jsonl).
#
#   sh tests/gen-test.sh [PATH/TO/wiredup]
#
# Prints one line "gen: N passed, M failed" at the end; exit 1 on failure.
set -u
prog=${1:-build/wiredup}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
PY=python3
command -v /usr/bin/python3 >/dev/null 2>&1 && PY=/usr/bin/python3

sum() { sha256sum "$1" | cut -d' ' -f1; }

# A base of 400 deterministic made-up stories, one per line, 80-400 words,
# in sentences, with a dateline on some.
$PY - "$tmp/base.txt" <<'EOF'
import random, sys
r = random.Random(42)
syl = ["ka", "lo", "mi", "ter", "san", "vor", "el", "dun", "ra", "pe", "qui", "zo", "bar", "nel", "ost", "ur"]
words = ["".join(r.choice(syl) for _ in range(r.randint(1, 4))) for _ in range(6000)]
with open(sys.argv[1], "w") as f:
    for i in range(400):
        sents = []
        for _ in range(r.randint(6, 30)):
            w = [r.choice(words) for _ in range(r.randint(8, 22))]
            w[0] = w[0].capitalize()
            if r.random() < 0.2:
                w.insert(r.randint(1, len(w) - 1), str(r.randint(1, 999)) + " pct")
            sents.append(" ".join(w) + ".")
        dl = "%s, March %d - " % (r.choice(words).upper(), r.randint(1, 28)) if i % 3 == 0 else ""
        f.write(dl + " ".join(sents) + "\n")
EOF

gen() { # gen DIR [options...]
    d=$1
    shift
    "$prog" gen --base="$tmp/base.txt" --out="$d" -q "$@" 2>"$d.err"
}

# --- determinism -----------------------------------------------------------
gen "$tmp/a" --seed=7 --docs=3000 -j1; rc1=$?
gen "$tmp/b" --seed=7 --docs=3000 -j2; rc2=$?
gen "$tmp/c" --seed=8 --docs=3000 -j2; rc3=$?
if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ] || [ $rc3 -ne 0 ]; then
    bad "gen exited with $rc1 $rc2 $rc3: $(cat "$tmp/a.err" "$tmp/b.err" "$tmp/c.err")"
else
    ok "gen runs (exit 0)"
fi
same=1
for f in docs.jsonl labels.tsv stats.txt; do
    [ -s "$tmp/a/$f" ] && [ "$(sum "$tmp/a/$f")" = "$(sum "$tmp/b/$f")" ] || same=0
done
[ $same -eq 1 ] && ok "same seed: same sha256 of docs, labels, stats with 1 and 2 threads" \
    || bad "same seed gave different bytes"
[ "$(sum "$tmp/a/docs.jsonl")" != "$(sum "$tmp/c/docs.jsonl")" ] && \
    [ "$(sum "$tmp/a/labels.tsv")" != "$(sum "$tmp/c/labels.tsv")" ] && \
    ok "another seed: other docs and labels" || bad "seed 8 gave the same bytes as seed 7"

# a second base format and a larger batch count: JSONL, repeated runs
gen "$tmp/j1" --base="$here/../datasets/sample/news.jsonl" --seed=3 --docs=20000 --max-copies=12 \
    && gen "$tmp/j2" --base="$here/../datasets/sample/news.jsonl" --seed=3 --docs=20000 --max-copies=12 -j3 \
    && [ "$(sum "$tmp/j1/docs.jsonl")" = "$(sum "$tmp/j2/docs.jsonl")" ] \
    && ok "JSONL base, 20000 docs over 3 batches: same bytes with 2 and 3 threads" \
    || bad "JSONL base: run failed or bytes differ"

# --- the labeled corpus ----------------------------------------------------
# check.py DIR DOCS MAX_COPIES: ids, labels, JSON shape, counts.
cat >"$tmp/check.py" <<'EOF'
import json, sys, collections
d, ndocs, maxc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stats = dict(l.rstrip("\n").split("\t", 1) for l in open(d + "/stats.txt") if "\t" in l and not l.startswith("edit"))
ids = []
for n, line in enumerate(open(d + "/docs.jsonl", encoding="utf-8"), 1):
    o = json.loads(line)
    assert list(o) == ["id", "outlet", "date", "title", "text"], "keys of record %d: %s" % (n, list(o))
    assert all(isinstance(o[k], str) and o[k] for k in o), "empty field in record %d" % n
    ids.append(o["id"])
labels = [l.rstrip("\n").split("\t") for l in open(d + "/labels.tsv")]
assert all(len(x) == 2 for x in labels), "labels.tsv: not id<TAB>cluster"
assert len(ids) == ndocs, "%d docs, asked %d" % (len(ids), ndocs)
assert len(set(ids)) == len(ids), "duplicate ids"
assert [x[0] for x in labels] == ids, "labels.tsv ids differ from docs.jsonl ids"
sizes = collections.Counter(x[1] for x in labels)
assert len(sizes) == int(stats["clusters"]), "%d clusters, stats.txt says %s" % (len(sizes), stats["clusters"])
assert max(sizes.values()) <= maxc + 1, "cluster of %d > max-copies + 1" % max(sizes.values())
print(len(sizes), sum(1 for v in sizes.values() if v > 1))
EOF
out=$($PY "$tmp/check.py" "$tmp/a" 3000 8 2>&1) && ok "3000 docs: every id labeled once, in order; $(echo "$out" | cut -d' ' -f1) clusters as stats.txt says; sizes <= 9; records well-formed" \
    || bad "labeled corpus check: $out"
out=$($PY "$tmp/check.py" "$tmp/j1" 20000 12 2>&1) && ok "20000 docs from 39 JSONL bases (heavy reuse): labels and records check" \
    || bad "JSONL corpus check: $out"

gen "$tmp/s" --seed=1 --docs=500 --dup-rate=0
out=$($PY "$tmp/check.py" "$tmp/s" 500 0 2>&1)
[ "$(echo "$out" | cut -d' ' -f1)" = 500 ] && ok "--dup-rate=0: 500 docs, 500 clusters" \
    || bad "--dup-rate=0: $out"

gen "$tmp/m" --seed=1 --docs=4000 --dup-rate=1 --max-copies=3
out=$($PY "$tmp/check.py" "$tmp/m" 4000 3 2>&1)
singles=$(awk -F'\t' '{n[$2]++} END {s=0; for (k in n) if (n[k]==1) s++; print s}' "$tmp/m/labels.tsv")
if [ $? -eq 0 ] && [ "$singles" -le 1 ]; then
    ok "--dup-rate=1 --max-copies=3: every cluster has 2-4 docs ($(echo "$out" | cut -d' ' -f1) clusters)"
else
    bad "--dup-rate=1: $out, $singles singletons"
fi

# Shares: about dup-rate of the stories are syndicated.
share=$(awk -F'\t' '$1=="clusters"{c=$2} $1=="syndicated_clusters"{s=$2} END {printf "%.3f", s/c}' "$tmp/a/stats.txt")
awk -v s="$share" 'BEGIN { exit !(s > 0.30 && s < 0.40) }' \
    && ok "--dup-rate=0.35: $share of the clusters are syndicated" || bad "syndicated share $share, asked 0.35"

# Reused bases are distinct stories: no cross-cluster pair reaches word-5-gram
# Jaccard 0.3 or containment 0.5 (the base is reused ~7 times in 3000 docs).
cat >"$tmp/cross.py" <<'EOF'
import json, re, sys, collections
d = sys.argv[1]
lab = dict(l.rstrip("\n").split("\t") for l in open(d + "/labels.tsv"))
docs = []
for line in open(d + "/docs.jsonl", encoding="utf-8"):
    o = json.loads(line)
    w = re.findall(r"\w+", o["text"].lower())
    docs.append((lab[o["id"]], {" ".join(w[i:i + 5]) for i in range(len(w) - 4)}))
index = collections.defaultdict(list)
for i, (_, s) in enumerate(docs):
    for g in s:
        index[g].append(i)
best_j = best_c = 0.0
for i, (ci, si) in enumerate(docs):
    shared = collections.Counter()
    for g in si:
        for j in index[g]:
            if j < i and docs[j][0] != ci:
                shared[j] += 1
    for j, k in shared.items():
        sj = docs[j][1]
        best_j = max(best_j, k / (len(si) + len(sj) - k))
        best_c = max(best_c, k / min(len(si), len(sj)))
print("%.3f %.3f" % (best_j, best_c))
EOF
out=$($PY "$tmp/cross.py" "$tmp/a" 2>&1)
j=$(echo "$out" | cut -d' ' -f1)
c=$(echo "$out" | cut -d' ' -f2)
awk -v j="$j" -v c="$c" 'BEGIN { exit !(j != "" && j < 0.3 && c < 0.5) }' \
    && ok "reused bases stay apart: max cross-cluster Jaccard $j, containment $c" \
    || bad "cross-cluster similarity too high: $out"

# The labels are what dedup finds (a loose bound: this checks the labels, not
# the engine's accuracy).
"$prog" dedup --clusters="$tmp/a/clusters.tsv" "$tmp/a/docs.jsonl" >/dev/null 2>&1
f1=$("$prog" score --json "$tmp/a/labels.tsv" "$tmp/a/clusters.tsv" 2>/dev/null | sed -n 's/.*"f1":\([0-9.]*\).*/\1/p')
awk -v f="$f1" 'BEGIN { exit !(f != "" && f > 0.9) }' && ok "dedup on the corpus agrees with its labels: F1 $f1" \
    || bad "dedup F1 against the labels: '$f1'"

# --- held-out edits (--edits=heldout) --------------------------------------
[ ! -e "$tmp/a/edits.tsv" ] && [ "$(grep -c '^edit' "$tmp/a/stats.txt")" -eq 10 ] \
    && ok "default edits: no edits.tsv, stats.txt lists the 10 dev edit types only" \
    || bad "default edits: edits.tsv written or held-out types in stats.txt"
# the JSONL sample: stories in paragraphs (reorder and followup need three)
gen "$tmp/h1" --base="$here/../datasets/sample/news.jsonl" --seed=7 --docs=3000 --edits=heldout -j1 &&
    gen "$tmp/h2" --base="$here/../datasets/sample/news.jsonl" --seed=7 --docs=3000 --edits=heldout -j2
same=1
for f in docs.jsonl labels.tsv edits.tsv stats.txt; do
    [ -s "$tmp/h1/$f" ] && [ "$(sum "$tmp/h1/$f")" = "$(sum "$tmp/h2/$f")" ] || same=0
done
[ $same -eq 1 ] && ok "--edits=heldout: same sha256 of docs, labels, edits, stats with 1 and 2 threads" \
    || bad "--edits=heldout: different bytes with 1 and 2 threads"
out=$($PY "$tmp/check.py" "$tmp/h1" 3000 8 2>&1) && ok "--edits=heldout: labels and records check" \
    || bad "--edits=heldout corpus check: $out"
# Each held-out edit leaves its mark on the documents edits.tsv names (on 90 %
# of them: OCR noise, applied later, may blur a mark), and hard negatives
# are clusters of their own.
cat >"$tmp/heldout.py" <<'PYEOF'
import json, re, sys, collections
d = sys.argv[1]
lab = dict(l.rstrip("\n").split("\t") for l in open(d + "/labels.tsv"))
ed = dict(l.rstrip("\n").split("\t") for l in open(d + "/edits.tsv"))
assert list(ed) == list(lab), "edits.tsv ids differ from labels.tsv ids"
size = collections.Counter(lab.values())
docs = {}
for line in open(d + "/docs.jsonl", encoding="utf-8"):
    o = json.loads(line)
    docs[o["id"]] = o
marks = {
    "html": lambda o: "<p>" in o["text"] and "</p>" in o["text"],
    "correction": lambda o: o["title"].startswith("CORRECTED-") and "(Corrects " in o["text"],
    "hyphen": lambda o: re.search(r"[A-Za-z]{2}-\n[a-z]", o["text"]),
    "local": lambda o: re.search(r"(trade group|chamber of commerce|analyst|mayor|union rep|economist|plant manager|development office)", o["text"], re.I),
    "followup": lambda o: "Earlier this week: " in o["text"],
    "numbers": lambda o: True, "reorder": lambda o: True, "resplit": lambda o: True,
    "template": lambda o: True,
}
count, unmarked = collections.Counter(), collections.Counter()
for i, e in ed.items():
    for k in e.split(","):
        if k == "-":
            continue
        count[k] += 1
        unmarked[k] += not marks[k](docs[i])
        if k in ("template", "followup"):
            assert size[lab[i]] == 1, "%s: hard negative %s shares cluster %s" % (i, k, lab[i])
blurred = [k for k in count if unmarked[k] > 0.1 * count[k]]
assert not blurred, "no sign of the edit in > 10 %% of its documents: %s" % blurred
missing = [k for k in marks if k != "template" and count[k] < 5]
assert not missing, "edit types seldom or never made: %s" % missing
print(" ".join("%s:%d" % kv for kv in sorted(count.items())))
PYEOF
out=$($PY "$tmp/heldout.py" "$tmp/h1" 2>&1) && ok "held-out edits show in the documents edits.tsv names ($out)" \
    || bad "held-out edits: $out"
# Hard negatives are hard but not mislabeled: Jaccard stays below 0.3 across
# clusters. Containment is not bounded here: a follow-up quotes a paragraph,
# and a copy truncated to that paragraph's story lead is mostly inside it.
out=$($PY "$tmp/cross.py" "$tmp/h1" 2>&1)
j=$(echo "$out" | cut -d' ' -f1)
c=$(echo "$out" | cut -d' ' -f2)
awk -v j="$j" 'BEGIN { exit !(j != "" && j < 0.3) }' \
    && ok "held-out hard negatives stay apart: max cross-cluster Jaccard $j (containment $c)" \
    || bad "held-out cross-cluster similarity too high: $out"

# --- usage errors ----------------------------------------------------------
"$prog" gen --out="$tmp/x" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "no --base: exit 2" || bad "no --base: exit $rc"
"$prog" gen --base="$tmp/base.txt" --out="$tmp/x" --edits=bogus:0.5 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown edit: exit 2" || bad "unknown edit: exit $rc"
"$prog" gen --base="$tmp/base.txt" --out="$tmp/x" --edits=ocr:1.5 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "edit rate above 1: exit 2" || bad "edit rate 1.5: exit $rc"
"$prog" gen --base="$tmp/missing.jsonl" --out="$tmp/x" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && ok "missing base file: exit 3" || bad "missing base file: exit $rc"
printf '{"text": 5}\n' >"$tmp/badbase.jsonl"
"$prog" gen --base="$tmp/badbase.jsonl" --out="$tmp/x" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && ok "non-string text in the base: exit 3" || bad "bad base record: exit $rc"
"$prog" gen --help | grep -q -- "--edits" && ok "--help lists the options" || bad "--help"

echo "gen: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
