#!/usr/bin/env bash
# Benchmark `http` against curl and jq on whole commands, in one run on this machine.
#
# Usage:
#   bench/run.sh                 # build the release binary, then run every case
#   SMALL_RUNS=50 BIG_RUNS=5 bench/run.sh
#   HTTP_BIN=/path/to/http bench/run.sh    # skip the build, benchmark that binary
#   XH_BIN=/path/to/xh bench/run.sh        # add xh to every case (and to bench/download.sh);
#                                          # get it with: cargo install --locked xh --root DIR
#   BASE_BIN=/path/to/old/http bench/run.sh  # add an earlier build of http to cases 0, 1 and 4,
#                                            # side by side: did a change slow them down?
#
# What it does:
#   - `cargo build --release` (unless HTTP_BIN is set);
#   - writes a 1 KB JSON document and a ~50 MB JSON array to a temp dir and serves them with
#     bench/server.py (sendfile, so the server is not the bottleneck) on 127.0.0.1
#     (an ephemeral port; ready once it prints it);
#   - times each command SMALL_RUNS (default 30) or BIG_RUNS (default 3) times, after one
#     warm-up run, alternating the two commands of a case, and reports the median and the
#     minimum wall time; peak RSS comes from one more run under `/usr/bin/time -v` (else
#     `/usr/bin/time -f %M`, else Python's resource module);
#   - prints a table and ratios such as `http/curl = 0.85x` (below 1: http is faster).
#
# Cases:
#   0. start-up:                http --version > /dev/null     vs  curl --version > /dev/null
#   1. small GET (1 KB JSON):   http -b URL > /dev/null        vs  curl -s URL > /dev/null
#   2. 50 MB JSON, coloured:     http --pretty=all -b URL > F   vs  jq -C . FILE > /dev/null
#   3. 50 MB JSON, raw:          http --pretty=none -b URL > F  vs  curl -s URL > F
#   4. 1 GiB download:           http -d -o F URL  vs  curl -s -o F URL  vs  cat FILE > F, and
#      the progress bar's cost on a pty (bench/download.sh; DOWNLOAD_MB=0 skips it)
#   5. request files: REQFILE_N (default 100) small GETs to one keep-alive server
#      (server.py --keep-alive), timed REQFILE_RUNS times (default 5; 0 skips the case):
#        http --file get.http -b  vs  REQFILE_N separate `http -b URL` runs  vs
#        curl -s URL URL ... (one command, which reuses the connection);
#      and the peak RSS of a file of REQFILE_MEM_N (default 10000) requests against one of
#      100 (the growth is what the run keeps per request). REQFILE_ONLY=1 runs this case
#      alone (cases 1-4 skipped).
#
# Needs bash and python3; curl, jq and /usr/bin/time are optional (their rows are skipped
# with a note). Wall times include process start-up and, for http and curl, the transfer
# from the local Python server, which is the same for both.

set -euo pipefail

SMALL_RUNS=${SMALL_RUNS:-30}
BIG_RUNS=${BIG_RUNS:-3}
BIG_MB=${BIG_MB:-50}
REQFILE_N=${REQFILE_N:-100}
REQFILE_RUNS=${REQFILE_RUNS:-5}
REQFILE_MEM_N=${REQFILE_MEM_N:-10000}
REQFILE_ONLY=${REQFILE_ONLY:-0}
if [[ $REQFILE_ONLY == 1 ]]; then
    BIG_MB=1
    DOWNLOAD_MB=0
fi

work_prefix=http-bench
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=bench/measure.sh
source "$(dirname "${BASH_SOURCE[0]}")/measure.sh"

if ! have python3; then
    note "bench: python3 is required (file generation and the static server)"
    exit 1
fi

# ----------------------------------------------------------------- the binary
the_binaries

# ----------------------------------------------------------------- the tools
have curl || missing+=("curl")
have jq || missing+=("jq")

# ----------------------------------------------------------------- the files
note "bench: generating test files in $work"
python3 - "$work" "$BIG_MB" <<'PY'
import json, os, sys

root, big_mb = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(root, "srv"))

small = {"id": 1, "name": "widget", "tags": ["a", "b", "c"], "price": 12.50,
         "active": True, "owner": None, "description": "x" * 40, "items": []}
while len(json.dumps(small)) < 1000:
    small["items"].append({"n": len(small["items"]), "label": "item"})
with open(os.path.join(root, "srv", "small.json"), "w") as f:
    json.dump(small, f)

target = big_mb * 1000 * 1000
with open(os.path.join(root, "srv", "big.json"), "w") as f:
    f.write("[")
    size, i = 1, 0
    while size < target:
        rec = ('%s{"id":%d,"name":"item %d","price":%d.%02d,"active":%s,'
               '"tags":["alpha","beta","gamma"],"unicode":"caf\\u00e9 \u2603",'
               '"nested":{"x":%d,"y":[1,2,3],"z":null}}'
               % ("," if i else "", i, i, i % 1000, i % 100,
                  "true" if i % 2 else "false", i))
        f.write(rec)
        size += len(rec.encode())
        i += 1
    f.write("]\n")
