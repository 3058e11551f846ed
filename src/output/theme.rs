//! Colour palettes for terminal output.
//!
//! A [`Theme`] holds the ANSI escape bytes for every token kind, computed once, so formatters
//! write them straight into their output buffers without any per-token allocation.

use std::fmt;
use std::str::FromStr;

/// A named palette, as chosen with `--style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// The 16 basic ANSI colours only, readable on dark and light terminals alike.
    #[default]
    Auto,
    /// Solarized accent colours (256-colour codes); works on both solarized backgrounds.
    Solarized,
    /// Monokai (256-colour codes), meant for dark backgrounds.
    Monokai,
    /// No colours: bold and dim only, for monochrome displays.
    Mono,
}

const STYLES: [(&str, Style); 4] = [
    ("auto", Style::Auto),
    ("solarized", Style::Solarized),
    ("monokai", Style::Monokai),
    ("mono", Style::Mono),
];

const NAMES: [&str; 4] = ["auto", "solarized", "monokai", "mono"];

impl Style {
    /// Looks up a style by its CLI name (ASCII case-insensitive).
    pub fn from_name(s: &str) -> Option<Style> {
        STYLES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, style)| style)
    }

    /// All CLI names, default first.
    pub fn names() -> &'static [&'static str] {
        &NAMES
    }

    /// The CLI name of this style.
    pub fn name(self) -> &'static str {
        STYLES
            .iter()
            .find(|&&(_, style)| style == self)
            .map_or("auto", |&(name, _)| name)
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Style {
    type Err = String;

    fn from_str(s: &str) -> Result<Style, String> {
        Style::from_name(s).ok_or_else(|| {
            format!(
                "unknown style {s:?} (expected one of: {})",
                NAMES.join(", ")
            )
        })
    }
}

/// Escape bytes that switch a style on and back off around one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paint {
    pub on: Vec<u8>,
    pub off: Vec<u8>,
}

const RESET: &[u8] = b"\x1b[0m";

impl Paint {
    /// No styling: both sequences empty.
    pub const NONE: Paint = Paint {
        on: Vec::new(),
        off: Vec::new(),
    };

    /// A paint from SGR parameters such as `"1;34"` or `"38;5;33"`; empty means no styling.
    pub fn sgr(params: &str) -> Paint {
        if params.is_empty() {
            return Paint::NONE;
        }
        Paint {
            on: format!("\x1b[{params}m").into_bytes(),
            off: RESET.to_vec(),
        }
    }

    /// The exact sequences colored_json writes for `style`, so our colours match it.
    fn from_ansi(style: colored_json::Style) -> Paint {
        Paint {
            on: style.prefix().as_bytes().to_vec(),
            off: style.suffix().as_bytes().to_vec(),
        }
    }

    /// True when this paint writes nothing.
    pub fn is_none(&self) -> bool {
        self.on.is_empty() && self.off.is_empty()
    }

    /// Appends `text` wrapped in this paint.
    pub fn wrap(&self, out: &mut Vec<u8>, text: &[u8]) {
        out.extend_from_slice(&self.on);
        out.extend_from_slice(text);
        out.extend_from_slice(&self.off);
    }
}

/// Escape sequences for every kind of token the output stage colours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    // JSON
    pub key: Paint,
    pub string: Paint,
    pub number: Paint,
    pub boolean: Paint,
    pub null: Paint,
    /// Brackets `{}[]`.
    pub punct: Paint,
    /// Separators `,` and `:` (colored_json leaves these unstyled while bolding brackets).
    pub sep: Paint,
    // HTTP heads
    pub method: Paint,
    pub url: Paint,
    pub version: Paint,
    /// 1xx and 2xx.
    pub status_ok: Paint,
    /// 3xx.
    pub status_redirect: Paint,
    /// 4xx and 5xx (and anything out of range).
    pub status_error: Paint,
    pub reason: Paint,
    pub header_name: Paint,
    pub header_value: Paint,
    // misc
    pub meta: Paint,
    pub notice: Paint,
    /// The `--meta` waterfall's phases, in order: DNS lookup, TCP connect, TLS handshake,
    /// sending the request, server processing, content transfer.
    pub phases: [Paint; 6],
}

