//! HTTPie 3.x nested JSON request items: parses keys such as `a[b][0]`, `a[]` or `[]`
//! into path tokens and folds `key=value` / `key:=json` items into one JSON body.
//! Owns the key grammar, the container typing rules and the `HTTPie … Error` reports.

use serde_json::{Map, Value};
use std::fmt;
use std::ops::Range;

/// Largest accepted array index: `a[999999999]=x` must not allocate gigabytes of nulls.
const MAX_INDEX: usize = 100_000;

/// One kind of failure, with the item key and the byte span (start..end) in the key it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedError {
    pub kind: NestedErrorKind,
    pub message: String,
    pub key: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestedErrorKind {
    Syntax,
    Type,
    Value,
}

impl NestedError {
    fn new(kind: NestedErrorKind, key: &str, span: Range<usize>, message: String) -> Self {
        NestedError {
            kind,
            message,
            key: key.to_string(),
            span,
        }
    }

    fn expecting(key: &str, span: Range<usize>, expected: &str) -> Self {
        Self::new(
            NestedErrorKind::Syntax,
            key,
            span,
            format!("Expecting {expected}"),
        )
    }
}

impl fmt::Display for NestedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.kind {
            NestedErrorKind::Syntax => "Syntax",
            NestedErrorKind::Type => "Type",
            NestedErrorKind::Value => "Value",
        };
        // Count chars rather than bytes so the carets line up under non-ASCII keys.
        let chars = |r: Range<usize>| {
            self.key
                .get(r.clone())
                .map_or(r.len(), |s| s.chars().count())
        };
        let pad = chars(0..self.span.start);
        let width = chars(self.span.clone()).max(1);
        write!(
            f,
            "HTTPie {label} Error: {}\n{}\n{}{}",
            self.message,
            self.key,
            " ".repeat(pad),
            "^".repeat(width)
        )
    }
}

impl std::error::Error for NestedError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathToken {
    Key(String),
    Index(usize),
    Append,
}

/// Parse a key into path tokens (pure; exposed for tests).
pub fn parse_path(key: &str) -> Result<Vec<PathToken>, NestedError> {
    let segments = parse_segments(key)?;
    Ok(segments.into_iter().map(|s| s.token).collect())
}

/// Build the body from data items in order. Returns an empty object `{}` when items is empty.
pub fn build(items: &[(String, Value)]) -> Result<Value, NestedError> {
    // Null means "no container yet", the same as a padded array slot.
    let mut root = Value::Null;
    for (key, value) in items {
        let segments = parse_segments(key)?;
        insert(&mut root, key, &segments, value.clone())?;
    }
    Ok(match root {
        Value::Null => Value::Object(Map::new()),
        body => body,
    })
}

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum Lexeme {
    Open,
    Close,
    Text(String),
    /// Bare ASCII digits: an index when inside brackets.
    Number(String),
    /// `-` and digits: a negative index, which HTTPie refuses inside brackets.
    Negative(String),
}

#[derive(Debug)]
struct Token {
    lexeme: Lexeme,
    span: Range<usize>,
}

/// The text run being accumulated between brackets.
#[derive(Default)]
struct Word {
    text: String,
    start: Option<usize>,
    escaped: bool,
}

impl Word {
    fn push(&mut self, pos: usize, c: char, escaped: bool) {
        self.start.get_or_insert(pos);
        self.text.push(c);
        self.escaped |= escaped;
    }

    fn flush_into(&mut self, tokens: &mut Vec<Token>, end: usize) {
        let Some(start) = self.start.take() else {
            return;
        };
        let text = std::mem::take(&mut self.text);
        let escaped = std::mem::take(&mut self.escaped);
        tokens.push(Token {
            lexeme: classify(text, escaped),
            span: start..end,
        });
    }
}

