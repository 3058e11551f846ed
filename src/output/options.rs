//! `--format-options` (pure): `json.indent:2,json.sort_keys:true,headers.sort:false`, with
//! values type-checked. Defaults keep the server's order (unlike HTTPie, which sorts).

/// Resolved formatting options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatOptions {
    pub headers_sort: bool,
    pub json_format: bool,
    pub json_indent: usize,
    pub json_sort_keys: bool,
    pub xml_format: bool,
    pub xml_indent: usize,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            headers_sort: false,
            json_format: true,
            json_indent: 4,
            json_sort_keys: false,
            xml_format: true,
            xml_indent: 2,
        }
    }
}

impl FormatOptions {
    /// Apply `--sorted`, then each `--format-options` value in order.
    pub fn parse(values: &[String], sorted: bool) -> Result<FormatOptions, String> {
        let mut o = FormatOptions {
            headers_sort: sorted,
            json_sort_keys: sorted,
            ..Default::default()
        };
        for item in values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (key, value) = item.split_once(':').ok_or_else(|| {
                format!("invalid --format-options item '{item}': expected KEY:VALUE, e.g. json.indent:2")
            })?;
            let key = key.trim().to_ascii_lowercase();
            let flag =
                || parse_bool(value).ok_or_else(|| format!("'{item}': {key} takes true or false"));
            let number = || {
                value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n <= 32)
                    .ok_or_else(|| format!("'{item}': {key} takes a number from 0 to 32"))
            };
            match key.as_str() {
                "headers.sort" => o.headers_sort = flag()?,
                "json.format" => o.json_format = flag()?,
                "json.indent" => o.json_indent = number()?,
                "json.sort_keys" => o.json_sort_keys = flag()?,
                "xml.format" => o.xml_format = flag()?,
                "xml.indent" => o.xml_indent = number()?,
                _ => {
                    return Err(format!(
                        "unknown --format-options key '{key}': use headers.sort, json.format, \
                         json.indent, json.sort_keys, xml.format or xml.indent"
                    ))
                }
            }
        }
        Ok(o)
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Some(true),
        "false" | "no" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_types() {
        let o = FormatOptions::parse(
            &[
                "json.indent:2,headers.sort:true".into(),
                "json.sort_keys:yes".into(),
            ],
            false,
        )
        .unwrap();
        assert_eq!(
            (o.json_indent, o.headers_sort, o.json_sort_keys),
            (2, true, true)
        );
        assert!(FormatOptions::parse(&[], true).unwrap().json_sort_keys);
        for (bad, want) in [
            ("json.indent:x", "takes a number"),
            ("headers.sort:maybe", "takes true or false"),
            ("nope:1", "unknown --format-options key 'nope'"),
            ("json.indent", "expected KEY:VALUE"),
        ] {
            let e = FormatOptions::parse(&[bad.into()], false).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }
}
