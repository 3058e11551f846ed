//! The accept loop shared by the test proxies and the TLS server: a thread
//! on 127.0.0.1:0 (bound before [`Listener::start`] returns) that hands
//! each connection to a handler on its own thread, plus byte piping for
//! tunnels. Dropping a [`Listener`] stops accepting and shuts down every
//! stream its handlers still hold, so their threads end even when a test
//! fails half-way.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::raw::lock;

/// Safety net on every accepted or upstream socket: a stuck peer must not
/// pin a thread forever. Never a synchronisation point.
pub(super) const SAFETY: Duration = Duration::from_secs(30);

/// Streams a server holds open, so dropping it can shut them down.
#[derive(Clone, Default)]
pub(super) struct OpenStreams(Arc<Mutex<Vec<TcpStream>>>);

impl OpenStreams {
    /// Arms the safety timeouts on `stream` and keeps a clone to shut down.
    pub(super) fn track(&self, stream: &TcpStream) {
        let _ = stream.set_read_timeout(Some(SAFETY));
        let _ = stream.set_write_timeout(Some(SAFETY));
        if let Ok(clone) = stream.try_clone() {
            lock(&self.0).push(clone);
        }
    }

    fn shutdown_all(&self) {
        for s in lock(&self.0).iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Accepts connections on 127.0.0.1:0 and hands each to a handler on its
/// own thread; see the module docs.
pub(super) struct Listener {
    pub(super) port: u16,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    open: OpenStreams,
    accept: Option<JoinHandle<()>>,
}

impl Listener {
    /// Binds, then runs `handle(stream, open)` for every connection; the
    /// handler tracks any further stream it opens (an upstream) in `open`.
    pub(super) fn start(
        what: &str,
        handle: impl Fn(TcpStream, &OpenStreams) + Send + Sync + 'static,
    ) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("harness: cannot bind {what}: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("harness: {what} address: {e}"))
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let open = OpenStreams::default();
        let handle = Arc::new(handle);
        let accept = {
            let (stop, connections, open) = (stop.clone(), connections.clone(), open.clone());
            thread::spawn(move || loop {
                let accepted = listener.accept();
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok((stream, _)) = accepted else { continue };
                connections.fetch_add(1, Ordering::SeqCst);
                open.track(&stream);
                let (handle, open) = (handle.clone(), open.clone());
                thread::spawn(move || handle(stream, &open));
            })
        };
        Listener {
            port,
            stop,
            connections,
            open,
            accept: Some(accept),
        }
    }

    /// Connections accepted so far.
    pub(super) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() with a throwaway connection.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        self.open.shutdown_all();
    }
}

/// Bytes a tunnel relayed, each way.
#[derive(Default)]
pub(super) struct Relayed {
    /// Client -> upstream.
    pub(super) up: Arc<Mutex<Vec<u8>>>,
    /// Upstream -> client.
    pub(super) down: Arc<Mutex<Vec<u8>>>,
}

/// Copies `from` to `to`, appending every byte to `log` before forwarding
/// it, then half-closes `to`.
fn copy_recording(mut from: TcpStream, mut to: TcpStream, log: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        lock(&log).extend_from_slice(&buf[..n]);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Pipes both ways until each side has closed its half, recording what
/// went through in `relayed`.
pub(super) fn pipe(client: TcpStream, upstream: TcpStream, relayed: &Relayed) {
    let (Ok(client_in), Ok(upstream_out)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let up_log = relayed.up.clone();
    let up = thread::spawn(move || copy_recording(client_in, upstream_out, up_log));
    copy_recording(upstream, client, relayed.down.clone());
    let _ = up.join();
}
