//! Every failure the user can see, and the one table that turns failures and HTTP statuses
//! into exit codes. Nothing else in the crate decides an exit code.

use std::fmt;

/// Exit codes, HTTPie-compatible (documented in the README).
pub mod code {
    pub const OK: i32 = 0;
    pub const ERROR: i32 = 1;
    pub const TIMEOUT: i32 = 2;
    pub const HTTP_3XX: i32 = 3;
    pub const HTTP_4XX: i32 = 4;
    pub const HTTP_5XX: i32 = 5;
    pub const TOO_MANY_REDIRECTS: i32 = 6;
    pub const INTERRUPTED: i32 = 130;
}

/// Which limit a timeout hit, so the message can say which knob to turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    Connect,
    Read,
    /// `--max-time`: the deadline of the whole exchange.
    Total,
}

/// A failure with the wording the user reads. Anything not covered here travels as a plain
/// `anyhow::Error` and exits 1.
#[derive(Debug)]
pub enum Failure {
    /// Bad command line: flag value, request item, URL, file argument.
    Usage(String),
    /// Connection, DNS, TLS, proxy or protocol trouble.
    Network(String),
    Timeout {
        kind: TimeoutKind,
        secs: f64,
    },
    TooManyRedirects(u32),
    /// The transfer ended before the promised length.
    Incomplete(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Network(m) | Failure::Incomplete(m) => f.write_str(m),
            Failure::Timeout {
                kind: TimeoutKind::Total,
                secs,
            } => {
                let s = seconds(*secs);
                let n = s.trim_end_matches('s');
                write!(f, "the whole exchange took longer than --max-time {n} s")
            }
            Failure::Timeout { kind, secs } => {
                let what = match kind {
                    TimeoutKind::Connect => "connect timeout",
                    TimeoutKind::Read | TimeoutKind::Total => "read timeout: no data received for",
                };
                write!(f, "Request timed out ({what} {})", seconds(*secs))
            }
            Failure::TooManyRedirects(n) => write!(f, "Too many redirects (--max-redirects={n})"),
        }
    }
}

impl std::error::Error for Failure {}

/// `2.5s`, `3s`: seconds as a person writes them.
pub fn seconds(secs: f64) -> String {
    let s = format!("{secs:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}s")
}

/// How a run ended when nothing went wrong on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done: the exchange, `--offline`, `--help`, `--version`, `--config-show`.
    Done,
    /// Help was printed because no URL was given.
    HelpForMissingUrl,
    /// `--check-status` (requests' `raise_for_status`): the final status decides.
    Status { status: u16, followed: bool },
    /// Ctrl-C ended the run.
    Interrupted,
    /// A request file in which a request failed: the exit code of the first failure.
    Failed(i32),
}

impl Outcome {
    /// The exit code for this outcome.
    pub fn code(self) -> i32 {
        match self {
            Outcome::Done => code::OK,
            Outcome::HelpForMissingUrl => code::ERROR,
            Outcome::Status { status, followed } => status_exit_code(status, followed),
            Outcome::Interrupted => code::INTERRUPTED,
            Outcome::Failed(code) => code,
        }
    }

    pub fn is_success(self) -> bool {
        self.code() == code::OK
    }
}

/// The exit code for an error that ended the run. A closed output pipe (`http ... | head -1`)
/// is not worth one: it exits 0.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if is_broken_pipe(err) {
        return code::OK;
    }
    match err.downcast_ref::<Failure>() {
        Some(Failure::Timeout { .. }) => code::TIMEOUT,
        Some(Failure::TooManyRedirects(_)) => code::TOO_MANY_REDIRECTS,
        _ => code::ERROR,
    }
}

/// Writing the output failed because its reader went away (not a read from the network).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::BrokenPipe && crate::message::failure_in(io).is_none()
        })
    })
}

