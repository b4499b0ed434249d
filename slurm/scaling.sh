#!/usr/bin/env bash
# scaling.sh -- a scaling study of an mpr app in one command: runs it at a
# list of rank counts with repetitions, records every run in one HDF5 file
# and a CSV, computes speedup, efficiency and the Karp-Flatt serial fraction
# (mpr_scaling_h5) and draws the speedup and efficiency plots (gnuplot, PNG
# and SVG).
#
#   slurm/scaling.sh [options] [-- extra app arguments]
#     --app pi|primes|verify_prime   (pi)
#     --ranks "1 2 3"                rank counts (default 1 2 ... cores+1)
#     --reps R                       repetitions per rank count (3)
#     --mode strong|weak             weak: the size grows with the workers (strong)
#     --size N                       pi: trials (2e7); primes: numbers from 1e8
#                                    (300000); per worker with --mode weak
#     --out DIR                      results directory (results/scaling-<job>)
#     --only R                       run rank count R only and append (job arrays)
#     --report                       only (re)compute the HDF5, CSV and plots
#
# Workstation:  slurm/scaling.sh --app pi --ranks "1 2 3" --reps 3
# Slurm, one allocation:  sbatch -n 8 slurm/scaling.sbatch   (see there)
# Slurm, job array: one task per rank count, each appends, the last one
#   to finish writes the complete report: sbatch --array=0-3 slurm/scaling.sbatch
#
# In DIR: runs.csv (one line per run), scaling.h5 (/runs, /summary,
# attributes), summary.csv, summary.md (the table), speedup.{png,svg},
# efficiency.{png,svg}, and each run's output under log/.
# One summary row per rank count; its compute units p are the workers,
# ranks - 1 (rank 0 coordinates), and 1 for the serial run on one rank.
set -euo pipefail
GNUPLOT=${MPR_GNUPLOT:-gnuplot}   # the plotter (tests name a missing one)
# shellcheck source=slurm/mpr-job.sh
source "$(dirname "${BASH_SOURCE[0]}")/mpr-job.sh"

app=pi ranks="" reps=3 mode=strong size="" out="" only="" report_only=0 extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --app) app=$2; shift 2 ;;
        --ranks) ranks=$2; shift 2 ;;
        --reps) reps=$2; shift 2 ;;
        --mode) mode=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --report) report_only=1; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "scaling.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case $app in pi|primes|verify_prime) ;; *) echo "scaling.sh: --app $app is not pi, primes or verify_prime" >&2; exit 2 ;; esac
case $mode in strong|weak) ;; *) echo "scaling.sh: --mode is strong or weak" >&2; exit 2 ;; esac
[ "$app.$mode" != verify_prime.weak ] || { echo "scaling.sh: verify_prime has no size to grow (strong only)" >&2; exit 2; }

# with --out, nothing is written elsewhere
[ -z "$out" ] || MPR_RESULTS=${MPR_RESULTS:-$(dirname "$out")}
mpr_job_init
[ -n "$ranks" ] || ranks=$(seq -s ' ' 1 $(( ${SLURM_NTASKS:-$(nproc)} + 1 )))
if [ -z "$size" ]; then
    case $app in pi) size=2e7 ;; primes) size=300000 ;; verify_prime) size=0 ;; esac
fi
out=${out:-$MPR_RESULTS/scaling-${SLURM_ARRAY_JOB_ID:-$JOB}}
mkdir -p "$out/log"
host_list() { sort "$1" | uniq -c | awk '{ printf "%s%s*%s", (NR > 1 ? " " : ""), $2, $1 }'; }

# app_args WORKERS RANKS: the app's command line for this run.
app_args() {
    local p=$1 n=$2 s
    s=$(awk -v s="$size" -v p="$p" -v w="$mode" 'BEGIN { printf "%.0f", w == "weak" ? s * p : s }')
    case $app in
        pi) echo --verbose 0 --trials "$s" --tasks 64 ;;
        primes) echo --from 100000000 --to $((100000000 + s)) --mode "$([ "$n" = 1 ] && echo serial || echo dynamic)" ;;
        verify_prime) echo --variant naive ;;
    esac
}

# parse LOG: "app_seconds answer" from an app's output.
parse() {
    case $app in
        pi) awk '/^[0-9]+\.[0-9]+$/ && !a { a = $1 } /^Time consumed:/ { t = $3 }
                 END { print (t ? t : 0), (a ? a : "?") }' "$1" ;;
        primes) awk '/^Took:/ { t = $2; getline; a = $1 } END { print (t ? t : 0), (a ? a : "?") }' "$1" ;;
        verify_prime) awk '/is a prime:/ { a = a substr($7, 1, 1); t += $9 }
                 END { print (t ? t : 0), (a ? a : "?") }' "$1" ;;
    esac
}

