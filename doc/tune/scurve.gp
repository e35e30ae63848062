# S-curves of the LSH shapes on the Pareto front, with the measured
# candidate rate of true pairs (wiredup tune). Run: gnuplot scurve.gp
reset
set terminal pngcairo size 900,600 font ',10' noenhanced
set output 'scurve.png'
set title 'LSH S-curves and measured candidate rate of true pairs'
set xlabel 'exact Jaccard s of the pair'
set ylabel 'P(candidate)'
set xrange [0:1]
set yrange [0:1.05]
set key bottom right box opaque
set grid
plot 'scurve.dat' index 0 with lines lw 2 lc 1 title '41x2 (word:5, 128 hashes): 1-(1-s^2)^41, predicted miss 1.49%', \
     'scurve.dat' index 4 using 1:2:4 with yerrorbars pt 7 ps 1 lc 1 title '41x2 measured (+-1 s.e.), miss 1.61%', \
     'scurve.dat' index 1 with lines lw 2 lc 2 title '29x2 (word:5, 128 hashes): 1-(1-s^2)^29, predicted miss 2.45%', \
     'scurve.dat' index 5 using 1:2:4 with yerrorbars pt 7 ps 1 lc 2 title '29x2 measured (+-1 s.e.), miss 2.60%', \
     'scurve.dat' index 2 with lines lw 2 lc 3 title '16x1 (word:5, 64 hashes): 1-(1-s^1)^16, predicted miss 0.35%', \
     'scurve.dat' index 6 using 1:2:4 with yerrorbars pt 7 ps 1 lc 3 title '16x1 measured (+-1 s.e.), miss 0.35%', \
     'scurve.dat' index 3 with lines lw 2 lc 4 title '32x2 (word:5, 64 hashes): 1-(1-s^2)^32, predicted miss 2.12%', \
     'scurve.dat' index 7 using 1:2:4 with yerrorbars pt 7 ps 1 lc 4 title '32x2 measured (+-1 s.e.), miss 2.31%'
