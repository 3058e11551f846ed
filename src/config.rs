//! The config file (`config.json` in the config directory): HTTPie-compatible
//! `default_options`, and per-URL-prefix settings like requests' `session.mount(prefix, ...)`:
//! the longest matching prefix wins, command-line flags win over it. A malformed file is a
//! warning, never a failure.

use std::path::PathBuf;

use serde_json::Value;

use crate::cli::values::{parse_timeout, parse_verify, Timeout, Verify};
use crate::cli::{AuthType, Cli};
use crate::client::proxy::{parse_flag, ProxyFlag};
use crate::env::Env;
use crate::spec::Auth;

/// Credentials for a prefix: where to find them (an environment variable), or the value the
/// user chose to write in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixAuth {
    pub kind: AuthType,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_env: Option<String>,
    pub token_env: Option<String>,
}

/// Settings mounted on one URL prefix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrefixSettings {
    pub prefix: String,
    pub headers: Vec<(String, String)>,
    pub auth: Option<PrefixAuth>,
    pub timeout: Option<Timeout>,
    pub retries: Option<u32>,
    pub retry_status: Option<Vec<u16>>,
    pub verify: Option<Verify>,
    pub proxy: Option<String>,
    pub follow: Option<bool>,
}

/// The parsed config file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub path: PathBuf,
    pub default_options: Vec<String>,
    pub prefixes: Vec<PrefixSettings>,
}

/// Read the config file, if there is one. Problems come back as warnings and the file (or
/// the broken part of it) is ignored.
pub fn load(env: &Env) -> (Option<Config>, Vec<String>) {
    let Some(path) = env.config_dir.as_ref().map(|d| d.join("config.json")) else {
        return (None, Vec::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (None, Vec::new()),
        Err(e) => {
            return (
                None,
                vec![format!("cannot read config file '{}': {e}", path.display())],
            )
        }
    };
    let mut warnings = Vec::new();
    let config = parse(&text, path.clone(), &mut warnings);
    let warnings = warnings
        .into_iter()
        .map(|w| {
            format!(
                "config file '{}': {w}; using built-in defaults for it",
                path.display()
            )
        })
        .collect();
    (config, warnings)
}

/// Parse the file's text (pure).
pub fn parse(text: &str, path: PathBuf, warnings: &mut Vec<String>) -> Option<Config> {
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(format!("invalid JSON: {e}"));
            return None;
        }
    };
    let Value::Object(root) = root else {
        warnings.push("the top level must be a JSON object".into());
        return None;
    };
    let mut config = Config {
        path,
        ..Config::default()
    };
    match root.get("default_options") {
        None => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            config.default_options = items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
        }
        Some(_) => warnings.push("\"default_options\" must be a list of strings".into()),
    }
    match root.get("prefixes") {
        None => {}
        Some(Value::Object(map)) => {
            for (prefix, settings) in map {
                match prefix_settings(prefix, settings) {
                    Ok(p) => config.prefixes.push(p),
                    Err(e) => warnings.push(format!("prefix \"{prefix}\": {e}")),
                }
            }
        }
        Some(_) => warnings.push("\"prefixes\" must be an object of URL prefix -> settings".into()),
    }
    Some(config)
}

