//! Request and response heads as bytes (pure): the request line or status line, then the
//! header lines, CRLF-terminated like the wire. On a terminal, text from the network is made
//! safe (control characters shown, never executed) and optionally coloured.

use super::theme::{Paint, Theme};
use super::visible;

/// A head to print: the first line's three parts and the header lines.
pub struct Head<'a> {
    /// Request: method, target, version. Response: version, status code, reason.
    pub first: [&'a str; 3],
    pub status: Option<u16>,
    pub headers: &'a [(String, Vec<u8>)],
}

/// How to render heads.
#[derive(Clone, Copy)]
pub struct HeadStyle<'a> {
    pub theme: Option<&'a Theme>,
    /// Neutralise control characters (output goes to a terminal).
    pub terminal: bool,
    /// `headers.sort`: stable sort by name.
    pub sort: bool,
}

fn paint(out: &mut Vec<u8>, p: Option<&Paint>, text: &[u8]) {
    match p {
        Some(p) => p.wrap(out, text),
        None => out.extend_from_slice(text),
    }
}

fn text<'b>(bytes: &'b [u8], terminal: bool) -> std::borrow::Cow<'b, [u8]> {
    if terminal {
        std::borrow::Cow::Owned(visible(bytes).into_owned().into_bytes())
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

/// Render a head, ending with the blank line.
pub fn render(head: &Head, style: HeadStyle) -> Vec<u8> {
    let t = style.theme;
    let mut out = Vec::with_capacity(256);
    let [a, b, c] = head.first;
    match head.status {
        None => {
            paint(
                &mut out,
                t.map(|t| &t.method),
                &text(a.as_bytes(), style.terminal),
            );
            out.push(b' ');
            paint(
                &mut out,
                t.map(|t| &t.url),
                &text(b.as_bytes(), style.terminal),
            );
            out.push(b' ');
            paint(&mut out, t.map(|t| &t.version), c.as_bytes());
        }
        Some(code) => {
            paint(&mut out, t.map(|t| &t.version), a.as_bytes());
            out.push(b' ');
            paint(&mut out, t.map(|t| t.status(code)), b.as_bytes());
            if !c.is_empty() {
                out.push(b' ');
                paint(
                    &mut out,
                    t.map(|t| t.status(code)),
                    &text(c.as_bytes(), style.terminal),
                );
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    let mut lines: Vec<&(String, Vec<u8>)> = head.headers.iter().collect();
    if style.sort {
        lines.sort_by_key(|(n, _)| n.to_ascii_lowercase());
    }
    for (name, value) in lines {
        paint(
            &mut out,
            t.map(|t| &t.header_name),
            &text(name.as_bytes(), style.terminal),
        );
        out.extend_from_slice(b": ");
        paint(
            &mut out,
            t.map(|t| &t.header_value),
            &text(value, style.terminal),
        );
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::theme::{Style, Theme};

    fn headers() -> Vec<(String, Vec<u8>)> {
        vec![
            ("Zed".into(), b"1".to_vec()),
            ("Set-Cookie".into(), b"a=1".to_vec()),
            ("set-cookie".into(), b"b=2".to_vec()),
            ("X-Evil".into(), b"\x1b[31mred\x07".to_vec()),
        ]
    }

    #[test]
    fn plain_response_head_is_byte_exact() {
        let h = headers();
        let head = Head {
            first: ["HTTP/1.1", "200", "OK"],
            status: Some(200),
            headers: &h,
        };
        let out = render(
            &head,
            HeadStyle {
                theme: None,
                terminal: false,
                sort: false,
            },
        );
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nZed: 1\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Evil: \x1b[31mred\x07\r\n\r\n"
        );
    }

    #[test]
    fn terminal_head_neutralises_and_sorts() {
        let h = headers();
        let head = Head {
            first: ["HTTP/1.1", "404", ""],
            status: Some(404),
            headers: &h,
        };
        let out = render(
            &head,
            HeadStyle {
                theme: None,
                terminal: true,
                sort: true,
            },
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 404\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Evil: \\x1b[31mred\\x07\r\nZed: 1\r\n\r\n"
        );
    }

    #[test]
    fn request_head_coloured() {
        let h = vec![("Host".to_string(), b"x".to_vec())];
        let theme = Theme::new(Style::Auto);
        let head = Head {
            first: ["GET", "/a", "HTTP/1.1"],
            status: None,
            headers: &h,
        };
        let out = render(
            &head,
            HeadStyle {
                theme: Some(&theme),
                terminal: true,
                sort: false,
            },
        );
        let mut want = Vec::new();
        theme.method.wrap(&mut want, b"GET");
        want.push(b' ');
        theme.url.wrap(&mut want, b"/a");
        want.push(b' ');
        theme.version.wrap(&mut want, b"HTTP/1.1");
        want.extend_from_slice(b"\r\n");
        theme.header_name.wrap(&mut want, b"Host");
        want.extend_from_slice(b": ");
        theme.header_value.wrap(&mut want, b"x");
        want.extend_from_slice(b"\r\n\r\n");
        assert_eq!(out, want);
    }
}
