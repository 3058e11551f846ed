//! The auth stage: credentials from the strongest source that has them (`--auth`, then the
//! URL's `user:pass@`, a session, the config prefix, `.netrc`), and how to present them.

use std::path::PathBuf;

use anyhow::Result;
use url::Url;

use super::{Auth, AuthSource};
use crate::cli::{AuthType, Cli};
use crate::config::PrefixAuth;
use crate::env::Env;
use crate::error::usage;

/// Credentials from the command line (`--auth`, else the URL), then the config prefix's, then
/// `.netrc`'s. A session's come in later and only fill what these leave.
pub fn resolve(
    cli: &Cli,
    from_url: Option<(String, Option<String>)>,
    prefix: Option<&PrefixAuth>,
    url: &Url,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<(Option<Auth>, AuthSource)> {
    let source = match (cli.auth.is_some(), from_url.is_some()) {
        (true, _) => AuthSource::Flag,
        (false, true) => AuthSource::Url,
        (false, false) => AuthSource::None,
    };
    if let Some(auth) = command_line(cli, from_url)? {
        return Ok((Some(auth), source));
    }
    if let Some(auth) = prefix.and_then(|a| prefix_auth(a, env, warnings)) {
        return Ok((Some(auth), AuthSource::Config));
    }
    if cli.ignore_netrc {
        return Ok((None, AuthSource::None));
    }
    Ok(match netrc(cli, env, url, warnings) {
        Some(auth) => (Some(auth), AuthSource::Netrc),
        None => (None, AuthSource::None),
    })
}

/// `--aws-sigv4`, unless an `Authorization` header was given (then, as curl does, the
/// request goes with that header, unsigned: a warning says so).
pub fn sigv4(
    cli: &Cli,
    headers: &[super::HeaderItem],
    warnings: &mut Vec<String>,
) -> Result<Option<crate::sigv4::Providers>> {
    let Some(value) = cli.aws_sigv4.as_deref() else {
        return Ok(None);
    };
    let providers = crate::sigv4::Providers::parse(value).map_err(usage)?;
    let typed =
        |h: &super::HeaderItem| h.value.is_some() && h.name.eq_ignore_ascii_case("authorization");
    if headers.iter().any(typed) {
        warnings
            .push("--aws-sigv4 not used: the Authorization header given is sent instead".into());
        return Ok(None);
    }
    Ok(Some(providers))
}

/// Credentials for the URL's host from `$NETRC` or `~/.netrc`, if any.
fn netrc(cli: &Cli, env: &Env, url: &Url, warnings: &mut Vec<String>) -> Option<Auth> {
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

/// `--auth` (prompting for a missing password), else the URL's credentials.
fn command_line(cli: &Cli, from_url: Option<(String, Option<String>)>) -> Result<Option<Auth>> {
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

/// A prefix's credentials, read from the environment variables it names. Unset variables
/// mean no credentials, with a warning.
pub(super) fn prefix_auth(a: &PrefixAuth, env: &Env, warnings: &mut Vec<String>) -> Option<Auth> {
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
    let kind = match a.kind.as_str() {
        "digest" => AuthType::Digest,
        "bearer" => AuthType::Bearer,
        _ => AuthType::Basic,
    };
    if kind == AuthType::Bearer {
        return Some(Auth {
            kind,
            user: from_env(&a.token_env).or_else(|| a.password.clone())?,
            password: None,
        });
    }
    let password = match &a.password_env {
        Some(_) => from_env(&a.password_env)?,
        None => a.password.clone().unwrap_or_default(),
    };
    Some(Auth {
        kind,
        user: a.username.clone().unwrap_or_default(),
        password: Some(password),
    })
}
