#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS_PER_TARGET seconds (default 3600), one process
# at a time, then prints one summary line per target. Needs nightly and cargo-fuzz:
#   cargo install cargo-fuzz --locked
#   SECONDS_PER_TARGET=120 fuzz/run-all.sh            # a short smoke run
#   TARGETS="json xml" fuzz/run-all.sh                # only some targets
# Each target stops after RUNS executions (default 10000000) or SECONDS_PER_TARGET, whichever
# comes first. SANITIZER picks cargo-fuzz's -s (default "address"; "none" runs 2-4x faster).
# Extra libFuzzer flags: FUZZ_ARGS (default "-rss_limit_mb=512 -timeout=1").
# Logs go to fuzz/logs/TARGET.log; crashes to fuzz/artifacts/TARGET/; the corpus grows in
# fuzz/corpus/TARGET, starting from the committed seeds in fuzz/seeds/TARGET. Exits 1 if any target
# found something.
set -u
cd "$(dirname "$0")/.."

secs=${SECONDS_PER_TARGET:-3600}
runs=${RUNS:-10000000}
sanitizer=${SANITIZER:-address}
args="-runs=$runs ${FUZZ_ARGS:--rss_limit_mb=512 -timeout=1}"
targets=${TARGETS:-$(cargo +nightly fuzz list)}
logs=fuzz/logs
mkdir -p "$logs"

cargo +nightly fuzz build -s "$sanitizer" || exit 2

summary=()
failed=0
for t in $targets; do
    log="$logs/$t.log"
    echo "== $t: ${secs}s ($args)" >&2
    start=$(date +%s)
    # New inputs go to fuzz/corpus/TARGET; fuzz/seeds/TARGET (committed) is read as well.
    corpus=(fuzz/corpus/"$t")
    mkdir -p "${corpus[0]}"
    [ -d fuzz/seeds/"$t" ] && corpus+=(fuzz/seeds/"$t")
    # shellcheck disable=SC2086
    cargo +nightly fuzz run -s "$sanitizer" "$t" "${corpus[@]}" -- -max_total_time="$secs" $args >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    # The last status line: "#N DONE cov: .. exec/s: E rss: RMb" (or the last before a crash).
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
    eps=$(grep -oE 'exec/s: [0-9]+' <<<"$last" | awk '{print $2}')
    rss=$(grep -oE 'rss: [0-9]+Mb' "$log" | awk '{v = $2 + 0; if (v > m) m = v} END {print m + 0}')
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        failed=1
        if grep -q 'libFuzzer: timeout' "$log"; then result=timeout
        elif grep -q 'out-of-memory' "$log"; then result=oom
        elif grep -q 'panicked' "$log"; then result=panic
        elif grep -q 'ERROR: AddressSanitizer' "$log"; then result=asan
        else result="failed(rc=$rc)"; fi
        artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | awk '{print $5}')
        [ -n "$artifact" ] && result="$result $artifact"
    fi
    line=$(printf '%-12s runs=%-10s exec/s=%-7s peak_rss=%sMb time=%ss result=%s' \
        "$t" "${runs:-?}" "${eps:-?}" "${rss:-?}" "$took" "$result")
    echo "$line" >&2
    summary+=("$line")
done

echo
echo "summary (at most ${secs}s per target, -s $sanitizer, $args):"
printf '%s\n' "${summary[@]}"
exit $failed