impl Theme {
    /// A theme that writes no escape sequences at all.
    pub const PLAIN: Theme = Theme {
        key: Paint::NONE,
        string: Paint::NONE,
        number: Paint::NONE,
        boolean: Paint::NONE,
        null: Paint::NONE,
        punct: Paint::NONE,
        sep: Paint::NONE,
        method: Paint::NONE,
        url: Paint::NONE,
        version: Paint::NONE,
        status_ok: Paint::NONE,
        status_redirect: Paint::NONE,
        status_error: Paint::NONE,
        reason: Paint::NONE,
        header_name: Paint::NONE,
        header_value: Paint::NONE,
        meta: Paint::NONE,
        notice: Paint::NONE,
        phases: [Paint::NONE; 6],
    };

    pub fn new(style: Style) -> Theme {
        match style {
            Style::Auto => auto(),
            Style::Solarized => solarized(),
            Style::Monokai => monokai(),
            Style::Mono => mono(),
        }
    }

    /// The paint for a status code, by class.
    pub fn status(&self, code: u16) -> &Paint {
        match code {
            100..=299 => &self.status_ok,
            300..=399 => &self.status_redirect,
            _ => &self.status_error,
        }
    }
}

/// Builds a theme from SGR parameter strings, in field order (JSON, then heads, then misc).
fn from_sgr(json: [&str; 7], head: [&str; 9], misc: [&str; 2]) -> Theme {
    let [key, string, number, boolean, null, punct, sep] = json.map(Paint::sgr);
    let [method, url, version, status_ok, status_redirect, status_error, reason, header_name, header_value] =
        head.map(Paint::sgr);
    let [meta, notice] = misc.map(Paint::sgr);
    Theme {
        key,
        string,
        number,
        boolean,
        null,
        punct,
        sep,
        method,
        url,
        version,
        status_ok,
        status_redirect,
        status_error,
        reason,
        header_name,
        header_value,
        meta,
        notice,
        phases: [Paint::NONE; 6],
    }
}

/// Waterfall phase colours from SGR parameters.
fn phases(sgr: [&str; 6]) -> [Paint; 6] {
    sgr.map(Paint::sgr)
}

/// Basic colours only. The JSON part is colored_json's default `Styler` (jq's look: blue
/// keys, green strings, bold brackets, bold bright-black null) with scalars coloured as
/// HTTPie and xh do: numbers cyan, booleans magenta.
fn auto() -> Theme {
    use colored_json::Color;
    let styler = colored_json::Styler {
        integer_value: Color::Cyan.foreground(),
        float_value: Color::Cyan.foreground(),
        bool_value: Color::Magenta.foreground(),
        ..colored_json::Styler::default()
    };
    let mut theme = from_sgr(
        [""; 7],
        // method, url, version, 2xx, 3xx, 4xx/5xx, reason, header name, header value
        ["1;32", "1", "34", "1;32", "1;33", "1;31", "36", "36", ""],
        // meta, notice
        ["90", "33"],
    );
    theme.key = Paint::from_ansi(styler.key);
    theme.string = Paint::from_ansi(styler.string_value);
    // With arbitrary_precision colored_json paints every number as an integer.
    theme.number = Paint::from_ansi(styler.integer_value);
    theme.boolean = Paint::from_ansi(styler.bool_value);
    theme.null = Paint::from_ansi(styler.nil_value);
    theme.punct = Paint::from_ansi(styler.object_brackets);
    theme.sep = Paint::from_ansi(styler.object_colon);
    // cyan, blue, magenta, white, yellow, green
    theme.phases = phases(["36", "34", "35", "37", "33", "32"]);
    theme
}

