//! Streaming JSON pretty-printer and colour-only mode. One byte-level tokenizer (`Tokenizer`)
//! holds the grammar: an explicit container stack, separators, the depth limit and syntax
//! errors. It drives a `Layout` with events: `Pretty` lays documents out like
//! `json.dumps(indent=N)` (optionally with sorted keys), and `ColorOnly` keeps the input's own
//! whitespace and only adds colours. Scalars are copied verbatim, and anything that could reach
//! the terminal as a control sequence is escaped or refused. Memory stays flat for any size.

use std::fmt;
use std::io::{self, Read, Write};

use crate::output::theme::{Paint, Theme};

/// Indentation used when the caller does not choose one.
pub const DEFAULT_INDENT: usize = 4;
/// Deepest nesting accepted; deeper input is rejected rather than risking memory or output blow-up.
pub const MAX_DEPTH: usize = 10_000;
/// Formatted output may be at most this many times the input read so far, plus
/// [`EXPANSION_SLACK`] (indentation grows with depth, so deep input could otherwise turn a
/// small body into gigabytes); past that, formatting stops with [`JsonError::TooLarge`].
pub const MAX_EXPANSION: u64 = 8;
/// The same bound with colours on, whose escape sequences add a constant per token.
pub const MAX_EXPANSION_COLOURED: u64 = 24;
pub const EXPANSION_SLACK: u64 = 64 * 1024;
/// Anti-XSSI prefixes copied verbatim before the document (longest first where one extends another).
pub const XSSI_PREFIXES: [&[u8]; 4] = [b")]}',", b")]}'", b"while(1);", b"for(;;);"];

/// Input bytes read per `read` call.
const CHUNK: usize = 64 * 1024;
/// Output bytes buffered before a write: at least the capacity of the caller's `BufWriter`
/// (128 KiB), which then passes the block through instead of copying it once more.
const OUT_CHUNK: usize = 128 * 1024;
/// Bytes of a sniffed prefix that `looks_like_json` validates.
const SNIFF_LIMIT: usize = 4096;
const BOM: &[u8] = b"\xEF\xBB\xBF";
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();
const HEX: &[u8; 16] = b"0123456789abcdef";

/// How to lay out and colour a document.
#[derive(Debug, Clone, Copy)]
pub struct JsonOptions<'a> {
    /// Spaces per level; 0 still breaks lines (like Python's `indent=0`).
    pub indent: usize,
    /// Colours; `None` writes plain text.
    pub theme: Option<&'a Theme>,
}

impl Default for JsonOptions<'_> {
    fn default() -> Self {
        JsonOptions {
            indent: DEFAULT_INDENT,
            theme: None,
        }
    }
}

#[derive(Debug)]
pub enum JsonError {
    /// The input is not valid JSON; `offset` is the input byte where parsing failed.
    Syntax {
        offset: u64,
        message: String,
    },
    /// Formatting would make the output more than [`MAX_EXPANSION`] times the input.
    TooLarge {
        offset: u64,
    },
    Io(io::Error),
}

impl JsonError {
    /// Input offset of a syntax error.
    pub fn offset(&self) -> Option<u64> {
        match self {
            JsonError::Syntax { offset, .. } | JsonError::TooLarge { offset } => Some(*offset),
            JsonError::Io(_) => None,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax { offset, message } => {
                write!(f, "invalid JSON at byte {offset}: {message}")
            }
            JsonError::TooLarge { offset } => write!(
                f,
                "formatting stopped at byte {offset}: the output would be more than \
                 {MAX_EXPANSION} times the input"
            ),
            JsonError::Io(e) => write!(f, "I/O error while formatting JSON: {e}"),
        }
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JsonError::Io(e) => Some(e),
            JsonError::Syntax { .. } | JsonError::TooLarge { .. } => None,
        }
    }
}

impl From<io::Error> for JsonError {
    fn from(e: io::Error) -> Self {
        JsonError::Io(e)
    }
}

type Result<T, E = JsonError> = std::result::Result<T, E>;

pub fn format_stream<R: Read, W: Write + ?Sized>(
    input: R,
    out: &mut W,
    opts: &JsonOptions,
) -> Result<()> {
    format_stream_resumable(input, out, opts, &mut Vec::new())
}

/// Like [`format_stream`], but on an error `unread` receives the input read past the point
/// where formatting stopped, so that the caller can show the rest as received.
pub fn format_stream_resumable<R: Read, W: Write + ?Sized>(
    input: R,
    out: &mut W,
    opts: &JsonOptions,
    unread: &mut Vec<u8>,
) -> Result<()> {
    let layout = Pretty::new(opts, false);
    let buf = Vec::with_capacity(OUT_CHUNK * 2);
    let t = Tokenizer::new(input, CHUNK, out, buf, OUT_CHUNK, layout).limit(expansion(opts.theme));
    stream(t, unread)
}

/// The output bound for a theme (or none).
fn expansion(theme: Option<&Theme>) -> u64 {
    if theme.is_some() {
        MAX_EXPANSION_COLOURED
    } else {
        MAX_EXPANSION
    }
}

/// Convenience for an in-memory body: Ok(formatted bytes) or Err if it is not valid JSON
/// (nothing written anywhere).
pub fn format_slice(input: &[u8], opts: &JsonOptions) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    format_slice_into(input, &mut out, opts)?;
    Ok(out)
}

/// Like [`format_slice`] but appends to a caller-owned buffer, which is left exactly as it was
/// on error.
pub fn format_slice_into(input: &[u8], out: &mut Vec<u8>, opts: &JsonOptions) -> Result<()> {
    let start = out.len();
    let mut buf = std::mem::take(out);
    buf.reserve(input.len() + input.len() / 2);
    let result = format_in_memory(input, slice_chunk(input), buf, opts, false);
    match result {
        Ok(formatted) => {
            *out = formatted;
            Ok(())
        }
        Err((mut buf, e)) => {
            buf.truncate(start);
            *out = buf;
            Err(e)
        }
    }
}

/// Cheap check used for content sniffing: does this (possibly truncated) prefix look like the
/// start of JSON? After an optional BOM, XSSI prefix and whitespace it must begin with one of
/// `{ [ " - 0-9 t f n`, and its first few KiB must tokenize cleanly up to where it is cut off
/// (so `404 Not Found` or `no content` are not mistaken for JSON).
pub fn looks_like_json(prefix: &[u8]) -> bool {
    let head = &prefix[..prefix.len().min(SNIFF_LIMIT)];
    let body = skip_preamble(head);
    let first = body.iter().find(|b| !is_ws(**b));
    if !matches!(
        first,
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    ) {
        return false;
    }
    let opts = JsonOptions::default();
    match format_in_memory(head, slice_chunk(head), Vec::new(), &opts, false) {
        Ok(_) => true,
        // An error at the very end only means the prefix was cut off there.
        Err((_, JsonError::Syntax { offset, .. })) => offset >= head.len() as u64,
        Err((_, JsonError::TooLarge { .. })) => true,
        Err((_, JsonError::Io(_))) => false,
    }
}

/// Sorted-keys variant (opt-in `--sorted`): object members are ordered by key (by code point,
/// stable, so duplicate keys keep their relative order), recursively; arrays keep their order.
/// Uses the same tokenizer, layout, colours and string rules as [`format_stream`], but buffers
/// the whole output and writes nothing on error.
pub fn format_sorted<R: Read, W: Write + ?Sized>(
    input: R,
    out: &mut W,
    opts: &JsonOptions,
) -> Result<()> {
    match format_in_memory(input, CHUNK, Vec::new(), opts, true) {
        Ok(formatted) => Ok(out.write_all(&formatted)?),
        Err((_, e)) => Err(e),
    }
}

/// Colours one JSON document without changing its layout (`--pretty=colors`): every input byte
/// is copied as it is (whitespace, escapes, a BOM or XSSI prefix), and only the theme's escape
/// bytes are added around keys, strings, numbers, literals, brackets and separators, with the
/// same paints as the pretty-printer. Streaming; memory stays flat for any document size.
///
/// Input that is not valid JSON is a `Syntax` error, and so is valid JSON that could not be
/// copied to a terminal unchanged: invalid UTF-8, DEL or C1 controls inside strings, and a
/// carriage return that does not end a line (it would let later text overwrite earlier text).
/// The caller falls back to its plain-text path, which neutralises those. Whatever was written
/// before the error is a coloured copy of a prefix of the input (no further than the error
/// offset) that ends with a reset when a token was cut; a caller that needs all-or-nothing
/// colours into a buffer first.
pub fn colorize_stream<R: Read, W: Write + ?Sized>(
    input: R,
    out: &mut W,
    theme: &Theme,
) -> Result<()> {
    colorize_stream_resumable(input, out, theme, &mut Vec::new())
}

/// Like [`colorize_stream`], with the input read past an error in `unread`.
pub fn colorize_stream_resumable<R: Read, W: Write + ?Sized>(
    input: R,
    out: &mut W,
    theme: &Theme,
    unread: &mut Vec<u8>,
) -> Result<()> {
    let layout = ColorOnly {
        theme,
        open_off: b"",
    };
    let buf = Vec::with_capacity(OUT_CHUNK * 2);
    let t = Tokenizer::new(input, CHUNK, out, buf, OUT_CHUNK, layout).limit(MAX_EXPANSION_COLOURED);
    stream(t, unread)
}

/// Runs a flushing tokenizer to the end. After a syntax error (or the output bound) what was
/// laid out so far is still written, closed by [`Layout::cut`], and the input read but not
/// consumed goes to `unread`; after an I/O error nothing more is attempted.
fn stream<R: Read, W: Write + ?Sized, L: Layout>(
    mut t: Tokenizer<'_, R, W, L>,
    unread: &mut Vec<u8>,
) -> Result<()> {
    let result = t.document();
    if let Err(JsonError::Syntax { .. } | JsonError::TooLarge { .. }) = &result {
        t.layout.cut(&mut t.scan.out);
        let input = &t.scan.input;
        unread.extend_from_slice(&input.buf[input.pos.min(input.end)..input.end]);
    }
    if !matches!(result, Err(JsonError::Io(_))) {
        t.scan.sink.write_all(&t.scan.out)?;
    }
    result
}

