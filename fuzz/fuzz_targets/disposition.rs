//! `Content-Disposition` file names: never a panic, and any name chosen is safe to create in
//! the current directory.
#![no_main]
use libfuzzer_sys::fuzz_target;
use httpcli::download::{disposition_filename, sanitize};

fn check(name: &str, from: &[u8]) {
    let bad = name.chars().find(|c| {
        matches!(c, '/' | '\\')
            || c.is_control()
            || httpcli::output::is_bidi_control(*c)
    });
    assert!(bad.is_none(), "unsafe {bad:?} in {name:?} from {from:?}");
    assert!(name != "." && name != "..", "{name:?} from {from:?}");
    assert!(!name.starts_with('.'), "dotfile {name:?} from {from:?}");
    assert!(!name.is_empty(), "empty name from {from:?}");
}

fuzz_target!(|data: &[u8]| {
    if let Some(name) = disposition_filename(data) {
        check(&name, data);
    }
    let text = String::from_utf8_lossy(data);
    if let Some(name) = sanitize(&text) {
        check(&name, data);
    }
});
