//! `--download`: where the body goes (`-o`, Content-Disposition, the initial URL; never over
//! an existing file), resuming with `Range`, the progress bar, the integrity check and Ctrl-C.
//! Headers are printed by the caller; this module writes only the body and its own lines on
//! stderr. It knows no transport: the body arrives as a plain reader (`message::Response`),
//! or, when the transport offers it, as a `message::KernelBody` that the kernel moves.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{
    BinaryBytes, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle,
};
use url::Url;

use crate::env::Env;
use crate::error::{Failure, Outcome};
use crate::message::{KernelBody, Response};
use crate::prepare::PreparedRequest;
use crate::spec::RequestSpec;

/// Bytes per read and per write: large writes go straight to the file, no buffering needed.
const CHUNK: usize = 512 * 1024;
/// A generated name is cut to this many bytes, leaving room for a `-N` suffix under NAME_MAX.
const MAX_NAME: usize = 240;
/// How many `-N` suffixes to try before giving up.
const MAX_SUFFIX: u32 = 10_000;

// ------------------------------------------------------------------ file names

/// The file name a `Content-Disposition` value asks for, made safe: `filename*` (RFC 5987,
/// UTF-8 or ISO-8859-1) first, else `filename`; see [`sanitize`]. `None` when neither
/// yields a usable name.
pub fn disposition_filename(value: &[u8]) -> Option<String> {
    let text = match std::str::from_utf8(value) {
        Ok(s) => s.to_string(),
        Err(_) => latin1(value),
    };
    let params = parameters(&text);
    let find = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let extended = find("filename*").and_then(decode_ext_value);
    extended
        .and_then(|n| sanitize(&n))
        .or_else(|| find("filename").and_then(sanitize))
}

/// ISO-8859-1 bytes as text (each byte is the code point of the same number).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// `type; a=1; b="x;y"` -> [("a", "1"), ("b", "x;y")]: quoted strings (with backslash
/// escapes) may contain `;`.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut name = String::new();
        for c in chars.by_ref() {
            if c == '=' || c == ';' {
                break;
            }
            name.push(c);
        }
        if chars.peek().is_none() && name.trim().is_empty() {
            return out;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            // Anything up to the next parameter is junk.
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
            value = value.trim().to_string();
        }
        out.push((name.trim().to_string(), value));
    }
}

/// An RFC 5987 `ext-value`: `charset'language'percent-encoded`.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?.trim();
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") || charset.eq_ignore_ascii_case("latin1") {
        Some(latin1(&bytes))
    } else {
        None
    }
}

/// A name a server may choose: control and bidi characters dropped, only the part after the last
/// `/` or `\`, leading dots and spaces removed (so never a dotfile, never `..`), trailing
/// spaces removed, cut to [`MAX_NAME`] bytes keeping a short extension. `None` if empty.
pub fn sanitize(name: &str) -> Option<String> {
    let visible: String = name
        .chars()
        .filter(|c| !c.is_control() && !crate::output::is_bidi_control(*c))
        .collect();
    let base = visible.rsplit(['/', '\\']).next().unwrap_or("");
    let base = base
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    if base.is_empty() {
        return None;
    }
    Some(shorten(base, MAX_NAME))
}

/// `name` cut to at most `max` bytes on a character boundary, keeping an extension of up to
/// 16 bytes.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let mut cut = max - ext.len();
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &name[..cut])
}

/// The name from the initial URL: the last segment of its path (percent-decoded, made safe),
/// `index` when there is none, with an extension from the Content-Type when it has no dot.
pub fn url_filename(url: &Url, content_type: Option<&str>) -> String {
    let path = url.path().trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    let mut name = sanitize(&decoded).unwrap_or_else(|| "index".to_string());
    if !name.contains('.') {
        if let Some(ext) = content_type.and_then(extension_for) {
            name.push('.');
            name.push_str(ext);
        }
    }
    name
}

/// The usual extension for a Content-Type: common types by a table (mime_guess lists
/// several, not always the familiar one first), the rest from mime_guess.
/// `application/octet-stream` gets none.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    const COMMON: &[(&str, &str)] = &[
        ("text/plain", "txt"),
        ("text/html", "html"),
        ("application/xhtml+xml", "xhtml"),
        ("application/json", "json"),
        ("application/pdf", "pdf"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("text/csv", "csv"),
        ("text/css", "css"),
        ("text/markdown", "md"),
        ("text/javascript", "js"),
        ("application/javascript", "js"),
        ("image/png", "png"),
        ("image/jpeg", "jpg"),
        ("image/gif", "gif"),
        ("image/svg+xml", "svg"),
        ("image/webp", "webp"),
        ("audio/mpeg", "mp3"),
        ("video/mp4", "mp4"),
        ("application/zip", "zip"),
        ("application/gzip", "gz"),
        ("application/x-gzip", "gz"),
        ("application/x-tar", "tar"),
        ("application/x-bzip2", "bz2"),
        ("application/x-xz", "xz"),
        ("application/zstd", "zst"),
        ("application/wasm", "wasm"),
    ];
    if let Some((_, ext)) = COMMON.iter().find(|(m, _)| *m == mime) {
        return Some(ext);
    }
    if mime == "application/octet-stream" || mime.is_empty() {
        return None;
    }
    if mime.ends_with("+json") {
        return Some("json");
    }
    if mime.ends_with("+xml") {
        return Some("xml");
    }
    mime_guess::get_mime_extensions_str(&mime).and_then(|exts| exts.first().copied())
}

