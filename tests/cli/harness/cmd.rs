//! Running a program (normally the `http`/`https` binaries) hermetically.
//!
//! Every `Cmd` gets a clean environment: `env_clear()`, then only `PATH`
//! (from the test process), `HOME` (a fresh temp dir owned by the `Cmd`),
//! `XDG_CONFIG_HOME=$HOME/.config` (not created) and `LANG=C.UTF-8`. So no
//! proxy variables, `NO_COLOR`, `FORCE_COLOR`, `NETRC`, CA bundle variables
//! or user config can leak in. The working directory defaults to `HOME`, so a
//! binary that writes files (downloads, sessions) never touches the repo.
//!
//! Children run in their own session (`setsid`) with no controlling
//! terminal, even when `cargo test` is started from a terminal: opening
//! `/dev/tty` fails instead of blocking on a developer's keyboard, and a
//! timeout can kill the whole process group. They inherit no fds besides
//! stdio (see `new_session`).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, Write};
use std::os::fd::RawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use nix::libc;
use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;
use tempfile::TempDir;

use super::capture::Capture;

/// Safety limit for a child to exit. Generous: the machine is shared and
/// tests run in parallel. Reaching it is a test failure, never a sync point.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// After the child exits, how long to wait for its output streams to reach
/// EOF (they stay open only if a grandchild inherited them).
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// A command to run, built fluently. Cloning keeps the same `HOME`, which
/// lets a test run several commands against shared state (sessions, config).
#[derive(Clone)]
pub struct Cmd {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) stdin: Option<Vec<u8>>,
    /// Overrides applied after the hermetic base; `None` removes the variable.
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) home: Arc<TempDir>,
    pub(crate) timeout: Duration,
    /// Pseudo-terminal window size (columns, rows); used by pty runs only.
    pub(crate) winsize: (u16, u16),
}

/// The `http` binary with `args`.
pub fn http(args: &[&str]) -> Cmd {
    Cmd::program(env!("CARGO_BIN_EXE_http"), args)
}

/// The `https` binary with `args`.
pub fn https(args: &[&str]) -> Cmd {
    Cmd::program(env!("CARGO_BIN_EXE_https"), args)
}

impl Cmd {
    /// Any program (absolute path, or a name looked up in `PATH`) with
    /// `args`, under the same hermetic rules. Used by the harness self-tests.
    pub fn program(path: impl AsRef<Path>, args: &[&str]) -> Cmd {
        let home = tempfile::Builder::new()
            .prefix("http-cli-home-")
            .tempdir()
            .expect("harness: cannot create temp HOME");
        Cmd {
            program: path.as_ref().to_path_buf(),
            args: args.iter().map(OsString::from).collect(),
            stdin: None,
            env: Vec::new(),
            cwd: None,
            home: Arc::new(home),
            timeout: TIMEOUT,
            winsize: (80, 24),
        }
    }

    /// Appends one argument (may be non-UTF-8).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Appends several arguments.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    /// Feeds `bytes` on stdin (a pipe, closed after the bytes). Without it
    /// stdin is `/dev/null`. In pty runs with stdin on the terminal, the
    /// bytes are typed into the terminal instead (see `pty`).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Sets an environment variable on top of the hermetic base.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    /// Removes an environment variable (including a base one, e.g. `HOME`).
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.into(), None));
        self
    }

    /// Runs the child in `dir` instead of `HOME`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Replaces the safety timeout (default [`TIMEOUT`]).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Window size of the pseudo-terminal for pty runs (default 80x24).
    pub fn winsize(mut self, cols: u16, rows: u16) -> Self {
        self.winsize = (cols, rows);
        self
    }

    /// The per-command temporary `HOME` (deleted when the last `Cmd`/`Run`
    /// sharing it is dropped).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Writes `contents` to `HOME/relative`, creating parent directories;
    /// for config files, netrc, sessions and upload sources.
    pub fn home_file(self, relative: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.home().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("harness: create dirs in HOME");
        }
        std::fs::write(&path, contents).expect("harness: write file in HOME");
        self
    }

    /// Shell-like rendering of the command line, for failure messages.
    pub fn describe(&self) -> String {
        let name = self.program.file_name().unwrap_or(self.program.as_os_str());
        let mut line = name.to_string_lossy().into_owned();
        for arg in &self.args {
            line.push(' ');
            line.push_str(&quote(&arg.to_string_lossy()));
        }
        line
    }

    /// Builds the std `Command` with the hermetic environment plus `extra`
    /// base variables (e.g. `TERM` for pty runs), then the test's overrides.
    /// Stdio is left for the caller to set.
    pub(crate) fn command(&self, extra: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("LANG", "C.UTF-8");
        for (key, value) in extra {
            cmd.env(key, value);
        }
        for (key, value) in &self.env {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd.current_dir(self.cwd.as_deref().unwrap_or(self.home()));
        cmd
    }

    /// Runs to completion with stdout and stderr captured. Panics (with the
    /// output so far) if the child outlives the timeout.
    pub fn run(self) -> Run {
        self.spawn().wait()
    }

    /// Starts the child with piped stdout/stderr and returns a handle for
    /// tests that interact with it while it runs (signals, partial output).
    pub fn spawn(self) -> Running {
        let mut cmd = self.command(&[]);
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        new_session(&mut cmd, None);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("harness: cannot spawn `{}`: {e}", self.describe()));
        if let (Some(pipe), Some(bytes)) = (child.stdin.take(), self.stdin.clone()) {
            feed(pipe, bytes);
        }
        let stdout = Capture::drain(child.stdout.take().expect("piped stdout"));
        let stderr = Capture::drain(child.stderr.take().expect("piped stderr"));
        Running {
            child: Spawned::new(child),
            stdout,
            stderr,
            cursors: [0, 0],
            cmd: self,
        }
    }
}

