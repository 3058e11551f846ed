//! Settings mounted on URL prefixes in the config file, given meaning here: their values are
//! checked like the flags they stand for, the command line wins over them, and each effective
//! setting knows where it came from (for `--config-show`).

use anyhow::Result;

use url::Url;

use super::target::Target;
use super::Auth;
use crate::cli::values::{parse_proxy, parse_timeout, parse_verify, ProxyFlag, Timeout, Verify};
use crate::cli::Cli;
use crate::config::{Config, PrefixSettings};
use crate::env::Env;
use crate::error::usage;
use crate::message::Headers;

/// A prefix's settings with their values typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Mounted<'c> {
    pub settings: &'c PrefixSettings,
    pub timeout: Option<Timeout>,
    pub verify: Option<Verify>,
    pub proxy: Option<ProxyFlag>,
}

/// Type a prefix's values; the error names the first bad one.
fn mount(p: &PrefixSettings) -> Result<Mounted<'_>, String> {
    Ok(Mounted {
        settings: p,
        timeout: p.timeout.as_deref().map(parse_timeout).transpose()?,
        verify: p.verify.as_deref().map(parse_verify).transpose()?,
        proxy: p
            .proxy
            .as_ref()
            .map(|url| parse_proxy(&format!("all:{url}")))
            .transpose()?,
    })
}

/// Drop the prefixes whose values are not valid, each with a warning (as for a malformed file).
pub fn check(config: Option<Config>, warnings: &mut Vec<String>) -> Option<Config> {
    let mut config = config?;
    let path = config.path.clone();
    config.prefixes.retain(|p| match mount(p) {
        Ok(_) => true,
        Err(e) => {
            let problem = format!("prefix \"{}\": {e}", p.prefix);
            warnings.push(crate::config::file_warning(&path, &problem));
            false
        }
    });
    Some(config)
}

/// The settings mounted on the longest prefix of `url`, if any.
pub fn for_url<'c>(config: Option<&'c Config>, url: &str) -> Option<Mounted<'c>> {
    config
        .and_then(|c| c.for_url(url))
        .and_then(|p| mount(p).ok())
}

/// The prefix settings decided for each hop by its own URL: headers, prefix credentials and
/// TLS verification. A redirect that leaves the first URL's prefix loses them; one that enters
/// another prefix gets that prefix's. (Timeouts, retries, proxies and `follow` are settings
/// of the whole run: the first URL's prefix decides them.)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// The config file, its broken prefixes already dropped.
    config: Option<Config>,
    /// The prefix the first URL matched.
    first: Option<String>,
    /// Header names the command line sets; no prefix replaces them.
    given: Vec<String>,
    /// `--verify`, which holds for every hop.
    verify_flag: Option<Verify>,
    /// The credentials came from the first URL's prefix.
    auth_from_prefix: bool,
}

impl Scope {
    pub fn new(
        config: Option<&Config>,
        first: &Url,
        given: &[&str],
        verify_flag: Option<Verify>,
        auth_from_prefix: bool,
    ) -> Scope {
        let first = for_url(config, first.as_str()).map(|m| m.settings.prefix.clone());
        Scope {
            config: config.filter(|c| !c.prefixes.is_empty()).cloned(),
            first,
            given: given.iter().map(|g| g.to_ascii_lowercase()).collect(),
            verify_flag,
            auth_from_prefix,
        }
    }

    fn mounted(&self, url: &Url) -> Option<Mounted<'_>> {
        for_url(self.config.as_ref(), url.as_str())
    }

    /// The TLS verification for a hop to `url`.
    pub fn verify(&self, url: &Url) -> Option<Verify> {
        self.verify_flag
            .clone()
            .or_else(|| self.mounted(url).and_then(|m| m.verify))
    }

    /// The prefix `url` falls under, if any.
    fn prefix_of(&self, url: &Url) -> Option<String> {
        self.mounted(url).map(|m| m.settings.prefix.clone())
    }

    /// A hop from `prev` to `url` that changes prefix trades the old prefix's headers for
    /// the new one's (none outside any prefix). Credentials from the first URL's prefix go
    /// with it, and come back (`first_auth`) if the chain returns there.
    pub fn adjust(&self, headers: &mut Headers, prev: &Url, url: &Url, first_auth: Option<&[u8]>) {
        let Some(config) = &self.config else {
            return;
        };
        let here = self.prefix_of(url);
        if here == self.prefix_of(prev) {
            return;
        }
        let given = |n: &str| self.given.iter().any(|g| g.eq_ignore_ascii_case(n));
        for p in &config.prefixes {
            for (name, _) in p.headers.iter().filter(|(n, _)| !given(n)) {
                headers.remove(name);
            }
        }
        if self.auth_from_prefix {
            match first_auth.filter(|_| here.is_some() && here == self.first) {
                Some(a) => headers.set("Authorization", a),
                None => headers.remove("authorization"),
            }
        }
        let mounted = self.mounted(url);
        for (name, value) in mounted.iter().flat_map(|m| &m.settings.headers) {
            if !given(name) {
                headers.push(name.clone(), value.clone());
            }
        }
    }
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
    /// Prefix headers the command line does not set, applied before the command line's.
    pub headers: Vec<(String, String)>,
}

