//! The config file: `config.json` in the config directory (`$HTTP_CONFIG_DIR`,
//! else `$XDG_CONFIG_HOME/http`, else `~/.config/http`), with HTTPie's
//! `default_options` (cancelled by `--no-OPTION`) and per-URL-prefix
//! settings (headers, auth from environment variables, timeout, retries,
//! retry statuses, verify, proxy, follow) chosen by the longest matching
//! prefix, the command line winning; `--config-show URL`; malformed files
//! are warnings, never failures.
//!
//! Every command gets its own `HOME` whose `XDG_CONFIG_HOME` is
//! `HOME/.config`, so `home_file(".config/http/config.json", ...)` is the
//! config file of that command only.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{
    basic_auth, http, Cmd, Conn, RawServer, Recorded, Reply, Run, Server, TlsServer,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const CONFIG: &str = ".config/http/config.json";

/// `cmd` with `value` as its config file.
fn with_config(cmd: Cmd, value: Value) -> Cmd {
    cmd.home_file(CONFIG, value.to_string())
}

/// Where the config file of `run` is.
fn config_path(run: &Run) -> PathBuf {
    run.home().join(CONFIG)
}

/// The `prefixes` key of a URL: `http://127.0.0.1:PORT/path`.
fn prefix(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}/{}", path.trim_start_matches('/'))
}

/// A config whose root prefix of 127.0.0.1:PORT sends a bearer token from
/// `$MY_TOKEN`.
fn bearer_from_env(port: u16) -> Value {
    json!({"prefixes": {
        prefix(port, "/"): {"auth": {"type": "bearer", "token_env": "MY_TOKEN"}}
    }})
}

/// A config whose root prefix of 127.0.0.1:PORT sends basic auth for
/// `alice` with the password from `$ALICE_PW`.
fn basic_from_env(port: u16) -> Value {
    json!({"prefixes": {
        prefix(port, "/"): {"auth": {"type": "basic", "username": "alice", "password_env": "ALICE_PW"}}
    }})
}

/// Runs `http --config-show ARGS...` with `cfg` as the config file and the
/// environment variables `env`; it must succeed.
#[track_caller]
fn config_show(args: &[&str], cfg: Value, env: &[(&str, &str)]) -> Run {
    let mut cmd = with_config(http(&["--config-show"]).args(args), cfg);
    for (key, value) in env {
        cmd = cmd.env(key, value);
    }
    cmd.run().success()
}

/// Asserts stdout starts with the response head (`--print=h`).
#[track_caller]
fn assert_head_shown(run: &Run) {
    assert!(
        run.stdout_str().starts_with("HTTP/1.1 200 OK"),
        "{}",
        run.context()
    );
}

/// Asserts stdout contains `text`.
#[track_caller]
fn assert_stdout_has(run: &Run, text: &str) {
    assert!(run.stdout_str().contains(text), "{}", run.context());
}

fn warnings(run: &Run) -> Vec<String> {
    run.stderr_lines_starting("http: warning: ")
}

/// A server that redirects `/r` to `/t` and answers `/t` with `target`.
fn redirecting() -> Server {
    Server::start(|r| match r.path() {
        "/r" => Reply::redirect(302, "/t"),
        _ => Reply::text("target"),
    })
}

// ---------------------------------------------------------------------------
// default_options and --no-OPTION
// ---------------------------------------------------------------------------

#[test]
fn default_options_apply_and_the_command_line_overrides_them() {
    let server = Server::start(|_| Reply::text("the-body"));
    let cfg = json!({"default_options": ["--print=h"]});

    let run = with_config(http(&[&server.url("/")]), cfg.clone())
        .run()
        .success();
    let out = run.stdout_str();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{}", run.context());
    assert!(!out.contains("the-body"), "headers only\n{}", run.context());

    let run = with_config(http(&["--print=b", &server.url("/")]), cfg)
        .run()
        .success();
    assert_eq!(run.stdout_str(), "the-body", "{}", run.context());
    assert_eq!(run.stderr_str(), "");
}

#[test]
fn no_option_cancels_a_default() {
    let server = redirecting();
    let cfg = json!({"default_options": ["--follow", "--print=h"]});

    let run = with_config(http(&[&server.url("/r")]), cfg.clone())
        .run()
        .success();
    assert_head_shown(&run);
    assert_eq!(server.hits(), 2, "the default --follow applies");

    let server = redirecting();
    let run = with_config(
        http(&[
            "--no-follow",
            "--no-print",
            "--check-status",
            &server.url("/r"),
        ]),
        cfg,
    )
    .run()
    .assert_code(3);
    assert_eq!(server.hits(), 1, "--no-follow cancelled the default");
    // --no-print cancelled --print=h: redirected stdout gets the body (empty).
    assert_eq!(run.stdout_str(), "", "{}", run.context());
    assert!(
        run.stderr_str().contains("http: warning: HTTP 302"),
        "{}",
        run.context()
    );
}

