//! Test harness for the `http` / `https` binaries: hermetic command runs
//! (pipes or a real pseudo-terminal), a recording HTTP server, a raw
//! scripted TCP server, a TLS server with a per-test PKI, an HTTP/2 server
//! (h2c and TLS) with frame-level control, CONNECT,
//! forwarding (absolute-form) and SOCKS proxies, and gates for sleep-free
//! synchronisation.
//!
//! Rules it enforces: real binaries against real servers on 127.0.0.1
//! ephemeral ports; servers are bound before their constructor returns
//! (binding is the readiness signal); no sleeps; safety timeouts only turn
//! hangs into clear failures.

// Not every test module uses every helper.
#![allow(dead_code, unused_imports)]

mod bytes;
mod capture;
mod cmd;
mod expect;
mod forward;
mod gate;
mod h2;
mod listener;
mod proxy;
mod pty;
mod raw;
mod server;
mod socks;
mod tls;

pub use self::h2::{H2Options, H2Reply, H2Request, H2Server};
pub use bytes::{contains, has_esc, strip_ansi};
pub use cmd::{http, https, Cmd, Run, Running, TIMEOUT};
pub use expect::{assert_error, assert_ok, ok_server};
pub use forward::ForwardProxy;
pub use gate::{gate, Gate, Opener};
pub use nix::sys::signal::Signal;
pub use proxy::{basic_auth, head_header, request_line, ConnectProxy};
pub use pty::{normalize_newlines, PtyRun, PtySession, Tty};
pub use raw::{
    dead_port, read_body, read_head, read_request, reset, Blackhole, Conn, RawRequest, RawServer,
};
pub use server::{echo_json, Recorded, Reply, Server};
pub use socks::{Dest, Socks4Proxy, Socks4Request, Socks5Proxy, SocksRecord};
pub use tls::{Leaf, Pki, Seen, TlsServer, Versions};
