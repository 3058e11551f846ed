//! `--file api.http`: the requests of a request file run in order, each as a command line of
//! its own (its method, URL, headers and body as positional items, with the command line's
//! flags), through the same pipeline as a single request, sharing one [`Shared`]: the
//! connection pools, the cookie jar or session, and the output.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{request, write_report, Shared};
use crate::cli::values::Quiet;
use crate::cli::{AuthType, Cli};
use crate::env::Env;
use crate::error::{self, usage, Outcome};
use crate::reqfile::{self, Body, FileRequest};

/// Beside the request file, unless `--env-file` names another.
const ENV_FILE: &str = "http-client.env.json";

/// Run the file's requests (those `--request` names), in order. Every error in the file is
/// reported before anything is sent; a request that fails is reported and the rest still run
/// (unless `--fail-fast`); the exit code is the first failure's.
pub(super) fn run(
    cli: &Cli,
    path: &Path,
    env: &Env,
    config: Option<&crate::config::Config>,
) -> Result<Outcome> {
    let requests = load(cli, path, env)?;
    let base = base_cli(cli)?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let notes = Quiet::from_count(cli.quiet).shows_notes();
    let mut shared = Shared {
        in_file: true,
        ..Shared::default()
    };
    let mut first_failure = None;
    for (i, r) in requests.iter().enumerate() {
        let at = format!("{}:{}", path.display(), r.line);
        // What earlier requests printed is separated as messages are (a blank line, so
        // `-b` JSON bodies make a stream `jq` reads one by one) and flushed before the
        // separator line goes to stderr.
        if let Some(out) = &mut shared.out {
            out.separate()?;
            out.flush()?;
        }
        if notes {
            separator(r, i, requests.len());
        }
        let mut written = None;
        let result = as_cli(&base, r, &dir)
            .map_err(|e| usage(format!("{at}: {e}")))
            .and_then(|cli| request(&cli, env, config, &mut shared, &mut written));
        let (code, errormsg) = match result {
            Ok(outcome) => (outcome.code(), String::new()),
            Err(e) if error::is_broken_pipe(&e) => {
                let _ = shared.close();
                return Err(e);
            }
            Err(e) => {
                report(env, &at, r, &e);
                (error::exit_code(&e), visible_error(&e))
            }
        };
        if written.is_some() {
            if let Some(out) = &mut shared.out {
                out.flush()?;
            }
            write_report(written, code, errormsg);
        }
        if code != error::code::OK {
            first_failure.get_or_insert(code);
            if cli.fail_fast {
                break;
            }
        }
    }
    shared.close()?;
    Ok(first_failure.map_or(Outcome::Done, Outcome::Failed))
}

/// `### NAME (2/5)` on stderr, so that stdout holds only what single runs print.
fn separator(r: &FileRequest, i: usize, total: usize) {
    let label = r.label();
    let label = crate::output::visible(label.as_bytes());
    let _ = writeln!(std::io::stderr(), "### {label} ({}/{total})", i + 1);
}

/// An error's text as `%{errormsg}` shows it.
fn visible_error(e: &anyhow::Error) -> String {
    let msg = format!("{e:#}");
    crate::output::visible(msg.as_bytes()).into_owned()
}

/// A failed request, on one line: `http: error: api.http:7 (login): ...`.
fn report(env: &Env, at: &str, r: &FileRequest, e: &anyhow::Error) {
    let msg = format!("{e:#}");
    let msg = crate::output::visible(msg.as_bytes());
    let label = r.label();
    let label = crate::output::visible(label.as_bytes());
    let _ = writeln!(
        std::io::stderr(),
        "{}: error: {at} ({label}): {msg}",
        env.program
    );
}

/// Read, parse and select the requests; errors are `FILE:LINE: message` usage errors.
fn load(cli: &Cli, path: &Path, env: &Env) -> Result<Vec<FileRequest>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(format!(
            "cannot read request file '{}': {}",
            path.display(),
            error::plain_io(&e)
        ))
    })?;
    let environment = environment(cli, path)?;
    let var = |k: &str| env.var(k);
    let requests = reqfile::parse(&text, &environment, &var)
        .map_err(|e| usage(format!("{}:{}: {}", path.display(), e.line, e.message)))?;
    select(requests, &cli.request, path)
}

/// `--env NAME`: its variables, from `--env-file` or `http-client.env.json` beside the file.
fn environment(cli: &Cli, path: &Path) -> Result<Vec<(String, String)>> {
    let Some(name) = &cli.env_name else {
        return Ok(Vec::new());
    };
    let file = match &cli.env_file {
        Some(f) => f.clone(),
        None => path.parent().unwrap_or(Path::new("")).join(ENV_FILE),
    };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        usage(format!(
            "--env {name}: cannot read environment file '{}': {}",
            file.display(),
            error::plain_io(&e)
        ))
    })?;
    reqfile::environment(&text, name)
        .map_err(|e| usage(format!("environment file '{}': {e}", file.display())))
}