/// `name` with the `n`th suffix, HTTPie style (after the whole name): `file.txt-1`.
pub fn suffixed(name: &str, n: u32) -> String {
    if n == 0 {
        name.to_string()
    } else {
        format!("{name}-{n}")
    }
}

/// Create `name` in `dir`, or `name-1`, `name-2`, ... when taken; `create_new` makes the
/// check and the creation one step, so a file (or symlink) that appears meanwhile is never
/// overwritten.
pub fn create_unique(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    for n in 0..MAX_SUFFIX {
        let path = dir.join(suffixed(name, n));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("'{name}' and {MAX_SUFFIX} numbered variants exist already"),
    ))
}

// ------------------------------------------------------------------ ranges

/// A `Content-Range: bytes START-END/TOTAL` value (`TOTAL` may be `*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    pub start: u64,
    pub end: u64,
    pub total: Option<u64>,
}

fn strip_bytes_unit(value: &str) -> Option<&str> {
    let v = value.trim();
    let (unit, rest) = v.split_once(char::is_whitespace)?;
    unit.eq_ignore_ascii_case("bytes").then(|| rest.trim())
}

/// Parse a satisfied range; `None` when malformed or inconsistent (end before start, end
/// past the total).
pub fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = strip_bytes_unit(value)?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (start, end) = (num(start)?, num(end)?);
    let total = match total.trim() {
        "*" => None,
        t => Some(num(t)?),
    };
    if end < start || total.is_some_and(|t| end >= t) {
        return None;
    }
    Some(ContentRange { start, end, total })
}

/// The total of an unsatisfied range (`bytes */TOTAL`, sent with 416).
pub fn parse_unsatisfied_range(value: &str) -> Option<u64> {
    let rest = strip_bytes_unit(value)?;
    let total = rest
        .strip_prefix('*')?
        .trim_start()
        .strip_prefix('/')?
        .trim();
    (!total.is_empty() && total.bytes().all(|b| b.is_ascii_digit()))
        .then(|| total.parse().ok())
        .flatten()
}

/// `bytes=N-` as sent, when resuming.
fn sent_offset(spec: &RequestSpec, req: &PreparedRequest) -> Option<u64> {
    if !spec.output.resume {
        return None;
    }
    let value = std::str::from_utf8(req.header("range")?).ok()?.trim();
    let n = value.strip_prefix("bytes=")?.strip_suffix('-')?;
    n.parse().ok()
}

/// A 416 to a resume whose `Content-Range: bytes */TOTAL` says the file is whole already:
/// success, not an HTTP error.
pub fn already_complete(spec: &RequestSpec, req: &PreparedRequest, resp: &Response) -> bool {
    resp.status == 416
        && sent_offset(spec, req).is_some_and(|n| {
            resp.header_str("content-range")
                .and_then(parse_unsatisfied_range)
                == Some(n)
        })
}

// ------------------------------------------------------------------ saving

/// Where the body goes.
enum Sink {
    File(PathBuf),
    Stdout,
}

impl Sink {
    fn describe(&self) -> String {
        match self {
            Sink::File(p) => format!(
                "\"{}\"",
                crate::output::visible(p.as_os_str().as_encoded_bytes())
            ),
            Sink::Stdout => "standard output".to_string(),
        }
    }
}

/// What the response promises: the whole file's size and where this body starts in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    /// Bytes already in the file that this body continues (0 unless resuming).
    offset: u64,
    /// The complete size, when the response tells it (Content-Length or Content-Range).
    full: Option<u64>,
}