/// A mounted setting with the prefix it came from.
fn from_prefix<'m, T>(
    mounted: Option<&'m Mounted>,
    f: impl Fn(&Mounted) -> Option<T>,
) -> Option<(T, &'m str)> {
    mounted.and_then(|m| Some((f(m)?, m.settings.prefix.as_str())))
}

fn pick<T>(cli: Option<T>, prefix: Option<(T, &str)>, default: T) -> (T, Source) {
    match (cli, prefix) {
        (Some(v), _) => (v, Source::CommandLine),
        (None, Some((v, p))) => (v, Source::Prefix(p.to_string())),
        (None, None) => (default, Source::Default),
    }
}

/// Combine the command line with the settings mounted for its URL. `given_headers` are the
/// header names the command line sets (or removes).
pub fn effective(
    cli: &Cli,
    given_headers: &[&str],
    mounted: Option<&Mounted>,
) -> Result<Effective> {
    let proxies_cli: Vec<ProxyFlag> = cli
        .proxy
        .iter()
        .map(|f| parse_proxy(f).map_err(usage))
        .collect::<Result<_>>()?;
    Ok(Effective {
        timeout: pick(
            cli.timeout,
            from_prefix(mounted, |m| m.timeout),
            Timeout::default(),
        ),
        retries: pick(cli.retries, from_prefix(mounted, |m| m.settings.retries), 0),
        retry_status: pick(
            (!cli.retry_status.is_empty()).then(|| cli.retry_status.clone()),
            from_prefix(mounted, |m| m.settings.retry_status.clone()),
            Vec::new(),
        ),
        verify: pick(
            cli.verify.clone().map(Some),
            from_prefix(mounted, |m| m.verify.clone().map(Some)),
            None,
        ),
        proxies: pick(
            (!proxies_cli.is_empty()).then_some(proxies_cli),
            from_prefix(mounted, |m| m.proxy.clone().map(|p| vec![p])),
            Vec::new(),
        ),
        follow: pick(
            follow_flag(cli),
            from_prefix(mounted, |m| m.settings.follow),
            false,
        ),
        headers: mounted.map_or_else(Vec::new, |m| unset_headers(m.settings, given_headers)),
    })
}

/// `--download` implies `--follow`; `--no-follow` can turn off a prefix's `"follow": true`.
fn follow_flag(cli: &Cli) -> Option<bool> {
    if cli.follow || cli.download {
        Some(true)
    } else {
        cli.no_follow.then_some(false)
    }
}

/// The prefix's headers that the command line does not set.
fn unset_headers(s: &PrefixSettings, given: &[&str]) -> Vec<(String, String)> {
    s.headers
        .iter()
        .filter(|(n, _)| !given.iter().any(|g| g.eq_ignore_ascii_case(n)))
        .cloned()
        .collect()
}

/// `--config-show`: what applies to the command line's URL and where it comes from.
pub fn show_config(cli: &Cli, env: &Env, config: Option<&Config>) -> Result<String> {
    let target = Target::parse(cli, env)?;
    let url = target.url.as_str();
    let mounted = for_url(config, url);
    let eff = effective(cli, &target.header_names(), mounted.as_ref())?;
    let auth_given = cli.auth.is_some() || target.credentials.is_some();
    let mut warnings = Vec::new();
    let prefix_auth = mounted
        .as_ref()
        .and_then(|m| m.settings.auth.as_ref())
        .filter(|_| !auth_given)
        .and_then(|a| super::auth::prefix_auth(a, env, &mut warnings));
    let mut out = format!("url: {url}\n");
    out.push_str(&show(url, config, &eff, env));
    if auth_given {
        out.push_str("auth: from the command line (credentials not shown)\n");
    }
    if let Some(a) = prefix_auth {
        out.push_str(&shown_auth(&a));
    }
    for w in warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    Ok(out)
}

