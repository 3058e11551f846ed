//! `RequestSpec`: everything the user asked for, resolved into plain data. All policy of the
//! command line lives here ("data implies POST", print defaults, body mode); item files are
//! read here, so later stages never touch the user's paths except to stream a body file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;
use url::Url;

use crate::cli::items::{self, Item, ItemKind};
use crate::cli::values::{PrintSet, Timeout, Verify};
use crate::cli::{nested, AsFormat, AuthType, Cli, Pretty};
use crate::env::Env;
use crate::error::usage;

/// A header the user gave: `None` unsets it (defaults included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderItem {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// One multipart field.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        path: PathBuf,
        filename: String,
        mime: String,
    },
}

/// Where the request body comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum BodySpec {
    Empty,
    /// Data items in JSON mode (the default).
    Json(Value),
    /// Data items with `--form`.
    Form(Vec<(String, String)>),
    /// File items, or `--multipart`.
    Multipart(Vec<Part>),
    /// `--raw`, or stdin (read before the request is built).
    Bytes(Vec<u8>),
    /// A large stdin body, spilled to an anonymous temporary file.
    Spooled(crate::spool::Spooled),
    /// `@path`: streamed from disk.
    File {
        path: PathBuf,
        mime: Option<String>,
    },
}

impl BodySpec {
    pub fn is_empty(&self) -> bool {
        matches!(self, BodySpec::Empty)
    }
}

/// Credentials and how to present them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub kind: AuthType,
    pub user: String,
    /// `None` for bearer tokens; a missing password is prompted for before this is built.
    pub password: Option<String>,
}

/// Where the credentials came from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthSource {
    /// `--auth`
    Flag,
    /// `user:pass@` in the URL.
    Url,
    /// A session file.
    Session,
    /// A URL-prefix section of the config file.
    Config,
    /// `.netrc`
    Netrc,
    #[default]
    None,
}

/// A session named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    /// A name (stored per host under the config directory) or a path (has a separator).
    pub name_or_path: String,
    pub read_only: bool,
}

/// How the transport should behave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetSpec {
    /// `--timeout`: connect and per-read idle limits.
    pub timeout: Timeout,
    pub follow: bool,
    pub max_redirects: u32,
    pub max_headers: Option<usize>,
    pub verify: Option<Verify>,
    pub ssl: Option<String>,
    pub cert: Option<PathBuf>,
    pub cert_key: Option<PathBuf>,
    pub cert_key_pass: Option<String>,
    /// `--retries`: extra attempts after a failure (0: none).
    pub retries: u32,
    /// `--retry-status`: statuses that are retried too.
    pub retry_status: Vec<u16>,
    /// `--retry-backoff`: the first delay, doubled for each retry.
    pub retry_backoff: f64,
    /// `--retry-max-wait`: the cap on any delay, Retry-After included.
    pub retry_max_wait: f64,
    /// `--proxy` flags, validated.
    pub proxies: Vec<crate::client::proxy::ProxyFlag>,
}

/// What to print and how.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// For the final exchange.
    pub print: PrintSet,
    /// For intermediate exchanges (redirects, auth challenges), shown with `--all`.
    pub history_print: PrintSet,
    pub all: bool,
    /// Whether output goes to a terminal (false with `-o FILE`).
    pub to_terminal: bool,
    pub colors: bool,
    pub format: bool,
    pub style: Option<String>,
    pub sorted: bool,
    pub format_options: Vec<String>,
    pub stream: bool,
    pub output_file: Option<PathBuf>,
    pub download: bool,
    pub resume: bool,
    pub quiet: u8,
    pub response_charset: Option<String>,
    pub response_mime: Option<String>,
    pub as_format: Option<AsFormat>,
    /// `--json`: treat the response as JSON even when its Content-Type says otherwise.
    pub force_json: bool,
}