fn tokenize(key: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = Word::default();
    let mut chars = key.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        match c {
            '[' | ']' => {
                word.flush_into(&mut tokens, pos);
                let lexeme = if c == '[' {
                    Lexeme::Open
                } else {
                    Lexeme::Close
                };
                tokens.push(Token {
                    lexeme,
                    span: pos..pos + 1,
                });
            }
            // Only `\[`, `\]` and `\\` are escapes; any other backslash stays literal.
            '\\' => match chars.peek() {
                Some(&(_, next @ ('[' | ']' | '\\'))) => {
                    chars.next();
                    word.push(pos, next, true);
                }
                _ => word.push(pos, c, false),
            },
            _ => word.push(pos, c, false),
        }
    }
    word.flush_into(&mut tokens, key.len());
    tokens
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// As in HTTPie: bare digits (with or without a leading `-`) are a number, `\` + such a
/// number is that number as a key, and a word containing a bracket/backslash escape is
/// always literal text.
fn classify(text: String, escaped: bool) -> Lexeme {
    let negative = |s: &str| s.strip_prefix('-').is_some_and(is_digits);
    if escaped {
        return Lexeme::Text(text);
    }
    if is_digits(&text) {
        return Lexeme::Number(text);
    }
    if negative(&text) {
        return Lexeme::Negative(text);
    }
    match text.strip_prefix('\\') {
        Some(n) if is_digits(n) || negative(n) => Lexeme::Text(n.to_string()),
        _ => Lexeme::Text(text),
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// A path token plus the part of the key it came from (for error carets).
#[derive(Debug)]
struct Segment {
    token: PathToken,
    span: Range<usize>,
}

const EXPECT_ROOT: &str = "a text, a number or '['";
const EXPECT_ROOT_BRACKET: &str = "a number or ']'";
const EXPECT_BRACKET: &str = "a text, a number or ']'";

/// Grammar: `root path*`, root = `literal | [N] | []`, path = `[text] | [N] | []`.
fn parse_segments(key: &str) -> Result<Vec<Segment>, NestedError> {
    let mut parser = Parser {
        key,
        tokens: tokenize(key).into_iter(),
    };
    if parser.tokens.as_slice().is_empty() {
        return Ok(vec![Segment {
            token: PathToken::Key(String::new()),
            span: 0..0,
        }]);
    }
    let mut segments = vec![parser.root()?];
    while !parser.tokens.as_slice().is_empty() {
        segments.push(parser.bracketed()?);
    }
    Ok(segments)
}

struct Parser<'a> {
    key: &'a str,
    tokens: std::vec::IntoIter<Token>,
}

impl Parser<'_> {
    /// The next token, or a syntax error pointing just past the end of the key.
    fn next(&mut self, expected: &str) -> Result<Token, NestedError> {
        let end = self.key.len();
        self.tokens
            .next()
            .ok_or_else(|| NestedError::expecting(self.key, end..end, expected))
    }

    fn root(&mut self) -> Result<Segment, NestedError> {
        let token = self.next(EXPECT_ROOT)?;
        match token.lexeme {
            Lexeme::Text(text) | Lexeme::Number(text) | Lexeme::Negative(text) => Ok(Segment {
                token: PathToken::Key(text),
                span: token.span,
            }),
            // A leading bracket makes the body a top-level array, so no `[key]` there.
            Lexeme::Open => self.bracket_body(token.span.start, false),
            Lexeme::Close => Err(NestedError::expecting(self.key, token.span, EXPECT_ROOT)),
        }
    }

    fn bracketed(&mut self) -> Result<Segment, NestedError> {
        let token = self.next("'['")?;
        match token.lexeme {
            Lexeme::Open => self.bracket_body(token.span.start, true),
            _ => Err(NestedError::expecting(self.key, token.span, "'['")),
        }
    }

    /// Everything after a `[` that starts at byte `start`.
    fn bracket_body(&mut self, start: usize, allow_key: bool) -> Result<Segment, NestedError> {
        let expected = if allow_key {
            EXPECT_BRACKET
        } else {
            EXPECT_ROOT_BRACKET
        };
        let inner = self.next(expected)?;
        match inner.lexeme {
            Lexeme::Close => Ok(Segment {
                token: PathToken::Append,
                span: start..inner.span.end,
            }),
            Lexeme::Number(digits) => {
                let span = start..self.close()?;
                let index = parse_index(self.key, &digits, span.clone())?;
                Ok(Segment {
                    token: PathToken::Index(index),
                    span,
                })
            }
            // HTTPie's error and caret (under the number), not a key "-1".
            Lexeme::Negative(_) => Err(NestedError::new(
                NestedErrorKind::Value,
                self.key,
                inner.span,
                "Negative indexes are not supported.".into(),
            )),
            Lexeme::Text(text) if allow_key => Ok(Segment {
                token: PathToken::Key(text),
                span: start..self.close()?,
            }),
            _ => Err(NestedError::expecting(self.key, inner.span, expected)),
        }
    }

    /// Consume the `]` closing a segment and return the byte just after it.
    fn close(&mut self) -> Result<usize, NestedError> {
        let token = self.next("']'")?;
        match token.lexeme {
            Lexeme::Close => Ok(token.span.end),
            _ => Err(NestedError::expecting(self.key, token.span, "']'")),
        }
    }
}