/// Formats everything into `buf` (never flushing); on error hands the buffer back with the error.
fn format_in_memory<R: Read>(
    input: R,
    chunk: usize,
    buf: Vec<u8>,
    opts: &JsonOptions,
    sorted: bool,
) -> Result<Vec<u8>, (Vec<u8>, JsonError)> {
    let mut sink = io::sink();
    let layout = Pretty::new(opts, sorted);
    let mut t = Tokenizer::new(input, chunk, &mut sink, buf, usize::MAX, layout)
        .limit(expansion(opts.theme));
    match t.document() {
        Ok(()) => Ok(t.scan.out),
        Err(e) => Err((t.scan.out, e)),
    }
}

/// Input buffer size for an in-memory body: no bigger than the body itself.
fn slice_chunk(input: &[u8]) -> usize {
    input.len().clamp(16, CHUNK)
}

/// The part of `bytes` after an optional BOM and XSSI prefix.
fn skip_preamble(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    XSSI_PREFIXES
        .iter()
        .find_map(|p| bytes.strip_prefix(*p))
        .unwrap_or(bytes)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes a string's fast path copies unchanged: printable ASCII other than `"` and `\`.
static PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        table[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    table
};

/// Length of the run of [`PLAIN`] bytes that starts `bytes`: eight at a time while they last
/// (a word at once, with the usual bit tricks), then by table.
#[inline]
fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte equal to `b`. A borrow only starts at a match, so the lowest
    // bit set is always exact, which is all that is used.
    let equal = |x: u64, b: u8| {
        let y = x ^ (ONES * u64::from(b));
        y.wrapping_sub(ONES) & !y
    };
    let (words, _) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word);
        let control = x.wrapping_sub(ONES * 0x20) & !x;
        let special = equal(x, b'"') | equal(x, b'\\') | equal(x, 0x7f);
        // Non-ASCII bytes have the high bit set themselves.
        let stop = (control | special | x) & HIGH;
        if stop != 0 {
            return i * 8 + stop.trailing_zeros() as usize / 8;
        }
    }
    let done = words.len() * 8;
    done + bytes[done..]
        .iter()
        .position(|&b| !PLAIN[usize::from(b)])
        .unwrap_or(bytes.len() - done)
}

/// Length of the valid number at the start of `bytes`, when a byte that cannot continue it
/// follows within `bytes`; `None` (invalid, or possibly continued in the next chunk) leaves
/// the number to the byte-wise path, which reports errors.
fn number_len(bytes: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        let run = bytes.get(from..).unwrap_or_default();
        run.iter().take_while(|b| b.is_ascii_digit()).count()
    };
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    match bytes.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if bytes.get(i)? == &b'.' {
        let n = digits(i + 1);
        i += 1 + n;
        if n == 0 {
            return None;
        }
    }
    if matches!(bytes.get(i)?, b'e' | b'E') {
        i += 1 + usize::from(matches!(bytes.get(i + 1)?, b'+' | b'-'));
        let n = digits(i);
        i += n;
        if n == 0 {
            return None;
        }
    }
    // A digit here follows a leading zero.
    (!bytes.get(i)?.is_ascii_digit()).then_some(i)
}

fn hex_value(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some(u16::from(b - b'0')),
        b'a'..=b'f' => Some(u16::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(b - b'A' + 10)),
        _ => None,
    }
}

/// Code points that must never reach a terminal raw: C0, DEL and C1 controls.
fn is_control(c: u32) -> bool {
    c < 0x20 || (0x7f..=0x9f).contains(&c)
}

fn newline_indent(out: &mut Vec<u8>, indent: usize, depth: usize) {
    out.push(b'\n');
    out.resize(out.len() + indent * depth, b' ');
}

/// What a UTF-8 lead byte promises: the sequence length and the allowed range of the second
/// byte (Unicode table 3-7), which rules out overlong forms, surrogates and values past U+10FFFF.
struct Utf8Shape {
    len: usize,
    second: (u8, u8),
}

impl Utf8Shape {
    /// `None` for a byte that cannot start a sequence (ASCII is not asked about).
    fn of(lead: u8) -> Option<Utf8Shape> {
        let (len, lo, hi) = match lead {
            0xC2..=0xDF => (2, 0x80, 0xBF),
            0xE0 => (3, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
            0xED => (3, 0x80, 0x9F),
            0xF0 => (4, 0x90, 0xBF),
            0xF1..=0xF3 => (4, 0x80, 0xBF),
            0xF4 => (4, 0x80, 0x8F),
            _ => return None,
        };
        Some(Utf8Shape {
            len,
            second: (lo, hi),
        })
    }

    /// How many bytes of `seq` (lead first, at most `len` looked at) form a valid start.
    fn valid_prefix(&self, seq: &[u8]) -> usize {
        let mut valid = 1;
        while valid < self.len.min(seq.len()) {
            let (min, max) = if valid == 1 {
                self.second
            } else {
                (0x80, 0xBF)
            };
            if !(min..=max).contains(&seq[valid]) {
                break;
            }
            valid += 1;
        }
        valid
    }
}

/// Buffered reader that tracks the absolute offset and allows a few bytes of lookahead.
struct Input<R> {
    reader: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Input offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn new(reader: R, capacity: usize) -> Self {
        Input {
            reader,
            buf: vec![0; capacity.max(16)].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Reads at `buf[end..]`; returns false at end of input.
    fn read_more(&mut self) -> io::Result<bool> {
        while !self.eof {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// Called when the buffer is used up: starts a fresh chunk. False at end of input.
    fn refill(&mut self) -> io::Result<bool> {
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        self.read_more()
    }

    #[inline]
    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos < self.end || self.refill()? {
            Ok(Some(self.buf[self.pos]))
        } else {
            Ok(None)
        }
    }

    /// Makes up to `n` bytes available at `pos` (fewer only at end of input); returns the count.
    fn ensure(&mut self, n: usize) -> io::Result<usize> {
        if self.end - self.pos < n && !self.eof {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
            while self.end < n && self.read_more()? {}
        }
        Ok(n.min(self.end - self.pos))
    }

    /// Skips whitespace and peeks at the next byte.
    fn peek_token(&mut self) -> io::Result<Option<u8>> {
        loop {
            while self.pos < self.end {
                let b = self.buf[self.pos];
                if !is_ws(b) {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.refill()? {
                return Ok(None);
            }
        }
    }
}

/// What encloses a container's members.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

impl Kind {
    /// The container that `open` (`{` or `[`) starts.
    fn opened_by(open: u8) -> Kind {
        if open == b'{' {
            Kind::Object
        } else {
            Kind::Array
        }
    }

    /// Its opening and closing brackets.
    fn brackets(self) -> [u8; 2] {
        match self {
            Kind::Object => *b"{}",
            Kind::Array => *b"[]",
        }
    }

    /// The error when neither `,` nor the closing bracket follows a member.
    fn expected(self) -> &'static str {
        match self {
            Kind::Object => "expected ',' or '}'",
            Kind::Array => "expected ',' or ']'",
        }
    }
}

/// A token that is painted as one piece.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    Key,
    String,
    Number,
    Boolean,
    Null,
}

impl Token {
    /// Every token, in declaration order (the order of `as usize`).
    const ALL: [Token; 5] = [
        Token::Key,
        Token::String,
        Token::Number,
        Token::Boolean,
        Token::Null,
    ];

    /// A key or string, whose quotes the layout writes inside its paint.
    fn quoted(self) -> bool {
        matches!(self, Token::Key | Token::String)
    }

    fn paint(self, theme: &Theme) -> &Paint {
        match self {
            Token::Key => &theme.key,
            Token::String => &theme.string,
            Token::Number => &theme.number,
            Token::Boolean => &theme.boolean,
            Token::Null => &theme.null,
        }
    }
}

/// The lexical layer: buffered input, the output buffer and its flushing, syntax errors, and
/// the scanning of whitespace, literals, numbers and strings, which are validated and copied to
/// `out` as they are read. What may come next is the [`Tokenizer`]'s business, what goes between
/// and around tokens the [`Layout`]'s, and what whitespace and a string's escapes and non-ASCII
/// bytes become the [`CopyRules`]'.
struct Scanner<'a, R, W: ?Sized> {
    input: Input<R>,
    out: Vec<u8>,
    sink: &'a mut W,
    /// `out` goes to `sink` once it holds this many bytes.
    flush_at: usize,
    /// Bytes already written to `sink`.
    flushed: u64,
    /// The output bound, as a multiple of the input read (0: none).
    expansion: u64,
}

/// What the lexical layer copies as written and what it rewrites, as a layout chooses: the
/// whitespace between tokens, and what a string scan's fast path does not copy (a backslash
/// escape, DEL, or a non-ASCII byte, each at the current position). A string rule consumes the
/// whole escape or sequence (writing what it becomes), or fails.
trait CopyRules {
    /// Whitespace between tokens is copied (with [`Scanner::copy_whitespace`]) or skipped.
    const KEEP_WHITESPACE: bool;
    fn escape<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()>;
    fn del<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()>;
    fn non_ascii<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>, lead: u8) -> Result<()>;
}

/// What starts at a non-ASCII lead byte: a well-formed sequence of this length, a C1 control
/// (with its second byte), or a maximal invalid subpart of this length.
enum Utf8Ahead {
    Valid(usize),
    C1(u8),
    Invalid(usize),
}

impl<'a, R: Read, W: Write + ?Sized> Scanner<'a, R, W> {
    fn new(input: Input<R>, out: Vec<u8>, sink: &'a mut W, flush_at: usize) -> Self {
        Scanner {
            input,
            out,
            sink,
            flush_at,
            flushed: 0,
            expansion: 0,
        }
    }

    /// Error at the current position, which is the end of input when nothing is left.
    fn error_here(&self, message: &str) -> JsonError {
        let message = if self.input.pos >= self.input.end && self.input.eof {
            "unexpected end of input"
        } else {
            message
        };
        JsonError::Syntax {
            offset: self.input.offset(),
            message: message.to_owned(),
        }
    }

