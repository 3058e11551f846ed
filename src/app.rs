//! The pipeline, in the order of ARCHITECTURE.md: argv -> Cli -> RequestSpec ->
//! PreparedRequest -> send (following redirects) -> print -> exit code. No policy here.

use std::ffi::OsString;
use std::io::Write;
use std::time::Instant;

use anyhow::Result;
use clap::FromArgMatches;

use crate::cli::{AsFormat, Cli};
use crate::client::redirect::{self, Hop};
use crate::client::{self, Client, Response};
use crate::env::Env;
use crate::error::{self, code};
use crate::output::{body, convert, Printer};
use crate::prepare::{self, PreparedRequest};
use crate::session::Session;
use crate::spec::{self, RequestSpec};

/// Run the program named `program` (`http` or `https`) and return its exit code.
pub fn main(program: &str) -> i32 {
    let env = Env::capture(program);
    let args: Vec<OsString> = std::env::args_os().collect();
    match run(args, &env) {
        Ok(code) => code,
        Err(err) => report(&err, &env),
    }
}

/// A `http: warning: ...` line on stderr.
fn warn(env: &Env, msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{}: warning: {msg}", env.program);
}

/// Print an error as one line (`http: error: ...`) and pick its exit code. A closed pipe
/// (`http ... | head -1`) is not an error worth a word.
fn report(err: &anyhow::Error, env: &Env) -> i32 {
    if is_broken_pipe(err) {
        return code::OK;
    }
    let _ = writeln!(std::io::stderr(), "{}: error: {err:#}", env.program);
    error::exit_code(err)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::BrokenPipe && body::read_failure(io).is_none()
        })
    })
}

/// Parse argv; help and version print and exit 0, usage errors become one line and exit 1.
fn parse_cli(args: Vec<OsString>, env: &Env) -> Result<std::result::Result<Cli, i32>> {
    let matches = Cli::command_for(&env.program).try_get_matches_from(args);
    let matches = match matches {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(
                e.kind(),
                K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                let code = if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
                    code::ERROR
                } else {
                    code::OK
                };
                return Ok(Err(code));
            }
            return Err(error::usage(clap_message(&e, &env.program)));
        }
    };
    Cli::from_arg_matches(&matches)
        .map(Ok)
        .map_err(|e| error::usage(clap_message(&e, &env.program)))
}

