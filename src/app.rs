//! The pipeline, in the order of the README's "Layout": argv -> Cli -> RequestSpec ->
//! PreparedRequest -> send (following redirects) -> print or save -> Outcome. Each step is
//! another module's; this one only wires them together and says which messages go to stderr.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use anyhow::Result;

use crate::cli::parse::{self, Parsed};
use crate::cli::values::{PrintSet, Quiet, Verify};
use crate::cli::{AsFormat, AuthType, Cli};
use crate::client::redirect::{self, Hop};
use crate::client::Client;
use crate::env::Env;
use crate::error::{self, Outcome};
use crate::message::Response;
use crate::output::writeout::{self, Tally};
use crate::output::{convert, Printer};
use crate::prepare::{self, PreparedRequest};
use crate::session::Tracker;
use crate::sigv4::Signer;
use crate::spec::{self, NetSpec, RequestSpec};

mod files;

/// Run the program named `program` (`http` or `https`) and return its exit code.
pub fn main(program: &str) -> i32 {
    let env = Env::capture(program);
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut report = None;
    let (code, errormsg) = match run(args, &env, &mut report) {
        Ok(outcome) => (outcome.code(), String::new()),
        Err(err) => {
            let msg = format!("{err:#}");
            let msg = crate::output::visible(msg.as_bytes()).into_owned();
            // A closed pipe (`http ... | head -1`) is not worth a word.
            if !error::is_broken_pipe(&err) {
                let _ = writeln!(std::io::stderr(), "{}: error: {msg}", env.program);
            }
            (error::exit_code(&err), msg)
        }
    };
    write_report(report, code, errormsg);
    code
}

/// `-w/--write-out`, once a request is over (each request of a request file has its own).
fn write_report(report: Option<Report>, code: i32, errormsg: String) {
    if let Some(Report { template, tally }) = report {
        let facts = tally.finish(code, errormsg, Instant::now());
        let out = writeout::render(&template, &facts);
        // Like curl, written whatever happened; a closed stream is no reason to fail now.
        let _ = std::io::stdout().write_all(&out.stdout);
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().write_all(&out.stderr);
    }
}

/// `-w/--write-out`: the template, and what the exchange has shown so far.
struct Report {
    template: crate::cli::writeout::Template,
    tally: Tally,
}

/// A `http: warning: ...` line on stderr.
fn warn(env: &Env, msg: impl std::fmt::Display) {
    let msg = msg.to_string();
    let msg = crate::output::visible(msg.as_bytes());
    let _ = writeln!(std::io::stderr(), "{}: warning: {msg}", env.program);
}

fn run(args: Vec<OsString>, env: &Env, report: &mut Option<Report>) -> Result<Outcome> {
    let (config, mut warnings) = crate::config::load(env);
    let defaults = config.as_ref().map_or(&[][..], |c| &c.default_options[..]);
    let cli = match parse::parse(args, defaults, &env.program)? {
        Parsed::Run(cli) => cli,
        Parsed::Shown(outcome) => return Ok(outcome),
    };
    let config = spec::prefix::check(config, &mut warnings);
    if Quiet::from_count(cli.quiet).shows_warnings() {
        warnings.iter().for_each(|w| warn(env, w));
    }
    if cli.config_show {
        let text = spec::prefix::show_config(&cli, env, config.as_ref())?;
        std::io::stdout().write_all(text.as_bytes())?;
        return Ok(Outcome::Done);
    }
    if let Some(path) = &cli.file {
        return files::run(&cli, path, env, config.as_ref());
    }
    let mut shared = Shared::default();
    let outcome = request(&cli, env, config.as_ref(), &mut shared, report)?;
    shared.close()?;
    Ok(outcome)
}