/// Decide the offset and the expected size from the status and headers.
fn plan(spec: &RequestSpec, req: &PreparedRequest, resp: &Response) -> Result<Plan> {
    let body_less = req.method == "HEAD" || matches!(resp.status, 100..=199 | 204 | 304);
    let length = if resp.header("transfer-encoding").is_some() || body_less {
        None
    } else {
        resp.header_str("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let Some(offset) = sent_offset(spec, req).filter(|_| resp.status == 206) else {
        // A 200 to a resume starts over.
        return Ok(Plan {
            offset: 0,
            full: length,
        });
    };
    let value = resp.header_str("content-range").ok_or_else(|| {
        Failure::Network(format!(
            "cannot resume: the server answered 206 Partial Content without a Content-Range \
             (asked for bytes={offset}-); the file was left unchanged"
        ))
    })?;
    let range = parse_content_range(value)
        .filter(|r| r.start == offset)
        .ok_or_else(|| {
            Failure::Network(format!(
                "cannot resume: unexpected Content-Range '{}' (asked for bytes={offset}-); \
                 the file was left unchanged",
                crate::output::visible(value.as_bytes())
            ))
        })?;
    let full = range
        .total
        .or_else(|| Some(offset + length.unwrap_or(range.end - range.start + 1)));
    Ok(Plan { offset, full })
}

/// Open where the body goes: `-o` (written on at its end when resuming), stdout when
/// redirected, else a fresh name in the current directory.
fn open_sink(spec: &RequestSpec, resp: &Response, plan: &Plan, env: &Env) -> Result<(Out, Sink)> {
    let o = &spec.output;
    if let Some(path) = &o.output_file {
        let mut opts = OpenOptions::new();
        // Resuming writes from the end, not in append mode: `splice(2)` refuses O_APPEND.
        opts.write(true);
        if plan.offset == 0 {
            opts.create(true).truncate(true);
        }
        let cannot = |e: io::Error| {
            crate::error::usage(format!(
                "cannot write output file '{}': {}",
                path.display(),
                crate::error::plain_io(&e)
            ))
        };
        let mut file = opts.open(path).map_err(cannot)?;
        if plan.offset > 0 {
            io::Seek::seek(&mut file, io::SeekFrom::End(0)).map_err(cannot)?;
        }
        preallocate(&file, resp, plan);
        return Ok((Out::File(file), Sink::File(path.clone())));
    }
    if !env.stdout_is_tty {
        return Ok((Out::Other(raw_stdout()?), Sink::Stdout));
    }
    let name = resp
        .header("content-disposition")
        .and_then(disposition_filename)
        .unwrap_or_else(|| url_filename(&spec.url, resp.header_str("content-type")));
    let (file, path) = create_unique(Path::new("."), &name)
        .with_context(|| format!("cannot create the download file '{name}'"))?;
    let path = path
        .strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or(path);
    preallocate(&file, resp, plan);
    Ok((Out::File(file), Sink::File(path)))
}

/// Where the body goes: a file the kernel may write itself, or any writer.
enum Out {
    File(File),
    Other(Box<dyn Write + Send>),
}

/// The body's content-encoding leaves it as sent: what is saved is the wire's bytes.
fn identity(resp: &Response) -> bool {
    resp.header_str("content-encoding")
        .is_none_or(|e| e.trim().eq_ignore_ascii_case("identity"))
}

/// Reserve the disk space the body will take, when its size is known: the file system then
/// allocates once instead of on every write, which is most of a fast download's cost. The
/// file's visible size does not change (`FALLOC_FL_KEEP_SIZE`), so a cut download still
/// shows exactly the bytes received and resumes with `-c`. Best effort: a file system that
/// cannot do it (or a non-Linux system) just writes as usual.
fn preallocate(file: &File, resp: &Response, plan: &Plan) {
    let Some(full) = plan.full.filter(|_| identity(resp)) else {
        return;
    };
    let remaining = full.saturating_sub(plan.offset);
    if remaining == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(at), Ok(len)) = (
            libc::off_t::try_from(plan.offset),
            libc::off_t::try_from(remaining),
        ) else {
            return;
        };
        // SAFETY: a plain system call on a descriptor `file` keeps open for the call.
        let _ = unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, at, len) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// stdout without std's line buffering (a download is bytes, not lines).
#[cfg(unix)]
fn raw_stdout() -> Result<Box<dyn Write + Send>> {
    use std::os::fd::AsFd;
    let fd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("cannot use standard output")?;
    Ok(Box::new(File::from(fd)))
}

#[cfg(not(unix))]
fn raw_stdout() -> Result<Box<dyn Write + Send>> {
    Ok(Box::new(io::stdout()))
}

/// Counts the bytes that come off the wire, before any content decoding.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Why copying stopped early.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
    Stopped,
}

/// State shared by the copying thread, the Ctrl-C handler and the caller.
#[derive(Default)]
struct Progress {
    /// Raw (wire) bytes read.
    raw: Arc<AtomicU64>,
    /// Bytes written to the sink; the lock is held across each write so that a reader of
    /// this count knows the file holds exactly that much.
    written: Mutex<u64>,
    stop: AtomicBool,
}