/// An I/O error met while showing or saving a body: a read failure carries its [`Failure`]
/// (already worded by the transport), which is taken out so its exit code applies.
pub fn from_io(e: std::io::Error) -> anyhow::Error {
    if crate::message::failure_in(&e).is_none() {
        return e.into();
    }
    let kind = e.kind();
    match e.into_inner().map(|inner| inner.downcast::<Failure>()) {
        Some(Ok(f)) => (*f).into(),
        Some(Err(other)) => std::io::Error::new(kind, other).into(),
        None => std::io::Error::from(kind).into(),
    }
}

/// The exit code for a final response status under `--check-status`. A 3xx only counts when
/// redirects were not being followed.
fn status_exit_code(status: u16, followed: bool) -> i32 {
    match status {
        300..=399 if !followed => code::HTTP_3XX,
        400..=499 => code::HTTP_4XX,
        500..=599 => code::HTTP_5XX,
        _ => code::OK,
    }
}

/// An I/O error in plain words, as in "cannot read 'x': no such file or directory": the
/// system's text without Rust's " (os error N)" and lower-cased. Nested causes
/// (`Custom error (No such device or address (os error 6))`) are cleaned the same way.
pub fn plain_io(e: &std::io::Error) -> String {
    plain_words(&e.to_string())
}

/// `text` without any " (os error N)" and with a lower-case first letter (unless the first
/// word is an acronym such as "TLS").
pub fn plain_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" (os error ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + " (os error ".len()..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(')') {
            rest = &tail[digits + 1..];
        } else {
            out.push_str(" (os error ");
            rest = tail;
        }
    }
    out.push_str(rest);
    let mut chars = out.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second))
            if first.is_ascii_uppercase() && !second.is_ascii_uppercase() =>
        {
            first.to_ascii_lowercase().to_string() + &out[1..]
        }
        _ => out,
    }
}

/// Shorthand for a usage failure.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    Failure::Usage(msg.into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_like_httpie() {
        let table = [
            (200, false, 0),
            (204, true, 0),
            (101, false, 0),
            (301, false, 3),
            (304, true, 0),
            (404, false, 4),
            (404, true, 4),
            (500, false, 5),
            (599, false, 5),
            (600, false, 0),
        ];
        for (status, followed, want) in table {
            assert_eq!(
                status_exit_code(status, followed),
                want,
                "{status} {followed}"
            );
        }
    }

    #[test]
    fn failures_map_to_codes() {
        let t: anyhow::Error = Failure::Timeout {
            kind: TimeoutKind::Read,
            secs: 2.5,
        }
        .into();
        assert_eq!(exit_code(&t), 2);
        assert_eq!(
            t.to_string(),
            "Request timed out (read timeout: no data received for 2.5s)"
        );
        let total: anyhow::Error = Failure::Timeout {
            kind: TimeoutKind::Total,
            secs: 2.0,
        }
        .into();
        assert_eq!(exit_code(&total), 2);
        assert_eq!(
            total.to_string(),
            "the whole exchange took longer than --max-time 2 s"
        );
        assert_eq!(exit_code(&Failure::TooManyRedirects(3).into()), 6);
        assert_eq!(exit_code(&usage("bad")), 1);
        assert_eq!(exit_code(&anyhow::anyhow!("other")), 1);
    }

    #[test]
    fn io_errors_in_plain_words() {
        use std::io::Error;
        assert_eq!(
            plain_io(&Error::from_raw_os_error(2)),
            "no such file or directory"
        );
        assert_eq!(plain_io(&Error::from_raw_os_error(13)), "permission denied");
        let nested = Error::other(Error::from_raw_os_error(6).to_string());
        assert!(nested.to_string().contains("(os error 6)"));
        assert_eq!(plain_io(&nested), "no such device or address");
        assert_eq!(
            plain_words("x (No such device or address (os error 6))"),
            "x (No such device or address)"
        );
        assert_eq!(plain_words("TLS broke (os error 104)"), "TLS broke");
        assert_eq!(plain_words("odd (os error x)"), "odd (os error x)");
        assert_eq!(plain_words(""), "");
    }

    #[test]
    fn seconds_are_short() {
        assert_eq!(seconds(2.0), "2s");
        assert_eq!(seconds(0.25), "0.25s");
        assert_eq!(seconds(1.5), "1.5s");
    }
}
