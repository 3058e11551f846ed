//! The only place that reads environment variables and terminal state. Everything else
//! receives an [`Env`], captured once at start-up, so unit tests can hand in a made-up one
//! (`Env::default()` is a bare environment, whatever the developer's shell holds).

use std::io::IsTerminal;
use std::path::PathBuf;

/// What the process was started with, captured once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `http` or `https`: names the program in messages and picks the default scheme.
    pub program: String,
    /// stdin is a pipe or a regular file, so it can carry a request body.
    pub stdin_has_data: bool,
    pub stdout_is_tty: bool,
    pub stderr_is_tty: bool,
    /// `NO_COLOR` set to a non-empty value (no-color.org).
    pub no_color: bool,
    /// `FORCE_COLOR` set to a non-empty value other than `0`.
    pub force_color: bool,
    pub home: Option<PathBuf>,
    /// `$HTTP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/http`, else `~/.config/http`.
    pub config_dir: Option<PathBuf>,
    /// The variables with a non-empty UTF-8 value (a plain list: a few dozen entries, read a
    /// few times; no hashing at start-up).
    pub vars: Vec<(String, String)>,
}

impl Env {
    /// Read the real process environment.
    pub fn capture(program: &str) -> Env {
        let vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let var = |name: &str| lookup(&vars, name);
        let home = var("HOME").map(PathBuf::from);
        let config_dir = var("HTTP_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CONFIG_HOME").map(|x| PathBuf::from(x).join("http")))
            .or_else(|| home.as_ref().map(|h| h.join(".config").join("http")));
        Env {
            program: program.to_string(),
            stdin_has_data: stdin_has_data(),
            stdout_is_tty: std::io::stdout().is_terminal(),
            stderr_is_tty: std::io::stderr().is_terminal(),
            no_color: var("NO_COLOR").is_some(),
            force_color: var("FORCE_COLOR").is_some_and(|v| v != "0"),
            home,
            config_dir,
            vars,
        }
    }

    /// An environment variable with a non-empty value, for the few modules that honour one
    /// (proxies, CA bundles, netrc, config credentials).
    pub fn var(&self, name: &str) -> Option<String> {
        lookup(&self.vars, name)
    }
}

fn lookup(vars: &[(String, String)], name: &str) -> Option<String> {
    vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// A body can come from stdin only when it is a pipe or a regular file: a terminal waits for a
/// person, and /dev/null or a closed descriptor (cron, CI) carries nothing. This avoids the
/// classic "hangs or POSTs under cron" trap.
#[cfg(unix)]
fn stdin_has_data() -> bool {
    use std::os::unix::fs::FileTypeExt;
    use std::os::unix::io::AsFd;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    let file = std::fs::File::from(fd);
    match file.metadata() {
        Ok(m) => {
            let t = m.file_type();
            t.is_fifo() || t.is_file() || t.is_socket()
        }
        Err(_) => false,
    }
}

#[cfg(not(unix))]
fn stdin_has_data() -> bool {
    !std::io::stdin().is_terminal()
}