/// Everything needed to prepare, send and print one request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    /// Upper-cased method, explicit or inferred.
    pub method: String,
    /// Final URL with query items added, without credentials or fragment.
    pub url: Url,
    /// `--path-as-is`: the path to send verbatim instead of the normalised one.
    pub raw_path: Option<String>,
    /// Header items in the order given.
    pub headers: Vec<HeaderItem>,
    pub body: BodySpec,
    /// `--json` given: send the JSON Content-Type/Accept even without data.
    pub json: bool,
    /// `--form`: a raw body is announced as a form.
    pub form: bool,
    /// `--boundary`, or None for a random one.
    pub boundary: Option<String>,
    pub auth: Option<Auth>,
    /// Where `auth` came from: later sources (session, config) only fill what earlier ones left.
    pub auth_source: AuthSource,
    /// `--session` / `--session-read-only`.
    pub session: Option<SessionRef>,
    pub chunked: bool,
    /// `-x` count: 1 deflates when smaller, 2 always.
    pub compress: u8,
    pub net: NetSpec,
    pub output: OutputSpec,
    pub offline: bool,
    pub check_status: bool,
    /// Problems worth a warning that do not stop the request (a malformed .netrc).
    pub warnings: Vec<String>,
}

const KNOWN_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PURGE",
];

/// Split positionals into (method, url, items). A letters-only first word is a method, as in
/// HTTPie, except a lone word (`http localhost`) and a lowercase non-method word followed by
/// a request item (`http localhost q==1`), which are URLs.
pub fn split_positionals(args: &[String]) -> (Option<String>, &str, &[String]) {
    let first = args[0].as_str();
    let letters = !first.is_empty() && first.chars().all(|c| c.is_ascii_alphabetic());
    if !letters || args.len() == 1 {
        return (None, first, &args[1..]);
    }
    let known = KNOWN_METHODS.contains(&first.to_ascii_uppercase().as_str());
    let upper = first.chars().all(|c| c.is_ascii_uppercase());
    if !known && !upper && items::parse_item(&args[1]).is_ok() {
        return (None, first, &args[1..]);
    }
    (
        Some(first.to_ascii_uppercase()),
        args[1].as_str(),
        &args[2..],
    )
}