#[test]
fn no_option_cancels_a_default_given_with_a_separate_value() {
    let server = Server::start(|_| Reply::text("the-body"));
    let cfg = json!({"default_options": ["--print", "h"]});
    let run = with_config(http(&["--no-print", &server.url("/")]), cfg)
        .run()
        .success();
    assert_eq!(run.stdout_str(), "the-body", "{}", run.context());
}

#[test]
fn no_option_cancels_a_default_given_in_short_form() {
    // HTTPie's --no-OPTION resets the option however it was spelled in
    // default_options; `-F` is `--follow`, `-p` is `--print`.
    let server = redirecting();
    let run = with_config(
        http(&["--no-follow", "--check-status", &server.url("/r")]),
        json!({"default_options": ["-F"]}),
    )
    .run();
    assert_eq!(
        (run.code, server.hits()),
        (3, 1),
        "--no-follow did not cancel a default -F\n{}",
        run.context()
    );

    let server = Server::start(|_| Reply::text("the-body"));
    let run = with_config(
        http(&["--no-print", &server.url("/")]),
        json!({"default_options": ["-ph"]}),
    )
    .run()
    .success();
    assert_eq!(
        run.stdout_str(),
        "the-body",
        "--no-print did not cancel a default -ph\n{}",
        run.context()
    );
}

// ---------------------------------------------------------------------------
// Prefixes: headers and longest match
// ---------------------------------------------------------------------------

#[test]
fn prefix_headers_longest_match_wins_and_the_command_line_wins_over_it() {
    let server = Server::echo();
    let cfg = json!({"prefixes": {
        prefix(server.port, "/"): {"headers": {"X-Short": "s", "X-Both": "short"}},
        prefix(server.port, "/api/"): {"headers": {"X-Long": "l", "X-Both": "long"}},
        prefix(1, "/"): {"headers": {"X-Elsewhere": "no"}},
    }});
    let get = |args: &[&str]| {
        with_config(http(args), cfg.clone()).run().success();
        let all = server.requests();
        all.last().cloned().expect("a request was made")
    };

    let r = get(&[&server.url("/api/x")]);
    assert_eq!(r.header("X-Long"), Some("l"), "{r:#?}");
    assert_eq!(r.header_all("X-Both"), ["long"], "{r:#?}");
    assert_eq!(
        r.header("X-Short"),
        None,
        "only the longest prefix applies: {r:#?}"
    );
    assert_eq!(r.header("X-Elsewhere"), None);

    let r = get(&[&server.url("/other")]);
    assert_eq!(r.header("X-Short"), Some("s"), "{r:#?}");
    assert_eq!(r.header_all("X-Both"), ["short"], "{r:#?}");
    assert_eq!(r.header("X-Long"), None, "{r:#?}");

    // `/api` without the slash is not under `/api/`.
    let r = get(&[&server.url("/api")]);
    assert_eq!(r.header("X-Short"), Some("s"), "{r:#?}");
    assert_eq!(r.header("X-Long"), None, "{r:#?}");

    let r = get(&[&server.url("/api/x"), "X-Both:cli"]);
    assert_eq!(r.header_all("X-Both"), ["cli"], "{r:#?}");
    assert_eq!(r.header("X-Long"), Some("l"), "{r:#?}");

    // Case-insensitive names; `Name:` removes the prefix header.
    let r = get(&[&server.url("/api/x"), "x-both:CLI", "X-Long:"]);
    assert_eq!(r.header_all("X-Both"), ["CLI"], "{r:#?}");
    assert_eq!(r.header("X-Long"), None, "{r:#?}");
}

