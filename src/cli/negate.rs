//! HTTPie's `--no-OPTION` (pure): cancels an earlier `--OPTION` (typically one that came from
//! the config file's `default_options`), value included. An unknown `--no-x` is left for clap
//! to reject.

use std::ffi::OsString;

/// Apply every `--no-OPTION` to the options before it; `cmd` knows which options take values.
pub fn apply(args: Vec<OsString>, cmd: &clap::Command) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::with_capacity(args.len());
    let mut after_dashdash = false;
    for arg in args {
        let text = arg.to_string_lossy().into_owned();
        if after_dashdash || text == "--" {
            after_dashdash = true;
            out.push(arg);
            continue;
        }
        let Some(name) = text.strip_prefix("--no-") else {
            out.push(arg);
            continue;
        };
        let Some(target) = cmd.get_arguments().find(|a| a.get_long() == Some(name)) else {
            out.push(arg);
            continue;
        };
        let takes_value = target.get_action().takes_values();
        remove_option(&mut out, name, target.get_short(), takes_value);
        // A real `--no-X` flag (like `--no-follow`) also says something on its own: keep it.
        if cmd
            .get_arguments()
            .any(|a| a.get_long() == Some(text.trim_start_matches("--")))
        {
            out.push(arg);
        }
    }
    out
}

/// Drop `--name`, `--name=value`, `--name value`, `-c`, `-cvalue` and `-c value` from `args`.
fn remove_option(args: &mut Vec<OsString>, name: &str, short: Option<char>, takes_value: bool) {
    let long = format!("--{name}");
    let with_eq = format!("--{name}=");
    let short = short.map(|c| format!("-{c}"));
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        let is_short = short.as_deref().is_some_and(|s| a == s);
        let short_attached = takes_value
            && short
                .as_deref()
                .is_some_and(|s| a.starts_with(s) && a.len() > s.len());
        if a == long.as_str() || is_short {
            let n = if takes_value && i + 1 < args.len() {
                2
            } else {
                1
            };
            args.drain(i..i + n);
        } else if a.starts_with(&with_eq) || short_attached {
            args.remove(i);
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Vec<String> {
        let cmd = crate::cli::Cli::command_for("http");
        apply(args.iter().map(OsString::from).collect(), &cmd)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn cancels_earlier_options() {
        assert_eq!(
            run(&["http", "--follow", "--no-follow", ":"]),
            ["http", "--no-follow", ":"]
        );
        assert_eq!(
            run(&["http", "--style", "mono", "--no-style", ":"]),
            ["http", ":"]
        );
        assert_eq!(
            run(&["http", "--timeout=3", "--no-timeout", ":"]),
            ["http", ":"]
        );
        assert_eq!(
            run(&["http", "--no-follow", "--follow", ":"]),
            ["http", "--no-follow", "--follow", ":"]
        );
        assert_eq!(run(&["http", "--no-such", ":"]), ["http", "--no-such", ":"]);
        assert_eq!(
            run(&["http", "-F", "--no-follow", ":"]),
            ["http", "--no-follow", ":"]
        );
        assert_eq!(
            run(&["http", "-ph", "-p", "b", "--no-print", ":"]),
            ["http", ":"]
        );
        assert_eq!(
            run(&["http", ":", "--", "--no-follow"]),
            ["http", ":", "--", "--no-follow"]
        );
    }
}
