//! The config file (`config.json`): any text parses or warns, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut warnings = Vec::new();
    if let Some(config) = httpcli::config::parse(&text, PathBuf::from("config.json"), &mut warnings) {
        let _ = config.for_url("http://example.org/x");
        let _ = config.for_url("https://localhost:8080");
    }
});
