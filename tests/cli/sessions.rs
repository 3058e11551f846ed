//! Sessions: cookies replayed across runs with RFC 6265 scoping (path, domain, host-only,
//! Secure, expiry), redirects that change host, headers and auth persisted and overridden,
//! read-only sessions, the on-disk layout and modes, HTTPie's file layouts, concurrent runs
//! on one file, and a corrupt file left alone. Real servers on 127.0.0.1, no sleeps.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::{json, Value};

use crate::harness::*;

// ------------------------------------------------------------- helpers

/// The session file of a path session used by these tests (relative to HOME, the cwd).
const FILE: &str = "s.json";
const SESSION: &str = "--session=./s.json";

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}\n{text}", path.display()))
}

/// Runs `home` (a command with no arguments yet, whose HOME holds the
/// session) with `--session=./s.json ARGS...`; it must succeed.
#[track_caller]
fn in_session(home: &Cmd, args: &[&str]) -> Run {
    home.clone().arg(SESSION).args(args).run().success()
}

fn session_json(cmd: &Cmd) -> Value {
    read_json(&cmd.home().join(FILE))
}

/// `name=value` of every cookie in a session document, sorted.
fn cookie_pairs(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = doc["cookies"]
        .as_array()
        .expect("cookies is a list")
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["name"].as_str().unwrap(),
                c["value"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

fn cookie<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no cookie {name} in {doc:#}"))
}

/// Header `name` of every request `server` received, in order.
fn header_values(server: &Server, name: &str) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| r.header(name).map(str::to_string))
        .collect()
}

/// A server that answers each path with the `Set-Cookie` lines `cookies` gives for it.
fn cookie_server(cookies: fn(&str) -> Vec<String>) -> Server {
    Server::start(move |r| {
        let mut reply = Reply::text("ok");
        for line in cookies(r.path()) {
            reply = reply.header("Set-Cookie", &line);
        }
        reply
    })
}

