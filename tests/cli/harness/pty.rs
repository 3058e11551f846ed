//! Running a command under a real pseudo-terminal.
//!
//! The child becomes a session leader with the pty slave as its controlling
//! terminal (`setsid` + `TIOCSCTTY`), so `isatty`, `/dev/tty` password
//! prompts, window-size queries and `^C` from the terminal all behave as in
//! an interactive shell. `TERM=xterm-256color` is added to the hermetic env.
//!
//! Which of stdin/stdout/stderr sit on the terminal is chosen with [`Tty`];
//! the others are pipes (or `/dev/null` for stdin without input), so tests
//! can check "stdout is a terminal" decisions separately from stderr ones.
//!
//! The pty uses the default cooked mode: output `\n` arrives as `\r\n`
//! (see [`PtyRun::text`]) and input is echoed unless the child turns echo
//! off. Input given with `Cmd::stdin` is typed into the terminal right after
//! spawn; use [`PtySession`] to answer a prompt only once it has appeared,
//! and end input with `\x04` (^D) at the start of a line to signal EOF.
//!
//! The pty is opened with `posix_openpt(O_CLOEXEC)` rather than `openpty`:
//! tests spawn children concurrently, and a pty fd without close-on-exec
//! would leak into another test's child, which would then keep the slave
//! open and delay EOF on this test's master.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::libc;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::signal::Signal;
use nix::sys::termios::{tcgetattr, LocalFlags};

use super::capture::Capture;
use super::cmd::{feed, new_session, Cmd, Exit, Spawned};

/// Which standard streams are connected to the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tty {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl Tty {
    /// Everything on the terminal: an interactive shell.
    pub const ALL: Tty = Tty {
        stdin: true,
        stdout: true,
        stderr: true,
    };
    /// stdin and stdout on the terminal, stderr to a pipe.
    pub const SPLIT: Tty = Tty {
        stdin: true,
        stdout: true,
        stderr: false,
    };
    /// Only stdout on the terminal (e.g. `echo x | http ...` in a shell,
    /// with stderr redirected).
    pub const STDOUT: Tty = Tty {
        stdin: false,
        stdout: true,
        stderr: false,
    };
}

/// Result of a pty run.
pub struct PtyRun {
    pub code: i32,
    /// `Some(n)` if killed by signal `n` (then `code` is 128+n).
    pub signal: Option<i32>,
    /// Everything the child wrote to the terminal, raw (`\r\n` endings).
    pub output: Vec<u8>,
    /// stdout when it was a pipe (empty when it was on the terminal).
    pub stdout: Vec<u8>,
    /// stderr when it was a pipe (empty when it was on the terminal).
    pub stderr: Vec<u8>,
    pub(crate) cmd: Cmd,
}

/// Replaces every `\r\n` with `\n` (the pty's ONLCR translation undone).
pub fn normalize_newlines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        if b == b'\r' && iter.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

impl PtyRun {
    /// Terminal output as text with `\r\n` normalised to `\n`.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&normalize_newlines(&self.output)).into_owned()
    }

    /// stdout pipe as text (lossy).
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr pipe as text (lossy).
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The `HOME` the command ran with.
    pub fn home(&self) -> &std::path::Path {
        self.cmd.home()
    }

    /// Command line, status and all streams, for assertion messages.
    pub fn context(&self) -> String {
        format!(
            "command (pty): {}\nexit code: {} (signal {:?})\n--- terminal ---\n{}\n--- stdout pipe ---\n{}\n--- stderr pipe ---\n{}",
            self.cmd.describe(),
            self.code,
            self.signal,
            self.text(),
            self.stdout_str(),
            self.stderr_str()
        )
    }

    /// Asserts the exit code, showing everything if it differs.
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
}

impl std::fmt::Debug for PtyRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.context())
    }
}

impl Cmd {
    /// Runs with stdin, stdout and stderr all on one terminal.
    pub fn run_pty(self) -> PtyRun {
        self.run_pty_with(Tty::ALL)
    }

    /// Runs with stdin and stdout on the terminal and stderr piped
    /// (`PtyRun::output` is the terminal, `PtyRun::stderr` the pipe).
    pub fn run_pty_split(self) -> PtyRun {
        self.run_pty_with(Tty::SPLIT)
    }

    /// Runs with the chosen streams on the terminal.
    pub fn run_pty_with(self, tty: Tty) -> PtyRun {
        self.spawn_pty_with(tty).wait()
    }

    /// Starts under a terminal (all streams) for interactive tests.
    pub fn spawn_pty(self) -> PtySession {
        self.spawn_pty_with(Tty::ALL)
    }

