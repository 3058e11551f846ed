//! A transport layer that watches the connection: it keeps the raw response head (ureq
//! drops the reason phrase and the header names' case) and marks the moments of the exchange
//! for `--meta`. The one change it makes is on a hop to a proxy in absolute form: ureq writes
//! the request line's target as the URI's path and query only, so the tap puts
//! `http://host[:port]` before it (`GET /x` -> `GET http://host/x`); nothing else is touched.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use ureq::Error;

use crate::message::Timings;

/// Past this, the head is not kept (ureq refuses heads over its own limit anyway).
const MAX_HEAD: usize = 1 << 20;

/// What the tap saw during the current exchange.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    /// The moments of the exchange and the remote address.
    pub timings: Timings,
    /// The final (non-1xx) response head as received, through the blank line.
    pub head: Vec<u8>,
    /// The bytes of interim (1xx) heads before it, which curl's `size_header` counts too.
    pub interim: u64,
    head_done: bool,
    capturing: bool,
    proxy: Option<String>,
    /// The connection to the CONNECT proxy (TLS included) is up.
    pub proxy_ready: bool,
    /// Still to be put before the request line's target (absolute form to a proxy).
    target_prefix: Option<Vec<u8>>,
    /// Request bytes written, and where the request's head ended among them (once seen).
    pub written: u64,
    pub request_head: Option<u64>,
    /// The last bytes written before the head's end was seen (it may span two writes).
    written_tail: Vec<u8>,
    /// The TCP socket (of ours, not a SOCKS connector's) this exchange last sent on. Weak:
    /// the connection's transport owns it, and a socket ureq closes must close for real.
    pub socket: Option<std::sync::Weak<super::stream::Socket>>,
    /// The exchange went on a connection opened before it (`client::handed`): its moments
    /// are that connection's, not the connector chain's.
    handed: bool,
}

/// Shared between the agent's connectors/transports and the client.
#[derive(Debug, Default, Clone)]
pub struct Tap(Arc<Mutex<Observed>>);

impl Tap {
    fn lock(&self) -> MutexGuard<'_, Observed> {
        // A poisoned lock only means a panic elsewhere; the data is still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start watching a new exchange. `proxy` is the CONNECT proxy's `host:port`, if any:
    /// the connection to it carries the tunnel, not the response. `target_prefix` goes before
    /// the request's target (`http://host[:port]`, absolute form to a proxy).
    pub fn begin(&self, proxy: Option<String>, target_prefix: Option<String>) {
        let mut o = self.lock();
        *o = Observed {
            timings: Timings {
                started: Some(Instant::now()),
                ..Timings::default()
            },
            capturing: true,
            proxy,
            target_prefix: target_prefix.map(String::into_bytes),
            ..Observed::default()
        };
    }

    /// Where in `out` (the next bytes to go out) the target starts, and the prefix to put
    /// there, once per exchange. The request line comes first and whole (ureq writes it in
    /// one piece), so its target starts after the first space.
    fn take_prefix(&self, out: &[u8]) -> Option<(usize, Vec<u8>)> {
        let mut o = self.lock();
        o.target_prefix.as_ref()?;
        let at = out.iter().position(|b| *b == b' ')? + 1;
        o.target_prefix.take().map(|p| (at, p))
    }

    pub fn snapshot(&self) -> Observed {
        self.lock().clone()
    }

    /// A request is being sent on `socket`.
    pub fn sending_on(&self, socket: &Arc<super::stream::Socket>) {
        self.mark(|o| o.socket = Some(Arc::downgrade(socket)));
    }

    /// The exchange goes on a connection opened earlier (`client::handed`): its moments,
    /// from DNS to TLS, are this exchange's.
    pub fn handed(&self, opened: Timings) {
        self.mark(|o| {
            o.timings = Timings {
                started: opened.started.min(o.timings.started).or(o.timings.started),
                ..opened
            };
            o.handed = true;
        });
    }

