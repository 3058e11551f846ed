//! `.http` request files (`--file`), the common core of the editors' format: requests
//! separated by `###` lines, `METHOD URL [HTTP/1.1]`, `Name: value` headers, a blank line, then
//! a body (or `< path`); `#`/`//` comments; `@name = value` variables used as `{{name}}`, and
//! `{{$env NAME}}`. Pure: text and variables in, requests out. Nothing is read or sent here,
//! so every error in the file is found before the first request goes.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

/// One request of the file, variables substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// From `### NAME` or `# @name NAME`.
    pub name: Option<String>,
    /// The line of the request line (1-based).
    pub line: usize,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl FileRequest {
    /// How the request is named in separators and messages: its name, else its request line.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("{} {}", self.method, self.url),
        }
    }
}

/// A request's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    None,
    Text(String),
    /// `< path`, as written (relative to the request file).
    File(PathBuf),
}

/// A mistake in the file, at a line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

/// A line of the file and its number.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    no: usize,
    text: &'a str,
}

/// A request as laid out in the file, before variables are substituted.
struct Raw<'a> {
    name: Option<String>,
    request_line: Line<'a>,
    headers: Vec<Line<'a>>,
    body: Vec<Line<'a>>,
}

/// Where the line being read belongs.
#[derive(PartialEq)]
enum State {
    /// Before a request line: comments, names, variables, blank lines.
    Before,
    Headers,
    Body,
}

/// `# ...` and `// ...` (the marker alone, or followed by a space); `###` separates requests.
fn is_comment(t: &str) -> bool {
    ["#", "//"].iter().any(|m| {
        t.strip_prefix(m)
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
    })
}

/// `# @name NAME` or `// @name NAME`.
fn name_tag(t: &str) -> Option<String> {
    let rest = t.strip_prefix('#').or_else(|| t.strip_prefix("//"))?;
    let name = rest.trim_start().strip_prefix("@name")?;
    let name = name.trim_start_matches([' ', '\t', '=']).trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn valid_var_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `@name = value` (spaces optional).
fn declaration(line: Line) -> Result<(String, Line), ParseError> {
    let rest = line.text.trim().trim_start_matches('@');
    let Some((name, value)) = rest.split_once('=') else {
        return err(
            line.no,
            "variable declaration without '=': expected @name = value",
        );
    };
    let name = name.trim();
    if !valid_var_name(name) {
        return err(line.no, format!("invalid variable name '{name}'"));
    }
    let value = Line {
        no: line.no,
        text: value.trim(),
    };
    Ok((name.to_string(), value))
}

/// `@name = value` lines: the name, and the value's line (substituted later).
type Declarations<'a> = Vec<(String, Line<'a>)>;

/// Split the file into requests and variable declarations.
fn structure(text: &str) -> Result<(Vec<Raw<'_>>, Declarations<'_>), ParseError> {
    let (mut out, mut decls) = (Vec::new(), Vec::new());
    let mut cur: Option<Raw> = None;
    let mut pending_name = None;
    let mut state = State::Before;
    for (i, text) in text.lines().enumerate() {
        let line = Line { no: i + 1, text };
        if let Some(rest) = text.strip_prefix("###") {
            out.extend(cur.take());
            let rest = rest.trim();
            pending_name = (!rest.is_empty()).then(|| rest.to_string());
            state = State::Before;
            continue;
        }
        let t = text.trim();
        match (&state, &mut cur) {
            (State::Body, Some(c)) => c.body.push(line),
            (_, c) if name_tag(t).is_some() => match c {
                Some(c) => c.name = name_tag(t),
                None => pending_name = name_tag(t),
            },
            _ if is_comment(t) => {}
            (State::Before, _) if t.is_empty() => {}
            (State::Before, _) if t.starts_with('@') => decls.push(declaration(line)?),
            (State::Before, _) => {
                cur = Some(Raw {
                    name: pending_name.take(),
                    request_line: Line {
                        no: line.no,
                        text: t,
                    },
                    headers: Vec::new(),
                    body: Vec::new(),
                });
                state = State::Headers;
            }
            (_, _) if t.is_empty() => state = State::Body,
            (_, Some(c)) => c.headers.push(Line {
                no: line.no,
                text: t,
            }),
            (_, None) => {}
        }
    }
    out.extend(cur);
    Ok((out, decls))
}

