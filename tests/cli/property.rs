//! Property: what `--offline` prints is what is sent. For random methods, request items
//! (headers, query, data, raw JSON) and body-mode flags, the `--offline` print equals, byte
//! for byte, the request a recording server receives for the same command line.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::harness::*;

/// One request item, as typed.
fn item() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        "X-[A-Za-z0-9]{1,8}".prop_map(String::from),
        Just("Accept".to_string()),
        Just("User-Agent".to_string()),
        Just("Content-Type".to_string()),
        Just("Cookie".to_string()),
    ];
    // A value's first character decides the separator (`:=`, `:@`, `==`), so it is plain.
    let value = "([A-Za-z0-9]([ -~]{0,12}[!-~])?)?";
    let key = "[a-z][a-z0-9_]{0,6}";
    prop_oneof![
        (name.clone(), value).prop_map(|(n, v)| format!("{n}:{v}")),
        name.prop_map(|n| format!("{n};")),
        (key, value).prop_map(|(k, v)| format!("{k}=={v}")),
        (key, value).prop_map(|(k, v)| format!("{k}={v}")),
        (key, -1000i64..1000).prop_map(|(k, n)| format!("{k}:={n}")),
        (key, any::<bool>()).prop_map(|(k, b)| format!("{k}:={b}")),
        key.prop_map(|k| format!("{k}:=[1, \"two\", null]")),
    ]
}

/// A method (or none), items, and body-mode flags.
fn command() -> impl Strategy<Value = Vec<String>> {
    let method = prop_oneof![
        Just(None),
        Just(Some("GET")),
        Just(Some("POST")),
        Just(Some("PUT")),
        Just(Some("PATCH")),
        Just(Some("DELETE")),
    ];
    let flag = prop_oneof![Just(None), Just(Some("--form")), Just(Some("--json"))];
    (flag, method, prop::collection::vec(item(), 0..6)).prop_map(|(flag, method, items)| {
        let mut args: Vec<String> = flag.into_iter().map(String::from).collect();
        args.extend(method.map(String::from));
        args.push("{url}".into());
        args.extend(items);
        args
    })
}

#[test]
fn offline_print_is_what_the_server_receives() {
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&command(), |args| {
        let server = RawServer::respond("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let url = server.url("/p?fixed=1");
        let args: Vec<String> = args.iter().map(|a| a.replace("{url}", &url)).collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let offline = http(&["--offline", "--ignore-stdin"]).args(&refs).run();
        let online = http(&["-q", "--ignore-stdin"]).args(&refs).run();
        prop_assert_eq!(
            offline.code,
            online.code,
            "{:?}\n{}",
            args,
            offline.context()
        );
        let received = server.received();
        if offline.code != 0 {
            prop_assert!(received.is_empty(), "{:?}: sent after an error", args);
            return Ok(());
        }
        prop_assert_eq!(received.len(), 1);
        let sent = received[0].bytes();
        prop_assert!(
            offline.stdout == sent,
            "{:?}\n--- printed\n{}\n--- sent\n{}",
            args,
            String::from_utf8_lossy(&offline.stdout),
            String::from_utf8_lossy(&sent)
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
