//! Sessions (`--session`, `--session-read-only`): headers, auth and cookies kept in a JSON file
//! between runs, in HTTPie's format. Owns the file (where it lives, locking, reading, atomic
//! writing) and the cookie jar (RFC 6265 through cookie_store). It edits the `RequestSpec`
//! and the `Cookie` header of each hop; it never imports the transport or the printer.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use cookie_store::{Cookie, CookieDomain, CookieExpiration, CookieStore, RawCookie};
use serde_json::{json, Map, Value};
use url::{Host, Url};

use crate::cli::AuthType;
use crate::env::Env;
use crate::error::usage;
use crate::message::Headers;
use crate::prepare::PreparedRequest;
use crate::spec::{Auth, AuthSource, HeaderItem, RequestSpec};

/// Credentials as stored: HTTPie's `{"type": ..., "raw_auth": ...}`. The type is kept as
/// written, so a type this program does not know (an HTTPie plugin's) survives a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuth {
    pub kind: String,
    /// `user:pass` for basic and digest, the token for bearer.
    pub raw: String,
}

/// What a session file holds.
#[derive(Debug, Clone, Default)]
pub struct SessionData {
    /// Header lines in order (repeated names allowed).
    pub headers: Vec<(String, String)>,
    pub auth: Option<StoredAuth>,
    pub jar: CookieStore,
}

/// Why a session file could not be used.
#[derive(Debug)]
pub enum ParseError {
    NotJson(serde_json::Error),
    /// Valid JSON, but not shaped like a session.
    Invalid(String),
}

/// An open session: the file's data, and the lock held on it until [`Session::save`]
/// (none for a read-only one).
pub struct Session {
    path: PathBuf,
    read_only: bool,
    /// Released (and its file removed) when dropped; `None` for a read-only session.
    _lock: Option<WriteLock>,
    pub data: SessionData,
    /// `Cookie:` given without a value: send no cookies this time.
    no_cookies: bool,
}

/// Headers that describe one request's body or conditions, never the session's.
fn persistable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !(lower.starts_with("content-")
        || lower.starts_with("if-")
        || lower == "cookie"
        || lower == "host")
}

// ------------------------------------------------------------------ where the file lives

/// Names are `^[A-Za-z0-9_.-]+$`, as in HTTPie.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `<host>_<port>`, the per-host directory of named sessions (`[::1]` becomes `[__1]`).
pub fn host_dir(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().replace(':', "_");
    let port = url.port_or_known_default().unwrap_or(80);
    format!("{host}_{port}")
}

/// The file for `--session VALUE`: a value with a path separator is a path (`~/` expanded),
/// anything else a name stored under `<config_dir>/sessions/<host>_<port>/<name>.json`.
pub fn session_path(value: &str, url: &Url, env: &Env) -> Result<PathBuf> {
    if value.chars().any(std::path::is_separator) {
        let path = match (value.strip_prefix("~/"), &env.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(value),
        };
        if path.file_name().is_none() {
            return Err(usage(format!(
                "session path '{value}' does not name a file"
            )));
        }
        return Ok(path);
    }
    if !valid_name(value) {
        return Err(usage(format!(
            "session name '{value}' contains invalid characters: use letters, digits, '_', '.' \
             and '-', or a path such as ./{value}.json"
        )));
    }
    let dir = env.config_dir.as_ref().ok_or_else(|| {
        usage("cannot locate the config directory for named sessions: set HOME or HTTP_CONFIG_DIR")
    })?;
    Ok(dir
        .join("sessions")
        .join(host_dir(url))
        .join(format!("{value}.json")))
}

// ------------------------------------------------------------------ cookies

/// Whether Secure cookies may travel to `url`: https, or a loopback host, where plain http
/// never leaves the machine (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`).
fn secure_context(url: &Url) -> bool {
    if url.scheme() == "https" {
        return true;
    }
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The URL to match cookies against: a loopback http URL counts as secure.
fn match_url(url: &Url) -> Url {
    let mut u = url.clone();
    if u.scheme() == "http" && secure_context(url) {
        let _ = u.set_scheme("https");
    }
    u
}

/// `Domain=127.0.0.1` from 127.0.0.1: an IP address has no subdomains, so the cookie is
/// host-only (browsers do the same), not a domain cookie `.127.0.0.1`.
fn host_only_for_ip(raw: &mut RawCookie, url: &Url) {
    let Some(d) = raw
        .domain()
        .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
    else {
        return;
    };
    let bare = d.trim_start_matches('[').trim_end_matches(']');
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() && bare == host {
        raw.unset_domain();
    }
}

/// The name prefix `prefix`, in any case (RFC 6265bis matches them case-insensitively).
fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// A Set-Cookie that cookie_store would take but a careful browser refuses (RFC 6265bis):
/// Secure from an insecure origin; a `__Secure-` cookie that is not Secure, or a `__Host-`
/// one that is not Secure, names a Domain or is not for `Path=/`; or a Domain without a dot
/// that is not the host itself (a top-level domain: there is no public-suffix list in this
/// build).
fn refused(raw: &RawCookie, url: &Url) -> bool {
    let secure = raw.secure() == Some(true);
    if secure && !secure_context(url) {
        return true;
    }
    let name = raw.name();
    if has_prefix(name, "__Secure-") && !secure {
        return true;
    }
    if has_prefix(name, "__Host-") && !(secure && raw.domain().is_none() && raw.path() == Some("/"))
    {
        return true;
    }
    match raw.domain() {
        Some(d) if !d.is_empty() => {
            let d = d.to_ascii_lowercase();
            !d.trim_matches('.').contains('.') && Some(d.as_str()) != url.host_str()
        }
        _ => false,
    }
}

/// The key cookie_store files a cookie under.
fn key(c: &Cookie) -> (String, String, String) {
    (
        String::from(&c.domain),
        String::from(&c.path),
        c.name().to_string(),
    )
}

impl SessionData {
    /// Store the `Set-Cookie` headers of a response to `url`; an expired one deletes.
    pub fn absorb(&mut self, url: &Url, headers: &Headers) {
        for value in headers.get_all("set-cookie") {
            let Ok(text) = std::str::from_utf8(value) else {
                continue;
            };
            let Ok(mut raw) = RawCookie::parse(text.trim().to_string()) else {
                continue;
            };
            host_only_for_ip(&mut raw, url);
            if !refused(&raw, url) {
                let _ = self.jar.insert_raw(&raw, url);
            }
        }
    }

    /// A `Cookie:` header from the command line: each pair becomes a host-only cookie for
    /// `url`'s host (path `/`), replacing same-name cookies that would go to this URL.
    pub fn add_user_cookies(&mut self, url: &Url, header: &[u8]) {
        let text = String::from_utf8_lossy(header);
        for pair in text.split(';') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() {
                continue;
            }
            let doomed: Vec<_> = self
                .jar
                .matches(&match_url(url))
                .into_iter()
                .filter(|c| c.name() == name)
                .map(key)
                .collect();
            for (d, p, n) in doomed {
                self.jar.remove(&d, &p, &n);
            }
            let mut raw = RawCookie::new(name.to_string(), value.to_string());
            raw.set_path("/");
            if let Ok(c) = Cookie::try_from_raw_cookie(&raw, url) {
                let _ = self.jar.insert(c.into_owned(), url);
            }
        }
    }

    /// The `Cookie` header value for `url`, if any cookie matches: longer paths first
    /// (RFC 6265 5.4), then by name, so the header is the same from run to run.
    pub fn cookie_header(&self, url: &Url) -> Option<String> {
        let pairs: Vec<String> = self
            .cookie_pairs(url)
            .into_iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The `(name, value)` of each cookie for `url`, in the `Cookie` header's order.
    pub fn cookie_pairs(&self, url: &Url) -> Vec<(String, String)> {
        let mut cookies = self.jar.matches(&match_url(url));
        cookies.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then_with(|| a.name().cmp(b.name()))
        });
        cookies
            .iter()
            .map(|c| (c.name().to_string(), c.value().to_string()))
            .collect()
    }
}

