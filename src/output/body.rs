//! Response and request bodies on their way to the output: raw copy when nothing is asked
//! of them, else charset decoding, control-character neutralising on terminals, the binary
//! notice, JSON formatting, and line-by-line streaming. Memory stays bounded.

use std::io::{self, Read, Write};

use super::json::{self, JsonOptions};
use super::markup::Highlighter;
use super::theme::Theme;
use super::visible;

/// Bodies up to this size are formatted from memory, so invalid JSON is shown exactly as
/// received; larger ones are formatted as they stream.
const BUFFERED_FORMAT_LIMIT: usize = 1 << 20;
const CHUNK: usize = 128 * 1024;

pub const BINARY_NOTICE: &str = "+-----------------------------------------+\n\
                                 | NOTE: binary data not shown in terminal |\n\
                                 +-----------------------------------------+";

/// How to show one body.
#[derive(Clone, Copy)]
pub struct BodyStyle<'a> {
    pub terminal: bool,
    pub format: bool,
    pub theme: Option<&'a Theme>,
    pub indent: usize,
    pub sort_keys: bool,
    /// `--stream`: line by line, flushed.
    pub stream: bool,
    /// Lower-cased MIME type (`--response-mime` or Content-Type without parameters).
    pub mime: Option<&'a str>,
    /// `--response-charset` or the Content-Type charset.
    pub charset: Option<&'a str>,
    pub force_json: bool,
    /// `xml.format` on: the XML indent.
    pub xml_indent: Option<usize>,
}

impl BodyStyle<'_> {
    /// Nothing to do but copy bytes.
    fn is_raw(&self) -> bool {
        !self.terminal && !self.format && self.theme.is_none()
    }
}

/// What the body turned out to be, for the caller's separators.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    pub ended_with_newline: bool,
    pub binary_suppressed: bool,
}

/// A reader that retries reads a signal interrupted. (Read errors themselves need no marking:
/// a response body's errors carry their `Failure`, which tells them from write errors.)
struct Uninterrupted<R>(R);

impl<R: Read> Read for Uninterrupted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    r.read(buf)
}

/// Show a body. `reader` yields the content (content-encoding already undone).
pub fn write_body(
    reader: &mut dyn Read,
    out: &mut dyn Write,
    style: &BodyStyle,
) -> io::Result<Written> {
    let mut reader = Uninterrupted(reader);
    if style.is_raw() && !style.stream {
        return copy_raw(&mut reader, out, false);
    }
    let mut first = vec![0u8; 64 * 1024];
    let n = read_some(&mut reader, &mut first)?;
    first.truncate(n);
    if n == 0 {
        return Ok(Written::default());
    }
    // Binary (a NUL, as HTTPie judges it): never decoded as text. Shown as received only
    // when nothing is done to the body (redirected, `--pretty=none`); else the notice, as
    // HTTPie prints it, on a terminal or not.
    if !style.is_raw() && first.contains(&0) {
        return Ok(Written {
            binary_suppressed: true,
            ..Written::default()
        });
    }
    if style.is_raw() {
        // Raw but streamed: flush each chunk as it comes.
        out.write_all(&first)?;
        out.flush()?;
        let mut w = copy_raw(&mut reader, out, true)?;
        w.bytes += n as u64;
        if w.bytes == n as u64 {
            w.ended_with_newline = first.ends_with(b"\n");
        }
        return Ok(w);
    }
    let json_kind = is_json(style, &first);
    if style.stream {
        return write_lines(first, &mut reader, out, style, json_kind);
    }
    if json_kind && style.format {
        return write_json(first, &mut reader, out, style);
    }
    if json_kind {
        if let Some(theme) = style.theme {
            return write_coloured_json(first, &mut reader, out, style, theme);
        }
    }
    if let (Some(indent), true) = (style.xml_indent, style.format && is_xml(style.mime)) {
        return write_xml(first, &mut reader, out, style, indent);
    }
    write_text(first, &mut reader, out, style)
}

/// A binary body is not shown on a terminal, but the rest of a small one is still read so a
/// cut connection or a corrupt encoding is reported rather than passed off as success; a
/// large one is dropped unread (the point of the notice is not to download it).
pub fn drain(reader: &mut dyn Read) -> io::Result<()> {
    const CHECK_UP_TO: u64 = 1 << 20;
    io::copy(&mut reader.take(CHECK_UP_TO), &mut io::sink()).map(|_| ())
}

