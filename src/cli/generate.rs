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
    let mut man = Vec::new();
    // Rendering into a Vec cannot fail.
    // `--help` hides the positional behind its own Arguments section; the man page shows it.
    let cmd = super::Cli::command_for("http")
        .mut_arg("args", |a| a.hide_short_help(false).hide_long_help(false));
    let _ = clap_mangen::Man::new(cmd).render(&mut man);
    out.push(("man/http.1".to_string(), man));
    out
}
