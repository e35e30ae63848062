# plot.gp - the plots of PERFORMANCE.md from the CSV files of bench/bench.sh.
#
#   gnuplot -e "results='build/bench/results.csv'; stages='build/bench/stages.csv'; outdir='doc'" bench/plot.gp
#
# perf-threads.png: end-to-end MB/s of `wiredup dedup --clusters` against
# threads, one line per corpus. perf-stages.png: seconds per GB of input of
# each stage on one thread (bench-stages), both corpora side by side, from
# stagesdat (default OUTDIR/stages-plot.dat, written by bench.sh: stage,
# long, short).
if (!exists("results")) results = 'build/bench/results.csv'
if (!exists("stages")) stages = 'build/bench/stages.csv'
if (!exists("outdir")) outdir = 'build/bench'
set datafile separator ','
set terminal pngcairo size 900,540 noenhanced font 'sans,11'

set output outdir.'/perf-threads.png'
set title 'wiredup dedup --clusters: end-to-end throughput (median of runs)'
set xlabel 'threads'
set ylabel 'MB/s'
set key top left
set grid ytics
set xtics 1
set yrange [0:*]
stats results skip 1 using 2 nooutput
set xrange [0.5:STATS_max + 0.5]
plot results skip 1 using 2:(strcol(1) eq 'long' ? $7 : 1/0) with linespoints lw 2 pt 7 title 'long (news articles, 1-5 KB)', \
     ''      skip 1 using 2:(strcol(1) eq 'short' ? $7 : 1/0) with linespoints lw 2 pt 5 title 'short (~200-byte snippets)', \
     ''      skip 1 using 2:(strcol(1) eq 'long' ? $7 : 1/0):(sprintf('%.0f', $7)) with labels offset 0,1 notitle, \
     ''      skip 1 using 2:(strcol(1) eq 'short' ? $7 : 1/0):(sprintf('%.0f', $7)) with labels offset 0,-1 notitle

if (!exists("stagesdat")) stagesdat = outdir.'/stages-plot.dat'
if (int(system(sprintf("test -s '%s' && echo 1 || echo 0", stagesdat))) == 0) exit
set output outdir.'/perf-stages.png'
set datafile separator whitespace
unset xrange
set xlabel 'stage (library = wd_index_add running normalize..index, for comparison)'
set ylabel 'seconds per GB of input'
set title 'time per stage, 1 thread (bench-stages, median of runs)'
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set xtics norotate nomirror
set key top left
plot stagesdat using 2:xtic(1) title 'long' lc rgb '#4477aa', \
     ''        using 3 title 'short' lc rgb '#cc6677', \
     ''        using ($0 - 0.15):2:(sprintf('%.1f', $2)) with labels offset 0,0.6 font ',8' notitle, \
     ''        using ($0 + 0.15):3:(sprintf('%.1f', $3)) with labels offset 0,0.6 font ',8' notitle