// ------------------------------------------------------------------ reading

fn invalid(msg: impl Into<String>) -> ParseError {
    ParseError::Invalid(msg.into())
}

fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>, ParseError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("{at}.{key} must be a string"))),
    }
}

/// A stored header that could not be sent is a broken file, named with the header.
fn checked_header(name: &str, value: &str) -> Result<(), ParseError> {
    match crate::message::header_problem(name, value.as_bytes()) {
        Some(problem) => Err(invalid(format!(
            "header '{}' has {problem}",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

fn parse_headers(v: Option<&Value>) -> Result<Vec<(String, String)>, ParseError> {
    let mut out = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        // HTTPie 3.2+: [{"name": ..., "value": ...}]
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("headers[{i}]");
                let obj = item
                    .as_object()
                    .ok_or_else(|| invalid(format!("{at} must be an object")))?;
                let name = opt_str(obj, "name", &at)?
                    .ok_or_else(|| invalid(format!("{at} has no name")))?;
                if let Some(value) = opt_str(obj, "value", &at)? {
                    checked_header(name, value)?;
                    out.push((name.to_string(), value.to_string()));
                }
            }
        }
        // Before 3.2: {"Name": "value"}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                match value {
                    Value::Null => {}
                    Value::String(s) => {
                        checked_header(name, s)?;
                        out.push((name.clone(), s.clone()))
                    }
                    _ => return Err(invalid(format!("headers.{name} must be a string"))),
                }
            }
        }
        Some(_) => return Err(invalid("headers must be a list")),
    }
    Ok(out)
}

/// One cookie as a session file describes it.
struct StoredCookie<'a> {
    name: &'a str,
    value: &'a str,
    /// `None`: HTTPie's unbound cookie, bound here to the request's host.
    domain: Option<&'a str>,
    path: Option<&'a str>,
    secure: bool,
    expires: Option<f64>,
}

fn stored_cookie<'a>(
    name: &'a str,
    obj: &'a Map<String, Value>,
    at: &str,
) -> Result<StoredCookie<'a>, ParseError> {
    let expires = match obj.get("expires") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => return Err(invalid(format!("{at}.expires must be a number or null"))),
    };
    let flag = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!("{at}.{key} must be true or false"))),
    };
    Ok(StoredCookie {
        name,
        value: opt_str(obj, "value", at)?.unwrap_or(""),
        domain: opt_str(obj, "domain", at)?.filter(|d| !d.is_empty()),
        path: opt_str(obj, "path", at)?,
        secure: flag("secure")?.unwrap_or(false),
        expires,
    })
}

/// A jar cookie from a stored one. A domain with a leading dot is a domain cookie, one
/// without is host-only: Python's cookiejar convention, so HTTPie's files mean the same.
fn to_cookie(s: &StoredCookie, url: &Url) -> Option<Cookie<'static>> {
    let (host, domain_attr) = match s.domain {
        None => (url.host_str()?.to_string(), None),
        Some(d) if d.starts_with('.') => {
            let bare = d.trim_start_matches('.').to_ascii_lowercase();
            (bare.clone(), Some(bare))
        }
        Some(d) => {
            let d = d.to_ascii_lowercase();
            // Python's cookiejar files a dotless host's cookies under `host.local` (and so do
            // we, see `cookie_json`): `localhost.local` is host `localhost`, unless the request
            // really goes to a host named `localhost.local`.
            let dotless = d
                .strip_suffix(".local")
                .filter(|h| !h.is_empty() && !h.contains('.'));
            match dotless {
                Some(h) if url.host_str() != Some(d.as_str()) => (h.to_string(), None),
                _ => (d, None),
            }
        }
    };
    let origin = Url::parse(&format!("https://{host}/")).ok()?;
    let mut raw = RawCookie::new(s.name.to_string(), s.value.to_string());
    raw.set_path(
        s.path
            .filter(|p| p.starts_with('/'))
            .unwrap_or("/")
            .to_string(),
    );
    if s.secure {
        raw.set_secure(true);
    }
    if let Some(d) = domain_attr {
        raw.set_domain(d);
    }
    let mut cookie = Cookie::try_from_raw_cookie(&raw, &origin)
        .ok()?
        .into_owned();
    if let Some(secs) = s.expires {
        // An expiry outside the representable dates (years -9999..=9999) is not a date: the
        // cookie counts as expired, never as everlasting.
        let at = time::OffsetDateTime::from_unix_timestamp(secs as i64).ok()?;
        cookie.expires = CookieExpiration::from(at);
    }
    Some(cookie)
}

