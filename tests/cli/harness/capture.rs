//! Background draining of a child's output (pipe or pty master).
//!
//! A drain thread reads until EOF (or any error: a pty master reports the
//! slave's last close as `EIO`) and appends to a shared buffer, so the child
//! never blocks on a full pipe/pty. Tests can wait for a pattern to appear,
//! which replaces "sleep and hope" when interacting with a running child.

use std::io::{ErrorKind, Read};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::libc;

#[derive(Default)]
struct State {
    bytes: Vec<u8>,
    eof: bool,
    /// A read failed (other than a pty's EIO at hang-up): what was captured may be short.
    error: Option<String>,
}

/// Shared, growing copy of everything read from one stream.
#[derive(Clone, Default)]
pub(crate) struct Capture {
    inner: Arc<(Mutex<State>, Condvar)>,
}

impl Capture {
    /// Starts a thread that drains `reader` into a new capture.
    pub(crate) fn drain(mut reader: impl Read + Send + 'static) -> Capture {
        let capture = Capture::default();
        let sink = capture.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => sink.push(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // EIO from a pty master means "slave fully closed": EOF.
                    Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
                    Err(e) => {
                        sink.lock().error = Some(e.to_string());
                        break;
                    }
                }
            }
            sink.finish();
        });
        capture
    }

    /// A capture that is already at EOF with no bytes (stream not captured).
    pub(crate) fn empty() -> Capture {
        let c = Capture::default();
        c.finish();
        c
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, data: &[u8]) {
        self.lock().bytes.extend_from_slice(data);
        self.inner.1.notify_all();
    }

    fn finish(&self) {
        self.lock().eof = true;
        self.inner.1.notify_all();
    }

    /// Copy of everything captured so far.
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Everything captured, once the stream is done; panics if reading it failed, so that
    /// a test asserting on (say) an empty stderr cannot pass on output it never saw.
    pub(crate) fn complete(&self) -> Vec<u8> {
        let state = self.lock();
        if let Some(e) = &state.error {
            panic!("harness: reading the child's output failed: {e}");
        }
        state.bytes.clone()
    }

    /// Waits until `done(bytes, eof)` holds or `limit` passes; returns
    /// whether it held. All waiting goes through here.
    fn wait_until(&self, limit: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut state = self.lock();
        while !done(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .inner
                .1
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Waits for EOF; returns false if `limit` passed first (for example a
    /// grandchild still holds the write end).
    pub(crate) fn wait_eof(&self, limit: Duration) -> bool {
        self.wait_until(limit, |s| s.eof)
    }

    /// Waits until `pattern` occurs at or after byte offset `from`; returns
    /// the offset just past the match, or `None` on EOF or timeout.
    pub(crate) fn wait_for(&self, pattern: &[u8], from: usize, limit: Duration) -> Option<usize> {
        self.wait_until(limit, |s| s.eof || find(&s.bytes, pattern, from).is_some());
        find(&self.lock().bytes, pattern, from)
    }
}

/// Offset just past the first occurrence of `pattern` in `hay[from..]`.
pub(crate) fn find(hay: &[u8], pattern: &[u8], from: usize) -> Option<usize> {
    let hay = hay.get(from..)?;
    if pattern.is_empty() {
        return Some(from);
    }
    hay.windows(pattern.len())
        .position(|w| w == pattern)
        .map(|i| from + i + pattern.len())
}
