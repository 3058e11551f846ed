//! The socket under every connection: a TCP or Unix-domain stream as a ureq `Transport`.
//! ureq keeps its own TCP transport private, and `--interface`/`--unix-socket` need sockets
//! it cannot make, so this one carries all traffic. HTTP framing stays ureq's; this only
//! moves bytes with the timeouts ureq asks for.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{Buffers, LazyBuffers, NextTimeout, Transport};
use ureq::Error;

/// A connected socket.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
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

    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => (&*s).write_all(buf),
            Stream::Unix(s) => (&*s).write_all(buf),
        }
    }
}

/// A [`Stream`] with ureq's buffers, setting socket timeouts only when they change.
#[derive(Debug)]
pub struct StreamTransport {
    stream: Stream,
    buffers: LazyBuffers,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl StreamTransport {
    pub fn new(stream: Stream, config: &ureq::config::Config) -> StreamTransport {
        StreamTransport {
            stream,
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            read_timeout: None,
            write_timeout: None,
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
fn io_error(e: io::Error, timeout: &NextTimeout) -> Error {
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
        let started = Instant::now();
        let amount = loop {
            match self.stream.read(self.buffers.input_append_buf()) {
                // A signal (Ctrl-C's handler thread, a resize) interrupts the read: Linux does
                // not restart reads on sockets with a timeout. Go on with the time left.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    let Some(limit) = wanted else {
                        return Err(e.into());
                    };
                    let left = limit.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(Error::Timeout(timeout.reason));
                    }
                    self.stream.set_read_timeout(Some(left))?;
                    self.read_timeout = Some(left);
                }
                result => break result.map_err(|e| io_error(e, &timeout))?,
            }
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
