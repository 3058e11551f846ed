//! `--cookie-jar FILE`: Netscape cookie files shared with curl. A jar curl 7.88 wrote (the
//! committed fixture) is read and its cookies go to the right hosts and paths; a jar http
//! writes is read by curl; round trips with Set-Cookie, deletion and expiry; the file's mode,
//! atomic replacement and `#HttpOnly_` lines; with and without `--session`; `--offline`;
//! malformed files. Real servers on 127.0.0.1 (other names through `--resolve`).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::*;

/// `curl -c` against a server setting a session cookie, an expiring one, an HttpOnly one, a
/// domain cookie and a path cookie on www.example.test, then a Secure one on localhost.
const CURL_JAR: &str = include_str!("fixtures/curl-7.88.cookies.txt");

const JAR: &str = "jar.txt";

/// A server that answers `/set...` paths with the `Set-Cookie` lines of `cookies`.
fn setting(cookies: &'static [&'static str]) -> Server {
    Server::start(move |r| {
        let mut reply = Reply::text("ok");
        if r.path().starts_with("/set") {
            for line in cookies {
                reply = reply.header("Set-Cookie", line);
            }
        }
        reply
    })
}

fn jar_text(cmd: &Cmd) -> String {
    let path = cmd.home().join(JAR);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The cookie lines of a jar (no comments, no blank lines), `#HttpOnly_` ones included.
fn cookie_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty() && (!l.starts_with('#') || l.starts_with("#HttpOnly_")))
        .map(str::to_string)
        .collect()
}

fn cookies_sent(server: &Server) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| r.header("Cookie").map(str::to_string))
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Files in the jar's directory besides the jar: no temporary or lock file is left behind.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != JAR && n != "s.json" && !n.starts_with(".config"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_jar_curl_wrote_sends_each_cookie_where_it_belongs() {
    let server = Server::start(|_| Reply::text("ok"));
    let p = server.port;
    let cmd = http(&[]).home_file(JAR, CURL_JAR);
    let resolve = |host: &str| format!("{host}:{p}:127.0.0.1");
    for url in [
        format!("http://www.example.test:{p}/app/x"),
        format!("http://www.example.test:{p}/"),
        format!("http://other.example.test:{p}/app"),
        format!("http://localhost:{p}/"),
        format!("http://127.0.0.1:{p}/"),
    ] {
        cmd.clone()
            .args(&["--cookie-jar", JAR, &url])
            .args(&["--resolve", &resolve("www.example.test")])
            .args(&["--resolve", &resolve("other.example.test")])
            .run()
            .success();
    }
    assert_eq!(
        cookies_sent(&server),
        [
            Some("deep=p2; dom=d1; hidden=h1; persist=p1; sess=s1".into()),
            Some("dom=d1; hidden=h1; persist=p1; sess=s1".into()),
            Some("dom=d1".into()),
            Some("sec=x1".into()),
            None,
        ]
    );
    // Written back in curl's layout with nothing lost: session cookies keep expiry 0,
    // HttpOnly its prefix, the domain cookie its dot and TRUE.
    let mut want = cookie_lines(CURL_JAR);
    want.sort();
    let mut got = cookie_lines(&jar_text(&cmd));
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn curl_reads_the_jar_http_writes() {
    crate::output::require("curl");
    let server = setting(&[
        "a=1; Path=/",
        "h=2; HttpOnly; Path=/",
        "p=3; Path=/app; Max-Age=3600",
    ]);
    let cmd = http(&[]);
    cmd.clone()
        .args(&["--cookie-jar", JAR, &server.url("/set")])
        .run()
        .success();
    let text = jar_text(&cmd);
    assert!(text.starts_with("# Netscape HTTP Cookie File\n"), "{text}");
    let lines = cookie_lines(&text);
    assert!(
        lines.contains(&"127.0.0.1\tFALSE\t/\tFALSE\t0\ta\t1".to_string()),
        "{text}"
    );
    assert!(
        lines.contains(&"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\th\t2".to_string()),
        "{text}"
    );
    let mode = std::fs::metadata(cmd.home().join(JAR))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(leftovers(cmd.home()), Vec::<String>::new());

    for path in ["/app/x", "/"] {
        let run = Cmd::program("curl", &["-sS", "-b", JAR, &server.url(path)])
            .current_dir(cmd.home())
            .run();
        assert_eq!(run.code, 0, "{run:?}");
    }
    let sent = cookies_sent(&server);
    let sorted = |s: &Option<String>| {
        let mut v: Vec<String> = s
            .as_deref()
            .unwrap_or("")
            .split("; ")
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&sent[1]), ["a=1", "h=2", "p=3"]);
    assert_eq!(sorted(&sent[2]), ["a=1", "h=2"]);
}

