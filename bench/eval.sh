#!/bin/sh
# eval.sh - quality gate: cluster a labelled data set with the default
# parameters and score the clusters against its labels.
#
#   sh bench/eval.sh PATH/TO/wiredup DATASET_DIR
#
# DATASET_DIR holds docs.jsonl and labels.tsv (see datasets/README.md in the
# shared data). Without docs.jsonl the evaluation is skipped (exit 0), so
# `make eval` works on a machine without the data. Exit status 1 when
# precision, F1 or ARI falls below the gate (issue #5's targets for the
# defaults: precision >= 0.99, F1 and ARI >= 0.985), 2 on bad usage or when
# a step fails.

MIN_P=0.99
MIN_F1=0.985
MIN_ARI=0.985
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
p=$(field precision)
f1=$(field f1)
ari=$(field ari)

# below VALUE MIN: true when VALUE < MIN or VALUE is not a number.
below() {
    awk -v v="$1" -v m="$2" 'BEGIN { exit !(v == "" || v + 0 < m + 0) }'
}

status=0
if below "$p" "$MIN_P"; then
    echo "eval: FAIL: precision $p < MIN_P $MIN_P"
    status=1
fi
if below "$f1" "$MIN_F1"; then
    echo "eval: FAIL: f1 $f1 < MIN_F1 $MIN_F1"
    status=1
fi
if below "$ari" "$MIN_ARI"; then
    echo "eval: FAIL: ari $ari < MIN_ARI $MIN_ARI"
    status=1
fi
[ "$status" -eq 0 ] && echo "eval: pass (precision $p >= $MIN_P, f1 $f1 >= $MIN_F1, ari $ari >= $MIN_ARI)"

# Other methods and settings side by side (information, no gate). A method
# this build refuses (exit 2) is listed as not available.
echo
echo "eval: other settings (precision recall f1 ari)"
for opts in "--containment=0" "--cluster=leader" "--cluster=leader -t 0.15 -c 0.3" \
            "--sketch=oph" "--shingle=word:3 -t 0.35" \
            "--sketch=simhash --max-distance=3" "--sketch=simhash --max-distance=10" \
            "--template-share=0.02" "--template-share=0.1"; do
    # shellcheck disable=SC2086
    if "$PROG" dedup $opts --clusters="$OUT/other.tsv" "$DIR/docs.jsonl" >/dev/null 2>"$OUT/other.err"; then
        "$PROG" score "$DIR/labels.tsv" "$OUT/other.tsv" |
            awk -v o="$opts" 'NR <= 4 { v[NR] = $2 } END { printf "  %-40s %s %s %s %s\n", o, v[1], v[2], v[3], v[4] }'
    else
        printf '  %-40s not available: %s\n' "$opts" "$(head -1 "$OUT/other.err")"
    fi
done
exit "$status"
