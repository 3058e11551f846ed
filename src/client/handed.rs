//! Connections handed from HTTP/2 to HTTP/1.1. With `--http-version=2` the TLS handshake is
//! done on the HTTP/2 side (it offers `h2` by ALPN); a server that chooses HTTP/1.1 gets its
//! request on that same connection: the socket and the rustls session are left here, and the
//! first connector of the agent's chain gives them to ureq instead of dialing again. Routing,
//! proxies and TLS connectors then pass the transport through (it is already TLS).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::{ClientConnection, StreamOwned};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};
use ureq::Error;

use super::h2::Handoff;
use super::stream::{io_error, BeforeWait};
use super::tap::Tap;

/// Connections waiting for ureq, by `scheme://host:port`.
pub type Waiting = Arc<Mutex<Vec<(String, Handoff)>>>;

/// `scheme://host:port` of a URI, as the HTTP/2 side keys its connections.
fn origin(details: &ConnectionDetails) -> Option<String> {
    let uri = details.uri;
    let port = uri.port_u16().or(match uri.scheme_str()? {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })?;
    Some(format!("{}://{}:{port}", uri.scheme_str()?, uri.host()?))
}

/// The first connector: a waiting connection to this origin, if there is one.
pub struct Handed {
    pub waiting: Waiting,
    pub tap: Tap,
    pub before_wait: BeforeWait,
}

impl std::fmt::Debug for Handed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handed").finish()
    }
}

impl<In: Transport> Connector<In> for Handed {
    type Out = Either<In, HandedTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let Some(origin) = origin(details) else {
            return Ok(None);
        };
        let handoff = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            let at = waiting.iter().position(|(o, _)| *o == origin);
            at.map(|i| waiting.remove(i).1)
        };
        let Some(Handoff { tcp, tls, timings }) = handoff else {
            return Ok(None);
        };
        // The exchange began when this connection did.
        self.tap.handed(timings);
        Ok(Some(Either::B(HandedTransport {
            stream: StreamOwned::new(tls, tcp),
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            before_wait: self.before_wait.clone(),
        })))
    }
}

/// HTTP/1.1 over a handed TLS connection.
pub struct HandedTransport {
    stream: StreamOwned<ClientConnection, TcpStream>,
    buffers: LazyBuffers,
    before_wait: BeforeWait,
}

impl std::fmt::Debug for HandedTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandedTransport").finish()
    }
}

/// The limit for one socket operation; the timeout error when none is left.
fn limit(timeout: &NextTimeout) -> Result<Option<Duration>, Error> {
    if timeout.after.is_zero() {
        return Err(Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}

impl Transport for HandedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        self.stream.sock.set_write_timeout(limit(&timeout)?)?;
        let output = &self.buffers.output()[..amount];
        self.stream
            .write_all(output)
            .and_then(|()| self.stream.flush())
            .map_err(|e| io_error(e, &timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let timeout = timeout.for_read();
        self.stream.sock.set_read_timeout(limit(&timeout)?)?;
        // Only a read with nothing decrypted waiting may wait for the network.
        let decrypted = self
            .stream
            .conn
            .process_new_packets()
            .is_ok_and(|s| s.plaintext_bytes_to_read() > 0);
        if let (false, Some(hook)) = (decrypted, self.before_wait.get()) {
            hook();
        }
        let amount = loop {
            match self.stream.read(self.buffers.input_append_buf()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => break result.map_err(|e| io_error(e, &timeout))?,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Kept only while nothing arrived unasked (a close, an alert): as the plain transport.
    fn is_open(&mut self) -> bool {
        let mut probe = [0u8; 1];
        let sock = &self.stream.sock;
        if sock.set_nonblocking(true).is_err() {
            return false;
        }
        let open = matches!(sock.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        sock.set_nonblocking(false).is_ok() && open
    }

    fn is_tls(&self) -> bool {
        true
    }
}