/// `~/x` -> `$HOME/x`, like a shell would, since items are often quoted.
fn expand_tilde(path: &str, env: &Env) -> PathBuf {
    match (path.strip_prefix("~/"), &env.home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| usage(format!("cannot read {what} file '{}': {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| {
        usage(format!(
            "{what} file '{}' is not valid UTF-8 text",
            path.display()
        ))
    })
}

/// Build the spec from the parsed command line alone.
pub fn from_cli(cli: &Cli, env: &Env) -> Result<RequestSpec> {
    from_cli_with(cli, env, None)
}

/// Build the spec from the command line and the config file's settings for the URL.
pub fn from_cli_with(
    cli: &Cli,
    env: &Env,
    config: Option<&crate::config::Config>,
) -> Result<RequestSpec> {
    let default_scheme = cli.default_scheme.clone().unwrap_or_else(|| {
        if env.program == "https" {
            "https"
        } else {
            "http"
        }
        .to_string()
    });
    let (method, raw_url, raw_items) = split_positionals(&cli.args);
    let parsed = crate::cli::url::parse(raw_url, &default_scheme, cli.path_as_is).map_err(usage)?;
    let items: Vec<Item> = raw_items
        .iter()
        .map(|s| items::parse_item(s).map_err(|e| usage(e.to_string())))
        .collect::<Result<_>>()?;

    let mut url = parsed.url;
    let mut headers = Vec::new();
    for item in &items {
        match item.kind {
            ItemKind::Header => headers.push(HeaderItem {
                name: item.key.clone(),
                value: (!item.value.is_empty()).then(|| item.value.clone().into_bytes()),
            }),
            ItemKind::EmptyHeader => headers.push(HeaderItem {
                name: item.key.clone(),
                value: Some(Vec::new()),
            }),
            ItemKind::HeaderFile => {
                let text = read_text(&expand_tilde(&item.value, env), "header")?;
                let value = text.trim_end_matches(['\n', '\r']).to_string();
                items::check_header_value(&item.raw, &value).map_err(|e| usage(e.to_string()))?;
                headers.push(HeaderItem {
                    name: item.key.clone(),
                    value: Some(value.into_bytes()),
                })
            }
            ItemKind::Query => {
                url.query_pairs_mut().append_pair(&item.key, &item.value);
            }
            ItemKind::QueryFile => {
                let text = read_text(&expand_tilde(&item.value, env), "query")?;
                url.query_pairs_mut()
                    .append_pair(&item.key, text.trim_end_matches(['\n', '\r']));
            }
            _ => {}
        }
    }

    let body = build_body(cli, env, &items)?;
    let method = method.unwrap_or_else(|| if body.is_empty() { "GET" } else { "POST" }.to_string());
    let mut warnings = Vec::new();
    let from_url = parsed.credentials.is_some();
    let mut auth = resolve_auth(cli, parsed.credentials)?;
    let mut auth_source = match (&auth, cli.auth.is_some(), from_url) {
        (None, _, _) => AuthSource::None,
        (Some(_), true, _) => AuthSource::Flag,
        (Some(_), false, _) => AuthSource::Url,
    };
    // Proxy flags are checked here so a bad one is a usage error, not a silent skip.
    for p in &cli.proxy {
        crate::client::proxy::parse_flag(p).map_err(usage)?;
    }
    let prefix = config.and_then(|c| c.for_url(url.as_str()));
    let eff = crate::config::effective(cli, prefix, env, &mut warnings);
    if !eff.headers.is_empty() {
        // Prefix headers come first; a command-line header of the same name replaces them.
        let given = |n: &str| {
            headers
                .iter()
                .any(|h: &HeaderItem| h.name.eq_ignore_ascii_case(n))
        };
        let mut merged: Vec<HeaderItem> = eff
            .headers
            .iter()
            .filter(|(n, _)| !given(n))
            .map(|(n, v)| HeaderItem {
                name: n.clone(),
                value: Some(v.clone().into_bytes()),
            })
            .collect();
        merged.append(&mut headers);
        headers = merged;
    }
    if auth.is_none() {
        if let Some(a) = eff.auth.clone() {
            auth = Some(a);
            auth_source = AuthSource::Config;
        }
    }
    if auth.is_none() && !cli.ignore_netrc {
        auth = netrc_auth(cli, env, &url, &mut warnings);
        if auth.is_some() {
            auth_source = AuthSource::Netrc;
        }
    }
    let session = match (&cli.session, &cli.session_read_only) {
        (Some(s), _) => Some(SessionRef {
            name_or_path: s.clone(),
            read_only: false,
        }),
        (None, Some(s)) => Some(SessionRef {
            name_or_path: s.clone(),
            read_only: true,
        }),
        (None, None) => None,
    };
    if cli.continue_ && !cli.download {
        return Err(usage("--continue only works with --download"));
    }
    if cli.continue_ && cli.output.is_none() {
        return Err(usage("--continue requires --output FILE"));
    }
    if headers
        .iter()
        .any(|h| h.value.is_none() && h.name.eq_ignore_ascii_case("host"))
    {
        warnings.push(
            "the Host header cannot be removed (HTTP/1.1 requires it); it is sent as usual".into(),
        );
    }
    if !eff.retry_status.0.is_empty() && eff.retries.0 == 0 {
        warnings.push("--retry-status has no effect without --retries N".into());
    }
    let mut output = output_spec(cli, env);
    if output.resume && headers.iter().any(|h| h.name.eq_ignore_ascii_case("range")) {
        warnings.push("--continue is ignored because a Range header was given".into());
        output.resume = false;
    }
    Ok(RequestSpec {
        method,
        url,
        raw_path: parsed.raw_path,
        headers,
        body,
        json: cli.json,
        form: cli.form,
        boundary: cli.boundary.clone(),
        auth,
        auth_source,
        session,
        chunked: cli.chunked,
        compress: cli.compress,
        net: NetSpec {
            timeout: eff.timeout.0,
            follow: eff.follow.0,
            max_redirects: cli.max_redirects.unwrap_or(30),
            max_headers: cli.max_headers,
            retries: eff.retries.0,
            retry_status: eff.retry_status.0,
            retry_backoff: cli.retry_backoff.unwrap_or(0.5),
            retry_max_wait: cli.retry_max_wait.unwrap_or(30.0),
            verify: eff.verify.0,
            ssl: cli.ssl.clone(),
            cert: cli.cert.clone(),
            cert_key: cli.cert_key.clone(),
            cert_key_pass: cli.cert_key_pass.clone(),
            proxies: eff.proxies.0,
        },
        output,
        offline: cli.offline,
        check_status: cli.check_status || cli.download,
        warnings,
    })
}

fn build_body(cli: &Cli, env: &Env, items: &[Item]) -> Result<BodySpec> {
    let data: Vec<&Item> = items.iter().filter(|i| i.is_data()).collect();
    let body_files: Vec<&Item> = items
        .iter()
        .filter(|i| i.kind == ItemKind::File && i.key.is_empty())
        .collect();
    if body_files.len() > 1 {
        return Err(usage("only one '@file' item can be the request body"));
    }
    let stdin = !cli.ignore_stdin && env.stdin_has_data;
    let sources = [cli.raw.is_some(), !body_files.is_empty(), stdin];
    if sources.iter().filter(|s| **s).count() > 1 {
        return Err(usage(
            "only one request body source can be used: stdin, --raw or '@file' \
             (pass --ignore-stdin to leave stdin alone)",
        ));
    }
    let has_source = sources.iter().any(|s| *s);
    if has_source && !data.is_empty() {
        return Err(usage(
            "request body (from stdin, --raw or a file) and request data (key=value) cannot be \
             mixed; pass --ignore-stdin to leave stdin alone",
        ));
    }
    if let Some(raw) = &cli.raw {
        return Ok(BodySpec::Bytes(raw.clone().into_bytes()));
    }
    if let Some(item) = body_files.first() {
        let (path, mime) = items::split_file_type(&item.value);
        let path = expand_tilde(path, env);
        std::fs::metadata(&path)
            .map_err(|e| usage(format!("cannot read body file '{}': {e}", path.display())))?;
        return Ok(BodySpec::File {
            path,
            mime: mime.map(str::to_string),
        });
    }
    if stdin {
        let read = read_stdin(env)?;
        return Ok(match read {
            crate::spool::Stdin::Memory(b) if b.is_empty() => BodySpec::Empty,
            crate::spool::Stdin::Memory(b) => BodySpec::Bytes(b),
            crate::spool::Stdin::Spooled(s) => BodySpec::Spooled(s),
        });
    }
    let has_files = data.iter().any(|i| i.kind == ItemKind::File);
    if cli.multipart || (cli.form && has_files) {
        return multipart_body(&data, env);
    }
    if has_files {
        let names: Vec<&str> = data
            .iter()
            .filter(|i| i.kind == ItemKind::File)
            .map(|i| i.key.as_str())
            .collect();
        return Err(usage(format!(
            "file fields need --form or --multipart: {}",
            names.join(", ")
        )));
    }
    if data.is_empty() {
        return Ok(BodySpec::Empty);
    }
    if cli.form {
        let mut pairs = Vec::new();
        for item in data {
            pairs.push((item.key.clone(), form_value(item, env)?));
        }
        return Ok(BodySpec::Form(pairs));
    }
    json_body(&data, env)
}

/// A piped stdin that never sends anything (a script run from ssh, a subprocess with an open
/// pipe) would hang silently: after a while without a first byte, say why we are waiting.
const STDIN_WARN_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

/// A reader that reports its first byte on a channel.
struct FirstByte<R> {
    inner: R,
    seen: Option<std::sync::mpsc::Sender<()>>,
}

impl<R: std::io::Read> std::io::Read for FirstByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.take();
        Ok(n)
    }
}

