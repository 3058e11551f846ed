//! Session files: any bytes parse or are refused, never a panic; whatever parses renders to
//! a file that parses again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn url() -> &'static url::Url {
    static URL: OnceLock<url::Url> = OnceLock::new();
    URL.get_or_init(|| url::Url::parse("https://example.org/a/b?c=d").unwrap())
}

fuzz_target!(|data: &[u8]| {
    let url = url();
    if let Ok(parsed) = httpcli::session::parse(data, url) {
        let _ = parsed.cookie_header(url);
        let text = httpcli::session::render(&parsed);
        if let Err(e) = httpcli::session::parse(text.as_bytes(), url) {
            panic!("rendered session does not parse again: {e:?}\n{text}");
        }
    }
});
