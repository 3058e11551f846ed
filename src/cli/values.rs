//! Parsers for flag values (pure): `--timeout 2,5`, `--print HBhb`, `--verify yes|no|PATH`,
//! `--proxy PROTOCOL:URL`.
//! Each returns a message that names the flag and the accepted forms.

use std::path::PathBuf;

use url::Url;

/// `--timeout`: requests' `(connect, read)`. `None` means no limit for that phase.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timeout {
    pub connect: Option<f64>,
    pub read: Option<f64>,
}

fn parse_secs(s: &str) -> Option<Option<f64>> {
    let v: f64 = s.trim().parse().ok()?;
    if !v.is_finite() || !(0.0..=1e9).contains(&v) {
        return None;
    }
    // 0 means "no limit", as in HTTPie.
    Some(if v == 0.0 { None } else { Some(v) })
}

/// `2.5` limits connecting and each read to 2.5 s; `2,5` is `(connect=2, read=5)`.
pub fn parse_timeout(s: &str) -> Result<Timeout, String> {
    let bad =
        || format!("'{s}' is not a timeout: use SECONDS (e.g. 2.5) or CONNECT,READ (e.g. 2,5)");
    match s.split_once(',') {
        None => {
            let v = parse_secs(s).ok_or_else(bad)?;
            Ok(Timeout {
                connect: v,
                read: v,
            })
        }
        Some((c, r)) => Ok(Timeout {
            connect: parse_secs(c).ok_or_else(bad)?,
            read: parse_secs(r).ok_or_else(bad)?,
        }),
    }
}

/// A non-negative number of seconds (`--retry-backoff`, `--retry-max-wait`).
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds from 0 to 86400")),
    }
}

/// A value parser for a flag whose usual values form a fixed set (`--style`, `--ssl`,
/// `--default-scheme`, `--format-options`): it accepts any string, as before, and names the set
/// so that help, the man page and shell completions offer it. The value is checked later, with
/// the flag's own message (e.g. "unknown --ssl version 'tls9': use tls1.2 or tls1.3"), and
/// case-insensitively where the flag allows that, which clap's `PossibleValuesParser` would not.
#[derive(Clone, Copy, Debug)]
pub struct OneOf(pub &'static [&'static str]);

impl clap::builder::TypedValueParser for OneOf {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|v| clap::builder::PossibleValue::new(*v)),
        ))
    }
}

/// `--ssl`: the versions `client::tls` pins.
pub const SSL_VERSIONS: &[&str] = &["tls1.2", "tls1.3"];

/// `--default-scheme`: the schemes this client speaks.
pub const SCHEMES: &[&str] = &["http", "https"];

/// `--format-options`: every key, with its usual values (the numbers are examples).
pub const FORMAT_OPTIONS: &[&str] = &[
    "headers.sort:true",
    "headers.sort:false",
    "json.format:true",
    "json.format:false",
    "json.indent:2",
    "json.indent:4",
    "json.sort_keys:true",
    "json.sort_keys:false",
    "xml.format:true",
    "xml.format:false",
    "xml.indent:2",
    "xml.indent:4",
];

/// The `--print` letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrintSet {
    pub request_headers: bool,
    pub request_body: bool,
    pub response_headers: bool,
    pub response_body: bool,
    pub meta: bool,
}

impl PrintSet {
    pub const NONE: PrintSet = PrintSet {
        request_headers: false,
        request_body: false,
        response_headers: false,
        response_body: false,
        meta: false,
    };
    /// `H`
    pub const REQUEST_HEADERS: PrintSet = PrintSet {
        request_headers: true,
        ..PrintSet::NONE
    };
    /// `B`
    pub const REQUEST_BODY: PrintSet = PrintSet {
        request_body: true,
        ..PrintSet::NONE
    };
    /// `h`
    pub const RESPONSE_HEADERS: PrintSet = PrintSet {
        response_headers: true,
        ..PrintSet::NONE
    };
    /// `b`
    pub const RESPONSE_BODY: PrintSet = PrintSet {
        response_body: true,
        ..PrintSet::NONE
    };
    /// `m`
    pub const META: PrintSet = PrintSet {
        meta: true,
        ..PrintSet::NONE
    };

    pub fn any_request(&self) -> bool {
        self.request_headers || self.request_body
    }
    pub fn any_response(&self) -> bool {
        self.response_headers || self.response_body || self.meta
    }
}

impl std::ops::BitOr for PrintSet {
    type Output = PrintSet;
    fn bitor(self, o: PrintSet) -> PrintSet {
        PrintSet {
            request_headers: self.request_headers || o.request_headers,
            request_body: self.request_body || o.request_body,
            response_headers: self.response_headers || o.response_headers,
            response_body: self.response_body || o.response_body,
            meta: self.meta || o.meta,
        }
    }
}

/// `-q` given once or twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quiet {
    #[default]
    No,
    /// `-q`: nothing on stdout; notes (download progress, retries) are silenced too.
    Output,
    /// `-qq`: warnings are silenced as well.
    All,
}