#[test]
fn a_prefix_does_not_apply_to_another_origin_that_merely_starts_with_it() {
    // `http://127.0.0.1:4000` (port 4000, no trailing slash) must not apply
    // to `http://127.0.0.1:40001/`: the same flaw would send credentials
    // mounted on `https://api.example.org` to `https://api.example.org.evil.net/`.
    let server = Server::echo();
    let other_origin = format!("http://127.0.0.1:{}", server.port / 10);
    let cfg = json!({"prefixes": {
        other_origin.clone(): {
            "headers": {"X-Api-Key": "k3y"},
            "auth": {"type": "bearer", "token_env": "MY_TOKEN"}
        }
    }});
    let run = with_config(http(&[&server.url("/")]), cfg)
        .env("MY_TOKEN", "t0k")
        .run()
        .success();
    let r = server.request();
    assert_eq!(
        (r.header("Authorization"), r.header("X-Api-Key")),
        (None, None),
        "settings for {other_origin} were sent to {}\n{}",
        server.url("/"),
        run.context()
    );
}

#[test]
fn prefix_headers_show_in_verbose_output() {
    let server = Server::echo();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"headers": {"X-Team": "blue"}}}});
    let run = with_config(http(&["-v", &server.url("/")]), cfg)
        .run()
        .success();
    assert_stdout_has(&run, "X-Team: blue\r\n");
    assert_eq!(server.request().header("X-Team"), Some("blue"));
}

// ---------------------------------------------------------------------------
// Prefixes: auth
// ---------------------------------------------------------------------------

/// Runs `http ARGS...` (`{url}` in ARGS is an echo server's root URL) with
/// `config(port)` as the config file and the environment variables `env`;
/// returns the one request the server received and the run.
fn run_with_prefix_auth(
    config: fn(u16) -> Value,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Recorded, Run) {
    let server = Server::echo();
    let url = server.url("/");
    let args: Vec<String> = args.iter().map(|a| a.replace("{url}", &url)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = with_config(http(&args), config(server.port));
    for (key, value) in env {
        cmd = cmd.env(key, value);
    }
    let run = cmd.run().success();
    (server.request(), run)
}

#[test]
fn prefix_bearer_token_from_an_environment_variable() {
    let (got, run) = run_with_prefix_auth(bearer_from_env, &["{url}"], &[("MY_TOKEN", "t0k")]);
    assert_eq!(got.header("Authorization"), Some("Bearer t0k"));
    assert!(warnings(&run).is_empty(), "{}", run.context());
}

#[test]
fn prefix_auth_with_an_unset_variable_warns_and_sends_nothing() {
    let (got, run) = run_with_prefix_auth(bearer_from_env, &["{url}"], &[]);
    assert_eq!(got.header("Authorization"), None);
    let w = warnings(&run);
    assert_eq!(w.len(), 1, "{}", run.context());
    assert!(
        w[0].contains("MY_TOKEN") && w[0].contains("not set"),
        "{w:?}"
    );
}

#[test]
fn prefix_basic_auth_with_username_and_password_env() {
    let (got, run) = run_with_prefix_auth(basic_from_env, &["{url}"], &[("ALICE_PW", "pa55")]);
    assert_eq!(
        got.header("Authorization"),
        Some(basic_auth("alice:pa55").as_str())
    );
    assert!(!run.stderr_str().contains("pa55"));

    // The same prefix without the variable: a warning, no credentials.
    let (got, run) = run_with_prefix_auth(basic_from_env, &["{url}"], &[]);
    assert_eq!(got.header("Authorization"), None);
    assert!(
        warnings(&run).iter().any(|w| w.contains("ALICE_PW")),
        "{}",
        run.context()
    );
}

#[test]
fn command_line_auth_wins_over_prefix_auth() {
    let (got, _) = run_with_prefix_auth(
        basic_from_env,
        &["--auth", "bob:b0b", "{url}"],
        &[("ALICE_PW", "pa55")],
    );
    assert_eq!(
        got.header("Authorization"),
        Some(basic_auth("bob:b0b").as_str())
    );

    let (got, _) = run_with_prefix_auth(
        bearer_from_env,
        &["-A", "bearer", "-a", "cli-token", "{url}"],
        &[("MY_TOKEN", "t0k")],
    );
    assert_eq!(got.header("Authorization"), Some("Bearer cli-token"));

    // An explicit Authorization header wins as well.
    let (got, _) = run_with_prefix_auth(
        bearer_from_env,
        &["{url}", "Authorization:Custom xyz"],
        &[("MY_TOKEN", "t0k")],
    );
    assert_eq!(got.header_all("Authorization"), ["Custom xyz"]);
}

#[test]
fn command_line_auth_gives_no_warning_about_an_unused_prefix_variable() {
    // The prefix credentials are not used, so their missing variable is no
    // reason to say "sending no credentials" while credentials are sent.
    let (got, run) = run_with_prefix_auth(bearer_from_env, &["--auth", "bob:b0b", "{url}"], &[]);
    assert_eq!(
        got.header("Authorization"),
        Some(basic_auth("bob:b0b").as_str())
    );
    assert!(
        warnings(&run).is_empty(),
        "misleading warning while --auth credentials are sent\n{}",
        run.context()
    );
}

// ---------------------------------------------------------------------------
// Prefixes: network settings
// ---------------------------------------------------------------------------

#[test]
fn prefix_timeout_applies() {
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_ok() {
            conn.hold();
        }
    });
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"timeout": "5,0.3"}}});
    let start = Instant::now();
    let run = with_config(http(&[&server.url("/slow")]), cfg.clone()).run();
    let elapsed = start.elapsed();
    let run = run.assert_code(2);
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(
        run.stderr_str().contains("http: error: "),
        "{}",
        run.context()
    );

    // A number of seconds is accepted too.
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"timeout": 0.3}}});
    let run = with_config(http(&[&server.url("/slow")]), cfg).run();
    run.assert_code(2);
}

