//! URL shorthands (`:3000/x`, `://host`, `user:pass@`): both default schemes, with and
//! without `--path-as-is`; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for scheme in ["http", "https"] {
        let _ = httpcli::cli::url::expand(&text, scheme);
        for path_as_is in [false, true] {
            let _ = httpcli::cli::url::parse(&text, scheme, path_as_is);
        }
    }
});