/// Copy bytes as they are; `flush` each chunk when streaming.
fn copy_raw(reader: &mut dyn Read, out: &mut dyn Write, flush: bool) -> io::Result<Written> {
    let mut buf = vec![0u8; CHUNK];
    let mut w = Written::default();
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(w);
        }
        out.write_all(&buf[..n])?;
        if flush {
            out.flush()?;
        }
        w.bytes += n as u64;
        w.ended_with_newline = buf[n - 1] == b'\n';
    }
}

/// JSON by MIME type (`json`, `+json`, `javascript`), or a `text/*`, untyped or `--json`
/// body that looks like JSON.
fn is_json(style: &BodyStyle, prefix: &[u8]) -> bool {
    match style.mime {
        Some(m) if m.contains("json") || m.contains("javascript") => true,
        Some(m) if m.starts_with("text/") => json::looks_like_json(prefix),
        None => json::looks_like_json(prefix),
        Some(_) => style.force_json && json::looks_like_json(prefix),
    }
}

fn is_xml(mime: Option<&str>) -> bool {
    mime.is_some_and(|m| m.ends_with("/xml") || m.ends_with("+xml"))
}

/// HTML, or XML shown as received (not re-indented, or not well-formed): coloured by the
/// markup lexer.
fn is_markup(mime: Option<&str>) -> bool {
    is_xml(mime) || mime == Some("text/html")
}

/// `--pretty=colors`: colours without re-indenting. Up to the buffer limit, invalid JSON is
/// shown exactly as received; past it, the coloured part stands and the rest follows as text.
fn write_coloured_json(
    mut buf: Vec<u8>,
    reader: &mut dyn Read,
    out: &mut dyn Write,
    style: &BodyStyle,
    theme: &Theme,
) -> io::Result<Written> {
    let complete = fill(&mut buf, reader, BUFFERED_FORMAT_LIMIT)?;
    if complete {
        let mut coloured = Vec::with_capacity(buf.len() * 2);
        let result = json::colorize_stream(&buf[..], &mut coloured, theme).map(|()| coloured);
        let newline = buf.ends_with(b"\n");
        return write_buffered(buf, result, newline, out, style);
    }
    let bytes = buf.len() as u64;
    let mut input = io::Cursor::new(buf).chain(reader);
    let mut unread = Vec::new();
    match json::colorize_stream_resumable(&mut input, out, theme, &mut unread) {
        Ok(()) => Ok(Written {
            bytes,
            ..Written::default()
        }),
        Err(json::JsonError::Io(e)) => Err(e),
        Err(e) => {
            if let Some(note) = too_large_note(&e) {
                out.write_all(note.as_bytes())?;
            }
            let mut rest = io::Cursor::new(unread).chain(input);
            write_text(Vec::new(), &mut rest, out, style)
        }
    }
}

/// A whole body formatted in memory: the result, or the body as received when formatting
/// failed (with a note when it stopped at the output bound).
fn write_buffered(
    buf: Vec<u8>,
    result: Result<Vec<u8>, json::JsonError>,
    ended_with_newline: bool,
    out: &mut dyn Write,
    style: &BodyStyle,
) -> io::Result<Written> {
    match result {
        Ok(formatted) => {
            out.write_all(&formatted)?;
            Ok(Written {
                bytes: buf.len() as u64,
                ended_with_newline,
                binary_suppressed: false,
            })
        }
        Err(e) => raw_with_note(buf, out, style, too_large_note(&e)),
    }
}

/// A body shown as received (after formatting gave up on it), then the note saying why.
fn raw_with_note(
    buf: Vec<u8>,
    out: &mut dyn Write,
    style: &BodyStyle,
    note: Option<String>,
) -> io::Result<Written> {
    let w = write_text(buf, &mut io::empty(), out, style)?;
    match note {
        Some(note) => {
            out.write_all(note.as_bytes())?;
            Ok(Written {
                ended_with_newline: true,
                ..w
            })
        }
        None => Ok(w),
    }
}

/// The line that says formatting stopped because its output would have been too large.
fn too_large_note(e: &json::JsonError) -> Option<String> {
    matches!(e, json::JsonError::TooLarge { .. }).then(|| {
        "\n[http: formatting stopped: the formatted body would be many times larger than \
         received (deep nesting); the rest is shown as received]\n"
            .to_string()
    })
}

/// XML re-indented when it parses (bodies up to the buffer limit), else shown as received.
fn write_xml(
    mut buf: Vec<u8>,
    reader: &mut dyn Read,
    out: &mut dyn Write,
    style: &BodyStyle,
    indent: usize,
) -> io::Result<Written> {
    if !fill(&mut buf, reader, BUFFERED_FORMAT_LIMIT)? {
        return write_text(buf, reader, out, style);
    }
    match super::xml::format_xml(&buf, indent, style.theme) {
        Some(formatted) => {
            out.write_all(&formatted)?;
            Ok(Written {
                bytes: buf.len() as u64,
                ..Written::default()
            })
        }
        None => write_text(buf, &mut io::empty(), out, style),
    }
}

