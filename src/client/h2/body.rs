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
        }
    }

    /// The next DATA frame's bytes; `None` at the end of the stream. Trailers are skipped.
    fn next_data(&mut self) -> io::Result<Option<Bytes>> {
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(None);
            };
            if body.is_end_stream() {
                self.body = None;
                return Ok(None);
            }
            let frame = wait(&self.rt, body.frame(), &self.limits, None)
                .map_err(|k| (self.explain)(BodyError::Timeout(k)))?;
            match frame {
                None => {
                    self.body = None;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    self.body = None;
                    return Err((self.explain)(BodyError::Stream(e)));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            return Ok(Some(data));
                        }
                    }
                }
            }
        }
    }
}

impl Read for ResponseBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.piece.is_empty() {
            match self.next_data()? {
                Some(data) => self.piece = data,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len());
        buf[..n].copy_from_slice(&self.piece[..n]);
        self.piece.advance(n);
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
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