/// Solarized accents: blue 33, cyan 37, green 64, violet 61, yellow 136, magenta 125,
/// orange 166, red 160; greys 244/245 sit between both backgrounds. JSON: keys blue,
/// strings cyan, numbers magenta, booleans orange, null violet, punctuation grey.
fn solarized() -> Theme {
    let mut theme = from_sgr(
        [
            "38;5;33", "38;5;37", "38;5;125", "38;5;166", "38;5;61", "38;5;244", "38;5;244",
        ],
        [
            "1;38;5;64",
            "38;5;33",
            "38;5;61",
            "1;38;5;64",
            "1;38;5;136",
            "1;38;5;160",
            "38;5;37",
            "38;5;33",
            "",
        ],
        ["38;5;245", "38;5;136"],
    );
    theme.phases = phases([
        "38;5;37", "38;5;33", "38;5;61", "38;5;245", "38;5;136", "38;5;64",
    ]);
    theme
}

/// Monokai: pink 197, green 148, yellow 186, purple 141, cyan 81, orange 208, comment grey
/// 242 (null, like the other styles' dim null); punctuation keeps the terminal's own
/// foreground.
fn monokai() -> Theme {
    let mut theme = from_sgr(
        [
            "38;5;197", "38;5;186", "38;5;141", "38;5;81", "38;5;242", "", "",
        ],
        [
            "1;38;5;148",
            "1",
            "38;5;81",
            "1;38;5;148",
            "1;38;5;208",
            "1;38;5;197",
            "38;5;148",
            "38;5;197",
            "38;5;186",
        ],
        ["38;5;242", "38;5;208"],
    );
    theme.phases = phases([
        "38;5;81", "38;5;141", "38;5;197", "38;5;242", "38;5;208", "38;5;148",
    ]);
    theme
}

