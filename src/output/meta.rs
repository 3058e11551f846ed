//! The `--meta` (`-m`, `-vv`) block: elapsed time, the phases of the exchange and the remote
//! address. Piped or redirected it is plain text ([`text`]); on a terminal the phases are
//! drawn as a waterfall ([`waterfall`]), the way httpstat does for curl.

use std::time::{Duration, Instant};

use super::theme::{Paint, Theme};
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
    for line in protocol_line(t).into_iter().chain(remote_line(t)) {
        out.push('\n');
        out.push_str(&line);
    }
    out
}

/// `Protocol: HTTP/2 (ALPN)`, when HTTP/2 was asked for.
fn protocol_line(t: &Timings) -> Option<String> {
    t.protocol.map(|p| format!("Protocol: {p}"))
}

/// `Remote address: ADDR`, saying when the exchange went over a kept-alive connection that
/// an earlier one opened (so it has no DNS, connect or TLS time).
fn remote_line(t: &Timings) -> Option<String> {
    let reused = if t.reused { " (reused connection)" } else { "" };
    match &t.remote {
        Some(addr) => Some(format!("Remote address: {addr}{reused}")),
        None if t.reused => Some("Reused connection".to_string()),
        None => None,
    }
}

/// The waterfall's bar is as wide as the terminal, up to this.
pub const MAX_WIDTH: usize = 120;

/// One phase of the waterfall: full and short names, and the glyph of its bar.
struct PhaseKind {
    name: &'static str,
    short: &'static str,
    glyph: char,
}

/// In order; the index is also the phase's colour in [`Theme::phases`].
const KINDS: [PhaseKind; 6] = [
    PhaseKind {
        name: "DNS lookup",
        short: "DNS",
        glyph: '░',
    },
    PhaseKind {
        name: "TCP connect",
        short: "TCP",
        glyph: '▒',
    },
    PhaseKind {
        name: "TLS handshake",
        short: "TLS",
        glyph: '▓',
    },
    PhaseKind {
        name: "Sending request",
        short: "Send",
        glyph: '▌',
    },
    PhaseKind {
        name: "Server processing",
        short: "Server",
        glyph: '█',
    },
    PhaseKind {
        name: "Content transfer",
        short: "Transfer",
        glyph: '▄',
    },
];

/// The phases that can be measured, as (index into [`KINDS`], duration). Each runs from the
/// end of the one before (or the start) to its own recorded moment, so together they cover
/// the elapsed time exactly; a phase whose moment was not recorded (a reused connection has
/// no DNS, connect or TLS) is left out, and its time goes to the next one:
/// DNS lookup ends when connecting starts, TCP connect when the TCP connection (or proxy
/// tunnel) is up, TLS handshake (TLS connections only) when the connection is ready, sending
/// with the last write of the request, server processing with the first response byte and
/// content transfer at `now` (after the body was read).
fn phases(t: &Timings, now: Instant) -> Vec<(usize, Duration)> {
    let ends = [
        t.connect_start,
        t.tcp_done,
        t.connected.filter(|_| t.tls),
        t.sent,
        t.first_byte,
        Some(now),
    ];
    let mut prev = t.started.unwrap_or(now);
    let mut out = Vec::new();
    for (i, end) in ends.into_iter().enumerate() {
        if let Some(end) = end {
            let end = end.max(prev);
            out.push((i, end - prev));
            prev = end;
        }
    }
    out
}

/// A duration for the waterfall: microseconds below a millisecond, milliseconds below a
/// second, else seconds.
pub fn human(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// Split `width` cells among `parts` in proportion (largest remainder): the widths sum to
/// `width` exactly, unless every part is zero (then all widths are zero).
pub fn apportion(parts: &[Duration], width: usize) -> Vec<usize> {
    let total: u128 = parts.iter().map(Duration::as_nanos).sum();
    if total == 0 {
        return vec![0; parts.len()];
    }
    let exact: Vec<u128> = parts.iter().map(|p| p.as_nanos() * width as u128).collect();
    let mut widths: Vec<usize> = exact.iter().map(|e| (e / total) as usize).collect();
    let mut left = width - widths.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    // Largest remainder first; ties to the earlier phase.
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i] % total));
    for i in order {
        if left == 0 {
            break;
        }
        widths[i] += 1;
        left -= 1;
    }
    widths
}