    /// Flushes a full output buffer, and stops formatting once the output outgrows its bound.
    fn maybe_flush(&mut self) -> Result<()> {
        let produced = self.flushed + self.out.len() as u64;
        let offset = self.input.offset();
        if self.expansion > 0 && produced > self.expansion * offset + EXPANSION_SLACK {
            return Err(JsonError::TooLarge { offset });
        }
        if self.out.len() >= self.flush_at {
            self.sink.write_all(&self.out)?;
            self.flushed += self.out.len() as u64;
            self.out.clear();
        }
        Ok(())
    }

    /// Consumes a UTF-8 BOM and an XSSI prefix at the very start. Returns whether there was a
    /// BOM, and the prefix.
    fn preamble(&mut self) -> io::Result<(bool, Option<&'static [u8]>)> {
        self.input.ensure(BOM.len() + 9)?;
        let bom = self.input.buf[self.input.pos..self.input.end].starts_with(BOM);
        if bom {
            self.input.pos += BOM.len();
            self.input.ensure(9)?;
        }
        let ahead = &self.input.buf[self.input.pos..self.input.end];
        let prefix = XSSI_PREFIXES.into_iter().find(|p| ahead.starts_with(p));
        if let Some(prefix) = prefix {
            self.input.pos += prefix.len();
        }
        Ok((bom, prefix))
    }

    /// Refuses to open a container inside `depth` open ones when that is too deep.
    fn check_depth(&self, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH {
            let msg = format!("nesting deeper than {MAX_DEPTH} levels");
            return Err(self.error_here(&msg));
        }
        Ok(())
    }

    /// Copies the byte just peeked.
    fn copy_byte(&mut self) {
        self.out.push(self.input.buf[self.input.pos]);
        self.input.pos += 1;
    }

    /// Copies `n` bytes that are available at the current position. Most runs (a key, a word,
    /// a number) are short: one fixed block of the input buffer, cut to `n` in `out`.
    #[inline(always)]
    fn copy_ahead(&mut self, n: usize) {
        let pos = self.input.pos;
        match self.input.buf[pos..].first_chunk::<SHORT>() {
            Some(block) if n <= SHORT => put_short(&mut self.out, block, n),
            _ => put_long(&mut self.out, &self.input.buf[pos..pos + n]),
        }
        self.input.pos += n;
    }

    /// Copies whitespace and peeks at the next byte (`None` at end of input). A carriage return
    /// must start a CRLF: alone, it would let later text overwrite earlier text on a terminal.
    fn copy_whitespace(&mut self) -> Result<Option<u8>> {
        loop {
            self.maybe_flush()?;
            match self.input.peek()? {
                Some(b' ' | b'\t' | b'\n') => {
                    let ahead = &self.input.buf[self.input.pos..self.input.end];
                    let n = ahead
                        .iter()
                        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n'))
                        .unwrap_or(ahead.len());
                    self.copy_ahead(n);
                }
                Some(b'\r') => {
                    if self.input.ensure(2)? < 2 || self.input.buf[self.input.pos + 1] != b'\n' {
                        return Err(self.error_here("carriage return without line feed"));
                    }
                    self.copy_ahead(2);
                }
                other => return Ok(other),
            }
        }
    }

    /// Validates `true`, `false` or `null`, whose first byte `first` was peeked, and returns it.
    /// The word is written by the layout, whole.
    fn literal(&mut self, first: u8) -> Result<&'static [u8]> {
        let word: &'static [u8] = match first {
            b't' => b"true",
            b'f' => b"false",
            _ => b"null",
        };
        for &expected in word {
            if self.input.peek()? != Some(expected) {
                return Err(self.error_here("invalid literal"));
            }
            self.input.pos += 1;
        }
        Ok(word)
    }

    /// Validates a number (its first byte peeked) and copies it exactly as written.
    #[inline]
    fn number(&mut self) -> Result<()> {
        match number_len(&self.input.buf[self.input.pos..self.input.end]) {
            Some(n) => {
                self.copy_ahead(n);
                Ok(())
            }
            None => self.number_bytewise(),
        }
    }