#[test]
fn command_line_timeout_wins_over_the_prefix() {
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_ok() {
            conn.hold();
        }
    });
    // A prefix timeout far beyond the harness limit would hang; the
    // command line's 0.3 s must win.
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"timeout": 600}}});
    let start = Instant::now();
    let run = with_config(http(&["--timeout", "0.3", &server.url("/")]), cfg).run();
    assert!(start.elapsed() < Duration::from_secs(10));
    run.assert_code(2);
}

/// A raw server that reads each request and resets the connection.
fn always_reset() -> RawServer {
    RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_ok() {
            conn.reset();
        }
    })
}

fn retry_lines(run: &Run) -> Vec<String> {
    run.stderr_lines_starting("http: retrying (")
}

#[test]
fn prefix_retries_apply() {
    let server = always_reset();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"retries": 2}}});
    let run = with_config(
        http(&["--retry-backoff", "0.05", &server.url("/")]),
        cfg.clone(),
    )
    .run()
    .assert_code(1);
    assert_eq!(server.connections(), 3);
    let lines = retry_lines(&run);
    assert_eq!(lines.len(), 2, "{}", run.context());
    assert!(
        lines[0].starts_with("http: retrying (1/2) in "),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("http: retrying (2/2) in "),
        "{lines:?}"
    );

    // `--retries 0` on the command line wins.
    let server = always_reset();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"retries": 2}}});
    let run = with_config(http(&["--retries", "0", &server.url("/")]), cfg)
        .run()
        .assert_code(1);
    assert_eq!(server.connections(), 1, "{}", run.context());
    assert!(retry_lines(&run).is_empty());
}

#[test]
fn prefix_retry_status_applies() {
    let count = std::sync::atomic::AtomicUsize::new(0);
    let server = Server::start(move |_| {
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::status(503).header("Retry-After", "0")
        } else {
            Reply::text("ok")
        }
    });
    let cfg =
        json!({"prefixes": {prefix(server.port, "/"): {"retries": 1, "retry_status": [503]}}});
    let run = with_config(http(&[&server.url("/")]), cfg).run().success();
    assert_eq!(run.stdout_str(), "ok");
    assert_eq!(server.hits(), 2);
    let lines = retry_lines(&run);
    assert_eq!(lines.len(), 1, "{}", run.context());
    assert!(lines[0].contains("HTTP 503"), "{lines:?}");
}

#[test]
fn prefix_follow_applies() {
    let server = redirecting();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"follow": true}}});
    let run = with_config(http(&[&server.url("/r")]), cfg).run().success();
    assert_eq!(run.stdout_str(), "target");
    assert_eq!(server.hits(), 2);

    // follow: false is the default behaviour.
    let server = redirecting();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"follow": false}}});
    with_config(http(&["--check-status", &server.url("/r")]), cfg)
        .run()
        .assert_code(3);
    assert_eq!(server.hits(), 1);
}

#[test]
fn no_follow_on_the_command_line_wins_over_prefix_follow() {
    // "Command-line flags win over the prefix": --no-follow is the only way
    // to say "do not follow" on the command line.
    let server = redirecting();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"follow": true}}});
    let run = with_config(
        http(&["--no-follow", "--check-status", &server.url("/r")]),
        cfg,
    )
    .run();
    assert_eq!(
        (run.code, server.hits()),
        (3, 1),
        "--no-follow did not override the prefix's \"follow\": true\n{}",
        run.context()
    );
}