/// Makes the child a session leader (with umask 022): without a controlling terminal, or
/// with `ctty` (an open terminal fd) as its controlling terminal. Also marks
/// every fd above stdio close-on-exec, so fds the test process inherited
/// without that flag (a jobserver, a CI runner's pipes) stay out of the
/// child; std's own fds are close-on-exec already.
pub(crate) fn new_session(cmd: &mut Command, ctty: Option<RawFd>) {
    // SAFETY: only async-signal-safe syscalls, no allocation, no Rust
    // state; `ctty` stays open in the child until exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            if let Some(fd) = ctty {
                if libc::ioctl(fd, libc::TIOCSCTTY, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Signals the test runner ignores (a runner started in the background has SIGINT
            // and SIGQUIT ignored) would be inherited across exec; children start clean.
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            // The usual umask, whatever the runner's: a private file mode (0600) must come
            // from the code under test, not from a strict umask such as 077.
            libc::umask(0o022);
            // Best effort: needs Linux 5.11; older kernels just skip it.
            let _ = libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            Ok(())
        });
    }
}

/// Writes `bytes` to the child's stdin from a thread (so a child that reads
/// slowly, or not at all, cannot deadlock the test), then closes it.
pub(crate) fn feed(mut sink: impl Write + Send + 'static, bytes: Vec<u8>) {
    thread::spawn(move || {
        // A child that exits without reading gives EPIPE: not our failure.
        let _ = sink.write_all(&bytes);
    });
}

/// Quotes an argument for display if it contains shell-special characters.
fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Waits for `child` for at most `limit`. On timeout kills its process
/// group (the child is a session leader, so that includes grandchildren),
/// reaps it and returns `Err(status)`.
pub(crate) fn wait_child(child: Child, limit: Duration) -> Result<ExitStatus, ExitStatus> {
    let pid = Pid::from_raw(child.id() as i32);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut child = child;
        let _ = tx.send(child.wait());
    });
    let status = |r: Result<io::Result<ExitStatus>, _>| match r {
        Ok(Ok(status)) => status,
        other => panic!("harness: waiting for child failed: {other:?}"),
    };
    match rx.recv_timeout(limit) {
        Ok(r) => Ok(status(Ok(r))),
        Err(_) => {
            // Not reaped yet (the waiter is still blocked), so the pid and
            // pgid cannot have been reused.
            let _ = signal::killpg(pid, Signal::SIGKILL);
            let _ = signal::kill(pid, Signal::SIGKILL);
            Err(status(rx.recv()))
        }
    }
}

/// Exit code, with death by signal N reported shell-style as 128+N.
pub(crate) fn exit_code(status: ExitStatus) -> (i32, Option<i32>) {
    match (status.code(), status.signal()) {
        (Some(code), _) => (code, None),
        (None, Some(sig)) => (128 + sig, Some(sig)),
        (None, None) => (-1, None),
    }
}

/// How a child ended, once its output was drained.
pub(crate) struct Exit {
    pub(crate) code: i32,
    pub(crate) signal: Option<i32>,
    timed_out: bool,
    drained: bool,
}

impl Exit {
    /// Waits for `child` (see [`wait_child`]), then for every capture to
    /// reach EOF (at most [`DRAIN_LIMIT`] each).
    pub(crate) fn wait(child: Child, limit: Duration, captures: &[&Capture]) -> Exit {
        let status = wait_child(child, limit);
        let drained = captures.iter().all(|c| c.wait_eof(DRAIN_LIMIT));
        let (code, signal) = exit_code(status.unwrap_or_else(|s| s));
        Exit {
            code,
            signal,
            timed_out: status.is_err(),
            drained,
        }
    }

    /// Panics if the child had to be killed (showing `context`); warns if
    /// its `what` (output, terminal) stayed open after it exited.
    pub(crate) fn check(&self, cmd: &Cmd, what: &str, context: impl FnOnce() -> String) {
        if self.timed_out {
            panic!(
                "harness: timed out after {:?}; killed\n{}",
                cmd.timeout,
                context()
            );
        }
        if !self.drained {
            eprintln!(
                "harness: {what} of `{}` still open after exit",
                cmd.describe()
            );
        }
    }
}

