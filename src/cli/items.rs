//! The request-item grammar (pure): `Header:value`, `name==value`, `field=value`,
//! `field:=json`, `field@file` and the rest, with HTTPie's precedence (the leftmost separator
//! wins, the longest on a tie) and backslash escapes. Files are not read here.

use std::fmt;

/// What an item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// `Name:value`, or `Name:` to unset a header.
    Header,
    /// `Name;`: a header with an empty value.
    EmptyHeader,
    /// `Name:@file`
    HeaderFile,
    /// `name==value`
    Query,
    /// `name==@file`
    QueryFile,
    /// `field=value`
    Data,
    /// `field=@file`: the file's text as a string.
    DataFile,
    /// `field:=json`
    Json,
    /// `field:=@file.json`
    JsonFile,
    /// `field@path[;type=mime]`, or `@path` for the whole body.
    File,
}

/// One parsed item: separator kind, key and value with escapes resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub key: String,
    pub value: String,
    /// The argument as typed, for error messages.
    pub raw: String,
}

impl Item {
    /// Items that make up a request body (as opposed to headers and query parameters).
    /// Sets, empties or removes a header.
    pub fn is_header(&self) -> bool {
        matches!(
            self.kind,
            ItemKind::Header | ItemKind::EmptyHeader | ItemKind::HeaderFile
        )
    }

    pub fn is_data(&self) -> bool {
        matches!(
            self.kind,
            ItemKind::Data | ItemKind::DataFile | ItemKind::Json | ItemKind::JsonFile
        ) || (self.kind == ItemKind::File && !self.key.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError(pub String);

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ItemError {}

/// Separators, longest first within each starting character so that a tie picks the longest.
const SEPARATORS: &[(&str, ItemKind)] = &[
    (":=@", ItemKind::JsonFile),
    ("==@", ItemKind::QueryFile),
    (":=", ItemKind::Json),
    (":@", ItemKind::HeaderFile),
    ("==", ItemKind::Query),
    ("=@", ItemKind::DataFile),
    (":", ItemKind::Header),
    ("=", ItemKind::Data),
    (";", ItemKind::EmptyHeader),
    ("@", ItemKind::File),
];

/// Characters a backslash can escape; before anything else a backslash stays literal, so
/// `path=c:\windows` and nested-JSON escapes like `\[` survive.
const SPECIAL: &[char] = &[':', '=', '@', ';'];

/// One character of the argument and whether a backslash made it literal.
type Tok = (char, bool);

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push((c, false));
            continue;
        }
        match chars.next() {
            Some(n) if SPECIAL.contains(&n) => out.push((n, true)),
            Some(n) => {
                out.push(('\\', false));
                out.push((n, false));
            }
            None => out.push(('\\', false)),
        }
    }
    out
}

fn untokenize(toks: &[Tok]) -> String {
    toks.iter().map(|(c, _)| *c).collect()
}

fn separator_at(toks: &[Tok], i: usize) -> Option<(&'static str, ItemKind)> {
    SEPARATORS.iter().copied().find(|(sep, _)| {
        let n = sep.chars().count();
        i + n <= toks.len()
            && sep
                .chars()
                .zip(&toks[i..i + n])
                .all(|(s, (c, escaped))| !escaped && s == *c)
    })
}

/// Parse one request item.
pub fn parse_item(arg: &str) -> Result<Item, ItemError> {
    let toks = tokenize(arg);
    let found = (0..toks.len()).find_map(|i| separator_at(&toks, i).map(|s| (i, s)));
    let Some((at, (sep, kind))) = found else {
        return Err(ItemError(format!(
            "'{arg}' is not a valid request item: expected Header:value, name==value, \
             field=value, field:=json or field@file"
        )));
    };
    let key = untokenize(&toks[..at]);
    let value = untokenize(&toks[at + sep.chars().count()..]);
    let mut item = Item {
        kind,
        key,
        value,
        raw: arg.to_string(),
    };
    check(&mut item)?;
    Ok(item)
}

