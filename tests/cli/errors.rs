//! Bad input: every case exits 1 with one `http: error: ...` line on
//! stderr that names the problem, prints nothing on stdout, never panics,
//! and never reaches the server it points at.

use crate::harness::*;

/// Runs `args` (every `{url}` replaced by the URL of a fresh raw server)
/// with `files` in the command's HOME/working directory, and checks the
/// common contract of a usage error. Returns stderr for further checks.
#[track_caller]
fn usage_error(args: &[&str], files: &[(&str, &str)]) -> String {
    usage_error_with(args, files, |c| c)
}

#[track_caller]
fn usage_error_with(args: &[&str], files: &[(&str, &str)], setup: impl Fn(Cmd) -> Cmd) -> String {
    let server =
        RawServer::respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let url = server.url("/target");
    let args: Vec<String> = args.iter().map(|a| a.replace("{url}", &url)).collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = http(&refs);
    for (name, contents) in files {
        cmd = cmd.home_file(name, contents);
    }
    let run = setup(cmd).run();
    let err = run.stderr_str();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic instead of an error\n{run:?}"
    );
    assert_eq!(run.code, 1, "expected exit code 1\n{run:?}");
    assert!(run.stdout.is_empty(), "nothing belongs on stdout\n{run:?}");
    assert_eq!(
        server.connections(),
        0,
        "a request reached the server\n{run:?}"
    );
    assert!(server.received().is_empty());
    err
}

/// The error is exactly one line `http: error: ...` that contains every
/// fragment in `names`.
#[track_caller]
fn assert_one_line(err: &str, names: &[&str]) {
    assert!(err.starts_with("http: error: "), "{err:?}");
    assert!(err.ends_with('\n'), "{err:?}");
    assert_eq!(err.lines().count(), 1, "error must be one line: {err:?}");
    for name in names {
        assert!(err.contains(name), "error should mention {name:?}: {err:?}");
    }
}

// ------------------------------------------------------- command line

#[test]
fn unknown_long_flag() {
    let err = usage_error(&["--bogus", "{url}"], &[]);
    assert_one_line(&err, &["'--bogus'"]);
    let err = usage_error(&["{url}", "--no-such-thing=1"], &[]);
    assert_one_line(&err, &["'--no-such-thing'"]);
}

#[test]
fn unknown_short_flag() {
    let err = usage_error(&["-Z", "{url}"], &[]);
    assert_one_line(&err, &["'-Z'"]);
}

#[test]
fn curl_flags_get_the_httpie_way() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-X", "POST", "{url}"],
            "methods are positional: http POST URL",
        ),
        (&["--request", "POST", "{url}"], "methods are positional"),
        (&["-H", "X: y", "{url}"], "headers are items"),
        (&["--header", "X: y", "{url}"], "headers are items"),
        (&["--data", "a=b", "{url}"], "data is items"),
        (&["-k", "{url}"], "--verify=no"),
        (&["--insecure", "{url}"], "--verify=no"),
    ];
    for (args, hint) in cases {
        let err = usage_error(args, &[]);
        assert_one_line(&err, &[&format!("'{}'", args[0]), hint]);
        // clap's tips send curl users the wrong way (`-- -X`, `--headers`, `--meta`).
        assert!(
            !err.contains("tip") && !err.contains("--headers"),
            "{err:?}"
        );
    }
}

#[test]
fn a_lone_method_is_a_missing_url() {
    for method in ["POST", "GET"] {
        let err = usage_error(&[method], &[]);
        assert_one_line(
            &err,
            &[&format!("a URL is missing after the method {method}")],
        );
        assert!(!err.contains("resolve"), "{err:?}");
    }
}

/// An item in the URL's place is named as such, and nothing is looked up or sent.
#[test]
fn an_item_where_the_url_belongs_is_a_missing_url() {
    for args in [&["POST", "a=b"][..], &["q==1"][..]] {
        let err = usage_error(args, &[]);
        assert_one_line(&err, &["a URL is missing", "is a request item"]);
        assert!(!err.contains("resolve"), "{err:?}");
    }
}

#[test]
fn missing_url_names_what_is_missing() {
    let err = usage_error(&["--form"], &[]);
    assert_one_line(&err, &["URL"]);
}

#[test]
fn bad_timeout_value() {
    for value in ["abc", "-1", "1,2,3"] {
        let flag = format!("--timeout={value}");
        let err = usage_error(&[&flag, "{url}"], &[]);
        assert_one_line(&err, &["--timeout", &format!("'{value}'")]);
    }
    let err = usage_error(&["--timeout", "soon", "{url}"], &[]);
    assert_one_line(&err, &["--timeout", "'soon'"]);
}

#[test]
fn bad_max_redirects_value() {
    let err = usage_error(&["--follow", "--max-redirects=x", "{url}"], &[]);
    assert_one_line(&err, &["--max-redirects", "'x'"]);
}

