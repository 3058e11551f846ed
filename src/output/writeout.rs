//! `-w/--write-out`: what the run learnt, in curl's terms ([`Facts`], gathered by a [`Tally`]
//! as the exchanges go by), rendered through a parsed template ([`render`], pure). Times are
//! curl's: seconds from the start, each phase summed over the exchanges of a redirect chain
//! (curl adds them up the same way), printed with 6 decimals.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use crate::cli::writeout::{Piece, Stream, Template, Var, VARS};
use crate::message::{Headers, Remote, Response, Timings};
use crate::prepare::PreparedRequest;

/// curl's `time_*` values, in seconds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Times {
    pub namelookup: f64,
    pub connect: f64,
    pub appconnect: f64,
    pub pretransfer: f64,
    pub starttransfer: f64,
    pub redirect: f64,
    pub total: f64,
}

/// Everything a template can name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Facts {
    /// 0 when no response arrived (printed `000`, as curl does).
    pub http_code: u16,
    /// `1.1`, `2`; empty without a response.
    pub http_version: String,
    pub method: String,
    /// The URL as first requested, and the last one.
    pub url: String,
    pub url_effective: String,
    pub num_redirects: u32,
    pub content_type: Option<String>,
    /// The final response's headers.
    pub headers: Headers,
    pub size_download: u64,
    pub size_header: u64,
    pub size_request: u64,
    pub size_upload: u64,
    pub times: Times,
    pub remote: Option<SocketAddr>,
    pub local: Option<SocketAddr>,
    pub exitcode: i32,
    pub errormsg: String,
}

/// What a template writes to each stream.
#[derive(Debug, Default, PartialEq)]
pub struct Rendered {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// The template with these facts: text to stdout until a `%{stderr}` says otherwise.
pub fn render(template: &Template, facts: &Facts) -> Rendered {
    let mut out = Rendered::default();
    let mut to = Stream::Stdout;
    for piece in &template.pieces {
        let buf = match to {
            Stream::Stdout => &mut out.stdout,
            Stream::Stderr => &mut out.stderr,
        };
        match piece {
            Piece::Text(t) => buf.extend_from_slice(t),
            Piece::Var(v) => buf.extend_from_slice(value(*v, facts).text().as_bytes()),
            Piece::Header(name) => buf.extend_from_slice(&header(&facts.headers, name)),
            Piece::Json => buf.extend_from_slice(json(facts).as_bytes()),
            Piece::To(s) => to = *s,
        }
    }
    out
}

/// A variable's value, typed as `%{json}` shows it.
enum Value {
    Int(i64),
    /// `http_code`: zero-padded to 3 digits in text.
    Code(u16),
    Time(f64),
    /// None is `null` in JSON and empty text.
    Str(Option<String>),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Code(c) => format!("{c:03}"),
            Value::Time(t) => format!("{t:.6}"),
            Value::Str(s) => s.clone().unwrap_or_default(),
        }
    }

    fn json(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Code(c) => c.to_string(),
            Value::Time(t) => format!("{t:.6}"),
            Value::Str(Some(s)) => serde_json::Value::from(s.as_str()).to_string(),
            Value::Str(None) => "null".into(),
        }
    }
}

fn value(v: Var, f: &Facts) -> Value {
    let s = |s: &str| Value::Str(Some(s.to_string()));
    let ip = |a: Option<SocketAddr>| s(&a.map(|a| a.ip().to_string()).unwrap_or_default());
    let port = |a: Option<SocketAddr>| Value::Int(a.map_or(0, |a| i64::from(a.port())));
    let size = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let t = &f.times;
    match v {
        Var::HttpCode => Value::Code(f.http_code),
        Var::HttpVersion => s(&f.http_version),
        Var::Method => s(&f.method),
        Var::Url => s(&f.url),
        Var::UrlEffective => s(&f.url_effective),
        Var::NumRedirects => Value::Int(i64::from(f.num_redirects)),
        Var::ContentType => Value::Str(f.content_type.clone()),
        Var::SizeDownload => size(f.size_download),
        Var::SizeHeader => size(f.size_header),
        Var::SizeRequest => size(f.size_request),
        Var::SizeUpload => size(f.size_upload),
        Var::SpeedDownload => match t.total > 0.0 {
            true => Value::Int((f.size_download as f64 / t.total) as i64),
            false => Value::Int(0),
        },
        Var::TimeNamelookup => Value::Time(t.namelookup),
        Var::TimeConnect => Value::Time(t.connect),
        Var::TimeAppconnect => Value::Time(t.appconnect),
        Var::TimePretransfer => Value::Time(t.pretransfer),
        Var::TimeStarttransfer => Value::Time(t.starttransfer),
        Var::TimeRedirect => Value::Time(t.redirect),
        Var::TimeTotal => Value::Time(t.total),
        Var::RemoteIp => ip(f.remote),
        Var::RemotePort => port(f.remote),
        Var::LocalIp => ip(f.local),
        Var::LocalPort => port(f.local),
        Var::ExitCode => Value::Int(i64::from(f.exitcode)),
        Var::ErrorMsg => Value::Str(Some(f.errormsg.clone()).filter(|m| !m.is_empty())),
    }
}

