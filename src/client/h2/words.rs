//! HTTP/2 failures in the user's words: a stream reset or a GOAWAY with its error code, a
//! server that answers the HTTP/2 preface in HTTP/1.1, a connection cut short.

use crate::error::Failure;

/// The h2 error under a hyper error, if there is one.
fn h2_of(e: &hyper::Error) -> Option<&h2::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h2) = s.downcast_ref::<h2::Error>() {
            return Some(h2);
        }
        source = s.source();
    }
    None
}

/// The I/O error under a hyper error, if there is one.
pub fn io_of(e: &hyper::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        if let Some(io) = s.downcast_ref::<h2::Error>().and_then(h2::Error::get_io) {
            return Some(io);
        }
        source = s.source();
    }
    None
}

/// Whether a server's first bytes are not HTTP/2, whose first frame is SETTINGS (type 4 on
/// stream 0).
pub fn not_http2(first_bytes: &[u8]) -> bool {
    match first_bytes.get(..9) {
        Some(f) => f[3] != 4 || f[5..9] != [0, 0, 0, 0],
        None => false,
    }
}

/// `REFUSED_STREAM (refused stream before processing any application logic)`
fn code(reason: h2::Reason) -> String {
    format!("{reason:?} ({})", reason.description())
}

/// The server refused the stream before doing anything with it: any request may be retried.
pub fn refused(e: &hyper::Error) -> bool {
    h2_of(e).is_some_and(|h| h.is_remote() && h.reason() == Some(h2::Reason::REFUSED_STREAM))
}

/// What went wrong, when it is HTTP/2's own doing (a reset, a GOAWAY, a protocol error), or
/// the server's first bytes show it speaks HTTP/1.1 only; `None` for plain I/O failures,
/// which are worded as over HTTP/1.1.
pub fn explain(e: &hyper::Error, host: &str, first_bytes: &[u8]) -> Option<String> {
    if not_http2(first_bytes) {
        let answer = match first_bytes.starts_with(b"HTTP/1.") {
            true => "answered in HTTP/1.1",
            false => "did not answer in HTTP/2",
        };
        return Some(format!(
            "{host} {answer}: it does not take HTTP/2 with prior knowledge \
             (for HTTP/1.1, leave out --http-version=2-prior-knowledge)"
        ));
    }
    let h2 = h2_of(e)?;
    let reason = h2.reason()?;
    Some(if h2.is_reset() && h2.is_remote() {
        format!("{host} reset the HTTP/2 stream: {}", code(reason))
    } else if h2.is_go_away() && h2.is_remote() {
        format!(
            "{host} closed the HTTP/2 connection (GOAWAY): {}",
            code(reason)
        )
    } else {
        format!("invalid HTTP/2 from {host}: {}", code(reason))
    })
}

/// What went wrong while the response head was awaited: as [`explain`] says, except that a
/// stream h2 itself reset then means the head was refused (malformed, or over the limit).
pub fn head_failure(e: &hyper::Error, host: &str, first_bytes: &[u8]) -> Option<String> {
    let refused = h2_of(e).filter(|h| h.is_reset() && h.is_library() && !not_http2(first_bytes));
    match refused.and_then(h2::Error::reason) {
        Some(reason) => Some(format!(
            "the response head from {host} is not valid HTTP/2, or is larger than {} KiB ({})",
            super::MAX_HEADERS / 1024,
            code(reason)
        )),
        None => explain(e, host, first_bytes),
    }
}

/// A failure while the response body was read: a reset or a cut connection leaves the body
/// incomplete (a download is kept for `--continue`).
pub fn body_failure(e: &hyper::Error, host: &str) -> Failure {
    let early = format!("the response body from {host} ended early");
    match explain(e, host, b"") {
        Some(why) => Failure::Incomplete(format!("{early}: {why}")),
        None if io_of(e).is_some() || e.is_incomplete_message() || e.is_closed() => {
            Failure::Incomplete(format!(
                "{early}: the connection closed before all of it arrived"
            ))
        }
        None => Failure::Network(format!("error reading the response body from {host}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_does_not_open_with_settings_is_not_http2() {
        // SETTINGS: length 0, type 4, flags 0, stream 0.
        assert!(!not_http2(&[0, 0, 0, 4, 0, 0, 0, 0, 0]));
        assert!(!not_http2(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3]));
        assert!(not_http2(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(not_http2(b"<!DOCTYPE HTML>\n"));
        // SETTINGS on a stream is not a connection preface either.
        assert!(not_http2(&[0, 0, 0, 4, 0, 0, 0, 0, 1]));
        // Too little to tell.
        assert!(!not_http2(b"HTTP/1"));
        assert_eq!(
            code(h2::Reason::REFUSED_STREAM),
            "REFUSED_STREAM (refused stream before processing any application logic)"
        );
    }
}