/// clap's message without its usage block, on one line: the problem (with the lines clap
/// puts under it, such as the missing arguments), then any tip.
fn clap_message(e: &clap::Error, program: &str) -> String {
    if e.kind() == clap::error::ErrorKind::MissingRequiredArgument {
        return format!(
            "no URL given: usage is {program} [OPTIONS] [METHOD] URL [ITEM]... (see --help)"
        );
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

/// The config file's `default_options` go first, so the command line overrides them; then
/// `--no-OPTION` cancels what came before it.
fn with_defaults(
    mut args: Vec<OsString>,
    config: Option<&crate::config::Config>,
    env: &Env,
) -> Vec<OsString> {
    if let Some(c) = config.filter(|c| !c.default_options.is_empty()) {
        let rest = args.split_off(args.len().min(1));
        args.extend(c.default_options.iter().map(OsString::from));
        args.extend(rest);
    }
    crate::cli::negate::apply(args, &Cli::command_for(&env.program))
}

fn run(args: Vec<OsString>, env: &Env) -> Result<i32> {
    let (config, config_warnings) = crate::config::load(env);
    let args = with_defaults(args, config.as_ref(), env);
    let cli = match parse_cli(args, env)? {
        Ok(cli) => cli,
        Err(code) => return Ok(code),
    };
    if cli.quiet < 2 {
        config_warnings.iter().for_each(|w| warn(env, w));
    }
    if cli.config_show {
        let text = crate::config::show_for(&cli, env, config.as_ref())?;
        std::io::stdout().write_all(text.as_bytes())?;
        return Ok(code::OK);
    }
    let mut spec = spec::from_cli_with(&cli, env, config.as_ref())?;
    let mut session = Session::open(&spec, env)?;
    if let Some(s) = session.as_mut() {
        s.apply(&mut spec);
    }
    if spec.output.quiet < 2 {
        spec.warnings.iter().for_each(|w| warn(env, w));
    }
    let mut req = prepare::prepare(&spec)?;
    if let Some(s) = &session {
        s.set_cookie_header(&mut req);
    }
    let out = open_output(&spec)?;
    let mut printer = Printer::new(out, &spec.output)?;
    if let Some(format) = spec.output.as_format {
        let text = match format {
            AsFormat::Curl => format!("{}\n", convert::curl(&spec, &req)),
            AsFormat::Python => convert::python(&spec, &req),
        };
        std::io::stdout().write_all(text.as_bytes())?;
        session.map(Session::save).transpose()?;
        return Ok(code::OK);
    }
    if spec.offline {
        printer.request(&req, spec.output.print)?;
        printer.finish()?;
        session.map(Session::save).transpose()?;
        return Ok(code::OK);
    }
    exchange(&spec, req, &mut printer, env, session)
}

/// stdout, `-o FILE`, or nowhere with `-q`.
fn open_output(spec: &RequestSpec) -> Result<Box<dyn Write>> {
    let o = &spec.output;
    if let (Some(path), false) = (&o.output_file, o.download) {
        let file = std::fs::File::create(path).map_err(|e| {
            error::usage(format!(
                "cannot write output file '{}': {e}",
                path.display()
            ))
        })?;
        return Ok(Box::new(std::io::BufWriter::with_capacity(
            128 * 1024,
            file,
        )));
    }
    if o.quiet > 0 {
        return Ok(Box::new(std::io::sink()));
    }
    if o.download && !spec.offline {
        // The body goes to a file (or stdout); what would be printed goes to stderr.
        return Ok(Box::new(std::io::BufWriter::new(std::io::stderr())));
    }
    let stdout = std::io::stdout();
    Ok(Box::new(std::io::BufWriter::with_capacity(
        128 * 1024,
        stdout.lock(),
    )))
}

/// How the send loop may go on after each response: redirects, digest, retries.
fn flow(spec: &RequestSpec) -> redirect::Flow<'_> {
    let digest = spec
        .auth
        .as_ref()
        .filter(|a| a.kind == crate::cli::AuthType::Digest)
        .map(|a| (a.user.as_str(), a.password.as_deref().unwrap_or("")));
    redirect::Flow {
        follow: spec.net.follow,
        max_redirects: spec.net.max_redirects,
        digest,
        retry: crate::client::retry::Policy {
            retries: spec.net.retries,
            statuses: spec.net.retry_status.clone(),
            backoff: spec.net.retry_backoff,
            max_wait: spec.net.retry_max_wait,
        },
    }
}

fn exchange(
    spec: &RequestSpec,
    req: PreparedRequest,
    printer: &mut Printer,
    env: &Env,
    mut session: Option<Session>,
) -> Result<i32> {
    crate::interrupt::install();
    let client = Client::new(&spec.net, env)?;
    if matches!(spec.net.verify, Some(crate::cli::values::Verify::No)) && spec.output.quiet < 2 {
        warn(env, "TLS certificate verification is off (--verify=no)");
    }
    let o = &spec.output;
    let mut sent = 0usize;
    let flow = flow(spec);
    let sent_all = redirect::send_following(&client, req, &flow, |hop| match hop {
        Hop::Sending(r) => {
            // Each hop gets the cookies of its own host, including ones set along the way.
            if let Some(s) = &session {
                s.set_cookie_header(r);
            }
            // The first request is shown before it is sent; later hops only with --all.
            if sent == 0 || o.all {
                printer.request(r, o.print)?;
                printer.flush()?;
            }
            sent += 1;
            Ok(())
        }
        Hop::Retrying {
            retry,
            of,
            wait,
            reason,
        } => {
            if o.quiet == 0 {
                let _ = writeln!(
                    std::io::stderr(),
                    "{}: retrying ({retry}/{of}) in {:.1}s: {reason}",
                    env.program,
                    wait.as_secs_f64()
                );
            }
            Ok(())
        }
        Hop::Intermediate(r, mut resp) => {
            if let Some(s) = session.as_mut() {
                s.absorb(&r.url, &resp.headers);
            }
            if o.all {
                show_response(printer, &mut resp, o.history_print, &client, r)
            } else {
                Ok(())
            }
        }
    });
    // The session is saved (and its lock released) as soon as the final head is in, before
    // a long body; cookies from earlier hops are kept even when a later hop fails.
    let (final_req, mut resp) = match sent_all {
        Ok(done) => done,
        Err(e) => {
            if let Some(Err(save)) = session.map(Session::save) {
                warn(env, format!("{save:#}"));
            }
            return Err(e);
        }
    };
    if let Some(mut s) = session {
        s.absorb(&final_req.url, &resp.headers);
        s.save()?;
    }
    if o.download {
        return download(spec, printer, final_req, resp, &client, env);
    }
    show_response(printer, &mut resp, o.print, &client, &final_req)?;
    printer.finish()?;
    Ok(final_status(spec, &resp, env))
}

/// `--download`: headers as selected (never the body), the status check (an already
/// complete resume is not an error), then the body to its file.
fn download(
    spec: &RequestSpec,
    printer: &mut Printer,
    req: PreparedRequest,
    mut resp: Response,
    client: &Client,
    env: &Env,
) -> Result<i32> {
    let print = crate::cli::values::PrintSet {
        response_body: false,
        ..spec.output.print
    };
    show_response(printer, &mut resp, print, client, &req)?;
    printer.finish()?;
    if !crate::download::already_complete(spec, &req, &resp) {
        let status = final_status(spec, &resp, env);
        if status != code::OK {
            return Ok(status);
        }
    }
    crate::download::save(spec, &req, resp, client, env)
}

/// Print a response as `print` selects; the body is read only when it is shown.
fn show_response(
    printer: &mut Printer,
    resp: &mut Response,
    print: crate::cli::values::PrintSet,
    client: &Client,
    req: &PreparedRequest,
) -> Result<()> {
    if print.response_headers {
        printer.response_head(resp)?;
    }
    if print.response_body {
        let raw = resp.take_body();
        let mut reader = crate::decode::decoder(raw, resp.header_str("content-encoding"));
        if let Err(e) = printer.response_body(resp, &mut reader) {
            // Show what arrived before reporting what went wrong.
            let _ = printer.finish();
            return Err(match body::read_failure(&e) {
                Some(_) => client::describe_io(unwrap_read(e), &req.url, client.net()),
                None => e.into(),
            });
        }
    }
    if print.meta {
        printer.meta(&meta_text(resp))?;
    }
    printer.flush()?;
    Ok(())
}

fn unwrap_read(e: std::io::Error) -> std::io::Error {
    let kind = e.kind();
    match e.into_inner().map(|b| b.downcast::<body::ReadFailed>()) {
        Some(Ok(r)) => r.0,
        Some(Err(other)) => std::io::Error::new(kind, other),
        None => std::io::Error::from(kind),
    }
}

fn meta_text(resp: &Response) -> String {
    let o = &resp.observed;
    let now = Instant::now();
    let start = o.started.unwrap_or(now);
    let secs = |t: Option<Instant>| t.map(|t| t.duration_since(start).as_secs_f64());
    let mut out = format!(
        "Elapsed time: {:.6}s",
        now.duration_since(start).as_secs_f64()
    );
    let mut parts = Vec::new();
    if let Some(d) = secs(o.connect_start) {
        parts.push(format!("dns {d:.6}s"));
    }
    if let (Some(a), Some(b)) = (secs(o.connect_start), secs(o.tcp_done)) {
        parts.push(format!("connect {:.6}s", b - a));
    }
    if let (Some(a), Some(b)) = (secs(o.tcp_done), secs(o.connected)) {
        if b - a > 0.0001 {
            parts.push(format!("tls {:.6}s", b - a));
        }
    }
    if let Some(f) = secs(o.first_byte) {
        parts.push(format!("first byte {f:.6}s"));
    }
    if !parts.is_empty() {
        out.push_str(&format!("\n  {}", parts.join(", ")));
    }
    if let Some(addr) = o.remote {
        out.push_str(&format!("\nRemote address: {addr}"));
    }
    out
}

/// `--check-status`: the status decides the exit code, with a warning on stderr when the
/// status line was not visible on a terminal.
fn final_status(spec: &RequestSpec, resp: &Response, env: &Env) -> i32 {
    if !spec.check_status {
        return code::OK;
    }
    let code = error::status_exit_code(resp.status, spec.net.follow);
    let o = &spec.output;
    if code != code::OK && (!o.to_terminal || o.quiet == 1) && o.quiet < 2 {
        let reason = if resp.reason.is_empty() {
            ureq::http::StatusCode::from_u16(resp.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
        } else {
            &resp.reason
        };
        let _ = writeln!(
            std::io::stderr(),
            "{}: warning: HTTP {} {}",
            env.program,
            resp.status,
            crate::output::visible(reason.as_bytes())
        );
    }
    code
}
