//! The JSON formatter: pretty (in memory, streaming, sorted) and colour-only, plain and
//! themed. Never a panic; output stays within the documented bound; and when serde_json
//! accepts the document, the pretty-printed output is the same JSON value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use httpcli::output::json::{
    colorize_stream, format_slice, format_sorted, format_stream, JsonOptions, EXPANSION_SLACK,
    MAX_EXPANSION_COLOURED, XSSI_PREFIXES,
};
use httpcli::output::theme::{Style, Theme};
use serde_json::Value;
use std::sync::OnceLock;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(|| Theme::new(Style::Auto))
}

fn check_bound(what: &str, input: &[u8], output: &[u8]) {
    let bound = MAX_EXPANSION_COLOURED * input.len() as u64 + EXPANSION_SLACK + 64 * 1024;
    assert!(
        output.len() as u64 <= bound,
        "{what}: {} bytes out for {} in (bound {bound})",
        output.len(),
        input.len()
    );
}

/// The XSSI prefix after an optional BOM, as the formatter recognises it.
fn xssi(input: &[u8]) -> Option<&'static [u8]> {
    let body = input.strip_prefix(BOM).unwrap_or(input);
    XSSI_PREFIXES.into_iter().find(|p| body.starts_with(p))
}

/// The input after its preamble, the output after the XSSI prefix that is copied to it (the
/// BOM is dropped): both must be the same JSON value when serde_json reads the input.
fn check_same_value(what: &str, input: &[u8], output: &[u8]) {
    let prefix = xssi(input);
    let body = input.strip_prefix(BOM).unwrap_or(input);
    let body = &body[prefix.map_or(0, <[u8]>::len)..];
    let Ok(expected) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let out = match prefix {
        Some(p) => output
            .strip_prefix(p)
            .unwrap_or_else(|| panic!("{what}: XSSI prefix {p:?} not kept in {output:?}")),
        None => output,
    };
    match serde_json::from_slice::<Value>(out) {
        Ok(got) => assert!(
            got == expected,
            "{what}: value changed\ninput:  {:?}\noutput: {:?}",
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(output)
        ),
        Err(e) => panic!(
            "{what}: output is not JSON ({e})\ninput:  {:?}\noutput: {:?}",
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(output)
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let plain = JsonOptions::default();
    let themed = JsonOptions {
        theme: Some(theme()),
        ..JsonOptions::default()
    };

    if let Ok(out) = format_slice(data, &plain) {
        check_bound("format_slice", data, &out);
        check_same_value("format_slice", data, &out);
    }
    if let Ok(out) = format_slice(data, &themed) {
        check_bound("format_slice themed", data, &out);
    }

    let mut out = Vec::new();
    if format_sorted(data, &mut out, &plain).is_ok() {
        check_bound("format_sorted", data, &out);
        // Object equality is order-blind and the sort is stable (duplicates keep their order).
        check_same_value("format_sorted", data, &out);
    }
    out.clear();
    let _ = format_sorted(data, &mut out, &themed);
    check_bound("format_sorted themed", data, &out);

    // Streaming: whatever was written, success or not, stays within the bound.
    for opts in [&plain, &themed] {
        out.clear();
        let _ = format_stream(data, &mut out, opts);
        check_bound("format_stream", data, &out);
    }
    out.clear();
    let _ = colorize_stream(data, &mut out, theme());
    check_bound("colorize_stream", data, &out);
});