PY
small_size=$(wc -c <"$work/srv/small.json")
big_size=$(wc -c <"$work/srv/big.json")

# ----------------------------------------------------------------- the server
mkfifo "$work/server.out"
python3 -u "$(dirname "$0")/server.py" "$work/srv" >"$work/server.out" 2>/dev/null &
server_pid=$!
exec 3<"$work/server.out"
read -r port <&3
[[ $port =~ ^[0-9]+$ ]] || { note "bench: unexpected server output: $port"; exit 1; }
base="http://127.0.0.1:$port"
small_url="$base/small.json"
big_url="$base/big.json"

HTTP=$(q "$http_bin")
OUT=$(q "$work/out.json")
# curl writes its own file: rewriting a 50 MB file another process just wrote (truncate, page
# cache, writeback) costs whoever comes next and skews an alternating comparison.
CURL_OUT=$(q "$work/out-curl.json")
XH_OUT=$(q "$work/out-xh.json")
BIGFILE=$(q "$work/srv/big.json")

# ----------------------------------------------------------------- sanity
# The raw download must be the file, byte for byte, or the timings mean nothing.
eval "$HTTP --pretty=none -b $(q "$big_url") > $OUT"
if ! cmp -s "$work/out.json" "$work/srv/big.json"; then
    note "bench: http's raw download differs from the served file"
    exit 1
fi

# ----------------------------------------------------------------- the cases
XH=$(q "${XH_BIN:-xh}")
BASEBIN=$(q "${BASE_BIN:-http}")

# case NAME...: the commands of one case (curl/jq rows only when installed, xh when given).
run_case() {
    local runs=$1
    shift
    local -a args=()
    while (($#)); do
        case $1 in
        curl:* | jq:*) have "${1%%:*}" && args+=("$2" "$3") ;;
        xh:*) [[ -n ${XH_BIN:-} ]] && args+=("$2" "$3") ;;
        base:*) [[ -n ${BASE_BIN:-} ]] && args+=("$2" "$3") ;;
        *) args+=("$2" "$3") ;;
        esac
        shift 3
    done
    bench_set "$runs" "${args[@]}"
}

if [[ $REQFILE_ONLY != 1 ]]; then
note "bench: case 0, --version x $SMALL_RUNS (start-up: no network, no file)"
run_case "$SMALL_RUNS" \
    http: "0 http --version" "$HTTP --version > /dev/null" \
    base: "0 base --version" "$BASEBIN --version > /dev/null" \
    curl: "0 curl --version" "curl --version > /dev/null"

note "bench: case 1, small GET x $SMALL_RUNS"
run_case "$SMALL_RUNS" \
    http: "1 http small" "$HTTP -b $(q "$small_url") > /dev/null" \
    base: "1 base small" "$BASEBIN -b $(q "$small_url") > /dev/null" \
    curl: "1 curl small" "curl -s $(q "$small_url") > /dev/null" \
    xh: "1 xh small" "$XH -b $(q "$small_url") > /dev/null"

note "bench: case 2, ${BIG_MB} MB JSON coloured x $BIG_RUNS"
run_case "$BIG_RUNS" \
    http: "2 http --pretty=all" "$HTTP --pretty=all -b $(q "$big_url") > $OUT" \
    jq: "2 jq -C ." "jq -C . $BIGFILE > /dev/null" \
    xh: "2 xh --pretty=all" "$XH --pretty=all -b $(q "$big_url") > $XH_OUT"

note "bench: case 3, ${BIG_MB} MB JSON raw x $BIG_RUNS"
run_case "$BIG_RUNS" \
    http: "3 http --pretty=none" "$HTTP --pretty=none -b $(q "$big_url") > $OUT" \
    curl: "3 curl -s" "curl -s $(q "$big_url") > $CURL_OUT" \
    xh: "3 xh --pretty=none" "$XH --pretty=none -b $(q "$big_url") > $XH_OUT"
fi

# ----------------------------------------------------------------- case 5: request files
if [[ $REQFILE_RUNS != 0 ]]; then
    mkfifo "$work/server2.out"
    python3 -u "$(dirname "$0")/server.py" "$work/srv" --keep-alive >"$work/server2.out" 2>/dev/null &
    server2_pid=$!
    exec 4<"$work/server2.out"
    read -r port2 <&4
    [[ $port2 =~ ^[0-9]+$ ]] || { note "bench: unexpected server output: $port2"; exit 1; }
    ka_url="http://127.0.0.1:$port2/small.json"
    python3 - "$work" "$ka_url" "$REQFILE_N" "$REQFILE_MEM_N" <<'PY'