fn parse_cookies(v: Option<&Value>, url: &Url) -> Result<CookieStore, ParseError> {
    let mut cookies = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        // HTTPie 3.1+: [{"name", "value", "domain", "path", "secure", "expires"}]
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("cookies[{i}]");
                let obj = item
                    .as_object()
                    .ok_or_else(|| invalid(format!("{at} must be an object")))?;
                let name = opt_str(obj, "name", &at)?
                    .ok_or_else(|| invalid(format!("{at} has no name")))?;
                cookies.extend(to_cookie(&stored_cookie(name, obj, &at)?, url));
            }
        }
        // Before 3.1: {"name": {"value", "path", "secure", "expires"}}, never bound to a host.
        Some(Value::Object(map)) => {
            let empty = Map::new();
            for (name, item) in map {
                let at = format!("cookies.{name}");
                let stored = match item {
                    Value::Object(obj) => StoredCookie {
                        domain: None,
                        ..stored_cookie(name, obj, &at)?
                    },
                    Value::String(value) => StoredCookie {
                        value,
                        ..stored_cookie(name, &empty, &at)?
                    },
                    _ => return Err(invalid(format!("{at} must be an object"))),
                };
                cookies.extend(to_cookie(&stored, url));
            }
        }
        Some(_) => return Err(invalid("cookies must be a list")),
    }
    // Expired cookies are dropped here.
    CookieStore::from_cookies(cookies.into_iter().map(Ok::<_, ()>), false)
        .map_err(|()| invalid("cookies"))
}

fn parse_auth(v: Option<&Value>) -> Result<Option<StoredAuth>, ParseError> {
    let obj = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err(invalid("auth must be an object")),
    };
    let kind = opt_str(obj, "type", "auth")?;
    if let Some(raw) = opt_str(obj, "raw_auth", "auth")? {
        let kind = kind.unwrap_or("basic").to_string();
        return Ok(Some(StoredAuth {
            kind,
            raw: raw.to_string(),
        }));
    }
    // Before 3.0: {"type", "username", "password"}.
    let Some(user) = opt_str(obj, "username", "auth")? else {
        return Ok(None);
    };
    let password = opt_str(obj, "password", "auth")?;
    let kind = kind.unwrap_or("basic").to_string();
    let raw = match password {
        Some(p) => format!("{user}:{p}"),
        None => user.to_string(),
    };
    Ok(Some(StoredAuth { kind, raw }))
}

/// Read a session file's bytes (any HTTPie 1.x-3.x layout, or ours). Cookies without a
/// domain are bound to `url`'s host. An empty file is an empty session.
pub fn parse(bytes: &[u8], url: &Url) -> Result<SessionData, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(SessionData::default());
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(ParseError::NotJson)?;
    let Value::Object(doc) = doc else {
        return Err(invalid("expected a JSON object"));
    };
    let headers = parse_headers(doc.get("headers"))?;
    let mut data = SessionData {
        headers: Vec::new(),
        auth: parse_auth(doc.get("auth"))?,
        jar: parse_cookies(doc.get("cookies"), url)?,
    };
    // HTTPie 2.x could keep a Cookie header among the headers: it belongs in the jar.
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("cookie") {
            data.add_user_cookies(url, value.as_bytes());
        } else if persistable(&name) {
            data.headers.push((name, value));
        }
    }
    Ok(data)
}

// ------------------------------------------------------------------ writing

fn cookie_json(c: &Cookie) -> Value {
    // HTTPie hands each entry to requests' create_cookie, which refuses unknown keys: the
    // leading dot alone says "domain cookie", as in Python's cookiejar.
    let domain = match &c.domain {
        // Python's cookiejar matches a dotless host (`localhost`, `[::1]`) as `host.local`: a
        // cookie filed under the bare name is never sent by HTTPie.
        CookieDomain::HostOnly(h) if !h.contains('.') => format!("{h}.local"),
        CookieDomain::HostOnly(h) => h.clone(),
        CookieDomain::Suffix(d) => format!(".{d}"),
        CookieDomain::NotPresent | CookieDomain::Empty => String::new(),
    };
    let expires = match c.expires {
        CookieExpiration::AtUtc(t) => json!(t.unix_timestamp()),
        CookieExpiration::SessionEnd => Value::Null,
    };
    json!({
        "name": c.name(),
        "value": c.value(),
        "domain": domain,
        "path": String::from(&c.path),
        "secure": c.secure().unwrap_or(false),
        "expires": expires,
    })
}

/// The file's text: HTTPie's current layout, 4-space indent, cookies in a stable order.
pub fn render(data: &SessionData) -> String {
    let mut cookies: Vec<&Cookie> = data.jar.iter_unexpired().collect();
    cookies.sort_by_key(|c| key(c));
    let auth = match &data.auth {
        Some(a) => json!({"type": a.kind, "raw_auth": a.raw}),
        None => json!({"type": null, "raw_auth": null}),
    };
    let doc = json!({
        "__meta__": {
            "about": "http session file",
            "http": env!("CARGO_PKG_VERSION"),
        },
        "auth": auth,
        "cookies": cookies.into_iter().map(cookie_json).collect::<Vec<_>>(),
        "headers": data
            .headers
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect::<Vec<_>>(),
    });
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    // A Value always serializes into a Vec.
    let _ = serde::Serialize::serialize(&doc, &mut ser);
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

// ------------------------------------------------------------------ auth

fn auth_kind(kind: AuthType) -> &'static str {
    match kind {
        AuthType::Basic => "basic",
        AuthType::Digest => "digest",
        AuthType::Bearer => "bearer",
    }
}

impl StoredAuth {
    pub fn from_auth(a: &Auth) -> StoredAuth {
        let raw = match (&a.kind, &a.password) {
            (AuthType::Bearer, _) | (_, None) => a.user.clone(),
            (_, Some(p)) => format!("{}:{p}", a.user),
        };
        StoredAuth {
            kind: auth_kind(a.kind).to_string(),
            raw,
        }
    }

