#!/bin/sh
# eval-heldout.sh - the held-out evaluation: two labelled sets that tuning on
# syndication-dev never saw, scored with the default parameters.
#
#   sh bench/eval-heldout.sh PATH/TO/wiredup REUTERS_DIR
#
#   1. synthetic: `wiredup gen --edits=heldout` on stories from
#      reut2-014..021.sgm (dev drew from 000..013 only), so both the stories
#      and the edit types are new: paragraph reordering, sentence splits and
#      merges, an inserted local paragraph, number formats, re-issued
#      corrections, HTML remnants, broken hyphenation, plus hard negatives
#      (another company on a table's template, follow-ups quoting a
#      paragraph). Gated: precision, F1 and ARI floors below.
#   2. real corrections: Reuters' own "CORRECTED -" re-issues paired with
#      their originals (bench/corrections.py), among same-company stories of
#      the same days. Scores only: 34 corrections are too few for a floor,
#      and the title-based pairing has a few doubtful labels.
#
# The data is read from REUTERS_DIR at each run, never stored in the
# repository; without it the evaluation is skipped (exit 0). Exit 1 when a
# floor is missed, 2 when a step fails.

# Floors: measured P 0.9989, F1 0.9874, ARI 0.9874 (seed 5, after the text
# repairs; 0.9706 before them), minus a margin. The set is deterministic
# (same bytes for any thread count), so the margin is not run-to-run noise:
# it covers what another draw of the same model gives (seeds 5-8 spread
# over about 0.006 of F1) and lets a deliberate engine
# change trade a little recall (0.02 of F1 is about 110 of the ~5,400 true
# pairs) without a red gate, while a real regression on unseen edits shows.
MIN_P=0.99
MIN_F1=0.965
MIN_ARI=0.965
SEED=5
DOCS=6000
OUT=build/eval/heldout
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 2 ]; then
    echo "usage: sh bench/eval-heldout.sh PATH/TO/wiredup REUTERS_DIR" >&2
    exit 2
fi
PROG=$1
DIR=$2
if [ ! -f "$DIR/reut2-014.sgm" ]; then
    echo "eval-heldout: skipped: $DIR/reut2-014.sgm not found"
    exit 0
fi
PY=python3
command -v /usr/bin/python3 >/dev/null 2>&1 && PY=/usr/bin/python3
mkdir -p "$OUT" || exit 2

# scores LABELS CLUSTERS: prints "precision recall f1 ari" on one line.
scores() {
    "$PROG" score "$1" "$2" | awk 'NR <= 4 { v[NR] = $2 } END { print v[1], v[2], v[3], v[4] }'
}
# below VALUE MIN: true when VALUE < MIN or VALUE is not a number.
below() {
    awk -v v="$1" -v m="$2" 'BEGIN { exit !(v == "" || v + 0 < m + 0) }'
}
# cluster DOCS CLUSTERS: dedup with the defaults (exit 1 = duplicates found).
cluster() {
    rm -f "$2"
    "$PROG" dedup --clusters="$2" "$1" >/dev/null
    rc=$?
    if [ "$rc" -gt 1 ] || [ ! -f "$2" ]; then
        echo "eval-heldout: FAIL: wiredup dedup exited with status $rc" >&2
        exit 2
    fi
}

echo
echo "eval-heldout: synthetic, held-out edit types (gen --edits=heldout --seed=$SEED, reut2-014..021), default parameters"
$PY "$here/reuters-base.py" "$DIR" 14 21 "$OUT/base.jsonl" >/dev/null || exit 2
"$PROG" gen -q --base="$OUT/base.jsonl" --seed=$SEED --docs=$DOCS --edits=heldout -o "$OUT/synthetic" || exit 2
cluster "$OUT/synthetic/docs.jsonl" "$OUT/synthetic/clusters.tsv"
set -- $(scores "$OUT/synthetic/labels.tsv" "$OUT/synthetic/clusters.tsv")
p=$1 r=$2 f1=$3 ari=$4
printf '  precision %s  recall %s  f1 %s  ari %s\n' "$p" "$r" "$f1" "$ari"
$PY "$here/heldout-breakdown.py" "$OUT/synthetic/labels.tsv" "$OUT/synthetic/clusters.tsv" \
    "$OUT/synthetic/edits.tsv" || exit 2
status=0
for m in "precision $p $MIN_P" "f1 $f1 $MIN_F1" "ari $ari $MIN_ARI"; do
    set -- $m
    if below "$2" "$3"; then
        echo "eval-heldout: FAIL: $1 $2 < $3"
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "eval-heldout: pass (precision >= $MIN_P, f1 >= $MIN_F1, ari >= $MIN_ARI)"

echo
$PY "$here/corrections.py" "$DIR" "$OUT/corrections" >"$OUT/corrections.log" || exit 2
sed 's/^corrections:/eval-heldout: real wire corrections:/' "$OUT/corrections.log"
cluster "$OUT/corrections/docs.jsonl" "$OUT/corrections/clusters.tsv"
set -- $(scores "$OUT/corrections/labels.tsv" "$OUT/corrections/clusters.tsv")
printf '  precision %s  recall %s  f1 %s  ari %s  (no floor)\n' "$1" "$2" "$3" "$4"
exit "$status"
