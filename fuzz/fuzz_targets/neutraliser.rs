//! `output::visible`, the neutraliser every terminal-bound string goes through: nothing a
//! terminal could act on survives it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let shown = httpcli::output::visible(data);
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        let ok = match c {
            '\n' | '\t' => true,
            '\r' => chars.peek() == Some(&'\n'),
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{80}'..='\u{9f}' => false,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => false,
            _ => true,
        };
        assert!(ok, "{c:?} survives in {shown:?} (input {data:?})");
    }
});
