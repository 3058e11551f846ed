//! URL shorthands (pure): default scheme, `:3000/x` for localhost, pasted `://host`, and
//! credentials in the URL. Parsing itself is the `url` crate's job.

use percent_encoding::percent_decode_str;
use url::Url;

/// A URL ready for the request, with any `user:pass@` taken out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedUrl {
    pub url: Url,
    /// `user[:pass]` from the URL, percent-decoded.
    pub credentials: Option<(String, Option<String>)>,
    /// The path exactly as typed, for `--path-as-is` (the url crate collapses dot segments).
    pub raw_path: Option<String>,
}

fn has_scheme(s: &str) -> bool {
    match s.find("://") {
        Some(i) => {
            let scheme = &s[..i];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// Expand the shorthands into a full URL string.
pub fn expand(raw: &str, default_scheme: &str) -> String {
    let s = raw.trim();
    // A pasted `://host/x` (scheme lost in the copy).
    let s = s.strip_prefix("://").unwrap_or(s);
    // `:3000/x`, `:/x`, `:` mean localhost; `::1` is an IPv6 address, not the shorthand.
    if let Some(rest) = s.strip_prefix(':') {
        if !rest.starts_with(':') {
            let rest = if rest.starts_with('/') || rest.is_empty() {
                rest.to_string()
            } else {
                format!(":{rest}")
            };
            return format!("{default_scheme}://localhost{rest}");
        }
    }
    if has_scheme(s) {
        s.to_string()
    } else {
        format!("{default_scheme}://{s}")
    }
}

/// Turn what the user typed into a URL to request.
pub fn parse(raw: &str, default_scheme: &str, path_as_is: bool) -> Result<ParsedUrl, String> {
    if raw.trim().is_empty() {
        return Err("the URL is empty".into());
    }
    let full = expand(raw, default_scheme);
    let mut url = Url::parse(&full).map_err(|e| format!("invalid URL '{raw}': {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "unsupported URL scheme '{other}' in '{raw}': use http:// or https://"
            ))
        }
    }
    if url.host_str().is_none_or(|h| h.is_empty()) {
        return Err(format!("invalid URL '{raw}': no host"));
    }
    let credentials = take_credentials(&mut url);
    url.set_fragment(None);
    let raw_path = path_as_is.then(|| raw_path_of(&full)).flatten();
    Ok(ParsedUrl {
        url,
        credentials,
        raw_path,
    })
}

fn take_credentials(url: &mut Url) -> Option<(String, Option<String>)> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = decode(url.username());
    let pass = url.password().map(decode);
    // Setting these cannot fail for http(s) URLs, which always have a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some((user, pass))
}

/// The path part of a full URL string as typed: after the authority, before `?` or `#`.
fn raw_path_of(full: &str) -> Option<String> {
    let after_scheme = &full[full.find("://")? + 3..];
    let start = after_scheme.find('/')?;
    let path = &after_scheme[start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    // Keep dots and slashes; encode only what cannot go on the wire.
    const UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    Some(percent_encoding::utf8_percent_encode(&path[..end], UNSAFE).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthands() {
        let table = [
            (":3000/x", "http://localhost:3000/x"),
            (":/x", "http://localhost/x"),
            (":", "http://localhost"),
            ("://example.org/x", "http://example.org/x"),
            ("example.org", "http://example.org"),
            ("localhost:8080/a", "http://localhost:8080/a"),
            ("https://example.org", "https://example.org"),
            ("HTTP://example.org", "HTTP://example.org"),
            ("[::1]:80", "http://[::1]:80"),
        ];
        for (raw, want) in table {
            assert_eq!(expand(raw, "http"), want, "{raw}");
        }
        assert_eq!(expand("example.org", "https"), "https://example.org");
    }

    #[test]
    fn parsing() {
        let p = parse("u%40x:p%3Ass@example.org:81/a/../b?q=1#frag", "http", false).unwrap();
        assert_eq!(p.url.as_str(), "http://example.org:81/b?q=1");
        assert_eq!(p.credentials, Some(("u@x".into(), Some("p:ss".into()))));
        let p = parse("user@example.org", "http", false).unwrap();
        assert_eq!(p.credentials, Some(("user".into(), None)));
        let p = parse("example.org/a/./../b c", "http", true).unwrap();
        assert_eq!(p.raw_path.as_deref(), Some("/a/./../b%20c"));
    }

    #[test]
    fn errors() {
        for (raw, want) in [
            ("", "empty"),
            ("ftp://example.org", "unsupported URL scheme 'ftp'"),
            ("http://exa mple.org", "invalid URL"),
            ("http://", "invalid URL"),
            ("http://[::1", "invalid URL"),
        ] {
            let err = parse(raw, "http", false).unwrap_err();
            assert!(err.contains(want), "{raw}: {err}");
        }
    }
}