#[test]
fn as_curl_exports_the_jar_as_b_and_c() {
    crate::output::require("curl");
    let server = setting(&["new=1; Path=/"]);
    let cmd = http(&[]).home_file(JAR, "127.0.0.1\tFALSE\t/\tFALSE\t0\tj\t1\n");
    let run = cmd
        .clone()
        .args(&["--as=curl", "--cookie-jar", JAR, &server.url("/set")])
        .run()
        .success();
    let line = run.stdout_str();
    assert!(line.trim_end().ends_with("-b jar.txt -c jar.txt"), "{line}");
    assert!(
        !line.contains("Cookie"),
        "the jar is curl's to send: {line}"
    );
    let curl = Cmd::program("/bin/sh", &["-c", line.trim_end()])
        .current_dir(cmd.home())
        .run();
    assert_eq!(curl.code, 0, "{curl:?}");
    assert_eq!(cookies_sent(&server), [Some("j=1".into())]);
    assert!(jar_text(&cmd).contains("\tnew\t1"), "curl wrote the jar");
}

#[test]
fn set_cookie_deletion_and_expiry_round_trip() {
    let server = Server::start(|r| match r.path() {
        "/set" => Reply::text("ok")
            .header("Set-Cookie", "new=2; Path=/; Max-Age=3600")
            .header("Set-Cookie", "old=; Path=/; Max-Age=0"),
        _ => Reply::text("ok"),
    });
    let seed = "# Netscape HTTP Cookie File\n\
                127.0.0.1\tFALSE\t/\tFALSE\t0\told\t1\n\
                127.0.0.1\tFALSE\t/\tFALSE\t1000\tstale\t1\n\
                #HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tkept\tk\n";
    let cmd = http(&[]).home_file(JAR, seed);
    for path in ["/set", "/next"] {
        cmd.clone()
            .args(&["--cookie-jar", JAR, &server.url(path)])
            .run()
            .success();
    }
    assert_eq!(
        cookies_sent(&server),
        [Some("kept=k; old=1".into()), Some("kept=k; new=2".into())]
    );
    let lines = cookie_lines(&jar_text(&cmd));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tkept\tk");
    let fields: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!((fields[5], fields[6]), ("new", "2"));
    let expiry: i64 = fields[4].parse().unwrap();
    assert!((now() + 3500..=now() + 3700).contains(&expiry), "{expiry}");
    assert_eq!(leftovers(cmd.home()), Vec::<String>::new());
}

/// With `--session` too, both send their cookies (the session's win a name clash) and each
/// file keeps what it had plus what the responses set; a read-only session leaves the jar
/// writable.
#[test]
fn with_a_session_both_send_and_both_keep() {
    let server = Server::start(|r| {
        let reply = Reply::text("ok");
        match r.path() {
            "/login" => reply
                .header("Set-Cookie", "s=1; Path=/")
                .header("Set-Cookie", "x=sess"),
            "/set" => reply.header("Set-Cookie", "both=3; Path=/"),
            "/ro" => reply.header("Set-Cookie", "ro=4; Path=/"),
            _ => reply,
        }
    });
    let cmd = http(&[]).home_file(
        JAR,
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tj\t1\n127.0.0.1\tFALSE\t/\tFALSE\t0\tx\tjar\n",
    );
    let run = |args: &[&str], path: &str| {
        cmd.clone().args(args).arg(server.url(path)).run().success();
    };
    run(&["--session=./s.json"], "/login");
    run(&["--session=./s.json", "--cookie-jar", JAR], "/set");
    run(
        &["--session-read-only=./s.json", "--cookie-jar", JAR],
        "/ro",
    );
    run(&["--cookie-jar", JAR], "/after");
    assert_eq!(
        cookies_sent(&server),
        [
            None,
            Some("s=1; x=sess; j=1".into()),
            Some("both=3; s=1; x=sess; j=1".into()),
            Some("both=3; j=1; ro=4; x=jar".into()),
        ]
    );
    let session = std::fs::read_to_string(cmd.home().join("s.json")).unwrap();
    assert!(
        session.contains("\"both\"") && !session.contains("\"ro\""),
        "{session}"
    );
    assert!(!session.contains("\"j\""), "{session}");
    let mut names: Vec<String> = cookie_lines(&jar_text(&cmd))
        .iter()
        .map(|l| l.split('\t').nth(5).unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["both", "j", "ro", "x"]);
    assert_eq!(leftovers(cmd.home()), Vec::<String>::new());
}

