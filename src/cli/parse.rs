//! argv -> [`Cli`]: the config file's `default_options` go first so the command line overrides
//! them, `--no-OPTION` cancels what came before it, and clap's errors become one line.

use std::ffi::OsString;

use anyhow::Result;
use clap::FromArgMatches;

use super::Cli;
use crate::error::{usage, Outcome};

/// What parsing argv came to.
pub enum Parsed {
    /// A request to make.
    Run(Box<Cli>),
    /// Help or the version was printed; nothing more to do.
    Shown(Outcome),
}

/// Insert `defaults` after the program name, then apply `--no-OPTION`.
fn with_defaults(
    mut args: Vec<OsString>,
    defaults: &[String],
    cmd: &clap::Command,
) -> Vec<OsString> {
    if !defaults.is_empty() {
        let rest = args.split_off(args.len().min(1));
        args.extend(defaults.iter().map(OsString::from));
        args.extend(rest);
    }
    super::negate::apply(args, cmd)
}

/// Parse argv after the config file's `defaults`; help and version print here; usage errors
/// are one line (exit 1). The clap command is built once (it is most of start-up's work).
pub fn parse(args: Vec<OsString>, defaults: &[String], program: &str) -> Result<Parsed> {
    use clap::error::ErrorKind as K;
    let cmd = Cli::command_for(program);
    let args = with_defaults(args, defaults, &cmd);
    let matches = match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let shown = match e.kind() {
                K::DisplayHelp | K::DisplayVersion => Outcome::Done,
                K::DisplayHelpOnMissingArgumentOrSubcommand => Outcome::HelpForMissingUrl,
                _ => return Err(usage(clap_message(&e, program))),
            };
            let _ = e.print();
            return Ok(Parsed::Shown(shown));
        }
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|e| usage(clap_message(&e, program)))?;
    // `--request NAME` picks requests of a `--file`; without one it is curl's `-X` habit.
    if cli.file.is_none() && !cli.request.is_empty() {
        return Err(usage(format!(
            "unknown option '--request' without --file: {} (--request NAME selects \
             requests of a --file)",
            curl_hint("--request", program).unwrap_or_default()
        )));
    }
    let file_only = [
        ("--fail-fast", cli.fail_fast),
        ("--env", cli.env_name.is_some()),
        ("--env-file", cli.env_file.is_some()),
    ];
    if let Some((flag, _)) = file_only
        .iter()
        .find(|(_, given)| *given && cli.file.is_none())
    {
        return Err(usage(format!(
            "{flag} applies to request files: use it with --file FILE"
        )));
    }
    if cli.env_file.is_some() && cli.env_name.is_none() {
        return Err(usage(
            "--env-file needs --env NAME (the environment to use)",
        ));
    }
    Ok(Parsed::Run(Box::new(cli)))
}

/// clap's message without its usage block, on one line: the problem (with the lines clap
/// puts under it, such as the missing arguments), then any tip.
fn clap_message(e: &clap::Error, program: &str) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::MissingRequiredArgument {
        return format!(
            "no URL given: usage is {program} [OPTIONS] [METHOD] URL [ITEM]... (see --help)"
        );
    }
    if e.kind() == ErrorKind::UnknownArgument {
        if let Some(ContextValue::String(flag)) = e.get(ContextKind::InvalidArg) {
            if let Some(hint) = curl_hint(flag, program) {
                return format!("unknown option '{flag}': {hint}");
            }
        }
    }
    let rendered = e.render().to_string();
    let mut problem = Vec::new();
    let mut tips = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() {
            continue;
        }
        if line.starts_with("tip:") {
            tips.push(line);
        } else {
            problem.push(line.trim_start_matches("error: "));
        }
    }
    let mut msg = problem.join(" ");
    if msg.is_empty() {
        msg = "invalid arguments".into();
    }
    if tips.is_empty() {
        format!("{msg} (see --help)")
    } else {
        format!("{msg}; {}", tips.join("; "))
    }
}

/// The HTTPie way for a curl habit, where clap's own tip would mislead (`--header` is not
/// `--headers`, `-X` is not a value to pass after `--`). `-d` is `--download` here, not data.
fn curl_hint(flag: &str, program: &str) -> Option<String> {
    Some(match flag {
        "-X" | "--request" | "--method" => format!("methods are positional: {program} POST URL"),
        "-H" | "--header" => format!("headers are items: {program} URL 'X-Name:value'"),
        "--data" | "--data-raw" | "--data-binary" | "--data-ascii" | "--data-urlencode" => {
            format!("data is items: {program} URL a=b (JSON; --form for a form), or --raw 'TEXT'")
        }
        "-k" | "--insecure" => "curl's -k is --verify=no here".to_string(),
        "-L" | "--location" => "curl's -L is --follow (-F) here".to_string(),
        "-u" | "--user" => "curl's -u is --auth (-a) here: -a USER:PASS".to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage_line(args: &[&str]) -> String {
        let argv = std::iter::once("http").chain(args.iter().copied());
        match parse(argv.map(OsString::from).collect(), &[], "http") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{args:?} parsed"),
        }
    }

    #[test]
    fn curl_habits_get_the_httpie_way() {
        let cases = [
            (
                &["-X", "POST", "example.org"][..],
                "methods are positional: http POST URL",
            ),
            (&["-XPOST", "example.org"][..], "methods are positional"),
            (
                &["--request", "PUT", "example.org"][..],
                "methods are positional",
            ),
            (
                &["--method", "PUT", "example.org"][..],
                "methods are positional",
            ),
            (&["-H", "X: y", "example.org"][..], "headers are items"),
            (
                &["--header", "X: y", "example.org"][..],
                "headers are items",
            ),
            (&["--header=X:y", "example.org"][..], "headers are items"),
            (&["--data", "a=b", "example.org"][..], "data is items"),
            (&["--data-raw=x", "example.org"][..], "data is items"),
            (&["-k", "https://example.org"][..], "--verify=no"),
            (&["--insecure", "https://example.org"][..], "--verify=no"),
            (&["-L", "example.org"][..], "--follow"),
        ];
        for (args, want) in cases {
            let msg = usage_line(args);
            assert!(msg.contains(want), "{args:?}: {msg}");
            assert!(
                !msg.contains("--headers") && !msg.contains("'-- "),
                "{args:?}: {msg}"
            );
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn other_unknown_flags_keep_clap_wording() {
        let msg = usage_line(&["--bogus", "example.org"]);
        assert!(msg.contains("'--bogus'"), "{msg}");
        assert!(!msg.contains("positional"), "{msg}");
    }
}