fn check(item: &mut Item) -> Result<(), ItemError> {
    let raw = &item.raw;
    match item.kind {
        ItemKind::Header | ItemKind::EmptyHeader | ItemKind::HeaderFile => {
            item.key = item.key.trim().to_string();
            if item.key.is_empty() {
                return Err(ItemError(format!("'{raw}': the header name is empty")));
            }
            if let Some(bad) = item.key.chars().find(|c| !is_token_char(*c)) {
                return Err(ItemError(format!(
                    "'{raw}': invalid character {bad:?} in header name '{}'",
                    item.key
                )));
            }
            if item.kind == ItemKind::EmptyHeader && !item.value.is_empty() {
                return Err(ItemError(format!(
                    "'{raw}': to send a header with an empty value use '{};'",
                    item.key
                )));
            }
            if item.kind == ItemKind::Header {
                item.value = item.value.trim().to_string();
            }
            check_header_value(raw, &item.value)
        }
        ItemKind::File if item.key.is_empty() && item.value.is_empty() => Err(ItemError(format!(
            "'{raw}': a file path is needed after '@'"
        ))),
        ItemKind::QueryFile | ItemKind::DataFile | ItemKind::JsonFile | ItemKind::File
            if item.value.is_empty() =>
        {
            Err(ItemError(format!(
                "'{raw}': a file path is needed after '@'"
            )))
        }
        _ => Ok(()),
    }
}

/// Header values may not carry line breaks: that would smuggle extra header lines.
pub fn check_header_value(raw: &str, value: &str) -> Result<(), ItemError> {
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(ItemError(format!(
            "'{}': header values cannot contain line breaks or NUL",
            raw.escape_debug()
        )));
    }
    Ok(())
}

/// RFC 9110 token characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// `path;type=mime` for file uploads: split off a trailing `;type=` override.
pub fn split_file_type(value: &str) -> (&str, Option<&str>) {
    match value.rsplit_once(";type=") {
        Some((path, mime)) if !mime.is_empty() => (path, Some(mime)),
        _ => (value, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ItemKind::*;

    fn p(s: &str) -> (ItemKind, String, String) {
        let i = parse_item(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (i.kind, i.key, i.value)
    }

    #[test]
    fn separators_and_precedence() {
        let table: &[(&str, ItemKind, &str, &str)] = &[
            ("Accept:text/plain", Header, "Accept", "text/plain"),
            ("X-Empty;", EmptyHeader, "X-Empty", ""),
            ("Unset:", Header, "Unset", ""),
            ("Accept: text/html ", Header, "Accept", "text/html"),
            ("X-Token:@token.txt", HeaderFile, "X-Token", "token.txt"),
            ("q==rust", Query, "q", "rust"),
            ("q==@q.txt", QueryFile, "q", "q.txt"),
            ("name=widget", Data, "name", "widget"),
            ("bio=@bio.txt", DataFile, "bio", "bio.txt"),
            ("count:=3", Json, "count", "3"),
            ("tags:=[\"a\",\"b\"]", Json, "tags", "[\"a\",\"b\"]"),
            ("cfg:=@cfg.json", JsonFile, "cfg", "cfg.json"),
            ("file@report.pdf", File, "file", "report.pdf"),
            ("@body.json", File, "", "body.json"),
            // leftmost wins
            ("Cookie:a=b;c=d", Header, "Cookie", "a=b;c=d"),
            ("a=b:c", Data, "a", "b:c"),
            ("url==http://x/?a=b", Query, "url", "http://x/?a=b"),
            ("a=b==c", Data, "a", "b==c"),
            ("email=me@example.org", Data, "email", "me@example.org"),
            // escapes
            ("bob\\:==foo", Query, "bob:", "foo"),
            ("a\\=b=c", Data, "a=b", "c"),
            ("path=c:\\windows", Data, "path", "c:\\windows"),
            ("a\\@b=c", Data, "a@b", "c"),
            ("x\\;y=z", Data, "x;y", "z"),
            ("key\\[0\\]=v", Data, "key\\[0\\]", "v"),
            ("a=", Data, "a", ""),
            ("=v", Data, "", "v"),
        ];
        for (arg, kind, key, value) in table {
            assert_eq!(p(arg), (*kind, key.to_string(), value.to_string()), "{arg}");
        }
    }

    #[test]
    fn errors() {
        let table = [
            ("nosep", "is not a valid request item"),
            (":value", "header name is empty"),
            ("X-Foo;bar", "use 'X-Foo;'"),
            ("Bad Name:x", "invalid character ' '"),
            ("q==@", "file path is needed"),
            ("@", "file path is needed"),
        ];
        for (arg, want) in table {
            let err = parse_item(arg).unwrap_err().to_string();
            assert!(err.contains(want), "{arg}: {err}");
        }
    }

    #[test]
    fn data_items() {
        assert!(parse_item("a=b").unwrap().is_data());
        assert!(parse_item("f@x").unwrap().is_data());
        assert!(!parse_item("@x").unwrap().is_data());
        assert!(!parse_item("a==b").unwrap().is_data());
    }

    #[test]
    fn file_type_override() {
        assert_eq!(
            split_file_type("a.bin;type=image/png"),
            ("a.bin", Some("image/png"))
        );
        assert_eq!(split_file_type("a.bin"), ("a.bin", None));
    }
}
