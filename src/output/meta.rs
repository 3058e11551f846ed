//! The `--meta` (`-m`, `-vv`) block: elapsed time, the phases of the exchange and the remote
//! address.

use std::time::Instant;

use crate::message::Timings;

/// The block's text, timed up to `now`.
pub fn text(t: &Timings, now: Instant) -> String {
    let start = t.started.unwrap_or(now);
    let secs = |t: Option<Instant>| t.map(|t| t.duration_since(start).as_secs_f64());
    let mut out = format!(
        "Elapsed time: {:.6}s",
        now.duration_since(start).as_secs_f64()
    );
    let mut parts = Vec::new();
    if let Some(d) = secs(t.connect_start) {
        parts.push(format!("dns {d:.6}s"));
    }
    if let (Some(a), Some(b)) = (secs(t.connect_start), secs(t.tcp_done)) {
        parts.push(format!("connect {:.6}s", b - a));
    }
    if let (Some(a), Some(b)) = (secs(t.tcp_done), secs(t.connected)) {
        if b - a > 0.0001 {
            parts.push(format!("tls {:.6}s", b - a));
        }
    }
    if let Some(f) = secs(t.first_byte) {
        parts.push(format!("first byte {f:.6}s"));
    }
    if !parts.is_empty() {
        out.push_str(&format!("\n  {}", parts.join(", ")));
    }
    if let Some(addr) = &t.remote {
        out.push_str(&format!("\nRemote address: {addr}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn phases_in_order() {
        let start = Instant::now();
        let at = |ms| Some(start + Duration::from_millis(ms));
        let t = Timings {
            started: Some(start),
            connect_start: at(1),
            tcp_done: at(3),
            connected: at(3),
            first_byte: at(10),
            remote: "127.0.0.1:80".parse().ok().map(crate::message::Remote::Tcp),
        };
        let shown = text(&t, start + Duration::from_millis(12));
        assert_eq!(
            shown,
            "Elapsed time: 0.012000s\n  dns 0.001000s, connect 0.002000s, first byte 0.010000s\n\
             Remote address: 127.0.0.1:80"
        );
    }
}