/// Settings mounted on a prefix apply only to URLs inside it, hop by hop: a redirect out of
/// the prefix (to another port, or to a path outside it) loses its headers and its
/// credentials; a redirect that stays in it, or comes back, keeps them.
#[test]
fn prefix_headers_and_credentials_stay_inside_the_prefix_across_redirects() {
    let other = Server::echo();
    let away = other.url("/landed");
    let server = Server::start(move |r| match r.path() {
        "/api/out" => Reply::redirect(302, &away),
        "/api/public" => Reply::redirect(302, "/public"),
        "/api/stay" => Reply::redirect(302, "/api/there"),
        "/public" => Reply::redirect(302, "/api/back"),
        _ => Reply::text("ok"),
    });
    let cfg = json!({"prefixes": {prefix(server.port, "/api/"): {
        "headers": {"X-Api-Key": "k3y"},
        "auth": {"type": "bearer", "token_env": "MY_TOKEN"},
        "follow": true
    }}});
    let run = |path: &str| {
        with_config(http(&[&server.url(path)]), cfg.clone())
            .env("MY_TOKEN", "t0k")
            .run()
            .success();
    };
    run("/api/out");
    let landed = other.request();
    assert_eq!(landed.header("X-Api-Key"), None, "{landed:#?}");
    assert_eq!(landed.header("Authorization"), None, "{landed:#?}");

    run("/api/public");
    run("/api/stay");
    let got: Vec<(String, Option<String>, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| {
            let h = |n: &str| r.header(n).map(str::to_string);
            (r.path().to_string(), h("X-Api-Key"), h("Authorization"))
        })
        .collect();
    let inside = |p: &str| (p.to_string(), Some("k3y".into()), Some("Bearer t0k".into()));
    let outside = |p: &str| (p.to_string(), None, None);
    assert_eq!(
        got,
        [
            inside("/api/out"),
            inside("/api/public"),
            outside("/public"),
            inside("/api/back"),
            inside("/api/stay"),
            inside("/api/there"),
        ]
    );
}

/// `verify: false` on a prefix does not follow a redirect out of it: the other host's
/// certificate is checked. A redirect into such a prefix gets it.
#[test]
fn prefix_verify_false_stays_inside_the_prefix_across_redirects() {
    let tls = TlsServer::self_signed();
    let target = tls.url("/");
    let origin = Server::start(move |_| Reply::redirect(302, &target));
    let lax_origin = json!({"prefixes": {origin.url("/"): {"verify": false}}});
    let run = with_config(http(&["--follow", &origin.url("/")]), lax_origin).run();
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(tls.seen().is_empty(), "{:?}", tls.seen());

    let lax_target = json!({"prefixes": {tls.url("/"): {"verify": false}}});
    let run = with_config(http(&["--follow", &origin.url("/")]), lax_target)
        .run()
        .success();
    assert_eq!(run.stdout_str(), "ok");
}

#[test]
fn prefix_verify_false_skips_certificate_checks() {
    let server = TlsServer::self_signed();
    let url = server.url("/");
    let cfg = json!({"prefixes": {url.clone(): {"verify": false}}});

    // Without the config: an unknown certificate is an error.
    http(&[&url]).run().assert_code(1);

    let run = with_config(http(&[&url]), cfg.clone()).run().success();
    assert_eq!(run.stdout_str(), "ok");
    assert!(
        run.stderr_str().contains("verification is off"),
        "{}",
        run.context()
    );

    // --verify=yes on the command line wins.
    with_config(http(&["--verify=yes", &url]), cfg)
        .run()
        .assert_code(1);
}

#[test]
fn prefix_proxy_applies() {
    // A proxy that answers by itself: the request comes to it in absolute
    // form, and the origin port is never listened on.
    let proxy = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_ok() {
            let _ = conn.write(
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy",
            );
        }
        conn.finish();
    });
    let origin = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin_port = origin.local_addr().unwrap().port();
    let cfg = json!({"prefixes": {
        prefix(origin_port, "/"): {"proxy": format!("http://127.0.0.1:{}", proxy.port)}
    }});
    let run = with_config(http(&[&prefix(origin_port, "/x")]), cfg)
        .run()
        .success();
    assert_eq!(run.stdout_str(), "via proxy");
    assert_eq!(
        proxy.request().request_line(),
        format!("GET http://127.0.0.1:{origin_port}/x HTTP/1.1")
    );
    drop(origin);
}

// ---------------------------------------------------------------------------
// --config-show
// ---------------------------------------------------------------------------