    /// [`number`](Self::number) a byte at a time, across chunks, with its errors.
    fn number_bytewise(&mut self) -> Result<()> {
        if self.input.peek()? == Some(b'-') {
            self.copy_byte();
        }
        match self.input.peek()? {
            Some(b'0') => {
                self.copy_byte();
                if let Some(b'0'..=b'9') = self.input.peek()? {
                    return Err(self.error_here("leading zeros are not allowed"));
                }
            }
            Some(b'1'..=b'9') => {
                self.copy_digits()?;
            }
            _ => return Err(self.error_here("expected a digit")),
        }
        if self.input.peek()? == Some(b'.') {
            self.copy_byte();
            if self.copy_digits()? == 0 {
                return Err(self.error_here("expected a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.input.peek()? {
            self.copy_byte();
            if let Some(b'+' | b'-') = self.input.peek()? {
                self.copy_byte();
            }
            if self.copy_digits()? == 0 {
                return Err(self.error_here("expected a digit in the exponent"));
            }
        }
        Ok(())
    }

    fn copy_digits(&mut self) -> Result<usize> {
        let mut count = 0;
        loop {
            let ahead = &self.input.buf[self.input.pos..self.input.end];
            let n = ahead.iter().take_while(|b| b.is_ascii_digit()).count();
            self.copy_ahead(n);
            count += n;
            if self.input.pos < self.input.end {
                return Ok(count);
            }
            self.maybe_flush()?;
            if !self.input.refill()? {
                return Ok(count);
            }
        }
    }

    /// Scans a string whose opening quote was peeked and copies its content (the layout writes
    /// the quotes, with its paint), with `S` deciding what escapes, DEL and non-ASCII bytes
    /// become. Returns the range of the content in `out` (meaningful only when output is not
    /// flushed, i.e. when sorting).
    fn string<S: CopyRules>(&mut self) -> Result<(usize, usize)> {
        self.input.pos += 1;
        let start = self.out.len();
        loop {
            let ahead = &self.input.buf[self.input.pos..self.input.end];
            let n = plain_prefix(ahead);
            self.copy_ahead(n);
            self.maybe_flush()?;
            let Some(b) = self.input.peek()? else {
                return Err(self.error_here("unterminated string"));
            };
            match b {
                b'"' => {
                    self.input.pos += 1;
                    return Ok((start, self.out.len()));
                }
                b'\\' => S::escape(self)?,
                0x00..=0x1f => return Err(self.error_here("control character in string")),
                0x7f => S::del(self)?,
                0x80..=0xff => S::non_ascii(self, b)?,
                // A plain byte that arrived with a refill: the fast path takes it next time.
                _ => {}
            }
        }
    }

    /// Consumes a backslash (at the current position) and the letter after it, which must make
    /// a valid escape; returns the letter. A `u` still needs its [`hex4`](Self::hex4).
    fn escape_letter(&mut self) -> Result<u8> {
        self.input.pos += 1;
        match self.input.peek()? {
            Some(b @ (b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u')) => {
                self.input.pos += 1;
                Ok(b)
            }
            Some(_) => Err(self.error_here("invalid escape sequence")),
            None => Err(self.error_here("unterminated string")),
        }
    }

    /// Four hex digits: their value and the digits as written.
    fn hex4(&mut self) -> Result<(u16, [u8; 4])> {
        let avail = self.input.ensure(4)?;
        let mut raw = [0; 4];
        let mut unit = 0;
        for (i, slot) in raw.iter_mut().enumerate() {
            let digit = if i < avail {
                hex_value(self.input.buf[self.input.pos])
            } else {
                None
            };
            let Some(d) = digit else {
                return Err(self.error_here("invalid \\u escape"));
            };
            *slot = self.input.buf[self.input.pos];
            unit = unit << 4 | d;
            self.input.pos += 1;
        }
        Ok((unit, raw))
    }

    /// Consumes a following `\uXXXX` low surrogate, if there is one.
    fn low_surrogate(&mut self) -> Result<Option<u16>> {
        if self.input.ensure(6)? < 6 {
            return Ok(None);
        }
        let ahead = &self.input.buf[self.input.pos..self.input.pos + 6];
        if ahead[0] != b'\\' || ahead[1] != b'u' {
            return Ok(None);
        }
        let mut unit = 0;
        for &b in &ahead[2..] {
            match hex_value(b) {
                Some(d) => unit = unit << 4 | d,
                None => return Ok(None),
            }
        }
        if !(0xDC00..=0xDFFF).contains(&unit) {
            return Ok(None);
        }
        self.input.pos += 6;
        Ok(Some(unit))
    }

    /// Looks at the sequence that the non-ASCII `lead` at the current position starts, making
    /// it available without consuming it.
    fn utf8_ahead(&mut self, lead: u8) -> io::Result<Utf8Ahead> {
        let Some(shape) = Utf8Shape::of(lead) else {
            return Ok(Utf8Ahead::Invalid(1));
        };
        let avail = self.input.ensure(shape.len)?;
        let seq = &self.input.buf[self.input.pos..self.input.pos + avail];
        let valid = shape.valid_prefix(seq);
        Ok(if valid < shape.len {
            Utf8Ahead::Invalid(valid)
        } else if lead == 0xC2 && seq[1] <= 0x9F {
            Utf8Ahead::C1(seq[1])
        } else {
            Utf8Ahead::Valid(valid)
        })
    }
}

/// Writes `\uXXXX` with the hex digits as they were written.
fn write_raw_escape(out: &mut Vec<u8>, raw: [u8; 4]) {
    out.extend_from_slice(b"\\u");
    out.extend_from_slice(&raw);
}

/// What a layout does with the [`Tokenizer`]'s events, which arrive in input order with the
/// output buffer. The scanner copies each token's own bytes, so a layout only decides what goes
/// around and between tokens. The defaults paint each token where it stands, which is all a
/// layout that keeps the input's whitespace needs. `depth` counts the containers open around
/// what follows the event.
trait Layout {
    type Rules: CopyRules;

    fn theme(&self) -> &Theme;

    /// After a BOM and an XSSI prefix were consumed at the start.
    fn preamble(&mut self, out: &mut Vec<u8>, bom: bool, prefix: Option<&[u8]>);

    /// Output cut short by a syntax error ends with this, to leave the terminal sane.
    fn cut(&mut self, out: &mut Vec<u8>);

    /// `{}` or `[]`, with nothing between the brackets that the layout keeps.
    #[inline]
    fn empty(&mut self, out: &mut Vec<u8>, kind: Kind) {
        self.theme().punct.wrap(out, &kind.brackets());
    }

    /// An opening bracket, followed by a member or by whitespace the layout keeps.
    #[inline]
    fn open(&mut self, out: &mut Vec<u8>, kind: Kind, _depth: usize) {
        self.theme().punct.wrap(out, &kind.brackets()[..1]);
    }

    #[inline]
    fn close(&mut self, out: &mut Vec<u8>, kind: Kind, _depth: usize) {
        self.theme().punct.wrap(out, &kind.brackets()[1..]);
    }

    /// The comma between two members of a `kind` container.
    #[inline]
    fn comma(&mut self, out: &mut Vec<u8>, _kind: Kind, _depth: usize) {
        self.theme().sep.wrap(out, b",");
    }

    #[inline]
    fn colon(&mut self, out: &mut Vec<u8>) {
        self.theme().sep.wrap(out, b":");
    }

    /// `true`, `false` or `null`, whole.
    #[inline]
    fn literal(&mut self, out: &mut Vec<u8>, token: Token, word: &[u8]) {
        token.paint(self.theme()).wrap(out, word);
    }

    /// Before a key, string or number is copied (a string's opening quote included).
    #[inline]
    fn begin(&mut self, out: &mut Vec<u8>, token: Token) {
        out.extend_from_slice(&token.paint(self.theme()).on);
        if token.quoted() {
            out.push(b'"');
        }
    }

    /// After it was copied (a string's closing quote included); `content` is where it is in
    /// `out` (a string's without its quotes), meaningful only when `out` is never flushed.
    #[inline]
    fn end(&mut self, out: &mut Vec<u8>, token: Token, _content: (usize, usize)) {
        if token.quoted() {
            out.push(b'"');
        }
        out.extend_from_slice(&token.paint(self.theme()).off);
    }
}

/// The JSON grammar, implemented once for every layout: the container stack, what may come next
/// (a value, a key, a colon, a comma or a closing bracket), the depth limit and syntax errors.
/// Generic over the layout so that each event compiles down to a direct, inlinable call.
struct Tokenizer<'a, R, W: ?Sized, L> {
    scan: Scanner<'a, R, W>,
    /// The open containers.
    stack: Vec<Kind>,
    layout: L,
}

impl<'a, R: Read, W: Write + ?Sized, L: Layout> Tokenizer<'a, R, W, L> {
    /// Bound the output to `times` the input read (plus [`EXPANSION_SLACK`]).
    fn limit(mut self, times: u64) -> Self {
        self.scan.expansion = times;
        self
    }

    fn new(
        input: R,
        chunk: usize,
        sink: &'a mut W,
        out: Vec<u8>,
        flush_at: usize,
        layout: L,
    ) -> Self {
        Tokenizer {
            scan: Scanner::new(Input::new(input, chunk), out, sink, flush_at),
            stack: Vec::new(),
            layout,
        }
    }

    /// Copies or skips whitespace, as the layout's rules say, and peeks at the next byte.
    #[inline]
    fn whitespace(&mut self) -> Result<Option<u8>> {
        if L::Rules::KEEP_WHITESPACE {
            self.scan.copy_whitespace()
        } else {
            Ok(self.scan.input.peek_token()?)
        }
    }

    /// Next non-whitespace byte, which must exist.
    #[inline(always)]
    fn token(&mut self, expected: &str) -> Result<u8> {
        // Most tokens follow another directly; only the layout that drops whitespace may skip
        // the scanner's path (the other one flushes and checks the output bound there).
        let input = &self.scan.input;
        if !L::Rules::KEEP_WHITESPACE && input.pos < input.end {
            let b = input.buf[input.pos];
            if !is_ws(b) {
                return Ok(b);
            }
        }
        self.token_after_whitespace(expected)
    }

    fn token_after_whitespace(&mut self, expected: &str) -> Result<u8> {
        match self.whitespace()? {
            Some(b) => Ok(b),
            None => Err(self.scan.error_here(expected)),
        }
    }

    fn document(&mut self) -> Result<()> {
        let (bom, prefix) = self.scan.preamble()?;
        self.layout.preamble(&mut self.scan.out, bom, prefix);
        loop {
            self.value()?;
            self.scan.maybe_flush()?;
            if self.after_value()? {
                break;
            }
        }
        match self.whitespace()? {
            None => Ok(()),
            Some(_) => Err(self.scan.error_here("unexpected data after the JSON value")),
        }
    }

    /// Reads one value. Scalars and empty containers are read whole; a non-empty container is
    /// opened (with its first key, for an object) and the loop continues with its first value.
    fn value(&mut self) -> Result<()> {
        loop {
            match self.token("expected a JSON value")? {
                b @ (b'{' | b'[') => {
                    if !self.open(b)? {
                        return Ok(());
                    }
                }
                b'"' => return self.string::<false>(),
                b'-' | b'0'..=b'9' => return self.number(),
                b @ (b't' | b'f' | b'n') => {
                    let word = self.scan.literal(b)?;
                    let token = if b == b'n' {
                        Token::Null
                    } else {
                        Token::Boolean
                    };
                    self.layout.literal(&mut self.scan.out, token, word);
                    return Ok(());
                }
                _ => return Err(self.scan.error_here("expected a JSON value")),
            }
        }
    }

    /// After a value: reads `,` (plus the next key) or closing brackets. Returns true once the
    /// top-level value is complete.
    fn after_value(&mut self) -> Result<bool> {
        while let Some(&kind) = self.stack.last() {
            let expected = kind.expected();
            let b = self.token(expected)?;
            if b == b',' {
                self.scan.input.pos += 1;
                self.layout
                    .comma(&mut self.scan.out, kind, self.stack.len());
                if kind == Kind::Object {
                    self.key()?;
                }
                return Ok(false);
            }
            if b != kind.brackets()[1] {
                return Err(self.scan.error_here(expected));
            }
            self.scan.input.pos += 1;
            self.stack.pop();
            self.layout
                .close(&mut self.scan.out, kind, self.stack.len());
            self.scan.maybe_flush()?;
        }
        Ok(true)
    }

    /// Opens `{` or `[` (at the current position). Returns false when it was empty.
    fn open(&mut self, open: u8) -> Result<bool> {
        self.scan.check_depth(self.stack.len())?;
        self.scan.input.pos += 1;
        let kind = Kind::opened_by(open);
        let close = kind.brackets()[1];
        // A layout that drops whitespace cannot tell `{ }` from `{}`, and lays nothing out
        // before an error at the end of input.
        let next = if L::Rules::KEEP_WHITESPACE {
            self.scan.input.peek()?
        } else {
            Some(self.token("expected a JSON value")?)
        };
        if next == Some(close) {
            self.scan.input.pos += 1;
            self.layout.empty(&mut self.scan.out, kind);
            return Ok(false);
        }
        self.layout
            .open(&mut self.scan.out, kind, self.stack.len() + 1);
        // A chain of openings never returns to the document loop: check the bound here.
        self.scan.maybe_flush()?;
        // Whitespace the layout keeps may still separate the brackets.
        if L::Rules::KEEP_WHITESPACE && self.token("expected a JSON value")? == close {
            self.scan.input.pos += 1;
            self.layout
                .close(&mut self.scan.out, kind, self.stack.len());
            return Ok(false);
        }
        self.stack.push(kind);
        if kind == Kind::Object {
            self.key()?;
        }
        Ok(true)
    }

    /// An object key and its colon.
    fn key(&mut self) -> Result<()> {
        if self.token("expected a string key")? != b'"' {
            return Err(self.scan.error_here("expected a string key"));
        }
        self.string::<true>()?;
        if self.token("expected ':'")? != b':' {
            return Err(self.scan.error_here("expected ':'"));
        }
        self.scan.input.pos += 1;
        self.layout.colon(&mut self.scan.out);
        Ok(())
    }

    /// A key (`KEY`) or string value, its quote peeked, copied between two layout events. A
    /// const parameter, so that each copy knows its paint without a runtime check.
    fn string<const KEY: bool>(&mut self) -> Result<()> {
        let token = if KEY { Token::Key } else { Token::String };
        self.layout.begin(&mut self.scan.out, token);
        let content = self.scan.string::<L::Rules>()?;
        self.layout.end(&mut self.scan.out, token, content);
        Ok(())
    }

    /// A number (its first byte peeked), copied between two layout events.
    fn number(&mut self) -> Result<()> {
        self.layout.begin(&mut self.scan.out, Token::Number);
        let start = self.scan.out.len();
        self.scan.number()?;
        let content = (start, self.scan.out.len());
        self.layout.end(&mut self.scan.out, Token::Number, content);
        Ok(())
    }
}

static PLAIN_THEME: Theme = Theme::PLAIN;

/// The layout behind [`format_stream`], [`format_slice`] and [`format_sorted`]: the input's
/// whitespace is dropped and the document laid out afresh, and strings are rewritten by
/// [`Rewrite`]. When sorting, an object's members are collected and reordered as it closes.
struct Pretty<'t> {
    indent: usize,
    theme: &'t Theme,
    /// The caller asked for colours, so a cut ends with a reset.
    themed: bool,
    sort: Option<SortState>,
    snippets: Snippets,
}

impl<'t> Pretty<'t> {
    fn new(opts: &JsonOptions<'t>, sorted: bool) -> Self {
        let theme = opts.theme.unwrap_or(&PLAIN_THEME);
        Pretty {
            indent: opts.indent,
            theme,
            themed: opts.theme.is_some(),
            sort: sorted.then(SortState::default),
            snippets: Snippets::new(theme),
        }
    }

    /// The sort state, when the members of a `kind` container are being collected.
    fn sorting(&mut self, kind: Kind) -> Option<&mut SortState> {
        match kind {
            Kind::Object => self.sort.as_mut(),
            Kind::Array => None,
        }
    }
}

impl Layout for Pretty<'_> {
    type Rules = Rewrite;

    fn theme(&self) -> &Theme {
        self.theme
    }

    /// A BOM is dropped; an XSSI prefix gets a line of its own.
    fn preamble(&mut self, out: &mut Vec<u8>, _bom: bool, prefix: Option<&[u8]>) {
        if let Some(prefix) = prefix {
            out.extend_from_slice(prefix);
            out.push(b'\n');
        }
    }

    fn cut(&mut self, out: &mut Vec<u8>) {
        if self.themed {
            out.extend_from_slice(b"\x1b[0m");
        }
    }

    #[inline]
    fn empty(&mut self, out: &mut Vec<u8>, kind: Kind) {
        self.snippets.empty[kind as usize].write(out);
    }

    #[inline]
    fn open(&mut self, out: &mut Vec<u8>, kind: Kind, depth: usize) {
        let columns = self.indent * depth;
        // Sorted members get their line breaks when the object closes.
        match self.sorting(kind) {
            Some(sort) => {
                sort.open();
                self.theme.punct.wrap(out, &kind.brackets()[..1]);
            }
            None => self.snippets.open[kind as usize].write(out, columns),
        }
    }

    #[inline]
    fn close(&mut self, out: &mut Vec<u8>, kind: Kind, depth: usize) {
        let (theme, indent) = (self.theme, self.indent);
        if let Some(sort) = self.sorting(kind) {
            sort.reorder(out, theme, indent, depth);
        }
        self.snippets.newline.write(out, indent * depth);
        self.snippets.close[kind as usize].write(out);
    }

    #[inline]
    fn comma(&mut self, out: &mut Vec<u8>, kind: Kind, depth: usize) {
        if self.sorting(kind).is_none() {
            self.snippets.comma.write(out, self.indent * depth);
        }
    }

    #[inline]
    fn colon(&mut self, out: &mut Vec<u8>) {
        self.snippets.colon.write(out);
    }

    #[inline]
    fn literal(&mut self, out: &mut Vec<u8>, _token: Token, word: &[u8]) {
        let index = match word {
            b"true" => 0,
            b"false" => 1,
            _ => 2,
        };
        self.snippets.literals[index].write(out);
    }

    #[inline]
    fn begin(&mut self, out: &mut Vec<u8>, token: Token) {
        if let (Token::Key, Some(sort)) = (token, self.sort.as_mut()) {
            sort.key_start = out.len();
        }
        self.snippets.on[token as usize].write(out);
    }

    #[inline]
    fn end(&mut self, out: &mut Vec<u8>, token: Token, content: (usize, usize)) {
        if let (Token::Key, Some(sort)) = (token, self.sort.as_mut()) {
            sort.push_entry(&out[content.0..content.1]);
        }
        self.snippets.off[token as usize].write(out);
    }
}

/// Columns of indentation that [`Indented`] keeps rendered; deeper lines are padded on demand.
const INDENT_CACHE: usize = 256;
/// Pieces up to this long are copied as one fixed-size block (see [`put_short`]).
const SHORT: usize = 32;

/// Appends the first `len` bytes of `block`. Copying the whole fixed-size block and truncating
/// compiles to a couple of vector moves, where a slice of unknown length is a call to
/// `memcpy`; the pieces between tokens are short and this is done several times per token.
#[inline(always)]
fn put_short(out: &mut Vec<u8>, block: &[u8; SHORT], len: usize) {
    out.extend_from_slice(block);
    out.truncate(out.len() - (SHORT - len));
}

/// Appends `bytes`, out of line: inlined next to [`put_short`], the two copies may be merged
/// into one `memcpy` of either length, which is what `put_short` avoids.
#[inline(never)]
fn put_long(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes);
}