/// `--request NAME...`: those requests, in the file's order; a name that is not in the file
/// is an error.
fn select(all: Vec<FileRequest>, names: &[String], path: &Path) -> Result<Vec<FileRequest>> {
    if names.is_empty() {
        return Ok(all);
    }
    let named = |r: &FileRequest, n: &str| r.name.as_deref() == Some(n);
    if let Some(missing) = names.iter().find(|n| !all.iter().any(|r| named(r, n))) {
        let known: Vec<&str> = all.iter().filter_map(|r| r.name.as_deref()).collect();
        return Err(usage(format!(
            "no request named '{missing}' in {} (named: {})",
            path.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    Ok(all
        .into_iter()
        .filter(|r| names.iter().any(|n| named(r, n)))
        .collect())
}

/// The command line every request starts from: stdin is never a body, and a password
/// missing from `--auth USER` is asked for once, not once per request.
fn base_cli(cli: &Cli) -> Result<Cli> {
    let mut base = cli.clone();
    base.file = None;
    base.request.clear();
    let basic = !matches!(cli.auth_type, Some(AuthType::Bearer));
    if let Some(user) = cli.auth.as_ref().filter(|a| basic && !a.contains(':')) {
        if cli.ignore_stdin {
            return Err(usage(format!(
                "no password for '{user}' and --ignore-stdin forbids asking: use --auth {user}:PASSWORD"
            )));
        }
        base.auth = Some(format!("{user}:{}", crate::prompt::password(user)?));
    }
    base.ignore_stdin = true;
    Ok(base)
}

/// A request of the file as a command line: `METHOD URL Name:value...`, the body as
/// `--raw TEXT` or `@path` (relative to the request file).
fn as_cli(base: &Cli, r: &FileRequest, dir: &Path) -> Result<Cli> {
    let mut cli = base.clone();
    let mut args = Vec::with_capacity(r.headers.len() + 3);
    args.push(r.method.clone());
    args.push(r.url.clone());
    for (name, value) in &r.headers {
        args.push(match value.is_empty() {
            true => format!("{name};"),
            false => format!("{name}:{}", literal(value)?),
        });
    }
    match &r.body {
        Body::None => {}
        Body::Text(text) => cli.raw = Some(text.clone()),
        Body::File(p) => {
            let path: PathBuf = dir.join(p.strip_prefix(".").unwrap_or(p));
            args.push(format!("@{}", literal(&path.to_string_lossy())?));
        }
    }
    cli.args = args;
    Ok(cli)
}

/// `text` with the item separators' characters escaped, so an item's value is taken as it
/// is (`X-A: a=b` stays a header, `X-B: @x` is not read from a file). The item grammar has no
/// way to write a backslash just before one of them, so that is refused rather than changed.
fn literal(text: &str) -> Result<String> {
    const SPECIAL: [char; 4] = [':', '=', '@', ';'];
    if text
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'\\' && SPECIAL.contains(&char::from(w[1])))
    {
        return Err(usage(format!(
            "'{text}' has a backslash before ':', '=', '@' or ';', which cannot be sent as written"
        )));
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::items::{parse_item, ItemKind};

    #[test]
    fn header_values_with_separators_stay_headers() {
        for value in [
            "a=b", "=x", "==y", ":=z", "@file", "a;b", "x@y:z", "c:\\dir",
        ] {
            let item = parse_item(&format!("X-A:{}", literal(value).unwrap())).unwrap();
            assert_eq!(item.kind, ItemKind::Header, "{value}");
            assert_eq!((item.key.as_str(), item.value.as_str()), ("X-A", value));
        }
        assert!(literal("a\\=b").is_err());
    }

    proptest::proptest! {
        /// A header value from a file (trimmed by the parser) is the header item's value,
        /// whatever separators it has.
        #[test]
        fn header_values_round_trip(value in "[!-~]([ -~]{0,22}[!-~])?") {
            proptest::prop_assume!(literal(&value).is_ok());
            let item = parse_item(&format!("X-A:{}", literal(&value).unwrap())).unwrap();
            proptest::prop_assert_eq!(item.kind, ItemKind::Header);
            proptest::prop_assert_eq!(item.value, value);
        }
    }

    #[test]
    fn body_file_is_relative_to_the_request_file() {
        let r = FileRequest {
            name: None,
            line: 1,
            method: "POST".into(),
            url: "http://h/".into(),
            headers: vec![("X-Empty".into(), String::new())],
            body: Body::File("data/a=b.json".into()),
        };
        let cli = as_cli(&Cli::default(), &r, Path::new("/tmp/reqs")).unwrap();
        assert_eq!(
            cli.args,
            [
                "POST",
                "http://h/",
                "X-Empty;",
                "@/tmp/reqs/data/a\\=b.json"
            ]
        );
        let item = parse_item(&cli.args[3]).unwrap();
        assert_eq!(
            (item.kind, item.value.as_str()),
            (ItemKind::File, "/tmp/reqs/data/a=b.json")
        );
    }
}
