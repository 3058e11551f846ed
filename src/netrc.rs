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

/// The entries in file order, and a warning naming the line for each thing out of place.
pub fn parse(text: &str) -> Netrc {
    let toks = tokens(text);
    let blank = blank_lines(text);
    let mut n = Netrc::default();
    let mut macro_start: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        let (line, tok) = (toks[i].0, toks[i].1.as_str());
        // A macro body runs to the next blank line.
        if macro_start.is_some_and(|start| !blank.iter().any(|b| *b > start && *b < line)) {
            i += 1;
            continue;
        }
        macro_start = None;
        let value = toks.get(i + 1).map(|(_, v)| v.clone());
        i += match tok {
            // `macdef NAME`, then the body, which is skipped.
            "macdef" => {
                macro_start = Some(line);
                2
            }
            _ => n.keyword(line, tok, value),
        };
    }
    n
}

/// The numbers of the lines with nothing but white space.
fn blank_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim().is_empty())
        .map(|(i, _)| i + 1)
        .collect()
}

impl Entry {
    fn new(machine: Option<String>) -> Entry {
        Entry {
            machine,
            login: None,
            password: None,
        }
    }
}

impl Netrc {
    /// Applies the keyword `tok` from `line`, `value` being the next token (whatever it is);
    /// returns how many tokens that used.
    fn keyword(&mut self, line: usize, tok: &str, value: Option<String>) -> usize {
        match tok {
            "machine" => {
                match value {
                    Some(m) => self.entries.push(Entry::new(Some(m))),
                    None => self.warn(line, "'machine' without a host name"),
                }
                2
            }
            "default" => {
                self.entries.push(Entry::new(None));
                1
            }
            "login" | "password" | "account" => {
                self.field(line, tok, value);
                2
            }
            other => {
                self.warn(line, &format!("unexpected '{other}'"));
                1
            }
        }
    }

    /// `login`, `password` or `account` (read, not used) of the latest entry.
    fn field(&mut self, line: usize, tok: &str, value: Option<String>) {
        match (self.entries.last_mut(), value) {
            (Some(e), Some(v)) => match tok {
                "login" => e.login = Some(v),
                "password" => e.password = Some(v),
                _ => {}
            },
            (None, _) => self.warn(line, &format!("'{tok}' before any 'machine'")),
            (_, None) => self.warn(line, &format!("'{tok}' without a value")),
        }
    }

    fn warn(&mut self, line: usize, what: &str) {
        self.warnings.push(format!("line {line}: {what}"));
    }

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
