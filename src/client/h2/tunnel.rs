//! Tunnels for HTTP/2 that ureq's connectors cannot hand over. ureq opens a tunnel through an
//! `https://` proxy inside a blocking TLS transport that tokio cannot take over, so here the
//! connection to the proxy is TLS on tokio, the CONNECT head is written as ureq writes it, and
//! the proxy's answer is parsed by httparse. ureq's SOCKS connector opens its own socket, so
//! SOCKS handshakes run here too, by tokio-socks, on the dialer's socket to the proxy. Through
//! an `http://` proxy, ureq's tunnel is used (`connect.rs`).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connect::Io;

/// Past this, a proxy's answer to CONNECT is not a head.
const MAX_HEAD: usize = 64 * 1024;

/// Why the tunnel was not opened.
#[derive(Debug)]
pub enum Refusal {
    Io(std::io::Error),
    /// The proxy answered with this status and reason.
    Status(u16, String),
    /// The answer was not HTTP, or more than a head.
    Invalid(String),
}

/// `CONNECT authority` on `io` (the connection to the proxy); the tunnel once the proxy
/// answers 2xx. `credentials` is the `Proxy-Authorization` value.
pub async fn open(
    mut io: Box<dyn Io>,
    authority: &str,
    credentials: Option<&[u8]>,
) -> Result<Box<dyn Io>, Refusal> {
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    if let Some(c) = credentials {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(c);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    io.write_all(&head).await.map_err(Refusal::Io)?;
    io.flush().await.map_err(Refusal::Io)?;
    let mut answer = Vec::new();
    let mut piece = [0u8; 1024];
    loop {
        let n = io.read(&mut piece).await.map_err(Refusal::Io)?;
        if n == 0 {
            return Err(Refusal::Invalid(
                "closed the connection before answering the CONNECT".into(),
            ));
        }
        answer.extend_from_slice(&piece[..n]);
        if let Some((code, reason)) = parse(&answer)? {
            return match code {
                200..=299 => Ok(io),
                _ => Err(Refusal::Status(code, reason)),
            };
        }
    }
}

/// The status and reason of a complete answer; `None` while it is incomplete. The client
/// speaks first inside the tunnel (TLS), so nothing may follow the head.
fn parse(answer: &[u8]) -> Result<Option<(u16, String)>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let invalid = |why: String| Refusal::Invalid(why);
    match response.parse(answer) {
        Ok(httparse::Status::Complete(len)) if len < answer.len() => Err(invalid(
            "sent more than a head in answer to the CONNECT".into(),
        )),
        Ok(httparse::Status::Complete(_)) => {
            let code = response.code.unwrap_or_default();
            Ok(Some((
                code,
                response.reason.unwrap_or_default().to_string(),
            )))
        }
        Ok(httparse::Status::Partial) if answer.len() > MAX_HEAD => {
            Err(invalid("sent an answer to the CONNECT over 64 KiB".into()))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(invalid(format!(
            "answered the CONNECT with invalid HTTP: {e}"
        ))),
    }
}

/// Where a SOCKS proxy is asked to connect: an address (resolved here, for `socks4://` and
/// `socks5://`) or a name (resolved by the proxy, for `socks4a://` and `socks5h://`).
pub enum SocksTarget {
    Ip(std::net::SocketAddr),
    Name(String, u16),
}

/// The SOCKS handshake on `io` (the connection to the proxy); `credentials` (user, password)
/// for SOCKS5. SOCKS4 carries no password, as in ureq.
pub async fn socks(
    io: Box<dyn Io>,
    version5: bool,
    target: SocksTarget,
    credentials: Option<(&str, &str)>,
) -> Result<Box<dyn Io>, tokio_socks::Error> {
    use tokio_socks::tcp::{Socks4Stream, Socks5Stream};
    use tokio_socks::TargetAddr;
    let target = match target {
        SocksTarget::Ip(a) => TargetAddr::Ip(a),
        SocksTarget::Name(host, port) => TargetAddr::Domain(host.into(), port),
    };
    Ok(match (version5, credentials) {
        (true, Some((user, pass))) => {
            Socks5Stream::connect_with_password_and_socket(io, target, user, pass)
                .await?
                .into_inner()
        }
        (true, None) => Socks5Stream::connect_with_socket(io, target)
            .await?
            .into_inner(),
        (false, _) => Socks4Stream::connect_with_socket(io, target)
            .await?
            .into_inner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_complete_partial_refused_or_invalid() {
        let ok = parse(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
        assert_eq!(ok, Some((200, "Connection established".into())));
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\nVia: p").unwrap(), None);
        let denied = parse(b"HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic\r\n\r\n").unwrap();
        assert_eq!(denied, Some((407, "Auth".into())));
        assert!(matches!(
            parse(b"HTTP/1.1 200 OK\r\n\r\nextra"),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            parse(b"\x16\x03\x01junk\r\n\r\n"),
            Err(Refusal::Invalid(_))
        ));
    }
}
