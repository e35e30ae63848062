#!/bin/sh
# make-corpora.sh - the benchmark corpora, made deterministically from the
# shared Reuters-21578 and AG News text with `wiredup gen`.
#
#   sh datasets/make-corpora.sh [PATH/TO/wiredup [SHARED_DATASETS_DIR]]
#
# Writes (under build/, never committed: the shared data must not be copied
# into the repository):
#   build/corpus/long.jsonl    >= 1 GB of news articles (bodies of 0.9-4.8 KB
#                              Reuters stories, 1-5 KB documents) with
#                              syndicated copies; long.labels.tsv, long.stats.txt
#   build/corpus/short.jsonl   1,000,000 snippets of about 200 bytes (AG News
#                              descriptions) with copies; short.labels.tsv, ...
# and prints their sizes and sha256. A corpus whose recorded recipe
# (build/corpus/NAME.recipe) matches is not made again.
#
# Environment: CORPUS_DIR (default build/corpus), LONG_DOCS (600000),
# SHORT_DOCS (1000000), SEED (1): smaller corpora for a small machine, e.g.
#   CORPUS_DIR=build/corpus-quick LONG_DOCS=60000 SHORT_DOCS=100000 sh datasets/make-corpora.sh
# Skips with a message (exit 0) when the shared data is absent.
set -u
PROG=${1:-build/wiredup}
SHARED=${2:-../shared/datasets}
DIR=${CORPUS_DIR:-build/corpus}
LONG_DOCS=${LONG_DOCS:-600000}
SHORT_DOCS=${SHORT_DOCS:-1000000}
SEED=${SEED:-1}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -d "$SHARED/reuters21578" ] || [ ! -f "$SHARED/ag_news/test.csv" ]; then
    echo "make-corpora: skipped: $SHARED/reuters21578 or $SHARED/ag_news/test.csv not found"
    exit 0
fi
if [ ! -x "$PROG" ]; then
    echo "make-corpora: $PROG not found (run make first)" >&2
    exit 2
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
mkdir -p "$DIR" || exit 2

# The bases (small, cheap: remade every time so that they follow the scripts).
$PY "$here/reuters2jsonl.py" --out="$DIR/base-reuters.jsonl" "$SHARED/reuters21578" || exit 2
$PY "$here/agnews2jsonl.py" --out="$DIR/base-agnews.jsonl" "$SHARED/ag_news/test.csv" || exit 2

# What makes the output: the generator's sources when they are here (so that
# work on the engine does not remake a 1 GB corpus), else the program.
if ls "$here"/../src/gen/*.c >/dev/null 2>&1; then
    GEN_HASH=$(cat "$here"/../src/gen/*.[ch] "$here"/../src/cli/gen.c | sha256sum | cut -c1-16)
else
    GEN_HASH=$(sha256sum <"$PROG" | cut -c1-16)
fi

# make NAME BASE DOCS [gen options...]: builds DIR/NAME.jsonl unless its
# recipe (options, base and generator checksums) is unchanged.
make_corpus() {
    name=$1 base=$2 docs=$3
    shift 3
    recipe="gen $* --seed=$SEED --docs=$docs base=$(sha256sum <"$base" | cut -c1-16) generator=$GEN_HASH"
    if [ -f "$DIR/$name.jsonl" ] && [ -f "$DIR/$name.recipe" ] && [ "$(cat "$DIR/$name.recipe")" = "$recipe" ]; then
        echo "make-corpora: $name: up to date"
        return 0
    fi
    rm -f "$DIR/$name.recipe"
    "$PROG" gen --base="$base" --seed="$SEED" --docs="$docs" --out="$DIR/$name.d" "$@" || exit 2
    mv "$DIR/$name.d/docs.jsonl" "$DIR/$name.jsonl" &&
        mv "$DIR/$name.d/labels.tsv" "$DIR/$name.labels.tsv" &&
        mv "$DIR/$name.d/stats.txt" "$DIR/$name.stats.txt" &&
        rmdir "$DIR/$name.d" || exit 2
    echo "$recipe" >"$DIR/$name.recipe"
}

# News articles: Reuters stories with 0.9-4.8 KB bodies, the default edit mix.
# The converters drop near-duplicate bases already, by exact 5-gram sets
# (--base-dedup=0: the corpus never depends on the engine being measured).
make_corpus long "$DIR/base-reuters.jsonl" "$LONG_DOCS" --base-dedup=0 --min-chars=900 --max-chars=4800
# Snippets: AG News descriptions, text without the title, lighter edits
# (snippets carry no byline or trailer; identical boilerplate in most of a
# 200-byte document would also make every copy a candidate of every other).
make_corpus short "$DIR/base-agnews.jsonl" "$SHORT_DOCS" --base-dedup=0 --title-in-text=no \
    --edits=byline:0,trailer:0,truncate:0.2,drop:0.1

for name in long short; do
    f="$DIR/$name.jsonl"
    bytes=$(wc -c <"$f")
    docs=$(wc -l <"$f")
    echo "$f: $bytes bytes, $docs docs, $((bytes / docs)) bytes/doc, sha256 $(sha256sum <"$f" | cut -d' ' -f1)"
done