/// A server that answers `path` with the `Set-Cookie` lines `cookies`, and
/// any other path without cookies.
fn cookies_on(path: &'static str, cookies: &'static [&'static str]) -> Server {
    Server::start(move |r| {
        let mut reply = Reply::text("ok");
        if r.path() == path {
            for line in cookies {
                reply = reply.header("Set-Cookie", line);
            }
        }
        reply
    })
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

// ------------------------------------------------------------- cookies

#[test]
fn login_cookie_is_replayed_on_the_next_run() {
    let server = cookies_on("/login", &["sid=abc123; Path=/; HttpOnly"]);
    let home = http(&[]);
    in_session(&home, &["POST", &server.url("/login"), "user=me"]);
    in_session(&home, &[&server.url("/me")]);
    let reqs = server.requests();
    assert_eq!((reqs[0].path(), reqs[1].path()), ("/login", "/me"));
    assert_eq!(reqs[0].header("Cookie"), None);
    assert_eq!(reqs[1].header_all("Cookie"), ["sid=abc123"]);
    // `Cookie:` alone sends no cookies this time, and keeps them.
    in_session(&home, &[&server.url("/anon"), "Cookie:"]);
    assert_eq!(server.requests()[2].header("Cookie"), None);
    let doc = session_json(&home);
    let sid = cookie(&doc, "sid");
    assert_eq!(sid["value"], "abc123");
    assert_eq!(sid["domain"], "127.0.0.1");
    assert_eq!(sid["path"], "/");
    assert_eq!(sid["expires"], Value::Null);
    assert_eq!(doc["__meta__"]["about"], "http session file");
}

#[test]
fn cookie_paths_scope_what_is_sent() {
    let server = cookies_on("/a/set", &["scoped=1; Path=/a", "root=2; Path=/"]);
    let cmd = http(&[]);
    for path in ["/a/set", "/a/deeper/x", "/b", "/ab"] {
        in_session(&cmd, &[&server.url(path)]);
    }
    assert_eq!(
        header_values(&server, "Cookie"),
        [
            None,
            Some("scoped=1; root=2".into()),
            Some("root=2".into()),
            Some("root=2".into()),
        ]
    );
}

#[test]
fn max_age_zero_and_past_expires_delete_cookies() {
    let server = cookie_server(|path| match path {
        "/set" => vec![
            "a=1; Path=/".into(),
            "b=2; Path=/".into(),
            "keep=3; Path=/; Max-Age=3600".into(),
        ],
        "/logout" => vec![
            "a=; Path=/; Max-Age=0".into(),
            "b=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT".into(),
        ],
        _ => vec![],
    });
    let cmd = http(&[]);
    for path in ["/set", "/logout", "/check"] {
        in_session(&cmd, &[&server.url(path)]);
    }
    let reqs = server.requests();
    assert_eq!(reqs[1].header("Cookie"), Some("a=1; b=2; keep=3"));
    assert_eq!(reqs[2].header("Cookie"), Some("keep=3"));
    let doc = session_json(&cmd);
    assert_eq!(cookie_pairs(&doc), ["keep=3"]);
    let expires = cookie(&doc, "keep")["expires"]
        .as_i64()
        .expect("a timestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now + 3500..=now + 3700).contains(&expires), "{expires}");
}

/// Secure cookies may go over plain http to a loopback host (nothing leaves the machine),
/// as browsers and HTTPie 3.2 do for localhost.
#[test]
fn secure_cookie_goes_to_loopback_over_http() {
    let server = cookies_on("/set", &["s=1; Secure; Path=/"]);
    let cmd = http(&[]);
    in_session(&cmd, &[&server.url("/set")]);
    in_session(&cmd, &[&server.url("/next")]);
    in_session(
        &cmd,
        &[&format!("http://localhost:{}/other-host", server.port)],
    );
    let reqs = server.requests();
    assert_eq!(reqs[1].header("Cookie"), Some("s=1"));
    assert_eq!(
        reqs[2].header("Cookie"),
        None,
        "host-only cookie went to localhost"
    );
    assert_eq!(cookie(&session_json(&cmd), "s")["secure"], true);
}

#[test]
fn cookie_for_another_domain_is_rejected() {
    let server = cookies_on(
        "/set",
        &[
            "evil=1; Domain=example.com; Path=/",
            "tld=1; Domain=com; Path=/",
            "own=1; Domain=127.0.0.1; Path=/",
        ],
    );
    let cmd = http(&[]);
    for path in ["/set", "/next"] {
        in_session(&cmd, &[&server.url(path)]);
    }
    assert_eq!(server.requests()[1].header("Cookie"), Some("own=1"));
    let doc = session_json(&cmd);
    assert_eq!(cookie_pairs(&doc), ["own=1"]);
    // An IP address has no subdomains: `Domain=127.0.0.1` makes a host-only cookie.
    assert_eq!(cookie(&doc, "own")["domain"], "127.0.0.1");
}

/// A redirect from 127.0.0.1 to localhost changes host: the first host's cookies (stored,
/// set on the redirect itself, or given with `Cookie:`) must not follow, while the cookie
/// the redirect sets is kept in the session.
#[test]
fn cross_host_redirect_does_not_carry_cookies() {
    let target = Server::start(|_| Reply::text("landed").header("Set-Cookie", "b=2; Path=/"));
    let land = format!("http://localhost:{}/land", target.port);
    let to = land.clone();
    let origin = Server::start(move |r| match r.path() {
        "/set" => Reply::text("ok").header("Set-Cookie", "a=1; Path=/"),
        _ => Reply::redirect(302, &to).header("Set-Cookie", "hop=1; Path=/"),
    });
    let cmd = http(&[]);
    in_session(&cmd, &[&origin.url("/set")]);
    in_session(&cmd, &["--follow", &origin.url("/go"), "Cookie:mine=x"]);
    let o = origin.requests();
    assert_eq!(o[1].header_all("Cookie"), ["a=1; mine=x"]);
    let t = target.request();
    assert_eq!(t.header("Cookie"), None, "cookies crossed hosts: {t:?}");

    let doc = session_json(&cmd);
    assert_eq!(cookie_pairs(&doc), ["a=1", "b=2", "hop=1", "mine=x"]);
    assert_eq!(cookie(&doc, "b")["domain"], "localhost.local");
    assert_eq!(cookie(&doc, "mine")["domain"], "127.0.0.1");

    // On the next run each host gets only its own cookies.
    in_session(&cmd, &[&land]);
    assert_eq!(target.requests()[1].header("Cookie"), Some("b=2"));
}

/// Cookies set on a hop of a followed chain are sent on the next hop and stored.
#[test]
fn cookies_set_during_a_redirect_chain_are_sent_and_kept() {
    let server = Server::start(|r| match r.path() {
        "/one" => Reply::redirect(302, "/two").header("Set-Cookie", "one=1; Path=/"),
        "/two" => Reply::redirect(303, "/three").header("Set-Cookie", "two=2; Path=/"),
        _ => Reply::text("done"),
    });
    let cmd = http(&[SESSION, "--follow", &server.url("/one")]);
    let home = cmd.clone();
    cmd.run().success();
    assert_eq!(
        header_values(&server, "Cookie"),
        [None, Some("one=1".into()), Some("one=1; two=2".into())]
    );
    assert_eq!(cookie_pairs(&session_json(&home)), ["one=1", "two=2"]);
}

/// Without a session, cookies set along a followed chain still reach the later hops they
/// match (requests keeps a jar per request), after a typed `Cookie` header kept as typed;
/// none cross to another host, and nothing is written.
#[test]
fn without_a_session_a_redirect_chain_keeps_its_cookies() {
    let server = Server::start(|r| match r.path() {
        "/one" => Reply::redirect(302, "/two").header("Set-Cookie", "one=1; Path=/"),
        "/two" => Reply::redirect(303, "/three").header("Set-Cookie", "two=2; Path=/"),
        _ => Reply::text("done"),
    });
    let run = http(&["--follow", &server.url("/one")]).run().success();
    assert_eq!(
        header_values(&server, "Cookie"),
        [None, Some("one=1".into()), Some("one=1; two=2".into())]
    );
    assert!(!run.home().join("s.json").exists());

    let typed = Server::start(|r| match r.path() {
        "/one" => Reply::redirect(302, "/two").header("Set-Cookie", "one=1; Path=/"),
        _ => Reply::text("done"),
    });
    http(&["--follow", &typed.url("/one"), "Cookie:z=9; mine=x"])
        .run()
        .success();
    assert_eq!(
        header_values(&typed, "Cookie"),
        [
            Some("z=9; mine=x".into()),
            Some("z=9; mine=x; one=1".into())
        ]
    );

    let target = Server::start(|_| Reply::text("landed"));
    let land = format!("http://localhost:{}/land", target.port);
    let origin =
        Server::start(move |_| Reply::redirect(302, &land).header("Set-Cookie", "a=1; Path=/"));
    http(&["--follow", &origin.url("/go"), "Cookie:mine=x"])
        .run()
        .success();
    assert_eq!(target.request().header("Cookie"), None);
}

// ------------------------------------------------------------- headers and auth

#[test]
fn headers_are_persisted_and_the_command_line_replaces_them() {
    let server = Server::echo();
    let cmd = http(&[]);
    in_session(
        &cmd,
        &[
            &server.url("/1"),
            "X-A:1",
            "X-B:2",
            "X-B:3",
            "Accept:text/html",
            "Content-Type:text/plain",
            "If-None-Match:abc",
            "X-Gone:",
            "Host:example.org",
        ],
    );
    let doc = session_json(&cmd);
    assert_eq!(
        doc["headers"],
        json!([
            {"name": "X-A", "value": "1"},
            {"name": "X-B", "value": "2"},
            {"name": "X-B", "value": "3"},
            {"name": "Accept", "value": "text/html"},
        ])
    );

    in_session(&cmd, &[&server.url("/2"), "X-A:9", "X-C:new"]);
    let r = &server.requests()[1];
    assert_eq!(r.header_all("X-A"), ["9"]);
    assert_eq!(r.header_all("X-B"), ["2", "3"]);
    assert_eq!(r.header_all("Accept"), ["text/html"]);
    assert_eq!(r.header("Content-Type"), None);
    assert_eq!(r.header("If-None-Match"), None);

    // Unsetting a header on the command line removes it from the session too.
    in_session(&cmd, &[&server.url("/3"), "X-B:"]);
    let r = &server.requests()[2];
    assert_eq!(r.header("X-B"), None);
    assert_eq!(r.header_all("X-A"), ["9"]);
    let doc = session_json(&cmd);
    assert_eq!(doc_names(&doc), ["Accept", "X-A", "X-C"]);
}

fn doc_names(doc: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = doc["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn auth_is_persisted_reused_and_overridden() {
    let server = Server::echo();
    let cmd = http(&[]);
    let run = |args: &[&str]| {
        in_session(&cmd, args);
    };
    run(&["-a", "alice:pw", &server.url("/1")]);
    assert_eq!(
        session_json(&cmd)["auth"],
        json!({"type": "basic", "raw_auth": "alice:pw"})
    );
    run(&[&server.url("/2")]);
    run(&["-a", "bob:other", &server.url("/3")]);
    run(&[&server.url("/4")]);
    // URL credentials count as given on the command line.
    run(&[&format!("http://carol:c@127.0.0.1:{}/5", server.port)]);
    run(&["-A", "bearer", "-a", "T0KEN", &server.url("/6")]);
    run(&[&server.url("/7")]);
    assert_eq!(
        header_values(&server, "Authorization"),
        [
            Some(basic_auth("alice:pw")),
            Some(basic_auth("alice:pw")),
            Some(basic_auth("bob:other")),
            Some(basic_auth("bob:other")),
            Some(basic_auth("carol:c")),
            Some("Bearer T0KEN".into()),
            Some("Bearer T0KEN".into()),
        ]
    );
    assert_eq!(
        session_json(&cmd)["auth"],
        json!({"type": "bearer", "raw_auth": "T0KEN"})
    );
}

#[test]
fn netrc_credentials_are_used_but_not_saved_and_session_auth_wins() {
    let server = Server::echo();
    let cmd = http(&[]).home_file(".netrc", "machine 127.0.0.1 login net password rc\n");
    in_session(&cmd, &[&server.url("/1")]);
    assert_eq!(
        session_json(&cmd)["auth"],
        json!({"type": null, "raw_auth": null})
    );
    in_session(&cmd, &["-a", "s:p", &server.url("/2")]);
    in_session(&cmd, &[&server.url("/3")]);
    assert_eq!(
        header_values(&server, "Authorization"),
        [
            Some(basic_auth("net:rc")),
            Some(basic_auth("s:p")),
            Some(basic_auth("s:p"))
        ]
    );
}

#[test]
fn password_typed_at_the_prompt_is_saved() {
    let server = Server::echo();
    let home = http(&[]);
    let mut pty = home
        .clone()
        .args(&[SESSION, "-a", "alice", &server.url("/p")])
        .spawn_pty();
    pty.wait_output("http: password for alice: ");
    pty.wait_echo_off();
    pty.write(b"typed-pw\n");
    pty.wait().success();
    assert_eq!(
        session_json(&home)["auth"],
        json!({"type": "basic", "raw_auth": "alice:typed-pw"})
    );
    in_session(&home, &[&server.url("/again")]);
    assert_eq!(
        server.requests()[1].header("Authorization"),
        Some(basic_auth("alice:typed-pw").as_str())
    );
}

// ------------------------------------------------------------- files

#[test]
fn read_only_session_is_used_but_never_written() {
    let server = cookie_server(|_| vec!["fresh=1; Path=/".into()]);
    let original = r#"{"cookies": [{"name": "old", "value": "v", "domain": "127.0.0.1", "path": "/", "secure": false, "expires": null}], "headers": [{"name": "X-S", "value": "1"}], "auth": {"type": "basic", "raw_auth": "u:p"}}"#;
    let cmd = http(&[]).home_file(FILE, original);
    cmd.clone()
        .args(&[
            "--session-read-only=./s.json",
            &server.url("/x"),
            "X-New:2",
            "-a",
            "v:w",
        ])
        .run()
        .success();
    cmd.clone()
        .args(&["--session-read-only=./s.json", &server.url("/y")])
        .run()
        .success();
    let reqs = server.requests();
    assert_eq!(reqs[0].header("Cookie"), Some("old=v"));
    assert_eq!(reqs[0].header("X-S"), Some("1"));
    assert_eq!(
        reqs[0].header("Authorization"),
        Some(basic_auth("v:w").as_str())
    );
    assert_eq!(
        reqs[1].header("Cookie"),
        Some("old=v"),
        "fresh cookie stored"
    );
    assert_eq!(reqs[1].header("X-New"), None);
    assert_eq!(
        reqs[1].header("Authorization"),
        Some(basic_auth("u:p").as_str())
    );
    assert_eq!(
        std::fs::read_to_string(cmd.home().join(FILE)).unwrap(),
        original
    );
}

#[test]
fn read_only_session_that_does_not_exist_is_not_created() {
    let server = cookie_server(|_| vec!["c=1".into()]);
    let run = http(&["--session-read-only=ro", &server.url("/")])
        .run()
        .success();
    assert_eq!(server.hits(), 1);
    assert!(
        !run.home().join(".config").exists(),
        "read-only session created files"
    );
    let run = http(&["--session-read-only=./sub/ro.json", &server.url("/")])
        .run()
        .success();
    assert!(!run.home().join("sub").exists());
}

#[test]
fn named_session_lives_per_host_with_private_modes() {
    let server = cookie_server(|_| vec!["c=1; Path=/".into()]);
    let run = http(&["--session=work", &server.url("/")]).run().success();
    let sessions = run.home().join(".config/http/sessions");
    let dir = sessions.join(format!("127.0.0.1_{}", server.port));
    let file = dir.join("work.json");
    assert_eq!(cookie_pairs(&read_json(&file)), ["c=1"]);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&sessions), 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("{\n    \"__meta__\": {\n        \"about\": \"http session file\",\n        \"http\": \"0.1.0\"\n    },\n"),
        "{text}"
    );
    // Nothing but the session is left in the directory: the lock file is removed with the lock.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["work.json"]);

    // HTTP_CONFIG_DIR moves the whole tree; another port is another directory.
    let run = http(&["--session=work", &server.url("/")])
        .env("HTTP_CONFIG_DIR", "cfg")
        .run()
        .success();
    let moved = run
        .home()
        .join(format!("cfg/sessions/127.0.0.1_{}/work.json", server.port));
    assert!(moved.is_file(), "{}", moved.display());
}

#[test]
fn invalid_session_name_is_a_clear_error() {
    let server = Server::echo();
    let run = http(&["--session=bad name", &server.url("/")])
        .run()
        .assert_code(1);
    assert_eq!(
        run.stderr_str(),
        "http: error: session name 'bad name' contains invalid characters: use letters, \
         digits, '_', '.' and '-', or a path such as ./bad name.json\n"
    );
    assert_eq!(server.hits(), 0);
}

#[test]
fn corrupt_session_file_is_an_error_and_left_untouched() {
    let server = Server::echo();
    let bad = b"{\"cookies\": [ truncated";
    let cmd = http(&[SESSION, &server.url("/")]).home_file(FILE, bad);
    let home = cmd.clone();
    let run = cmd.run().assert_code(1);
    let err = run.stderr_str();
    assert!(
        err.starts_with(&format!(
            "http: error: session file '{}' is not valid JSON: ",
            home.home().join(FILE).display()
        )),
        "{err}"
    );
    assert!(err.ends_with("; it was left untouched\n"), "{err}");
    assert_eq!(std::fs::read(home.home().join(FILE)).unwrap(), bad);
    assert_eq!(server.hits(), 0);

    // Valid JSON of the wrong shape is refused the same way.
    let cmd = http(&[SESSION, &server.url("/")]).home_file(FILE, "{\"cookies\": 42}");
    let run = cmd.run().assert_code(1);
    assert!(
        run.stderr_str()
            .contains("is not a valid session (cookies must be a list)"),
        "{run:?}"
    );
}

#[test]
fn offline_requests_still_save_the_session() {
    let run = http(&[
        SESSION,
        "--offline",
        "example.org/x",
        "X-Api:k",
        "Cookie:a=1; b=2",
        "-a",
        "u:p",
    ])
    .run()
    .success();
    let out = run.stdout_str();
    assert!(out.contains("\r\nCookie: a=1; b=2\r\n"), "{out}");
    let doc = read_json(&run.home().join(FILE));
    assert_eq!(doc["headers"], json!([{"name": "X-Api", "value": "k"}]));
    assert_eq!(doc["auth"], json!({"type": "basic", "raw_auth": "u:p"}));
    assert_eq!(cookie_pairs(&doc), ["a=1", "b=2"]);
    assert_eq!(cookie(&doc, "a")["domain"], "example.org");
}

/// HTTPie 3.2's layout, including an unbound cookie (`domain: null`), which is bound to the
/// request's host on load and never sent elsewhere.
#[test]
fn httpie_current_layout_is_read() {
    let server = Server::echo();
    let fixture = json!({
        "__meta__": {"about": "HTTPie session file", "help": "https://httpie.io/docs#sessions", "httpie": "3.2.4"},
        "auth": {"type": "basic", "raw_auth": "pie:secret"},
        "cookies": [
            {"name": "bound", "value": "1", "domain": "127.0.0.1", "path": "/", "secure": false, "expires": null},
            {"name": "unbound", "value": "2", "domain": null, "path": "/", "secure": false, "expires": null},
            {"name": "elsewhere", "value": "3", "domain": "example.org", "path": "/", "secure": false, "expires": null},
            {"name": "stale", "value": "4", "domain": "127.0.0.1", "path": "/", "secure": false, "expires": 1000}
        ],
        "headers": [{"name": "X-Api-Key", "value": "123"}, {"name": "X-Twice", "value": "a"}, {"name": "X-Twice", "value": "b"}]
    });
    let cmd = http(&[SESSION, &server.url("/")]).home_file(FILE, fixture.to_string());
    let home = cmd.clone();
    cmd.run().success();
    let r = server.request();
    assert_eq!(r.header("Cookie"), Some("bound=1; unbound=2"));
    assert_eq!(r.header("X-Api-Key"), Some("123"));
    assert_eq!(r.header_all("X-Twice"), ["a", "b"]);
    assert_eq!(
        r.header("Authorization"),
        Some(basic_auth("pie:secret").as_str())
    );
    let doc = session_json(&home);
    assert_eq!(cookie_pairs(&doc), ["bound=1", "elsewhere=3", "unbound=2"]);
    assert_eq!(cookie(&doc, "unbound")["domain"], "127.0.0.1");
    assert_eq!(
        doc["auth"],
        json!({"type": "basic", "raw_auth": "pie:secret"})
    );
}

/// `localhost` has no dot: Python's cookiejar (so HTTPie) files its cookies under
/// `localhost.local` and sends no cookie filed under `localhost`. Both forms are read as
/// host `localhost` and written in HTTPie's, so one file goes back and forth between the two
/// tools; a cookie for a real dotted host is written as it is.
#[test]
fn dotless_host_cookies_are_filed_as_httpie_files_them() {
    let server = cookies_on("/set", &["new=4; Path=/"]);
    let port = server.port;
    let local = format!("http://localhost:{port}/");
    let to = format!("--connect-to=localhost:{port}:127.0.0.1:{port}");
    let fixture = json!({
        "cookies": [
            {"name": "pie", "value": "1", "domain": "localhost.local", "path": "/", "secure": false, "expires": null},
            {"name": "bare", "value": "2", "domain": "localhost", "path": "/", "secure": false, "expires": null},
            {"name": "ip", "value": "3", "domain": "127.0.0.1", "path": "/", "secure": false, "expires": null}
        ]
    });
    let cmd = http(&[]).home_file(FILE, fixture.to_string());
    // From another host first: the localhost cookies stay localhost's, unsent and kept.
    in_session(&cmd, &[&server.url("/")]);
    in_session(&cmd, &[&to, &format!("{local}set")]);
    in_session(&cmd, &[&to, &local]);
    assert_eq!(
        header_values(&server, "Cookie"),
        [
            Some("ip=3".into()),
            Some("bare=2; pie=1".into()),
            Some("bare=2; new=4; pie=1".into())
        ]
    );
    let doc = session_json(&cmd);
    assert_eq!(cookie_pairs(&doc), ["bare=2", "ip=3", "new=4", "pie=1"]);
    for name in ["pie", "bare", "new"] {
        assert_eq!(cookie(&doc, name)["domain"], "localhost.local", "{doc:#}");
    }
    assert_eq!(cookie(&doc, "ip")["domain"], "127.0.0.1");
}

/// The layouts before HTTPie 3.1/3.2: cookies and headers as objects, auth with
/// username/password.
#[test]
fn httpie_old_layout_is_read_and_rewritten_in_the_current_one() {
    let server = Server::echo();
    let fixture = r#"{
        "__meta__": {"about": "HTTPie session file", "httpie": "2.6.0"},
        "auth": {"type": null, "username": "old", "password": "pw"},
        "cookies": {"sid": {"value": "x", "path": "/", "secure": false, "expires": null}},
        "headers": {"X-Old": "1", "User-Agent": "custom/1"}
    }"#;
    let cmd = http(&[SESSION, &server.url("/")]).home_file(FILE, fixture);
    let home = cmd.clone();
    cmd.run().success();
    let r = server.request();
    assert_eq!(r.header("Cookie"), Some("sid=x"));
    assert_eq!(r.header("X-Old"), Some("1"));
    assert_eq!(r.header_all("User-Agent"), ["custom/1"]);
    assert_eq!(
        r.header("Authorization"),
        Some(basic_auth("old:pw").as_str())
    );
    let doc = session_json(&home);
    assert!(
        doc["cookies"].is_array() && doc["headers"].is_array(),
        "{doc:#}"
    );
    assert_eq!(cookie(&doc, "sid")["domain"], "127.0.0.1");
    assert_eq!(doc["auth"], json!({"type": "basic", "raw_auth": "old:pw"}));
}

/// Twenty runs at once on one session file, each given a distinct cookie: the file stays
/// valid JSON and keeps all twenty (the lock spans load to save).
#[test]
fn concurrent_runs_keep_every_cookie() {
    let server = Server::start(|r| {
        let i = r
            .query()
            .unwrap_or("i=x")
            .trim_start_matches("i=")
            .to_string();
        Reply::text("ok").header("Set-Cookie", &format!("c{i}=v; Path=/"))
    });
    let base = http(&[]);
    let running: Vec<Running> = (0..20)
        .map(|i| {
            base.clone()
                .args(&[SESSION, &server.url(&format!("/?i={i}"))])
                .spawn()
        })
        .collect();
    for r in running {
        r.wait().success();
    }
    let doc = session_json(&base);
    let mut want: Vec<String> = (0..20).map(|i| format!("c{i}=v")).collect();
    want.sort();
    assert_eq!(cookie_pairs(&doc), want);
    assert_eq!(mode(&base.home().join(FILE)), 0o600);
    let leftovers: Vec<String> = std::fs::read_dir(base.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A lock file left by a run that was killed holding it is taken over and removed.
#[test]
fn lock_file_left_by_a_killed_run_is_removed() {
    let server = Server::echo();
    let cmd = http(&[]).home_file("s.json.lock", "");
    in_session(&cmd, &[&server.url("/")]);
    assert_eq!(server.hits(), 1);
    assert!(cmd.home().join(FILE).is_file());
    assert!(!cmd.home().join("s.json.lock").exists());
}

/// Names, sizes and modification times of the files in `dir`.
fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, m.len(), m.modified().unwrap())
        })
        .collect();
    out.sort();
    out
}