/// A byte string, written with [`put_short`] when it is short enough.
struct Piece {
    bytes: Vec<u8>,
    /// `bytes` padded to [`SHORT`], when they fit.
    block: Option<[u8; SHORT]>,
}

impl Piece {
    fn new(bytes: Vec<u8>) -> Piece {
        let block = (bytes.len() <= SHORT).then(|| {
            let mut block = [0; SHORT];
            block[..bytes.len()].copy_from_slice(&bytes);
            block
        });
        Piece { bytes, block }
    }

    /// `text` wrapped in `paint`.
    fn painted(paint: &Paint, text: &[u8]) -> Piece {
        let mut bytes = Vec::new();
        paint.wrap(&mut bytes, text);
        Piece::new(bytes)
    }

    #[inline(always)]
    fn write(&self, out: &mut Vec<u8>) {
        match &self.block {
            Some(block) => put_short(out, block, self.bytes.len()),
            None => put_long(out, &self.bytes),
        }
    }
}

/// What `Pretty` writes around and between tokens, rendered once per theme, so that most layout
/// events are a single short copy rather than several (paint on, text, paint off, indentation).
struct Snippets {
    /// A line break and its indentation, before a closing bracket.
    newline: Indented,
    /// `{` or `[` (indexed by [`Kind`]), then a line break and indentation.
    open: [Indented; 2],
    /// `,`, then a line break and indentation.
    comma: Indented,
    close: [Piece; 2],
    empty: [Piece; 2],
    /// `: `.
    colon: Piece,
    /// `true`, `false` and `null`.
    literals: [Piece; 3],
    /// Each [`Token`]'s paint, on and off, with a string's quotes inside.
    on: [Piece; 5],
    off: [Piece; 5],
}

impl Snippets {
    fn new(theme: &Theme) -> Snippets {
        let mut colon = Vec::new();
        theme.sep.wrap(&mut colon, b":");
        colon.push(b' ');
        let painted = |paint: &Paint, text: &[u8]| {
            let mut bytes = Vec::new();
            paint.wrap(&mut bytes, text);
            bytes
        };
        Snippets {
            newline: Indented::new(b""),
            open: [b"{", b"["].map(|b| Indented::new(&painted(&theme.punct, b))),
            comma: Indented::new(&painted(&theme.sep, b",")),
            close: [b"}", b"]"].map(|b| Piece::painted(&theme.punct, b)),
            empty: [b"{}", b"[]"].map(|b| Piece::painted(&theme.punct, b)),
            colon: Piece::new(colon),
            literals: [
                Piece::painted(&theme.boolean, b"true"),
                Piece::painted(&theme.boolean, b"false"),
                Piece::painted(&theme.null, b"null"),
            ],
            on: Token::ALL.map(|t| {
                let quote: &[u8] = if t.quoted() { b"\"" } else { b"" };
                Piece::new([&t.paint(theme).on, quote].concat())
            }),
            off: Token::ALL.map(|t| {
                let quote: &[u8] = if t.quoted() { b"\"" } else { b"" };
                Piece::new([quote, &t.paint(theme).off].concat())
            }),
        }
    }
}

/// Some text followed by a line break and up to [`INDENT_CACHE`] spaces, of which a prefix is
/// copied.
struct Indented {
    bytes: Vec<u8>,
    /// The first [`SHORT`] bytes, for the shallow lines that most documents are made of.
    block: [u8; SHORT],
    /// The text and the line break.
    head: usize,
}

impl Indented {
    fn new(text: &[u8]) -> Indented {
        let mut bytes = text.to_vec();
        bytes.push(b'\n');
        let head = bytes.len();
        bytes.resize(head + INDENT_CACHE.max(SHORT), b' ');
        let mut block = [0; SHORT];
        block.copy_from_slice(&bytes[..SHORT]);
        Indented { bytes, block, head }
    }

    /// Writes the text, a line break and `columns` spaces.
    #[inline(always)]
    fn write(&self, out: &mut Vec<u8>, columns: usize) {
        let len = self.head + columns;
        if len <= SHORT {
            put_short(out, &self.block, len);
            return;
        }
        match self.bytes.get(..len) {
            Some(bytes) => put_long(out, bytes),
            None => {
                out.extend_from_slice(&self.bytes[..self.head]);
                out.resize(out.len() + columns, b' ');
            }
        }
    }
}

/// The pretty-printer's string rules: escapes are shown as the characters they stand for, except
/// controls and lone surrogates; DEL and C1 controls are escaped; invalid UTF-8 is replaced.
struct Rewrite;

impl CopyRules for Rewrite {
    const KEEP_WHITESPACE: bool = false;

    fn escape<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()> {
        match scan.escape_letter()? {
            b'/' => scan.out.push(b'/'),
            b'u' => Rewrite::unicode_escape(scan)?,
            letter => scan.out.extend_from_slice(&[b'\\', letter]),
        }
        Ok(())
    }

    fn del<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()> {
        scan.input.pos += 1;
        scan.out.extend_from_slice(b"\\u007f");
        Ok(())
    }

    /// A valid sequence is copied, a C1 control escaped, and each maximal invalid subpart
    /// replaced by U+FFFD (as WHATWG and `from_utf8_lossy` do).
    fn non_ascii<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>, lead: u8) -> Result<()> {
        match scan.utf8_ahead(lead)? {
            Utf8Ahead::Valid(len) => scan.copy_ahead(len),
            Utf8Ahead::C1(cont) => {
                scan.input.pos += 2;
                scan.out.extend_from_slice(b"\\u00");
                scan.out.push(HEX[usize::from(cont >> 4)]);
                scan.out.push(HEX[usize::from(cont & 0xF)]);
            }
            Utf8Ahead::Invalid(len) => {
                scan.input.pos += len;
                scan.out.extend_from_slice(REPLACEMENT);
            }
        }
        Ok(())
    }
}

impl Rewrite {
    /// The `XXXX` of `\uXXXX`: shown as the character, except controls and lone surrogates,
    /// which are kept as written.
    fn unicode_escape<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()> {
        let (unit, raw) = scan.hex4()?;
        let c = match unit {
            0xD800..=0xDBFF => match scan.low_surrogate()? {
                Some(low) => {
                    0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
                }
                None => {
                    write_raw_escape(&mut scan.out, raw);
                    return Ok(());
                }
            },
            0xDC00..=0xDFFF => {
                write_raw_escape(&mut scan.out, raw);
                return Ok(());
            }
            _ => u32::from(unit),
        };
        match char::from_u32(c) {
            Some('"') => scan.out.extend_from_slice(b"\\\""),
            Some('\\') => scan.out.extend_from_slice(b"\\\\"),
            Some(ch) if !is_control(c) => {
                let mut utf8 = [0; 4];
                scan.out
                    .extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
            }
            _ => write_raw_escape(&mut scan.out, raw),
        }
        Ok(())
    }
}

