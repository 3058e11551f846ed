# Timing and reporting for the benchmark scripts (sourced after common.sh): wall time of one
# run, peak RSS, medians of alternating runs, and the table's rows and ratios.

# Tools that were not found, for the report's notes.
missing=()

rss_mode=python
if [[ -x /usr/bin/time ]]; then
    if /usr/bin/time -v true >/dev/null 2>&1; then
        rss_mode=time-v
    elif /usr/bin/time -f %M true >/dev/null 2>&1; then
        rss_mode=time-f
    fi
else
    missing+=("/usr/bin/time (peak RSS from Python's resource module instead)")
fi

# time_once CMD: wall time of one run in microseconds (the command must exit 0).
# EPOCHREALTIME (bash 5) costs no fork; older shells fall back to date.
time_once() {
    local t0 t1
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        t0=${EPOCHREALTIME/./}
        eval "$1"
        t1=${EPOCHREALTIME/./}
    else
        t0=$(($(date +%s%N) / 1000))
        eval "$1"
        t1=$(($(date +%s%N) / 1000))
    fi
    echo $((10#$t1 - 10#$t0))
}

# rss_kb CMD: peak resident set size of one run of CMD, in KiB.
rss_kb() {
    local out=$work/rss.txt
    case $rss_mode in
    time-v)
        eval "/usr/bin/time -v -o \"\$out\" $1"
        awk -F': *' '/Maximum resident set size/ {print $2}' "$out"
        ;;
    time-f)
        eval "/usr/bin/time -f %M -o \"\$out\" $1"
        tail -n 1 "$out"
        ;;
    *)
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1], shell=True, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$1"
        ;;
    esac
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
minimum() { sort -n | head -n 1; }

declare -A MEDIAN MIN RSS
rows=()

# bench_set RUNS NAME CMD [NAME CMD]...: warm each up, then run them in turn RUNS times, so
# that a slow spell of this shared machine hits every command alike.
bench_set() {
    local runs=$1 i j
    shift
    local -a names=() cmds=()
    while (($#)); do
        names+=("$1")
        cmds+=("$2")
        shift 2
    done
    local -A times=()
    for j in "${!cmds[@]}"; do eval "${cmds[$j]}"; done
    for ((i = 0; i < runs; i++)); do
        for j in "${!cmds[@]}"; do
            # SETTLE (untimed) leaves nothing of the last run to pay for, e.g. `rm F; sync`.
            [[ -n ${SETTLE:-} ]] && eval "$SETTLE"
            times[$j]+="$(time_once "${cmds[$j]}") "
        done
    done
    for j in "${!cmds[@]}"; do
        # shellcheck disable=SC2086
        record "${names[$j]}" "${cmds[$j]}" "$runs" ${times[$j]}
    done
}

record() {
    local name=$1 cmd=$2 runs=$3
    shift 3
    MEDIAN[$name]=$(printf '%s\n' "$@" | median)
    MIN[$name]=$(printf '%s\n' "$@" | minimum)
    [[ -n ${SETTLE:-} ]] && eval "$SETTLE"
    RSS[$name]=$(rss_kb "$cmd")
    rows+=("$name|$runs|$cmd")
}

fmt_time() { # microseconds -> "12.3 ms" / "1.234 s"
    awk -v us="$1" 'BEGIN { if (us >= 1000000) printf "%.3f s", us / 1e6; else printf "%.2f ms", us / 1e3 }'
}

ratio() { # NAME_A NAME_B CASE LABEL
    if [[ -n ${MEDIAN[$1]:-} && -n ${MEDIAN[$2]:-} ]]; then
        awk -v a="${MEDIAN[$1]}" -v b="${MEDIAN[$2]}" -v ra="${RSS[$1]}" -v rb="${RSS[$2]}" \
            -v c="$3" -v l="$4" \
            'BEGIN { printf "%-24s %s = %.2fx   (peak RSS %.2fx)\n", c, l, a / b, ra / rb }'
    fi
}

q() { printf '%q' "$1"; }

