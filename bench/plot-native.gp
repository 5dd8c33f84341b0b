# The native plot of make bench, from the native-*.dat files
# bench/report_native.py writes.
#
#   gnuplot -e "dir='DIR'; out='FILE.png'; title='...'" bench/plot-native.gp

set terminal pngcairo size 1400,1000 font ",10" noenhanced
set output out
set multiplot layout 2,2 title title font ",12"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -30
set key top right

# 1: burst throughput per path, N = 1, 4, 16.
set title "Burst (300,000 events at full rate), events/s per receiver"
set ylabel "events/s (log)"
set logscale y
set yrange [1000:*]
plot dir.'/native-burst.dat' using 2:xtic(1) title "N=1" lc rgb "#4e79a7", \
     '' using 3 title "N=4" lc rgb "#f28e2b", \
     '' using 4 title "N=16" lc rgb "#59a14f"

# 2: highest paced rate without loss.
set title "Highest paced rate without loss, events/s (log)"
plot dir.'/native-zeroloss.dat' using 2:xtic(1) title "N=1" lc rgb "#4e79a7", \
     '' using 3 title "N=4" lc rgb "#f28e2b", \
     '' using 4 title "N=16" lc rgb "#59a14f"

# 3: CPU per event, split by process.
unset logscale y
set yrange [0:*]
set title "CPU per event in the burst, by process (us)"
set style histogram rowstacked
set boxwidth 0.7
set ylabel "us/event"
set xtics rotate by -45 font ",8"
plot dir.'/native-cpu.dat' using 2:xtic(1) title "sender (emitter / UDP)" lc rgb "#4e79a7", \
     '' using 3 title "bridge" lc rgb "#e15759", \
     '' using 4 title "N receivers" lc rgb "#59a14f", \
     '' using 5 title "ksoftirqd" lc rgb "#bab0ac"

# 4: latency at 10,000 events/s.
set title "Latency at 10,000 events/s, origin -> receive (worst receiver)"
set style histogram clustered gap 1
set boxwidth 0.9
set ylabel "ms (log)"
set logscale y
set yrange [*:*]
plot dir.'/native-latency.dat' using 2:xtic(1) title "p50" lc rgb "#4e79a7", \
     '' using 3 title "p99" lc rgb "#f28e2b", \
     '' using 4 title "p999" lc rgb "#e15759"
unset logscale y

unset multiplot