impl Progress {
    /// Bytes in the sink; waits for a write in progress, so the count matches the file.
    fn written(&self) -> u64 {
        *self.written.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Copy the body to the sink, a chunk at a time. The bar is not touched here: the waiting
/// thread draws it from the shared count, so the data path never waits on the terminal.
fn copy(
    mut reader: Box<dyn Read + Send>,
    mut out: Box<dyn Write + Send>,
    progress: &Progress,
) -> Result<(), CopyError> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        {
            let mut written = progress.written.lock().unwrap_or_else(|e| e.into_inner());
            if progress.stop.load(Ordering::SeqCst) {
                return Err(CopyError::Stopped);
            }
            out.write_all(&buf[..n]).map_err(CopyError::Write)?;
            *written += n as u64;
        }
    }
    out.flush().map_err(CopyError::Write)
}

/// [`copy`] with the kernel moving the bytes: the same counts, the same stop between two
/// pieces, the lock held while a piece is written so that the count matches the file.
fn kernel_copy(
    mut body: Box<dyn KernelBody>,
    file: &File,
    progress: &Progress,
) -> Result<(), CopyError> {
    loop {
        let n = match body.stage() {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        progress.raw.fetch_add(n as u64, Ordering::Relaxed);
        let mut written = progress.written.lock().unwrap_or_else(|e| e.into_inner());
        if progress.stop.load(Ordering::SeqCst) {
            return Err(CopyError::Stopped);
        }
        body.land(file).map_err(CopyError::Write)?;
        *written += n as u64;
    }
}

/// A regular file opened without O_APPEND (`splice(2)` refuses to append; a resumed file is
/// written from its end instead); a device or a pipe named by `-o` is left to plain writes.
fn kernel_writable(file: &File) -> bool {
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain fcntl on a descriptor `file` keeps open.
        let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
        flags >= 0 && flags & libc::O_APPEND == 0
    }
    #[cfg(not(unix))]
    false
}

enum Event {
    Done(Result<(), CopyError>),
    Interrupted,
}

/// Save the body of a response whose status has been accepted.
pub fn save(
    spec: &RequestSpec,
    req: &PreparedRequest,
    mut resp: Response,
    env: &Env,
) -> Result<Outcome> {
    let talk = spec.output.quiet.shows_notes();
    if already_complete(spec, req, &resp) {
        if talk {
            note(&complete_note(spec, req));
        }
        return Ok(Outcome::Done);
    }
    let plan = plan(spec, req, &resp)?;
    let (out, sink) = open_sink(spec, &resp, &plan, env)?;
    let progress = Arc::new(Progress::default());
    let (tx, rx) = mpsc::channel();
    // Installed only now (start-up stays cheap), and before anything is said, so that once
    // "Downloading" appears Ctrl-C is handled.
    let on_interrupt = tx.clone();
    crate::interrupt::on_next(move || {
        let _ = on_interrupt.send(Event::Interrupted);
    });
    if talk {
        note(&announce(&sink, &plan));
    }
    let bar = (talk && env.stderr_is_tty).then(|| progress_bar(&plan));
    let started = Instant::now();
    let worker = start_copy(&mut resp, out, &progress, tx);
    let event = wait(&rx, bar.as_ref(), &progress, plan.offset);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let Event::Done(result) = event else {
        progress.stop.store(true, Ordering::SeqCst);
        interrupted(spec, &sink, &plan, plan.offset + progress.written(), env);
        return Ok(Outcome::Interrupted);
    };
    let _ = worker.join();
    let received = plan.offset + progress.raw.load(Ordering::Relaxed);
    let outcome = judge(result, received, spec, &sink, &plan, env)?;
    if talk && outcome == Outcome::Done {
        note(&summary(progress.written(), started.elapsed()));
    }
    Ok(outcome)
}

/// `FILE is already complete (SIZE); nothing to download`
fn complete_note(spec: &RequestSpec, req: &PreparedRequest) -> String {
    let path = spec.output.output_file.as_deref().unwrap_or(Path::new(""));
    let size = sent_offset(spec, req).unwrap_or_default();
    format!(
        "{} is already complete ({}); nothing to download",
        Sink::File(path.to_path_buf()).describe(),
        human(size)
    )
}

/// How often the waiting thread moves the bar (indicatif redraws at most 20 times a second).
const BAR_UPDATE: Duration = Duration::from_millis(50);

/// Waits for the copy to end or Ctrl-C, moving the bar meanwhile.
fn wait(
    rx: &mpsc::Receiver<Event>,
    bar: Option<&ProgressBar>,
    progress: &Progress,
    offset: u64,
) -> Event {
    let Some(bar) = bar else {
        return rx.recv().unwrap_or(Event::Interrupted);
    };
    loop {
        match rx.recv_timeout(BAR_UPDATE) {
            Ok(event) => return event,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                bar.set_position(offset + progress.raw.load(Ordering::Relaxed));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Event::Interrupted,
        }
    }
}

