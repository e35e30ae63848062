# F1 against throughput for every configuration (wiredup tune).
# Run: gnuplot f1-speed.gp
reset
set terminal pngcairo size 900,600 font ',10' noenhanced
set output 'f1-speed.png'
set title 'F1 against throughput (7501 documents)'
set xlabel 'documents per second'
set ylabel 'pairwise F1'
set key below
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot 'f1-speed.dat' index 0 using 1:2 with points pt 6 ps 1.2 lc rgb '#808080' title 'configuration', \
     'f1-speed.dat' index 1 using 1:2 with linespoints pt 7 ps 1.2 lw 2 lc rgb '#1f77b4' title 'Pareto front', \
     'f1-speed.dat' index 1 using 1:2:4 with labels offset 0,1 font ',8' notitle, \
     'f1-speed.dat' index 2 using 1:2 with points pt 3 ps 3 lw 2 lc rgb '#d62728' title 'recommended: #23 word:5, 128 hashes, lsh 41x2a, t 0.3, c 0.5'
