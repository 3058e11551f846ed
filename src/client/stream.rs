//! The socket under every connection: a TCP or Unix-domain stream as a ureq `Transport`.
//! ureq keeps its own TCP transport private, and `--interface`/`--unix-socket` need sockets
//! it cannot make, so this one carries all traffic. HTTP framing stays ureq's; this only
//! moves bytes with the timeouts ureq asks for.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{Buffers, LazyBuffers, NextTimeout, Transport};
use ureq::Error;

use super::tap::Tap;

/// What to run when a read is about to wait for the network (set once, shared by every
/// connection of a client): the printer flushes what it has so far.
pub type BeforeWait = Arc<OnceLock<Box<dyn Fn() + Send + Sync>>>;

/// A connected socket.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// Another handle on the same socket (the HTTP/2 dialer keeps one, see `h2::connect`).
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
        }
    }

    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(t),
            Stream::Unix(s) => s.set_write_timeout(t),
        }
    }

    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(on),
            Stream::Unix(s) => s.set_nonblocking(on),
        }
    }

    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).read(buf),
            Stream::Unix(s) => (&*s).read(buf),
        }
    }

    fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }

    /// Reads what has already arrived, without waiting (`WouldBlock` when nothing has).
    fn read_ready(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call, and the
        // descriptor stays open while `self` lives.
        let n = unsafe {
            libc::recv(
                self.fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => (&*s).write_all(buf),
            Stream::Unix(s) => (&*s).write_all(buf),
        }
    }
}

/// A TCP connection's socket, and how many bytes read from it wait unconsumed in ureq's
/// input buffer: what `client::splice` needs to move the rest of a body with the kernel.
#[derive(Debug)]
pub struct Socket {
    pub stream: TcpStream,
    /// Kept equal to `buffers.input().len()` of the connection's [`Tracked`] buffers.
    pub unread: Arc<AtomicUsize>,
}

/// ureq's buffers, publishing after each change how many input bytes are unconsumed.
///
/// The invariant `client::splice` relies on: every byte taken off the socket goes through
/// `input_appended` and leaves through `input_consume`, so when `unread` is 0 (and no read
/// is running, which holds while the body's reader is ours) the next byte of the stream is
/// still in the socket; while it is above 0, those bytes must come through ureq's reader.
#[derive(Debug)]
struct Tracked {
    inner: LazyBuffers,
    unread: Arc<AtomicUsize>,
}

impl Tracked {
    fn publish(&self) {
        self.unread
            .store(self.inner.input().len(), Ordering::Relaxed);
    }
}

impl Buffers for Tracked {
    fn output(&mut self) -> &mut [u8] {
        self.inner.output()
    }
    fn input(&self) -> &[u8] {
        self.inner.input()
    }
    fn input_append_buf(&mut self) -> &mut [u8] {
        self.inner.input_append_buf()
    }
    fn input_appended(&mut self, amount: usize) {
        self.inner.input_appended(amount);
        self.publish();
    }
    fn input_consume(&mut self, amount: usize) {
        self.inner.input_consume(amount);
        self.publish();
    }
    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.inner.tmp_and_output()
    }
    fn can_use_input(&self) -> bool {
        self.inner.can_use_input()
    }
}

/// A [`Stream`] with ureq's buffers, setting socket timeouts only when they change.
pub struct StreamTransport {
    stream: Stream,
    buffers: Tracked,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    before_wait: BeforeWait,
    /// For TCP: this socket, told to the tap whenever a request is sent on it, so that the
    /// exchange's response knows the connection it came on.
    socket: Option<(Arc<Socket>, Tap)>,
}

impl std::fmt::Debug for StreamTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamTransport")
            .field("stream", &self.stream)
            .finish()
    }
}

impl StreamTransport {
    pub fn new(
        stream: Stream,
        config: &ureq::config::Config,
        before_wait: BeforeWait,
        tap: &Tap,
    ) -> StreamTransport {
        let unread = Arc::new(AtomicUsize::new(0));
        // Without a second handle the body is just read as usual.
        let socket = match &stream {
            Stream::Tcp(s) => s.try_clone().ok().map(|stream| {
                let unread = unread.clone();
                (Arc::new(Socket { stream, unread }), tap.clone())
            }),
            Stream::Unix(_) => None,
        };
        let inner = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
        StreamTransport {
            stream,
            buffers: Tracked { inner, unread },
            read_timeout: None,
            write_timeout: None,
            before_wait,
            socket,
        }
    }

    /// A blocking read within `limit`, going on after signals with the time left: Linux does
    /// not restart reads on sockets with a timeout (Ctrl-C's handler thread, a resize).
    fn read_waiting(
        &mut self,
        limit: Option<Duration>,
        timeout: &NextTimeout,
    ) -> Result<usize, Error> {
        let started = Instant::now();
        loop {
            match self.stream.read(self.buffers.input_append_buf()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    let Some(limit) = limit else {
                        return Err(e.into());
                    };
                    let left = limit.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(Error::Timeout(timeout.reason));
                    }
                    self.stream.set_read_timeout(Some(left))?;
                    self.read_timeout = Some(left);
                }
                result => return result.map_err(|e| io_error(e, timeout)),
            }
        }
    }
}

/// The limit for one socket operation, or the timeout error if none is left.
fn limit(timeout: &NextTimeout) -> Result<Option<Duration>, Error> {
    if timeout.after.is_zero() {
        return Err(Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}

/// A socket timeout (Linux reports it as `WouldBlock`) becomes ureq's timeout error.
pub(super) fn io_error(e: io::Error, timeout: &NextTimeout) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(timeout.reason),
        _ => Error::Io(e),
    }
}

impl Transport for StreamTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        let wanted = limit(&timeout)?;
        if wanted != self.write_timeout {
            self.stream.set_write_timeout(wanted)?;
            self.write_timeout = wanted;
        }
        if let Some((socket, tap)) = &self.socket {
            tap.sending_on(socket);
        }
        let output = &self.buffers.output()[..amount];
        self.stream
            .write_all(output)
            .map_err(|e| io_error(e, &timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let timeout = timeout.for_read();
        let wanted = limit(&timeout)?;
        if wanted != self.read_timeout {
            self.stream.set_read_timeout(wanted)?;
            self.read_timeout = wanted;
        }
        // What has arrived is taken at once; only a read that would wait runs the hook first.
        let ready = match self.before_wait.get() {
            Some(hook) => match self.stream.read_ready(self.buffers.input_append_buf()) {
                Ok(n) => Some(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    hook();
                    None
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
                Err(e) => return Err(io_error(e, &timeout)),
            },
            None => None,
        };
        let amount = match ready {
            Some(n) => n,
            None => self.read_waiting(wanted, &timeout)?,
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        probe(&self.stream).unwrap_or(false)
    }
}

/// A pooled connection is reusable when a non-blocking read finds nothing waiting: no
/// bytes the server sent unasked, no close.
fn probe(stream: &Stream) -> io::Result<bool> {
    stream.set_nonblocking(true)?;
    let open = matches!(stream.read(&mut [0]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false)?;
    Ok(open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn probe_sees_unasked_bytes_and_close() {
        let (a, b) = UnixStream::pair().unwrap();
        let a = Stream::Unix(a);
        assert!(probe(&a).unwrap());
        (&b).write_all(b"x").unwrap();
        assert!(!probe(&a).unwrap());
        let (c, d) = UnixStream::pair().unwrap();
        drop(d);
        assert!(!probe(&Stream::Unix(c)).unwrap());
    }
}