/// The variables a file's `{{...}}` can use.
pub struct Vars<'a> {
    defined: HashMap<String, String>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Vars<'_> {
    fn lookup(&self, name: &str, line: usize) -> Result<String, ParseError> {
        if let Some(var) = name.strip_prefix("$env") {
            let var = var.trim();
            return match (self.env)(var) {
                Some(v) => Ok(v),
                None if var.is_empty() => err(line, "{{$env}} needs a name: {{$env NAME}}"),
                None => err(line, format!("environment variable '{var}' is not set")),
            };
        }
        if name.starts_with('$') {
            return err(
                line,
                format!("unknown dynamic variable '{name}' (only {{{{$env NAME}}}} is supported)"),
            );
        }
        match self.defined.get(name) {
            Some(v) => Ok(v.clone()),
            None => err(
                line,
                format!(
                    "undefined variable '{name}' (define it with @{name} = value, or in the \
                     environment chosen with --env)"
                ),
            ),
        }
    }

    /// `line` with every `{{name}}` replaced; values are not scanned again.
    fn substitute(&self, line: Line) -> Result<String, ParseError> {
        let mut out = String::with_capacity(line.text.len());
        let mut rest = line.text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return err(
                    line.no,
                    "unterminated '{{' (a variable is written {{name}})",
                );
            };
            out.push_str(&self.lookup(after[..end].trim(), line.no)?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// `METHOD URL [HTTP/x]`, `URL [HTTP/x]` or `URL`: the method (GET when absent) and the URL.
fn request_line(text: &str, no: usize) -> Result<(String, String), ParseError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let version = |w: &str| w.starts_with("HTTP/");
    let (method, url) = match words[..] {
        [url] => ("GET", url),
        [url, v] if version(v) => ("GET", url),
        [m, url] => (m, url),
        [m, url, v] if version(v) => (m, url),
        _ => {
            return err(
                no,
                format!("bad request line '{text}': expected METHOD URL [HTTP/1.1]"),
            )
        }
    };
    if !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return err(
            no,
            format!("bad request line '{text}': '{method}' is not a method"),
        );
    }
    Ok((method.to_ascii_uppercase(), url.to_string()))
}

/// `Name: value`.
fn header(text: &str, no: usize) -> Result<(String, String), ParseError> {
    let Some((name, value)) = text.split_once(':') else {
        return err(
            no,
            format!("header line without a colon: '{text}' (expected Name: value)"),
        );
    };
    let name = name.trim();
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return err(
            no,
            format!("bad header name '{name}' (expected Name: value)"),
        );
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// The body's lines, comments dropped and trailing blank lines trimmed: text, or `< path`.
fn body(lines: &[Line], vars: &Vars) -> Result<Body, ParseError> {
    let lines: Vec<&Line> = lines.iter().filter(|l| !is_comment(l.text)).collect();
    let end = lines
        .iter()
        .rposition(|l| !l.text.trim().is_empty())
        .map_or(0, |i| i + 1);
    let lines = &lines[..end];
    let Some(first) = lines.first() else {
        return Ok(Body::None);
    };
    if let Some(path) = first.text.strip_prefix("< ") {
        if let Some(extra) = lines.get(1) {
            return err(
                extra.no,
                "a body read from a file ('< path') cannot have more lines",
            );
        }
        let path = vars.substitute(Line {
            no: first.no,
            text: path.trim(),
        })?;
        return Ok(Body::File(PathBuf::from(path)));
    }
    let mut text = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&vars.substitute(**line)?);
    }
    Ok(Body::Text(text))
}

