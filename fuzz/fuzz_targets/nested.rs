//! Nested JSON paths (`a[b][0]=x`, `[]:=1`, ...): up to 8 `key<TAB>value` lines, the value
//! as JSON when it parses, else a string; building never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(String, Value)> = text
        .split('\n')
        .take(8)
        .map(|line| {
            let (key, raw) = line.split_once('\t').unwrap_or((line, ""));
            let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.into()));
            (key.to_string(), value)
        })
        .collect();
    let _ = httpcli::cli::nested::build(&pairs);
    for (key, _) in &pairs {
        let _ = httpcli::cli::nested::parse_path(key);
    }
});