/// Copy the body (counting wire bytes, then decoding) on a thread that reports on `tx`:
/// by the kernel when the transport offers that and the bytes go to a file as sent, else
/// through a buffer here.
fn start_copy(
    resp: &mut Response,
    out: Out,
    progress: &Arc<Progress>,
    tx: mpsc::Sender<Event>,
) -> std::thread::JoinHandle<()> {
    let out = match out {
        Out::File(file) if identity(resp) && kernel_writable(&file) => {
            match resp.take_kernel_body() {
                Some(body) => {
                    let progress = progress.clone();
                    return std::thread::spawn(move || {
                        let r = kernel_copy(body, &file, &progress);
                        let _ = tx.send(Event::Done(r));
                    });
                }
                None => Box::new(file),
            }
        }
        Out::File(file) => Box::new(file),
        Out::Other(out) => out,
    };
    let raw = Counted {
        inner: resp.take_body(),
        count: progress.raw.clone(),
    };
    let reader = resp.decode(Box::new(raw));
    let progress = progress.clone();
    std::thread::spawn(move || {
        let r = copy(reader, out, &progress);
        let _ = tx.send(Event::Done(r));
    })
}

/// How the copy ended: complete, stopped, or an error that says what is missing and how to
/// resume. `received` counts wire bytes, so a body cut short is caught even when decoding hid it.
fn judge(
    result: Result<(), CopyError>,
    received: u64,
    spec: &RequestSpec,
    sink: &Sink,
    plan: &Plan,
    env: &Env,
) -> Result<Outcome> {
    let incomplete = |full: u64| -> anyhow::Error {
        let mut msg = format!("Incomplete download: size={full}; downloaded={received}");
        if let Sink::File(path) = sink {
            msg.push_str(&format!(
                "; resume with: {}",
                resume_command(spec, path, env)
            ));
        }
        Failure::Incomplete(msg).into()
    };
    match result {
        Ok(()) => {}
        Err(CopyError::Read(e)) => {
            let err = crate::error::from_io(e);
            let timed_out = matches!(err.downcast_ref::<Failure>(), Some(Failure::Timeout { .. }));
            return Err(match plan.full {
                Some(full) if !timed_out && received < full => incomplete(full),
                _ => err,
            });
        }
        Err(CopyError::Write(e)) => {
            let what = match sink {
                Sink::File(p) => format!("cannot write '{}'", p.display()),
                Sink::Stdout => "cannot write to standard output".to_string(),
            };
            return Err(anyhow::Error::new(e).context(what));
        }
        Err(CopyError::Stopped) => return Ok(Outcome::Interrupted),
    }
    match plan.full.filter(|f| received < *f) {
        Some(full) => Err(incomplete(full)),
        None => Ok(Outcome::Done),
    }
}

fn note(line: &str) {
    let _ = writeln!(io::stderr(), "{}", crate::output::visible(line.as_bytes()));
}

fn announce(sink: &Sink, plan: &Plan) -> String {
    match (plan.full, plan.offset) {
        (Some(full), 0) => format!("Downloading {} to {}", human(full), sink.describe()),
        (None, 0) => format!("Downloading to {}", sink.describe()),
        (Some(full), at) => format!(
            "Resuming {} at {} of {}",
            sink.describe(),
            human(at),
            human(full)
        ),
        (None, at) => format!("Resuming {} at {}", sink.describe(), human(at)),
    }
}

/// How long a bar waits, once bytes arrive, before it shows a rate and an ETA: earlier
/// estimates swing wildly (`403 B/s ETA 2h` after the first packet).
const RATE_AFTER: Duration = Duration::from_secs(1);

/// Whether the bar has a rate worth showing: bytes arrived (beyond a resume offset) and
/// [`RATE_AFTER`] passed.
fn has_rate(state: &ProgressState, offset: u64) -> bool {
    state.pos() > offset && state.elapsed() >= RATE_AFTER && state.per_sec() > 0.0
}

/// The `{rate}` key: blank until [`has_rate`].
fn rate_key(offset: u64) -> impl Fn(&ProgressState, &mut dyn fmt::Write) + Send + Sync + Clone {
    move |state: &ProgressState, w: &mut dyn fmt::Write| {
        if has_rate(state, offset) {
            let _ = write!(w, "{}/s", BinaryBytes(state.per_sec() as u64));
        }
    }
}

