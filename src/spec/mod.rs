//! `RequestSpec`: everything the user asked for, resolved once into plain data. All policy of
//! the command line and the config file lives here, in named stages (`target`, `headers`,
//! `body`, `auth`, `net`, `output`, and `prefix` for the config's URL-prefix settings); item
//! files are read here, so later stages never touch the user's paths except to stream a body
//! file. Nothing downstream reads `Cli` again.

mod auth;
mod body;
mod headers;
mod net;
mod output;
pub mod prefix;
mod target;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value;
use url::Url;

use crate::cli::values::{PrintSet, ProxyFlag, Quiet, Timeout, Verify};
use crate::cli::{AsFormat, AuthType, Cli};
use crate::env::Env;
use crate::error::usage;
pub use body::guess_mime;
pub use target::split_positionals;
use target::Target;

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
    /// `--max-time`: the deadline in seconds for the whole exchange (None: no deadline).
    pub max_time: Option<f64>,
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
    pub proxies: Vec<ProxyFlag>,
    /// `--http-version`.
    pub http_version: crate::cli::HttpVersion,
    /// `--download`: a large body is expected, so sockets are read in larger pieces.
    pub bulk: bool,
    /// Where connections go: `--resolve`, `--connect-to`, `-4/-6`, `--interface`,
    /// `--unix-socket`.
    pub route: Route,
}

/// Where to connect, as opposed to what to send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    pub resolve: Vec<crate::cli::route::ResolveRule>,
    pub connect_to: Vec<crate::cli::route::ConnectTo>,
    pub family: crate::cli::route::Family,
    pub interface: Option<crate::cli::route::Interface>,
    pub unix_socket: Option<PathBuf>,
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
    /// Resuming: the size of the partial `-o` file, where the `Range` starts.
    pub resume_from: Option<u64>,
    pub quiet: Quiet,
    pub response_charset: Option<String>,
    pub response_mime: Option<String>,
    pub as_format: Option<AsFormat>,
    /// `--json`: treat the response as JSON even when its Content-Type says otherwise.
    pub force_json: bool,
    /// `-w/--write-out`, parsed (the format read from its file or stdin).
    pub write_out: Option<crate::cli::writeout::Template>,
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
    /// `--aws-sigv4`: `auth` holds the keys, and each hop is signed instead.
    pub sigv4: Option<crate::sigv4::Providers>,
    /// `--session` / `--session-read-only`.
    pub session: Option<SessionRef>,
    /// `--cookie-jar`, `~/` expanded.
    pub cookie_jar: Option<PathBuf>,
    pub chunked: bool,
    /// `-x` count: 1 deflates when smaller, 2 always.
    pub compress: u8,
    pub net: NetSpec,
    /// Prefix settings decided hop by hop.
    pub scope: prefix::Scope,
    pub output: OutputSpec,
    pub offline: bool,
    pub check_status: bool,
    /// Problems worth a warning that do not stop the request (a malformed .netrc).
    pub warnings: Vec<String>,
}

impl RequestSpec {
    /// The `--aws-sigv4` signer, with the keys from the credentials (flag, URL, config,
    /// `.netrc` or session); an error when there are none.
    pub fn signer(&self) -> Result<Option<crate::sigv4::Signer>> {
        let Some(providers) = &self.sigv4 else {
            return Ok(None);
        };
        let Some(auth) = &self.auth else {
            return Err(usage(
                "--aws-sigv4 needs the keys: --auth ACCESS_KEY:SECRET_KEY",
            ));
        };
        let user_headers = self
            .headers
            .iter()
            .filter(|h| h.value.is_some())
            .map(|h| h.name.to_ascii_lowercase())
            .collect();
        Ok(Some(crate::sigv4::Signer {
            providers: providers.clone(),
            access_key: auth.user.clone(),
            secret_key: auth.password.clone().unwrap_or_default(),
            user_headers,
        }))
    }
}