    /// The dialer made a connection to `remote` from `local`.
    pub fn connected_to(&self, remote: crate::message::Remote, local: Option<SocketAddr>) {
        self.mark(|o| {
            o.timings.remote = Some(remote);
            o.timings.local = local;
        });
    }

    /// `bytes` (and `extra` bytes put in before the head's end, a target prefix) were
    /// written for the request.
    fn wrote(&self, bytes: &[u8], extra: usize) {
        let mut o = self.lock();
        if o.request_head.is_none() {
            let carried = o.written_tail.len();
            let mut window = std::mem::take(&mut o.written_tail);
            window.extend_from_slice(bytes);
            match head_end(&window) {
                Some(end) => o.request_head = Some(o.written + (end - carried + extra) as u64),
                None => o.written_tail = window[window.len().saturating_sub(3)..].to_vec(),
            }
        }
        o.written += (bytes.len() + extra) as u64;
    }

    fn mark(&self, f: impl FnOnce(&mut Observed)) {
        f(&mut self.lock());
    }

    fn feed(&self, bytes: &[u8]) {
        let mut o = self.lock();
        if !o.capturing || bytes.is_empty() {
            return;
        }
        if o.timings.first_byte.is_none() {
            o.timings.first_byte = Some(Instant::now());
        }
        o.head.extend_from_slice(bytes);
        // Skip interim 1xx heads (100 Continue, 103 Early Hints); keep the final one.
        while let Some(end) = head_end(&o.head) {
            if is_interim(&o.head) {
                o.head.drain(..end);
                o.interim += end as u64;
                continue;
            }
            o.head.truncate(end);
            o.head_done = true;
            o.capturing = false;
            return;
        }
        if o.head.len() > MAX_HEAD {
            o.head.clear();
            o.capturing = false;
        }
    }
}

fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn is_interim(head: &[u8]) -> bool {
    // "HTTP/1.1 1xx", but not 101 Switching Protocols: that one is the final response.
    head.len() > 11 && head[9] == b'1' && &head[9..12] != b"101"
}

impl Observed {
    /// The captured head, if it was seen whole.
    pub fn head(&self) -> Option<&[u8]> {
        self.head_done.then_some(self.head.as_slice())
    }
}

/// Which moment a [`Mark`] connector records.
#[derive(Debug, Clone, Copy)]
pub enum Moment {
    ConnectStart,
    TcpDone,
}

/// A pass-through connector that records when the chain reached it.
#[derive(Debug)]
pub struct Mark(pub Tap, pub Moment);

impl<In: Transport> Connector<In> for Mark {
    type Out = In;
    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, Error> {
        let now = Instant::now();
        match self.1 {
            Moment::ConnectStart => self.0.mark(|o| o.timings.connect_start = Some(now)),
            Moment::TcpDone if self.0.lock().handed => {}
            Moment::TcpDone => self.0.mark(|o| o.timings.tcp_done = Some(now)),
        }
        Ok(chained)
    }
}

/// The last connector in the chain: wraps the finished transport in a [`TapTransport`].
#[derive(Debug)]
pub struct TapConnector(pub Tap);

