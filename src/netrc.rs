//! `.netrc` (pure parsing): credentials by host, used when no auth is given. A malformed
//! file gives warnings naming the line, never a failure.

/// A `machine` (or `default`) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `None` for `default`.
    pub machine: Option<String>,
    pub login: Option<String>,
    pub password: Option<String>,
}

/// Parsed entries and what was wrong with the file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Netrc {
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
}

/// Tokens with their line numbers; `"quoted words"` allowed.
fn tokens(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line.trim_start();
        while !rest.is_empty() {
            if rest.starts_with('#') {
                break;
            }
            let (tok, after) = if let Some(q) = rest.strip_prefix('"') {
                match q.find('"') {
                    Some(end) => (q[..end].to_string(), &q[end + 1..]),
                    None => (q.to_string(), ""),
                }
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (rest[..end].to_string(), &rest[end..])
            };
            out.push((i + 1, tok));
            rest = after.trim_start();
        }
    }
    out
}

pub fn parse(text: &str) -> Netrc {
    let mut n = Netrc::default();
    let toks = tokens(text);
    let mut i = 0;
    let mut skip_macro_until_blank: Option<usize> = None;
    let blank_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim().is_empty())
        .map(|(i, _)| i + 1)
        .collect();
    while i < toks.len() {
        let (line, tok) = &toks[i];
        if let Some(start) = skip_macro_until_blank {
            // A macro body runs to the next blank line.
            if blank_lines.iter().any(|b| *b > start && *b < *line) {
                skip_macro_until_blank = None;
            } else {
                i += 1;
                continue;
            }
        }
        let value = toks.get(i + 1).map(|(_, v)| v.clone());
        match tok.as_str() {
            "machine" => {
                match value {
                    Some(m) => n.entries.push(Entry {
                        machine: Some(m),
                        login: None,
                        password: None,
                    }),
                    None => n
                        .warnings
                        .push(format!("line {line}: 'machine' without a host name")),
                }
                i += 2;
            }
            "default" => {
                n.entries.push(Entry {
                    machine: None,
                    login: None,
                    password: None,
                });
                i += 1;
            }
            "login" | "password" | "account" => {
                match (n.entries.last_mut(), value) {
                    (Some(e), Some(v)) => match tok.as_str() {
                        "login" => e.login = Some(v),
                        "password" => e.password = Some(v),
                        _ => {}
                    },
                    (None, _) => n
                        .warnings
                        .push(format!("line {line}: '{tok}' before any 'machine'")),
                    (_, None) => n
                        .warnings
                        .push(format!("line {line}: '{tok}' without a value")),
                }
                i += 2;
            }
            "macdef" => {
                skip_macro_until_blank = Some(*line);
                i += 2;
            }
            other => {
                n.warnings
                    .push(format!("line {line}: unexpected '{other}'"));
                i += 1;
            }
        }
    }
    n
}

impl Netrc {
    /// Credentials for `host`: its own entry first, else `default`.
    pub fn lookup(&self, host: &str) -> Option<(String, String)> {
        let found = self
            .entries
            .iter()
            .find(|e| {
                e.machine
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(host))
            })
            .or_else(|| self.entries.iter().find(|e| e.machine.is_none()))?;
        Some((
            found.login.clone().unwrap_or_default(),
            found.password.clone()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_host_then_default() {
        let n = parse(
            "machine a.test login alice password s3cret\n\
             # comment\n\
             machine \"b.test\"\n  login bob\n  password \"with space\"\n\
             macdef init\ncd /pub\n\n\
             default login anon password guest\n",
        );
        assert!(n.warnings.is_empty(), "{:?}", n.warnings);
        assert_eq!(n.lookup("a.test"), Some(("alice".into(), "s3cret".into())));
        assert_eq!(
            n.lookup("B.TEST"),
            Some(("bob".into(), "with space".into()))
        );
        assert_eq!(n.lookup("other"), Some(("anon".into(), "guest".into())));
    }

    #[test]
    fn malformed_lines_are_warnings() {
        let n = parse("login x\nmachine a.test login u password p bogus\nmachine");
        assert_eq!(
            n.warnings,
            [
                "line 1: 'login' before any 'machine'",
                "line 2: unexpected 'bogus'",
                "line 3: 'machine' without a host name"
            ]
        );
        assert_eq!(n.lookup("a.test"), Some(("u".into(), "p".into())));
        assert_eq!(n.lookup("z"), None);
    }
}