fn paint(out: &mut String, paint: Option<&Paint>, text: &str) {
    match paint {
        Some(p) if !p.is_none() => {
            let mut bytes = Vec::new();
            p.wrap(&mut bytes, text.as_bytes());
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
        _ => out.push_str(text),
    }
}

/// Columns packed into rows that `fits` (at least one column a row).
fn pack_rows<T>(cells: &[T], fits: impl Fn(&[T]) -> bool) -> Vec<&[T]> {
    let mut rows = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut end = start + 1;
        while end < cells.len() && fits(&cells[start..=end]) {
            end += 1;
        }
        rows.push(&cells[start..end]);
        start = end;
    }
    rows
}

/// The legend: one column per phase, its glyph and name over its duration. Full names when
/// all columns fit in `width` on one row, else short names, wrapped to more rows if need be.
fn legend(phases: &[(usize, Duration)], width: usize, theme: Option<&Theme>) -> String {
    const GAP: usize = 2;
    let cells = |short: bool| -> Vec<(usize, String, String)> {
        phases
            .iter()
            .map(|&(i, d)| {
                let name = if short { KINDS[i].short } else { KINDS[i].name };
                (i, name.to_string(), format!("  {}", human(d)))
            })
            .collect()
    };
    let col = |(_, name, dur): &(usize, String, String)| {
        (name.chars().count() + 2).max(dur.chars().count())
    };
    let row_width = |c: &[(usize, String, String)]| -> usize {
        c.iter().map(col).sum::<usize>() + GAP * c.len().saturating_sub(1)
    };
    let full = cells(false);
    let cells = if row_width(&full) <= width {
        full
    } else {
        cells(true)
    };
    let rows = pack_rows(&cells, |r| row_width(r) <= width);
    let mut out = String::new();
    for row in rows {
        let mut names = String::new();
        let mut durs = String::new();
        for (n, cell) in row.iter().enumerate() {
            let w = col(cell);
            let (i, name, dur) = cell;
            if n > 0 {
                names.push_str(&" ".repeat(GAP));
                durs.push_str(&" ".repeat(GAP));
            }
            paint(
                &mut names,
                theme.map(|t| &t.phases[*i]),
                &KINDS[*i].glyph.to_string(),
            );
            names.push(' ');
            names.push_str(name);
            let pad = w - name.chars().count() - 2;
            names.push_str(&" ".repeat(pad));
            durs.push_str(dur);
            durs.push_str(&" ".repeat(w - dur.chars().count()));
        }
        out.push_str(names.trim_end());
        out.push('\n');
        out.push_str(durs.trim_end());
        out.push('\n');
    }
    out
}