impl<In: Transport> Connector<In> for TapConnector {
    type Out = TapTransport<In>;
    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        // The chain also runs for the connection to a CONNECT proxy; its "200 Connection
        // established" is not the response, so that inner transport is not watched.
        let target = details.uri.host().map(|h| {
            let port = details
                .uri
                .port_u16()
                .unwrap_or(match details.uri.scheme_str() {
                    Some("https") => 443,
                    _ => 80,
                });
            format!("{h}:{port}")
        });
        let to_proxy = details.config.proxy().is_none()
            && target.is_some()
            && self.0.lock().proxy.as_deref() == target.as_deref();
        let now = Instant::now();
        let tls = chained.as_ref().is_some_and(|t| t.is_tls());
        if to_proxy {
            self.0.mark(|o| o.proxy_ready = true);
        } else {
            self.0.mark(|o| {
                // A handed connection (`client::handed`) was ready before the chain ran.
                if !o.handed {
                    o.timings.connected = Some(now);
                }
                o.timings.tls = tls;
            });
        }
        // The dialer has just recorded where this connection goes (the proxy, when there is
        // one); kept so that exchanges on it once pooled can show it too.
        let (remote, local) = {
            let o = self.0.lock();
            (o.timings.remote.clone(), o.timings.local)
        };
        Ok(chained.map(|inner| TapTransport {
            inner,
            tap: self.0.clone(),
            watch: !to_proxy,
            remote,
            local,
        }))
    }
}

#[derive(Debug)]
pub struct TapTransport<T> {
    inner: T,
    tap: Tap,
    watch: bool,
    /// The peer this connection was made to, and this end, for `--meta` when it is reused.
    remote: Option<crate::message::Remote>,
    local: Option<SocketAddr>,
}

impl<T: Transport> Transport for TapTransport<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }
    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        // A reused connection is not dialled again: the exchange has no connect moment and
        // no remote yet.
        if self.watch {
            self.tap.mark(|o| {
                if o.capturing && o.timings.connect_start.is_none() {
                    o.timings.reused = true;
                }
                if o.timings.remote.is_none() {
                    o.timings.remote = self.remote.clone();
                    o.timings.local = self.local;
                }
            });
        }
        let prefix = match self.watch {
            true => self
                .tap
                .take_prefix(&self.inner.buffers().output()[..amount]),
            false => None,
        };
        if self.watch {
            let extra = prefix.as_ref().map_or(0, |(_, p)| p.len());
            self.tap
                .wrote(&self.inner.buffers().output()[..amount], extra);
        }
        match prefix {
            Some((at, prefix)) => transmit_inserted(&mut self.inner, amount, at, &prefix, timeout)?,
            None => self.inner.transmit_output(amount, timeout)?,
        }
        if self.watch {
            let now = Instant::now();
            self.tap.mark(|o| {
                if o.capturing && o.timings.first_byte.is_none() {
                    o.timings.sent = Some(now);
                }
            });
        }
        Ok(())
    }
    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        // New bytes are appended after the unconsumed ones, so they are the tail.
        let before = self.inner.buffers().input().len();
        let progressed = self.inner.await_input(timeout)?;
        let input = self.inner.buffers().input();
        if self.watch && input.len() > before {
            self.tap.feed(&input[before..]);
        }
        Ok(progressed)
    }
    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }
    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// Send the first `amount` output bytes with `insert` put in at `at`: in place when the