#[test]
fn config_show_lists_the_matching_prefix_and_sources_without_sending() {
    let server = Server::echo();
    let cfg = json!({
        "default_options": ["--style=mono"],
        "prefixes": {
            prefix(server.port, "/"): {"timeout": 7, "retries": 4},
            prefix(server.port, "/api/"): {
                "retries": 2,
                "retry_status": [502, 503],
                "follow": true,
                "headers": {"X-Team": "blue"},
                "auth": {"type": "basic", "username": "alice", "password": "file-s3cret"},
                "proxy": "http://puser:proxy-s3cret@127.0.0.1:9"
            }
        }
    });
    let run = config_show(
        &["--timeout", "3", &server.url("/api/items")],
        cfg.clone(),
        &[],
    );
    assert_eq!(server.hits(), 0, "--config-show sends nothing");
    let out = run.stdout_str();
    let api = prefix(server.port, "/api/");
    for want in [
        format!("url: {}", server.url("/api/items")),
        format!("config file: {}", config_path(&run).display()),
        format!("matching prefix: {api} (longest match)"),
        "default options: --style=mono".to_string(),
        "timeout: connect 3s, read 3s (command line)".to_string(),
        format!("retries: 2 (config prefix {api})"),
        format!("retry statuses: 502,503 (config prefix {api})"),
        "verify: yes (default)".to_string(),
        format!("follow: true (config prefix {api})"),
        "header: X-Team: blue".to_string(),
        "auth: basic".to_string(),
    ] {
        assert!(out.contains(&want), "missing {want:?}\n{}", run.context());
    }
    assert!(
        out.contains("proxy: all:http://puser:"),
        "{}",
        run.context()
    );
    assert!(
        !out.contains("s3cret"),
        "a password was printed\n{}",
        run.context()
    );
    assert!(!run.stderr_str().contains("s3cret"));

    // The shorter prefix for another path; defaults where nothing is set.
    let run = config_show(&[&server.url("/other")], cfg.clone(), &[]);
    let out = run.stdout_str();
    let root = prefix(server.port, "/");
    for want in [
        format!("matching prefix: {root} (longest match)"),
        format!("timeout: connect 7s, read 7s (config prefix {root})"),
        format!("retries: 4 (config prefix {root})"),
        "retry statuses: none (default)".to_string(),
        "follow: false (default)".to_string(),
    ] {
        assert!(out.contains(&want), "missing {want:?}\n{}", run.context());
    }
    assert!(!out.contains("X-Team"), "{}", run.context());

    // No prefix matches another port.
    let run = config_show(&[&prefix(1, "/")], cfg, &[]);
    assert_stdout_has(&run, "matching prefix: none");
    assert_stdout_has(&run, "retries: 0 (default)");
    assert_eq!(server.hits(), 0);
}

#[test]
fn config_show_never_prints_passwords_from_anywhere() {
    let server = Server::echo();
    let cfg = basic_from_env(server.port);
    let url = format!("http://user:url-s3cret@127.0.0.1:{}/x", server.port);
    let run = config_show(
        &["--proxy", "http:http://p:proxy-s3cret@127.0.0.1:9", &url],
        cfg.clone(),
        &[("ALICE_PW", "env-s3cret")],
    );
    assert!(!run.stdout_str().contains("s3cret"), "{}", run.context());
    assert!(!run.stderr_str().contains("s3cret"), "{}", run.context());
    assert_stdout_has(&run, "(command line)");

    let run = config_show(
        &["-a", "bob:cli-s3cret", &server.url("/x")],
        cfg,
        &[("ALICE_PW", "env-s3cret")],
    );
    assert!(!run.stdout_str().contains("s3cret"), "{}", run.context());
    assert_eq!(server.hits(), 0);
}

#[test]
fn config_show_reports_command_line_auth_as_winning() {
    // The request would carry bob's credentials (see
    // command_line_auth_wins_over_prefix_auth); --config-show must not claim
    // the prefix's auth applies.
    let server = Server::echo();
    let cfg = bearer_from_env(server.port);
    let run = config_show(
        &["-a", "bob:b0b", &server.url("/")],
        cfg,
        &[("MY_TOKEN", "t0k")],
    );
    let out = run.stdout_str();
    let auth: Vec<&str> = out.lines().filter(|l| l.starts_with("auth:")).collect();
    assert_eq!(
        auth,
        ["auth: from the command line (credentials not shown)"],
        "{}",
        run.context()
    );
    assert!(
        auth.iter().all(|l| !l.contains("config prefix")),
        "--config-show says the prefix auth applies although --auth wins\n{}",
        run.context()
    );
    assert!(
        !out.contains("b0b") && !out.contains("t0k"),
        "{}",
        run.context()
    );
}