/// The block for a terminal, timed up to `now`: the elapsed time, a legend of the phases
/// with their durations, a bar `width` cells wide split among the phases in proportion to
/// their share of the total (each in its glyph and colour), and the remote address. With no
/// theme, or one without phase colours (mono), there are no escape sequences: the glyphs
/// tell the phases apart.
pub fn waterfall(t: &Timings, now: Instant, width: usize, theme: Option<&Theme>) -> String {
    let start = t.started.unwrap_or(now);
    let meta = theme.map(|t| &t.meta);
    let mut out = String::new();
    paint(
        &mut out,
        meta,
        &format!(
            "Elapsed time: {:.6}s",
            now.duration_since(start).as_secs_f64()
        ),
    );
    out.push('\n');
    let phases = phases(t, now);
    out.push_str(&legend(&phases, width, theme));
    let durations: Vec<Duration> = phases.iter().map(|p| p.1).collect();
    let widths = apportion(&durations, width);
    if widths.iter().any(|&w| w > 0) {
        for (&(i, _), &w) in phases.iter().zip(&widths) {
            if w > 0 {
                let seg: String = std::iter::repeat_n(KINDS[i].glyph, w).collect();
                paint(&mut out, theme.map(|t| &t.phases[i]), &seg);
            }
        }
        out.push('\n');
    }
    for line in protocol_line(t).into_iter().chain(remote_line(t)) {
        paint(&mut out, meta, &line);
        out.push('\n');
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_in_order() {
        let start = Instant::now();
        let at = |ms| Some(start + Duration::from_millis(ms));
        let t = Timings {
            started: Some(start),
            connect_start: at(1),
            tcp_done: at(3),
            connected: at(3),
            tls: false,
            sent: at(4),
            first_byte: at(10),
            remote: "127.0.0.1:80".parse().ok().map(crate::message::Remote::Tcp),
            local: None,
            reused: false,
            protocol: None,
        };
        let shown = text(&t, start + Duration::from_millis(12));
        assert_eq!(
            shown,
            "Elapsed time: 0.012000s\n  dns 0.001000s, connect 0.002000s, first byte 0.010000s\n\
             Remote address: 127.0.0.1:80"
        );
        let h2 = Timings {
            protocol: Some("HTTP/2 (ALPN)"),
            ..t
        };
        let shown = text(&h2, start + Duration::from_millis(12));
        assert!(
            shown.ends_with("\nProtocol: HTTP/2 (ALPN)\nRemote address: 127.0.0.1:80"),
            "{shown}"
        );
    }

    use crate::output::theme::Style;

    /// DNS 1ms, TCP 2ms, TLS 3ms, sending 1ms, server 10ms, transfer 3ms: 20ms in all.
    fn tls_exchange() -> (Timings, Instant) {
        let start = Instant::now();
        let at = |ms| Some(start + Duration::from_millis(ms));
        let t = Timings {
            started: Some(start),
            connect_start: at(1),
            tcp_done: at(3),
            connected: at(6),
            tls: true,
            sent: at(7),
            first_byte: at(17),
            remote: "127.0.0.1:443"
                .parse()
                .ok()
                .map(crate::message::Remote::Tcp),
            local: None,
            reused: false,
            protocol: None,
        };
        (t, start + Duration::from_millis(20))
    }

    fn glyph_count(s: &str, c: char) -> usize {
        s.chars().filter(|&x| x == c).count()
    }

    /// The bar line: the one made only of phase glyphs.
    fn bar(s: &str) -> &str {
        s.lines()
            .find(|l| !l.is_empty() && l.chars().all(|c| KINDS.iter().any(|k| k.glyph == c)))
            .unwrap_or_else(|| panic!("no bar in\n{s}"))
    }

    #[test]
    fn waterfall_names_every_phase_with_its_duration() {
        let (t, now) = tls_exchange();
        // The full names take 104 columns.
        let shown = waterfall(&t, now, 104, None);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "Elapsed time: 0.020000s");
        assert_eq!(
            lines[1],
            "░ DNS lookup  ▒ TCP connect  ▓ TLS handshake  ▌ Sending request  \
             █ Server processing  ▄ Content transfer"
        );
        assert_eq!(
            lines[2],
            "  1.0ms         2.0ms          3.0ms            1.0ms              \
             10.0ms               3.0ms"
        );
        assert_eq!(lines.last(), Some(&"Remote address: 127.0.0.1:443"));
        assert_eq!(lines.len(), 5, "{shown}");
        let narrower = waterfall(&t, now, 103, None);
        assert!(narrower.contains("░ DNS    ▒ TCP    ▓ TLS"), "{narrower}");
    }

    #[test]
    fn waterfall_bar_is_proportional_and_fills_the_width() {
        let (t, now) = tls_exchange();
        // 20ms over 100 cells: 5 cells a millisecond.
        let shown = waterfall(&t, now, 100, None);
        let line = bar(&shown);
        assert_eq!(line.chars().count(), 100);
        let widths: Vec<usize> = KINDS.iter().map(|k| glyph_count(line, k.glyph)).collect();
        assert_eq!(widths, [5, 10, 15, 5, 50, 15]);
        // In phase order, each phase one run.
        let expected: String = KINDS
            .iter()
            .zip(&widths)
            .flat_map(|(k, &w)| std::iter::repeat_n(k.glyph, w))
            .collect();
        assert_eq!(line, expected);
        // An awkward width still sums exactly.
        for width in [7, 33, 61, 99] {
            let shown = waterfall(&t, now, width, None);
            assert_eq!(bar(&shown).chars().count(), width, "{shown}");
        }
    }

    #[test]
    fn apportion_sums_to_the_width_and_follows_the_shares() {
        let ms = Duration::from_millis;
        assert_eq!(apportion(&[ms(1), ms(1), ms(1)], 10), [4, 3, 3]);
        assert_eq!(apportion(&[ms(0), ms(3), ms(1)], 8), [0, 6, 2]);
        assert_eq!(apportion(&[ms(0), ms(0)], 8), [0, 0]);
        let parts = [ms(13), ms(1), ms(977), ms(9)];
        for width in 1..120 {
            let w = apportion(&parts, width);
            assert_eq!(w.iter().sum::<usize>(), width);
            // Never more than one cell off the exact share.
            for (p, w) in parts.iter().zip(&w) {
                let exact = p.as_secs_f64() / 1.0 * width as f64;
                assert!((*w as f64 - exact).abs() < 1.0, "{width}: {w} vs {exact}");
            }
        }
    }

    #[test]
    fn waterfall_leaves_out_phases_that_were_not_measured() {
        // A plain-HTTP exchange on a reused connection: no DNS, connect or TLS moments.
        let start = Instant::now();
        let at = |ms| Some(start + Duration::from_millis(ms));
        let t = Timings {
            started: Some(start),
            sent: at(2),
            first_byte: at(8),
            ..Timings::default()
        };
        let shown = waterfall(&t, start + Duration::from_millis(10), 80, None);
        for absent in ["DNS", "TCP", "TLS", "Remote address"] {
            assert!(!shown.contains(absent), "{absent} in\n{shown}");
        }
        for present in ["Sending request", "Server processing", "Content transfer"] {
            assert!(shown.contains(present), "{present} in\n{shown}");
        }
        assert_eq!(bar(&shown).chars().count(), 80);
        assert_eq!(glyph_count(bar(&shown), '█'), 48);
        // Not TLS: the connected moment is no phase of its own.
        let (mut t, now) = tls_exchange();
        t.tls = false;
        let shown = waterfall(&t, now, 100, None);
        assert!(!shown.contains("TLS"), "{shown}");
        assert_eq!(glyph_count(bar(&shown), '▌'), 20, "sending from TCP done");
    }

    #[test]
    fn waterfall_fits_narrow_terminals() {
        let (t, now) = tls_exchange();
        for width in [30, 50, 80] {
            let shown = waterfall(&t, now, width, None);
            for line in shown
                .lines()
                .filter(|l| !l.starts_with("Elapsed") && !l.starts_with("Remote"))
            {
                assert!(line.chars().count() <= width, "{width}: {line:?}\n{shown}");
            }
            assert!(
                shown.contains("Server") && shown.contains("10.0ms"),
                "{shown}"
            );
        }
        // Wrapped to two rows of short names at 30 columns.
        let shown = waterfall(&t, now, 30, None);
        assert_eq!(
            shown
                .lines()
                .filter(|l| l.contains("░ DNS") || l.contains("█ Server"))
                .count(),
            2,
            "{shown}"
        );
    }

    #[test]
    fn waterfall_colours_phases_only_with_a_colour_theme() {
        let (t, now) = tls_exchange();
        for theme in [None, Some(Theme::new(Style::Mono)), Some(Theme::PLAIN)] {
            let shown = waterfall(&t, now, 60, theme.as_ref());
            assert_eq!(bar(&shown).chars().count(), 60);
            assert!(
                !shown.contains("\x1b[3") && !shown.contains("\x1b[38"),
                "no colour codes: {shown:?}"
            );
        }
        assert!(!waterfall(&t, now, 60, None).contains('\x1b'));
        let theme = Theme::new(Style::Auto);
        let shown = waterfall(&t, now, 100, Some(&theme));
        for (i, k) in KINDS.iter().enumerate() {
            let on = String::from_utf8(theme.phases[i].on.clone()).unwrap();
            assert!(!on.is_empty());
            assert!(
                shown.contains(&format!("{on}{}", k.glyph)),
                "{} coloured",
                k.name
            );
        }
        // Colour or not, the same text.
        let strip = |s: &str| {
            let mut out = String::new();
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    for c in chars.by_ref() {
                        if c == 'm' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            out
        };
        assert_eq!(strip(&shown), waterfall(&t, now, 100, None));
    }

    #[test]
    fn a_reused_connection_says_so() {
        let now = Instant::now();
        let t = Timings {
            started: Some(now),
            sent: Some(now),
            first_byte: Some(now),
            reused: true,
            remote: "127.0.0.1:80".parse().ok().map(crate::message::Remote::Tcp),
            ..Timings::default()
        };
        let want = "Remote address: 127.0.0.1:80 (reused connection)";
        assert!(text(&t, now).ends_with(want), "{}", text(&t, now));
        assert!(waterfall(&t, now, 40, None).ends_with(want));
        let bare = Timings { remote: None, ..t };
        assert!(text(&bare, now).ends_with("\nReused connection"));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_micros(250)), "250µs");
        assert_eq!(human(Duration::from_micros(12_340)), "12.3ms");
        assert_eq!(human(Duration::from_millis(2_500)), "2.50s");
    }
}