/// A spawned child (a session leader). Dropped before [`Spawned::take`]
/// (a run abandoned by a failing test), it kills the child's process group
/// and reaps it.
pub(crate) struct Spawned(Option<Child>);

impl Spawned {
    pub(crate) fn new(child: Child) -> Spawned {
        Spawned(Some(child))
    }

    /// Process id (also the process group id); 0 once taken.
    pub(crate) fn pid(&self) -> i32 {
        self.0.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Sends `sig` to the child (not its group); panics on failure.
    pub(crate) fn signal(&self, sig: Signal) {
        signal::kill(Pid::from_raw(self.pid()), sig)
            .unwrap_or_else(|e| panic!("harness: kill({sig:?}) failed: {e}"));
    }

    /// The child, to wait for; the caller is now responsible for it.
    pub(crate) fn take(&mut self) -> Child {
        self.0.take().expect("child present until wait")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = signal::killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

/// Result of a finished run. Keeps the temp `HOME` alive so tests can
/// inspect files the binary wrote.
pub struct Run {
    pub code: i32,
    /// `Some(n)` if the child was killed by signal `n` (then `code` is 128+n).
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub(crate) cmd: Cmd,
}

impl Run {
    /// stdout as text (lossy UTF-8).
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy UTF-8).
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The lines of stderr that start with `prefix`, in order.
    pub fn stderr_lines_starting(&self, prefix: &str) -> Vec<String> {
        self.stderr_str()
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(str::to_string)
            .collect()
    }

    /// The `HOME` the command ran with.
    pub fn home(&self) -> &Path {
        self.cmd.home()
    }

    /// Command line, exit status and both streams, for assertion messages.
    pub fn context(&self) -> String {
        format!(
            "command: {}\nexit code: {} (signal {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.cmd.describe(),
            self.code,
            self.signal,
            self.stdout_str(),
            self.stderr_str()
        )
    }

    /// Asserts the exit code is `code`, showing everything if not.
    #[track_caller]
    pub fn assert_code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.context());
        self
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(self) -> Self {
        self.assert_code(0)
    }

    /// stdout parsed as JSON; panics with the full context if it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.context()))
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context())
    }
}

/// A child started with [`Cmd::spawn`]. Dropping it kills the child's
/// process group and reaps it.
pub struct Running {
    child: Spawned,
    stdout: Capture,
    stderr: Capture,
    /// Offsets of stdout and stderr already consumed by `wait_stdout` /
    /// `wait_stderr`.
    cursors: [usize; 2],
    cmd: Cmd,
}

impl Running {
    /// Process id (also the process group id).
    pub fn pid(&self) -> i32 {
        self.child.pid()
    }

    /// Sends `sig` to the child (not its group).
    pub fn signal(&self, sig: Signal) {
        self.child.signal(sig);
    }

    /// Blocks until `pattern` appears on stdout after what earlier calls
    /// consumed; returns the bytes up to and including it.
    #[track_caller]
    pub fn wait_stdout(&mut self, pattern: &str) -> Vec<u8> {
        self.wait_on(0, pattern)
    }

    /// Like [`Running::wait_stdout`] for stderr.
    #[track_caller]
    pub fn wait_stderr(&mut self, pattern: &str) -> Vec<u8> {
        self.wait_on(1, pattern)
    }

    /// [`Running::wait_stdout`] (`stream` 0) or [`Running::wait_stderr`] (1).
    #[track_caller]
    fn wait_on(&mut self, stream: usize, pattern: &str) -> Vec<u8> {
        let (capture, name) = match stream {
            0 => (&self.stdout, "stdout"),
            _ => (&self.stderr, "stderr"),
        };
        let from = self.cursors[stream];
        let end = self.expect(capture, pattern, from, name);
        self.cursors[stream] = end;
        capture.snapshot()[from..end].to_vec()
    }

    #[track_caller]
    fn expect(&self, capture: &Capture, pattern: &str, from: usize, name: &str) -> usize {
        capture.wait_for(pattern.as_bytes(), from, self.cmd.timeout).unwrap_or_else(|| {
            panic!(
                "harness: {pattern:?} never appeared on {name} of `{}`\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.cmd.describe(),
                String::from_utf8_lossy(&self.stdout.snapshot()),
                String::from_utf8_lossy(&self.stderr.snapshot()),
            )
        })
    }

    /// Waits for exit (safety timeout: kill and panic) and collects output.
    pub fn wait(mut self) -> Run {
        let exit = Exit::wait(
            self.child.take(),
            self.cmd.timeout,
            &[&self.stdout, &self.stderr],
        );
        let run = Run {
            code: exit.code,
            signal: exit.signal,
            stdout: self.stdout.complete(),
            stderr: self.stderr.complete(),
            cmd: self.cmd.clone(),
        };
        exit.check(&self.cmd, "output", || run.context());
        run
    }
}
