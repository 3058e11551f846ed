#!/usr/bin/env bash
# Benchmark `http --http-version=2` against curl --http2 (and xh), and against http's own
# HTTP/1.1 path, over TLS to a local nginx, in one run on this machine.
#
# Usage:
#   bench/http2.sh                          # build the release binary, 1 GiB download
#   SMALL_RUNS=30 H2_RUNS=3 H2_DOWNLOAD_MB=256 bench/http2.sh
#   HTTP_BIN=/path/to/http bench/http2.sh   # skip the build
#   XH_BIN=/path/to/xh bench/http2.sh       # add `xh --http-version 2` to the small GET
#   NGINX=/path/to/nginx bench/http2.sh     # default: nginx on PATH, else /usr/sbin/nginx
#
# What it does:
#   - makes a self-signed certificate (openssl) and starts nginx (one worker, HTTP/2 and
#     HTTP/1.1 on one TLS port, chosen by ALPN) serving a 1 KB JSON file and an
#     H2_DOWNLOAD_MB MiB file of incompressible bytes;
#   - small GET, SMALL_RUNS times each, alternating:
#       http --verify=no --http-version=2 -b URL    vs  curl -sk --http2 URL
#       http --verify=no -b URL (HTTP/1.1)          vs  curl -sk --http1.1 URL
#       xh --verify=no --http-version 2 -b URL      (when XH_BIN is given)
#   - download, H2_RUNS times each: http -d -o F over HTTP/2 and over HTTP/1.1, and curl
#     --http2 -o F; peak RSS of each; http's files are checked byte for byte.
#
# Needs bash, python3, openssl and nginx (with its http_v2 module); curl and xh are optional.

set -euo pipefail

SMALL_RUNS=${SMALL_RUNS:-30}
H2_RUNS=${H2_RUNS:-3}
H2_DOWNLOAD_MB=${H2_DOWNLOAD_MB:-1024}

work_prefix=http-h2-bench
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=bench/measure.sh
source "$(dirname "${BASH_SOURCE[0]}")/measure.sh"

nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
for tool in python3 openssl "$nginx_bin"; do
    have "$tool" || { note "bench: $tool is required"; exit 1; }
done
have curl || missing+=("curl")

the_binaries

# ----------------------------------------------------------------- files and server
mkdir -p "$work/srv" "$work/nginx"
note "bench: writing a ${H2_DOWNLOAD_MB} MiB file"
python3 - "$work/srv" "$H2_DOWNLOAD_MB" <<'PY'
import json, os, sys
root, mb = sys.argv[1], int(sys.argv[2])
small = {"id": 1, "name": "widget", "items": [{"n": i, "label": "item"} for i in range(40)]}
with open(os.path.join(root, "small.json"), "w") as f:
    json.dump(small, f)
block = os.urandom(1 << 20)
with open(os.path.join(root, "big.bin"), "wb") as f:
    for i in range(mb):
        f.write(i.to_bytes(8, "little") + block[8:])
PY
cat "$work/srv/big.bin" >/dev/null
# nginx's worker runs as another user: let it read the files.
chmod -R a+rX "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    default_type application/json;
    server {
        listen 127.0.0.1:$port ssl http2;
        ssl_certificate $work/cert.pem;
        ssl_certificate_key $work/key.pem;
        root $work/srv;
    }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -e "$work/nginx/error.log" &
server_pid=$!
# Ready once it accepts a connection (nginx prints nothing).
python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.time() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("bench: nginx did not start")
        time.sleep(0.05)
PY
base="https://127.0.0.1:$port"
small_url=$(q "$base/small.json")
big_url=$(q "$base/big.bin")
HTTP=$(q "$http_bin")
XH=$(q "${XH_BIN:-xh}")
OUT=$(q "$work/out.bin")

# The HTTP/2 path must really be HTTP/2, and its download whole.
"$http_bin" --verify=no --check-status --http-version=2 -m "$base/small.json" 2>/dev/null |
    grep -q 'Protocol: HTTP/2' || { note "bench: nginx did not answer over HTTP/2"; exit 1; }

# ----------------------------------------------------------------- small GET
note "bench: small GET over TLS x $SMALL_RUNS"
args=(
    "h2 http" "$HTTP --verify=no --http-version=2 -b $small_url > /dev/null 2>&1"
    "h1 http" "$HTTP --verify=no -b $small_url > /dev/null 2>&1"
)
if have curl; then
    args+=(
        "h2 curl" "curl -sk --http2 $small_url > /dev/null"
        "h1 curl" "curl -sk --http1.1 $small_url > /dev/null"
    )
fi
[[ -n ${XH_BIN:-} ]] && args+=("h2 xh" "$XH --ignore-stdin --verify=no --http-version 2 -b $small_url > /dev/null 2>&1")
bench_set "$SMALL_RUNS" "${args[@]}"

# ----------------------------------------------------------------- download
note "bench: ${H2_DOWNLOAD_MB} MiB download over TLS x $H2_RUNS"
args=(
    "dl h2 http" "$HTTP --verify=no --http-version=2 -d -o $OUT $big_url 2>/dev/null"
    "dl h1 http" "$HTTP --verify=no -d -o $OUT $big_url 2>/dev/null"
)
have curl && args+=("dl h2 curl" "curl -sk --http2 -o $OUT $big_url")
SETTLE="rm -f $OUT; sync" bench_set "$H2_RUNS" "${args[@]}"
rm -f "$work/out.bin"
eval "$HTTP --verify=no --http-version=2 -d -o $OUT $big_url 2>/dev/null"
cmp -s "$work/out.bin" "$work/srv/big.bin" || { note "bench: the HTTP/2 download differs"; exit 1; }

# ----------------------------------------------------------------- report
echo
echo "http HTTP/2 benchmark: $("$http_bin" --version | head -n 1), nginx $("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///'), $(nproc) CPUs"
printf '%-14s %5s %12s %12s %12s\n' "case" "runs" "median" "min" "peak RSS"
for row in "${rows[@]}"; do
    IFS='|' read -r name runs _ <<<"$row"
    printf '%-14s %5s %12s %12s %9s KiB\n' "$name" "$runs" \
        "$(fmt_time "${MEDIAN[$name]}")" "$(fmt_time "${MIN[$name]}")" "${RSS[$name]}"
done
echo
echo "ratios of median wall time (below 1x: the first is faster):"
ratio "h2 http" "h2 curl" "small GET, HTTP/2:" "http/curl --http2"
ratio "h1 http" "h1 curl" "small GET, HTTP/1.1:" "http/curl --http1.1"
ratio "h2 http" "h2 xh" "small GET, HTTP/2:" "http/xh"
ratio "dl h2 http" "dl h1 http" "download:" "http HTTP/2 / HTTP/1.1"
ratio "dl h2 http" "dl h2 curl" "download, HTTP/2:" "http/curl --http2"
for tool in "${missing[@]}"; do
    echo "note: $tool not found; its comparison was skipped"
done
