//! Shell completions and the man page, generated from the clap definitions. The committed
//! copies under `completions/` and `man/` are checked against these by a test.

use clap_complete::Shell;

/// (file name, contents) for every generated file, relative to the project root.
pub fn files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for program in ["http", "https"] {
        for (shell, name) in [
            (Shell::Bash, format!("{program}.bash")),
            (Shell::Zsh, format!("_{program}")),
            (Shell::Fish, format!("{program}.fish")),
            (Shell::Elvish, format!("{program}.elv")),
            (Shell::PowerShell, format!("_{program}.ps1")),
        ] {
            let mut cmd = super::Cli::command_for(program);
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, program, &mut buf);
            out.push((format!("completions/{name}"), buf));
        }
    }
    out.push(("man/http.1".to_string(), man_page()));
    out
}

/// clap_mangen's standard sections, then ours in place of its EXTRA section (the `--help`
/// epilogue, which `man` would re-fill into one paragraph): the request items and examples
/// preformatted, EXIT STATUS, ENVIRONMENT and FILES.
fn man_page() -> Vec<u8> {
    // `--help` hides the positional behind its own Arguments section; the man page shows it.
    let cmd = super::Cli::command_for("http")
        .mut_arg("args", |a| a.hide_short_help(false).hide_long_help(false));
    let man = clap_mangen::Man::new(cmd);
    let mut w = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = man.render_title(&mut w);
    let _ = man.render_name_section(&mut w);
    let _ = man.render_synopsis_section(&mut w);
    let _ = man.render_description_section(&mut w);
    let _ = man.render_options_section(&mut w);
    let mut s = String::new();
    s.push_str(".SH \"REQUEST ITEMS\"\n");
    s.push_str("The leftmost separator wins; a backslash makes a separator character literal.\n");
    s.push_str(".PP\n.RS 2\n.nf\n");
    for (item, meaning) in super::ITEMS {
        s.push_str(&roff_line(&format!("{item:<14}{meaning}")));
    }
    s.push_str(".fi\n.RE\n.PP\nNested JSON paths:\n.RS 2\n.nf\n");
    for path in super::NESTED {
        s.push_str(&roff_line(path));
    }
    s.push_str(".fi\n.RE\n");
    s.push_str(".SH EXAMPLES\n.RS 2\n.nf\n");
    let width = super::EXAMPLES
        .iter()
        .filter(|(_, note)| !note.is_empty())
        .map(|(command, _)| command.len())
        .max()
        .unwrap_or(0);
    for (command, note) in super::EXAMPLES {
        let line = if note.is_empty() {
            command.to_string()
        } else {
            format!("{command:<width$}  # {note}")
        };
        s.push_str(&roff_line(&line));
    }
    s.push_str(".fi\n.RE\n");
    s.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in super::EXIT_STATUS {
        s.push_str(&format!(".TP\n.B {code}\n{}", roff_line(meaning)));
    }
    s.push_str(".SH ENVIRONMENT\n");
    for (name, meaning) in ENVIRONMENT {
        s.push_str(&format!(".TP\n.B {}\n{}", roff(name), roff_line(meaning)));
    }
    s.push_str(".SH FILES\n");
    for (name, meaning) in FILES {
        s.push_str(&format!(".TP\n.I {}\n{}", roff(name), roff_line(meaning)));
    }
    w.extend_from_slice(s.as_bytes());
    let _ = man.render_version_section(&mut w);
    w
}

/// The variables `env.rs` and the modules it serves read.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "HTTP_CONFIG_DIR",
        "The config directory (see FILES); else $XDG_CONFIG_HOME/http, else ~/.config/http.",
    ),
    ("XDG_CONFIG_HOME", "See HTTP_CONFIG_DIR."),
    (
        "HOME",
        "For ~ in paths and the default config directory and .netrc.",
    ),
    (
        "NO_COLOR",
        "No colours by default (--pretty still applies).",
    ),
    (
        "FORCE_COLOR",
        "Colours and formatting even when stdout is not a terminal (unless 0).",
    ),
    (
        "HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY",
        "Proxies for http:// and https:// URLs, for both, and the hosts that bypass them \
         (either case; a --proxy flag wins and ignores NO_PROXY).",
    ),
    (
        "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE",
        "A CA bundle to verify certificates with, when --verify gives none (the first set wins).",
    ),
    (
        "SSL_CERT_DIR",
        "A directory of system CA certificates; without one (or a system CA file) the bundled \
         Mozilla roots are used.",
    ),
    (
        "NETRC",
        "The .netrc file to read credentials from (default ~/.netrc).",
    ),
];

/// The files read and written.
const FILES: &[(&str, &str)] = &[
    (
        "<config dir>/config.json",
        "default_options (prepended to every command line) and per-URL-prefix settings; \
         --config-show prints what applies to a URL.",
    ),
    (
        "<config dir>/sessions/<host>_<port>/<name>.json",
        "The session named by --session=NAME or --session-read-only=NAME (a value with a / \
         is a path instead).",
    ),
    (
        "~/.netrc",
        "Credentials used when none are given (moved by $NETRC, skipped with --ignore-netrc).",
    ),
];

/// Text escaped for roff: backslashes, hyphens as minus signs, straight quotes.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('\'', "\\(aq")
}

/// One line of roff text; `\&` keeps a leading `.` or `'` from being read as a request.
fn roff_line(text: &str) -> String {
    let escaped = roff(text);
    if escaped.starts_with('.') {
        format!("\\&{escaped}\n")
    } else {
        format!("{escaped}\n")
    }
}