fn parse_index(key: &str, digits: &str, span: Range<usize>) -> Result<usize, NestedError> {
    // Digits too long for usize are "too large" as well, not a panic or a key.
    match digits.parse::<usize>() {
        Ok(index) if index <= MAX_INDEX => Ok(index),
        _ => Err(NestedError::new(
            NestedErrorKind::Type,
            key,
            span,
            format!("index {digits} is too large (the limit is {MAX_INDEX})"),
        )),
    }
}

// ---------------------------------------------------------------------------
// Interpreter
// ---------------------------------------------------------------------------

/// Walk (creating as needed) the slot `segments` point at, then store `value` there.
fn insert(
    root: &mut Value,
    key: &str,
    segments: &[Segment],
    value: Value,
) -> Result<(), NestedError> {
    let mut cursor = root;
    for segment in segments {
        cursor = child_slot(cursor, key, segment)?;
    }
    // Overwriting keeps an existing key's position, so `x=1 y=2 x=3` stays x, y.
    *cursor = value;
    Ok(())
}

/// The slot `segment` selects inside `node`; a null node first becomes the container
/// the segment needs, which is what fixes each container's type on first use.
fn child_slot<'v>(
    node: &'v mut Value,
    key: &str,
    segment: &Segment,
) -> Result<&'v mut Value, NestedError> {
    if node.is_null() {
        *node = empty_container(&segment.token);
    }
    match (&segment.token, node) {
        (PathToken::Key(name), Value::Object(map)) => {
            Ok(map.entry(name.as_str()).or_insert(Value::Null))
        }
        (PathToken::Index(index), Value::Array(items)) => {
            if items.len() <= *index {
                items.resize(index + 1, Value::Null);
            }
            Ok(&mut items[*index])
        }
        (PathToken::Append, Value::Array(items)) => {
            let slot = items.len();
            items.push(Value::Null);
            Ok(&mut items[slot])
        }
        (_, found) => Err(type_mismatch(key, segment, found)),
    }
}

fn empty_container(token: &PathToken) -> Value {
    match token {
        PathToken::Key(_) => Value::Object(Map::new()),
        PathToken::Index(_) | PathToken::Append => Value::Array(Vec::new()),
    }
}

