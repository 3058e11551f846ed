//! Everything written to stdout (or `-o FILE`): request and response heads, bodies, meta,
//! and the separators between them. Styles and options are resolved once, here.

pub mod body;
pub mod convert;
pub mod heads;
pub mod json;
pub mod markup;
pub mod meta;
pub mod options;
pub mod theme;
pub mod writeout;
pub mod xml;

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Result;

use crate::cli::values::PrintSet;
use crate::message::Response;
use crate::prepare::PreparedRequest;
use crate::spec::OutputSpec;
use body::{BodyStyle, Written};
use heads::{Head, HeadStyle};
use options::FormatOptions;
use theme::{Style, Theme};

/// Bidirectional embeddings, overrides and isolates: they reorder what follows them, so a
/// name or message could display as something it is not ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from the network or the user made safe for a terminal: invalid UTF-8 replaced,
/// control characters shown as `\xNN` (C1 and bidi controls as `\u{NN}`) instead of being
/// executed. Newlines and tabs stay; a carriage return only as part of CRLF. Every such
/// string that reaches a terminal (bodies, heads, errors, warnings, notes) goes through here.
pub fn visible(bytes: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(bytes);
    let risky = |c: char| {
        (c.is_control() && c != '\n' && c != '\t' && c != '\r')
            || ('\u{80}'..='\u{9f}').contains(&c)
            || is_bidi_control(c)
    };
    if !text.chars().any(|c| risky(c) || c == '\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push_str("\\r");
        } else if risky(c) {
            if (c as u32) < 0x80 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes messages in order, with HTTPie's separators: a body is followed by a blank line
/// only when something else follows it; output to a terminal always ends with a newline.
pub struct Printer<'a> {
    out: Tracked,
    spec: &'a OutputSpec,
    theme: Option<Theme>,
    options: FormatOptions,
    /// A body was written and did (true) or did not end with a newline.
    after_body: Option<bool>,
}

impl<'a> Printer<'a> {
    /// Resolve styles and options; errors here are usage errors (bad --style, bad option).
    pub fn new(out: Box<dyn Write + Send>, spec: &'a OutputSpec) -> Result<Printer<'a>> {
        let options =
            FormatOptions::parse(&spec.format_options, spec.sorted).map_err(crate::error::usage)?;
        let style = match spec.style.as_deref() {
            None => Style::Auto,
            Some(name) => Style::from_name(name).ok_or_else(|| {
                crate::error::usage(format!(
                    "unknown --style '{name}': choose one of {}",
                    Style::names().join(", ")
                ))
            })?,
        };
        // Themes cost a little to build: only when colours are on.
        let theme = spec.colors.then(|| Theme::new(style));
        Ok(Printer {
            out: Tracked {
                inner: Arc::new(Mutex::new(out)),
                last: None,
            },
            spec,
            theme,
            options,
            after_body: None,
        })
    }

    fn separate(&mut self) -> io::Result<()> {
        match self.after_body.take() {
            Some(true) => self.out.write_all(b"\n"),
            Some(false) => self.out.write_all(b"\n\n"),
            None => Ok(()),
        }
    }

    fn head_style(&self) -> HeadStyle<'_> {
        HeadStyle {
            theme: self.theme.as_ref(),
            terminal: self.spec.to_terminal,
            sort: self.options.headers_sort,
        }
    }

    fn body_done(&mut self, w: &Written) -> io::Result<()> {
        if w.binary_suppressed {
            let notice = theme_wrap(self.theme.as_ref().map(|t| &t.notice), body::BINARY_NOTICE);
            self.out.write_all(&notice)?;
            self.after_body = Some(false);
        } else if w.bytes > 0 {
            self.after_body = Some(w.ended_with_newline);
        }
        Ok(())
    }

    /// Print the request head and/or body as selected.
    pub fn request(&mut self, req: &PreparedRequest, print: PrintSet) -> Result<()> {
        if print.request_headers {
            self.separate()?;
            // As sent: absolute form and `Proxy-Authorization` on a hop to an HTTP proxy;
            // over HTTP/2, the lines HTTP/2 carries (`PreparedRequest::h2_head`).
            let (headers, version) = match req.http2 {
                true => (Cow::Owned(req.h2_head().headers), "HTTP/2"),
                false => (req.sent_headers(), "HTTP/1.1"),
            };
            let head = Head {
                first: [&req.method, &req.request_target(), version],
                status: None,
                headers: &headers,
            };
            let bytes = heads::render(&head, self.head_style());
            self.out.write_all(&bytes)?;
        }
        if print.request_body && !req.body.is_empty() {
            self.separate()?;
            let (mime, charset) = content_type(req.header("content-type"));
            let mut reader = req.body.reader()?;
            let compressed = req.header("content-encoding").is_some();
            let w = if compressed && self.spec.to_terminal {
                Written {
                    binary_suppressed: true,
                    ..Written::default()
                }
            } else {
                self.write_body(&mut reader, mime.as_deref(), charset.as_deref())?
            };
            self.body_done(&w)?;
        }
        Ok(())
    }

    pub fn response_head(&mut self, resp: &Response) -> Result<()> {
        self.separate()?;
        let code = resp.status.to_string();
        let head = Head {
            first: [&resp.version, &code, &resp.reason],
            status: Some(resp.status),
            headers: &resp.headers,
        };
        let bytes = heads::render(&head, self.head_style());
        self.out.write_all(&bytes)?;
        Ok(())
    }

    /// Show a response body; `reader` yields the decoded content.
    pub fn response_body(
        &mut self,
        resp: &Response,
        reader: &mut dyn io::Read,
    ) -> io::Result<Written> {
        self.separate()?;
        let (mime, charset) = content_type(resp.header("content-type"));
        let mime = self.spec.response_mime.clone().or(mime);
        let charset = self.spec.response_charset.clone().or(charset);
        let w = self.write_body(reader, mime.as_deref(), charset.as_deref())?;
        self.body_done(&w)?;
        if w.binary_suppressed {
            // The notice is shown; the rest is still checked for a cut or corrupt transfer.
            body::drain(reader)?;
        }
        Ok(w)
    }

    /// The `--meta` block, timed up to `now`: a waterfall on a terminal, else plain text.
    pub fn meta(
        &mut self,
        timings: &crate::message::Timings,
        now: std::time::Instant,
    ) -> Result<()> {
        self.separate()?;
        let bytes = if self.spec.to_terminal {
            let width = terminal_width().unwrap_or(80).min(meta::MAX_WIDTH);
            meta::waterfall(timings, now, width, self.theme.as_ref()).into_bytes()
        } else {
            let text = meta::text(timings, now);
            theme_wrap(self.theme.as_ref().map(|t| &t.meta), &text)
        };
        self.out.write_all(&bytes)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Show an intermediate or final exchange's response as selected by `print`.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// End the output: a terminal gets a final newline after a body that lacked one.
    pub fn finish(&mut self) -> io::Result<()> {
        // Also after an error cut a body short, so the error starts on its own line.
        if self.spec.to_terminal && self.out.last.is_some_and(|b| b != b'\n') {
            self.out.write_all(b"\n")?;
        }
        self.after_body = None;
        self.out.flush()
    }

    pub fn theme(&self) -> Option<&Theme> {
        self.theme.as_ref()
    }
}

/// The width of the terminal on stdout, else on stderr (with `--download` the heads go there).
fn terminal_width() -> Option<usize> {
    [libc::STDOUT_FILENO, libc::STDERR_FILENO]
        .into_iter()
        .find_map(|fd| {
            let mut size = libc::winsize {
                ws_row: 0,
                ws_col: 0,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, which is valid.
            let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0;
            (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
        })
}

/// The output, remembering the last byte written (for the final newline on terminals). It is
/// shared with [`Printer::flusher`], which the client calls before it waits for the network.
struct Tracked {
    inner: Arc<Mutex<Box<dyn Write + Send>>>,
    last: Option<u8>,
}

fn locked(out: &Mutex<Box<dyn Write + Send>>) -> MutexGuard<'_, Box<dyn Write + Send>> {
    // A panic elsewhere cannot leave a writer half-updated in a way that matters here.
    out.lock().unwrap_or_else(|e| e.into_inner())
}

impl Write for Tracked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = locked(&self.inner).write(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        locked(&self.inner).flush()
    }
}

impl Printer<'_> {
    /// Flushes what was written so far. The client calls it when a read is about to wait for
    /// the network, so a head or the start of a body shows at once on a slow response, and
    /// Ctrl-C loses nothing already formatted. Errors are left for the next write to report.
    pub fn flusher(&self) -> Box<dyn Fn() + Send + Sync> {
        let out = self.out.inner.clone();
        Box::new(move || {
            if let Ok(mut o) = out.try_lock() {
                let _ = o.flush();
            }
        })
    }
}

impl Printer<'_> {
    /// Write a body styled for its MIME type and charset.
    fn write_body(
        &mut self,
        reader: &mut dyn io::Read,
        mime: Option<&str>,
        charset: Option<&str>,
    ) -> io::Result<Written> {
        let (spec, options) = (self.spec, &self.options);
        let style = BodyStyle {
            terminal: spec.to_terminal,
            format: spec.format && options.json_format,
            theme: self.theme.as_ref(),
            indent: options.json_indent,
            sort_keys: options.json_sort_keys,
            stream: spec.stream || mime == Some("text/event-stream"),
            mime,
            charset,
            force_json: spec.force_json,
            xml_indent: options.xml_format.then_some(options.xml_indent),
        };
        body::write_body(reader, &mut self.out, &style)
    }
}

