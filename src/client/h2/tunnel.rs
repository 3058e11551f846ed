//! The CONNECT tunnel through an `https://` proxy, for HTTP/2. ureq opens its own tunnels
//! inside a blocking TLS transport that tokio cannot take over, so here the connection to the
//! proxy is TLS on tokio, the CONNECT head is written as ureq writes it, and the proxy's answer
//! is parsed by httparse. Through an `http://` proxy, ureq's tunnel is used (`connect.rs`).

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