/// `~/x` -> `$HOME/x`, like a shell would, since items are often quoted.
pub(crate) fn expand_tilde(path: &str, env: &Env) -> PathBuf {
    match (path.strip_prefix("~/"), &env.home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The most a `name=@file`-style item reads: values are read whole into memory (a body file
/// is streamed instead), so `X:@/dev/zero` must end in an error, not in exhausted memory.
pub const VALUE_FILE_LIMIT: u64 = 16 << 20;

/// A value item's file as text, up to [`VALUE_FILE_LIMIT`].
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        usage(format!(
            "cannot read {what} file '{}': {}",
            path.display(),
            crate::error::plain_io(&e)
        ))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(VALUE_FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > VALUE_FILE_LIMIT {
        return Err(usage(format!(
            "{what} file '{}' is larger than the {} MiB a value can hold (use '@file' alone to \
             send a large file as the body)",
            path.display(),
            VALUE_FILE_LIMIT >> 20
        )));
    }
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

/// Build the spec from the command line and the config file's settings for the URL, stage
/// by stage. The policy, in order:
/// - the first positional is a method when it looks like one; query items join the URL;
/// - data items make a JSON body (a form with `--form`, multipart with files), stdin or
///   `--raw` or `@file` a raw one, and a body implies POST;
/// - the longest config prefix of the URL supplies settings the flags leave unset, and its
///   headers go before the command line's; `--download` implies `--follow`;
/// - credentials come from `--auth`, the URL, the prefix, then `.netrc`;
/// - `--download` implies `--check-status`; `--continue` needs `--download -o FILE`.
pub fn from_cli_with(
    cli: &Cli,
    env: &Env,
    config: Option<&crate::config::Config>,
) -> Result<RequestSpec> {
    let mut warnings = Vec::new();
    let target = Target::parse(cli, env)?;
    let given_headers = headers::from_items(&target.items, env)?;
    let body = body::resolve(cli, env, &target.items)?;
    let method = target
        .method
        .clone()
        .unwrap_or_else(|| if body.is_empty() { "GET" } else { "POST" }.to_string());
    let mounted = prefix::for_url(config, target.url.as_str());
    let eff = prefix::effective(cli, &target.header_names(), mounted.as_ref())?;
    let prefix_auth = mounted.as_ref().and_then(|m| m.settings.auth.as_ref());
    let (auth, auth_source) = auth::resolve(
        cli,
        target.credentials.clone(),
        prefix_auth,
        &target.url,
        env,
        &mut warnings,
    )?;
    let scope = prefix::Scope::new(
        config,
        &target.url,
        &target.header_names(),
        cli.verify.clone(),
        auth_source == AuthSource::Config,
    );
    let headers = headers::with_prefix(&eff.headers, given_headers);
    headers::warnings(&headers, &mut warnings);
    let sigv4 = auth::sigv4(cli, &headers, &mut warnings)?;
    let net = net::resolve(cli, eff, &mut warnings);
    let output = output::resolve(cli, env, &headers, &mut warnings)?;
    Ok(RequestSpec {
        method,
        url: target.url,
        raw_path: target.raw_path,
        headers,
        body,
        json: cli.json,
        form: cli.form,
        boundary: cli.boundary.clone(),
        auth,
        auth_source,
        sigv4,
        session: session_ref(cli),
        cookie_jar: cli.cookie_jar.as_deref().map(|p| expand_tilde(p, env)),
        chunked: cli.chunked,
        compress: cli.compress,
        net,
        scope,
        output,
        offline: cli.offline,
        check_status: cli.check_status || cli.download,
        warnings,
    })
}

/// `--session` or `--session-read-only`.
fn session_ref(cli: &Cli) -> Option<SessionRef> {
    match (&cli.session, &cli.session_read_only) {
        (Some(s), _) => Some(SessionRef {
            name_or_path: s.clone(),
            read_only: false,
        }),
        (None, Some(s)) => Some(SessionRef {
            name_or_path: s.clone(),
            read_only: true,
        }),
        (None, None) => None,
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
    fn a_lone_method_is_a_missing_url() {
        for method in ["POST", "GET", "DELETE"] {
            let e = spec(&[method]).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("a URL is missing after the method {method}: http {method} URL [ITEM]...")
            );
        }
        // An item where the URL belongs: named as such, not looked up as a host.
        for (args, want) in [
            (
                &["POST", "a=b"][..],
                "a URL is missing after POST: 'a=b' is a request item",
            ),
            (
                &["POST", "q==1", "x=y"][..],
                "a URL is missing after POST: 'q==1' is a",
            ),
            (&["n:=1"][..], "a URL is missing: 'n:=1' is a request item"),
        ] {
            let e = spec(args).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
            assert!(e.ends_with("usage: http [METHOD] URL [ITEM]..."), "{e}");
        }
        let e = spec(&["X:y"]).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "if 'X:y' is a request item, the URL comes first: http [METHOD] URL [ITEM]..."
            ),
            "{e}"
        );
        // URLs with `=` in their query or path, or credentials, are still URLs.
        for url in [
            "example.org/?a=b",
            ":8080/x=1",
            "example.org?a=b",
            "http://u:p=@h/",
        ] {
            assert!(spec(&["GET", url]).is_ok(), "{url}");
        }
        // Lone words that are not upper-case methods stay hosts.
        for host in ["localhost", "example", "post", "Get"] {
            let s = spec(&[host]).unwrap();
            assert_eq!(s.method, "GET", "{host}");
            let want = host.to_ascii_lowercase();
            assert_eq!(s.url.host_str(), Some(want.as_str()), "{host}");
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
            (
                &["--raw", "x", ":8080", "a=1"],
                "cannot mix a request body from --raw with data items (a=1)",
            ),
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
        assert_eq!(s.output.print, PrintSet::RESPONSE_BODY);
        let s = spec(&["--offline", ":8080"]).unwrap();
        assert_eq!(
            s.output.print,
            PrintSet::REQUEST_HEADERS | PrintSet::REQUEST_BODY
        );
        let s = spec(&["-v", ":8080"]).unwrap();
        assert_eq!(
            s.output.print,
            PrintSet::REQUEST_HEADERS
                | PrintSet::REQUEST_BODY
                | PrintSet::RESPONSE_HEADERS
                | PrintSet::RESPONSE_BODY
        );
        assert!(s.output.all);
        let s = spec(&["-vv", ":8080"]).unwrap();
        assert!(s.output.print.meta);
        let s = spec(&["-h", ":8080"]).unwrap();
        assert_eq!(s.output.print, PrintSet::RESPONSE_HEADERS);
    }

    /// The environment comes from the `Env` handed in, never from the process: a fake one
    /// can supply `NETRC`, and a bare one has none, whatever the developer's shell holds.
    #[test]
    fn environment_comes_from_the_env_value() {
        use clap::Parser;
        let dir = tempfile::tempdir().unwrap();
        let netrc = dir.path().join("netrc");
        std::fs::write(&netrc, "machine localhost login u password p\n").unwrap();
        let cli = Cli::try_parse_from(["http", "localhost"]).unwrap();
        let fake = Env {
            program: "http".into(),
            vars: vec![("NETRC".into(), netrc.display().to_string())],
            ..Env::default()
        };
        let s = from_cli(&cli, &fake).unwrap();
        assert_eq!(s.auth_source, AuthSource::Netrc);
        assert_eq!(s.auth.unwrap().password.as_deref(), Some("p"));
        let bare = Env {
            program: "http".into(),
            ..Env::default()
        };
        assert_eq!(from_cli(&cli, &bare).unwrap().auth, None);
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