fn theme_wrap(paint: Option<&theme::Paint>, text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    match paint {
        Some(p) => p.wrap(&mut out, text.as_bytes()),
        None => out.extend_from_slice(text.as_bytes()),
    }
    out
}

/// `Content-Type` split into a lower-cased MIME type and its charset parameter.
pub fn content_type(value: Option<&[u8]>) -> (Option<String>, Option<String>) {
    let Some(v) = value.and_then(|v| std::str::from_utf8(v).ok()) else {
        return (None, None);
    };
    let mut parts = v.split(';');
    let mime = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, val) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| val.trim().trim_matches('"').to_string())
    });
    (mime, charset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_neutralises_controls() {
        assert_eq!(visible(b"plain\ttext\r\n"), "plain\ttext\r\n");
        assert_eq!(visible(b"\x1b[2Jx\x07\r"), "\\x1b[2Jx\\x07\\r");
        assert_eq!(visible("a\u{9b}b".as_bytes()), "a\\u{9b}b");
        assert_eq!(visible("a\u{202e}b".as_bytes()), "a\\u{202e}b");
        assert_eq!(visible(b"\xff"), "\u{fffd}");
    }

    #[test]
    fn content_type_parts() {
        assert_eq!(
            content_type(Some(b"Application/JSON; Charset=\"latin1\"")),
            (Some("application/json".into()), Some("latin1".into()))
        );
        assert_eq!(content_type(None), (None, None));
    }
}
