//! Common expectations on a run: a plain `ok` server and its success, and the one-line error.

use super::{Reply, Run, Server};

/// A server answering every request with 200 `ok`.
pub fn ok_server() -> Server {
    Server::start(|_| Reply::text("ok"))
}

#[track_caller]
pub fn assert_ok(run: &Run) {
    assert_eq!(run.code, 0, "expected success\n{}", run.context());
    assert_eq!(run.stdout_str(), "ok", "{}", run.context());
}

/// Exit 1, empty stdout, exactly one stderr line `http: error: ...`
/// containing every phrase.
#[track_caller]
pub fn assert_error(run: &Run, phrases: &[&str]) {
    assert_eq!(run.code, 1, "expected exit 1\n{}", run.context());
    let stderr = run.stderr_str();
    assert_eq!(stderr.lines().count(), 1, "one line\n{}", run.context());
    assert!(stderr.starts_with("http: error: "), "{}", run.context());
    for phrase in phrases {
        assert!(
            stderr.contains(phrase),
            "stderr lacks {phrase:?}\n{}",
            run.context()
        );
    }
    assert!(run.stdout.is_empty(), "{}", run.context());
}
