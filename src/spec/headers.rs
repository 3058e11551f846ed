//! The headers stage: header items in the order given, after the config prefix's headers
//! (a command-line header of the same name replaces a prefix's).

use anyhow::Result;

use super::{expand_tilde, read_text, HeaderItem};
use crate::cli::items::{self, Item, ItemKind};
use crate::env::Env;
use crate::error::usage;

/// Header items; `Name:@file` reads the value from the file.
pub fn from_items(items: &[Item], env: &Env) -> Result<Vec<HeaderItem>> {
    let mut headers = Vec::new();
    for item in items {
        let value = match item.kind {
            ItemKind::Header => (!item.value.is_empty()).then(|| item.value.clone().into_bytes()),
            ItemKind::EmptyHeader => Some(Vec::new()),
            ItemKind::HeaderFile => {
                let text = read_text(&expand_tilde(&item.value, env), "header")?;
                let value = text.trim_end_matches(['\n', '\r']).to_string();
                items::check_header_value(&item.raw, &value).map_err(|e| usage(e.to_string()))?;
                Some(value.into_bytes())
            }
            _ => continue,
        };
        headers.push(HeaderItem {
            name: item.key.clone(),
            value,
        });
    }
    Ok(headers)
}

/// The prefix's headers first (only those the command line does not set: see
/// `prefix::effective`), then the command line's.
pub fn with_prefix(prefix: &[(String, String)], given: Vec<HeaderItem>) -> Vec<HeaderItem> {
    let mut merged: Vec<HeaderItem> = prefix
        .iter()
        .map(|(n, v)| HeaderItem {
            name: n.clone(),
            value: Some(v.clone().into_bytes()),
        })
        .collect();
    merged.extend(given);
    merged
}

/// Asking to remove `Host` cannot be honoured: say so rather than pretend.
pub fn warnings(headers: &[HeaderItem], warnings: &mut Vec<String>) {
    if headers
        .iter()
        .any(|h| h.value.is_none() && h.name.eq_ignore_ascii_case("host"))
    {
        warnings.push(
            "the Host header cannot be removed (HTTP/1.1 requires it); it is sent as usual".into(),
        );
    }
}