fn prefix_settings(prefix: &str, v: &Value) -> Result<PrefixSettings, String> {
    let Value::Object(m) = v else {
        return Err("settings must be an object".into());
    };
    let mut p = PrefixSettings {
        prefix: prefix.to_string(),
        ..PrefixSettings::default()
    };
    for (key, value) in m {
        match key.as_str() {
            "headers" => p.headers = headers(value)?,
            "auth" => p.auth = Some(auth(value)?),
            "timeout" => {
                let text = match value {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => return Err("\"timeout\" must be a number or \"CONNECT,READ\"".into()),
                };
                p.timeout = Some(parse_timeout(&text)?);
            }
            "retries" => {
                p.retries = Some(
                    value
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or("\"retries\" must be a whole number")?,
                )
            }
            "retry_status" => {
                let codes = value
                    .as_array()
                    .and_then(|a| {
                        a.iter()
                            .map(|c| c.as_u64().and_then(|n| u16::try_from(n).ok()))
                            .collect::<Option<Vec<u16>>>()
                    })
                    .ok_or("\"retry_status\" must be a list of status codes")?;
                p.retry_status = Some(codes);
            }
            "verify" => {
                p.verify = Some(match value {
                    Value::Bool(true) => Verify::Yes,
                    Value::Bool(false) => Verify::No,
                    Value::String(s) => parse_verify(s)?,
                    _ => return Err("\"verify\" must be true, false or a CA bundle path".into()),
                })
            }
            "proxy" => {
                let url = value.as_str().ok_or("\"proxy\" must be a proxy URL")?;
                parse_flag(&format!("all:{url}"))?;
                p.proxy = Some(url.to_string());
            }
            "follow" => p.follow = Some(value.as_bool().ok_or("\"follow\" must be true or false")?),
            other => return Err(format!("unknown setting \"{other}\"")),
        }
    }
    Ok(p)
}

fn headers(v: &Value) -> Result<Vec<(String, String)>, String> {
    let bad = || "\"headers\" must be an object of name -> value".to_string();
    let Value::Object(m) = v else {
        return Err(bad());
    };
    m.iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|s| (k.clone(), s.to_string()))
                .ok_or_else(bad)
        })
        .collect()
}

fn auth(v: &Value) -> Result<PrefixAuth, String> {
    let Value::Object(m) = v else {
        return Err("\"auth\" must be an object".into());
    };
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
    let kind = match s("type").as_deref().unwrap_or("basic") {
        "basic" => AuthType::Basic,
        "digest" => AuthType::Digest,
        "bearer" => AuthType::Bearer,
        other => return Err(format!("unknown auth type \"{other}\"")),
    };
    Ok(PrefixAuth {
        kind,
        username: s("username"),
        password: s("password"),
        password_env: s("password_env"),
        token_env: s("token_env"),
    })
}

impl Config {
    /// The settings of the longest prefix that `url` falls under. Prefixes are compared in
    /// normalised form (lower-case host, default port dropped) and only at a boundary, so
    /// `https://api.example.org` never matches `https://api.example.org.evil.net/` and
    /// `http://host:80` never matches `http://host:8080/` (a plain string prefix, as requests
    /// uses, would leak credentials there).
    pub fn for_url(&self, url: &str) -> Option<&PrefixSettings> {
        self.prefixes
            .iter()
            .filter(|p| prefix_matches(&p.prefix, url))
            .max_by_key(|p| normalise_prefix(&p.prefix).len())
    }
}

fn normalise_prefix(prefix: &str) -> String {
    url::Url::parse(prefix).map_or_else(|_| prefix.to_string(), |u| u.to_string())
}

fn prefix_matches(prefix: &str, url: &str) -> bool {
    let prefix = normalise_prefix(prefix);
    let Some(rest) = url.strip_prefix(prefix.as_str()) else {
        return false;
    };
    prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#'])
}

/// Where an effective setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    CommandLine,
    Prefix(String),
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::CommandLine => f.write_str("command line"),
            Source::Prefix(p) => write!(f, "config prefix {p}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The network settings that apply to one request, each with its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub timeout: (Timeout, Source),
    pub retries: (u32, Source),
    pub retry_status: (Vec<u16>, Source),
    pub verify: (Option<Verify>, Source),
    pub proxies: (Vec<ProxyFlag>, Source),
    pub follow: (bool, Source),
    /// Prefix headers, applied before the command line's.
    pub headers: Vec<(String, String)>,
    /// Prefix credentials, resolved from their environment variables.
    pub auth: Option<Auth>,
    /// `--auth` or URL credentials were given, so prefix credentials do not apply.
    pub auth_from_command_line: bool,
}