    /// The credentials to use, if this program knows the type.
    pub fn to_auth(&self) -> Option<Auth> {
        let kind = match self.kind.to_ascii_lowercase().as_str() {
            "basic" => AuthType::Basic,
            "digest" => AuthType::Digest,
            "bearer" => {
                return Some(Auth {
                    kind: AuthType::Bearer,
                    user: self.raw.clone(),
                    password: None,
                })
            }
            _ => return None,
        };
        let (user, password) = self.raw.split_once(':').unwrap_or((&self.raw, ""));
        Some(Auth {
            kind,
            user: user.to_string(),
            password: Some(password.to_string()),
        })
    }
}

// ------------------------------------------------------------------ the session

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Create `dir` (and its parents) private to the user, if missing.
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        anyhow!(
            "cannot create session directory '{}': {}",
            dir.display(),
            crate::error::plain_io(&e)
        )
    })
}

fn private_file(opts: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(opts, 0o600);
    opts
}

/// The lock held while a session is updated, from reading the file to writing it: an
/// exclusive `flock` on `NAME.json.lock` beside it, a file that exists only while someone holds
/// or waits for it. The holder removes it before unlocking, so lock files do not pile up.
///
/// Removing a lock file is racy by itself: a run that opened the file before it was removed
/// and then waited gets the lock on a file no longer in the directory, while a later run
/// creates and locks a new one. So a run that gets the lock checks that the file it locked is
/// still the one at the path (same device and inode) and, if not, starts over. Only the holder
/// removes the file, so a checked lock stays the path's until it is released.
///
/// `--session-read-only` takes no lock and creates nothing: writes are atomic renames, so a
/// reader always sees a whole file.
struct WriteLock {
    path: PathBuf,
    file: File,
}

