# The plot of make bench, from the .dat files bench/report.py writes.
#
#   gnuplot -e "dir='DIR'; out='FILE.png'; title='...'" bench/plot.gp

set terminal pngcairo size 1400,1000 font ",10" noenhanced
set output out
set multiplot layout 2,2 title title font ",12"

# 1: throughput relative to the kernel's limits, with the targets.
set title "Throughput / min(A netlink, B UDP)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:1.1<*]
set ylabel "ratio"
set xtics rotate by -30
set key top right
set grid ytics
plot dir.'/throughput.dat' using 2:xtic(1) title "max (burst, big buffers)" lc rgb "#4e79a7", \
     '' using 3 title "zero loss (paced, default buffers)" lc rgb "#59a14f", \
     0.9 with lines dt 2 lw 2 lc rgb "#e15759" title "target N=1: 0.9", \
     0.7 with lines dt 3 lw 2 lc rgb "#f28e2b" title "target N=4: 0.7"

# 2: loss against the offered rate.
set title "Loss at the listeners vs offered rate (paced EMIT)"
set style data linespoints
set xtics norotate
set xlabel "offered events/s (log)"
set logscale x
set ylabel "loss %"
set yrange [-2:100]
set key top left
# (A configuration the run did not measure has no file: gnuplot warns.)
plot for [f in "json binary"] for [n in "1 4 16"] \
	dir.'/loss-'.f.'-'.n.'.dat' using 1:2 title f.' N='.n \
	lw 2 pt (f eq "json" ? 7 : 5)

# 3: latency percentiles.
unset logscale x
set title "Latency, kernel timestamp -> receive (moderate steady rate)"
set style data histograms
set xlabel ""
set ylabel "ms (log)"
set logscale y
set yrange [*:*]
set xtics rotate by -30
set key top left
plot dir.'/latency.dat' using 2:xtic(1) title "p50" lc rgb "#4e79a7", \
     '' using 3 title "p99" lc rgb "#f28e2b", \
     '' using 4 title "p999" lc rgb "#e15759"
unset logscale y

# 4: instructions per event of the bridge's userspace path.
set title "Bridge userspace path, instructions/event (callgrind)"
set yrange [0:*]
set ylabel "Ir/event"
set xtics norotate
plot dir.'/ir.dat' using 2:xtic(1) title "measured" lc rgb "#4e79a7", \
     '' using 3 title "target" lc rgb "#bab0ac"

unset multiplot