fn read_stdin(env: &Env) -> Result<crate::spool::Stdin> {
    let (seen, wait) = std::sync::mpsc::channel::<()>();
    let program = env.program.clone();
    std::thread::spawn(move || {
        // Any outcome but a timeout (data, EOF, an error, the sender dropped) means no warning.
        if wait.recv_timeout(STDIN_WARN_AFTER) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            eprintln!(
                "{program}: warning: no stdin data read in {}s (perhaps you want --ignore-stdin)",
                STDIN_WARN_AFTER.as_secs()
            );
        }
    });
    let mut input = FirstByte {
        inner: std::io::stdin().lock(),
        seen: Some(seen),
    };
    crate::spool::read_all(&mut input, crate::spool::MEMORY_LIMIT)
        .context("cannot read the request body from stdin")
}

fn json_body(data: &[&Item], env: &Env) -> Result<BodySpec> {
    let mut pairs = Vec::with_capacity(data.len());
    for item in data {
        let value = match item.kind {
            ItemKind::Data => Value::String(item.value.clone()),
            ItemKind::DataFile => {
                Value::String(read_text(&expand_tilde(&item.value, env), "data")?)
            }
            ItemKind::Json => parse_json(&item.value, &item.raw)?,
            ItemKind::JsonFile => {
                let path = expand_tilde(&item.value, env);
                let text = read_text(&path, "JSON")?;
                parse_json(&text, &item.raw)?
            }
            _ => continue,
        };
        pairs.push((item.key.clone(), value));
    }
    let body = nested::build(&pairs).map_err(|e| usage(e.to_string()))?;
    Ok(BodySpec::Json(body))
}

