//! Flag value parsers (`--proxy`, `--timeout`, `--verify`, `--print`, seconds): never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use httpcli::cli::values;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = values::parse_proxy(&text);
    let _ = values::parse_timeout(&text);
    let _ = values::parse_verify(&text);
    let _ = values::parse_print(&text);
    let _ = values::parse_seconds(&text);
});
