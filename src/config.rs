//! The config file (`config.json` in the config directory), and nothing else: load it, parse
//! its JSON into plain settings (HTTPie-compatible `default_options`; per-URL-prefix settings
//! like requests' `session.mount(prefix, ...)`) and find the longest prefix that a URL falls
//! under. It imports neither `cli` nor `spec`: values stay as written (a timeout as text, a
//! proxy URL), and `spec::prefix` gives them meaning and checks them like flags. A malformed
//! file is a warning, never a failure.

use std::path::PathBuf;

use serde_json::Value;

use crate::env::Env;

/// Credentials for a prefix: where to find them (an environment variable), or the value the
/// user chose to write in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixAuth {
    /// `basic`, `digest` or `bearer`.
    pub kind: String,
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
    /// `SECONDS` or `CONNECT,READ`, as `--timeout` takes it.
    pub timeout: Option<String>,
    pub retries: Option<u32>,
    pub retry_status: Option<Vec<u16>>,
    /// `yes`, `no` or a CA bundle path, as `--verify` takes it.
    pub verify: Option<String>,
    /// A proxy URL for every scheme.
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

/// Where the config file is looked for, if there is a config directory.
pub fn path(env: &Env) -> Option<std::path::PathBuf> {
    env.config_dir.as_ref().map(|d| d.join("config.json"))
}

/// Read the config file, if there is one. Problems come back as warnings and the file (or
/// the broken part of it) is ignored.
pub fn load(env: &Env) -> (Option<Config>, Vec<String>) {
    let Some(path) = path(env) else {
        return (None, Vec::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (None, Vec::new()),
        Err(e) => {
            return (
                None,
                vec![format!(
                    "cannot read config file '{}': {}",
                    path.display(),
                    crate::error::plain_io(&e)
                )],
            )
        }
    };
    let mut warnings = Vec::new();
    let config = parse(&text, path.clone(), &mut warnings);
    let warnings = warnings.iter().map(|w| file_warning(&path, w)).collect();
    (config, warnings)
}

/// A problem with part of the file at `path`, as a warning line.
pub fn file_warning(path: &std::path::Path, problem: &str) -> String {
    format!(
        "config file '{}': {problem}; using built-in defaults for it",
        path.display()
    )
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
                p.timeout = Some(match value {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => return Err("\"timeout\" must be a number or \"CONNECT,READ\"".into()),
                });
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
                    Value::Bool(true) => "yes".into(),
                    Value::Bool(false) => "no".into(),
                    Value::String(s) => s.clone(),
                    _ => return Err("\"verify\" must be true, false or a CA bundle path".into()),
                })
            }
            "proxy" => {
                let url = value.as_str().ok_or("\"proxy\" must be a proxy URL")?;
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
            let value = v.as_str().ok_or_else(bad)?;
            match crate::message::header_problem(k, value.as_bytes()) {
                Some(problem) => Err(format!("header '{}' has {problem}", k.escape_debug())),
                None => Ok((k.clone(), value.to_string())),
            }
        })
        .collect()
}

fn auth(v: &Value) -> Result<PrefixAuth, String> {
    let Value::Object(m) = v else {
        return Err("\"auth\" must be an object".into());
    };
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
    let kind = s("type").unwrap_or_else(|| "basic".into());
    if !matches!(kind.as_str(), "basic" | "digest" | "bearer") {
        return Err(format!("unknown auth type \"{kind}\""));
    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const FILE: &str = r#"{
        "default_options": ["--style=mono"],
        "prefixes": {
            "https://api.example.org/": {"timeout": 7, "retries": 2, "headers": {"X-A": "1"}},
            "https://api.example.org/v2/": {"timeout": "2,5", "follow": true,
                "auth": {"type": "bearer", "token_env": "TEST_TOKEN_UNSET_12345"},
                "proxy": "http://user:secret@proxy:3128", "verify": false, "retry_status": [503]}
        }
    }"#;

    pub(crate) fn cfg() -> Config {
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
                r#"{"prefixes": {"https://a/": {"timeout": []}}}"#,
                "prefix \"https://a/\"",
            ),
            (
                r#"{"prefixes": {"https://a/": {"colour": 1}}}"#,
                "unknown setting \"colour\"",
            ),
            (
                r#"{"prefixes": {"https://a/": {"headers": {"X-A": "1\r\nX-B: 2"}}}}"#,
                "header 'X-A' has control characters in its value",
            ),
        ] {
            let mut w = Vec::new();
            parse(text, "/c".into(), &mut w);
            assert!(w.iter().any(|m| m.contains(want)), "{text}: {w:?}");
        }
    }
}
