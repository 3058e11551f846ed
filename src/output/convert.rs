//! `--as=curl` and `--as=python` (pure): the prepared request as an equivalent curl command
//! or Python `requests` code, so a user can move between the terminal and a script.

use std::io::Read;

use serde_json::Value;

use crate::cli::AuthType;
use crate::prepare::{PreparedRequest, Segment};
use crate::spec::{BodySpec, Part, RequestSpec};

/// Headers the other tool computes itself.
fn skip(name: &str) -> bool {
    ["host", "content-length"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// A POSIX shell word.
fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,%+".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn body_text(req: &PreparedRequest) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    req.body.reader().ok()?.read_to_end(&mut out).ok()?;
    Some(out)
}

fn secs(v: f64) -> String {
    crate::error::seconds(v).trim_end_matches('s').to_string()
}

/// An equivalent curl command line.
pub fn curl(spec: &RequestSpec, req: &PreparedRequest) -> String {
    let mut args: Vec<String> = vec!["curl".into()];
    let multipart = matches!(spec.body, BodySpec::Multipart(_));
    match (req.method.as_str(), req.body.is_empty()) {
        ("HEAD", _) => args.push("--head".into()),
        ("GET", true) => {}
        (m, _) => args.extend(["--request".into(), sh(m)]),
    }
    args.push(sh(&format!(
        "{}://{}{}",
        req.url.scheme(),
        crate::message::authority(&req.url),
        req.target
    )));
    let digest = spec.auth.as_ref().filter(|a| a.kind == AuthType::Digest);
    for (name, value) in &req.headers {
        if skip(name) || (multipart && name.eq_ignore_ascii_case("content-type")) {
            continue;
        }
        let value = String::from_utf8_lossy(value);
        // curl drops a header given as "Name:"; "Name;" sends it empty.
        let header = if value.is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {value}")
        };
        args.extend(["--header".into(), sh(&header)]);
    }
    // curl adds these itself unless told not to; the request may have removed them.
    for default in ["User-Agent", "Accept"] {
        if req.header(default).is_none() {
            args.extend(["--header".into(), sh(&format!("{default}:"))]);
        }
    }
    if let Some(a) = digest {
        args.extend([
            "--digest".into(),
            "--user".into(),
            sh(&format!(
                "{}:{}",
                a.user,
                a.password.as_deref().unwrap_or("")
            )),
        ]);
    }
    match &spec.body {
        BodySpec::Multipart(parts) => {
            for part in parts {
                let form = match part {
                    Part::Text { name, value } => format!("{name}={value}"),
                    Part::File {
                        name, path, mime, ..
                    } => format!("{name}=@{};type={mime}", path.display()),
                };
                args.extend(["--form".into(), sh(&form)]);
            }
        }
        BodySpec::File { path, .. } if req.header("content-encoding").is_none() => {
            args.extend(["--data-binary".into(), sh(&format!("@{}", path.display()))]);
        }
        // A large body from stdin: curl reads it from stdin too.
        BodySpec::Spooled(_) if req.header("content-encoding").is_none() => {
            args.extend(["--data-binary".into(), "@-".into()]);
        }
        _ if !req.body.is_empty() => {
            let bytes = body_text(req).unwrap_or_default();
            match String::from_utf8(bytes) {
                Ok(text) if !text.contains('\0') => args.extend(["--data-raw".into(), sh(&text)]),
                _ => {
                    args.push("--data-binary @body.bin  # binary body: save it as body.bin".into())
                }
            }
        }
        _ => {}
    }
    let net = &spec.net;
    if let Some(c) = net.timeout.connect {
        args.extend(["--connect-timeout".into(), secs(c)]);
    }
    if let Some(r) = net.timeout.read {
        // curl has no idle-read limit; "slower than 1 byte/s for R seconds" is the closest.
        args.extend([
            "--speed-limit".into(),
            "1".into(),
            "--speed-time".into(),
            secs(r.ceil()),
        ]);
    }
    if net.follow {
        args.extend([
            "--location".into(),
            "--max-redirs".into(),
            net.max_redirects.to_string(),
        ]);
    }
    if matches!(net.verify, Some(crate::cli::values::Verify::No)) {
        args.push("--insecure".into());
    }
    if let Some(crate::cli::values::Verify::CaBundle(p)) = &net.verify {
        args.extend(["--cacert".into(), sh(&p.display().to_string())]);
    }
    args.join(" ")
}

/// A Python string literal (JSON string syntax is valid Python).
fn py_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "''".into())
}

fn py_bytes(b: &[u8]) -> String {
    let mut out = String::from("b'");
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('\'');
    out
}

fn py_value(v: &Value, indent: usize, out: &mut String) {
    let pad = "    ".repeat(indent + 1);
    let close = "    ".repeat(indent);
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&py_str(s)),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push_str("[\n");
            for item in a {
                out.push_str(&pad);
                py_value(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&close);
            out.push(']');
        }
        Value::Object(o) => {
            out.push_str("{\n");
            for (k, item) in o {
                out.push_str(&format!("{pad}{}: ", py_str(k)));
                py_value(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&close);
            out.push('}');
        }
    }
}

fn py_pairs(pairs: &[(String, String)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("        ({}, {}),\n", py_str(k), py_str(v)))
        .collect();
    format!("[\n{}    ]", items.concat())
}

