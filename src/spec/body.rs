//! The body stage: which source the body comes from, and data items turned into JSON, a form
//! or multipart parts. Item files are read here; a body file is only checked, to stream later.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::{expand_tilde, read_text, BodySpec, Part};
use crate::cli::items::{self, Item, ItemKind};
use crate::cli::{nested, Cli};
use crate::env::Env;
use crate::error::usage;

/// The body from data items, `--raw`, an `@file` item or stdin: exactly one source, and
/// data items become JSON unless `--form`/`--multipart` (or a file field) says otherwise.
pub fn resolve(cli: &Cli, env: &Env, items: &[Item]) -> Result<BodySpec> {
    let data: Vec<&Item> = items.iter().filter(|i| i.is_data()).collect();
    if let Some(body) = raw_body(cli, env, items, &data)? {
        return Ok(body);
    }
    let has_files = data.iter().any(|i| i.kind == ItemKind::File);
    if cli.multipart || (cli.form && has_files) {
        return multipart_body(&data, env);
    }
    if has_files {
        let names: Vec<&str> = data
            .iter()
            .filter(|i| i.kind == ItemKind::File)
            .map(|i| i.key.as_str())
            .collect();
        return Err(usage(format!(
            "file fields need --form or --multipart: {}",
            names.join(", ")
        )));
    }
    if data.is_empty() {
        return Ok(BodySpec::Empty);
    }
    if cli.form {
        let mut pairs = Vec::new();
        for item in data {
            pairs.push((item.key.clone(), form_value(item, env)?));
        }
        return Ok(BodySpec::Form(pairs));
    }
    json_body(&data, env)
}

/// A body from `--raw`, an `@file` item or stdin, if one of them (and only one, and no data
/// items) gives it.
/// `-w @-` reads its format from stdin, which then carries no body.
fn format_from_stdin(cli: &Cli) -> bool {
    cli.write_out.as_deref() == Some("@-")
}

fn raw_body(cli: &Cli, env: &Env, items: &[Item], data: &[&Item]) -> Result<Option<BodySpec>> {
    let body_files: Vec<&Item> = items
        .iter()
        .filter(|i| i.kind == ItemKind::File && i.key.is_empty())
        .collect();
    if body_files.len() > 1 {
        return Err(usage("only one '@file' item can be the request body"));
    }
    let stdin = !cli.ignore_stdin && env.stdin_has_data && !format_from_stdin(cli);
    let mut sources = Vec::new();
    if stdin {
        sources.push("stdin".to_string());
    }
    if cli.raw.is_some() {
        sources.push("--raw".to_string());
    }
    sources.extend(body_files.iter().map(|i| format!("'{}'", i.raw)));
    let leave_stdin = if stdin {
        " (pass --ignore-stdin to leave stdin alone)"
    } else {
        ""
    };
    if sources.len() > 1 {
        return Err(usage(format!(
            "only one request body source can be used, got {}{leave_stdin}",
            sources.join(" and ")
        )));
    }
    if let (Some(source), false) = (sources.first(), data.is_empty()) {
        let items: Vec<&str> = data.iter().map(|i| i.raw.as_str()).collect();
        return Err(usage(format!(
            "cannot mix a request body from {source} with data items ({}){leave_stdin}",
            items.join(" ")
        )));
    }
    if let Some(raw) = &cli.raw {
        return Ok(Some(BodySpec::Bytes(raw.clone().into_bytes())));
    }
    if let Some(item) = body_files.first() {
        let (path, mime) = items::split_file_type(&item.value);
        let path = expand_tilde(path, env);
        std::fs::metadata(&path).map_err(|e| {
            usage(format!(
                "cannot read body file '{}': {}",
                path.display(),
                crate::error::plain_io(&e)
            ))
        })?;
        let mime = mime.map(str::to_string);
        return Ok(Some(BodySpec::File { path, mime }));
    }
    if !stdin {
        return Ok(None);
    }
    Ok(Some(match read_stdin(env)? {
        crate::spool::Stdin::Memory(b) if b.is_empty() => BodySpec::Empty,
        crate::spool::Stdin::Memory(b) => BodySpec::Bytes(b),
        crate::spool::Stdin::Spooled(s) => BodySpec::Spooled(s),
    }))
}