/// The known-size style, for downloads and uploads: percentage, bar, bytes, rate and ETA.
/// Every field has a fixed width (the widest value it takes: `1023.99 KiB`,
/// `1023.99 KiB/s`), so the bar does not jitter as numbers grow; rate and ETA stay blank
/// until [`has_rate`].
fn bytes_style(offset: u64) -> ProgressStyle {
    let eta = move |state: &ProgressState, w: &mut dyn fmt::Write| {
        if has_rate(state, offset) {
            let _ = write!(w, "ETA {:#}", HumanDuration(state.eta()));
        }
    };
    ProgressStyle::with_template(
        "{percent:>3}% [{wide_bar}] {bytes:>11}/{total_bytes}  {rate:>13}  {left:<8}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key("rate", rate_key(offset))
    .with_key("left", eta)
    .progress_chars("=> ")
}

/// The download's progress on stderr; a spinner with bytes and rate when the size is unknown.
fn progress_bar(plan: &Plan) -> ProgressBar {
    let target = ProgressDrawTarget::stderr();
    let bar = match plan.full {
        Some(full) => {
            ProgressBar::with_draw_target(Some(full), target).with_style(bytes_style(plan.offset))
        }
        None => {
            let style = ProgressStyle::with_template("{spinner} {bytes:>11}  {rate:>13}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .with_key("rate", rate_key(plan.offset));
            ProgressBar::with_draw_target(None, target).with_style(style)
        }
    };
    bar.set_position(plan.offset);
    bar.reset_eta();
    if plan.full.is_none() {
        // A spinner turns even while no data arrives. (A ticker would also take over the
        // bar's redraws, which are better driven by the data.)
        bar.enable_steady_tick(Duration::from_millis(100));
    }
    bar
}

/// Request bodies at least this large show an upload bar (on a terminal, without `-q`).
pub const UPLOAD_BAR_MIN: u64 = 1 << 20;

/// An upload's bar on stderr, in the downloads' style.
pub fn upload_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        .with_style(bytes_style(0));
    bar.tick();
    bar
}

/// A request body's reader that advances `bar` by what is read, passing the bytes on
/// unchanged; the bar is cleared at the end of the body, or when the reader is dropped
/// (an error, a retry).
pub struct Counting<R> {
    pub inner: R,
    pub bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.bar.finish_and_clear();
        } else {
            self.bar.inc(n as u64);
        }
        Ok(n)
    }
}

impl<R> Drop for Counting<R> {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

/// `Done. 1.0 GiB in 2.1s (480 MiB/s)`
pub fn summary(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        human((bytes as f64 / secs) as u64)
    } else {
        human(bytes)
    };
    format!("Done. {} in {} ({rate}/s)", human(bytes), duration(elapsed))
}

/// Binary units, short: `512 B`, `9.5 KiB`, `480 MiB`, `1.0 GiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v < 99.95 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{s:.2}s")
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// What to type to finish a partial download.
fn resume_command(spec: &RequestSpec, path: &Path, env: &Env) -> String {
    format!(
        "{} -d -c -o {} {}",
        env.program,
        shell_quote(&path.to_string_lossy()),
        shell_quote(spec.url.as_str())
    )
}

fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c);
    let text = crate::output::visible(s.as_bytes());
    if !text.is_empty() && text.chars().all(plain) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Ctrl-C: say what was saved and how to go on. Always said, even with `-q`.
