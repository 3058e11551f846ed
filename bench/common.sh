# Shared by the benchmark scripts (sourced): a work dir removed on exit, the static server's
# pid stopped on exit, and two small helpers. The caller sets $work_prefix first.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/${work_prefix:-http-bench}.XXXXXX")
server_pid=""
# A second server (keep-alive) for the request-file case.
server2_pid=""

cleanup() {
    local pid
    for pid in $server_pid $server2_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

note() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# the_binaries: sets http_bin to HTTP_BIN, or to a fresh release build, and stages it (and
# BASE_BIN, when given) in the work dir.
the_binaries() {
    if [[ -n ${HTTP_BIN:-} ]]; then
        http_bin=$HTTP_BIN
    else
        note "bench: cargo build --release"
        local start=$SECONDS
        (cd "$root" && cargo build --release --quiet --bin http)
        note "bench: built in $((SECONDS - start)) s"
        http_bin=$root/target/release/http
    fi
    [[ -x $http_bin ]] || { note "bench: no binary at $http_bin"; exit 1; }
    http_bin=$(stage_bin "$http_bin" http)
    if [[ -n ${BASE_BIN:-} ]]; then
        BASE_BIN=$(stage_bin "$BASE_BIN" http-base)
    fi
}

# stage_bin PATH NAME: a copy of the binary at PATH in the work dir, whose path is printed.
# Every binary measured is read the same way: one freshly written by the linker sits in the
# page cache in smaller pieces than a copied (installed) one, and took about 10% longer to
# start here (more page faults), which would show as a difference between two builds.
stage_bin() {
    cp "$1" "$work/$2"
    printf '%s\n' "$work/$2"
}