/// What the requests of one run share (a request file has many): one client per network
/// setting (so one pool of keep-alive connections), the cookie jar or session, the output.
#[derive(Default)]
struct Shared {
    clients: Vec<(NetSpec, Client)>,
    tracker: Option<Tracker>,
    out: Option<SharedOut>,
    /// Warnings already shown: a request file's requests often repeat them (a malformed
    /// `.netrc` line); bounded, so memory stays flat over many requests.
    warned: Vec<String>,
    /// Part of a request file: the session is saved at the end of the run, not after the
    /// final head, and small unread bodies are read so their connection can be reused.
    in_file: bool,
}

impl Shared {
    /// Open the session for `spec` (and merge it into it) at the first request; merge it
    /// into the specs of later ones.
    fn open_session(&mut self, spec: &mut RequestSpec, env: &Env) -> Result<()> {
        match &mut self.tracker {
            Some(t) => t.next_request(spec),
            None => self.tracker = Some(Tracker::open(spec, env)?),
        }
        Ok(())
    }

    /// The session [`Shared::open_session`] opened, until it is saved.
    fn session(&mut self) -> Result<&mut Tracker> {
        opened(&mut self.tracker)
    }

    /// A single request saves the session (releasing its lock) as soon as its final head is
    /// in, before a long body; a request file keeps it for the next request.
    fn save_early(&mut self) -> Result<()> {
        match (self.in_file, self.tracker.take()) {
            (false, Some(t)) => t.save(),
            (_, t) => {
                self.tracker = t;
                Ok(())
            }
        }
    }

    /// The output, opened by the first request that prints.
    fn output(&mut self, spec: &RequestSpec) -> Result<Box<dyn Write + Send>> {
        if self.out.is_none() {
            self.out = Some(SharedOut::new(open_output(spec)?));
        }
        let out = self
            .out
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no output"))?;
        Ok(Box::new(out))
    }

    /// Show each of `warnings` not shown before in this run.
    fn warn_once(&mut self, env: &Env, warnings: &[String]) {
        for w in warnings {
            if !self.warned.contains(w) {
                warn(env, w);
                if self.warned.len() < 64 {
                    self.warned.push(w.clone());
                }
            }
        }
    }

    /// The run is over: flush the output and save the session.
    fn close(&mut self) -> Result<()> {
        if let Some(out) = &mut self.out {
            out.flush()?;
        }
        self.tracker.take().map_or(Ok(()), Tracker::save)
    }
}

/// The open session (a field of [`Shared`], borrowed apart from its clients).
fn opened(tracker: &mut Option<Tracker>) -> Result<&mut Tracker> {
    tracker
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("the session was already closed"))
}

/// The client for `spec`'s network settings: an existing one (its pool) when they are the
/// same, else a new one (`true`).
fn client_for<'c>(
    clients: &'c mut Vec<(NetSpec, Client)>,
    spec: &RequestSpec,
    env: &Env,
) -> Result<(&'c Client, bool)> {
    if let Some(at) = clients.iter().position(|(net, _)| *net == spec.net) {
        return Ok((&clients[at].1, false));
    }
    let scope = spec.scope.clone();
    let client = Client::new(&spec.net, env, Box::new(move |url| scope.verify(url)))?;
    clients.push((spec.net.clone(), client));
    Ok((&clients[clients.len() - 1].1, true))
}

/// stdout or `-o FILE`, opened once for the run and written by each request's printer.
#[derive(Clone)]
struct SharedOut(Arc<Mutex<Written>>);

/// The output, and the last byte written to it.
struct Written {
    out: Box<dyn Write + Send>,
    last: Option<u8>,
}