/// The layout behind [`colorize_stream`]: the input's whitespace is kept and every token painted
/// where it stands, with strings copied by [`Verbatim`].
struct ColorOnly<'t> {
    theme: &'t Theme,
    /// The `off` bytes of a paint that is switched on (a key, string or number in progress), so
    /// that output cut short by an error still restores the terminal.
    open_off: &'t [u8],
}

impl Layout for ColorOnly<'_> {
    type Rules = Verbatim;

    fn theme(&self) -> &Theme {
        self.theme
    }

    /// A BOM and an XSSI prefix are copied, unpainted.
    fn preamble(&mut self, out: &mut Vec<u8>, bom: bool, prefix: Option<&[u8]>) {
        if bom {
            out.extend_from_slice(BOM);
        }
        if let Some(prefix) = prefix {
            out.extend_from_slice(prefix);
        }
    }

    fn cut(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.open_off);
    }

    #[inline]
    fn begin(&mut self, out: &mut Vec<u8>, token: Token) {
        let paint = token.paint(self.theme);
        out.extend_from_slice(&paint.on);
        if token.quoted() {
            out.push(b'"');
        }
        self.open_off = &paint.off;
    }

    #[inline]
    fn end(&mut self, out: &mut Vec<u8>, token: Token, _content: (usize, usize)) {
        if token.quoted() {
            out.push(b'"');
        }
        out.extend_from_slice(self.open_off);
        self.open_off = b"";
    }
}
/// The colorizer's string rules: everything is validated and copied as written, and what a
/// terminal could obey (DEL, C1 controls) or mangle (invalid UTF-8) is an error.
struct Verbatim;

impl CopyRules for Verbatim {
    const KEEP_WHITESPACE: bool = true;

    fn escape<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()> {
        match scan.escape_letter()? {
            b'u' => {
                let (_, raw) = scan.hex4()?;
                write_raw_escape(&mut scan.out, raw);
            }
            letter => scan.out.extend_from_slice(&[b'\\', letter]),
        }
        Ok(())
    }

    /// DEL is valid JSON, but copying it raw is what the caller's fallback avoids.
    fn del<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>) -> Result<()> {
        Err(scan.error_here("control character in string"))
    }

    fn non_ascii<R: Read, W: Write + ?Sized>(scan: &mut Scanner<'_, R, W>, lead: u8) -> Result<()> {
        match scan.utf8_ahead(lead)? {
            Utf8Ahead::Valid(len) => {
                scan.copy_ahead(len);
                Ok(())
            }
            // Some terminals obey C1 controls.
            Utf8Ahead::C1(_) => Err(scan.error_here("control character in string")),
            Utf8Ahead::Invalid(_) => Err(scan.error_here("invalid UTF-8")),
        }
    }
}

/// One object member of the sorted variant: its decoded key and where its rendering starts.
struct Entry {
    key: (usize, usize),
    start: usize,
}

/// Bookkeeping for `format_sorted`. Members are rendered in input order without separators;
/// closing an object reorders the rendered members. The vectors grow and shrink like stacks.
#[derive(Default)]
struct SortState {
    entries: Vec<Entry>,
    /// Decoded keys (WTF-8, so byte order is code point order even with lone surrogates).
    keys: Vec<u8>,
    /// Where each open object's members start in `entries`.
    objects: Vec<usize>,
    /// Where the rendering of the key being read starts in the output.
    key_start: usize,
    scratch: Vec<u8>,
}

impl SortState {
    fn open(&mut self) {
        self.objects.push(self.entries.len());
    }

    /// Records a member whose rendering starts at `key_start`, keyed by its rendered key `content`.
    fn push_entry(&mut self, content: &[u8]) {
        let key_start = self.keys.len();
        decode_rendered(content, &mut self.keys);
        self.entries.push(Entry {
            key: (key_start, self.keys.len()),
            start: self.key_start,
        });
    }

    /// Rewrites the members of the object closing now (rendered at the end of `out`) in key
    /// order, with separators and indentation at `depth + 1`.
    fn reorder(&mut self, out: &mut Vec<u8>, theme: &Theme, indent: usize, depth: usize) {
        let Some(base) = self.objects.pop() else {
            return;
        };
        let members = &self.entries[base..];
        let Some(first) = members.first() else {
            return;
        };
        let region = first.start;
        let mut spans: Vec<(&[u8], usize, usize)> = members
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let end = members.get(i + 1).map_or(out.len(), |next| next.start);
                (&self.keys[e.key.0..e.key.1], e.start, end)
            })
            .collect();
        spans.sort_by(|a, b| a.0.cmp(b.0));
        self.scratch.clear();
        for (i, &(_, start, end)) in spans.iter().enumerate() {
            if i > 0 {
                theme.sep.wrap(&mut self.scratch, b",");
            }
            newline_indent(&mut self.scratch, indent, depth + 1);
            self.scratch.extend_from_slice(&out[start..end]);
        }
        out.truncate(region);
        out.extend_from_slice(&self.scratch);
        self.keys.truncate(first.key.0);
        self.entries.truncate(base);
    }
}

/// Decodes a rendered string body (only `\"`, `\\`, `\b\f\n\r\t` and `\uXXXX` escapes remain)
/// into WTF-8 bytes for ordering.
fn decode_rendered(rendered: &[u8], dst: &mut Vec<u8>) {
    let mut i = 0;
    while i < rendered.len() {
        let b = rendered[i];
        if b != b'\\' {
            dst.push(b);
            i += 1;
            continue;
        }
        let esc = rendered.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        match esc {
            b'b' => dst.push(0x08),
            b'f' => dst.push(0x0C),
            b'n' => dst.push(b'\n'),
            b'r' => dst.push(b'\r'),
            b't' => dst.push(b'\t'),
            b'u' => {
                let digits = rendered.get(i..i + 4).unwrap_or_default();
                let unit = digits.iter().fold(0u32, |acc, &d| {
                    acc << 4 | u32::from(hex_value(d).unwrap_or(0))
                });
                push_wtf8(dst, unit);
                i += 4;
            }
            other => dst.push(other),
        }
    }
}

