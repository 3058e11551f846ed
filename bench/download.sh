#!/usr/bin/env bash
# Benchmark `http --download` of a large file against curl and cat, in one run on this machine.
#
# Usage:
#   bench/download.sh                      # build the release binary, 1 GiB file, 3 runs each
#   DOWNLOAD_MB=256 RUNS=5 bench/download.sh
#   HTTP_BIN=/path/to/http bench/download.sh   # skip the build (bench/run.sh does this)
#   XH_BIN=/path/to/xh bench/download.sh       # add `xh -d -o OUT URL` to the runs
#                                              # (cargo install --locked xh --root DIR)
#   BASE_BIN=/path/to/old/http bench/download.sh   # add an earlier build of http: did a
#                                                  # change slow the download down?
#
# What it does:
#   - writes a DOWNLOAD_MB MiB file of incompressible bytes to a temp dir (it stays in the page
#     cache: every command reads from memory, so the figures are about copying, not the disk);
#   - serves it from a tiny Python server that answers with `socket.sendfile` (zero-copy; much
#     faster than `python3 -m http.server`, so the server is not the bottleneck);
#   - times, alternating, RUNS times each after one warm-up:
#       http -d -o OUT URL  2>/dev/null           (stderr not a terminal: no bar)
#       curl -s -o OUT URL
#       cat FILE > OUT                             (the ceiling: a local file-to-file copy)
#       script -qc 'http -d -o OUT URL'            (stderr on a pty: progress bar drawn)
#       script -qc 'http -d -q -o OUT URL'         (same pty, no bar: isolates the bar's cost)
#     each run starts with no output file and nothing left to write back (`rm`, `sync`,
#     untimed), so no command pays for the one before it;
#   - peak RSS of one more run of each under /usr/bin/time (when present);
#   - checks that http's file is byte-identical to the source.
#
# Needs bash and python3; curl, script and /usr/bin/time are optional (rows skipped).

set -euo pipefail

DOWNLOAD_MB=${DOWNLOAD_MB:-1024}
RUNS=${RUNS:-3}

work_prefix=http-dl-bench
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

have python3 || { note "bench: python3 is required"; exit 1; }

the_binaries

note "bench: writing a ${DOWNLOAD_MB} MiB file"
python3 - "$work/big.bin" "$DOWNLOAD_MB" <<'PY'
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
block = os.urandom(1 << 20)
with open(path, "wb") as f:
    for i in range(mb):
        # Vary each MiB a little so nothing downstream can deduplicate.
        f.write(i.to_bytes(8, "little") + block[8:])
PY
size=$(wc -c <"$work/big.bin")
# Warm the page cache.
cat "$work/big.bin" >/dev/null

# ----------------------------------------------------------------- the server
mkfifo "$work/server.out"
python3 -u "$(dirname "$0")/server.py" "$work" >"$work/server.out" 2>/dev/null &
server_pid=$!
exec 3<"$work/server.out"
read -r port <&3
[[ $port =~ ^[0-9]+$ ]] || { note "bench: unexpected server output: $port"; exit 1; }
url="http://127.0.0.1:$port/big.bin"