/// HTTPie's wording, naming the key prefix that holds the wrong type.
fn type_mismatch(key: &str, segment: &Segment, found: &Value) -> NestedError {
    let (access, required) = match segment.token {
        PathToken::Key(_) => ("key", "object"),
        PathToken::Index(_) => ("index", "array"),
        PathToken::Append => ("append", "array"),
    };
    let parent = key.get(..segment.span.start).unwrap_or_default();
    let message = format!(
        "Cannot perform '{access}' based access on '{parent}' which has a type of '{}' \
         but this operation requires a type of '{required}'.",
        json_type(found)
    );
    NestedError::new(NestedErrorKind::Type, key, segment.span.clone(), message)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NestedErrorKind::{Syntax, Type};
    use PathToken::{Append, Index, Key};

    /// `key=value` is a string item, `key:=json` a raw JSON item (split at the first `=`).
    fn items(specs: &[&str]) -> Vec<(String, Value)> {
        specs
            .iter()
            .map(|spec| {
                let (key, value) = spec.split_once('=').expect("test item needs '='");
                match key.strip_suffix(':') {
                    Some(key) => (
                        key.to_string(),
                        serde_json::from_str(value).expect("test JSON"),
                    ),
                    None => (key.to_string(), Value::String(value.to_string())),
                }
            })
            .collect()
    }

    fn built(specs: &[&str]) -> Result<String, NestedError> {
        build(&items(specs)).map(|v| serde_json::to_string(&v).expect("serializable"))
    }

    fn k(s: &str) -> PathToken {
        Key(s.to_string())
    }

    #[test]
    fn parse_path_table() {
        let cases: &[(&str, Vec<PathToken>)] = &[
            ("", vec![k("")]),
            ("a", vec![k("a")]),
            ("5", vec![k("5")]),
            ("my key.with dots ü", vec![k("my key.with dots ü")]),
            ("a[b][0][]", vec![k("a"), k("b"), Index(0), Append]),
            ("[]", vec![Append]),
            ("[3][x]", vec![Index(3), k("x")]),
            ("a[01]", vec![k("a"), Index(1)]),
            ("a[x]", vec![k("a"), k("x")]),
            // `a[-1]` is an error (error_table); escaped, it is a key, as in HTTPie.
            (r"a[\-1]", vec![k("a"), k("-1")]),
            ("a[-x]", vec![k("a"), k("-x")]),
            ("a[--1]", vec![k("a"), k("--1")]),
            ("a[-]", vec![k("a"), k("-")]),
            ("-1", vec![k("-1")]),
            ("a[ 1]", vec![k("a"), k(" 1")]),
            (r"a[\5]", vec![k("a"), k("5")]),
            (r"\5", vec![k("5")]),
            (r"a[\\5]", vec![k("a"), k(r"\5")]),
            (r"a[\[x\]]", vec![k("a"), k("[x]")]),
            (r"a\[b\]", vec![k("a[b]")]),
            (r"a[\x]", vec![k("a"), k(r"\x")]),
            (r"a[5\x]", vec![k("a"), k(r"5\x")]),
            (r"a\", vec![k(r"a\")]),
            ("a[100000]", vec![k("a"), Index(100_000)]),
        ];
        for (key, expected) in cases {
            assert_eq!(parse_path(key).as_ref(), Ok(expected), "key {key:?}");
        }
    }

    #[test]
    fn build_table() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "{}"),
            (&["a[b][c]=x"], r#"{"a":{"b":{"c":"x"}}}"#),
            (&["a[]=1", "a[]=2"], r#"{"a":["1","2"]}"#),
            (&["a[2]=x"], r#"{"a":[null,null,"x"]}"#),
            (&["a[1]=x", "a[0]=y"], r#"{"a":["y","x"]}"#),
            (&["[]:=1", "[]:=2"], "[1,2]"),
            (&["[0][k]=v"], r#"[{"k":"v"}]"#),
            (&["[1]=x"], r#"[null,"x"]"#),
            (&["a[\\5]=x"], r#"{"a":{"5":"x"}}"#),
            (&["a[5]=x"], r#"{"a":[null,null,null,null,null,"x"]}"#),
            (&[r"a[\-1]=x"], r#"{"a":{"-1":"x"}}"#),
            (&["a\\[b\\]=x"], r#"{"a[b]":"x"}"#),
            (&["a\\\\b=x"], r#"{"a\\b":"x"}"#),
            (&["a[\\x]=1"], r#"{"a":{"\\x":"1"}}"#),
            (&["x=1", "x=2"], r#"{"x":"2"}"#),
            (&["x=1", "y=2", "x=3"], r#"{"x":"3","y":"2"}"#),
            (&["b=1", "a=2"], r#"{"b":"1","a":"2"}"#),
            (&["my key.ü=1"], r#"{"my key.ü":"1"}"#),
            (&["=x"], r#"{"":"x"}"#),
            (&["5=x"], r#"{"5":"x"}"#),
            (&["n:=1.10"], r#"{"n":1.10}"#),
            (
                &["big:=12345678901234567890123"],
                r#"{"big":12345678901234567890123}"#,
            ),
            (&["a[2]=x", "a[0][k]=v"], r#"{"a":[{"k":"v"},null,"x"]}"#),
            (&["a:=null", "a[b]=1"], r#"{"a":{"b":"1"}}"#),
            (&["a[b]:=[1,2]", "a[b][]:=3"], r#"{"a":{"b":[1,2,3]}}"#),
            (&["a[][b]=1", "a[][b]=2"], r#"{"a":[{"b":"1"},{"b":"2"}]}"#),
            (
                &["a[x]=1", "a[y][z]:=true"],
                r#"{"a":{"x":"1","y":{"z":true}}}"#,
            ),
            (&["a[b]=1", "a:=3"], r#"{"a":3}"#),
        ];
        for (specs, expected) in cases {
            assert_eq!(built(specs).as_deref(), Ok(*expected), "items {specs:?}");
        }
    }

    #[test]
    fn error_table() {
        let too_large = "index 100001 is too large (the limit is 100000)";
        let huge = "index 99999999999999999999999 is too large (the limit is 100000)";
        let negative = "Negative indexes are not supported.";
        let mismatch = |access: &str, parent: &str, found: &str, required: &str| {
            format!(
                "Cannot perform '{access}' based access on '{parent}' which has a type of \
                 '{found}' but this operation requires a type of '{required}'."
            )
        };
        let cases: Vec<(&[&str], NestedErrorKind, String, Range<usize>)> = vec![
            (&["a[b=1"], Syntax, "Expecting ']'".into(), 3..3),
            (&["a[b]c=1"], Syntax, "Expecting '['".into(), 4..5),
            (&["a]=1"], Syntax, "Expecting '['".into(), 1..2),
            (
                &["a[=1"],
                Syntax,
                "Expecting a text, a number or ']'".into(),
                2..2,
            ),
            (
                &["a[[b]]=1"],
                Syntax,
                "Expecting a text, a number or ']'".into(),
                2..3,
            ),
            (
                &["]=1"],
                Syntax,
                "Expecting a text, a number or '['".into(),
                0..1,
            ),
            (&["[x]=1"], Syntax, "Expecting a number or ']'".into(), 1..2),
            (&["[-1]=1"], NestedErrorKind::Value, negative.into(), 1..3),
            (&["a[-1]=x"], NestedErrorKind::Value, negative.into(), 2..4),
            (
                &["a[0]=x", "a[b][-12]=x"],
                NestedErrorKind::Value,
                negative.into(),
                5..8,
            ),
            (&["a[100001]=x"], Type, too_large.into(), 1..9),
            (&["a[99999999999999999999999]=x"], Type, huge.into(), 1..26),
            (
                &["a=1", "a[b]=2"],
                Type,
                mismatch("key", "a", "string", "object"),
                1..4,
            ),
            (
                &["a:=1", "a[]=2"],
                Type,
                mismatch("append", "a", "number", "array"),
                1..3,
            ),
            (
                &["a:=true", "a[0]=2"],
                Type,
                mismatch("index", "a", "boolean", "array"),
                1..4,
            ),
            (
                &["a[]=1", "a[b]=2"],
                Type,
                mismatch("key", "a", "array", "object"),
                1..4,
            ),
            (
                &["a[b]=1", "a[0]=2"],
                Type,
                mismatch("index", "a", "object", "array"),
                1..4,
            ),
            (
                &["a[b]=1", "a[]=2"],
                Type,
                mismatch("append", "a", "object", "array"),
                1..3,
            ),
            (
                &["a[b][c]=1", "a[b][c][d]=2"],
                Type,
                mismatch("key", "a[b][c]", "string", "object"),
                7..10,
            ),
            (
                &["[]:=1", "a=2"],
                Type,
                mismatch("key", "", "array", "object"),
                0..1,
            ),
            (
                &["a=1", "[]:=2"],
                Type,
                mismatch("append", "", "object", "array"),
                0..2,
            ),
            (
                &["a=1", "[0]:=2"],
                Type,
                mismatch("index", "", "object", "array"),
                0..3,
            ),
        ];
        for (specs, kind, message, span) in cases {
            let err = built(specs).expect_err(&format!("items {specs:?} should fail"));
            let key = specs.last().and_then(|s| s.split_once('=')).map(|(k, _)| k);
            let key = key.map(|k| k.strip_suffix(':').unwrap_or(k));
            assert_eq!(
                (
                    err.kind,
                    &err.message,
                    Some(err.key.as_str()),
                    err.span.clone()
                ),
                (kind, &message, key, span),
                "items {specs:?}"
            );
        }
    }

    #[test]
    fn display_table() {
        let cases: &[(&[&str], &str)] = &[
            (&["a[b=1"], "HTTPie Syntax Error: Expecting ']'\na[b\n   ^"),
            (
                &["a[b]c=1"],
                "HTTPie Syntax Error: Expecting '['\na[b]c\n    ^",
            ),
            (&["ü[b=1"], "HTTPie Syntax Error: Expecting ']'\nü[b\n   ^"),
            (
                &["a=1", "a[b]=2"],
                "HTTPie Type Error: Cannot perform 'key' based access on 'a' which has a type \
                 of 'string' but this operation requires a type of 'object'.\na[b]\n ^^^",
            ),
            (
                &["a[100001]=x"],
                "HTTPie Type Error: index 100001 is too large (the limit is 100000)\n\
                 a[100001]\n ^^^^^^^^",
            ),
            // HTTPie 3.2.4's words and caret.
            (
                &["a[-1]=x"],
                "HTTPie Value Error: Negative indexes are not supported.\na[-1]\n  ^^",
            ),
            (
                &["[-1]=x"],
                "HTTPie Value Error: Negative indexes are not supported.\n[-1]\n ^^",
            ),
            (
                &["b[c][-01]=x"],
                "HTTPie Value Error: Negative indexes are not supported.\nb[c][-01]\n     ^^^",
            ),
        ];
        for (specs, expected) in cases {
            let err = built(specs).expect_err("should fail");
            assert_eq!(err.to_string(), *expected, "items {specs:?}");
        }
    }

    #[test]
    fn max_index_is_allowed() {
        let body = build(&items(&["a[100000]=x"])).expect("limit itself is fine");
        assert_eq!(body["a"].as_array().map(Vec::len), Some(100_001));
    }

    #[test]
    fn error_is_std_error() {
        let err: Box<dyn std::error::Error> = Box::new(built(&["a[b=1"]).expect_err("unclosed"));
        assert!(err.to_string().starts_with("HTTPie Syntax Error"));
    }
}
