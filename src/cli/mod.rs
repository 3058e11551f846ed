//! The command line as clap sees it: raw strings and flags, nothing resolved. Value parsers
//! for flags live in `values`, the request-item grammar in `items`, URL shorthands in `url`,
//! nested JSON paths in `nested`. Policy ("data implies POST") belongs to `spec`, not here.

pub mod generate;
pub mod items;
pub mod negate;
pub mod nested;
pub mod parse;
pub mod route;
pub mod url;
pub mod values;
pub mod writeout;

use clap::{ArgAction, Parser, ValueEnum};
use std::path::PathBuf;

use values::{PrintSet, Timeout, Verify};

/// The request items, as (syntax, meaning): for `--help` (two columns) and the man page.
pub const ITEMS: &[(&str, &str)] = &[
    ("Name:Value", "request header"),
    ("Name:", "unset a header (also a default one)"),
    ("Name;", "header with an empty value"),
    ("Name:@file", "header value read from a file"),
    ("name==value", "URL query parameter"),
    ("name==@file", "query value read from a file"),
    ("field=value", "data field (JSON string)"),
    ("field=@file", "data field from a text file"),
    ("field:=json", "raw JSON value"),
    ("field:=@f", "raw JSON value from a file"),
    ("field@path", "file upload (multipart)"),
    ("@path", "the whole body from a file"),
];

/// Nested JSON paths, after the request-items table.
pub const NESTED: &[&str] = &[
    "a[b][0]=x",
    "a[]:=1",
    "[]=x (top-level array)",
    "\\[ escapes",
];

/// Example command lines, each with an optional note.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("http :8080/items", "GET http://localhost:8080/items"),
    ("http example.org/search q==rust Accept:text/plain", ""),
    (
        "http POST :8080/items name=widget count:=3 tags:='[\"a\",\"b\"]'",
        "",
    ),
    ("http -f POST :8080/upload title=Report file@report.pdf", ""),
    (
        "http --offline PUT :8080/x a=1",
        "show the request without sending it",
    ),
    (
        "http --file api.http --env dev",
        "run the requests of a .http file in order",
    ),
];

/// The exit statuses, as (code, meaning): the man page lists them, `--help` sums them up.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "success (any HTTP status unless --check-status)"),
    (
        "1",
        "error: usage (bad flag, item, URL, missing file), connection, DNS, TLS, \
         invalid response, body cut short",
    ),
    (
        "2",
        "timeout (connect, no data for the read limit, or --max-time)",
    ),
    (
        "3",
        "--check-status: a 3xx response (not following redirects)",
    ),
    ("4", "--check-status: a 4xx response"),
    ("5", "--check-status: a 5xx response"),
    ("6", "too many redirects (--max-redirects)"),
    ("130", "interrupted (Ctrl-C)"),
];

