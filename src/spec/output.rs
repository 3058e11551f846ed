//! The output stage: what to print (HTTPie's defaults for `--print`), colours and formatting,
//! and downloads: where to, and from which offset a `--continue` resumes.

use anyhow::Result;

use super::{HeaderItem, OutputSpec};
use crate::cli::values::{PrintSet, Quiet};
use crate::cli::{Cli, Pretty};
use crate::env::Env;
use crate::error::{plain_io, usage};

/// What to print and where, and whether (and from where) a download resumes.
pub fn resolve(
    cli: &Cli,
    env: &Env,
    headers: &[HeaderItem],
    warnings: &mut Vec<String>,
) -> Result<OutputSpec> {
    if cli.continue_ && !cli.download {
        return Err(usage("--continue only works with --download"));
    }
    if cli.continue_ && cli.output.is_none() {
        return Err(usage("--continue requires --output FILE"));
    }
    let mut output = output_spec(cli, env);
    if output.resume && headers.iter().any(|h| h.name.eq_ignore_ascii_case("range")) {
        warnings.push("--continue is ignored because a Range header was given".into());
        output.resume = false;
    }
    output.resume_from = resume_offset(&output, cli.offline);
    output.write_out = write_out(cli)?;
    Ok(output)
}

/// `-w FORMAT`, `-w @FILE` or `-w @-` (stdin, which then carries no request body), parsed
/// now so that an unknown variable stops the run before anything is sent.
fn write_out(cli: &Cli) -> Result<Option<crate::cli::writeout::Template>> {
    let Some(arg) = &cli.write_out else {
        return Ok(None);
    };
    let text = match arg.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut s).map_err(|e| {
                usage(format!(
                    "cannot read the --write-out format from stdin: {}",
                    plain_io(&e)
                ))
            })?;
            s
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            usage(format!(
                "cannot read the --write-out format from '{path}': {}",
                plain_io(&e)
            ))
        })?,
        None => arg.clone(),
    };
    crate::cli::writeout::parse(&text).map(Some).map_err(usage)
}

/// With `-c`, the size of the partial `-o` file to resume from (None when there is nothing
/// to resume: no such file, or an empty one). `prepare` turns it into `Range: bytes=N-`.
fn resume_offset(o: &OutputSpec, offline: bool) -> Option<u64> {
    if !(o.download && o.resume) || offline {
        return None;
    }
    let len = std::fs::metadata(o.output_file.as_ref()?).ok()?.len();
    (len > 0).then_some(len)
}

/// Print selection, colours and formatting from the flags and the terminal.
fn output_spec(cli: &Cli, env: &Env) -> OutputSpec {
    let to_file = cli.output.is_some() && !cli.download;
    // With --download, heads go to stderr (the body to the file); --offline turns it off.
    let to_terminal = if cli.download && !cli.offline {
        env.stderr_is_tty
    } else {
        env.stdout_is_tty && !to_file
    };
    let print = print_set(cli, to_terminal);
    let default_pretty = if to_terminal || env.force_color {
        Pretty::All
    } else {
        Pretty::None
    };
    let pretty = cli.pretty.unwrap_or(default_pretty);
    let mut colors = matches!(pretty, Pretty::All | Pretty::Colors);
    // NO_COLOR turns off colours the user did not ask for by flag.
    if env.no_color && cli.pretty.is_none() {
        colors = false;
    }
    OutputSpec {
        print,
        history_print: cli.history_print.unwrap_or(print),
        all: cli.all || cli.verbose > 0,
        to_terminal,
        colors,
        format: matches!(pretty, Pretty::All | Pretty::Format),
        style: cli.style.clone(),
        sorted: cli.sorted && !cli.unsorted,
        format_options: cli.format_options.clone(),
        stream: cli.stream,
        output_file: cli.output.clone(),
        download: cli.download,
        resume: cli.continue_,
        resume_from: None,
        quiet: Quiet::from_count(cli.quiet),
        response_charset: cli.response_charset.clone(),
        response_mime: cli.response_mime.clone(),
        as_format: cli.as_,
        force_json: cli.json,
        write_out: None,
    }
}

/// `--print`, else `-h`/`-b`/`-m`, else what `-v`, `--offline`, `--download` or the
/// terminal imply (HTTPie's defaults).
fn print_set(cli: &Cli, to_terminal: bool) -> PrintSet {
    use PrintSet as P;
    let pick = |on: bool, p: PrintSet| if on { p } else { P::NONE };
    if let Some(p) = cli.print {
        p
    } else if cli.headers || cli.body || cli.meta {
        pick(cli.headers, P::RESPONSE_HEADERS)
            | pick(cli.body, P::RESPONSE_BODY)
            | pick(cli.meta, P::META)
    } else if cli.verbose > 0 {
        P::REQUEST_HEADERS
            | P::REQUEST_BODY
            | P::RESPONSE_HEADERS
            | P::RESPONSE_BODY
            | pick(cli.verbose > 1, P::META)
    } else if cli.offline {
        P::REQUEST_HEADERS | P::REQUEST_BODY
    } else if cli.download {
        P::RESPONSE_HEADERS
    } else if to_terminal {
        P::RESPONSE_HEADERS | P::RESPONSE_BODY
    } else {
        P::RESPONSE_BODY
    }
}