impl WriteLock {
    /// `kind` names the file in errors: "session" or "cookie jar".
    fn take(session: &Path, kind: &str) -> Result<WriteLock> {
        let path = lock_path(session);
        let fail = |what: &str, e: io::Error| {
            anyhow!(
                "cannot {what} '{}': {}",
                path.display(),
                crate::error::plain_io(&e)
            )
        };
        loop {
            let file = private_file(OpenOptions::new().read(true).write(true).create(true))
                .open(&path)
                .map_err(|e| fail(&format!("create {kind} lock file"), e))?;
            file.lock()
                .map_err(|e| fail(&format!("lock {kind} lock file"), e))?;
            match fs::metadata(&path) {
                Ok(at_path) if same_file(&file, &at_path) => return Ok(WriteLock { path, file }),
                // Removed (and maybe created anew) by the holder this run waited for.
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(fail(&format!("check {kind} lock file"), e)),
            }
        }
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // Removed while still locked (the file is closed, and unlocked, after this); only if
        // it is still ours, and only where an open file can be removed safely.
        if cfg!(unix) && fs::metadata(&self.path).is_ok_and(|m| same_file(&self.file, &m)) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, at_path: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    file.metadata()
        .is_ok_and(|m| m.dev() == at_path.dev() && m.ino() == at_path.ino())
}

/// Without inode numbers the lock file is never removed, so the one locked is the path's.
#[cfg(not(unix))]
fn same_file(_: &File, _: &fs::Metadata) -> bool {
    true
}

/// Remove the temporary files of writers killed mid-write (`.NAME.PID.tmp` beside `path`).
/// Only called under the session's exclusive lock: no other writer can be using one.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let pid = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"));
        if pid.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Write `bytes` to `path` through a private temporary file in the same directory and a
/// rename, so the file is always whole, with mode 0600. The caller holds the lock.
fn write_atomically(path: &Path, bytes: &[u8], kind: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    remove_stale_temporaries(dir, &name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let fail = |e: io::Error| {
        anyhow!(
            "cannot write {kind} file '{}': {}",
            path.display(),
            crate::error::plain_io(&e)
        )
    };
    let open = || private_file(OpenOptions::new().write(true).create_new(true)).open(&tmp);
    let mut file = match open() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Left by a crashed run with the same pid.
            let _ = fs::remove_file(&tmp);
            open()
        }
        other => other,
    }
    .map_err(fail)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(fail(e));
    }
    // Make the rename itself durable; not every platform can open a directory.
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl Session {
    /// Open the session the spec names, if any: find the file, lock it (unless
    /// read-only) and read it. A missing file is an empty session; a file that cannot be read
    /// or parsed is an error and is left as it is.
    pub fn open(spec: &RequestSpec, env: &Env) -> Result<Option<Session>> {
        let Some(r) = &spec.session else {
            return Ok(None);
        };
        let path = session_path(&r.name_or_path, &spec.url, env)?;
        // A symlinked session file is updated where it points.
        let path = fs::canonicalize(&path).unwrap_or(path);
        let lock = if r.read_only {
            // Nothing is created for a read-only session: no directory, no lock file.
            None
        } else {
            create_private_dir(path.parent().unwrap_or(Path::new("")))?;
            Some(WriteLock::take(&path, "session")?)
        };
        let shown = path.display();
        let data = match fs::read(&path) {
            Ok(bytes) => parse(&bytes, &spec.url).map_err(|e| match e {
                ParseError::NotJson(e) => {
                    anyhow!("session file '{shown}' is not valid JSON: {e}; it was left untouched")
                }
                ParseError::Invalid(why) => anyhow!(
                    "session file '{shown}' is not a valid session ({why}); it was left untouched"
                ),
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => SessionData::default(),
            Err(e) => {
                return Err(anyhow!(
                    "cannot read session file '{shown}': {}; it was left untouched",
                    crate::error::plain_io(&e)
                ))
            }
        };
        Ok(Some(Session {
            path,
            read_only: r.read_only,
            _lock: lock,
            data,
            no_cookies: false,
        }))
    }

    /// Merge the session into the spec and the spec into the session. Session headers come
    /// first and a command-line header replaces the session's of the same name; a `Cookie`
    /// header goes into the jar; the session's auth is used unless `--auth` or the URL gave
    /// credentials, which are then stored (netrc and config credentials are not).
    pub fn apply(&mut self, spec: &mut RequestSpec) {
        let mut given = Vec::new();
        for h in spec.headers.drain(..) {
            if !h.name.eq_ignore_ascii_case("cookie") {
                given.push(h);
                continue;
            }
            match &h.value {
                Some(v) => self.data.add_user_cookies(&spec.url, v),
                None => self.no_cookies = true,
            }
        }
        let named: Vec<String> = given.iter().map(|h| h.name.to_ascii_lowercase()).collect();
        let mut headers: Vec<HeaderItem> = self
            .data
            .headers
            .iter()
            .filter(|(n, _)| !named.contains(&n.to_ascii_lowercase()))
            .map(|(n, v)| HeaderItem {
                name: n.clone(),
                value: Some(v.clone().into_bytes()),
            })
            .collect();
        headers.extend(given);
        self.data.headers = headers
            .iter()
            .filter(|h| persistable(&h.name))
            .filter_map(|h| {
                let v = h.value.as_ref()?;
                Some((h.name.clone(), String::from_utf8_lossy(v).into_owned()))
            })
            .collect();
        spec.headers = headers;

        match spec.auth_source {
            // AWS keys are not stored as a password a later run would send in the clear.
            AuthSource::Flag | AuthSource::Url if spec.sigv4.is_some() => {}
            AuthSource::Flag | AuthSource::Url => {
                self.data.auth = spec.auth.as_ref().map(StoredAuth::from_auth);
            }
            _ => match self.data.auth.as_ref().map(|a| (a, a.to_auth())) {
                Some((_, Some(auth))) => {
                    spec.auth = Some(auth);
                    spec.auth_source = AuthSource::Session;
                }
                Some((a, None)) => spec.warnings.push(format!(
                    "session auth type '{}' is not supported; the request goes without it",
                    a.kind
                )),
                None => {}
            },
        }
    }

    /// Set this hop's `Cookie` header from the jar (in place of any earlier one), so each
    /// host gets only its own cookies.
    pub fn set_cookie_header(&self, req: &mut PreparedRequest) {
        let at = req.headers.position("cookie");
        req.headers.remove("cookie");
        if self.no_cookies {
            return;
        }
        if let Some(value) = self.data.cookie_header(&req.url) {
            let at = at.unwrap_or(req.headers.len());
            req.headers.insert(at, "Cookie", value);
        }
    }

    /// Keep the cookies a response to `url` sets.
    pub fn absorb(&mut self, url: &Url, headers: &Headers) {
        self.data.absorb(url, headers);
    }

    /// Write the session (not a read-only one) and release the lock.
    pub fn save(self) -> Result<()> {
        if !self.read_only {
            write_atomically(&self.path, render(&self.data).as_bytes(), "session")?;
        }
        Ok(())
    }
}

/// A `--cookie-jar` file (Netscape `cookies.txt`): read before the request, written back
/// after the exchange with what the responses set. Locked, written and permissioned like a
/// session file; its text is `cookiejar`'s.
pub struct JarFile {
    path: PathBuf,
    /// Held from reading to writing; `None` when nothing is written (`--offline`, `--as`).
    lock: Option<WriteLock>,
    data: SessionData,
}

impl JarFile {
    /// Read the jar at `path` (missing: empty), locking it first when it will be written.
    pub fn open(path: &Path, write: bool) -> Result<JarFile> {
        let lock = match write {
            true => Some(WriteLock::take(path, "cookie jar")?),
            false => None,
        };
        let shown = path.display();
        let jar = match fs::read(path) {
            Ok(bytes) => crate::cookiejar::parse_bytes(&bytes)
                .map_err(|e| usage(format!("cookie jar '{shown}', line {}: {}", e.line, e.why)))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => CookieStore::default(),
            Err(e) => {
                return Err(usage(format!(
                    "cannot read cookie jar '{shown}': {}",
                    crate::error::plain_io(&e)
                )))
            }
        };
        Ok(JarFile {
            path: path.to_path_buf(),
            lock,
            data: SessionData {
                jar,
                ..SessionData::default()
            },
        })
    }

    /// Write the jar back (created if missing, as `curl -c` does), then release its lock.
    pub fn save(self) -> Result<()> {
        if self.lock.is_some() {
            let text = crate::cookiejar::render(&self.data.jar);
            write_atomically(&self.path, text.as_bytes(), "cookie jar")?;
        }
        Ok(())
    }

    /// Add to `req`'s `Cookie` header the jar's cookies for its URL whose names it does not
    /// already carry: the typed header's and the session's cookies win over the jar's.
    fn add_to(&self, req: &mut PreparedRequest) {
        let current = req.headers.get("cookie").map(<[u8]>::to_vec);
        let text = String::from_utf8_lossy(current.as_deref().unwrap_or_default());
        let present: Vec<&str> = text
            .split(';')
            .map(|p| p.split_once('=').map_or(p, |(n, _)| n).trim())
            .collect();
        let extra: Vec<String> = self
            .data
            .cookie_pairs(&req.url)
            .into_iter()
            .filter(|(n, _)| !present.contains(&n.as_str()))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        if extra.is_empty() {
            return;
        }
        let extra = extra.join("; ").into_bytes();
        let value = match current.filter(|c| !c.is_empty()) {
            Some(c) => [&c[..], b"; ", &extra].concat(),
            None => extra,
        };
        req.headers.set("Cookie", value);
    }
}

/// The cookies and session of one run. With `--session`, the session file's: merged into the
/// spec when opened, given each hop's request (for its cookies) and each response (for the
/// cookies it sets), and saved once the final head is in. Without one, a jar that lives for
/// the run, as `requests` keeps one per request: cookies set along a redirect chain go to
/// the later hops they match, after the `Cookie` header the user typed (kept as typed).
/// A `--cookie-jar` file comes on top of either: its cookies follow theirs, and it keeps
/// every cookie the responses set.
pub struct Tracker {
    kept: Kept,
    jar: Option<JarFile>,
    /// `Cookie:` typed without a value: no cookies this time, the jar's neither.
    no_cookies: bool,
}

enum Kept {
    Session(Session),
    Run {
        cookies: SessionData,
        /// The `Cookie` header as the user gave it, taken from the first hop.
        typed: Option<Vec<u8>>,
        /// False until the current request's first hop took its typed `Cookie` header (a
        /// request file's requests each have their own: see `next_request`).
        started: bool,
    },
}

impl Tracker {
    /// Open the spec's session, if any, and merge it into the spec; then its cookie jar.
    /// `--offline` and `--as` read the jar but never lock or write it; `--as=curl` leaves it
    /// to curl's `-b`/`-c` and does not read it at all.
    pub fn open(spec: &mut RequestSpec, env: &Env) -> Result<Tracker> {
        let no_cookies = removes_cookies(spec);
        let kept = match Session::open(spec, env)? {
            Some(mut s) => {
                s.apply(spec);
                Kept::Session(s)
            }
            None => Kept::Run {
                cookies: SessionData::default(),
                typed: None,
                started: false,
            },
        };
        let exporting = spec.output.as_format;
        let jar = match &spec.cookie_jar {
            Some(_) if exporting == Some(crate::cli::AsFormat::Curl) => None,
            Some(path) => {
                // A symlinked jar is updated where it points.
                let path = fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                if matches!(&kept, Kept::Session(s) if s.path == path) {
                    return Err(usage(format!(
                        "--cookie-jar and --session name the same file '{}'",
                        path.display()
                    )));
                }
                let write = !spec.offline && exporting.is_none();
                Some(JarFile::open(&path, write)?)
            }
            None => None,
        };
        Ok(Tracker {
            kept,
            jar,
            no_cookies,
        })
    }

    /// The next request of the same run (a request file): the session is merged into its
    /// spec, its own typed `Cookie` header is taken at its first hop, and its own `Cookie:`
    /// (no value) decides whether the jar's cookies go.
    pub fn next_request(&mut self, spec: &mut RequestSpec) {
        match &mut self.kept {
            Kept::Session(s) => s.apply(spec),
            Kept::Run { started, .. } => *started = false,
        }
        self.no_cookies = removes_cookies(spec);
    }

    /// Set this hop's `Cookie` header from the session or the run's cookies, then the jar.
    pub fn sending(&mut self, req: &mut PreparedRequest) {
        match &mut self.kept {
            Kept::Session(s) => s.set_cookie_header(req),
            Kept::Run {
                cookies,
                typed,
                started,
            } => run_cookie_header(req, cookies, typed, started),
        }
        if let (Some(jar), false) = (&self.jar, self.no_cookies) {
            jar.add_to(req);
        }
    }

    /// Keep the cookies a response to `url` sets (and delete the ones it expires), in the
    /// session or the run's cookies, and in the jar.
    pub fn received(&mut self, url: &Url, headers: &Headers) {
        match &mut self.kept {
            Kept::Session(s) => s.absorb(url, headers),
            Kept::Run { cookies, .. } => cookies.absorb(url, headers),
        }
        if let Some(jar) = &mut self.jar {
            jar.data.absorb(url, headers);
        }
    }

    /// Write the session (unless read-only or absent) and the jar (unless nothing is to be
    /// written), releasing their locks; the jar is written even when the session cannot be.
    pub fn save(self) -> Result<()> {
        let session = match self.kept {
            Kept::Session(s) => s.save(),
            Kept::Run { .. } => Ok(()),
        };
        let jar = self.jar.map_or(Ok(()), JarFile::save);
        session.and(jar)
    }
}

/// Without a session: the typed `Cookie` header, then the cookies set earlier in this run
/// that match the hop's URL.
/// `Cookie:` with no value: the user asked for no cookies at all.
fn removes_cookies(spec: &RequestSpec) -> bool {
    spec.headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("cookie") && h.value.is_none())
}

fn run_cookie_header(
    req: &mut PreparedRequest,
    cookies: &SessionData,
    typed: &mut Option<Vec<u8>>,
    started: &mut bool,
) {
    if !*started {
        *started = true;
        *typed = req.headers.get("cookie").map(<[u8]>::to_vec);
    }
    // The typed header is still there only where the redirect rules kept it (the same
    // origin); what the jars add is worked out afresh for each hop's URL, so nothing a
    // previous hop added is carried over.
    let typed = typed.as_deref().filter(|_| req.headers.contains("cookie"));
    let value = match (typed, cookies.cookie_header(&req.url)) {
        (Some(t), Some(j)) => [t, b"; ", j.as_bytes()].concat(),
        (Some(t), None) => t.to_vec(),
        (None, Some(j)) => j.into_bytes(),
        (None, None) => return req.headers.remove("cookie"),
    };
    req.headers.set("Cookie", value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn set_cookie(data: &mut SessionData, at: &str, lines: &[&str]) {
        let headers: Vec<(String, Vec<u8>)> = lines
            .iter()
            .map(|l| ("Set-Cookie".to_string(), l.as_bytes().to_vec()))
            .collect();
        data.absorb(&url(at), &headers.into());
    }

    fn header(data: &SessionData, at: &str) -> Option<String> {
        data.cookie_header(&url(at))
    }

    #[test]
    fn ip_domains_are_host_only_and_name_prefixes_are_enforced() {
        let mut d = SessionData::default();
        set_cookie(&mut d, "http://127.0.0.1/", &["ip=1; Domain=127.0.0.1"]);
        assert_eq!(header(&d, "http://127.0.0.1/").as_deref(), Some("ip=1"));
        let doc: Value = serde_json::from_str(&render(&d)).unwrap();
        assert_eq!(doc["cookies"][0]["domain"], "127.0.0.1", "{doc}");

        let mut d = SessionData::default();
        set_cookie(
            &mut d,
            "https://x.test/a/",
            &[
                "__Host-ok=1; Secure; Path=/",
                "__Host-domain=1; Secure; Path=/; Domain=x.test",
                "__Host-path=1; Secure; Path=/a/",
                "__host-insecure=1; Path=/",
                "__Secure-ok=1; Secure",
                "__SECURE-insecure=1",
            ],
        );
        assert_eq!(
            header(&d, "https://x.test/a/").as_deref(),
            Some("__Secure-ok=1; __Host-ok=1")
        );
    }

    #[test]
    fn names_and_paths() {
        let env = Env {
            home: Some("/home/u".into()),
            config_dir: Some("/cfg".into()),
            ..Env::default()
        };
        let table = [
            (
                "s1",
                "http://example.org/x",
                "/cfg/sessions/example.org_80/s1.json",
            ),
            (
                "a.b-c_d",
                "https://h:8443/",
                "/cfg/sessions/h_8443/a.b-c_d.json",
            ),
            (
                "s",
                "https://example.org/",
                "/cfg/sessions/example.org_443/s.json",
            ),
            ("s", "http://[::1]:81/", "/cfg/sessions/[__1]_81/s.json"),
            ("./s.json", "http://h/", "./s.json"),
            ("~/s/x.json", "http://h/", "/home/u/s/x.json"),
            ("/abs/x.json", "http://h/", "/abs/x.json"),
        ];
        for (value, u, want) in table {
            let got = session_path(value, &url(u), &env).unwrap();
            assert_eq!(got, PathBuf::from(want), "{value}");
        }
        for bad in ["a b", "é", "x:y", ""] {
            let e = session_path(bad, &url("http://h/"), &env).unwrap_err();
            assert!(e.to_string().contains("invalid characters"), "{bad}: {e}");
        }
    }

    #[test]
    fn cookie_scoping() {
        let mut d = SessionData::default();
        set_cookie(
            &mut d,
            "http://a.example.org/a/x",
            &[
                "host=1",
                "pa=2; Path=/a",
                "dom=3; Domain=example.org; Path=/",
                "other=4; Domain=other.org",
                "tld=5; Domain=org",
                "sec=6; Secure",
            ],
        );
        // Default path of /a/x is /a; secure refused over plain http to a public host.
        assert_eq!(
            header(&d, "http://a.example.org/a/y").as_deref(),
            Some("host=1; pa=2; dom=3")
        );
        assert_eq!(
            header(&d, "http://a.example.org/b").as_deref(),
            Some("dom=3")
        );
        assert_eq!(
            header(&d, "http://b.example.org/a").as_deref(),
            Some("dom=3")
        );
        assert_eq!(header(&d, "http://example.org/").as_deref(), Some("dom=3"));
        assert_eq!(header(&d, "http://other.org/"), None);
        assert_eq!(header(&d, "http://org/"), None);
        // Refused when set, not merely withheld: only the three accepted cookies are kept.
        assert_eq!(d.jar.iter_unexpired().count(), 3);
    }

    #[test]
    fn secure_cookies_and_loopback() {
        let mut d = SessionData::default();
        set_cookie(&mut d, "https://example.org/", &["s=1; Secure"]);
        assert_eq!(header(&d, "https://example.org/").as_deref(), Some("s=1"));
        assert_eq!(header(&d, "http://example.org/"), None);
        for host in ["localhost", "app.localhost", "127.0.0.1", "[::1]"] {
            let mut d = SessionData::default();
            let u = format!("http://{host}:8080/");
            set_cookie(&mut d, &u, &["s=1; Secure"]);
            assert_eq!(header(&d, &u).as_deref(), Some("s=1"), "{host}");
        }
    }

    #[test]
    fn expiry_deletes() {
        let mut d = SessionData::default();
        let u = "http://h.test/";
        set_cookie(&mut d, u, &["a=1", "b=2; Max-Age=3600", "c=3"]);
        assert_eq!(header(&d, u).as_deref(), Some("a=1; b=2; c=3"));
        set_cookie(
            &mut d,
            u,
            &[
                "a=; Max-Age=0",
                "c=x; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
            ],
        );
        assert_eq!(header(&d, u).as_deref(), Some("b=2"));
        let text = render(&d);
        assert!(!text.contains("\"a\"") && !text.contains("\"c\""), "{text}");
    }

    #[test]
    fn user_cookies_are_host_only_and_replace() {
        let mut d = SessionData::default();
        set_cookie(&mut d, "http://h.test/", &["sid=server; Domain=h.test"]);
        d.add_user_cookies(&url("http://h.test/x"), b"sid=mine; theme=dark");
        assert_eq!(
            header(&d, "http://h.test/").as_deref(),
            Some("sid=mine; theme=dark")
        );
        assert_eq!(header(&d, "http://sub.h.test/"), None);
        assert_eq!(header(&d, "http://other.test/"), None);
    }

    #[test]
    fn round_trip_current_layout() {
        let mut d = SessionData::default();
        set_cookie(
            &mut d,
            "http://a.example.org/",
            &["h=1", "d=2; Domain=.example.org; Path=/p; Max-Age=3600"],
        );
        d.headers = vec![("X-A".into(), "1".into()), ("X-A".into(), "2".into())];
        d.auth = Some(StoredAuth {
            kind: "basic".into(),
            raw: "u:p".into(),
        });
        let text = render(&d);
        assert!(
            text.starts_with("{\n    \"__meta__\": {\n        \"about\": \"http session file\"")
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["auth"], json!({"type": "basic", "raw_auth": "u:p"}));
        assert_eq!(v["cookies"][0]["domain"], "a.example.org");
        assert_eq!(v["cookies"][0]["expires"], Value::Null);
        assert_eq!(v["cookies"][1]["domain"], ".example.org");
        assert_eq!(v["cookies"][1]["path"], "/p");
        assert!(v["cookies"][1]["expires"].is_i64());
        // Exactly the keys HTTPie keeps (it passes them to requests' create_cookie, which
        // raises on any other), so HTTPie 3.2 reads this file too.
        for c in v["cookies"].as_array().unwrap() {
            let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            keys.sort();
            assert_eq!(
                keys,
                ["domain", "expires", "name", "path", "secure", "value"]
            );
        }
        let back = parse(text.as_bytes(), &url("http://elsewhere.test/")).unwrap();
        assert_eq!(render(&back), text);
    }

    #[test]
    fn out_of_range_expiry_means_expired() {
        let u = url("http://pie.test/");
        let file = br#"{"cookies": [
            {"name": "past", "value": "1", "domain": "pie.test", "path": "/", "secure": false, "expires": -1e300},
            {"name": "future", "value": "2", "domain": "pie.test", "path": "/", "secure": false, "expires": 1e300},
            {"name": "ok", "value": "3", "domain": "pie.test", "path": "/", "secure": false, "expires": 4102444800}
        ]}"#;
        let d = parse(file, &u).unwrap();
        assert_eq!(header(&d, "http://pie.test/").as_deref(), Some("ok=3"));
        assert!(!render(&d).contains("past"), "{}", render(&d));
    }

    #[test]
    fn reads_httpie_layouts() {
        let u = url("http://pie.test/");
        let current = br#"{
            "__meta__": {"about": "HTTPie session file", "httpie": "3.2.4"},
            "auth": {"type": "bearer", "raw_auth": "tok"},
            "cookies": [
                {"name": "a", "value": "1", "domain": "pie.test", "path": "/", "secure": false, "expires": null},
                {"name": "b", "value": "2", "domain": ".pie.test", "path": "/", "secure": false, "expires": null},
                {"name": "c", "value": "3", "domain": null, "path": "/", "secure": false, "expires": null},
                {"name": "old", "value": "4", "domain": "pie.test", "path": "/", "secure": false, "expires": 1000}
            ],
            "headers": [{"name": "X-Key", "value": "k"}, {"name": "Content-Type", "value": "x"}]
        }"#;
        let d = parse(current, &u).unwrap();
        assert_eq!(d.headers, vec![("X-Key".to_string(), "k".to_string())]);
        assert_eq!(d.auth.as_ref().unwrap().to_auth().unwrap().user, "tok");
        assert_eq!(
            header(&d, "http://pie.test/").as_deref(),
            Some("a=1; b=2; c=3")
        );
        assert_eq!(header(&d, "http://sub.pie.test/").as_deref(), Some("b=2"));

        let old = br#"{
            "auth": {"type": null, "username": "u", "password": "p"},
            "cookies": {"sid": {"value": "x", "path": "/", "secure": false, "expires": null}},
            "headers": {"X-Old": "1", "Cookie": "from=header"}
        }"#;
        let d = parse(old, &u).unwrap();
        assert_eq!(d.headers, vec![("X-Old".to_string(), "1".to_string())]);
        assert_eq!(
            d.auth,
            Some(StoredAuth {
                kind: "basic".into(),
                raw: "u:p".into()
            })
        );
        assert_eq!(
            header(&d, "http://pie.test/").as_deref(),
            Some("from=header; sid=x")
        );
        assert_eq!(header(&d, "http://other.test/"), None);
        // Python's cookiejar stores a dotless host's cookies under `host.local`: both forms
        // are read as the host, from any URL, and written as `host.local`.
        let py = br#"{"cookies": [
            {"name": "l", "value": "1", "domain": "localhost.local", "path": "/", "secure": false, "expires": null},
            {"name": "b", "value": "2", "domain": "localhost", "path": "/", "secure": false, "expires": null},
            {"name": "v6", "value": "3", "domain": "[::1].local", "path": "/", "secure": false, "expires": null}
        ]}"#;
        for at in ["http://localhost:8000/", "http://127.0.0.1/"] {
            let d = parse(py, &url(at)).unwrap();
            let sent = header(&d, "http://localhost:8000/");
            assert_eq!(sent.as_deref(), Some("b=2; l=1"), "{at}");
            assert_eq!(header(&d, "http://[::1]/").as_deref(), Some("v6=3"), "{at}");
            assert_eq!(header(&d, "http://localhost.local/"), None, "{at}");
            let doc: Value = serde_json::from_str(&render(&d)).unwrap();
            let domains: Vec<&str> = doc["cookies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["domain"].as_str().unwrap())
                .collect();
            assert_eq!(
                domains,
                ["[::1].local", "localhost.local", "localhost.local"],
                "{at}"
            );
        }
        // A request that really goes to `localhost.local` keeps its cookies there.
        let d = parse(py, &url("http://localhost.local/")).unwrap();
        assert_eq!(
            header(&d, "http://localhost.local/").as_deref(),
            Some("l=1")
        );
        assert_eq!(header(&d, "http://localhost/").as_deref(), Some("b=2"));
        assert!(render(&d).contains("\"domain\": \"localhost.local\","));
        // A dotless host's cookie set by a response is written in HTTPie's form.
        let mut d = SessionData::default();
        set_cookie(&mut d, "http://localhost:8000/", &["s=1"]);
        set_cookie(&mut d, "http://[::1]:8000/", &["s6=1"]);
        let text = render(&d);
        assert!(text.contains("\"domain\": \"localhost.local\","), "{text}");
        assert!(text.contains("\"domain\": \"[::1].local\","), "{text}");
        let none = parse(
            br#"{"auth": {"type": null, "username": null, "password": null}}"#,
            &u,
        );
        assert_eq!(none.unwrap().auth, None);
    }

    #[test]
    fn bad_files_are_errors() {
        let u = url("http://h/");
        assert!(matches!(parse(b"{nope", &u), Err(ParseError::NotJson(_))));
        for bad in [
            &b"[]"[..],
            br#"{"cookies": 3}"#,
            br#"{"headers": [{"value": "x"}]}"#,
        ] {
            assert!(matches!(parse(bad, &u), Err(ParseError::Invalid(_))));
        }
        assert!(parse(b"  \n", &u).unwrap().headers.is_empty());
        for bad in [
            &br#"{"headers": [{"name": "X-A", "value": "1\r\nX-B: 2"}]}"#[..],
            br#"{"headers": {"Bad Name": "v"}}"#,
        ] {
            match parse(bad, &u) {
                Err(ParseError::Invalid(why)) => assert!(why.contains("header '"), "{why}"),
                _ => panic!("accepted {}", String::from_utf8_lossy(bad)),
            }
        }
    }

    #[test]
    fn auth_round_trip() {
        let table = [
            (AuthType::Basic, "u", Some("p:q"), "basic", "u:p:q"),
            (AuthType::Digest, "u", Some(""), "digest", "u:"),
            (AuthType::Bearer, "tok", None, "bearer", "tok"),
        ];
        for (kind, user, password, k, raw) in table {
            let a = Auth {
                kind,
                user: user.into(),
                password: password.map(str::to_string),
            };
            let s = StoredAuth::from_auth(&a);
            assert_eq!((s.kind.as_str(), s.raw.as_str()), (k, raw));
            assert_eq!(s.to_auth(), Some(a));
        }
        let plugin = StoredAuth {
            kind: "jwt".into(),
            raw: "x".into(),
        };
        assert_eq!(plugin.to_auth(), None);
    }
}
