//! XML re-indentation: any bytes format or are refused, never a panic; the first input byte
//! picks the indent (0..=8).
#![no_main]
use libfuzzer_sys::fuzz_target;
use httpcli::output::theme::{Style, Theme};

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let indent = usize::from(first % 9);
    let _ = httpcli::output::xml::format_xml(body, indent, None);
    if first & 0x80 != 0 {
        let theme = Theme::new(Style::Auto);
        let _ = httpcli::output::xml::format_xml(body, indent, Some(&theme));
    }
});