/// buffer has room, else in buffer-sized pieces (a head as large as the buffer).
fn transmit_inserted<T: Transport>(
    inner: &mut T,
    amount: usize,
    at: usize,
    insert: &[u8],
    timeout: NextTimeout,
) -> Result<(), Error> {
    let out = inner.buffers().output();
    if amount + insert.len() <= out.len() {
        out.copy_within(at..amount, at + insert.len());
        out[at..at + insert.len()].copy_from_slice(insert);
        return inner.transmit_output(amount + insert.len(), timeout);
    }
    let whole = [&out[..at], insert, &out[at..amount]].concat();
    let room = out.len();
    for piece in whole.chunks(room) {
        inner.buffers().output()[..piece.len()].copy_from_slice(piece);
        inner.transmit_output(piece.len(), timeout)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_final_head_across_chunks_and_skips_interim() {
        let tap = Tap::default();
        tap.begin(None, None);
        tap.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Fine");
        assert!(tap.snapshot().head().is_none());
        tap.feed(b"\r\nX-Case: a\r\n\r\nbody");
        assert_eq!(
            tap.snapshot().head().unwrap(),
            b"HTTP/1.1 200 Fine\r\nX-Case: a\r\n\r\n"
        );
        tap.feed(b"more body");
        assert_eq!(tap.snapshot().head().unwrap().len(), 32);
        assert_eq!(tap.snapshot().interim, 25);
    }

    /// A transport that records what it is asked to send.
    #[derive(Debug)]
    struct Wire(ureq::unversioned::transport::LazyBuffers, Vec<u8>);

    impl Transport for Wire {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.0
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), Error> {
            let sent = self.0.output()[..amount].to_vec();
            self.1.extend(sent);
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, Error> {
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    /// A watching tap transport over a [`Wire`] with an output buffer of `room` bytes.
    fn tapped(tap: &Tap, room: usize) -> TapTransport<Wire> {
        TapTransport {
            inner: Wire(
                ureq::unversioned::transport::LazyBuffers::new(64, room),
                vec![],
            ),
            tap: tap.clone(),
            watch: true,
            remote: None,
            local: None,
        }
    }

    fn a_second() -> NextTimeout {
        NextTimeout {
            after: ureq::unversioned::transport::time::Duration::Exact(
                std::time::Duration::from_secs(1),
            ),
            reason: ureq::Timeout::SendRequest,
            per_read: None,
            per_write: None,
        }
    }

    /// Sends `pieces` through a tap expecting `prefix`, with an output buffer of `room` bytes.
    fn sent_through(room: usize, prefix: Option<&str>, pieces: &[&[u8]]) -> Vec<u8> {
        let tap = Tap::default();
        tap.begin(None, prefix.map(str::to_string));
        let mut t = tapped(&tap, room);
        for piece in pieces {
            t.buffers().output()[..piece.len()].copy_from_slice(piece);
            t.transmit_output(piece.len(), a_second()).unwrap();
        }
        t.inner.1
    }

    #[test]
    fn counts_request_bytes_and_finds_the_head_across_writes() {
        let tap = Tap::default();
        tap.begin(None, None);
        tap.wrote(b"GET / HTTP/1.1\r\nA: 1\r", 5);
        assert_eq!(tap.snapshot().request_head, None);
        tap.wrote(b"\n\r\nbody", 0);
        let o = tap.snapshot();
        assert_eq!((o.written, o.request_head), (33, Some(29)));
        tap.wrote(b"more", 0);
        assert_eq!(tap.snapshot().written, 37);
    }

    #[test]
    fn absolute_form_prefix_goes_before_the_target_once() {
        let head: &[&[u8]] = &[
            b"GET /x?q=1 HTTP/1.1\r\nHost: h\r\n",
            b"A: 1\r\n\r\n",
            b"GET /",
        ];
        let want = b"GET http://h:8/x?q=1 HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\nGET /";
        // Room to spare, then a buffer the first piece fills (sent in pieces).
        for room in [256, 31, 30] {
            assert_eq!(sent_through(room, Some("http://h:8"), head), want, "{room}");
        }
        assert_eq!(sent_through(256, None, head), head.concat());
    }

    #[test]
    fn sent_is_the_last_write_before_the_response() {
        let tap = Tap::default();
        tap.begin(None, None);
        let mut t = tapped(&tap, 64);
        let timeout = a_second();
        assert!(tap.snapshot().timings.sent.is_none());
        t.transmit_output(4, timeout).unwrap();
        let head = tap.snapshot().timings.sent.expect("marked");
        std::thread::sleep(std::time::Duration::from_millis(2));
        t.transmit_output(4, timeout).unwrap();
        let body = tap.snapshot().timings.sent.expect("marked");
        assert!(body > head, "moves with each write");
        // A write after the response began (a body after `100 Continue`) is not the moment.
        tap.feed(b"HTTP/1.1 100 Continue\r\n\r\n");
        t.transmit_output(4, timeout).unwrap();
        assert_eq!(tap.snapshot().timings.sent, Some(body));
    }
}