fn json_opts<'a>(style: &BodyStyle<'a>) -> JsonOptions<'a> {
    JsonOptions {
        indent: style.indent,
        theme: style.theme,
    }
}

fn format_buffered(body: &[u8], style: &BodyStyle) -> Result<Vec<u8>, json::JsonError> {
    if style.sort_keys {
        let mut out = Vec::new();
        json::format_sorted(body, &mut out, &json_opts(style))?;
        Ok(out)
    } else {
        json::format_slice(body, &json_opts(style))
    }
}

/// Bodies up to the buffer limit are formatted in memory (sorted with `--sorted`); larger
/// ones stream, unsorted (sorting needs the whole document in memory: a note says so).
fn write_json(
    mut buf: Vec<u8>,
    reader: &mut dyn Read,
    out: &mut dyn Write,
    style: &BodyStyle,
) -> io::Result<Written> {
    // Fill up to the limit: most bodies end here and are formatted from memory.
    let complete = fill(&mut buf, reader, BUFFERED_FORMAT_LIMIT)?;
    if complete {
        let result = format_buffered(&buf, style);
        let newline = result.as_ref().is_ok_and(|f| f.ends_with(b"\n"));
        return write_buffered(buf, result, newline, out, style);
    }
    let bytes = buf.len() as u64;
    let mut input = io::Cursor::new(buf).chain(reader);
    let mut unread = Vec::new();
    match json::format_stream_resumable(&mut input, out, &json_opts(style), &mut unread) {
        Ok(()) => {
            if style.sort_keys {
                out.write_all(SORT_LIMIT_NOTE.as_bytes())?;
            }
            Ok(Written {
                bytes,
                ended_with_newline: style.sort_keys,
                ..Written::default()
            })
        }
        Err(json::JsonError::Io(e)) => Err(e),
        Err(e) => {
            // Already partly written: say so and show the rest as received.
            let note = too_large_note(&e).unwrap_or_else(|| format!("\n[http: the body stops being valid JSON here ({e}); the rest is shown as received]\n"));
            out.write_all(note.as_bytes())?;
            let mut rest = io::Cursor::new(unread).chain(input);
            write_text(Vec::new(), &mut rest, out, style)
        }
    }
}

/// Said after a body too large for `--sorted`.
const SORT_LIMIT_NOTE: &str =
    "\n[http: not sorted: --sorted sorts bodies up to 1 MiB; larger ones keep their order]\n";

/// Read until `buf` holds `limit` bytes or the reader ends; true when it ended.
fn fill(buf: &mut Vec<u8>, reader: &mut dyn Read, limit: usize) -> io::Result<bool> {
    let mut chunk = vec![0u8; CHUNK];
    while buf.len() < limit {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(true);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(false)
}

/// No declared charset: UTF-8 when the start of the body is valid UTF-8 (a sequence cut at
/// the end of the sample is fine), else chardetng's guess (legacy single-byte and CJK
/// encodings).
fn detect(prefix: &[u8]) -> &'static encoding_rs::Encoding {
    match std::str::from_utf8(prefix) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(prefix, false);
            detector.guess(None, true)
        }
    }
}

/// A streaming charset decoder to UTF-8, neutralising controls on a terminal and colouring
/// markup when asked.
struct TextDecoder<'t> {
    decoder: encoding_rs::Decoder,
    terminal: bool,
    markup: Option<Highlighter<'t>>,
}