#[test]
fn offline_reads_the_jar_and_writes_nothing() {
    let cmd = http(&[]);
    let run = cmd
        .clone()
        .args(&["--offline", "--cookie-jar", JAR, "http://127.0.0.1:9/"])
        .run()
        .success();
    assert!(!run.stdout_str().contains("Cookie"), "{}", run.stdout_str());
    assert!(!cmd.home().join(JAR).exists(), "--offline created the jar");

    let seed = "127.0.0.1\tFALSE\t/\tFALSE\t0\tj\t1\n";
    let cmd = http(&[]).home_file(JAR, seed);
    let run = cmd
        .clone()
        .args(&["--offline", "--cookie-jar", JAR, "http://127.0.0.1:9/"])
        .run()
        .success();
    assert!(
        run.stdout_str().contains("Cookie: j=1\r\n"),
        "{}",
        run.stdout_str()
    );
    assert_eq!(jar_text(&cmd), seed, "rewritten by --offline");
    assert_eq!(leftovers(cmd.home()), Vec::<String>::new());
}

#[test]
fn a_malformed_jar_is_an_error_before_anything_is_sent() {
    let server = Server::start(|_| Reply::text("ok"));
    let bad = "# Netscape HTTP Cookie File\n\n127.0.0.1\tFALSE\t/\tmaybe\t0\ta\t1\n";
    let cmd = http(&[]).home_file(JAR, bad);
    let run = cmd
        .clone()
        .args(&["--cookie-jar", JAR, &server.url("/")])
        .run()
        .assert_code(1);
    let err = run.stderr_str();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("http: error: cookie jar '"), "{err}");
    assert!(
        err.contains("jar.txt', line 3: secure must be TRUE or FALSE"),
        "{err}"
    );
    assert_eq!(server.hits(), 0);
    assert_eq!(jar_text(&cmd), bad, "left untouched");
    assert_eq!(leftovers(cmd.home()), Vec::<String>::new());
}

#[test]
fn the_config_file_can_name_a_jar() {
    let server = setting(&["c=1; Path=/"]);
    let cfg = r#"{"default_options": ["--cookie-jar=~/jar.txt"]}"#;
    let cmd = http(&[]).home_file(".config/http/config.json", cfg);
    for path in ["/set", "/again"] {
        cmd.clone().arg(server.url(path)).run().success();
    }
    assert!(jar_text(&cmd).contains("\tc\t1\n"));
    // `--no-cookie-jar` cancels it for one command: nothing sent, nothing written.
    std::fs::remove_file(cmd.home().join(JAR)).unwrap();
    cmd.clone()
        .args(&["--no-cookie-jar", &server.url("/set")])
        .run()
        .success();
    assert_eq!(cookies_sent(&server), [None, Some("c=1".into()), None]);
    assert!(!cmd.home().join(JAR).exists());
}

/// Each hop of a redirect gets the jar's cookies for its own URL, and cookies set by a
/// redirect response are sent on the next hop and saved.
#[test]
fn each_redirect_hop_gets_its_own_cookies() {
    let server = Server::start(|r| match r.path() {
        "/r/start" => Reply::redirect(302, "/dest").header("Set-Cookie", "hop=1; Path=/"),
        _ => Reply::text("ok"),
    });
    let cmd = http(&[]).home_file(JAR, "127.0.0.1\tFALSE\t/r\tFALSE\t0\tronly\t1\n");
    cmd.clone()
        .args(&["--follow", "--cookie-jar", JAR, &server.url("/r/start")])
        .run()
        .success();
    assert_eq!(
        cookies_sent(&server),
        [Some("ronly=1".into()), Some("hop=1".into())]
    );
    assert!(jar_text(&cmd).contains("\t/\tFALSE\t0\thop\t1\n"));
}

#[test]
fn a_jar_in_a_missing_directory_is_an_error_before_sending() {
    let server = Server::start(|_| Reply::text("ok"));
    let run = http(&["--cookie-jar", "no/such/dir/jar.txt", &server.url("/")])
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str()
            .contains("cannot create cookie jar lock file"),
        "{}",
        run.stderr_str()
    );
    assert_eq!(server.hits(), 0);
}