/// Equivalent Python `requests` code.
pub fn python(spec: &RequestSpec, req: &PreparedRequest) -> String {
    let mut imports = vec!["import requests".to_string()];
    let mut url = req.url.clone();
    let params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    let mut args = vec![py_str(&req.method), py_str(url.as_str())];
    if !params.is_empty() {
        args.push(format!("params={}", py_pairs(&params)));
    }
    let auth = spec.auth.as_ref().filter(|a| a.kind != AuthType::Bearer);
    let multipart = matches!(spec.body, BodySpec::Multipart(_));
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(n, _)| !skip(n))
        .filter(|(n, _)| !(auth.is_some() && n.eq_ignore_ascii_case("authorization")))
        .filter(|(n, _)| !(multipart && n.eq_ignore_ascii_case("content-type")))
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    if !headers.is_empty() {
        let lines: Vec<String> = headers
            .iter()
            .map(|(k, v)| format!("        {}: {},\n", py_str(k), py_str(v)))
            .collect();
        args.push(format!("headers={{\n{}    }}", lines.concat()));
    }
    let compressed = req.header("content-encoding").is_some();
    match &spec.body {
        BodySpec::Json(v) if !compressed => {
            let mut s = String::new();
            py_value(v, 1, &mut s);
            args.push(format!("json={s}"));
        }
        BodySpec::Form(pairs) if !compressed => args.push(format!("data={}", py_pairs(pairs))),
        BodySpec::Multipart(parts) => {
            let mut data = Vec::new();
            let mut files = Vec::new();
            for part in parts {
                match part {
                    Part::Text { name, value } => data.push((name.clone(), value.clone())),
                    Part::File {
                        name,
                        path,
                        filename,
                        mime,
                    } => files.push(format!(
                        "        ({}, ({}, open({}, \"rb\"), {})),\n",
                        py_str(name),
                        py_str(filename),
                        py_str(&path.display().to_string()),
                        py_str(mime)
                    )),
                }
            }
            if !data.is_empty() {
                args.push(format!("data={}", py_pairs(&data)));
            }
            args.push(format!("files=[\n{}    ]", files.concat()));
        }
        BodySpec::File { path, .. } if !compressed => args.push(format!(
            "data=open({}, \"rb\")",
            py_str(&path.display().to_string())
        )),
        BodySpec::Spooled(_) if !compressed => {
            imports.insert(0, "import sys".into());
            args.push("data=sys.stdin.buffer".into());
        }
        _ if !req.body.is_empty() => {
            let bytes = match req.body.segments.as_slice() {
                [Segment::Bytes(b)] => b.clone(),
                _ => body_text(req).unwrap_or_default(),
            };
            args.push(format!("data={}", py_bytes(&bytes)));
        }
        _ => {}
    }
    if let Some(a) = auth {
        let pair = format!(
            "{}, {}",
            py_str(&a.user),
            py_str(a.password.as_deref().unwrap_or(""))
        );
        if a.kind == AuthType::Digest {
            imports.push("from requests.auth import HTTPDigestAuth".into());
            args.push(format!("auth=HTTPDigestAuth({pair})"));
        } else {
            args.push(format!("auth=({pair})"));
        }
    }
    let net = &spec.net;
    let t = |v: Option<f64>| v.map_or("None".to_string(), secs);
    if net.timeout.connect.is_some() || net.timeout.read.is_some() {
        args.push(format!(
            "timeout=({}, {})",
            t(net.timeout.connect),
            t(net.timeout.read)
        ));
    }
    match &net.verify {
        Some(crate::cli::values::Verify::No) => args.push("verify=False".into()),
        Some(crate::cli::values::Verify::CaBundle(p)) => {
            args.push(format!("verify={}", py_str(&p.display().to_string())))
        }
        _ => {}
    }
    args.push(format!(
        "allow_redirects={}",
        if net.follow { "True" } else { "False" }
    ));
    let body: Vec<String> = args.iter().map(|a| format!("    {a},\n")).collect();
    format!(
        "{}\n\nresponse = requests.request(\n{})\nprint(response.status_code, response.reason)\nprint(response.text)\n",
        imports.join("\n"),
        body.concat()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(args: &[&str]) -> (String, String) {
        let spec = crate::spec::for_args(args).unwrap();
        let req = crate::prepare::prepare(&spec).unwrap();
        (curl(&spec, &req), python(&spec, &req))
    }

    #[test]
    fn curl_command() {
        let (c, _) = both(&[
            "POST",
            "example.org/x",
            "q==1",
            "a=it's",
            "X-Empty;",
            "--timeout",
            "2,5",
        ]);
        assert_eq!(
            c,
            "curl --request POST 'http://example.org/x?q=1' --header 'User-Agent: http/0.1.0' \
             --header 'Accept-Encoding: gzip, deflate, br, zstd' \
             --header 'Accept: application/json, */*;q=0.5' --header 'Content-Type: application/json' \
             --header 'X-Empty;' --data-raw '{\"a\": \"it'\\''s\"}' --connect-timeout 2 \
             --speed-limit 1 --speed-time 5"
        );
    }

    #[test]
    fn python_code() {
        let (_, p) = both(&[
            "-a",
            "u:p",
            "example.org/x",
            "q==1",
            "n:=1.10",
            "ok:=true",
            "z:=null",
        ]);
        assert!(p.starts_with("import requests\n\nresponse = requests.request(\n    \"POST\",\n    \"http://example.org/x\",\n"), "{p}");
        assert!(
            p.contains("params=[\n        (\"q\", \"1\"),\n    ]"),
            "{p}"
        );
        assert!(
            p.contains(
                "json={\n        \"n\": 1.10,\n        \"ok\": True,\n        \"z\": None,\n    }"
            ),
            "{p}"
        );
        assert!(p.contains("auth=(\"u\", \"p\")"), "{p}");
        assert!(!p.contains("Authorization"), "{p}");
    }
}