impl<'t> TextDecoder<'t> {
    fn new(style: &BodyStyle<'t>, prefix: &[u8]) -> TextDecoder<'t> {
        let encoding = style
            .charset
            .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
            .or_else(|| encoding_rs::Encoding::for_bom(prefix).map(|(e, _)| e))
            .unwrap_or_else(|| detect(prefix));
        let markup = style
            .theme
            .filter(|_| is_markup(style.mime))
            .map(Highlighter::new);
        TextDecoder {
            decoder: encoding.new_decoder_with_bom_removal(),
            terminal: style.terminal,
            markup,
        }
    }

    fn push(&mut self, bytes: &[u8], last: bool, out: &mut dyn Write) -> io::Result<bool> {
        let mut text = String::with_capacity(
            self.decoder
                .max_utf8_buffer_length(bytes.len())
                .unwrap_or(bytes.len() * 3),
        );
        let (_, _, _) = self.decoder.decode_to_string(bytes, &mut text, last);
        let shown = if self.terminal {
            visible(text.as_bytes())
        } else {
            text.as_str().into()
        };
        match &mut self.markup {
            Some(markup) => {
                let mut coloured = Vec::with_capacity(shown.len() * 2);
                markup.feed(&shown, &mut coloured);
                if last {
                    markup.finish(&mut coloured);
                }
                out.write_all(&coloured)?;
            }
            None => out.write_all(shown.as_bytes())?,
        }
        Ok(text.ends_with('\n'))
    }
}

fn write_text(
    first: Vec<u8>,
    reader: &mut dyn Read,
    out: &mut dyn Write,
    style: &BodyStyle,
) -> io::Result<Written> {
    let mut dec = TextDecoder::new(style, &first);
    let mut w = Written {
        bytes: first.len() as u64,
        ..Written::default()
    };
    if !first.is_empty() {
        w.ended_with_newline = dec.push(&first, false, out)?;
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            dec.push(&[], true, out)?;
            return Ok(w);
        }
        if style.terminal && buf[..n].contains(&0) {
            out.write_all(b"\n")?;
            return Ok(Written {
                binary_suppressed: true,
                ..w
            });
        }
        w.bytes += n as u64;
        w.ended_with_newline = dec.push(&buf[..n], false, out)?;
    }
}

/// `--stream`: every complete line is shown (formatted when it is JSON) and flushed as soon
/// as it arrives; a partial line is shown as it is rather than held back.
fn write_lines(
    first: Vec<u8>,
    reader: &mut dyn Read,
    out: &mut dyn Write,
    style: &BodyStyle,
    json_kind: bool,
) -> io::Result<Written> {
    let mut dec = TextDecoder::new(style, &first);
    let lines_json = lines_may_be_json(style, json_kind);
    let mut w = Written::default();
    let mut pending: Vec<u8> = Vec::new();
    // True while the current line was already partly printed raw.
    let mut line_started = false;
    let mut chunk = first;
    let mut buf = vec![0u8; CHUNK];
    loop {
        if chunk.is_empty() {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            chunk = buf[..n].to_vec();
        }
        w.bytes += chunk.len() as u64;
        pending.extend_from_slice(&chunk);
        chunk.clear();
        while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            let formatted = (!line_started && lines_json && style.format)
                .then(|| format_line(&line, style))
                .flatten();
            match formatted {
                Some(f) => {
                    out.write_all(&f)?;
                    out.write_all(b"\n")?;
                }
                None => {
                    dec.push(&line, false, out)?;
                }
            }
            line_started = false;
        }
        if !pending.is_empty() {
            dec.push(&pending, false, out)?;
            pending.clear();
            line_started = true;
        }
        out.flush()?;
        w.ended_with_newline = !line_started;
    }
    dec.push(&[], true, out)?;
    out.flush()?;
    Ok(w)
}

/// Whether `--stream` lines are tried as JSON: a JSON type, SSE, or wherever a whole body
/// would be sniffed for JSON (untyped, `text/*`, `--json`): NDJSON served as text/plain, as
/// in HTTPie.
fn lines_may_be_json(style: &BodyStyle, json_kind: bool) -> bool {
    let sse = style.mime == Some("text/event-stream");
    let sniffed = match style.mime {
        None => true,
        Some(m) => m.starts_with("text/") || style.force_json,
    };
    json_kind || sse || sniffed
}