#[test]
fn bad_print_letter() {
    let err = usage_error(&["-p", "HZ", "{url}"], &[]);
    assert_one_line(&err, &["--print", "'Z'"]);
    let err = usage_error(&["--print=x", "{url}"], &[]);
    assert_one_line(&err, &["--print", "'x'"]);
}

#[test]
fn unknown_pretty_value() {
    let err = usage_error(&["--pretty=bogus", "{url}"], &[]);
    assert_one_line(&err, &["--pretty", "'bogus'"]);
}

#[test]
fn unknown_style() {
    let err = usage_error(&["--style=bogus", "{url}"], &[]);
    assert_one_line(&err, &["--style", "'bogus'"]);
}

#[test]
fn bad_format_options() {
    let err = usage_error(&["--format-options=bogus", "{url}"], &[]);
    assert_one_line(&err, &["--format-options", "'bogus'"]);
    let err = usage_error(&["--format-options=json.indent:x", "{url}"], &[]);
    assert_one_line(&err, &["json.indent"]);
}

#[test]
fn unknown_auth_type() {
    let err = usage_error(&["--auth-type=bogus", "-a", "u:p", "{url}"], &[]);
    assert_one_line(&err, &["--auth-type", "'bogus'"]);
}

// --------------------------------------------------------------- URL

#[test]
fn bad_url() {
    let err = usage_error(&["http://exa mple.org"], &[]);
    assert_one_line(&err, &["invalid URL", "'http://exa mple.org'"]);
    let err = usage_error(&["http://"], &[]);
    assert_one_line(&err, &["invalid URL", "'http://'"]);
    let err = usage_error(&["http://[::1"], &[]);
    assert_one_line(&err, &["invalid URL", "'http://[::1'"]);
}

#[test]
fn unsupported_scheme() {
    let err = usage_error(&["ftp://x/file"], &[]);
    assert_one_line(&err, &["scheme", "'ftp'"]);
}

// ------------------------------------------------------------- items

#[test]
fn item_without_separator() {
    let err = usage_error(&["{url}", "nosep"], &[]);
    assert_eq!(
        err,
        "http: error: 'nosep' is not a valid request item: expected Header:value, name==value, field=value, field:=json or field@file\n"
    );
}

#[test]
fn empty_header_name() {
    let err = usage_error(&["{url}", ":x"], &[]);
    assert_one_line(&err, &["':x'", "header name is empty"]);
}

#[test]
fn header_with_semicolon_and_value() {
    let err = usage_error(&["{url}", "Name;value"], &[]);
    assert_one_line(&err, &["'Name;value'", "'Name;'"]);
}

#[test]
fn invalid_header_name_character() {
    let err = usage_error(&["{url}", "X A:b"], &[]);
    assert_one_line(&err, &["'X A'"]);
}

#[test]
fn header_value_with_line_break() {
    let err = usage_error(&["{url}", "X-A:a\nb"], &[]);
    assert_one_line(&err, &["line break"]);
}

#[test]
fn invalid_json_after_raw_json_separator() {
    let err = usage_error(&["{url}", "a:={bad"], &[]);
    assert_one_line(&err, &["'a:={bad'", "invalid JSON"]);
    let err = usage_error(&["{url}", "n:=1 2"], &[]);
    assert_one_line(&err, &["'n:=1 2'", "invalid JSON"]);
}

#[test]
fn invalid_json_in_file() {
    let err = usage_error(&["{url}", "a:=@bad.json"], &[("bad.json", "{bad\n")]);
    assert_one_line(&err, &["bad.json", "invalid JSON"]);
}

#[test]
fn missing_file_for_every_file_separator() {
    let cases = [
        ("@nofile", "body file"),
        ("a=@nofile", "data file"),
        ("a:=@nofile", "JSON file"),
        ("q==@nofile", "query file"),
        ("X-H:@nofile", "header file"),
    ];
    for (item, what) in cases {
        let err = usage_error(&["{url}", item], &[]);
        // Plain words, without Rust's "(os error 2)".
        assert_one_line(&err, &[what, "'nofile': no such file or directory"]);
        assert!(!err.contains("os error"), "{err:?}");
    }
    let err = usage_error(&["--form", "{url}", "f@nofile"], &[]);
    assert_one_line(&err, &["'nofile': no such file or directory"]);
    assert!(!err.contains("os error"), "{err:?}");
}

#[test]
fn nested_path_syntax_error_points_at_the_problem() {
    let err = usage_error(&["{url}", "a[b=1"], &[]);
    assert_eq!(
        err,
        "http: error: HTTPie Syntax Error: Expecting ']'\na[b\n   ^\n"
    );
    let err = usage_error(&["{url}", "a]=1"], &[]);
    assert_eq!(
        err,
        "http: error: HTTPie Syntax Error: Expecting '['\na]\n ^\n"
    );
}

