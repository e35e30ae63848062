#!/bin/sh
# bench.sh - throughput of `wiredup dedup --clusters=FILE` on the benchmark
# corpora (`make bench` runs it; see PERFORMANCE.md).
#
#   sh bench/bench.sh PATH/TO/wiredup [SHARED_DATASETS_DIR]
#
# For each corpus (made by datasets/make-corpora.sh from the shared data)
# and each thread count: one warm-up run, then BENCH_RUNS timed runs; it
# prints the median end-to-end MB/s and docs/s, the spread, peak RSS and
# bytes of RSS per document, the thread scaling ratio, and the sha256 of the
# clusters output (the same for every thread count, or the run fails: a
# speed-up that changes results is caught). Then the per-stage figures of
# bench-stages (bench/stages.c), and plots when gnuplot is there.
#
# Environment:
#   BENCH_CORPUS   long, short or both (default both)
#   BENCH_RUNS     timed runs per figure (default 5)
#   BENCH_THREADS  thread counts (default: 1 to the number of cores, at least "1 2")
#   BENCH_QUICK=1  small corpora (build/corpus-quick: 60,000 long and 100,000
#                  short documents) and 3 runs, for a small machine or a smoke test
#   BENCH_STAGES=0 skip the per-stage table; BENCH_STAGE_RUNS (default 3);
#                  BENCH_STAGE_WARMUP=0 no warm-up run before them
#   BENCH_ARGS     extra dedup options (e.g. "--sketch=oph")
#   BENCH_OUT      where CSV, logs and plots go (default build/bench)
#   BENCH_PLOT_DIR where the PNG plots go (default $BENCH_OUT; "doc" refreshes
#                  doc/perf-threads.png and doc/perf-stages.png)
# Without the shared data the benchmark is skipped (exit 0).
set -u
PROG=${1:?usage: sh bench/bench.sh PATH/TO/wiredup [SHARED_DATASETS_DIR]}
SHARED=${2:-../shared/datasets}
here=$(cd "$(dirname "$0")" && pwd)
OUT=${BENCH_OUT:-build/bench}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${BENCH_RUNS:-3}
    CORPUS_DIR=${CORPUS_DIR:-build/corpus-quick}
    export LONG_DOCS=${LONG_DOCS:-60000} SHORT_DOCS=${SHORT_DOCS:-100000}
else
    RUNS=${BENCH_RUNS:-5}
    CORPUS_DIR=${CORPUS_DIR:-build/corpus}
fi
export CORPUS_DIR
WHICH=${BENCH_CORPUS:-both}
NCPU=$(nproc 2>/dev/null || echo 2)
if [ -z "${BENCH_THREADS:-}" ]; then
    BENCH_THREADS=$(seq 1 "$([ "$NCPU" -lt 2 ] && echo 2 || echo "$NCPU")" | tr '\n' ' ')
fi
STAGES=${BENCH_STAGES:-1}
STAGE_RUNS=${BENCH_STAGE_RUNS:-3}
ARGS=${BENCH_ARGS:-}
PLOT_DIR=${BENCH_PLOT_DIR:-$OUT}
STAGES_BIN=$(dirname "$PROG")/bench-stages

case "$WHICH" in long) CORPORA=long ;; short) CORPORA=short ;; both) CORPORA="long short" ;;
    *) echo "bench: BENCH_CORPUS must be long, short or both" >&2; exit 2 ;; esac

if [ ! -d "$SHARED/reuters21578" ]; then
    echo "bench: skipped: $SHARED not found (set SHARED=...)"
    exit 0
fi
mkdir -p "$OUT" "$PLOT_DIR" || exit 2
sh "$here/../datasets/make-corpora.sh" "$PROG" "$SHARED" >"$OUT/corpora.log" 2>&1 || {
    cat "$OUT/corpora.log" >&2
    echo "bench: making the corpora failed" >&2
    exit 2
}

