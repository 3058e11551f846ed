//! Request items (`Name:Value`, `a=b`, `a:=json`, `f@path`, ...): any text parses or is
//! refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(item) = httpcli::cli::items::parse_item(&text) {
        let _ = item.is_header();
        let _ = item.is_data();
    }
});