/// Attributes only: bold for keys and heads' landmarks, dim for null and metadata.
fn mono() -> Theme {
    from_sgr(
        ["1", "", "", "", "2", "", ""],
        ["1", "", "", "1", "1", "1", "", "1", ""],
        ["2", "1"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_paints(t: &Theme) -> Vec<(&'static str, &Paint)> {
        vec![
            ("key", &t.key),
            ("string", &t.string),
            ("number", &t.number),
            ("boolean", &t.boolean),
            ("null", &t.null),
            ("punct", &t.punct),
            ("sep", &t.sep),
            ("method", &t.method),
            ("url", &t.url),
            ("version", &t.version),
            ("status_ok", &t.status_ok),
            ("status_redirect", &t.status_redirect),
            ("status_error", &t.status_error),
            ("reason", &t.reason),
            ("header_name", &t.header_name),
            ("header_value", &t.header_value),
            ("meta", &t.meta),
            ("notice", &t.notice),
            ("phase dns", &t.phases[0]),
            ("phase tcp", &t.phases[1]),
            ("phase tls", &t.phases[2]),
            ("phase send", &t.phases[3]),
            ("phase server", &t.phases[4]),
            ("phase transfer", &t.phases[5]),
        ]
    }

    /// SGR parameters of one `ESC [ ... m` sequence.
    fn sgr_params(seq: &[u8]) -> Vec<u32> {
        let body = seq
            .strip_prefix(b"\x1b[")
            .and_then(|s| s.strip_suffix(b"m"))
            .unwrap_or_else(|| panic!("not an SGR sequence: {seq:?}"));
        std::str::from_utf8(body)
            .unwrap()
            .split(';')
            .map(|p| p.parse().unwrap())
            .collect()
    }

    #[test]
    fn names_round_trip() {
        for &name in Style::names() {
            let style = Style::from_name(name).unwrap();
            assert_eq!(style.name(), name);
            assert_eq!(name.parse::<Style>().unwrap(), style);
            assert_eq!(style.to_string(), name);
        }
        assert_eq!(Style::names()[0], "auto");
        assert_eq!(Style::default(), Style::Auto);
        assert_eq!(Style::from_name("MONOKAI"), Some(Style::Monokai));
        assert_eq!(Style::from_name("dracula"), None);
        assert!("nope"
            .parse::<Style>()
            .unwrap_err()
            .contains("auto, solarized"));
    }

    #[test]
    fn auto_json_palette_matches_colored_json() {
        let t = Theme::new(Style::Auto);
        let table: [(&Paint, &[u8], &[u8]); 7] = [
            (&t.key, b"\x1b[1;34m", b"\x1b[0m"),
            (&t.string, b"\x1b[32m", b"\x1b[0m"),
            (&t.number, b"\x1b[36m", b"\x1b[0m"),
            (&t.boolean, b"\x1b[35m", b"\x1b[0m"),
            (&t.null, b"\x1b[1;90m", b"\x1b[0m"),
            (&t.punct, b"\x1b[1m", b"\x1b[0m"),
            (&t.sep, b"", b""),
        ];
        for (paint, on, off) in table {
            assert_eq!((paint.on.as_slice(), paint.off.as_slice()), (on, off));
        }
    }

    #[test]
    fn auto_uses_basic_colours_only() {
        let t = Theme::new(Style::Auto);
        for (name, paint) in all_paints(&t) {
            if paint.is_none() {
                continue;
            }
            for code in sgr_params(&paint.on) {
                let basic = matches!(code, 1 | 30..=37 | 90..=97);
                assert!(basic, "{name} uses SGR {code}");
            }
            assert_eq!(paint.off, RESET, "{name}");
        }
    }

    #[test]
    fn every_style_is_well_formed() {
        for &name in Style::names() {
            let t = Theme::new(Style::from_name(name).unwrap());
            for (field, paint) in all_paints(&t) {
                if paint.is_none() {
                    continue;
                }
                let params = sgr_params(&paint.on);
                assert!(!params.is_empty(), "{name}.{field}");
                assert_eq!(paint.off, RESET, "{name}.{field}");
            }
            assert!(!t.key.is_none(), "{name} leaves keys unstyled");
        }
        let mono = Theme::new(Style::Mono);
        for (field, paint) in all_paints(&mono) {
            if !paint.is_none() {
                let params = sgr_params(&paint.on);
                assert!(params.iter().all(|&c| c == 1 || c == 2), "mono.{field}");
            }
        }
    }

    /// Numbers, booleans and null each have their own colour in every coloured style, one
    /// that no other JSON token shares; mono sets them apart by attribute where it can.
    #[test]
    fn json_scalars_are_coloured_distinctly() {
        for style in [Style::Auto, Style::Solarized, Style::Monokai] {
            let t = Theme::new(style);
            let scalars = [
                ("number", &t.number),
                ("boolean", &t.boolean),
                ("null", &t.null),
            ];
            let others = [("key", &t.key), ("string", &t.string), ("punct", &t.punct)];
            for (i, (name, paint)) in scalars.iter().enumerate() {
                let params = sgr_params(&paint.on);
                assert!(
                    params.iter().any(|&c| matches!(c, 30..=38 | 90..=97)),
                    "{style}.{name} has no colour: {params:?}"
                );
                for (other, paint2) in scalars[i + 1..].iter().chain(&others) {
                    assert_ne!(paint, paint2, "{style}: {name} looks like {other}");
                }
            }
        }
        let mono = Theme::new(Style::Mono);
        assert!(mono.number.is_none() && mono.boolean.is_none());
        assert_eq!(mono.null, Paint::sgr("2"));
    }

    #[test]
    fn status_classes_and_helpers() {
        let t = Theme::new(Style::Auto);
        let table: [(u16, &Paint); 7] = [
            (100, &t.status_ok),
            (200, &t.status_ok),
            (204, &t.status_ok),
            (301, &t.status_redirect),
            (404, &t.status_error),
            (503, &t.status_error),
            (999, &t.status_error),
        ];
        for (code, paint) in table {
            assert_eq!(t.status(code), paint, "{code}");
        }
        let mut out = Vec::new();
        Paint::sgr("1;31").wrap(&mut out, b"500");
        assert_eq!(out, b"\x1b[1;31m500\x1b[0m");
        assert!(Paint::sgr("").is_none());
        assert!(Theme::PLAIN.key.is_none() && Theme::PLAIN.notice.is_none());
    }
}
