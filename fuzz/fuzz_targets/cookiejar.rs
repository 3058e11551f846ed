//! Netscape cookie files: any bytes parse or are refused with a line number, never a panic;
//! whatever parses renders to a file that parses again and renders the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(jar) = httpcli::cookiejar::parse_bytes(data) {
        let text = httpcli::cookiejar::render(&jar);
        match httpcli::cookiejar::parse(&text) {
            Ok(again) => assert_eq!(httpcli::cookiejar::render(&again), text),
            Err(e) => panic!("rendered jar does not parse again: {e:?}\n{text}"),
        }
    }
});