# ----------------------------------------------------------------- measuring
time_once() {
    local t0 t1
    t0=${EPOCHREALTIME/./}
    eval "$1"
    t1=${EPOCHREALTIME/./}
    echo $((10#$t1 - 10#$t0))
}

rss_kb() {
    if [[ -x /usr/bin/time ]]; then
        eval "/usr/bin/time -f %M -o \"$work/rss.txt\" $1"
        tail -n 1 "$work/rss.txt"
    else
        echo "?"
    fi
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
minimum() { sort -n | head -n 1; }

q() { printf '%q' "$1"; }
HTTP=$(q "$http_bin")
OUT=$(q "$work/out.bin")
SRC=$(q "$work/big.bin")
URL=$(q "$url")

names=()
declare -A CMD TIMES MEDIAN MIN RSS
add() { names+=("$1"); CMD[$1]=$2; TIMES[$1]=""; }

add "http -d" "$HTTP -d -o $OUT $URL 2>/dev/null"
[[ -n ${BASE_BIN:-} ]] && add "base http -d" "$(q "$BASE_BIN") -d -o $OUT $URL 2>/dev/null"
have curl && add "curl -s -o" "curl -s -o $OUT $URL"
[[ -n ${XH_BIN:-} ]] && add "xh -d -o" "$(q "$XH_BIN") -d -o $OUT $URL 2>/dev/null"
add "cat" "cat $SRC > $OUT"
if have script; then
    # The child's stderr is the pty: the bar is drawn (script copies it to /dev/null).
    add "http -d, bar on a pty" "script -qec $(q "$HTTP -d -o $OUT $URL") /dev/null >/dev/null"
    add "http -d -q, on a pty" "script -qec $(q "$HTTP -d -q -o $OUT $URL") /dev/null >/dev/null"
fi

# Sanity: the download is the file, byte for byte, and the bar really is drawn on a pty.
eval "${CMD[http -d]}"
cmp -s "$work/out.bin" "$work/big.bin" || { note "bench: http's download differs"; exit 1; }
if have script; then
    script -qec "$HTTP -d -o $OUT $URL" /dev/null >"$work/pty.txt"
    grep -q "% \[" "$work/pty.txt" || note "bench: note: no progress bar seen on the pty"
    grep -q "Done\." "$work/pty.txt" || { note "bench: no Done line on the pty"; exit 1; }
fi

note "bench: ${#names[@]} commands x $RUNS runs, alternating"
for name in "${names[@]}"; do eval "${CMD[$name]}"; done # warm-up
# Each timed run starts from the same state: no output file to truncate and no dirty pages
# left to write back (else a run pays for whatever ran before it, and the order of the
# commands shows up as a cost of the command).
settle() { rm -f "$work/out.bin"; sync; }
for ((i = 0; i < RUNS; i++)); do
    for name in "${names[@]}"; do
        settle
        TIMES[$name]+="$(time_once "${CMD[$name]}") "
    done
done
for name in "${names[@]}"; do
    MEDIAN[$name]=$(tr ' ' '\n' <<<"${TIMES[$name]}" | grep . | median)
    MIN[$name]=$(tr ' ' '\n' <<<"${TIMES[$name]}" | grep . | minimum)
    RSS[$name]=$(rss_kb "${CMD[$name]}")
done

# ----------------------------------------------------------------- the report
fmt_time() { awk -v us="$1" 'BEGIN { printf "%.3f s", us / 1e6 }'; }
rate() { awk -v us="$1" -v b="$size" 'BEGIN { printf "%.0f MiB/s", b / 1048576 / (us / 1e6) }'; }
ratio() {
    [[ -n ${MEDIAN[$1]:-} && -n ${MEDIAN[$2]:-} ]] || return 0
    awk -v a="${MEDIAN[$1]}" -v b="${MEDIAN[$2]}" -v l="$3" 'BEGIN { printf "  %-34s %.2fx\n", l, a / b }'
}

echo
echo "download benchmark: $("$http_bin" --version 2>/dev/null | head -n 1), $(uname -sm), $(nproc) CPUs"
echo "file: $size bytes (${DOWNLOAD_MB} MiB), page-cached; server: Python socket.sendfile on 127.0.0.1"
echo
printf '%-24s %5s %10s %10s %11s %11s   %s\n' "command" "runs" "median" "min" "rate" "peak RSS" "command line"
for name in "${names[@]}"; do
    shown=${CMD[$name]//$HTTP/http}
    [[ -n ${BASE_BIN:-} ]] && shown=${shown//$(q "$BASE_BIN")/http-base}
    shown=${shown//$work/\$TMP}
    shown=${shown//$url/\$URL}
    printf '%-24s %5s %10s %10s %11s %7s KiB   %s\n' "$name" "$RUNS" "$(fmt_time "${MEDIAN[$name]}")" \
        "$(fmt_time "${MIN[$name]}")" "$(rate "${MEDIAN[$name]}")" "${RSS[$name]}" "$shown"
done
echo
echo "ratios of median wall time (below 1x: http is faster):"
ratio "http -d" "curl -s -o" "http -d / curl -s -o"
ratio "http -d" "xh -d -o" "http -d / xh -d -o"
ratio "http -d" "base http -d" "http -d / BASE_BIN's"
ratio "http -d" "cat" "http -d / cat (disk ceiling)"
ratio "http -d, bar on a pty" "http -d -q, on a pty" "progress bar cost (bar / no bar)"