fn shown_auth(a: &Auth) -> String {
    let kind = format!("{:?}", a.kind).to_ascii_lowercase();
    format!("auth: {kind} (config prefix; credentials not shown)\n")
}

/// The file, the prefix and the network settings for `url`.
fn show(url: &str, config: Option<&Config>, eff: &Effective, env: &Env) -> String {
    let mut out = String::new();
    match (config, crate::config::path(env)) {
        (Some(c), _) => out.push_str(&format!("config file: {}\n", c.path.display())),
        (None, Some(looked)) => out.push_str(&format!(
            "config file: none (looked for {})\n",
            looked.display()
        )),
        (None, None) => out.push_str("config file: none (no config directory)\n"),
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
    out.push_str(&show_net(eff));
    for (name, value) in &eff.headers {
        out.push_str(&format!("header: {name}: {value} (config prefix)\n"));
    }
    out
}

fn show_net(eff: &Effective) -> String {
    let secs = |v: Option<f64>| v.map_or("none".to_string(), crate::error::seconds);
    let (t, src) = &eff.timeout;
    let codes: Vec<String> = eff.retry_status.0.iter().map(u16::to_string).collect();
    let codes = if codes.is_empty() {
        "none".into()
    } else {
        codes.join(",")
    };
    let verify = match &eff.verify.0 {
        None | Some(Verify::Yes) => "yes".to_string(),
        Some(Verify::No) => "no".to_string(),
        Some(Verify::CaBundle(p)) => p.display().to_string(),
    };
    let proxies: Vec<String> = eff
        .proxies
        .0
        .iter()
        .map(|f| format!("{}:{}", f.scheme, redact(&f.url)))
        .collect();
    let proxies = if proxies.is_empty() {
        "none (environment may apply)".into()
    } else {
        proxies.join(" ")
    };
    format!(
        "timeout: connect {}, read {} ({src})\nretries: {} ({})\nretry statuses: {codes} ({})\n\
         verify: {verify} ({})\nproxy: {proxies} ({})\nfollow: {} ({})\n",
        secs(t.connect),
        secs(t.read),
        eff.retries.0,
        eff.retries.1,
        eff.retry_status.1,
        eff.verify.1,
        eff.proxies.1,
        eff.follow.0,
        eff.follow.1
    )
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
    use crate::config::tests::cfg;
    use clap::Parser;

    #[test]
    fn flags_win_and_sources_are_named() {
        let c = cfg();
        let cli = Cli::try_parse_from(["http", "--timeout", "1", "https://api.example.org/v2/x"])
            .unwrap();
        let m = for_url(Some(&c), "https://api.example.org/v2/x");
        let e = effective(&cli, &[], m.as_ref()).unwrap();
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
        let shown = show_config(&cli, &Env::default(), Some(&c)).unwrap();
        assert!(
            shown.contains(
                "warning: config auth: environment variable TEST_TOKEN_UNSET_12345 is not set"
            ),
            "{shown}"
        );
        assert!(!shown.contains("auth: bearer"), "{shown}");
        assert!(
            shown.contains("timeout: connect 1s, read 1s (command line)"),
            "{shown}"
        );
        assert!(shown.contains("proxy: all:http://user:****@proxy:3128/ (config prefix https://api.example.org/v2/)"), "{shown}");
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn invalid_values_drop_their_prefix_with_a_warning() {
        let mut w = Vec::new();
        let text =
            r#"{"prefixes": {"https://a/": {"timeout": "x"}, "https://b/": {"timeout": 2}}}"#;
        let c = crate::config::parse(text, "/c".into(), &mut w);
        assert!(w.is_empty(), "{w:?}");
        let c = check(c, &mut w).unwrap();
        assert!(
            w.iter().any(|m| m.contains("prefix \"https://a/\"")),
            "{w:?}"
        );
        assert_eq!(c.prefixes.len(), 1);
        assert!(for_url(Some(&c), "https://b/x").is_some());
    }
}