import sys
work, url, n, mem = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for name, count in (("get.http", n), ("mem.http", mem), ("mem100.http", 100)):
    with open(f"{work}/{name}", "w") as f:
        f.write("@url = %s\n\n" % url)
        for i in range(count):
            f.write("### r%d\nGET {{url}}\n\n" % i)
with open(f"{work}/urls.txt", "w") as f:
    f.write(" ".join([url] * n))
PY
    KA_URL=$(q "$ka_url")
    URLS=$(cat "$work/urls.txt")
    note "bench: case 5, $REQFILE_N GETs from one file x $REQFILE_RUNS"
    run_case "$REQFILE_RUNS" \
        http: "5 http --file" "$HTTP --file $(q "$work/get.http") -b > /dev/null 2>&1" \
        http: "5 http x$REQFILE_N runs" "bash -c $(q "for _ in \$(seq $REQFILE_N); do $HTTP -b $KA_URL > /dev/null; done")" \
        curl: "5 curl ${REQFILE_N} URLs" "curl -s $URLS > /dev/null"
    rss_small=$(rss_kb "$HTTP --file $(q "$work/mem100.http") -b > /dev/null 2>&1")
    rss_big=$(rss_kb "$HTTP --file $(q "$work/mem.http") -b > /dev/null 2>&1")
fi

# ----------------------------------------------------------------- the report
echo
echo "http benchmark: $("$http_bin" --version 2>/dev/null | head -n 1), $(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs"
echo "files: small.json $small_size bytes, big.json $big_size bytes; server: bench/server.py (sendfile) on 127.0.0.1"
echo "peak RSS via: $rss_mode"
echo
printf '%-22s %5s %12s %12s %12s   %s\n' "case" "runs" "median" "min" "peak RSS" "command"
printf '%-22s %5s %12s %12s %12s   %s\n' "----" "----" "------" "---" "--------" "-------"
for row in "${rows[@]}"; do
    IFS='|' read -r name runs cmd <<<"$row"
    shown=${cmd//$(q "$http_bin")/http}
    [[ -n ${BASE_BIN:-} ]] && shown=${shown//$(q "$BASE_BIN")/http-base}
    shown=${shown//$work/\$TMP}
    shown=${shown//$base/\$BASE}
    [[ -n ${port2:-} ]] && shown=${shown//http:\/\/127.0.0.1:$port2/\$BASE2}
    ((${#shown} > 120)) && shown="${shown:0:120}..."
    printf '%-22s %5s %12s %12s %9s KiB   %s\n' "$name" "$runs" \
        "$(fmt_time "${MEDIAN[$name]}")" "$(fmt_time "${MIN[$name]}")" "${RSS[$name]}" "$shown"
done
echo
echo "ratios of median wall time (below 1x: http is faster):"
ratio "0 http --version" "0 curl --version" "0 --version:" "http/curl"
ratio "1 http small" "1 curl small" "1 small GET:" "http/curl"
ratio "2 http --pretty=all" "2 jq -C ." "2 ${BIG_MB} MB coloured:" "http/jq"
ratio "3 http --pretty=none" "3 curl -s" "3 ${BIG_MB} MB raw:" "http/curl"
ratio "1 http small" "1 xh small" "1 small GET:" "http/xh"
ratio "0 http --version" "0 base --version" "0 --version:" "http/BASE_BIN"
ratio "1 http small" "1 base small" "1 small GET:" "http/BASE_BIN"
ratio "2 http --pretty=all" "2 xh --pretty=all" "2 ${BIG_MB} MB coloured:" "http/xh"
ratio "3 http --pretty=none" "3 xh --pretty=none" "3 ${BIG_MB} MB raw:" "http/xh"
ratio "5 http --file" "5 http x$REQFILE_N runs" "5 $REQFILE_N GETs, one file:" "file/separate runs"
ratio "5 http --file" "5 curl ${REQFILE_N} URLs" "5 $REQFILE_N GETs, one file:" "file/curl"
if [[ -n ${rss_big:-} ]]; then
    echo "5 peak RSS: $REQFILE_MEM_N requests in one file ${rss_big} KiB, 100 requests ${rss_small} KiB: growth $((rss_big - rss_small)) KiB"
fi
if ((${#missing[@]})); then
    echo
    for tool in "${missing[@]}"; do
        echo "note: $tool not found; its comparison was skipped"
    done
fi

# ----------------------------------------------------------------- case 4: download
# Its own file, server and report (run it alone with bench/download.sh).
if [[ ${DOWNLOAD_MB:-1024} != 0 ]]; then
    echo
    HTTP_BIN=$http_bin XH_BIN=${XH_BIN:-} BASE_BIN=${BASE_BIN:-} "$root/bench/download.sh"
fi