fn interrupted(spec: &RequestSpec, sink: &Sink, plan: &Plan, saved: u64, env: &Env) {
    let of = plan.full.map(|f| format!(" of {f}")).unwrap_or_default();
    let msg = match sink {
        Sink::File(path) => format!(
            "{}: download interrupted: {saved}{of} bytes saved in {}; resume with: {}",
            env.program,
            shell_quote(&path.to_string_lossy()),
            resume_command(spec, path, env)
        ),
        Sink::Stdout => format!(
            "{}: download interrupted: {saved}{of} bytes written to standard output",
            env.program
        ),
    };
    note(&msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_reader_passes_bytes_through_and_advances_the_bar() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        let bar = ProgressBar::hidden();
        bar.set_length(data.len() as u64);
        let mut r = Counting {
            inner: io::Cursor::new(data.clone()),
            bar: bar.clone(),
        };
        let mut buf = [0u8; 777];
        let n = r.read(&mut buf).unwrap();
        assert_eq!(bar.position(), n as u64);
        assert!(!bar.is_finished());
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!([&buf[..n], &rest[..]].concat(), data);
        assert_eq!(bar.position(), data.len() as u64);
        assert!(bar.is_finished(), "cleared at the end of the body");
    }

    #[test]
    fn disposition_names() {
        let table: &[(&[u8], Option<&str>)] = &[
            (b"attachment; filename=\"report.pdf\"", Some("report.pdf")),
            (b"attachment; filename=plain.txt", Some("plain.txt")),
            (b"attachment; filename=foo bar baz", Some("foo bar baz")),
            (b"inline; FILENAME=\"Up.TXT\"", Some("Up.TXT")),
            (b"attachment; filename=\"../../etc/passwd\"", Some("passwd")),
            (b"attachment; filename=\".bashrc\"", Some("bashrc")),
            (b"attachment; filename=\"...\"", None),
            (b"attachment; filename=\"..\"", None),
            (b"attachment; filename=\"dir/\"", None),
            (b"attachment; filename=\"a\\\\b\\\\c.txt\"", Some("c.txt")),
            (
                b"attachment; filename=\"C:\\\\Windows\\\\evil.dll\"",
                Some("evil.dll"),
            ),
            (b"attachment; filename=\"foo/baz/bar\"", Some("bar")),
            (b"attachment; filename=\"/abs/path.txt\"", Some("path.txt")),
            (
                b"attachment; filename=\"a\x1b[31mb\x07.txt\"",
                Some("a[31mb.txt"),
            ),
            (
                b"attachment; filename=\"  . hidden.txt  \"",
                Some("hidden.txt"),
            ),
            (
                b"attachment; filename=\"semi;colon.txt\"",
                Some("semi;colon.txt"),
            ),
            (
                b"attachment; filename=\"q\\\"uote.txt\"",
                Some("q\"uote.txt"),
            ),
            (
                b"attachment; filename*=UTF-8''na%C3%AFve.txt",
                Some("na\u{ef}ve.txt"),
            ),
            (
                b"attachment; filename*=utf-8'en'%E2%82%AC%20rates.txt",
                Some("\u{20ac} rates.txt"),
            ),
            (
                b"attachment; filename*=iso-8859-1'en'%A3%20rates.txt",
                Some("\u{a3} rates.txt"),
            ),
            (
                b"attachment; filename=\"fallback.txt\"; filename*=UTF-8''star.txt",
                Some("star.txt"),
            ),
            (
                b"attachment; filename*=UTF-8''star.txt; filename=\"fallback.txt\"",
                Some("star.txt"),
            ),
            (
                b"attachment; filename*=UTF-8''..%2F..%2Fetc%2Fshadow",
                Some("shadow"),
            ),
            (
                b"attachment; filename*=UTF-8''%2E%2E; filename=\"ok.txt\"",
                Some("ok.txt"),
            ),
            (
                b"attachment; filename*=KOI8-R''%C1; filename=\"koi.txt\"",
                Some("koi.txt"),
            ),
            (
                b"attachment; filename*=UTF-8''%FF%FE; filename=\"bad.txt\"",
                Some("bad.txt"),
            ),
            (
                b"attachment; filename=\"\xa3 rates.txt\"",
                Some("\u{a3} rates.txt"),
            ),
            (
                "attachment; filename=\"\u{1f600}.txt\"".as_bytes(),
                Some("\u{1f600}.txt"),
            ),
            (b"attachment", None),
            (b"attachment; filename=\"\"", None),
            (b"attachment; filename=\"\x01\x02\"", None),
        ];
        for (value, want) in table {
            assert_eq!(
                disposition_filename(value).as_deref(),
                *want,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.tar.gz", "x".repeat(400));
        let s = sanitize(&long).unwrap();
        assert!(s.len() <= MAX_NAME, "{}", s.len());
        assert!(s.ends_with("x.gz"), "{s}");
        let wide = "\u{e9}".repeat(300);
        let s = sanitize(&wide).unwrap();
        assert!(s.len() <= MAX_NAME);
    }

    #[test]
    fn url_names() {
        let table: &[(&str, Option<&str>, &str)] = &[
            ("http://h/file.txt", None, "file.txt"),
            ("http://h/a/b/archive.tar.gz?x=1#f", None, "archive.tar.gz"),
            ("http://h/", None, "index"),
            ("http://h", Some("text/html; charset=utf-8"), "index.html"),
            ("http://h/foo/bar/", Some("application/json"), "bar.json"),
            ("http://h/data", Some("text/plain"), "data.txt"),
            ("http://h/doc", Some("application/pdf"), "doc.pdf"),
            ("http://h/img", Some("IMAGE/PNG"), "img.png"),
            ("http://h/blob", Some("application/octet-stream"), "blob"),
            (
                "http://h/prob",
                Some("application/problem+json"),
                "prob.json",
            ),
            ("http://h/x", Some("nonsense/thing"), "x"),
            ("http://h/na%C3%AFve.txt", None, "na\u{ef}ve.txt"),
            ("http://h/..%2F..%2Fetc%2Fpasswd", None, "passwd"),
            ("http://h/.profile", None, "profile"),
            ("http://h/%2E%2E", Some("text/plain"), "index.txt"),
            ("http://h/a%0Ab", None, "ab"),
        ];
        for (url, ct, want) in table {
            let url = Url::parse(url).unwrap();
            assert_eq!(url_filename(&url, *ct), *want, "{url} {ct:?}");
        }
    }

    #[test]
    fn mime_guess_fills_in_other_types() {
        assert_eq!(extension_for("text/html"), Some("html"));
        assert_eq!(extension_for("image/bmp"), Some("bmp"));
        assert_eq!(extension_for(""), None);
    }

    #[test]
    fn unique_names_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file.txt"), b"old").unwrap();
        std::fs::write(dir.path().join("file.txt-1"), b"old").unwrap();
        let (_f, path) = create_unique(dir.path(), "file.txt").unwrap();
        assert_eq!(path, dir.path().join("file.txt-2"));
        let (_f, path) = create_unique(dir.path(), "file.txt").unwrap();
        assert_eq!(path, dir.path().join("file.txt-3"));
        let (_f, path) = create_unique(dir.path(), "new").unwrap();
        assert_eq!(path, dir.path().join("new"));
        assert_eq!(std::fs::read(dir.path().join("file.txt")).unwrap(), b"old");
        #[cfg(unix)]
        {
            // A dangling symlink is taken too: never followed.
            std::os::unix::fs::symlink("/nonexistent/target", dir.path().join("link")).unwrap();
            let (_f, path) = create_unique(dir.path(), "link").unwrap();
            assert_eq!(path, dir.path().join("link-1"));
        }
    }

    #[test]
    fn content_ranges() {
        let ok = |s, e, t| {
            Some(ContentRange {
                start: s,
                end: e,
                total: t,
            })
        };
        assert_eq!(parse_content_range("bytes 5-9/10"), ok(5, 9, Some(10)));
        assert_eq!(parse_content_range("Bytes  0-0/1"), ok(0, 0, Some(1)));
        assert_eq!(parse_content_range("bytes 5-9/*"), ok(5, 9, None));
        for bad in [
            "bytes 5-9/9",
            "bytes 9-5/10",
            "bytes */10",
            "bytes 5-/10",
            "items 5-9/10",
            "bytes5-9/10",
            "bytes -5-9/10",
            "bytes 5-9",
            "",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
        assert_eq!(parse_unsatisfied_range("bytes */10"), Some(10));
        assert_eq!(parse_unsatisfied_range("bytes * / 10"), Some(10));
        assert_eq!(parse_unsatisfied_range("bytes */"), None);
        assert_eq!(parse_unsatisfied_range("bytes 0-1/10"), None);
    }

    #[test]
    fn sizes_and_summary() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1024), "1.0 KiB");
        assert_eq!(human(9_700), "9.5 KiB");
        assert_eq!(human(480 * 1024 * 1024), "480 MiB");
        assert_eq!(human(1 << 30), "1.0 GiB");
        assert_eq!(
            summary(1 << 30, Duration::from_millis(2100)),
            "Done. 1.0 GiB in 2.1s (488 MiB/s)"
        );
        assert_eq!(summary(10, Duration::ZERO), "Done. 10 B in 0.00s (10 B/s)");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    }

    fn prepared(args: &[&str]) -> PreparedRequest {
        crate::prepare::prepare(&crate::spec::for_args(args).unwrap()).unwrap()
    }

    #[test]
    fn downloads_ask_for_identity_and_resume_with_a_range() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("part.bin");
        let empty = dir.path().join("empty.bin");
        std::fs::write(&part, vec![7u8; 1234]).unwrap();
        std::fs::write(&empty, b"").unwrap();
        let (part, empty) = (part.to_str().unwrap(), empty.to_str().unwrap());
        let header = |p: &PreparedRequest, name: &str| {
            p.header(name)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };

        let p = prepared(&["-d", "-c", "-o", part, "example.org"]);
        assert_eq!(header(&p, "range").as_deref(), Some("bytes=1234-"));
        assert_eq!(header(&p, "accept-encoding").as_deref(), Some("identity"));
        // Nothing to resume: no Range.
        let p = prepared(&["-d", "-c", "-o", empty, "example.org"]);
        assert_eq!(header(&p, "range"), None);
        let p = prepared(&["-d", "-o", part, "example.org"]);
        assert_eq!(header(&p, "range"), None);
        // The user's own headers win.
        let p = prepared(&["-d", "example.org", "Accept-Encoding:br"]);
        assert_eq!(header(&p, "accept-encoding").as_deref(), Some("br"));
        let p = prepared(&["-d", "-c", "-o", part, "example.org", "Range:bytes=0-9"]);
        assert_eq!(header(&p, "range").as_deref(), Some("bytes=0-9"));
        // Not downloading, or offline: the usual header.
        let p = prepared(&["example.org"]);
        assert_eq!(
            header(&p, "accept-encoding").as_deref(),
            Some(crate::prepare::ACCEPT_ENCODING)
        );
        let p = prepared(&["--offline", "-d", "example.org"]);
        assert_eq!(
            header(&p, "accept-encoding").as_deref(),
            Some(crate::prepare::ACCEPT_ENCODING)
        );
    }

    #[test]
    fn quoting_for_the_resume_hint() {
        assert_eq!(shell_quote("file.txt"), "file.txt");
        assert_eq!(shell_quote("it's here"), r"'it'\''s here'");
        assert_eq!(shell_quote("http://h/x?a=1&b=2"), "'http://h/x?a=1&b=2'");
    }
}
