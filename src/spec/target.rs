//! The target stage: method, URL and request items from the positionals, with query items
//! added to the URL. The URL's shorthands (`:8080/x`, `localhost`) follow the default scheme.

use anyhow::Result;
use url::Url;

use super::{expand_tilde, read_text};
use crate::cli::items::{self, Item, ItemKind};
use crate::cli::Cli;
use crate::env::Env;
use crate::error::usage;

/// Where the request goes, and the items that shape it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The method as typed (upper-cased), if one was.
    pub method: Option<String>,
    /// The URL with query items added, without credentials or fragment.
    pub url: Url,
    /// `--path-as-is`: the path to send verbatim.
    pub raw_path: Option<String>,
    /// `user[:pass]@` from the URL.
    pub credentials: Option<(String, Option<String>)>,
    pub items: Vec<Item>,
}

impl Target {
    pub fn parse(cli: &Cli, env: &Env) -> Result<Target> {
        if let Some(method) = lone_method(&cli.args) {
            return Err(usage(format!(
                "a URL is missing after the method {method}: {} {method} URL [ITEM]...",
                env.program
            )));
        }
        let (method, raw_url, raw_items) = split_positionals(&cli.args);
        let program = &env.program;
        if is_item_not_url(raw_url) {
            let after = method
                .as_ref()
                .map_or(String::new(), |m| format!(" after {m}"));
            return Err(usage(format!(
                "a URL is missing{after}: '{raw_url}' is a request item; \
                 usage: {program} [METHOD] URL [ITEM]..."
            )));
        }
        let scheme = default_scheme(cli, env);
        let parsed = crate::cli::url::parse(raw_url, &scheme, cli.path_as_is).map_err(|e| {
            match items::parse_item(raw_url) {
                Ok(_) => usage(format!(
                    "{e}; if '{raw_url}' is a request item, the URL comes first: \
                     {program} [METHOD] URL [ITEM]..."
                )),
                Err(_) => usage(e),
            }
        })?;
        let items: Vec<Item> = raw_items
            .iter()
            .map(|s| items::parse_item(s).map_err(|e| usage(e.to_string())))
            .collect::<Result<_>>()?;
        let mut url = parsed.url;
        for item in &items {
            match item.kind {
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
        Ok(Target {
            method,
            url,
            raw_path: parsed.raw_path,
            credentials: parsed.credentials,
            items,
        })
    }

    /// Header names the items set, empty or remove.
    pub fn header_names(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|i| i.is_header())
            .map(|i| i.key.as_str())
            .collect()
    }
}

/// `--default-scheme`, else the program's own: `https` for `https`, `http` otherwise.
fn default_scheme(cli: &Cli, env: &Env) -> String {
    cli.default_scheme.clone().unwrap_or_else(|| {
        if env.program == "https" {
            "https"
        } else {
            "http"
        }
        .to_string()
    })
}

const KNOWN_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PURGE",
];

/// A lone upper-case method name (`http POST`): a URL left out, not a host called `post`.
/// Other lone words (`http localhost`, `http api`) are hosts.
fn lone_method(args: &[String]) -> Option<&str> {
    match args {
        [only] if KNOWN_METHODS.contains(&only.as_str()) => Some(only),
        _ => None,
    }
}

/// A word in the URL's place that cannot be a URL but is a request item (`http POST a=b`):
/// a host name never holds `=`, and the word has no scheme.
fn is_item_not_url(raw: &str) -> bool {
    let authority = raw.split(['/', '?', '#']).next().unwrap_or(raw);
    !raw.contains("://") && authority.contains('=') && items::parse_item(raw).is_ok()
}

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