impl SharedOut {
    fn new(out: Box<dyn Write + Send>) -> SharedOut {
        SharedOut(Arc::new(Mutex::new(Written { out, last: None })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Written> {
        // A panic elsewhere cannot leave the writer half-updated in a way that matters here.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Between two requests' output, as between two messages of one: a blank line once
    /// something was written (a body without a final newline gets one first).
    fn separate(&mut self) -> std::io::Result<()> {
        let gap: &[u8] = match self.lock().last {
            None => return Ok(()),
            Some(b'\n') => b"\n",
            Some(_) => b"\n\n",
        };
        self.write_all(gap)
    }
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut w = self.lock();
        let n = w.out.write(buf)?;
        if n > 0 {
            w.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.lock().out.flush()
    }
}

/// One request through the pipeline: spec, session, prepared request, then printed as
/// `--as`, printed `--offline`, or sent.
fn request(
    cli: &Cli,
    env: &Env,
    config: Option<&crate::config::Config>,
    shared: &mut Shared,
    report: &mut Option<Report>,
) -> Result<Outcome> {
    let mut spec = spec::from_cli_with(cli, env, config)?;
    shared.open_session(&mut spec, env)?;
    if spec.output.quiet.shows_warnings() {
        shared.warn_once(env, &spec.warnings);
    }
    let mut req = prepare::prepare(&spec)?;
    shared.session()?.sending(&mut req);
    let mut printer = Printer::new(shared.output(&spec)?, &spec.output)?;
    if let Some(format) = spec.output.as_format {
        return export(&spec, &req, format);
    }
    let signer = spec.signer()?;
    if spec.offline {
        if let Some(signer) = &signer {
            signer
                .sign(&mut req, SystemTime::now())
                .map_err(error::usage)?;
        }
        // Printed as it would be sent, proxy included.
        let var = |k: &str| env.var(k);
        req.forward = crate::client::proxy::route(&req.url, &req.method, &spec.net.proxies, var);
        req.http2 = crate::client::assumed_http2(&spec.net, &req);
        printer.request(&req, spec.output.print)?;
        printer.finish()?;
        return Ok(Outcome::Done);
    }
    *report = spec.output.write_out.clone().map(|template| Report {
        template,
        tally: Tally::new(&req),
    });
    let tally = report.as_mut().map(|r| &mut r.tally);
    exchange(&spec, req, &mut printer, env, shared, signer, tally)
}

/// `--as=curl|python`: the request as a command or code, on stdout.
fn export(spec: &RequestSpec, req: &PreparedRequest, format: AsFormat) -> Result<Outcome> {
    if format == AsFormat::Python && spec.sigv4.is_some() {
        return Err(error::usage(
            "--as=python cannot carry --aws-sigv4 (requests has no SigV4 signer); use --as=curl",
        ));
    }
    let text = match format {
        AsFormat::Curl => format!("{}\n", convert::curl(spec, req)),
        AsFormat::Python => convert::python(spec, req),
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(Outcome::Done)
}

/// stdout, `-o FILE`, or nowhere with `-q`.
fn open_output(spec: &RequestSpec) -> Result<Box<dyn Write + Send>> {
    let o = &spec.output;
    if let (Some(path), false) = (&o.output_file, o.download) {
        let file = std::fs::File::create(path).map_err(|e| {
            error::usage(format!(
                "cannot write output file '{}': {}",
                path.display(),
                crate::error::plain_io(&e)
            ))
        })?;
        return Ok(Box::new(std::io::BufWriter::with_capacity(
            128 * 1024,
            file,
        )));
    }
    if !o.quiet.shows_output() {
        return Ok(Box::new(std::io::sink()));
    }
    if o.download && !spec.offline {
        // The body goes to a file (or stdout); what would be printed goes to stderr.
        return Ok(Box::new(std::io::BufWriter::new(std::io::stderr())));
    }
    Ok(Box::new(std::io::BufWriter::with_capacity(
        128 * 1024,
        std::io::stdout(),
    )))
}

/// How the send loop may go on after each response: redirects, digest, retries.
fn flow(spec: &RequestSpec) -> redirect::Flow<'_> {
    let digest = spec
        .auth
        .as_ref()
        .filter(|a| a.kind == AuthType::Digest)
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

/// What happens at each step of the send loop: cookies per hop, the first request (and with
/// `--all` every exchange) printed, retries announced.
struct Hops<'a, 'p, 's> {
    spec: &'a RequestSpec,
    env: &'a Env,
    printer: &'a mut Printer<'p>,
    session: &'s mut Tracker,
    sent: usize,
    /// The URL of the last hop sent, and the first request's `Authorization`.
    last: Option<url::Url>,
    first_auth: Option<Vec<u8>>,
    /// `--aws-sigv4`: every hop to the first request's origin is signed as it goes.
    signer: Option<Signer>,
    /// `--write-out`'s record of the exchanges.
    tally: Option<&'a mut Tally>,
    /// The transport's notes shown so far (each once per exchange, not once per hop).
    noted: Vec<String>,
}

impl Hops<'_, '_, '_> {
    /// `--aws-sigv4`: signs a hop to the first request's origin as of now (a retry or a
    /// redirect gets a fresh date and its own path); other origins get no credentials.
    fn sign(&self, r: &mut PreparedRequest) -> Result<()> {
        match &self.signer {
            Some(signer) if r.url.origin() == self.spec.url.origin() => {
                signer.sign(r, SystemTime::now()).map_err(error::usage)
            }
            _ => Ok(()),
        }
    }

    /// A transport's note, as a warning, once per exchange.
    fn note(&mut self, note: String) {
        if self.spec.output.quiet.shows_warnings() && !self.noted.contains(&note) {
            warn(self.env, &note);
            self.noted.push(note);
        }
    }

    fn on(&mut self, hop: Hop) -> Result<()> {
        let o = &self.spec.output;
        match hop {
            Hop::Sending(r) => {
                // Each hop gets the prefix settings and the cookies of its own URL, including
                // cookies set along the way.
                match &self.last {
                    Some(prev) => self.spec.scope.adjust(
                        &mut r.headers,
                        prev,
                        &r.url,
                        self.first_auth.as_deref(),
                    ),
                    None => self.first_auth = r.headers.get("authorization").map(<[u8]>::to_vec),
                }
                self.last = Some(r.url.clone());
                self.session.sending(r);
                self.sign(r)?;
                if let Some(t) = self.tally.as_deref_mut() {
                    t.sending(r);
                }
                // The first request is shown before it is sent; later hops only with --all.
                if self.sent == 0 || o.all {
                    self.printer.request(r, o.print)?;
                    self.printer.flush()?;
                }
                self.sent += 1;
            }
            Hop::Retrying {
                retry,
                of,
                wait,
                reason,
            } if o.quiet.shows_notes() => {
                let reason = crate::output::visible(reason.as_bytes());
                let _ = writeln!(
                    std::io::stderr(),
                    "{}: retrying ({retry}/{of}) in {:.1}s: {reason}",
                    self.env.program,
                    wait.as_secs_f64()
                );
            }
            Hop::Retrying { .. } => {}
            Hop::Note(note) => self.note(note),
            Hop::Intermediate(r, mut resp) => {
                self.session.received(&r.url, &resp.headers);
                if let Some(t) = self.tally.as_deref_mut() {
                    let followed = self.spec.net.follow && resp.header("location").is_some();
                    t.intermediate(&resp, followed && redirect::is_redirect(resp.status));
                }
                if o.all {
                    show_response(self.printer, &mut resp, o.history_print)?;
                }
            }
        }
        Ok(())
    }
}

/// The client for `spec` (its pool), set up for this request: the printer flushed before
/// each network wait, the upload bar, TLS roots loaded when `req` needs them.
fn ready_client<'c>(
    clients: &'c mut Vec<(NetSpec, Client)>,
    spec: &RequestSpec,
    req: &PreparedRequest,
    printer: &Printer,
    env: &Env,
) -> Result<&'c Client> {
    let (client, new) = client_for(clients, spec, env)?;
    client.before_wait(printer.flusher());
    client.upload_progress(spec.output.quiet.shows_notes() && env.stderr_is_tty);
    client.ready_for(req)?;
    // Once per client, not per request of a request file.
    let insecure = matches!(spec.net.verify, Some(Verify::No));
    if new && insecure && spec.output.quiet.shows_warnings() {
        warn(env, "TLS certificate verification is off (--verify=no)");
    }
    Ok(client)
}

fn exchange(
    spec: &RequestSpec,
    req: PreparedRequest,
    printer: &mut Printer,
    env: &Env,
    shared: &mut Shared,
    signer: Option<Signer>,
    tally: Option<&mut Tally>,
) -> Result<Outcome> {
    crate::interrupt::install();
    let client = ready_client(&mut shared.clients, spec, &req, printer, env)?;
    let flow = flow(spec);
    let mut hops = Hops {
        spec,
        env,
        printer,
        session: opened(&mut shared.tracker)?,
        sent: 0,
        last: None,
        first_auth: None,
        signer,
        tally,
        noted: Vec::new(),
    };
    let sent_all = redirect::send_following(client, req, &flow, |hop| hops.on(hop));
    let Hops {
        printer,
        session,
        tally,
        ..
    } = hops;
    // The session is saved (and its lock released) as soon as the final head is in, before
    // a long body; cookies from earlier hops are kept even when a later hop fails.
    let (final_req, mut resp) = match sent_all {
        Ok(done) => done,
        Err(e) => {
            if let Err(save) = shared.save_early() {
                warn(env, format!("{save:#}"));
            }
            return Err(e);
        }
    };
    session.received(&final_req.url, &resp.headers);
    if let Some(t) = tally {
        t.last(&resp);
    }
    shared.save_early()?;
    if spec.output.download {
        return download(spec, printer, final_req, resp, env);
    }
    show_response(printer, &mut resp, spec.output.print)?;
    printer.finish()?;
    if shared.in_file {
        drain(&mut resp);
    }
    Ok(checked(spec, &resp, env))
}

/// Read what is left of a body not shown (`-h`, `-m`) when its announced length is small,
/// so that its connection goes back to the pool for the next request; a larger or unknown
/// one (a stream could go on for ever) is left, and its connection closed.
fn drain(resp: &mut Response) {
    const MAX: u64 = 1 << 20;
    let small = resp
        .header_str("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n <= MAX);
    if small {
        let _ = std::io::copy(&mut resp.take_body().take(MAX), &mut std::io::sink());
    }
}

/// `--download`: headers as selected (never the body), the status check (an already
/// complete resume is not an error), then the body to its file.
fn download(
    spec: &RequestSpec,
    printer: &mut Printer,
    req: PreparedRequest,
    mut resp: Response,
    env: &Env,
) -> Result<Outcome> {
    let print = PrintSet {
        response_body: false,
        ..spec.output.print
    };
    show_response(printer, &mut resp, print)?;
    printer.finish()?;
    if !crate::download::already_complete(spec, &req, &resp) {
        let outcome = checked(spec, &resp, env);
        if !outcome.is_success() {
            return Ok(outcome);
        }
    }
    crate::download::save(spec, &req, resp, env)
}

/// Print a response as `print` selects; the body is read only when it is shown.
fn show_response(printer: &mut Printer, resp: &mut Response, print: PrintSet) -> Result<()> {
    if print.response_headers {
        printer.response_head(resp)?;
    }
    if print.response_body {
        let mut reader = resp.take_decoded();
        if let Err(e) = printer.response_body(resp, &mut reader) {
            // Show what arrived before reporting what went wrong.
            let _ = printer.finish();
            return Err(error::from_io(e));
        }
    }
    if print.meta {
        printer.meta(&resp.timings, Instant::now())?;
    }
    printer.flush()?;
    Ok(())
}

/// `--check-status`: the final status decides the outcome, with a warning on stderr when the
/// status line was not visible on a terminal.
fn checked(spec: &RequestSpec, resp: &Response, env: &Env) -> Outcome {
    if !spec.check_status {
        return Outcome::Done;
    }
    let outcome = Outcome::Status {
        status: resp.status,
        followed: spec.net.follow,
    };
    let o = &spec.output;
    let unseen = !o.to_terminal || o.quiet == Quiet::Output;
    if !outcome.is_success() && unseen && o.quiet.shows_warnings() {
        warn(
            env,
            format!("HTTP {} {}", resp.status, resp.reason_or_standard()),
        );
    }
    outcome
}