fn request(raw: &Raw, vars: &Vars) -> Result<FileRequest, ParseError> {
    let no = raw.request_line.no;
    let (method, url) = request_line(&vars.substitute(raw.request_line)?, no)?;
    let headers = raw
        .headers
        .iter()
        .map(|l| header(&vars.substitute(*l)?, l.no))
        .collect::<Result<_, _>>()?;
    Ok(FileRequest {
        name: raw.name.clone(),
        line: no,
        method,
        url,
        headers,
        body: body(&raw.body, vars)?,
    })
}

/// Parse a request file. `environment` holds the chosen environment's variables, which the
/// file's own `@name = value` lines override (as in the JetBrains client); a declaration may
/// use the environment's variables and those declared above it; `env` reads `{{$env NAME}}`.
pub fn parse(
    text: &str,
    environment: &[(String, String)],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<FileRequest>, ParseError> {
    let (raws, decls) = structure(text)?;
    let mut vars = Vars {
        defined: environment.iter().cloned().collect(),
        env,
    };
    for (name, value) in decls {
        let value = vars.substitute(value)?;
        vars.defined.insert(name, value);
    }
    raws.iter().map(|r| request(r, &vars)).collect()
}

/// The variables of environment `name` in an environment file's JSON
/// (`{"dev": {"host": "..."}, ...}`); strings as they are, numbers and booleans as written.
pub fn environment(json: &str, name: &str) -> Result<Vec<(String, String)>, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(envs) = doc else {
        return Err("expected an object of environments: {\"dev\": {...}}".into());
    };
    let Some(chosen) = envs.get(name) else {
        let names: Vec<&str> = envs.keys().map(String::as_str).collect();
        return Err(format!(
            "no environment '{name}' (it has: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    let Value::Object(vars) = chosen else {
        return Err(format!(
            "environment '{name}' is not an object of variables"
        ));
    };
    vars.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
            _ => Err(format!(
                "variable '{k}' of environment '{name}' is not a string, number or boolean"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse_ok(text: &str) -> Vec<FileRequest> {
        parse(text, &[], &no_env).unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> ParseError {
        match parse(text, &[], &no_env) {
            Err(e) => e,
            Ok(r) => panic!("parsed: {r:?}"),
        }
    }

    #[test]
    fn requests_headers_and_bodies() {
        let text = "\
# a comment
### first
GET http://a/x HTTP/1.1
Accept: text/plain
X-Two:  spaced value  

### second
POST http://a/y
Content-Type: application/json

{\"a\": 1,
 \"b\": 2}


###
http://a/z
";
        let r = parse_ok(text);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].name.as_deref(), Some("first"));
        assert_eq!(
            (r[0].method.as_str(), r[0].url.as_str(), r[0].line),
            ("GET", "http://a/x", 3)
        );
        assert_eq!(
            r[0].headers,
            vec![
                ("Accept".into(), "text/plain".into()),
                ("X-Two".into(), "spaced value".into())
            ]
        );
        assert_eq!(r[0].body, Body::None);
        assert_eq!(r[1].body, Body::Text("{\"a\": 1,\n \"b\": 2}".into()));
        assert_eq!((r[2].name.as_deref(), r[2].method.as_str()), (None, "GET"));
        assert_eq!(r[2].label(), "GET http://a/z");
    }

    #[test]
    fn names_comments_crlf_and_file_bodies() {
        let text = "// intro\r\n###\r\n# @name login\r\npost http://a/l\r\n// c\r\n\r\n< ./body.json\r\n\r\n\
                    ### other\r\n// @name renamed\r\nGET http://a/\r\n\r\n# dropped\r\nline\r\n";
        let r = parse_ok(text);
        assert_eq!(r[0].name.as_deref(), Some("login"));
        assert_eq!(r[0].method, "POST");
        assert_eq!(r[0].body, Body::File("./body.json".into()));
        assert_eq!(r[1].name.as_deref(), Some("renamed"));
        assert_eq!(r[1].body, Body::Text("line".into()));
    }

    #[test]
    fn variables_environment_and_env() {
        let text = "@host = http://h:{{port}}\n@id=7\n\nGET {{host}}/items/{{ id }}\nX-User: {{$env USER}}\n\n{\"id\": {{id}}}\n";
        let env = |k: &str| (k == "USER").then(|| "bob".to_string());
        let environment = [
            ("port".to_string(), "81".to_string()),
            ("id".to_string(), "1".to_string()),
        ];
        let r = parse(text, &environment, &env).unwrap();
        assert_eq!(
            r[0].url, "http://h:81/items/7",
            "in-file @id wins over the environment"
        );
        assert_eq!(r[0].headers, vec![("X-User".into(), "bob".into())]);
        assert_eq!(r[0].body, Body::Text("{\"id\": 7}".into()));
        // Values are not substituted again.
        let r = parse(
            "@a = {{b}}x\n@b = {{c}}\n@c = z\nGET http://h/{{a}}\n",
            &[],
            &no_env,
        );
        assert_eq!(r.unwrap_err().line, 1, "b is not defined above a");
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("GET http://h/\nAccept text\n", 2, "without a colon"),
            ("\n\nGET http://h/ HTTP/1.1 extra\n", 3, "bad request line"),
            ("G3T http://h/\n", 1, "not a method"),
            ("GET http://h/{{x}}\n", 1, "undefined variable 'x'"),
            (
                "GET http://h/\n\n{\"a\": \"{{oops\"}\n",
                3,
                "unterminated '{{'",
            ),
            ("GET http://h/{{$env NOPE}}\n", 1, "'NOPE' is not set"),
            ("GET http://h/{{$uuid}}\n", 1, "unknown dynamic variable"),
            ("@x\nGET http://h/\n", 1, "without '='"),
            (
                "POST http://h/\n\n< a.json\nmore\n",
                4,
                "cannot have more lines",
            ),
            ("GET http://h/\nBad Name: x\n", 2, "bad header name"),
        ];
        for (text, line, phrase) in cases {
            let e = parse_err(text);
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(phrase), "{text:?}: {e}");
        }
    }

    #[test]
    fn header_values_keep_item_separators() {
        let r = parse_ok("GET http://h/\nX-A: a=b==c:=d@e;f\nX-B: =x\nX-C: @file\nX-D:\n");
        let values: Vec<&str> = r[0].headers.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["a=b==c:=d@e;f", "=x", "@file", ""]);
    }

    #[test]
    fn blocks_without_a_request_line_are_skipped() {
        assert!(parse_ok("### only a comment\n# nothing\n\n###\n").is_empty());
        assert!(parse_ok("").is_empty());
    }

    proptest::proptest! {
        /// Any text made of the format's pieces parses or fails with a line inside the file;
        /// it never panics.
        #[test]
        fn never_panics(pieces in proptest::collection::vec(proptest::sample::select(vec![
            "###", " n", "\n", "\r\n", "# @name x", "// c", "@v = 1", "@w", "GET ", "http://h/",
            " HTTP/1.1", "X: y", ":", "{{", "}}", "{{v}}", "{{$env HOME}}", "< f", "é", " ", "=",
        ]), 0..40)) {
            let text = pieces.concat();
            let env = |k: &str| (k == "HOME").then(|| "/h".to_string());
            if let Err(e) = parse(&text, &[], &env) {
                proptest::prop_assert!(e.line >= 1 && e.line <= text.lines().count(), "{e}");
            }
        }
    }

    #[test]
    fn environments_from_json() {
        let json = r#"{"dev": {"host": "d", "port": 8080, "tls": false}, "prod": {"host": "p"}}"#;
        let mut vars = environment(json, "dev").unwrap();
        vars.sort();
        assert_eq!(
            vars,
            vec![
                ("host".into(), "d".into()),
                ("port".into(), "8080".into()),
                ("tls".into(), "false".into())
            ]
        );
        let e = environment(json, "qa").unwrap_err();
        assert!(
            e.contains("no environment 'qa'") && e.contains("dev, prod"),
            "{e}"
        );
        assert!(environment("[1]", "dev").is_err());
        assert!(environment(r#"{"dev": {"a": [1]}}"#, "dev").is_err());
    }
}