# --- the machine and the build --------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512bw|avx512vl|bmi2|sha_ni)$' | tr '\n' ' ')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
commit=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$here/.." diff --quiet HEAD 2>/dev/null || commit="$commit+dirty"
isa=$("$PROG" --version -v 2>/dev/null | sed -n 's/^isa //p')
echo "bench: $cpu, $NCPU cores, $mem; flags: $flags"
echo "bench: $("${CC:-cc}" --version 2>/dev/null | head -1); commit $commit; $("$PROG" --version | head -1), isa ${isa:-?}"
echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine makes figures noisy)"
echo "bench: method: 1 warm-up run, median of $RUNS runs; corpus read from the page cache"
{
    echo "cpu,$cpu"; echo "cores,$NCPU"; echo "memory,$mem"; echo "flags,$flags"
    echo "commit,$commit"; echo "isa,$isa"; echo "runs,$RUNS"; echo "args,$ARGS"
    echo "date,$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$OUT/machine.csv"

# --- timing one run --------------------------------------------------------
# run_once T CORPUS CLUSTERS: prints "seconds peak_rss_kb" of one dedup run.
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
    HAVE_TIME=1
else
    HAVE_TIME=0
fi
now() { date +%s.%N; }
run_once() {
    t=$1 corpus=$2 clusters=$3
    if [ "$HAVE_TIME" = 1 ]; then
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %M" -o "$OUT/time.tmp" "$PROG" dedup -j"$t" $ARGS --clusters="$clusters" \
            "$corpus" >/dev/null 2>"$OUT/dedup.err" || { cat "$OUT/dedup.err" >&2; return 1; }
        # %e has 10 ms resolution: time the run ourselves too, keep %M
        cat "$OUT/time.tmp"
    else
        # No GNU time: sample VmHWM from /proc while the run lasts.
        # shellcheck disable=SC2086
        "$PROG" dedup -j"$t" $ARGS --clusters="$clusters" "$corpus" >/dev/null 2>"$OUT/dedup.err" &
        pid=$!
        hwm=0
        while kill -0 "$pid" 2>/dev/null; do
            v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
            [ -n "$v" ] && hwm=$v
            sleep 0.05
        done
        wait "$pid" || { cat "$OUT/dedup.err" >&2; return 1; }
        echo "0 $hwm"
    fi
}

# median of numbers on stdin (one per line)
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

RES="$OUT/results.csv"
rm -f "$OUT/ceilings.csv"
echo "corpus,threads,runs,median_s,min_s,max_s,mb_per_s,docs_per_s,peak_rss_kb,rss_bytes_per_doc,clusters_sha256" >"$RES"
status=0
for name in $CORPORA; do
    corpus="$CORPUS_DIR/$name.jsonl"
    bytes=$(wc -c <"$corpus")
    docs=$(wc -l <"$corpus")
    csum=$(sha256sum <"$corpus" | cut -c1-16)
    cat "$corpus" >/dev/null # into the page cache
    echo
    echo "== $name: $corpus, $bytes bytes, $docs docs ($((bytes / docs)) bytes/doc), sha256 $csum..."
    # the machine's ceilings on the same bytes
    for c in "cat" "xxhsum -H3"; do
        command -v "${c%% *}" >/dev/null 2>&1 || continue
        : >"$OUT/runs.tmp"
        for r in $(seq 0 "$RUNS"); do
            a=$(now)
            $c "$corpus" >/dev/null 2>&1
            b=$(now)
            [ "$r" -gt 0 ] && echo "$a $b" | awk '{printf "%.4f\n", $2 - $1}' >>"$OUT/runs.tmp"
        done
        med=$(median <"$OUT/runs.tmp")
        echo "ceiling: $c: $(awk -v b="$bytes" -v s="$med" 'BEGIN {printf "%.0f MB/s (%.3f s)", b / 1e6 / s, s}')"
        echo "$name,ceiling:$c,$RUNS,$med,,,$(awk -v b="$bytes" -v s="$med" 'BEGIN {printf "%.1f", b / 1e6 / s}'),,,," >>"$OUT/ceilings.csv"
    done
    printf '%-8s %9s %9s %9s %10s %11s %10s %9s  %s\n' threads median_s min_s max_s MB/s docs/s peak_RSS B/doc "clusters sha256"
    ref_sum="" one_mbs=""
    for t in $BENCH_THREADS; do
        clusters="$OUT/clusters-$name-j$t.tsv"
        run_once "$t" "$corpus" "$clusters" >/dev/null || { status=2; continue; } # warm-up
        : >"$OUT/runs.tmp"
        for r in $(seq 1 "$RUNS"); do
            a=$(now)
            res=$(run_once "$t" "$corpus" "$clusters") || { status=2; break; }
            b=$(now)
            echo "$(echo "$a $b" | awk '{printf "%.4f", $2 - $1}') $(echo "$res" | cut -d' ' -f2)" >>"$OUT/runs.tmp"
        done
        med=$(cut -d' ' -f1 "$OUT/runs.tmp" | median)
        lo=$(cut -d' ' -f1 "$OUT/runs.tmp" | sort -g | head -1)
        hi=$(cut -d' ' -f1 "$OUT/runs.tmp" | sort -g | tail -1)
        rss=$(cut -d' ' -f2 "$OUT/runs.tmp" | median)
        sum=$(sha256sum <"$clusters" | cut -d' ' -f1)
        mbs=$(awk -v b="$bytes" -v s="$med" 'BEGIN {printf "%.1f", b / 1e6 / s}')
        dps=$(awk -v d="$docs" -v s="$med" 'BEGIN {printf "%.0f", d / s}')
        bpd=$(awk -v r="$rss" -v d="$docs" 'BEGIN {printf "%.0f", r * 1024 / d}')
        printf '%-8s %9.3f %9.3f %9.3f %10s %11s %8.0fMB %9s  %s\n' "$t" "$med" "$lo" "$hi" "$mbs" "$dps" \
            "$(awk -v r="$rss" 'BEGIN {print r / 1024}')" "$bpd" "$(echo "$sum" | cut -c1-16)"
        echo "$name,$t,$RUNS,$med,$lo,$hi,$mbs,$dps,$rss,$bpd,$sum" >>"$RES"
        if [ -z "$ref_sum" ]; then
            ref_sum=$sum
        elif [ "$sum" != "$ref_sum" ]; then
            echo "bench: FAIL: $name: the clusters output with -j$t differs from -j$(echo "$BENCH_THREADS" | cut -d' ' -f1)" >&2
            status=1
        fi
        [ "$t" = 1 ] && one_mbs=$mbs
        if [ "$t" != 1 ] && [ -n "$one_mbs" ]; then
            echo "         scaling 1 -> $t threads: $(awk -v a="$one_mbs" -v b="$mbs" 'BEGIN {printf "%.2fx", b / a}')"
        fi
    done
    rm -f "$OUT/runs.tmp" "$OUT/time.tmp"
done

# --- per stage -------------------------------------------------------------
if [ "$STAGES" = 1 ]; then
    rm -f "$OUT/stages.csv"
    if [ ! -x "$STAGES_BIN" ]; then
        echo "bench: $STAGES_BIN not built (make $STAGES_BIN); per-stage table skipped"
    else
        for name in $CORPORA; do
            echo
            # shellcheck disable=SC2086
            "$STAGES_BIN" --runs="$STAGE_RUNS" $([ "${BENCH_STAGE_WARMUP:-1}" = 0 ] && echo --no-warmup) --csv="$OUT/stages.csv" \
                --label="$name" "$CORPUS_DIR/$name.jsonl" || status=2
        done
    fi
fi

# --- plots -----------------------------------------------------------------
if [ -f "$OUT/stages.csv" ]; then # stage, seconds per GB on long, on short
    awk -F, 'NR > 1 { if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
                      v[$2 "," $1] = $4 > 0 ? 1000 / $4 : 0 }
             END { for (i = 1; i <= n; i++) { s = order[i]
                   printf "%s %.3f %.3f\n", s, v[s ",long"] + 0, v[s ",short"] + 0 } }' \
        "$OUT/stages.csv" >"$OUT/stages-plot.dat"
fi
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "results='$RES'; stagesdat='$OUT/stages-plot.dat'; outdir='$PLOT_DIR'" "$here/plot.gp" 2>"$OUT/plot.log" \
        && echo && echo "bench: plots: $PLOT_DIR/perf-threads.png $PLOT_DIR/perf-stages.png" \
        || echo "bench: gnuplot failed (see $OUT/plot.log)"
fi
echo "bench: CSV: $RES $([ -f "$OUT/stages.csv" ] && echo "$OUT/stages.csv ")$OUT/machine.csv"
exit "$status"
