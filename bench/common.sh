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