    /// Starts with the chosen streams on a terminal.
    pub fn spawn_pty_with(self, tty: Tty) -> PtySession {
        let (master, slave) =
            open_pty(self.winsize).unwrap_or_else(|e| panic!("harness: cannot open a pty: {e}"));
        let mut cmd = self.command(&[("TERM", "xterm-256color")]);
        let piped_stdin = !tty.stdin && self.stdin.is_some();
        cmd.stdin(stream(
            tty.stdin,
            &slave,
            if piped_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            },
        ))
        .stdout(stream(tty.stdout, &slave, Stdio::piped()))
        .stderr(stream(tty.stderr, &slave, Stdio::piped()));
        new_session(&mut cmd, Some(slave.as_raw_fd()));
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("harness: cannot spawn `{}` on a pty: {e}", self.describe())
        });
        // Only the child may hold the slave now, so the master sees EOF
        // (EIO) exactly when the child and its descendants are gone.
        drop(cmd);
        drop(slave);
        self.start_io(&mut child, &master, tty);
        let output = Capture::drain(clone(&master));
        let stdout = child
            .stdout
            .take()
            .map_or_else(Capture::empty, Capture::drain);
        let stderr = child
            .stderr
            .take()
            .map_or_else(Capture::empty, Capture::drain);
        PtySession {
            child: Spawned::new(child),
            master,
            output,
            stdout,
            stderr,
            cursor: 0,
            cmd: self,
        }
    }

    /// Sends the configured input: typed into the terminal or piped.
    fn start_io(&self, child: &mut Child, master: &File, tty: Tty) {
        let Some(bytes) = self.stdin.clone() else {
            return;
        };
        match child.stdin.take() {
            Some(pipe) => feed(pipe, bytes),
            None if tty.stdin => feed(clone(master), bytes),
            None => {}
        }
    }
}

/// The slave (as a new fd) when `on_tty`, else `other`.
fn stream(on_tty: bool, slave: &OwnedFd, other: Stdio) -> Stdio {
    if !on_tty {
        return other;
    }
    // try_clone uses F_DUPFD_CLOEXEC: no leak into concurrent spawns.
    Stdio::from(slave.try_clone().expect("harness: dup pty slave"))
}

fn clone(master: &File) -> File {
    master.try_clone().expect("harness: dup pty master")
}

/// Opens a pty pair, both ends close-on-exec, with the given window size.
fn open_pty((cols, rows): (u16, u16)) -> io::Result<(File, OwnedFd)> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname_r(&master)?;
    // std always adds O_CLOEXEC; O_NOCTTY keeps the test process from
    // acquiring the terminal.
    let slave = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&name)?;
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok((File::from(OwnedFd::from(master)), OwnedFd::from(slave)))
}

/// A child running on a pseudo-terminal. Dropping it kills the child's
/// process group and reaps it.
pub struct PtySession {
    child: Spawned,
    master: File,
    output: Capture,
    stdout: Capture,
    stderr: Capture,
    /// Offset of terminal output consumed by `wait_output`.
    cursor: usize,
    cmd: Cmd,
}

impl PtySession {
    /// Process id (also the process group and session id).
    pub fn pid(&self) -> i32 {
        self.child.pid()
    }

    /// Sends `sig` to the child. (Writing `\x03` instead makes the terminal
    /// send SIGINT to the foreground process group, like a real ^C.)
    pub fn signal(&self, sig: Signal) {
        self.child.signal(sig);
    }

    /// Blocks until the child's terminal has echo turned off (a password
    /// reader configures the terminal only after printing its prompt;
    /// typing before that would be echoed by the terminal itself). Polls
    /// the terminal state of the child's stdin with a safety deadline.
    #[track_caller]
    pub fn wait_echo_off(&self) {
        let tty = std::fs::read_link(format!("/proc/{}/fd/0", self.pid()))
            .expect("child's stdin terminal");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&tty)
            .expect("open the child's terminal");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tcgetattr(&file)
            .expect("tcgetattr")
            .local_flags
            .contains(LocalFlags::ECHO)
        {
            assert!(
                Instant::now() < deadline,
                "terminal echo never turned off for the password prompt"
            );
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Types `bytes` into the terminal (use `\r` or `\n` for Enter).
    pub fn write(&mut self, bytes: &[u8]) {
        self.master
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("harness: writing to pty failed: {e}"));
    }

    /// Blocks until `pattern` appears in the terminal output after what
    /// earlier calls consumed; returns the raw bytes through the match.
    #[track_caller]
    pub fn wait_output(&mut self, pattern: &str) -> Vec<u8> {
        let from = self.cursor;
        let end = self
            .output
            .wait_for(pattern.as_bytes(), from, self.cmd.timeout)
            .unwrap_or_else(|| {
                panic!(
                "harness: {pattern:?} never appeared on the terminal of `{}`\n--- terminal ---\n{}",
                self.cmd.describe(),
                String::from_utf8_lossy(&normalize_newlines(&self.output.snapshot())),
            )
            });
        self.cursor = end;
        self.output.snapshot()[from..end].to_vec()
    }

    /// Raw terminal output so far.
    pub fn output_so_far(&self) -> Vec<u8> {
        self.output.snapshot()
    }

    /// Waits for exit (safety timeout: kill and panic) and collects output.
    pub fn wait(mut self) -> PtyRun {
        let captures = [&self.output, &self.stdout, &self.stderr];
        let exit = Exit::wait(self.child.take(), self.cmd.timeout, &captures);
        let run = PtyRun {
            code: exit.code,
            signal: exit.signal,
            output: self.output.snapshot(),
            stdout: self.stdout.snapshot(),
            stderr: self.stderr.snapshot(),
            cmd: self.cmd.clone(),
        };
        exit.check(&self.cmd, "terminal", || run.context());
        run
    }
}