impl Quiet {
    pub fn from_count(n: u8) -> Quiet {
        match n {
            0 => Quiet::No,
            1 => Quiet::Output,
            _ => Quiet::All,
        }
    }
    /// Responses and bodies reach stdout.
    pub fn shows_output(self) -> bool {
        self == Quiet::No
    }
    /// Progress, retry notices and download notes reach stderr.
    pub fn shows_notes(self) -> bool {
        self == Quiet::No
    }
    /// `warning:` lines reach stderr.
    pub fn shows_warnings(self) -> bool {
        self != Quiet::All
    }
}

pub fn parse_print(s: &str) -> Result<PrintSet, String> {
    let mut p = PrintSet::default();
    for c in s.chars() {
        match c {
            'H' => p.request_headers = true,
            'B' => p.request_body = true,
            'h' => p.response_headers = true,
            'b' => p.response_body = true,
            'm' => p.meta = true,
            other => {
                return Err(format!(
                    "unknown letter '{other}' in '{s}': use H (request headers), B (request body), \
                     h (response headers), b (response body), m (meta)"
                ))
            }
        }
    }
    Ok(p)
}

/// `--verify`: HTTPie accepts yes/no/true/false in any case; anything else is a CA path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    Yes,
    No,
    CaBundle(PathBuf),
}

pub fn parse_verify(s: &str) -> Result<Verify, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(Verify::Yes),
        "no" | "false" => Ok(Verify::No),
        "" => Err("--verify needs yes, no, or a CA bundle path".into()),
        _ => Ok(Verify::CaBundle(PathBuf::from(s))),
    }
}

/// One `--proxy` flag: the URL scheme it serves and the proxy URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyFlag {
    pub scheme: String,
    pub url: String,
}

const PROXY_SCHEMES: &[&str] = &["http", "https", "socks4", "socks4a", "socks5", "socks5h"];

/// Parse `http:http://proxy:3128` or `https:socks5h://user:pass@host:1080`.
pub fn parse_proxy(s: &str) -> Result<ProxyFlag, String> {
    let bad = || {
        format!(
            "invalid --proxy '{s}': use PROTOCOL:URL, e.g. http:http://proxy:3128 or \
             https:socks5://proxy:1080"
        )
    };
    let (scheme, url) = s.split_once(':').ok_or_else(bad)?;
    let scheme = scheme.trim().to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "all") || url.is_empty() {
        return Err(bad());
    }
    check_proxy_url(url).map_err(|e| format!("invalid --proxy '{s}': {e}"))?;
    Ok(ProxyFlag {
        scheme,
        url: url.to_string(),
    })
}

fn check_proxy_url(url: &str) -> Result<(), String> {
    let full = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    let parsed = Url::parse(&full).map_err(|e| e.to_string())?;
    if !PROXY_SCHEMES.contains(&parsed.scheme()) {
        return Err(format!(
            "unsupported proxy scheme '{}' (use {})",
            parsed.scheme(),
            PROXY_SCHEMES.join(", ")
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        let t = |c, r| {
            Ok(Timeout {
                connect: c,
                read: r,
            })
        };
        assert_eq!(parse_timeout("2.5"), t(Some(2.5), Some(2.5)));
        assert_eq!(parse_timeout("2,5"), t(Some(2.0), Some(5.0)));
        assert_eq!(parse_timeout(" 1 , 0.5 "), t(Some(1.0), Some(0.5)));
        assert_eq!(parse_timeout("0"), t(None, None));
        assert_eq!(parse_timeout("0,3"), t(None, Some(3.0)));
        for bad in ["", "abc", "-1", "1,", ",1", "1,2,3", "nan", "inf"] {
            let err = parse_timeout(bad).unwrap_err();
            assert!(err.contains("is not a timeout"), "{bad}: {err}");
        }
    }

    #[test]
    fn print_letters() {
        let p = parse_print("HBhbm").unwrap();
        assert!(p.request_headers && p.request_body && p.response_headers && p.response_body);
        assert!(p.meta);
        assert_eq!(parse_print("b").unwrap(), PrintSet::RESPONSE_BODY);
        assert_eq!(parse_print("").unwrap(), PrintSet::default());
        assert!(parse_print("hx")
            .unwrap_err()
            .contains("unknown letter 'x'"));
    }

    #[test]
    fn verify_values() {
        assert_eq!(parse_verify("YES"), Ok(Verify::Yes));
        assert_eq!(parse_verify("false"), Ok(Verify::No));
        assert_eq!(
            parse_verify("/etc/ca.pem"),
            Ok(Verify::CaBundle("/etc/ca.pem".into()))
        );
    }

    #[test]
    fn proxy_flags() {
        let f = parse_proxy("http:http://p:3128").unwrap();
        assert_eq!(
            (f.scheme.as_str(), f.url.as_str()),
            ("http", "http://p:3128")
        );
        assert!(parse_proxy("https:socks5h://u:p@h:1080").is_ok());
        for bad in [
            "nocolon",
            "ftp:http://p",
            "http:",
            "http:gopher://p",
            "http:http://",
        ] {
            assert!(parse_proxy(bad).is_err(), "{bad}");
        }
    }
}
