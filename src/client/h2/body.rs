//! Bodies over HTTP/2, and waiting on the runtime. A request body is read from its source as
//! hyper asks for DATA frames (flow control decides when), never gathered in memory. A
//! response body is a blocking `Read` over hyper's stream of frames: each read runs the
//! runtime until a frame arrives, within the read timeout and the `--max-time` deadline.

use std::future::Future;
use std::io::{self, Read};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::runtime::Runtime;

use crate::client::stream::BeforeWait;
use crate::error::TimeoutKind;

/// How long the runtime may wait for the network.
#[derive(Clone)]
pub struct Limits {
    /// No progress for this long is a read timeout.
    pub read: Option<Duration>,
    /// `--max-time`: when everything must be over.
    pub deadline: Option<Instant>,
    /// Run before a wait begins (the printer flushes).
    pub before_wait: BeforeWait,
}

/// Run `fut` on `rt` within `limits`. `progress` counts what the request body has sent: while
/// it grows, the wait goes on (a slow upload is not a stalled server).
pub fn wait<F: Future>(
    rt: &Runtime,
    fut: F,
    limits: &Limits,
    progress: Option<&AtomicU64>,
) -> Result<F::Output, TimeoutKind> {
    rt.block_on(async {
        let mut fut = pin!(hooked(fut, &limits.before_wait));
        loop {
            let seen = progress.map(|p| p.load(Ordering::Relaxed));
            let left = limits
                .deadline
                .map(|d| d.saturating_duration_since(Instant::now()));
            let (limit, kind) = match (limits.read, left) {
                (Some(r), Some(l)) if l <= r => (Some(l), TimeoutKind::Total),
                (None, Some(l)) => (Some(l), TimeoutKind::Total),
                (Some(r), _) => (Some(r), TimeoutKind::Read),
                (None, None) => (None, TimeoutKind::Read),
            };
            let Some(limit) = limit else {
                return Ok(fut.await);
            };
            match tokio::time::timeout(limit, fut.as_mut()).await {
                Ok(out) => return Ok(out),
                Err(_)
                    if kind == TimeoutKind::Read
                        && seen.is_some()
                        && seen != progress.map(|p| p.load(Ordering::Relaxed)) =>
                {
                    continue
                }
                Err(_) => return Err(kind),
            }
        }
    })
}

/// `fut`, running `hook` the first time it has to wait.
async fn hooked<F: Future>(fut: F, hook: &BeforeWait) -> F::Output {
    let mut fut = pin!(fut);
    let mut waited = false;
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(out) => Poll::Ready(out),
        Poll::Pending => {
            if !waited {
                waited = true;
                if let Some(h) = hook.get() {
                    h();
                }
            }
            Poll::Pending
        }
    })
    .await
}

/// Size of the pieces a request body is read in (one or a few DATA frames each).
const PIECE: usize = 64 * 1024;

/// A request body from its source, one piece per frame hyper asks for.
pub struct RequestBody {
    source: Option<Box<dyn Read + Send>>,
    /// Bytes handed to hyper so far.
    pub sent: Arc<AtomicU64>,
}

impl RequestBody {
    pub fn new(source: Option<Box<dyn Read + Send>>) -> RequestBody {
        RequestBody {
            source,
            sent: Arc::default(),
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let Some(source) = self.source.as_mut() else {
            return Poll::Ready(None);
        };
        // The sources are local (bytes, a file, stdin spooled to a file): a read is brief.
        let mut piece = vec![0; PIECE];
        let read = loop {
            match source.read(&mut piece) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => {
                self.source = None;
                Poll::Ready(None)
            }
            Ok(n) => {
                piece.truncate(n);
                self.sent.fetch_add(n as u64, Ordering::Relaxed);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(piece)))))
            }
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.source.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        // Never exact: hyper would add a `content-length` of its own, which `--chunked` must
        // not send; the prepared headers carry it otherwise.
        SizeHint::default()
    }
}

/// Turns a read failure into the `io::Error` (carrying a worded `Failure`) that
/// `message::Body` promises.
pub type Explain = Box<dyn Fn(BodyError) -> io::Error + Send>;

/// What went wrong while a response body was read.
pub enum BodyError {
    Timeout(TimeoutKind),
    Stream(hyper::Error),
}

/// A response body as a blocking reader.
pub struct ResponseBody {
    rt: Arc<Runtime>,
    body: Option<Incoming>,
    piece: Bytes,
    limits: Limits,
    explain: Explain,
    /// Bytes read so far (`message::Wire::body`).
    count: Arc<AtomicU64>,
    /// A failure met after some bytes were copied: reported by the next read.
    pending_error: Option<io::Error>,
}

impl ResponseBody {
    pub fn new(
        rt: Arc<Runtime>,
        body: Incoming,
        limits: Limits,
        explain: Explain,
        count: Arc<AtomicU64>,
    ) -> ResponseBody {
        ResponseBody {
            rt,
            body: Some(body),
            piece: Bytes::new(),
            limits,
            explain,
            count,
            pending_error: None,
        }
    }

    /// The next DATA frame's bytes: waiting for one (within the limits) when `block`, else only
    /// one already received. Trailers are skipped.
    fn next_data(&mut self, block: bool) -> io::Result<Next> {
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(Next::End);
            };
            if body.is_end_stream() {
                self.body = None;
                return Ok(Next::End);
            }
            let frame = match block {
                true => wait(&self.rt, body.frame(), &self.limits, None)
                    .map_err(|k| (self.explain)(BodyError::Timeout(k)))?,
                false => match self.rt.block_on(ready_now(body.frame())) {
                    Some(frame) => frame,
                    None => return Ok(Next::NotYet),
                },
            };
            match frame {
                None => {
                    self.body = None;
                    return Ok(Next::End);
                }
                Some(Err(e)) => {
                    self.body = None;
                    return Err((self.explain)(BodyError::Stream(e)));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            return Ok(Next::Data(data));
                        }
                    }
                }
            }
        }
    }
}

/// What a look for the next frame found.
enum Next {
    Data(Bytes),
    End,
    /// Nothing has arrived yet (only when not waiting).
    NotYet,
}

/// `fut`'s output if it is ready at once, without letting the runtime wait.
async fn ready_now<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    std::future::poll_fn(|cx| {
        Poll::Ready(match fut.as_mut().poll(cx) {
            Poll::Ready(out) => Some(out),
            Poll::Pending => None,
        })
    })
    .await
}

impl Read for ResponseBody {
    /// Fills `buf` from the frames already received (a download writes in large pieces, not
    /// one per DATA frame), waiting only while nothing has been copied.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.piece.is_empty() {
                match self.next_data(filled == 0) {
                    Ok(Next::Data(data)) => self.piece = data,
                    Ok(Next::End | Next::NotYet) => break,
                    // What was copied goes first; the error comes with the next read.
                    Err(e) if filled > 0 => {
                        self.pending_error = Some(e);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            let n = (buf.len() - filled).min(self.piece.len());
            buf[filled..filled + n].copy_from_slice(&self.piece[..n]);
            self.piece.advance(n);
            filled += n;
        }
        if filled == 0 {
            if let Some(e) = self.pending_error.take() {
                return Err(e);
            }
        }
        self.count.fetch_add(filled as u64, Ordering::Relaxed);
        Ok(filled)
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        // A body left unread is cancelled (RST_STREAM); let the runtime send that now.
        if let Some(body) = self.body.take() {
            drop(body);
            self.rt.block_on(tokio::task::yield_now());
        }
    }
}
