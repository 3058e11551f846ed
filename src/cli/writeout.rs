//! `-w/--write-out FORMAT` (pure): curl's format language parsed once into a [`Template`], so
//! an unknown variable is a usage error before anything is sent. `output::writeout` renders it.
//!
//! The syntax is curl's: `%{name}` a variable, `%header{name}` a response header, `%%` a
//! percent sign, `\n` `\r` `\t` `\\` escapes; anything else (a lone `%`, an unclosed `%{`, an
//! unknown `\x`) is text, as curl writes it.

/// A variable, by its curl name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    HttpCode,
    HttpVersion,
    Method,
    Url,
    UrlEffective,
    NumRedirects,
    ContentType,
    SizeDownload,
    SizeHeader,
    SizeRequest,
    SizeUpload,
    SpeedDownload,
    TimeNamelookup,
    TimeConnect,
    TimeAppconnect,
    TimePretransfer,
    TimeStarttransfer,
    TimeRedirect,
    TimeTotal,
    RemoteIp,
    RemotePort,
    LocalIp,
    LocalPort,
    ExitCode,
    ErrorMsg,
}

/// Every variable by name, in the (alphabetical) order `%{json}` lists them, as curl does;
/// `response_code` is curl's other name for `http_code`.
pub const VARS: &[(&str, Var)] = &[
    ("content_type", Var::ContentType),
    ("errormsg", Var::ErrorMsg),
    ("exitcode", Var::ExitCode),
    ("http_code", Var::HttpCode),
    ("http_version", Var::HttpVersion),
    ("local_ip", Var::LocalIp),
    ("local_port", Var::LocalPort),
    ("method", Var::Method),
    ("num_redirects", Var::NumRedirects),
    ("remote_ip", Var::RemoteIp),
    ("remote_port", Var::RemotePort),
    ("response_code", Var::HttpCode),
    ("size_download", Var::SizeDownload),
    ("size_header", Var::SizeHeader),
    ("size_request", Var::SizeRequest),
    ("size_upload", Var::SizeUpload),
    ("speed_download", Var::SpeedDownload),
    ("time_appconnect", Var::TimeAppconnect),
    ("time_connect", Var::TimeConnect),
    ("time_namelookup", Var::TimeNamelookup),
    ("time_pretransfer", Var::TimePretransfer),
    ("time_redirect", Var::TimeRedirect),
    ("time_starttransfer", Var::TimeStarttransfer),
    ("time_total", Var::TimeTotal),
    ("url", Var::Url),
    ("url_effective", Var::UrlEffective),
];

/// Where the following text goes: `%{stdout}` (the default) or `%{stderr}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(Vec<u8>),
    Var(Var),
    /// `%header{name}`: the final response's header (its first value, as curl 7.88 has it).
    Header(String),
    /// `%{json}`: every variable as one JSON object.
    Json,
    /// Switch the stream the rest is written to.
    To(Stream),
}

/// A parsed `--write-out` format, with the text it came from (for `--as=curl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub pieces: Vec<Piece>,
    pub source: String,
}

/// Parse a format; an unknown `%{variable}` is the error, naming it.
pub fn parse(text: &str) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut buf = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'%', Some(b'%')) => {
                buf.push(b'%');
                i += 2;
            }
            (b'%', Some(_)) => match directive(&text[i + 1..])? {
                Some((piece, used)) => {
                    flush(&mut buf, &mut pieces);
                    pieces.push(piece);
                    i += 1 + used;
                }
                None => {
                    buf.push(b'%');
                    i += 1;
                }
            },
            (b'\\', Some(&c)) if matches!(c, b'n' | b'r' | b't' | b'\\') => {
                buf.push(match c {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => b'\\',
                });
                i += 2;
            }
            (c, _) => {
                buf.push(c);
                i += 1;
            }
        }
    }
    flush(&mut buf, &mut pieces);
    Ok(Template {
        pieces,
        source: text.to_string(),
    })
}

fn flush(buf: &mut Vec<u8>, pieces: &mut Vec<Piece>) {
    if !buf.is_empty() {
        pieces.push(Piece::Text(std::mem::take(buf)));
    }
}

/// After a `%`: `{name}` or `header{name}`, and the bytes it took; None when it is text (no
/// brace, or none closing).
fn directive(rest: &str) -> Result<Option<(Piece, usize)>, String> {
    let (header, inner) = match rest.strip_prefix("header{") {
        Some(r) => (true, r),
        None => match rest.strip_prefix('{') {
            Some(r) => (false, r),
            None => return Ok(None),
        },
    };
    let Some(end) = inner.find('}') else {
        return Ok(None);
    };
    let name = &inner[..end];
    let used = rest.len() - inner.len() + end + 1;
    if header {
        return Ok(Some((Piece::Header(name.to_string()), used)));
    }
    let piece = match name {
        "json" => Piece::Json,
        "stdout" => Piece::To(Stream::Stdout),
        "stderr" => Piece::To(Stream::Stderr),
        _ => match VARS.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => Piece::Var(*v),
            None => {
                let shown = crate::output::visible(name.as_bytes());
                return Err(format!("unknown --write-out variable '%{{{shown}}}'"));
            }
        },
    };
    Ok(Some((piece, used)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str) -> Vec<Piece> {
        parse(s).unwrap().pieces
    }

    fn text(s: &str) -> Piece {
        Piece::Text(s.as_bytes().to_vec())
    }

    #[test]
    fn variables_headers_and_text() {
        assert_eq!(
            pieces("code=%{http_code} %header{Content-Type}\n"),
            [
                text("code="),
                Piece::Var(Var::HttpCode),
                text(" "),
                Piece::Header("Content-Type".into()),
                text("\n"),
            ]
        );
        assert_eq!(pieces("%{response_code}"), [Piece::Var(Var::HttpCode)]);
        assert_eq!(
            pieces("%{json}%{stderr}x%{stdout}"),
            [
                Piece::Json,
                Piece::To(Stream::Stderr),
                text("x"),
                Piece::To(Stream::Stdout)
            ]
        );
    }

    #[test]
    fn escapes_and_percent_signs() {
        assert_eq!(pieces(r"a\nb\tc\rd\\e"), [text("a\nb\tc\rd\\e")]);
        assert_eq!(pieces(r"\q"), [text(r"\q")], "unknown escapes stay");
        assert_eq!(pieces("100%% %d %"), [text("100% %d %")]);
        assert_eq!(pieces("%{http_code"), [text("%{http_code")], "unclosed");
        assert_eq!(pieces(""), []);
    }

    #[test]
    fn every_variable_parses_and_unknown_ones_are_named() {
        for (name, var) in VARS {
            assert_eq!(
                pieces(&format!("%{{{name}}}")),
                [Piece::Var(*var)],
                "{name}"
            );
        }
        let names: Vec<&str> = VARS.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "json lists them in order");
        let e = parse("x %{nope}").unwrap_err();
        assert_eq!(e, "unknown --write-out variable '%{nope}'");
        assert_eq!(parse("é%{url}é").unwrap().source, "é%{url}é");
    }
}