/// `--session-read-only` writes nothing: no lock file, no temporary, no change to the file,
/// for a named session as for a path, even when the server sets cookies.
#[test]
fn read_only_session_creates_and_modifies_nothing() {
    let server = cookie_server(|_| vec!["fresh=1; Path=/".into()]);
    let named = format!(".config/http/sessions/127.0.0.1_{}/ro.json", server.port);
    let body = r#"{"cookies": [], "headers": [{"name": "X-S", "value": "1"}]}"#;
    let cmd = http(&[])
        .home_file("sub/s.json", body)
        .home_file(&named, body);
    let home = cmd.home();
    let dirs = [
        home.join("sub"),
        home.join(&named).parent().unwrap().to_path_buf(),
    ];
    let before: Vec<_> = dirs.iter().map(|d| snapshot(d)).collect();
    for session in ["--session-read-only=./sub/s.json", "--session-read-only=ro"] {
        cmd.clone()
            .args(&[session, &server.url("/")])
            .run()
            .success();
    }
    assert_eq!(
        header_values(&server, "X-S"),
        [Some("1".into()), Some("1".into())]
    );
    let after: Vec<_> = dirs.iter().map(|d| snapshot(d)).collect();
    assert_eq!(after, before);
}

/// A symlinked session file is updated where it points, and stays a symlink.
#[test]
fn symlinked_session_file_is_updated_in_place() {
    let server = cookie_server(|_| vec!["c=1; Path=/".into()]);
    let cmd = http(&[SESSION, &server.url("/")]).home_file("real/s.json", "{}");
    let keep = cmd.clone();
    let home = keep.home();
    std::os::unix::fs::symlink(home.join("real/s.json"), home.join(FILE)).unwrap();
    cmd.run().success();
    assert!(std::fs::symlink_metadata(home.join(FILE))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(cookie_pairs(&read_json(&home.join("real/s.json"))), ["c=1"]);
}

/// An auth type from an HTTPie plugin is kept in the file but not used, with a warning.
#[test]
fn unknown_auth_type_is_kept_and_not_used() {
    let server = Server::echo();
    let cmd = http(&[SESSION, &server.url("/")]).home_file(
        FILE,
        r#"{"auth": {"type": "jwt", "raw_auth": "abc"}, "cookies": [], "headers": []}"#,
    );
    let home = cmd.clone();
    let run = cmd.run().success();
    assert_eq!(
        run.stderr_str(),
        "http: warning: session auth type 'jwt' is not supported; the request goes without it\n"
    );
    assert_eq!(server.request().header("Authorization"), None);
    assert_eq!(
        session_json(&home)["auth"],
        json!({"type": "jwt", "raw_auth": "abc"})
    );
}

/// A session header that could not be sent is an error naming the file and the header; the
/// file is left as it is and nothing is sent.
#[test]
fn unsendable_session_header_is_an_error_naming_it() {
    let server = Server::echo();
    let broken = r#"{"headers": [{"name": "X-Bad", "value": "a\r\nX-Injected: 1"}]}"#;
    let cmd = http(&[]).home_file(FILE, broken);
    let run = cmd.clone().arg(SESSION).arg(server.url("/")).run();
    assert_eq!(run.code, 1, "{run:?}");
    let err = run.stderr_str();
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(
        err.contains("s.json") && err.contains("header 'X-Bad'"),
        "{run:?}"
    );
    assert_eq!(server.hits(), 0);
    let left = std::fs::read_to_string(cmd.home().join(FILE)).unwrap();
    assert_eq!(left, broken);
}

/// Temporary files left by writers killed mid-write are removed by the next writer (it holds
/// the lock, so none of them can be in use); other files are left alone.
#[test]
fn stale_temporary_files_are_cleaned_up() {
    let server = Server::echo();
    let cmd = http(&[])
        .home_file(".s.json.4242.tmp", "{half")
        .home_file(".s.json.1.tmp", "")
        .home_file(".s.json.notes.tmp", "mine")
        .home_file("other.json.5.tmp", "mine");
    in_session(&cmd, &[&server.url("/")]);
    let home = cmd.home();
    assert!(!home.join(".s.json.4242.tmp").exists());
    assert!(!home.join(".s.json.1.tmp").exists());
    assert!(home.join(".s.json.notes.tmp").exists());
    assert!(home.join("other.json.5.tmp").exists());
    assert!(home.join(FILE).exists());
}