/// A piped stdin that never sends anything (a script run from ssh, a subprocess with an open
/// pipe) would hang silently: after a while without a first byte, say why we are waiting.
const STDIN_WARN_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

/// A reader that reports its first byte on a channel.
struct FirstByte<R> {
    inner: R,
    seen: Option<std::sync::mpsc::Sender<()>>,
}

impl<R: std::io::Read> std::io::Read for FirstByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.take();
        Ok(n)
    }
}

fn read_stdin(env: &Env) -> Result<crate::spool::Stdin> {
    let (seen, wait) = std::sync::mpsc::channel::<()>();
    let program = env.program.clone();
    std::thread::spawn(move || {
        // Any outcome but a timeout (data, EOF, an error, the sender dropped) means no warning.
        if wait.recv_timeout(STDIN_WARN_AFTER) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            eprintln!(
                "{program}: warning: no stdin data read in {}s (perhaps you want --ignore-stdin)",
                STDIN_WARN_AFTER.as_secs()
            );
        }
    });
    let mut input = FirstByte {
        inner: std::io::stdin().lock(),
        seen: Some(seen),
    };
    crate::spool::read_all(&mut input, crate::spool::MEMORY_LIMIT)
        .context("cannot read the request body from stdin")
}

fn json_body(data: &[&Item], env: &Env) -> Result<BodySpec> {
    let mut pairs = Vec::with_capacity(data.len());
    for item in data {
        let value = match item.kind {
            ItemKind::Data => Value::String(item.value.clone()),
            ItemKind::DataFile => {
                Value::String(read_text(&expand_tilde(&item.value, env), "data")?)
            }
            ItemKind::Json => parse_json(&item.value, &item.raw)?,
            ItemKind::JsonFile => {
                let path = expand_tilde(&item.value, env);
                let text = read_text(&path, "JSON")?;
                parse_json(&text, &item.raw)?
            }
            _ => continue,
        };
        pairs.push((item.key.clone(), value));
    }
    let body = nested::build(&pairs).map_err(|e| usage(e.to_string()))?;
    Ok(BodySpec::Json(body))
}

fn parse_json(text: &str, raw: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| usage(format!("'{raw}': invalid JSON: {e}")))
}

/// A data item's value as form text. `:=` values must be scalars; unlike HTTPie, `true`
/// stays `true` (not Python's `True`).
fn form_value(item: &Item, env: &Env) -> Result<String> {
    let json = match item.kind {
        ItemKind::Data => return Ok(item.value.clone()),
        ItemKind::DataFile => return read_text(&expand_tilde(&item.value, env), "data"),
        ItemKind::Json => parse_json(&item.value, &item.raw)?,
        ItemKind::JsonFile => parse_json(
            &read_text(&expand_tilde(&item.value, env), "JSON")?,
            &item.raw,
        )?,
        _ => return Ok(item.value.clone()),
    };
    match json {
        Value::String(s) => Ok(s),
        Value::Null => Ok(String::new()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(_) | Value::Object(_) => Err(usage(format!(
            "'{}': cannot use complex JSON value types with --form/--multipart",
            item.raw
        ))),
    }
}

fn multipart_body(data: &[&Item], env: &Env) -> Result<BodySpec> {
    let mut parts = Vec::new();
    for item in data {
        if item.kind != ItemKind::File {
            parts.push(Part::Text {
                name: item.key.clone(),
                value: form_value(item, env)?,
            });
            continue;
        }
        let (path, mime) = items::split_file_type(&item.value);
        let path = expand_tilde(path, env);
        std::fs::metadata(&path).map_err(|e| {
            usage(format!(
                "cannot read file '{}': {}",
                path.display(),
                crate::error::plain_io(&e)
            ))
        })?;
        let filename = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mime = mime.map(str::to_string).unwrap_or_else(|| {
            guess_mime(&path)
                .unwrap_or("application/octet-stream")
                .into()
        });
        parts.push(Part::File {
            name: item.key.clone(),
            path,
            filename,
            mime,
        });
    }
    Ok(BodySpec::Multipart(parts))
}

/// The MIME type for a file name, if its extension is known.
pub fn guess_mime(path: &Path) -> Option<&'static str> {
    mime_guess::from_path(path).first_raw()
}
