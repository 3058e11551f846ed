//! Moving the rest of a plain HTTP/1.1 body from the socket to a file with the kernel:
//! socket -> pipe -> file with `splice(2)`, the bytes never copied into this process (a
//! download's cost is otherwise mostly those copies). Offered on a response only when the
//! socket carries the body as is: TCP of our own (no TLS, no tunnel, no SOCKS connector), a
//! single Content-Length and no Transfer-Encoding. Everything else, and every other use of a
//! response, reads the body through ureq as usual.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::stream::Socket;
use crate::error::Failure;
use crate::message::{Body, KernelBody, Response};

/// The pipe between socket and file: as large as Linux lets a user make it by default
/// (`/proc/sys/fs/pipe-max-size`); fewer, larger moves measured fastest (4 MiB was slower).
const PIPE: libc::c_int = 1 << 20;

/// How much the socket should hold before it is moved from: waking for every segment that
/// arrives measured 20-30% slower (the mover and the sender take turns on the CPUs).
const LOW_WATER: usize = 256 << 10;

/// The longest bytes that have arrived wait for the low-water mark: a slow sender's bytes
/// are still taken (and counted, and saved) within this.
const SLICE: Duration = Duration::from_millis(50);

/// What the body's reads need to word their errors and keep their limits.
pub struct Limits {
    pub host: String,
    pub timeout: crate::cli::values::Timeout,
    pub max_time: Option<f64>,
    /// `--max-time`'s end.
    pub deadline: Option<Instant>,
    /// Body bytes read so far (`message::Wire::body`).
    pub count: Arc<AtomicU64>,
}

/// Offer `resp`'s body to the kernel, when `socket` carries it as sent. `body_less`: the
/// request was HEAD (a Content-Length then promises nothing).
pub fn offer(resp: &mut Response, socket: Option<Arc<Socket>>, body_less: bool, limits: Limits) {
    let Some(socket) = socket else { return };
    let length = {
        let mut lengths = resp.headers.get_all("content-length");
        match (lengths.next(), lengths.next()) {
            (Some(v), None) => std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok()),
            _ => None,
        }
    };
    let no_body = body_less || matches!(resp.status, 100..=199 | 204 | 304);
    let Some(length) = length.filter(|_| !no_body && !resp.headers.contains("transfer-encoding"))
    else {
        return;
    };
    resp.offer_kernel(Box::new(move |body: Body| {
        let Ok(pipe) = Pipe::new() else {
            return Err(body);
        };
        Ok(Box::new(Spliced {
            body,
            socket,
            left: length,
            pipe,
            staged: 0,
            scratch: Vec::new(),
            limits,
            low_water: 0,
        }) as Box<dyn KernelBody>)
    }));
}

/// A pipe, its two ends and how much it holds.
struct Pipe {
    read: OwnedFd,
    /// A `File` only to have `write_all` on it.
    write: File,
    size: usize,
}

impl Pipe {
    fn new() -> io::Result<Pipe> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just made and are owned by nothing else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: plain fcntl calls on a descriptor `write` keeps open. Best effort: a
        // smaller pipe (a lowered limit) only means more moves.
        let size = unsafe {
            libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE);
            libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ)
        };
        let size = usize::try_from(size).map_err(|_| io::Error::last_os_error())?;
        Ok(Pipe {
            read,
            write: File::from(write),
            size,
        })
    }
}

/// The body: first what ureq has already read into its buffer (through its reader, which
/// is the only one that knows where the head ended), then the socket's bytes by `splice`.
///
/// Sound because of `Socket::unread`'s invariant (see `stream::Tracked`): the socket is only
/// spliced from when ureq's buffer holds nothing, so no byte is skipped or taken twice; and
/// ureq only reads the socket inside its reader, which runs here, on this thread. ureq
/// never learns that the body ended, so the connection is closed, not pooled, when the
/// reader is dropped.
struct Spliced {
    /// ureq's reader of this body (errors worded by `NetBody`).
    body: Body,
    socket: Arc<Socket>,
    /// Body bytes not yet staged.
    left: u64,
    pipe: Pipe,
    /// Bytes in the pipe, not yet landed.
    staged: usize,
    /// For the bytes that come from ureq's buffer on their way to the pipe.
    scratch: Vec<u8>,
    limits: Limits,
    /// The socket's low-water mark as last set here (0: the default, 1 byte).
    low_water: usize,
}

impl KernelBody for Spliced {
    fn stage(&mut self) -> io::Result<usize> {
        let room = self.pipe.size - self.staged;
        let room = usize::try_from(self.left).map_or(room, |left| left.min(room));
        if room == 0 {
            return Ok(0);
        }
        let unread = self.socket.unread.load(Ordering::Relaxed);
        let n = match unread {
            0 => {
                let n = self.stage_socket(room)?;
                self.limits.count.fetch_add(n as u64, Ordering::Relaxed);
                n
            }
            _ => self.stage_buffered(room.min(unread))?,
        };
        self.left -= n as u64;
        self.staged += n;
        Ok(n)
    }

