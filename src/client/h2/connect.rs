//! Opening an HTTP/2 connection. The socket comes from the same connector chain as HTTP/1.1
//! (`--resolve`, `--connect-to`, `-4/-6`, `--interface`, `--unix-socket`, CONNECT proxies and
//! their errors), run by a ureq agent that is stopped once the connection to the origin is
//! up: the dialer leaves a handle on the socket in a slot, and the last connector ends the
//! run before ureq writes anything. TLS (with ALPN) and HTTP/2 then run on tokio.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use ureq::http::Uri;
use ureq::unversioned::transport::{
    ConnectProxyConnector, ConnectionDetails, Connector, Transport,
};
use ureq::Agent;

use crate::client::dial::{self, Slot};
use crate::client::stream::Stream;
use crate::client::tap::{Mark, Moment, Tap};
use crate::spec::NetSpec;

/// Why the dialer's run stopped: the connection is ready in the slot.
#[derive(Debug)]
struct Taken;

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection taken for HTTP/2")
    }
}

impl std::error::Error for Taken {}

/// The last connector of the dialer: the connection to `target` (not the one to a CONNECT
/// proxy, which the chain also runs for) is left to HTTP/2.
#[derive(Debug)]
struct Take(Uri);

impl<In: Transport> Connector<In> for Take {
    type Out = In;
    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, ureq::Error> {
        if *details.uri != self.0 {
            return Ok(chained);
        }
        Err(ureq::Error::Io(io::Error::other(Taken)))
    }
}

/// The agent that opens HTTP/2 connections: the HTTP/1.1 chain without TLS (done on tokio)
/// nor SOCKS (refused before dialing).
pub struct Dialer {
    agent_for: Box<dyn Fn(Uri) -> Agent>,
    slot: Slot,
}

impl Dialer {
    pub fn new(net: &NetSpec, tap: &Tap) -> Dialer {
        let slot = Slot::default();
        let (net, tap, held) = (net.clone(), tap.clone(), slot.clone());
        let agent_for = Box::new(move |target: Uri| {
            let config = Agent::config_builder()
                .tls_config(crate::client::tls::refusing())
                .max_redirects(0)
                .proxy(None)
                .timeout_connect(net.timeout.connect.map(std::time::Duration::from_secs_f64))
                .timeout_resolve(net.timeout.connect.map(std::time::Duration::from_secs_f64))
                .build();
            let connector = ()
                .chain(Mark(tap.clone(), Moment::ConnectStart))
                .chain(ConnectProxyConnector::default())
                .chain(dial::Dial {
                    route: net.route.clone(),
                    tap: tap.clone(),
                    before_wait: Default::default(),
                    slot: Some(held.clone()),
                })
                .chain(Mark(tap.clone(), Moment::TcpDone))
                .chain(Take(target));
            Agent::with_parts(config, connector, dial::Router::new(net.route.clone()))
        });
        Dialer { agent_for, slot }
    }

    /// A socket to the origin of `uri` (through `proxy`, a CONNECT proxy, if given), or ureq's
    /// error, worded later as for HTTP/1.1.
    pub fn dial(
        &self,
        uri: Uri,
        proxy: Option<&str>,
        left: Option<std::time::Duration>,
    ) -> Result<Stream, ureq::Error> {
        let agent = (self.agent_for)(uri.clone());
        let mut request = ureq::http::Request::get(uri)
            .body(())
            .map_err(ureq::Error::Http)?;
        let mut config = agent.configure_request(request);
        if let Some(p) = proxy {
            config = config.proxy(Some(ureq::Proxy::new(p)?));
        }
        if let Some(left) = left {
            config = config.timeout_global(Some(left));
        }
        request = config.build();
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        match agent.run(request) {
            Err(ureq::Error::Io(e)) if e.get_ref().is_some_and(|i| i.is::<Taken>()) => self
                .slot
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .ok_or(ureq::Error::ConnectionFailed),
            Err(e) => Err(e),
            Ok(_) => Err(ureq::Error::ConnectionFailed),
        }
    }
}

/// A connection's byte stream on tokio: TCP, Unix, or TLS over either.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The socket as a tokio stream (call within the runtime).
pub fn to_tokio(stream: Stream) -> io::Result<Box<dyn Io>> {
    Ok(match stream {
        Stream::Tcp(s) => {
            s.set_nonblocking(true)?;
            Box::new(tokio::net::TcpStream::from_std(s)?)
        }
        Stream::Unix(s) => {
            s.set_nonblocking(true)?;
            Box::new(tokio::net::UnixStream::from_std(s)?)
        }
    })
}

/// Keeps the first bytes the server sends, so that an HTTP/1.1 answer to the HTTP/2 preface
/// (a server without h2c) can be named as such.
pub struct Sniff<T> {
    inner: T,
    pub first: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl<T> Sniff<T> {
    pub fn new(inner: T) -> Sniff<T> {
        Sniff {
            inner,
            first: Default::default(),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Sniff<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        if first.len() < 16 {
            let new = &buf.filled()[before..];
            let room = 16 - first.len();
            first.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Sniff<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