fn format_line(line: &[u8], style: &BodyStyle) -> Option<Vec<u8>> {
    let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    if trimmed.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    // Server-sent events: format the JSON after `data:`.
    if let Some(data) = trimmed.strip_prefix(b"data:") {
        let data = data.strip_prefix(b" ").unwrap_or(data);
        let formatted = format_buffered(data, style).ok()?;
        let mut out = b"data: ".to_vec();
        out.extend_from_slice(&formatted);
        return Some(out);
    }
    format_buffered(trimmed, style).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style<'a>() -> BodyStyle<'a> {
        BodyStyle {
            terminal: false,
            format: false,
            theme: None,
            indent: 4,
            sort_keys: false,
            stream: false,
            mime: None,
            charset: None,
            force_json: false,
            xml_indent: Some(2),
        }
    }

    fn show(body: &[u8], s: &BodyStyle) -> (String, Written) {
        let mut out = Vec::new();
        let w = write_body(&mut &body[..], &mut out, s).unwrap();
        (String::from_utf8_lossy(&out).into_owned(), w)
    }

    #[test]
    fn raw_is_byte_exact() {
        let body = b"\x1b[31m\x00\xff{\"a\":1}";
        let mut out = Vec::new();
        write_body(&mut &body[..], &mut out, &style()).unwrap();
        assert_eq!(out, body);
    }

    #[test]
    fn terminal_binary_is_suppressed_and_text_neutralised() {
        let s = BodyStyle {
            terminal: true,
            ..style()
        };
        let (out, w) = show(b"ab\x00cd", &s);
        assert!(w.binary_suppressed);
        assert_eq!(out, "");
        let (out, _) = show(b"hi \x1b[2J there\n", &s);
        assert_eq!(out, "hi \\x1b[2J there\n");
    }

    /// Formatting to a pipe: a binary body is not decoded as text either (it would come out
    /// as windows-1252 turned UTF-8), but replaced by the notice, as HTTPie does.
    #[test]
    fn formatted_binary_is_suppressed_off_a_terminal_too() {
        for stream in [false, true] {
            let s = BodyStyle {
                format: true,
                stream,
                mime: Some("image/png"),
                ..style()
            };
            let (out, w) = show(b"\x89PNG\r\n\x1a\n\x00\x00", &s);
            assert!(w.binary_suppressed, "stream: {stream}");
            assert_eq!(out, "");
        }
    }

    #[test]
    fn json_formatted_or_shown_as_received() {
        let s = BodyStyle {
            format: true,
            mime: Some("application/json"),
            ..style()
        };
        assert_eq!(
            show(b"{\"a\":[1,2]}", &s).0,
            "{\n    \"a\": [\n        1,\n        2\n    ]\n}"
        );
        assert_eq!(show(b"{\"a\":", &s).0, "{\"a\":");
        let s = BodyStyle {
            format: true,
            mime: Some("text/plain"),
            ..style()
        };
        assert_eq!(show(b"[1]", &s).0, "[\n    1\n]");
        assert_eq!(show(b"hello", &s).0, "hello");
    }

    #[test]
    fn xml_and_colour_only_json() {
        let s = BodyStyle {
            format: true,
            mime: Some("application/xml"),
            ..style()
        };
        assert_eq!(show(b"<a><b>x</b></a>", &s).0, "<a>\n  <b>x</b>\n</a>");
        assert_eq!(show(b"<a><b>", &s).0, "<a><b>");
        let theme = Theme::new(crate::output::theme::Style::Auto);
        let s = BodyStyle {
            theme: Some(&theme),
            mime: Some("application/json"),
            ..style()
        };
        let (out, _) = show(b"{\"a\": 1}", &s);
        assert!(out.contains("\x1b["), "{out:?}");
        assert!(out.contains(": "), "layout kept: {out:?}");
    }

    #[test]
    fn charsets_are_decoded() {
        let s = BodyStyle {
            terminal: true,
            charset: Some("iso-8859-1"),
            ..style()
        };
        assert_eq!(show(b"caf\xe9", &s).0, "café");
        let s = BodyStyle {
            terminal: true,
            charset: Some("utf-8"),
            ..style()
        };
        assert_eq!(show(b"bad \xff byte", &s).0, "bad \u{fffd} byte");
        // No charset given: windows-1252 text is detected rather than shown as U+FFFD.
        let s = BodyStyle {
            terminal: true,
            ..style()
        };
        let text =
            "Le caf\u{e9} est pr\u{ea}t, d\u{e9}j\u{e0} servi \u{e0} la terrasse de l'h\u{f4}tel.";
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        assert_eq!(show(&latin1, &s).0, text);
    }

    #[test]
    fn stream_lines_format_ndjson() {
        let s = BodyStyle {
            format: true,
            stream: true,
            mime: Some("application/x-ndjson"),
            indent: 2,
            ..style()
        };
        assert_eq!(
            show(b"{\"a\":1}\n{\"b\":2}\n", &s).0,
            "{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n"
        );
    }

    /// NDJSON served as text (or untyped, or with `--json`): each line that parses is
    /// formatted, the others are shown as received. Other types are left alone.
    #[test]
    fn stream_lines_format_json_lines_of_text() {
        let body = b"{\"a\":1}\nnot json {\n[1]\n";
        let formatted = "{\n  \"a\": 1\n}\nnot json {\n[\n  1\n]\n";
        for (mime, force_json, expected) in [
            (Some("text/plain"), false, formatted),
            (None, false, formatted),
            (Some("application/octet-stream"), true, formatted),
            (
                Some("application/octet-stream"),
                false,
                "{\"a\":1}\nnot json {\n[1]\n",
            ),
        ] {
            let s = BodyStyle {
                format: true,
                stream: true,
                mime,
                force_json,
                indent: 2,
                ..style()
            };
            assert_eq!(show(body, &s).0, expected, "{mime:?} {force_json}");
        }
    }
}
