# Similarity of true pairs and of non-duplicate pairs (wiredup tune).
# Run: gnuplot similarity.gp
reset
set terminal pngcairo size 900,600 font ',10' noenhanced
set output 'similarity.png'
set title 'Estimated Jaccard of pairs (word:5, 128 hashes; recommended threshold 0.3)'
set xlabel 'estimated Jaccard'
set ylabel 'pairs (log scale)'
set logscale y
set yrange [0.5:*]
set xrange [0:1]
set grid
set style fill transparent solid 0.45 border
set boxwidth 0.0200
set key top right box opaque
set arrow from 0.3, graph 0 to 0.3, graph 1 nohead lw 2 dt 2 lc rgb '#000000'
plot 'similarity.dat' using 1:($3 > 0 ? $3 : 1/0) with boxes lc rgb '#d62728' title 'non-duplicate pairs', \
     'similarity.dat' using 1:($2 > 0 ? $2 : 1/0) with boxes lc rgb '#1f77b4' title 'true pairs', \
     NaN with lines dt 2 lw 2 lc rgb '#000000' title 'threshold 0.3 (pairs below it can match by containment)'
