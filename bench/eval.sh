#!/bin/sh
# eval.sh - quality gate: cluster a labelled data set with the default
# parameters and score the clusters against its labels.
#
#   sh bench/eval.sh PATH/TO/wiredup DATASET_DIR
#
# DATASET_DIR holds docs.jsonl and labels.tsv (see datasets/README.md in the
# shared data). Without docs.jsonl the evaluation is skipped (exit 0), so
# `make eval` works on a machine without the data. Exit status 1 when F1 or
# ARI falls below the gate, 2 on bad usage or when a step fails.

MIN_F1=0.97
MIN_ARI=0.97
OUT=build/eval

if [ $# -ne 2 ]; then
    echo "usage: sh bench/eval.sh PATH/TO/wiredup DATASET_DIR" >&2
    exit 2
fi
PROG=$1
DIR=$2

if [ ! -f "$DIR/docs.jsonl" ]; then
    echo "eval: skipped: $DIR not found"
    exit 0
fi

echo "eval: $(basename "$DIR"), default parameters"
mkdir -p "$OUT" || exit 2
rm -f "$OUT/clusters.tsv"

# Exit code 1 means "duplicates found" and is only given when asked for;
# accept it anyway, since finding duplicates is the point here.
"$PROG" dedup --clusters="$OUT/clusters.tsv" "$DIR/docs.jsonl" > /dev/null
rc=$?
if [ "$rc" -gt 1 ] || [ ! -f "$OUT/clusters.tsv" ]; then
    echo "eval: FAIL: wiredup dedup exited with status $rc" >&2
    exit 2
fi

"$PROG" score "$DIR/labels.tsv" "$OUT/clusters.tsv" || {
    echo "eval: FAIL: wiredup score failed" >&2
    exit 2
}
json=$("$PROG" score --json "$DIR/labels.tsv" "$OUT/clusters.tsv") || exit 2

# field NAME: the number after "NAME": in the JSON object.
field() {
    printf '%s\n' "$json" | sed -n "s/.*\"$1\":\([-+0-9.eE]*\).*/\1/p"
}
f1=$(field f1)
ari=$(field ari)

# below VALUE MIN: true when VALUE < MIN or VALUE is not a number.
below() {
    awk -v v="$1" -v m="$2" 'BEGIN { exit !(v == "" || v + 0 < m + 0) }'
}

status=0
if below "$f1" "$MIN_F1"; then
    echo "eval: FAIL: f1 $f1 < MIN_F1 $MIN_F1"
    status=1
fi
if below "$ari" "$MIN_ARI"; then
    echo "eval: FAIL: ari $ari < MIN_ARI $MIN_ARI"
    status=1
fi
[ "$status" -eq 0 ] && echo "eval: pass (f1 $f1 >= $MIN_F1, ari $ari >= $MIN_ARI)"
exit "$status"