#[test]
fn config_show_reports_a_command_line_header_as_winning() {
    let server = Server::echo();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {"headers": {"X-Team": "blue"}}}});
    let run = config_show(&[&server.url("/"), "X-Team:red"], cfg, &[]);
    assert!(
        run.stdout_str()
            .contains(&format!("matching prefix: {}", prefix(server.port, "/"))),
        "{}",
        run.context()
    );
    assert!(
        !run.stdout_str().contains("X-Team: blue"),
        "--config-show lists a prefix header that the command line replaces\n{}",
        run.context()
    );
}

// ---------------------------------------------------------------------------
// Malformed files
// ---------------------------------------------------------------------------

#[track_caller]
fn assert_config_warning(run: &Run, problem: &str) {
    let path = config_path(run);
    let prefix = format!("http: warning: config file '{}': ", path.display());
    let w = warnings(run);
    assert!(
        w.iter()
            .any(|l| l.starts_with(&prefix) && l.contains(problem)),
        "expected a warning naming {} and {problem:?}\n{}",
        path.display(),
        run.context()
    );
}

#[test]
fn invalid_json_warns_and_runs_with_defaults() {
    let server = Server::start(|_| Reply::text("the-body"));
    let run = http(&[&server.url("/")])
        .home_file(CONFIG, "{\"default_options\": [\"--print=h\"],")
        .run()
        .success();
    assert_config_warning(&run, "invalid JSON");
    assert_eq!(server.hits(), 1, "the request is made");
    assert_eq!(
        run.stdout_str(),
        "the-body",
        "built-in defaults\n{}",
        run.context()
    );
}

#[test]
fn unknown_setting_warns_and_ignores_that_prefix() {
    let server = Server::echo();
    let cfg = json!({
        "default_options": ["--print=b"],
        "prefixes": {prefix(server.port, "/"): {"colour": "red", "headers": {"X-Team": "blue"}}}
    });
    let run = with_config(http(&[&server.url("/")]), cfg).run().success();
    assert_config_warning(&run, "unknown setting \"colour\"");
    let w = warnings(&run).join("\n");
    assert!(
        w.contains(&prefix(server.port, "/")),
        "names the prefix: {w}"
    );
    assert_eq!(server.hits(), 1);
    assert_eq!(
        server.request().header("X-Team"),
        None,
        "the broken prefix is ignored"
    );
}

#[test]
fn wrongly_typed_values_warn() {
    let server = Server::start(|_| Reply::text("the-body"));
    for (cfg, problem) in [
        (json!({"default_options": "--print=h"}), "default_options"),
        (json!(["--print=h"]), "top level"),
        (json!({"prefixes": ["x"]}), "prefixes"),
        (
            json!({"prefixes": {prefix(server.port, "/"): {"timeout": "soon"}}}),
            "timeout",
        ),
        (
            json!({"prefixes": {prefix(server.port, "/"): {"retries": -1}}}),
            "retries",
        ),
        (
            json!({"prefixes": {prefix(server.port, "/"): {"follow": "yes"}}}),
            "follow",
        ),
        (
            json!({"prefixes": {prefix(server.port, "/"): {"auth": {"type": "magic"}}}}),
            "magic",
        ),
    ] {
        let run = with_config(http(&[&server.url("/")]), cfg.clone()).run();
        let run = run.success();
        assert_config_warning(&run, problem);
        assert_eq!(run.stdout_str(), "the-body", "{cfg}\n{}", run.context());
    }
}

#[test]
fn unreadable_config_warns() {
    let server = Server::start(|_| Reply::text("the-body"));
    // A directory where the file should be.
    let cmd = http(&[&server.url("/")]);
    std::fs::create_dir_all(cmd.home().join(CONFIG)).unwrap();
    let run = cmd.run().success();
    let w = warnings(&run);
    assert!(
        w.iter()
            .any(|l| l.contains(&config_path(&run).display().to_string())),
        "{}",
        run.context()
    );
    assert_eq!(run.stdout_str(), "the-body");
}

#[test]
fn config_warnings_are_silenced_by_qq_only() {
    let server = Server::start(|_| Reply::text("the-body"));
    let run = http(&["-q", &server.url("/")])
        .home_file(CONFIG, "{")
        .run()
        .success();
    assert_config_warning(&run, "invalid JSON");
    let run = http(&["-qq", &server.url("/")])
        .home_file(CONFIG, "{")
        .run()
        .success();
    assert_eq!(run.stderr_str(), "", "{}", run.context());
    assert_eq!(server.hits(), 2);
}