/// Header `name` of the final response: its first value, as curl 7.88 prints it.
fn header(headers: &Headers, name: &str) -> Vec<u8> {
    headers.get(name).unwrap_or_default().to_vec()
}

/// `%{json}`: every variable, by name in order, as one object on one line.
fn json(f: &Facts) -> String {
    let fields: Vec<String> = VARS
        .iter()
        .map(|(name, v)| format!("\"{name}\":{}", value(*v, f).json()))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// One exchange's phases, in seconds from its start: name lookup, connect, TLS, ready to
/// send, first byte. A phase that did not happen (a reused connection is not dialled, plain
/// HTTP has no TLS) takes the time of the one before it, so they never go backwards; TLS is 0
/// without TLS, as in curl.
pub fn phases(t: &Timings) -> [f64; 5] {
    let Some(start) = t.started else {
        return [0.0; 5];
    };
    let at = |i: Option<Instant>, prev: f64| {
        i.map_or(prev, |i| i.duration_since(start).as_secs_f64().max(prev))
    };
    let lookup = at(t.connect_start, 0.0);
    let connect = at(t.tcp_done, lookup);
    let ready = at(t.connected, connect);
    let first = at(t.first_byte, ready);
    let tls = if t.tls { ready } else { 0.0 };
    [lookup, connect, tls, ready, first]
}

/// Gathers the [`Facts`] as the run goes: every request sent, every response received.
pub struct Tally {
    start: Instant,
    facts: Facts,
    /// When the final exchange began, and its body's byte count.
    last_started: Option<Instant>,
    body: Option<Arc<AtomicU64>>,
}

impl Tally {
    /// Starting now, for `first`.
    pub fn new(first: &PreparedRequest) -> Tally {
        Tally {
            start: Instant::now(),
            facts: Facts {
                url: first.url.to_string(),
                url_effective: first.url.to_string(),
                method: first.method.clone(),
                ..Facts::default()
            },
            last_started: None,
            body: None,
        }
    }

    /// A request is about to be sent.
    pub fn sending(&mut self, req: &PreparedRequest) {
        self.facts.method = req.method.clone();
        self.facts.url_effective = req.url.to_string();
    }

    /// An exchange that is not the last: `redirect` when it is followed to another URL.
    pub fn intermediate(&mut self, resp: &Response, redirect: bool) {
        self.exchange(resp);
        if redirect {
            self.facts.num_redirects += 1;
        }
    }

    /// The final response (its body not read yet).
    pub fn last(&mut self, resp: &Response) {
        self.exchange(resp);
        let f = &mut self.facts;
        f.http_code = resp.status;
        f.http_version = resp.version.trim_start_matches("HTTP/").to_string();
        f.content_type = resp.header_str("content-type").map(str::to_string);
        f.headers = resp.headers.clone();
        f.size_upload = resp.wire.upload;
        (f.remote, f.local) = match &resp.timings.remote {
            Some(Remote::Tcp(a)) => (Some(*a), resp.timings.local),
            _ => (None, None),
        };
        self.last_started = resp.timings.started;
        self.body = Some(resp.wire.body.clone());
    }

    fn exchange(&mut self, resp: &Response) {
        let [lookup, connect, tls, ready, first] = phases(&resp.timings);
        let t = &mut self.facts.times;
        t.namelookup += lookup;
        t.connect += connect;
        t.appconnect += tls;
        t.pretransfer += ready;
        t.starttransfer += first;
        self.facts.size_header += resp.wire.head;
        self.facts.size_request += resp.wire.request;
    }

    /// The facts once the run ended with `exitcode` (and `errormsg` when it failed).
    pub fn finish(mut self, exitcode: i32, errormsg: String, now: Instant) -> Facts {
        let f = &mut self.facts;
        f.exitcode = exitcode;
        f.errormsg = errormsg;
        f.times.total = now.duration_since(self.start).as_secs_f64();
        if let (Some(last), true) = (self.last_started, f.num_redirects > 0) {
            f.times.redirect = last.duration_since(self.start).as_secs_f64();
        }
        f.size_download = self
            .body
            .map_or(0, |b| b.load(std::sync::atomic::Ordering::Relaxed));
        self.facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::writeout::parse;
    use std::time::Duration;

    fn facts() -> Facts {
        Facts {
            http_code: 200,
            http_version: "1.1".into(),
            method: "GET".into(),
            url: "http://h/a".into(),
            url_effective: "http://h/b".into(),
            num_redirects: 1,
            content_type: Some("text/plain".into()),
            headers: vec![
                ("X-A".to_string(), b"1".to_vec()),
                ("x-a".to_string(), b"2".to_vec()),
            ]
            .into(),
            size_download: 300,
            size_header: 90,
            size_request: 80,
            size_upload: 0,
            times: Times {
                total: 1.5,
                namelookup: 0.0001,
                ..Times::default()
            },
            remote: Some("127.0.0.1:8080".parse().unwrap()),
            local: Some("127.0.0.1:40000".parse().unwrap()),
            exitcode: 0,
            errormsg: String::new(),
        }
    }

    fn out(format: &str, f: &Facts) -> String {
        let r = render(&parse(format).unwrap(), f);
        String::from_utf8(r.stdout).unwrap()
    }

    #[test]
    fn renders_variables_as_curl_prints_them() {
        let f = facts();
        assert_eq!(
            out(
                "%{http_code} %{http_version} %{method} %{url_effective}\n",
                &f
            ),
            "200 1.1 GET http://h/b\n"
        );
        assert_eq!(
            out("%{time_total} %{time_namelookup} %{speed_download}", &f),
            "1.500000 0.000100 200"
        );
        assert_eq!(
            out("%{remote_ip}:%{remote_port} %{local_port}", &f),
            "127.0.0.1:8080 40000"
        );
        assert_eq!(out("[%header{X-A}][%header{nope}]", &f), "[1][]");
        let failed = Facts {
            exitcode: 7,
            errormsg: "no".into(),
            ..Facts::default()
        };
        assert_eq!(
            out(
                "%{http_code} %{exitcode} %{errormsg} %{remote_port}",
                &failed
            ),
            "000 7 no 0"
        );
    }

    #[test]
    fn streams_switch() {
        let r = render(&parse("a%{stderr}b%{stdout}c").unwrap(), &facts());
        assert_eq!(
            (r.stdout.as_slice(), r.stderr.as_slice()),
            (&b"ac"[..], &b"b"[..])
        );
    }

    #[test]
    fn json_lists_every_variable_typed() {
        let text = out("%{json}", &facts());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v.as_object().unwrap().len(), VARS.len());
        assert_eq!(v["http_code"], 200);
        assert_eq!(v["response_code"], 200);
        assert_eq!(v["http_version"], "1.1");
        assert_eq!(v["errormsg"], serde_json::Value::Null);
        assert_eq!(v["content_type"], "text/plain");
        assert!(text.contains("\"time_total\":1.500000"), "{text}");
        assert!(text.starts_with("{\"content_type\":"), "{text}");
    }

    #[test]
    fn phases_never_go_backwards() {
        let start = Instant::now();
        let at = |ms| Some(start + Duration::from_millis(ms));
        let t = Timings {
            started: Some(start),
            connect_start: at(1),
            tcp_done: at(3),
            connected: at(7),
            tls: true,
            first_byte: at(10),
            ..Timings::default()
        };
        let p = phases(&t);
        assert_eq!(p.map(|s| (s * 1000.0).round()), [1.0, 3.0, 7.0, 7.0, 10.0]);
        // A reused plain connection: nothing dialled, no TLS.
        let reused = Timings {
            started: Some(start),
            first_byte: at(4),
            ..Timings::default()
        };
        assert_eq!(
            phases(&reused).map(|s| (s * 1000.0).round()),
            [0.0, 0.0, 0.0, 0.0, 4.0]
        );
    }
}
