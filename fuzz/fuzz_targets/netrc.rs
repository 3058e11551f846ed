//! `.netrc` files: any text parses (with warnings), and lookups never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let netrc = httpcli::netrc::parse(&text);
    let _ = netrc.lookup("example.org");
    let _ = netrc.lookup("");
    if let Some(entry) = netrc.entries.first() {
        if let Some(machine) = &entry.machine {
            let _ = netrc.lookup(machine);
        }
    }
});