#[test]
fn no_config_file_is_fine() {
    let server = Server::start(|_| Reply::text("the-body"));
    let run = http(&[&server.url("/")]).run().success();
    assert_eq!(run.stderr_str(), "");
    let run = http(&["--config-show", &server.url("/")]).run().success();
    // It says where it looked, so a misplaced file can be found.
    let looked = config_path(&run);
    assert_stdout_has(
        &run,
        &format!("config file: none (looked for {})", looked.display()),
    );
    assert!(run.stdout_str().contains("matching prefix: none"));
}

// ---------------------------------------------------------------------------
// Where the file is
// ---------------------------------------------------------------------------

/// Asserts `--config-show` named `want` as the config file.
#[track_caller]
fn assert_config_file(run: &Run, want: impl AsRef<Path>) {
    let shown = run
        .stdout_str()
        .lines()
        .find_map(|l| l.strip_prefix("config file: "))
        .unwrap_or_else(|| panic!("no config file line\n{}", run.context()))
        .to_string();
    assert_eq!(shown, want.as_ref().display().to_string());
}

#[test]
fn http_config_dir_moves_the_config_directory() {
    let server = Server::start(|_| Reply::text("the-body"));
    let cmd = http(&[&server.url("/")])
        .home_file(
            "elsewhere/config.json",
            json!({"default_options": ["--print=h"]}).to_string(),
        )
        .home_file(
            CONFIG,
            json!({"default_options": ["--print=hb"]}).to_string(),
        );
    let dir = cmd.home().join("elsewhere");
    let run = cmd
        .clone()
        .env("HTTP_CONFIG_DIR", dir.to_str().unwrap())
        .run()
        .success();
    assert_head_shown(&run);
    assert!(
        !run.stdout_str().contains("the-body"),
        "only HTTP_CONFIG_DIR's file is read\n{}",
        run.context()
    );

    let show =
        http(&["--config-show", &server.url("/")]).env("HTTP_CONFIG_DIR", dir.to_str().unwrap());
    let run = show.run().success();
    assert_config_file(&run, dir.join("config.json"));
}

#[test]
fn config_dir_falls_back_to_xdg_then_home() {
    let url = "http://127.0.0.1:1/";
    let cmd = http(&["--config-show", url])
        .home_file("xdg/http/config.json", "{}")
        .home_file(".config/http/config.json", "{}")
        .home_file("hcd/config.json", "{}");
    let home = cmd.home().to_path_buf();

    // XDG_CONFIG_HOME (the harness sets it to HOME/.config; point it elsewhere).
    let run = cmd
        .clone()
        .env("XDG_CONFIG_HOME", home.join("xdg").to_str().unwrap())
        .run()
        .success();
    assert_config_file(&run, home.join("xdg/http/config.json"));

    // Neither variable: ~/.config/http.
    let run = cmd.clone().env_remove("XDG_CONFIG_HOME").run().success();
    assert_config_file(&run, home.join(".config/http/config.json"));

    // An empty HTTP_CONFIG_DIR is unset.
    let run = cmd
        .clone()
        .env("HTTP_CONFIG_DIR", "")
        .env("XDG_CONFIG_HOME", home.join("xdg").to_str().unwrap())
        .run()
        .success();
    assert_config_file(&run, home.join("xdg/http/config.json"));

    // HTTP_CONFIG_DIR wins over XDG_CONFIG_HOME.
    let run = cmd
        .env("HTTP_CONFIG_DIR", home.join("hcd").to_str().unwrap())
        .env("XDG_CONFIG_HOME", home.join("xdg").to_str().unwrap())
        .run()
        .success();
    assert_config_file(&run, home.join("hcd/config.json"));
}

/// A prefix header that could not be sent is a warning naming the file and the header, and
/// the command runs without that prefix (it never fails while building the request).
#[test]
fn unsendable_prefix_header_warns_and_runs() {
    let server = Server::echo();
    let cfg = json!({"prefixes": {prefix(server.port, "/"): {
        "headers": {"X-Bad": "a\r\nX-Injected: 1", "X-Fine": "1"}
    }}});
    let run = with_config(http(&[&server.url("/")]), cfg).run().success();
    assert_config_warning(&run, "header 'X-Bad' has control characters in its value");
    let got = server.request();
    assert_eq!(got.header("X-Injected"), None, "{got:#?}");
    assert_eq!(
        got.header("X-Fine"),
        None,
        "the broken prefix is ignored: {got:#?}"
    );
}