/// A prefix setting with the prefix it came from.
fn from_prefix<T>(
    prefix: Option<&PrefixSettings>,
    f: impl Fn(&PrefixSettings) -> Option<T>,
) -> Option<(T, &str)> {
    prefix.and_then(|s| f(s).map(|v| (v, s.prefix.as_str())))
}

fn pick<T>(cli: Option<T>, prefix: Option<(T, &str)>, default: T) -> (T, Source) {
    match (cli, prefix) {
        (Some(v), _) => (v, Source::CommandLine),
        (None, Some((v, p))) => (v, Source::Prefix(p.to_string())),
        (None, None) => (default, Source::Default),
    }
}

/// Combine the command line with the prefix settings for `url`. Proxy flags must already be
/// valid (they are checked when the spec is built).
pub fn effective(
    cli: &Cli,
    prefix: Option<&PrefixSettings>,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Effective {
    let proxies_cli: Vec<ProxyFlag> = cli
        .proxy
        .iter()
        .filter_map(|f| parse_flag(f).ok())
        .collect();
    // `--no-follow` can turn off a prefix's `"follow": true`.
    let follow_flag = if cli.follow || cli.download {
        Some(true)
    } else if cli.no_follow {
        Some(false)
    } else {
        None
    };
    let given = cli_header_names(cli);
    let auth_given = cli.auth.is_some() || url_has_credentials(cli);
    Effective {
        timeout: pick(
            cli.timeout,
            from_prefix(prefix, |s| s.timeout),
            Timeout::default(),
        ),
        retries: pick(cli.retries, from_prefix(prefix, |s| s.retries), 0),
        retry_status: pick(
            (!cli.retry_status.is_empty()).then(|| cli.retry_status.clone()),
            from_prefix(prefix, |s| s.retry_status.clone()),
            Vec::new(),
        ),
        verify: {
            let (v, src) = pick(
                cli.verify.clone().map(Some),
                from_prefix(prefix, |s| s.verify.clone().map(Some)),
                None,
            );
            (v, src)
        },
        proxies: pick(
            (!proxies_cli.is_empty()).then_some(proxies_cli),
            from_prefix(prefix, |s| {
                s.proxy.clone().map(|url| {
                    vec![ProxyFlag {
                        scheme: "all".into(),
                        url,
                    }]
                })
            }),
            Vec::new(),
        ),
        follow: pick(follow_flag, from_prefix(prefix, |s| s.follow), false),
        headers: prefix
            .map(|s| {
                s.headers
                    .iter()
                    .filter(|(n, _)| !given.iter().any(|g| g.eq_ignore_ascii_case(n)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        auth: prefix
            .and_then(|s| s.auth.as_ref())
            .filter(|_| !auth_given)
            .and_then(|a| prefix_auth(a, env, warnings)),
        auth_from_command_line: auth_given,
    }
}

/// Header names given as request items (set, emptied or removed) on the command line.
fn cli_header_names(cli: &Cli) -> Vec<String> {
    use crate::cli::items::{parse_item, ItemKind};
    let (_, _, items) = crate::spec::split_positionals(&cli.args);
    items
        .iter()
        .filter_map(|i| parse_item(i).ok())
        .filter(|i| {
            matches!(
                i.kind,
                ItemKind::Header | ItemKind::EmptyHeader | ItemKind::HeaderFile
            )
        })
        .map(|i| i.key)
        .collect()
}

/// `user:pass@` in the URL (credentials there win over the config).
fn url_has_credentials(cli: &Cli) -> bool {
    let (_, raw_url, _) = crate::spec::split_positionals(&cli.args);
    crate::cli::url::parse(raw_url, "http", false).is_ok_and(|p| p.credentials.is_some())
}

fn prefix_auth(a: &PrefixAuth, env: &Env, warnings: &mut Vec<String>) -> Option<Auth> {
    let mut from_env = |name: &Option<String>| -> Option<String> {
        let name = name.as_ref()?;
        let v = env.var(name);
        if v.is_none() {
            warnings.push(format!(
                "config auth: environment variable {name} is not set; sending no credentials"
            ));
        }
        v
    };
    match a.kind {
        AuthType::Bearer => Some(Auth {
            kind: a.kind,
            user: from_env(&a.token_env).or_else(|| a.password.clone())?,
            password: None,
        }),
        _ => {
            let password = match &a.password_env {
                Some(_) => from_env(&a.password_env)?,
                None => a.password.clone().unwrap_or_default(),
            };
            Some(Auth {
                kind: a.kind,
                user: a.username.clone().unwrap_or_default(),
                password: Some(password),
            })
        }
    }
}

/// `--config-show`: what applies to `url` and where it comes from.
pub fn show(url: &str, config: Option<&Config>, eff: &Effective) -> String {
    let mut out = String::new();
    match config {
        Some(c) => out.push_str(&format!("config file: {}\n", c.path.display())),
        None => out.push_str("config file: none\n"),
    }
    match config.and_then(|c| c.for_url(url)) {
        Some(p) => out.push_str(&format!("matching prefix: {} (longest match)\n", p.prefix)),
        None => out.push_str("matching prefix: none\n"),
    }
    if let Some(c) = config.filter(|c| !c.default_options.is_empty()) {
        out.push_str(&format!(
            "default options: {}\n",
            c.default_options.join(" ")
        ));
    }
    let secs = |v: Option<f64>| v.map_or("none".to_string(), crate::error::seconds);
    let (t, src) = &eff.timeout;
    out.push_str(&format!(
        "timeout: connect {}, read {} ({src})\n",
        secs(t.connect),
        secs(t.read)
    ));
    out.push_str(&format!("retries: {} ({})\n", eff.retries.0, eff.retries.1));
    let codes: Vec<String> = eff.retry_status.0.iter().map(u16::to_string).collect();
    out.push_str(&format!(
        "retry statuses: {} ({})\n",
        if codes.is_empty() {
            "none".into()
        } else {
            codes.join(",")
        },
        eff.retry_status.1
    ));
    let verify = match &eff.verify.0 {
        None | Some(Verify::Yes) => "yes".to_string(),
        Some(Verify::No) => "no".to_string(),
        Some(Verify::CaBundle(p)) => p.display().to_string(),
    };
    out.push_str(&format!("verify: {verify} ({})\n", eff.verify.1));
    let proxies: Vec<String> = eff
        .proxies
        .0
        .iter()
        .map(|f| format!("{}:{}", f.scheme, redact(&f.url)))
        .collect();
    out.push_str(&format!(
        "proxy: {} ({})\n",
        if proxies.is_empty() {
            "none (environment may apply)".into()
        } else {
            proxies.join(" ")
        },
        eff.proxies.1
    ));
    out.push_str(&format!("follow: {} ({})\n", eff.follow.0, eff.follow.1));
    for (name, value) in &eff.headers {
        out.push_str(&format!("header: {name}: {value} (config prefix)\n"));
    }
    if eff.auth_from_command_line {
        out.push_str("auth: from the command line (credentials not shown)\n");
    }
    if let Some(a) = &eff.auth {
        let kind = format!("{:?}", a.kind).to_ascii_lowercase();
        out.push_str(&format!(
            "auth: {kind} (config prefix; credentials not shown)\n"
        ));
    }
    out
}

/// `--config-show` for the command line's URL.
pub fn show_for(cli: &Cli, env: &Env, config: Option<&Config>) -> anyhow::Result<String> {
    let (_, raw_url, _) = crate::spec::split_positionals(&cli.args);
    let scheme = cli.default_scheme.clone().unwrap_or_else(|| {
        if env.program == "https" {
            "https"
        } else {
            "http"
        }
        .to_string()
    });
    let parsed = crate::cli::url::parse(raw_url, &scheme, false).map_err(crate::error::usage)?;
    let url = parsed.url.as_str();
    let mut warnings = Vec::new();
    let eff = effective(cli, config.and_then(|c| c.for_url(url)), env, &mut warnings);
    let mut out = format!("url: {url}\n");
    out.push_str(&show(url, config, &eff));
    for w in warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    Ok(out)
}

/// A proxy URL without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const FILE: &str = r#"{
        "default_options": ["--style=mono"],
        "prefixes": {
            "https://api.example.org/": {"timeout": 7, "retries": 2, "headers": {"X-A": "1"}},
            "https://api.example.org/v2/": {"timeout": "2,5", "follow": true,
                "auth": {"type": "bearer", "token_env": "TEST_TOKEN_UNSET_12345"},
                "proxy": "http://user:secret@proxy:3128", "verify": false, "retry_status": [503]}
        }
    }"#;

    fn cfg() -> Config {
        let mut w = Vec::new();
        let c = parse(FILE, "/c/config.json".into(), &mut w).unwrap();
        assert!(w.is_empty(), "{w:?}");
        c
    }

    #[test]
    fn longest_prefix_wins() {
        let c = cfg();
        assert_eq!(c.default_options, ["--style=mono"]);
        assert_eq!(
            c.for_url("https://api.example.org/v2/items")
                .unwrap()
                .prefix,
            "https://api.example.org/v2/"
        );
        assert_eq!(
            c.for_url("https://api.example.org/v1").unwrap().prefix,
            "https://api.example.org/"
        );
        assert!(c.for_url("https://other.org/").is_none());
    }

    #[test]
    fn flags_win_and_sources_are_named() {
        let c = cfg();
        let cli = Cli::try_parse_from(["http", "--timeout", "1", "https://api.example.org/v2/x"])
            .unwrap();
        let mut w = Vec::new();
        let e = effective(
            &cli,
            c.for_url("https://api.example.org/v2/x"),
            &Env::default(),
            &mut w,
        );
        assert_eq!(e.timeout.1, Source::CommandLine);
        assert_eq!(
            e.follow,
            (true, Source::Prefix("https://api.example.org/v2/".into()))
        );
        assert_eq!(e.verify.0, Some(Verify::No));
        assert_eq!(
            e.retries,
            (0, Source::Default),
            "retries live on the shorter prefix only"
        );
        assert!(e.auth.is_none());
        assert!(w[0].contains("TEST_TOKEN_UNSET_12345 is not set"), "{w:?}");
        let shown = show("https://api.example.org/v2/x", Some(&c), &e);
        assert!(
            shown.contains("timeout: connect 1s, read 1s (command line)"),
            "{shown}"
        );
        assert!(shown.contains("proxy: all:http://user:****@proxy:3128/ (config prefix https://api.example.org/v2/)"), "{shown}");
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn prefixes_match_only_at_boundaries() {
        for (prefix, url, want) in [
            ("https://api.example.org", "https://api.example.org/x", true),
            (
                "https://api.example.org",
                "https://api.example.org.evil.net/",
                false,
            ),
            ("http://127.0.0.1:4364", "http://127.0.0.1:43647/", false),
            ("http://127.0.0.1:4364", "http://127.0.0.1:4364/a", true),
            ("http://h/api", "http://h/api?q=1", true),
            ("http://h/api", "http://h/apix", false),
            ("http://h/api/", "http://h/api/x", true),
            ("HTTP://H:80/api", "http://h/api/x", true),
        ] {
            assert_eq!(prefix_matches(prefix, url), want, "{prefix} vs {url}");
        }
    }

    #[test]
    fn malformed_files_are_warnings() {
        for (text, want) in [
            ("{", "invalid JSON"),
            ("[]", "top level"),
            (r#"{"default_options": "x"}"#, "list of strings"),
            (
                r#"{"prefixes": {"https://a/": {"timeout": "x"}}}"#,
                "prefix \"https://a/\"",
            ),
            (
                r#"{"prefixes": {"https://a/": {"colour": 1}}}"#,
                "unknown setting \"colour\"",
            ),
        ] {
            let mut w = Vec::new();
            parse(text, "/c".into(), &mut w);
            assert!(w.iter().any(|m| m.contains(want)), "{text}: {w:?}");
        }
    }
}