fn parse_json(text: &str, raw: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| usage(format!("'{raw}': invalid JSON: {e}")))
}

/// A data item's value as form text. `:=` values must be scalars; unlike HTTPie, `true`
/// stays `true` (not Python's `True`).
fn form_value(item: &Item, env: &Env) -> Result<String> {
    let json = match item.kind {
        ItemKind::Data => return Ok(item.value.clone()),
        ItemKind::DataFile => return read_text(&expand_tilde(&item.value, env), "data"),
        ItemKind::Json => parse_json(&item.value, &item.raw)?,
        ItemKind::JsonFile => parse_json(
            &read_text(&expand_tilde(&item.value, env), "JSON")?,
            &item.raw,
        )?,
        _ => return Ok(item.value.clone()),
    };
    match json {
        Value::String(s) => Ok(s),
        Value::Null => Ok(String::new()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(_) | Value::Object(_) => Err(usage(format!(
            "'{}': cannot use complex JSON value types with --form/--multipart",
            item.raw
        ))),
    }
}

fn multipart_body(data: &[&Item], env: &Env) -> Result<BodySpec> {
    let mut parts = Vec::new();
    for item in data {
        if item.kind != ItemKind::File {
            parts.push(Part::Text {
                name: item.key.clone(),
                value: form_value(item, env)?,
            });
            continue;
        }
        let (path, mime) = items::split_file_type(&item.value);
        let path = expand_tilde(path, env);
        std::fs::metadata(&path)
            .map_err(|e| usage(format!("cannot read file '{}': {e}", path.display())))?;
        let filename = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mime = mime.map(str::to_string).unwrap_or_else(|| {
            guess_mime(&path)
                .unwrap_or("application/octet-stream")
                .into()
        });
        parts.push(Part::File {
            name: item.key.clone(),
            path,
            filename,
            mime,
        });
    }
    Ok(BodySpec::Multipart(parts))
}

/// The MIME type for a file name, if its extension is known.
pub fn guess_mime(path: &Path) -> Option<&'static str> {
    mime_guess::from_path(path).first_raw()
}

/// Credentials for the URL's host from `$NETRC` or `~/.netrc`, if any.
fn netrc_auth(cli: &Cli, env: &Env, url: &Url, warnings: &mut Vec<String>) -> Option<Auth> {
    let path = env
        .var("NETRC")
        .map(PathBuf::from)
        .or_else(|| env.home.as_ref().map(|h| h.join(".netrc")))?;
    let text = std::fs::read_to_string(&path).ok()?;
    let parsed = crate::netrc::parse(&text);
    for w in &parsed.warnings {
        warnings.push(format!("{}: {w}", path.display()));
    }
    let (user, password) = parsed.lookup(url.host_str()?)?;
    Some(Auth {
        kind: cli.auth_type.unwrap_or(AuthType::Basic),
        user,
        password: Some(password),
    })
}