/// UTF-8 encoding extended to lone surrogates, which sort between U+D7FF and U+E000.
fn push_wtf8(dst: &mut Vec<u8>, c: u32) {
    match char::from_u32(c) {
        Some(ch) => dst.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
        None => dst.extend_from_slice(&[
            0xE0 | (c >> 12) as u8,
            0x80 | ((c >> 6) & 0x3F) as u8,
            0x80 | (c & 0x3F) as u8,
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::theme::Style;

    fn opts(indent: usize) -> JsonOptions<'static> {
        JsonOptions {
            indent,
            theme: None,
        }
    }

    fn fmt(input: &[u8], indent: usize) -> String {
        let out = format_slice(input, &opts(indent))
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(input)));
        String::from_utf8(out).unwrap()
    }

    fn syntax_offset(input: &[u8]) -> u64 {
        match format_slice(input, &opts(4)) {
            Err(JsonError::Syntax { offset, .. }) => offset,
            other => panic!(
                "{:?}: expected a syntax error, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }

    /// A reader that hands out one byte per call, to cross every chunk boundary.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn number_len_stops_short_of_the_buffer_end() {
        let cases: [(&[u8], Option<usize>); 16] = [
            (b"0,", Some(1)),
            (b"-12]", Some(3)),
            (b"3.25}", Some(4)),
            (b"1e5 ", Some(3)),
            (b"-0.5E+10,", Some(8)),
            (b"2e-3\n", Some(4)),
            (b"123", None),
            (b"1.", None),
            (b"1.5e", None),
            (b"1.5e+", None),
            (b"01,", None),
            (b"1.,", None),
            (b"1e,", None),
            (b"-,", None),
            (b"-", None),
            (b"", None),
        ];
        for (bytes, len) in cases {
            assert_eq!(
                number_len(bytes),
                len,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn plain_prefix_matches_the_table() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| !PLAIN[usize::from(b)])
                .unwrap_or(bytes.len())
        };
        // Every byte value at every position of a word and of the tail, after plain bytes
        // and before bytes that would stop the scan too.
        for len in 1..=19 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(plain_prefix(&bytes), naive(&bytes), "{bytes:?}");
                    bytes[len - 1] = b'"';
                    bytes[at] = b;
                    assert_eq!(plain_prefix(&bytes), naive(&bytes), "{bytes:?}");
                }
            }
        }
        // Mixed words, where several bytes stop the scan and borrows cross byte boundaries.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..(state % 24) as usize)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    let b = (state >> 56) as u8;
                    if b & 1 == 0 {
                        b'a' + (b >> 4)
                    } else {
                        b
                    }
                })
                .collect();
            assert_eq!(plain_prefix(&bytes), naive(&bytes), "{bytes:?}");
        }
        assert_eq!(plain_prefix(b""), 0);
        assert_eq!(plain_prefix(b"\x1f\x00\x80\x22"), 0);
    }

    #[test]
    fn layout() {
        let table: &[(&str, usize, &str)] = &[
            (r#"{"a":1,"b":[true,false,null]}"#, 4, "{\n    \"a\": 1,\n    \"b\": [\n        true,\n        false,\n        null\n    ]\n}"),
            ("[1,\"x\"]", 4, "[\n    1,\n    \"x\"\n]"),
            (r#"{"a":{"b":[1]}}"#, 2, "{\n  \"a\": {\n    \"b\": [\n      1\n    ]\n  }\n}"),
            (r#"{"a":[1,{"b":2}]}"#, 0, "{\n\"a\": [\n1,\n{\n\"b\": 2\n}\n]\n}"),
            (r#"{"a":{},"b":[],"c":[{},[]],"d":{ },"e":[ ]}"#, 4, "{\n    \"a\": {},\n    \"b\": [],\n    \"c\": [\n        {},\n        []\n    ],\n    \"d\": {},\n    \"e\": []\n}"),
            ("{}", 4, "{}"),
            ("[]", 4, "[]"),
            ("[[[]]]", 1, "[\n [\n  []\n ]\n]"),
            ("  \r\n\t\"s\"\n\n ", 4, "\"s\""),
            ("\u{FEFF}[1]", 4, "[\n    1\n]"),
            ("true", 4, "true"),
            ("null", 4, "null"),
            (" {\n \"a\" :\t1 , \"b\"\n:2 } ", 4, "{\n    \"a\": 1,\n    \"b\": 2\n}"),
        ];
        for &(input, indent, expected) in table {
            assert_eq!(
                fmt(input.as_bytes(), indent),
                expected,
                "{input:?} indent {indent}"
            );
        }
    }

    #[test]
    fn scalars_verbatim_and_duplicates_kept() {
        let table: &[(&str, &str)] = &[
            ("12345678901234567890123", "12345678901234567890123"),
            ("[1.10,1e400,-0.0,2E-3,1E+2,0,-7]", "[\n    1.10,\n    1e400,\n    -0.0,\n    2E-3,\n    1E+2,\n    0,\n    -7\n]"),
            (r#"{"b":1,"a":2,"b":3}"#, "{\n    \"b\": 1,\n    \"a\": 2,\n    \"b\": 3\n}"),
            (r#"{"z":0.000000000000000000000001,"y":-123456789012345678901234567890.5e-10}"#,
             "{\n    \"z\": 0.000000000000000000000001,\n    \"y\": -123456789012345678901234567890.5e-10\n}"),
        ];
        for &(input, expected) in table {
            assert_eq!(fmt(input.as_bytes(), 4), expected, "{input:?}");
        }
    }

    #[test]
    fn string_rules() {
        let table: &[(&[u8], &str)] = &[
            (br#""\u00e9\u4E2D""#, "\"é中\""),
            (br#""\ud83d\ude00""#, "\"😀\""),
            (br#""\uD83D""#, r#""\uD83D""#),
            (br#""\udc00x""#, r#""\udc00x""#),
            (br#""\ud83d\u0041""#, r#""\ud83dA""#),
            (br#""\ud83d\ud83d\ude00""#, "\"\\ud83d😀\""),
            (br#""a\/b""#, "\"a/b\""),
            (br#""\u0022\u005C\u002f""#, r#""\"\\/""#),
            (br#""\"\\\n\t\r\b\f""#, r#""\"\\\n\t\r\b\f""#),
            (
                br#""\u001b[31m\u001B\u0000\u007f\u0085\u000a""#,
                r#""\u001b[31m\u001B\u0000\u007f\u0085\u000a""#,
            ),
            (b"\"del\x7f\"", r#""del\u007f""#),
            (
                b"\"c1\xc2\x9b[31m\xc2\x80\xc2\x9f\xc2\xa0\"",
                "\"c1\\u009b[31m\\u0080\\u009f\u{a0}\"",
            ),
            (
                "\"héllo wörld 中文 😀\"".as_bytes(),
                "\"héllo wörld 中文 😀\"",
            ),
            (b"\"bad\xff\xfe!\"", "\"bad\u{FFFD}\u{FFFD}!\""),
            (b"\"cut\xe4\xb8\"", "\"cut\u{FFFD}\""),
            (
                b"\"over\xc0\xaf\xed\xa0\x80\"",
                "\"over\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\"",
            ),
            (b"\"\xf0\x9f\x98\"", "\"\u{FFFD}\""),
        ];
        for &(input, expected) in table {
            assert_eq!(
                fmt(input, 4),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        // A raw ESC (invalid JSON) is rejected, never written.
        assert_eq!(syntax_offset(b"[\"a\x1b[31m\"]"), 3);
        assert_eq!(syntax_offset(b"\"tab\there\""), 4);
    }

    #[test]
    fn xssi_prefixes() {
        let table: &[(&str, &str)] = &[
            (")]}',\n{\"a\":1}", ")]}',\n{\n    \"a\": 1\n}"),
            (")]}'\n[1]", ")]}'\n[\n    1\n]"),
            (")]}',[]", ")]}',\n[]"),
            ("while(1);{\"a\":1}", "while(1);\n{\n    \"a\": 1\n}"),
            ("for(;;);\r\n[]", "for(;;);\n[]"),
        ];
        for &(input, expected) in table {
            assert_eq!(fmt(input.as_bytes(), 4), expected, "{input:?}");
        }
        assert_eq!(syntax_offset(b" )]}'\n[]"), 1);
        assert_eq!(syntax_offset(b")]}'"), 4);
    }

    #[test]
    fn syntax_errors_report_offsets() {
        let table: &[(&str, u64)] = &[
            ("", 0),
            ("   ", 3),
            ("{\"a\" 1}", 5),
            ("[1,]", 3),
            ("[1 2]", 3),
            ("{\"a\":1,}", 7),
            ("{1:2}", 1),
            ("01", 1),
            ("1.", 2),
            ("-x", 1),
            ("1e+", 3),
            ("nul1", 3),
            ("tru", 3),
            ("\"\\x\"", 2),
            ("\"\\u12g4\"", 5),
            ("[1] x", 4),
            ("[1]]", 3),
            ("{\"a\":1]", 6),
            ("<html>", 0),
            ("{\"a\": [1, 2", 11),
            ("\"abc", 4),
            ("{\"a\"", 4),
            ("[\"\\u12", 6),
        ];
        for &(input, offset) in table {
            assert_eq!(syntax_offset(input.as_bytes()), offset, "{input:?}");
        }
        let err = format_slice(b"[1,]", &opts(4)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid JSON at byte 3: expected a JSON value"
        );
        assert_eq!(err.offset(), Some(3));
        let err = format_slice(b"[1", &opts(4)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid JSON at byte 2: unexpected end of input"
        );
    }

    #[test]
    fn colours_with_auto_theme() {
        let theme = Theme::new(Style::Auto);
        let o = JsonOptions {
            indent: 2,
            theme: Some(&theme),
        };
        let out = format_slice(br#"{"k":["s",1,true,null],"e":{}}"#, &o).unwrap();
        let expected = concat!(
            "\x1b[1m{\x1b[0m\n",
            "  \x1b[1;34m\"k\"\x1b[0m: \x1b[1m[\x1b[0m\n",
            "    \x1b[32m\"s\"\x1b[0m,\n",
            "    \x1b[36m1\x1b[0m,\n",
            "    \x1b[35mtrue\x1b[0m,\n",
            "    \x1b[1;90mnull\x1b[0m\n",
            "  \x1b[1m]\x1b[0m,\n",
            "  \x1b[1;34m\"e\"\x1b[0m: \x1b[1m{}\x1b[0m\n",
            "\x1b[1m}\x1b[0m",
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn one_byte_reads_match_slice_output() {
        let doc = "\u{FEFF})]}',\n { \"k\u{e9}y\" : [ -12.5e+3, \"\\ud83d\\ude00 \\u00e9 \\uD800 \\/ \u{4e2d}\\u001b\",\n \
                   {\"\":{}}, [ ], true , false,null, 12345678901234567890123 ], \"s\":\"\x7f\u{85}\" } \n";
        let theme = Theme::new(Style::Monokai);
        for o in [
            opts(4),
            opts(0),
            JsonOptions {
                indent: 3,
                theme: Some(&theme),
            },
        ] {
            let expected = format_slice(doc.as_bytes(), &o).unwrap();
            let mut streamed = Vec::new();
            format_stream(Trickle(doc.as_bytes()), &mut streamed, &o).unwrap();
            assert_eq!(streamed, expected);
            let mut sorted_bytes = Vec::new();
            format_sorted(Trickle(doc.as_bytes()), &mut sorted_bytes, &o).unwrap();
            let mut sorted_slice = Vec::new();
            format_sorted(doc.as_bytes(), &mut sorted_slice, &o).unwrap();
            assert_eq!(sorted_bytes, sorted_slice);
        }
        // Errors land on the same offset either way.
        let bad = b"[1, {\"a\": tru }]";
        let err = format_stream(Trickle(bad), &mut Vec::new(), &opts(4)).unwrap_err();
        assert_eq!(err.offset(), Some(13));
        assert_eq!(syntax_offset(bad), 13);
    }

    #[test]
    fn long_values_cross_chunks() {
        let long = "x\u{e9}\\u00e9".repeat(40_000);
        let digits = "9".repeat(150_000);
        let doc = format!("[\"{long}\",{digits}]");
        let expected = format!(
            "[\n    \"{}\",\n    {digits}\n]",
            "x\u{e9}\u{e9}".repeat(40_000)
        );
        let mut out = Vec::new();
        format_stream(doc.as_bytes(), &mut out, &opts(4)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(fmt(doc.as_bytes(), 4), expected);
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(format_slice(ok.as_bytes(), &opts(0)).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let err = format_slice(deep.as_bytes(), &opts(0)).unwrap_err();
        assert_eq!(err.offset(), Some(MAX_DEPTH as u64));
        assert!(err.to_string().contains("nesting deeper than 10000"));
        // Unindented, so that the output bound (which indentation this deep would hit
        // first) does not stop it before the depth limit.
        let objects = "{\"a\":".repeat(MAX_DEPTH + 1);
        let err = format_slice(objects.as_bytes(), &opts(0)).unwrap_err();
        assert_eq!(err.offset(), Some((5 * MAX_DEPTH) as u64), "{err}");
        let mut sink = Vec::new();
        assert!(format_sorted(deep.as_bytes(), &mut sink, &opts(0)).is_err());
        assert!(sink.is_empty());
    }

    #[test]
    fn error_handling_of_entry_points() {
        let mut buf = b"keep".to_vec();
        assert!(format_slice_into(b"[1,2", &mut buf, &opts(4)).is_err());
        assert_eq!(buf, b"keep");
        format_slice_into(b"[1]", &mut buf, &opts(0)).unwrap();
        assert_eq!(buf, b"keep[\n1\n]");

        // Streaming writes what it formatted before the error, then resets colours.
        let theme = Theme::new(Style::Auto);
        let o = JsonOptions {
            indent: 0,
            theme: Some(&theme),
        };
        let mut out = Vec::new();
        let err = format_stream(&b"[\"ab"[..], &mut out, &o).unwrap_err();
        assert_eq!(err.offset(), Some(4));
        assert_eq!(out, b"\x1b[1m[\x1b[0m\n\x1b[32m\"ab\x1b[0m");
    }

    #[test]
    fn sniffing() {
        let table: &[(&[u8], bool)] = &[
            (b"{\"a\": 1}", true),
            (b"  [1, 2", true),
            (b"\"str", true),
            (b"-1", true),
            (b"123", true),
            (b"true", true),
            (b"fals", true),
            (b"null\n", true),
            (b")]}',\n{\"a\":", true),
            (b"while(1);[", true),
            (b"\xEF\xBB\xBF{}", true),
            (b"{\"a\":\"\\u12", true),
            (b"", false),
            (b"   ", false),
            (b"<html>", false),
            (b"404 Not Found", false),
            (b"no content", false),
            (b"[Thu Jan 01] log line", false),
            (b"{\"a\" 1}", false),
            (b"hello", false),
        ];
        for &(input, expected) in table {
            assert_eq!(
                looks_like_json(input),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let big = format!("[{}", "1,".repeat(10_000));
        assert!(looks_like_json(big.as_bytes()));
    }

    #[test]
    fn sorted_keys() {
        let sorted = |input: &[u8], o: &JsonOptions| {
            let mut out = Vec::new();
            format_sorted(input, &mut out, o).unwrap();
            String::from_utf8(out).unwrap()
        };
        let table: &[(&str, usize, &str)] = &[
            (r#"{"b":1,"a":{"d":[3,{"z":1,"y":2}],"c":{}},"b":0}"#, 2,
             "{\n  \"a\": {\n    \"c\": {},\n    \"d\": [\n      3,\n      {\n        \"y\": 2,\n        \"z\": 1\n      }\n    ]\n  },\n  \"b\": 1,\n  \"b\": 0\n}"),
            (r#"[{"b":1,"a":2},[{"d":1,"c":2}]]"#, 0, "[\n{\n\"a\": 2,\n\"b\": 1\n},\n[\n{\n\"c\": 2,\n\"d\": 1\n}\n]\n]"),
            // By code point: "\n" (U+000A) < "A" < "a" < "é" < lone surrogate < U+E000 < emoji.
            (r#"{"\ud83d\ude00":1,"\ue000":2,"\udc00":3,"é":4,"a":5,"A":6,"\n":7}"#, 0,
             "{\n\"\\n\": 7,\n\"A\": 6,\n\"a\": 5,\n\"é\": 4,\n\"\\udc00\": 3,\n\"\u{e000}\": 2,\n\"😀\": 1\n}"),
            (")]}'\n{\"b\":1e400,\"a\":1.10}", 4, ")]}'\n{\n    \"a\": 1.10,\n    \"b\": 1e400\n}"),
            ("3", 4, "3"),
        ];
        for &(input, indent, expected) in table {
            assert_eq!(
                sorted(input.as_bytes(), &opts(indent)),
                expected,
                "{input:?}"
            );
        }
        let theme = Theme::new(Style::Auto);
        let o = JsonOptions {
            indent: 2,
            theme: Some(&theme),
        };
        let expected = concat!(
            "\x1b[1m{\x1b[0m\n",
            "  \x1b[1;34m\"a\"\x1b[0m: \x1b[1m[]\x1b[0m,\n",
            "  \x1b[1;34m\"b\"\x1b[0m: \x1b[32m\"x\"\x1b[0m\n",
            "\x1b[1m}\x1b[0m",
        );
        assert_eq!(sorted(br#"{"b":"x","a":[]}"#, &o), expected);
        let mut out = Vec::new();
        assert_eq!(
            format_sorted(&b"{\"a\":1,}"[..], &mut out, &o)
                .unwrap_err()
                .offset(),
            Some(7)
        );
        assert!(out.is_empty());
    }

    /// The input again: `s` without its SGR escape sequences.
    fn strip_sgr(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < s.len() {
            if s[i..].starts_with(b"\x1b[") {
                let end = s[i..].iter().position(|&b| b == b'm').unwrap();
                i += end + 1;
            } else {
                out.push(s[i]);
                i += 1;
            }
        }
        out
    }

    fn colorize(input: &[u8], theme: &Theme) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        colorize_stream(input, &mut out, theme)?;
        Ok(out)
    }

    #[test]
    fn colorize_keeps_layout() {
        let theme = Theme::new(Style::Auto);
        let input =
            b"{ \"k\" :[\"s\\u00e9\\n\", -1.5E+3 ,true,false,null,{}, [ ] ],\r\n\t\"e\":{\n}}\n";
        let expected = concat!(
            "\x1b[1m{\x1b[0m \x1b[1;34m\"k\"\x1b[0m :\x1b[1m[\x1b[0m",
            "\x1b[32m\"s\\u00e9\\n\"\x1b[0m, \x1b[36m-1.5E+3\x1b[0m ,",
            "\x1b[35mtrue\x1b[0m,\x1b[35mfalse\x1b[0m,\x1b[1;90mnull\x1b[0m,",
            "\x1b[1m{}\x1b[0m, \x1b[1m[\x1b[0m \x1b[1m]\x1b[0m \x1b[1m]\x1b[0m,\r\n\t",
            "\x1b[1;34m\"e\"\x1b[0m:\x1b[1m{\x1b[0m\n\x1b[1m}\x1b[0m\x1b[1m}\x1b[0m\n",
        );
        assert_eq!(
            String::from_utf8(colorize(input, &theme).unwrap()).unwrap(),
            expected
        );
        // Separators get their own paint where a style has one.
        let solarized = Theme::new(Style::Solarized);
        assert_eq!(
            colorize(b"[1,2]", &solarized).unwrap(),
            b"\x1b[38;5;244m[\x1b[0m\x1b[38;5;125m1\x1b[0m\x1b[38;5;244m,\x1b[0m\
              \x1b[38;5;125m2\x1b[0m\x1b[38;5;244m]\x1b[0m"
        );
    }

    #[test]
    fn colorize_copies_every_byte() {
        let docs: &[&[u8]] = &[
            b"\xEF\xBB\xBF)]}',\n {\"a\" : [1, 2.50, 1e400, -0]}",
            b"while(1);[\"x\"]",
            b"  \"\\ud83d \\/ \\\" \\\\ \\u001b[31m \\b\\f\\r\\t\"  ",
            "{\"h\u{e9}llo\": \"w\u{f6}rld \u{4e2d} \u{1f600} \u{a0}\"}".as_bytes(),
            b"{\"a\":{\"b\":[[],{},[{}]]},\"a\":null}",
            b"[\r\n  1,\r\n  2\r\n]\r\n",
            b"12345678901234567890123",
            b"{}",
        ];
        for style in [Style::Auto, Style::Solarized, Style::Monokai, Style::Mono] {
            let theme = Theme::new(style);
            for &doc in docs {
                let out = colorize(doc, &theme).unwrap();
                assert_eq!(
                    strip_sgr(&out),
                    doc,
                    "{style} {:?}",
                    String::from_utf8_lossy(doc)
                );
                let mut trickled = Vec::new();
                colorize_stream(Trickle(doc), &mut trickled, &theme).unwrap();
                assert_eq!(trickled, out);
            }
        }
        for &doc in docs {
            assert_eq!(colorize(doc, &Theme::PLAIN).unwrap(), doc);
        }
    }

    #[test]
    fn colorize_rejects_what_it_cannot_copy() {
        let table: &[(&[u8], u64, &str)] = &[
            (b"", 0, "unexpected end of input"),
            (b"[1,]", 3, "expected a JSON value"),
            (b"{\"a\" 1}", 5, "expected ':'"),
            (b"[1] x", 4, "unexpected data after the JSON value"),
            (b"01", 1, "leading zeros are not allowed"),
            (b"nul1", 3, "invalid literal"),
            (b"\"\\x\"", 2, "invalid escape sequence"),
            (b"\"\\u12g4\"", 5, "invalid \\u escape"),
            (b"[\"\\u12", 6, "unexpected end of input"),
            (b"\"a\x1b[31m\"", 2, "control character in string"),
            (b"\"tab\there\"", 4, "control character in string"),
            (b"\"del\x7f\"", 4, "control character in string"),
            (b"\"c1\xc2\x9b[31m\"", 3, "control character in string"),
            (b"\"bad\xff\"", 4, "invalid UTF-8"),
            (b"\"cut\xe4\xb8\"", 4, "invalid UTF-8"),
            (b"\"surrogate\xed\xa0\x80\"", 10, "invalid UTF-8"),
            (b"[1,\r2]", 3, "carriage return without line feed"),
            (b"[1]\r", 3, "carriage return without line feed"),
            (b"<html>", 0, "expected a JSON value"),
        ];
        for &(input, offset, message) in table {
            let err = colorize(input, &Theme::PLAIN).unwrap_err();
            let JsonError::Syntax {
                offset: at,
                message: m,
            } = &err
            else {
                panic!("{err:?}");
            };
            assert_eq!(
                (*at, m.as_str()),
                (offset, message),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            let trickled = colorize_stream(Trickle(input), &mut Vec::new(), &Theme::PLAIN);
            assert_eq!(trickled.unwrap_err().offset(), Some(offset));
        }
        let deep = "[".repeat(MAX_DEPTH + 1);
        let err = colorize(deep.as_bytes(), &Theme::PLAIN).unwrap_err();
        assert_eq!(err.offset(), Some(MAX_DEPTH as u64));
    }

    #[test]
    fn colorize_error_output_is_a_reset_prefix() {
        let theme = Theme::new(Style::Auto);
        let mut out = Vec::new();
        let err = colorize_stream(&b"{\"a\": \"b\x07"[..], &mut out, &theme).unwrap_err();
        assert_eq!(err.offset(), Some(8));
        assert_eq!(
            out,
            b"\x1b[1m{\x1b[0m\x1b[1;34m\"a\"\x1b[0m: \x1b[32m\"b\x1b[0m"
        );
    }

    #[test]
    fn colorize_long_values_cross_chunks() {
        let long = "x\u{e9}\\u00e9".repeat(40_000);
        let digits = "9".repeat(150_000);
        let spaces = " ".repeat(200_000);
        let doc = format!("[\"{long}\",{spaces}{digits}]");
        let theme = Theme::new(Style::Monokai);
        let out = colorize(doc.as_bytes(), &theme).unwrap();
        assert_eq!(strip_sgr(&out), doc.as_bytes());
        let mut trickled = Vec::new();
        colorize_stream(Trickle(doc.as_bytes()), &mut trickled, &theme).unwrap();
        assert_eq!(trickled, out);
    }
}