/// The text after the options in `--help`.
fn after_help() -> String {
    let mut s = String::from(
        "REQUEST ITEMS (leftmost separator wins; escape separators with a backslash):\n",
    );
    for pair in ITEMS.chunks(2) {
        let (a, da) = pair[0];
        let line = match pair.get(1) {
            Some((b, db)) => format!("  {a:<17}{da:<28}{b:<13}{db}"),
            None => format!("  {a:<17}{da}"),
        };
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str(&format!(
        "  Nested JSON paths: {}\n\nEXAMPLES:\n",
        NESTED.join("  ")
    ));
    for (command, note) in EXAMPLES {
        let line = format!("  {command:<44}{note}");
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str(
        "\nEXIT STATUS:\n  \
         0 ok, 1 error, 2 timeout, 3/4/5 HTTP 3xx/4xx/5xx with --check-status,\n  \
         6 too many redirects, 130 interrupted.",
    );
    s
}

/// The Arguments section of `--help`: clap would show the one `Vec` positional as `<ARGS>...`
/// under a usage line that names three.
const HELP_TEMPLATE: &str = "\
{before-help}{about-with-newline}
{usage-heading} {usage}

Arguments:
  [METHOD]   GET, POST, PUT, DELETE, ... (optional: GET without a body, POST with one)
  URL        https://host/path, host/path (http://), :PORT/path or :/path (localhost)
  [ITEM]...  request items: Name:Value, name==value, field=value, field:=json, @file (see below)

{all-args}{after-help}";

#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "http",
    version,
    about = "A fast, friendly command-line HTTP client.",
    long_about = "A fast, friendly command-line HTTP client.\n\n\
                  METHOD is optional: GET without a body, POST with one.",
    disable_help_flag = true,
    // Later values win, so config-file defaults can be overridden on the command line.
    args_override_self = true,
    after_help = after_help(),
    help_template = HELP_TEMPLATE,
    max_term_width = 100
)]
pub struct Cli {
    /// The method (optional: GET without a body, POST with one), the URL, then request items.
    // `--help` documents the three as such (see `HELP_TEMPLATE`); completions and the man
    // page still see this one argument.
    #[arg(
        value_name = "ARGS",
        required_unless_present = "file",
        num_args = 1..,
        hide_short_help = true,
        hide_long_help = true
    )]
    pub args: Vec<String>,

    // ---- Content type
    /// Serialize data items as a JSON object (the default) and ask for JSON.
    #[arg(short = 'j', long, help_heading = "Content type")]
    pub json: bool,
    /// Serialize data items as a URL-encoded form (multipart when there is a file item).
    #[arg(short = 'f', long, help_heading = "Content type")]
    pub form: bool,
    /// Always send a multipart/form-data body.
    #[arg(long, help_heading = "Content type")]
    pub multipart: bool,
    /// The boundary string for multipart bodies.
    #[arg(long, value_name = "BOUNDARY", help_heading = "Content type")]
    pub boundary: Option<String>,
    /// Send DATA as the request body, as is.
    #[arg(long, value_name = "DATA", help_heading = "Content type")]
    pub raw: Option<String>,

    // ---- Content processing
    /// Deflate the request body when that makes it smaller; -xx always deflates.
    #[arg(short = 'x', long, action = ArgAction::Count, help_heading = "Content processing")]
    pub compress: u8,
    /// Send the body with Transfer-Encoding: chunked.
    #[arg(long, help_heading = "Content processing")]
    pub chunked: bool,

    // ---- Output processing
    /// Output processing: all (format + colours), colors, format, none.
    #[arg(long, value_enum, help_heading = "Output processing")]
    pub pretty: Option<Pretty>,
    /// Colour theme: auto (16 ANSI colours), solarized, monokai, mono.
    #[arg(
        short = 's',
        long,
        value_name = "STYLE",
        value_parser = values::OneOf(crate::output::theme::Style::names()),
        help_heading = "Output processing"
    )]
    pub style: Option<String>,
    /// Sort response headers and JSON keys.
    #[arg(long, help_heading = "Output processing")]
    pub sorted: bool,
    /// Keep the server's header and key order (the default).
    #[arg(long, help_heading = "Output processing")]
    pub unsorted: bool,
    /// Decode the response body with this charset.
    #[arg(long, value_name = "ENCODING", help_heading = "Output processing")]
    pub response_charset: Option<String>,
    /// Treat the response body as this MIME type when formatting it.
    #[arg(long, value_name = "MIME", help_heading = "Output processing")]
    pub response_mime: Option<String>,
    /// Formatting options: json.indent:N, json.sort_keys:B, headers.sort:B, xml.format:B, xml.indent:N.
    #[arg(
        long,
        value_name = "OPTIONS",
        value_parser = values::OneOf(values::FORMAT_OPTIONS),
        hide_possible_values = true,
        help_heading = "Output processing"
    )]
    pub format_options: Vec<String>,

    // ---- Output options
    /// What to print: H request headers, B request body, h response headers, b response body, m meta.
    /// The last of -p, -h, -b and -m wins, as in HTTPie.
    #[arg(short = 'p', long, value_name = "WHAT", value_parser = values::parse_print, help_heading = "Output options", overrides_with_all = ["headers", "body", "meta"])]
    pub print: Option<PrintSet>,
    /// Print only the response headers (-p h).
    #[arg(short = 'h', long, help_heading = "Output options", overrides_with_all = ["print", "body", "meta"])]
    pub headers: bool,
    /// Print only the response body (-p b).
    #[arg(short = 'b', long, help_heading = "Output options", overrides_with_all = ["print", "headers", "meta"])]
    pub body: bool,
    /// Print only the response metadata: timings and remote address (-p m).
    #[arg(short = 'm', long, help_heading = "Output options", overrides_with_all = ["print", "headers", "body"])]
    pub meta: bool,
    /// Print the whole exchange (--all -p HBhb); -vv adds meta.
    #[arg(short = 'v', long, action = ArgAction::Count, help_heading = "Output options")]
    pub verbose: u8,
    /// Also show intermediate messages (redirects, auth challenges).
    #[arg(long, help_heading = "Output options")]
    pub all: bool,
    /// What to print for intermediate messages (defaults to --print).
    #[arg(short = 'P', long, value_name = "WHAT", value_parser = values::parse_print, help_heading = "Output options")]
    pub history_print: Option<PrintSet>,
    /// Stream the response body line by line, as it arrives.
    #[arg(short = 'S', long, help_heading = "Output options")]
    pub stream: bool,
    /// Write output to FILE instead of stdout.
    #[arg(
        short = 'o',
        long,
        value_name = "FILE",
        help_heading = "Output options"
    )]
    pub output: Option<PathBuf>,
    /// Download the body to a file, like wget.
    #[arg(short = 'd', long, help_heading = "Output options")]
    pub download: bool,
    /// Resume a partial download (needs --output).
    #[arg(short = 'c', long = "continue", help_heading = "Output options")]
    pub continue_: bool,
    /// Print nothing on stdout (-qq: no warnings either). Errors are always shown.
    #[arg(short = 'q', long, action = ArgAction::Count, help_heading = "Output options")]
    pub quiet: u8,
    /// When the exchange ends (an error too), print FORMAT with curl's variables, e.g.
    /// '%{http_code}\n', %{time_total}, %header{name}, %{json}; @FILE or @- reads it.
    #[arg(
        short = 'w',
        long,
        value_name = "FORMAT",
        help_heading = "Output options"
    )]
    pub write_out: Option<String>,
    /// Print the request as a command or code instead of sending it: curl or python.
    #[arg(
        long = "as",
        value_enum,
        value_name = "FORMAT",
        help_heading = "Output options"
    )]
    pub as_: Option<AsFormat>,

    // ---- Request files
    /// Run the requests of a .http file in order, sharing one session and connection pool.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Request files",
        conflicts_with_all = ["args", "raw", "download", "continue_", "config_show"]
    )]
    pub file: Option<PathBuf>,
    /// Run only the request named NAME (### NAME, or # @name NAME); repeatable.
    #[arg(long = "request", value_name = "NAME", help_heading = "Request files")]
    pub request: Vec<String>,
    /// Use the variables of environment NAME (from http-client.env.json beside the file).
    #[arg(long = "env", value_name = "NAME", help_heading = "Request files")]
    pub env_name: Option<String>,
    /// The environment file to read instead of http-client.env.json beside the request file.
    #[arg(long, value_name = "FILE", help_heading = "Request files")]
    pub env_file: Option<PathBuf>,
    /// Stop at the first request that fails (by default the rest still run).
    #[arg(long, help_heading = "Request files")]
    pub fail_fast: bool,

    // ---- Sessions
    /// Create, or read and update, a session (a name or a path).
    #[arg(
        long,
        value_name = "NAME_OR_PATH",
        help_heading = "Sessions",
        conflicts_with = "session_read_only"
    )]
    pub session: Option<String>,
    /// Read a session without updating it.
    #[arg(long, value_name = "NAME_OR_PATH", help_heading = "Sessions")]
    pub session_read_only: Option<String>,
    /// Send the cookies of FILE (Netscape cookies.txt, as curl -b/-c and browser exports
    /// write it) and write it back with the cookies the responses set; a missing FILE is
    /// created. Works with or without --session.
    #[arg(long, value_name = "FILE", help_heading = "Sessions")]
    pub cookie_jar: Option<String>,

    // ---- Authentication
    /// Credentials: USER[:PASS] (prompts for a missing password) or a bearer TOKEN.
    #[arg(
        short = 'a',
        long,
        value_name = "USER[:PASS]",
        help_heading = "Authentication"
    )]
    pub auth: Option<String>,
    /// The authentication scheme.
    #[arg(
        short = 'A',
        long,
        value_enum,
        value_name = "TYPE",
        help_heading = "Authentication"
    )]
    pub auth_type: Option<AuthType>,
    /// Do not read credentials from ~/.netrc.
    #[arg(long, help_heading = "Authentication")]
    pub ignore_netrc: bool,
    /// Sign with AWS Signature Version 4, as curl does: PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]],
    /// e.g. aws:amz:us-east-1:s3 (region and service default to the host name's
    /// SERVICE.REGION.*); the keys are --auth ACCESS_KEY:SECRET_KEY.
    #[arg(
        long,
        value_name = "PROVIDERS",
        conflicts_with = "auth_type",
        help_heading = "Authentication"
    )]
    pub aws_sigv4: Option<String>,

    // ---- Network
    /// Build and print the request without sending it.
    #[arg(long, help_heading = "Network")]
    pub offline: bool,
    /// Proxy for a protocol: PROTOCOL:URL, e.g. http:http://proxy:3128 (repeatable).
    #[arg(long, value_name = "PROTOCOL:URL", help_heading = "Network")]
    pub proxy: Vec<String>,
    /// Connect to ADDR for HOST:PORT, keeping the URL, Host and TLS name (repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR[,ADDR]", value_parser = route::parse_resolve, help_heading = "Network")]
    pub resolve: Vec<route::ResolveRule>,
    /// Send requests meant for HOST1:PORT1 to HOST2:PORT2; empty parts mean any/same (repeatable).
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2", value_parser = route::parse_connect_to, help_heading = "Network")]
    pub connect_to: Vec<route::ConnectTo>,
    /// Connect over IPv4 only.
    #[arg(short = '4', long, help_heading = "Network", overrides_with = "ipv6")]
    pub ipv4: bool,
    /// Connect over IPv6 only.
    #[arg(short = '6', long, help_heading = "Network", overrides_with = "ipv4")]
    pub ipv6: bool,
    /// Bind the local end of connections to this interface or local address.
    #[arg(long, value_name = "NAME|ADDR", value_parser = route::parse_interface, help_heading = "Network")]
    pub interface: Option<route::Interface>,
    /// Send requests over this Unix domain socket (Host still comes from the URL).
    #[arg(long, value_name = "PATH", help_heading = "Network")]
    pub unix_socket: Option<PathBuf>,
    /// Follow redirects.
    #[arg(
        short = 'F',
        long,
        help_heading = "Network",
        overrides_with = "no_follow"
    )]
    pub follow: bool,
    /// Do not follow redirects (overrides a config file's default).
    #[arg(long, help_heading = "Network", overrides_with = "follow")]
    pub no_follow: bool,
    /// The most redirects to follow (default 30).
    #[arg(long, value_name = "N", help_heading = "Network")]
    pub max_redirects: Option<u32>,
    /// Fail when the response has more than N headers.
    #[arg(long, value_name = "N", help_heading = "Network")]
    pub max_headers: Option<usize>,
    /// SECONDS for connecting and for each read (no data for that long), or CONNECT,READ.
    #[arg(long, value_name = "SECONDS", value_parser = values::parse_timeout, help_heading = "Network")]
    pub timeout: Option<Timeout>,
    /// One deadline in SECONDS for the whole exchange: redirects, retries and their waits, and
    /// the body (like curl's --max-time; 0: none).
    #[arg(long, value_name = "SECONDS", value_parser = values::parse_seconds, help_heading = "Network")]
    pub max_time: Option<f64>,
    /// HTTP version: 1.1 (default), 2 (over TLS, offered by ALPN), or 2-prior-knowledge (HTTP/2
    /// from the first byte, also over plain http://).
    #[arg(long, value_name = "VERSION", help_heading = "Network")]
    pub http_version: Option<HttpVersion>,
    /// Exit 3/4/5 for a 3xx/4xx/5xx response (like requests' raise_for_status()).
    #[arg(long, help_heading = "Network")]
    pub check_status: bool,
    /// Send the URL path as given, without collapsing ./ and ../ segments.
    #[arg(long, help_heading = "Network")]
    pub path_as_is: bool,

    // ---- Retries
    /// Retry up to N times: failed connections for any method, failed reads for idempotent ones.
    #[arg(long, value_name = "N", help_heading = "Retries")]
    pub retries: Option<u32>,
    /// Also retry on these statuses, e.g. 429,502,503,504 (Retry-After is honoured).
    #[arg(
        long,
        value_name = "CODES",
        value_delimiter = ',',
        help_heading = "Retries"
    )]
    pub retry_status: Vec<u16>,
    /// The first retry delay in seconds, doubled for each retry, with jitter (default 0.5).
    #[arg(long, value_name = "SECONDS", value_parser = values::parse_seconds, help_heading = "Retries")]
    pub retry_backoff: Option<f64>,
    /// The longest wait before a retry, Retry-After included (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = values::parse_seconds, help_heading = "Retries")]
    pub retry_max_wait: Option<f64>,

    // ---- TLS
    /// Verify TLS certificates: yes, no, or a CA bundle path.
    #[arg(long, value_name = "VERIFY", value_parser = values::parse_verify, help_heading = "TLS")]
    pub verify: Option<Verify>,
    /// Pin the TLS version: tls1.2 or tls1.3.
    #[arg(long, value_name = "VERSION", value_parser = values::OneOf(values::SSL_VERSIONS), help_heading = "TLS")]
    pub ssl: Option<String>,
    /// Client certificate (PEM; may include the key).
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM), when not in --cert.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cert_key: Option<PathBuf>,
    /// Passphrase for an encrypted client key.
    #[arg(long, value_name = "PASS", help_heading = "TLS")]
    pub cert_key_pass: Option<String>,

    // ---- Troubleshooting
    /// Never read a request body from stdin.
    #[arg(short = 'I', long, help_heading = "Troubleshooting")]
    pub ignore_stdin: bool,
    /// Print the settings that would apply to URL, and where each one comes from.
    #[arg(long, help_heading = "Troubleshooting")]
    pub config_show: bool,
    /// The scheme for URLs given without one.
    #[arg(long, value_name = "SCHEME", value_parser = values::OneOf(values::SCHEMES), help_heading = "Troubleshooting")]
    pub default_scheme: Option<String>,
    /// Print help.
    #[arg(long, action = ArgAction::Help, help_heading = "Troubleshooting")]
    pub help: Option<bool>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pretty {
    All,
    Colors,
    Format,
    None,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    Basic,
    Digest,
    Bearer,
}

/// `--http-version`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpVersion {
    #[default]
    #[value(name = "1.1")]
    Http11,
    #[value(name = "2")]
    Http2,
    #[value(name = "2-prior-knowledge")]
    Http2PriorKnowledge,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsFormat {
    Curl,
    Python,
}

impl Cli {
    /// The clap command, named after the binary (`http` or `https`).
    pub fn command_for(program: &str) -> clap::Command {
        use clap::CommandFactory;
        let name: &'static str = if program == "https" { "https" } else { "http" };
        Cli::command()
            .name(name)
            .bin_name(name)
            .override_usage(format!("{name} [OPTIONS] [METHOD] URL [ITEM]..."))
    }
}