fn resolve_auth(cli: &Cli, from_url: Option<(String, Option<String>)>) -> Result<Option<Auth>> {
    let kind = cli.auth_type.unwrap_or(AuthType::Basic);
    let Some(value) = cli.auth.as_ref() else {
        return Ok(from_url.map(|(user, password)| Auth {
            kind,
            user,
            password: Some(password.unwrap_or_default()),
        }));
    };
    if kind == AuthType::Bearer {
        return Ok(Some(Auth {
            kind,
            user: value.clone(),
            password: None,
        }));
    }
    let (user, password) = match value.split_once(':') {
        Some((u, p)) => (u.to_string(), p.to_string()),
        None if cli.ignore_stdin => {
            return Err(usage(format!(
                "no password for '{value}' and --ignore-stdin forbids asking: use --auth {value}:PASSWORD"
            )))
        }
        None => (value.clone(), crate::prompt::password(value)?),
    };
    Ok(Some(Auth {
        kind,
        user,
        password: Some(password),
    }))
}

fn output_spec(cli: &Cli, env: &Env) -> OutputSpec {
    let to_file = cli.output.is_some() && !cli.download;
    // With --download, heads go to stderr (the body to the file); --offline turns it off.
    let to_terminal = if cli.download && !cli.offline {
        env.stderr_is_tty
    } else {
        env.stdout_is_tty && !to_file
    };
    let print = if let Some(p) = cli.print {
        p
    } else if cli.headers || cli.body || cli.meta {
        PrintSet::from_flags(false, false, cli.headers, cli.body, cli.meta)
    } else if cli.verbose > 0 {
        PrintSet::from_flags(true, true, true, true, cli.verbose > 1)
    } else if cli.offline {
        PrintSet::from_flags(true, true, false, false, false)
    } else if cli.download {
        PrintSet::from_flags(false, false, true, false, false)
    } else if to_terminal {
        PrintSet::from_flags(false, false, true, true, false)
    } else {
        PrintSet::from_flags(false, false, false, true, false)
    };
    let default_pretty = if to_terminal || env.force_color {
        Pretty::All
    } else {
        Pretty::None
    };
    let pretty = cli.pretty.unwrap_or(default_pretty);
    let mut colors = matches!(pretty, Pretty::All | Pretty::Colors);
    // NO_COLOR turns off colours the user did not ask for by flag.
    if env.no_color && cli.pretty.is_none() {
        colors = false;
    }
    OutputSpec {
        print,
        history_print: cli.history_print.unwrap_or(print),
        all: cli.all || cli.verbose > 0,
        to_terminal,
        colors,
        format: matches!(pretty, Pretty::All | Pretty::Format),
        style: cli.style.clone(),
        sorted: cli.sorted && !cli.unsorted,
        format_options: cli.format_options.clone(),
        stream: cli.stream,
        output_file: cli.output.clone(),
        download: cli.download,
        resume: cli.continue_,
        quiet: cli.quiet,
        response_charset: cli.response_charset.clone(),
        response_mime: cli.response_mime.clone(),
        as_format: cli.as_,
        force_json: cli.json,
    }
}