run_one() {
    local n=$1 rep=$2 p s log hosts t0 t1 wall parsed
    p=$((n > 1 ? n - 1 : 0))
    [ "$app" != verify_prime ] || [ "$n" -ge 2 ] || { echo "# verify_prime needs 2 ranks; skipping 1" >&2; return 0; }
    log=$out/log/$app-np$n-rep$rep-$JOB.txt
    hosts=$out/log/$app-np$n-rep$rep-$JOB.hosts
    : >"$hosts"
    # shellcheck disable=SC2046
    set -- $(app_args $((p > 0 ? p : 1)) "$n")
    t0=$(date +%s.%N)
    # each rank notes its host, then becomes the app
    mpr_launch "$n" sh -c 'hostname >>"$0"; exec "$@"' "$hosts" "$MPR_BIN/$app" "$@" "${extra[@]}" >"$log" 2>&1 ||
        { echo "scaling.sh: $app on $n ranks failed; see $log" >&2; tail -5 "$log" >&2; exit 1; }
    t1=$(date +%s.%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    read -r secs answer <<<"$(parse "$log")"
    s=$(awk -v s="$size" -v p="$((p > 0 ? p : 1))" -v w="$mode" 'BEGIN { printf "%.0f", w == "weak" ? s * p : s }')
    local line="$app,$mode,$n,$p,$(sort -u "$hosts" | wc -l),$(host_list "$hosts"),$rep,$s,$wall,$secs,$answer,$JOB"
    # job-array tasks append to one file: one writer at a time
    (flock 9; [ -s "$out/runs.csv" ] || echo "app,mode,ranks,workers,nodes,hosts,rep,size,wall_s,app_s,answer,job" >"$out/runs.csv"
     echo "$line" >>"$out/runs.csv") 9>"$out/.lock"
    printf '%-12s ranks %3d rep %d: %8.3f s (wall %7.3f s) answer %s\n' "$app" "$n" "$rep" "$secs" "$wall" "$answer"
}

# plot NAME COLUMN IDEAL: summary.csv's COLUMN against the ranks, with the
# ideal curve (speedup = workers, efficiency = 1), as PNG and SVG.
plot() {
    local what=$1 col=$2 ideal=$3 ext term
    for ext in png svg; do
        case $ext in png) term="pngcairo size 720,480 font ',11'" ;; svg) term="svg size 720,480" ;; esac
        "$GNUPLOT" <<EOF
set terminal $term
set output "$out/$what.$ext"
set datafile separator ","
set key top left
set grid
set title "mpr $app, $mode scaling: $what ($(nproc) cores, $(hostname))"
set xlabel "MPI ranks (rank 0 coordinates: workers = ranks - 1)"
set ylabel "$what"
set xrange [1:*]
set xtics 1
set yrange [0:*]
plot "$out/summary.csv" every ::1 using 2:$col with linespoints lw 2 pt 7 title "measured", \\
     $ideal with lines dt 2 title "ideal"
EOF
    done
}

report() {
    "$MPR_BIN/mpr_scaling_h5" "$out/runs.csv" "$out/scaling.h5" "$out/summary.csv" \
        app="$app" mode="$mode" size="$size" reps="$reps" ranks="$ranks" \
        machine="$(hostname), $(nproc) cores" job="${SLURM_ARRAY_JOB_ID:-$JOB}" \
        created="$(date -Is)" command="scaling.sh --app $app --mode $mode --ranks '$ranks' --reps $reps --size $size"
    awk -F, 'NR == 1 { print "| workers | ranks | runs | median s | speedup | efficiency | Karp-Flatt e |";
                       print "|---:|---:|---:|---:|---:|---:|---:|"; next }
             { printf "| %s | %s | %s | %.3f | %.2f | %.2f | %s |\n", $1, $2, $3, $4, $7, $8, $9 == "" ? "-" : sprintf("%.3f", $9) }' \
        "$out/summary.csv" >"$out/summary.md"
    if command -v "$GNUPLOT" >/dev/null; then
        plot speedup 7 "(x < 2 ? 1 : x - 1)"
        plot efficiency 8 1
    else
        echo "scaling.sh: gnuplot ($GNUPLOT) not found; no plots (apt-get install gnuplot-nox)" >&2
    fi
    cat "$out/summary.md"
    echo "# results in $out: runs.csv scaling.h5 summary.csv summary.md speedup.{png,svg} efficiency.{png,svg}"
}

if [ $report_only = 0 ]; then
    mpr_job_header "scaling study of $app"
    for n in ${only:-$ranks}; do
        for rep in $(seq 1 "$reps"); do run_one "$n" "$rep"; done
    done
fi
# A job-array task writes the report under the lock, from every line so far.
(flock 9; report) 9>"$out/.lock"