/// A negative index is refused with HTTPie's message, the caret under it (it used to be
/// sent as the key "-1"); escaped, `\-1` is that key.
#[test]
fn nested_negative_index_is_refused() {
    let err = usage_error(&["{url}", "a[-1]=x"], &[]);
    assert_eq!(
        err,
        "http: error: HTTPie Value Error: Negative indexes are not supported.\na[-1]\n  ^^\n"
    );
    let run = http(&["--offline", "-p", "B", "example.org", "a[\\-1]=x"])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "{\"a\": {\"-1\": \"x\"}}");
}

#[test]
fn nested_type_conflict() {
    let err = usage_error(&["{url}", "a=1", "a[b]=2"], &[]);
    assert_eq!(
        err,
        "http: error: HTTPie Type Error: Cannot perform 'key' based access on 'a' which has a type of 'string' but this operation requires a type of 'object'.\na[b]\n ^^^\n"
    );
    let err = usage_error(&["{url}", "a[]=1", "a[x]=2"], &[]);
    assert!(
        err.starts_with("http: error: HTTPie Type Error: Cannot perform 'key' based access on 'a' which has a type of 'array'"),
        "{err:?}"
    );
}

#[test]
fn body_source_mixed_with_data_items() {
    // The message names the body source actually used; only stdin gets --ignore-stdin.
    let err = usage_error(&["--raw", "x", "{url}", "a=1"], &[]);
    assert_one_line(&err, &["cannot mix a request body from --raw", "(a=1)"]);
    assert!(!err.contains("stdin"), "{err:?}");
    let err = usage_error(
        &["{url}", "@body.json", "a=b", "n:=1"],
        &[("body.json", "{}")],
    );
    assert_one_line(&err, &["from '@body.json'", "(a=b n:=1)"]);
    assert!(!err.contains("stdin"), "{err:?}");
    let err = usage_error_with(&["{url}", "a=1"], &[], |c| c.stdin("piped"));
    assert_one_line(&err, &["from stdin", "(a=1)", "--ignore-stdin"]);
}

#[test]
fn two_body_sources() {
    let err = usage_error(
        &["{url}", "@a.txt", "@b.txt"],
        &[("a.txt", "a"), ("b.txt", "b")],
    );
    assert_one_line(&err, &["'@file'"]);
    let err = usage_error(&["--raw", "x", "{url}", "@a.txt"], &[("a.txt", "a")]);
    assert_one_line(&err, &["--raw and '@a.txt'"]);
    assert!(!err.contains("stdin"), "{err:?}");
    let err = usage_error_with(&["--raw", "x", "{url}"], &[], |c| c.stdin("piped"));
    assert_one_line(&err, &["stdin and --raw", "--ignore-stdin"]);
}

#[test]
fn file_field_without_form() {
    let err = usage_error(&["{url}", "f@up.txt"], &[("up.txt", "u")]);
    assert_one_line(&err, &["--form", "f"]);
}

#[test]
fn complex_json_with_form() {
    let err = usage_error(&["--form", "{url}", "a:={\"x\": 1}"], &[]);
    assert_one_line(&err, &["'a:={\"x\": 1}'", "--form"]);
    let err = usage_error(&["--multipart", "{url}", "a:=[1]"], &[]);
    assert_one_line(&err, &["'a:=[1]'"]);
}

/// Escape sequences the user typed (a pasted URL, a file name) are echoed in errors as
/// visible text, never executed by the terminal.
#[test]
fn typed_escape_sequences_are_shown_not_executed() {
    for (args, shown) in [
        (&["ftp://\x1b[2Jhost/"][..], "\\x1b[2J"),
        (&["{url}", "@/nonexistent/\x1b[31mred"][..], "\\x1b[31mred"),
        (
            &["{url}", "X-A:@/nonexistent/\u{202e}txt"][..],
            "\\u{202e}txt",
        ),
    ] {
        let err = usage_error(args, &[]);
        assert_one_line(&err, &[shown]);
        assert!(
            !err.contains('\x1b') && !err.contains('\u{202e}'),
            "{err:?}"
        );
    }
}

/// `@file` value items are read whole into memory, so an endless file is refused with its
/// limit named instead of exhausting memory.
#[test]
fn endless_value_files_are_refused() {
    for (item, what) in [
        ("X-A:@/dev/zero", "header file"),
        ("q==@/dev/zero", "query file"),
        ("a=@/dev/zero", "data file"),
        ("j:=@/dev/zero", "JSON file"),
    ] {
        let err = usage_error(&["{url}", item], &[]);
        assert_one_line(&err, &[what, "'/dev/zero'", "16 MiB"]);
    }
}