/// The spec for a command line (`http` and `args`), in a bare environment: for unit tests
/// of the later stages.
#[cfg(test)]
pub(crate) fn for_args(args: &[&str]) -> Result<RequestSpec> {
    use clap::Parser;
    let cli = Cli::try_parse_from(std::iter::once("http").chain(args.iter().copied()))?;
    from_cli(
        &cli,
        &Env {
            program: "http".into(),
            ..Env::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(args: &[&str]) -> Result<RequestSpec> {
        for_args(args)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn positionals() {
        let table: &[(&[&str], Option<&str>, &str, usize)] = &[
            (&["localhost"], None, "localhost", 0),
            (&["example.org"], None, "example.org", 0),
            (&["PURGE", ":8080/x"], Some("PURGE"), ":8080/x", 0),
            (&["get", ":8080/x"], Some("GET"), ":8080/x", 0),
            (&["ahoy", ":8080/x"], Some("AHOY"), ":8080/x", 0),
            (&["localhost", "q==1"], None, "localhost", 1),
            (&["example.org", "a=1", "b=2"], None, "example.org", 2),
            (&["POST", "localhost", "a=1"], Some("POST"), "localhost", 1),
        ];
        for (args, method, url, n) in table {
            let args = strings(args);
            let (m, u, rest) = split_positionals(&args);
            assert_eq!(
                (m.as_deref(), u, rest.len()),
                (*method, *url, *n),
                "{args:?}"
            );
        }
    }

    #[test]
    fn method_inference_and_bodies() {
        let s = spec(&[":8080/x"]).unwrap();
        assert_eq!(s.method, "GET");
        assert_eq!(s.body, BodySpec::Empty);
        let s = spec(&[":8080/x", "a=1", "n:=2"]).unwrap();
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.body,
            BodySpec::Json(serde_json::json!({"a": "1", "n": 2}))
        );
        let s = spec(&["-f", ":8080/x", "a=1", "t:=true"]).unwrap();
        assert_eq!(
            s.body,
            BodySpec::Form(vec![("a".into(), "1".into()), ("t".into(), "true".into())])
        );
        let s = spec(&["--raw", "hi", ":8080/x"]).unwrap();
        assert_eq!(
            (s.method.as_str(), s.body),
            ("POST", BodySpec::Bytes(b"hi".to_vec()))
        );
        let s = spec(&["PUT", ":8080/x", "q==a b", "X-A:1", "X-B:", "X-C;"]).unwrap();
        assert_eq!(s.method, "PUT");
        assert_eq!(s.url.as_str(), "http://localhost:8080/x?q=a+b");
        assert_eq!(
            s.headers,
            vec![
                HeaderItem {
                    name: "X-A".into(),
                    value: Some(b"1".to_vec())
                },
                HeaderItem {
                    name: "X-B".into(),
                    value: None
                },
                HeaderItem {
                    name: "X-C".into(),
                    value: Some(vec![])
                },
            ]
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let table: &[(&[&str], &str)] = &[
            (&[":8080", "n:=nope"], "'n:=nope': invalid JSON"),
            (
                &[":8080", "f@x"],
                "file fields need --form or --multipart: f",
            ),
            (&["-f", ":8080", "a:=[1]"], "complex JSON value types"),
            (&["--raw", "x", ":8080", "a=1"], "cannot be mixed"),
            (
                &[":8080", "a=@/nonexistent/file"],
                "cannot read data file '/nonexistent/file'",
            ),
            (&[":8080", "@/nonexistent/body"], "cannot read body file"),
            (&[":8080", "a[b=1"], "Expecting ']'"),
            (&["ftp://x"], "unsupported URL scheme"),
        ];
        for (args, want) in table {
            let err = spec(args).unwrap_err().to_string();
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }

    #[test]
    fn print_defaults() {
        let s = spec(&[":8080"]).unwrap();
        assert_eq!(
            s.output.print,
            PrintSet::from_flags(false, false, false, true, false)
        );
        let s = spec(&["--offline", ":8080"]).unwrap();
        assert_eq!(
            s.output.print,
            PrintSet::from_flags(true, true, false, false, false)
        );
        let s = spec(&["-v", ":8080"]).unwrap();
        assert_eq!(
            s.output.print,
            PrintSet::from_flags(true, true, true, true, false)
        );
        assert!(s.output.all);
        let s = spec(&["-vv", ":8080"]).unwrap();
        assert!(s.output.print.meta);
        let s = spec(&["-h", ":8080"]).unwrap();
        assert_eq!(
            s.output.print,
            PrintSet::from_flags(false, false, true, false, false)
        );
    }

    #[test]
    fn auth_from_url_and_flag() {
        let s = spec(&["u:p@localhost"]).unwrap();
        assert_eq!(s.auth.unwrap().password.as_deref(), Some("p"));
        assert_eq!(s.url.as_str(), "http://localhost/");
        let s = spec(&["-a", "x:y:z", "localhost"]).unwrap();
        let a = s.auth.unwrap();
        assert_eq!((a.user.as_str(), a.password.as_deref()), ("x", Some("y:z")));
        let s = spec(&["-A", "bearer", "-a", "tok", "localhost"]).unwrap();
        assert_eq!(s.auth.unwrap().user, "tok");
    }
}