    fn land(&mut self, file: &File) -> io::Result<()> {
        while self.staged > 0 {
            // SAFETY: both descriptors stay open for the call; null offsets mean "at the
            // current position" (the file's, as a write would).
            let n = unsafe {
                libc::splice(
                    self.pipe.read.as_raw_fd(),
                    std::ptr::null_mut(),
                    file.as_raw_fd(),
                    std::ptr::null_mut(),
                    self.staged,
                    libc::SPLICE_F_MOVE,
                )
            };
            match n {
                n if n > 0 => self.staged -= n as usize,
                0 => return Err(io::ErrorKind::WriteZero.into()),
                _ => {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }
}

impl Spliced {
    /// Up to `want` bytes that ureq holds, read through its reader and written to the pipe
    /// (which has room: `want` fits in what the pipe has free).
    fn stage_buffered(&mut self, want: usize) -> io::Result<usize> {
        self.scratch.resize(want, 0);
        let n = self.body.read(&mut self.scratch[..want])?;
        self.pipe.write.write_all(&self.scratch[..n])?;
        Ok(n)
    }

    /// Up to `want` bytes from the socket into the pipe, once some arrive within the limits;
    /// 0 when the peer closed. As with ureq's reads, `--timeout` is the time without a byte
    /// since the wait began, and `--max-time` the exchange's end.
    fn stage_socket(&mut self, want: usize) -> io::Result<usize> {
        self.low_water(want.min(LOW_WATER));
        let started = Instant::now();
        loop {
            let left = self.time_left(started)?;
            let slice = left.map_or(SLICE, |l| l.min(SLICE));
            // Enough has come (or the end, or an error), or less but it has waited a slice.
            if self.readable(slice)? || self.queued() > 0 {
                if let Some(n) = self.splice_in(want)? {
                    return Ok(n);
                }
            }
        }
    }

    /// Moves what the socket holds (or learns it closed) into the pipe; `None` when a signal
    /// or a spurious wake-up left nothing to take yet.
    fn splice_in(&mut self, want: usize) -> io::Result<Option<usize>> {
        // SAFETY: both descriptors stay open for the call (`socket` is ours, the pipe's end
        // too); sockets take no offset. Bytes are waiting, so this does not block for long.
        let n = unsafe {
            libc::splice(
                self.socket.stream.as_raw_fd(),
                std::ptr::null_mut(),
                self.pipe.write.as_raw_fd(),
                std::ptr::null_mut(),
                want,
                libc::SPLICE_F_MOVE | libc::SPLICE_F_MORE | libc::SPLICE_F_NONBLOCK,
            )
        };
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
            _ => Err(self.failed(e)),
        }
    }

    /// What the limits leave of the wait that began at `started`; the timeout error once
    /// one of them ran out.
    fn time_left(&self, started: Instant) -> io::Result<Option<Duration>> {
        let read = self.limits.timeout.read.map(Duration::from_secs_f64);
        let read_left = read.map(|r| r.saturating_sub(started.elapsed()));
        let total_left = self
            .limits
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        let left = [read_left, total_left].into_iter().flatten().min();
        if left.is_some_and(|d| d.is_zero()) {
            let total = total_left.is_some_and(|t| t.is_zero());
            return Err(self.timed_out(total));
        }
        Ok(left)
    }

    /// Waits up to `limit` for the socket to hold its low-water mark (or to close or fail);
    /// false when the time ran out or a signal came.
    fn readable(&self, limit: Duration) -> io::Result<bool> {
        let ms =
            libc::c_int::try_from(limit.as_nanos().div_ceil(1_000_000)).unwrap_or(libc::c_int::MAX);
        let mut fd = libc::pollfd {
            fd: self.socket.stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the call.
        match unsafe { libc::poll(&mut fd, 1, ms) } {
            n if n >= 0 => Ok(n > 0),
            _ => {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::Interrupted => Ok(false),
                    _ => Err(self.failed(e)),
                }
            }
        }
    }

    /// Bytes waiting in the socket (0 if it cannot tell: then the wait goes on).
    fn queued(&self) -> libc::c_int {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int, to `n`, which outlives the call.
        let rc = unsafe { libc::ioctl(self.socket.stream.as_raw_fd(), libc::FIONREAD, &mut n) };
        if rc < 0 {
            0
        } else {
            n
        }
    }

    /// Makes the socket readable to poll only from `bytes` on (`SO_RCVLOWAT`): the mover then
    /// wakes once per large piece, not for every segment. Best effort: without it the
    /// pieces are just smaller.
    fn low_water(&mut self, bytes: usize) {
        if self.low_water == bytes {
            return;
        }
        let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: SO_RCVLOWAT reads one int from `value`, which outlives the call.
        let _ = unsafe {
            libc::setsockopt(
                self.socket.stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        self.low_water = bytes;
    }

    /// The timeout error the same wait through ureq gives.
    fn timed_out(&self, total: bool) -> io::Error {
        let which = match total {
            true => ureq::Timeout::Global,
            false => ureq::Timeout::RecvBody,
        };
        let l = &self.limits;
        let failure = super::timeout_failure(which, &l.timeout, l.max_time);
        io::Error::new(io::ErrorKind::TimedOut, failure)
    }

    /// A socket error, worded as the body reader words it.
    fn failed(&self, e: io::Error) -> io::Error {
        let l = &self.limits;
        let kind = e.kind();
        let failure: Failure = super::body_failure(e, &l.host, &l.timeout, l.max_time);
        io::Error::new(kind, failure)
    }
}
