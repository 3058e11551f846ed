//! The committed completions and man page must match what the clap definitions generate.
//! Regenerate with `UPDATE_GENERATED=1 cargo test --test cli generated`.

use std::path::Path;

#[test]
fn completions_and_man_page_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (rel, contents) in httpcli::cli::generate::files() {
        let path = root.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &contents).unwrap();
            continue;
        }
        if std::fs::read(&path).ok().as_deref() != Some(contents.as_slice()) {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `UPDATE_GENERATED=1 cargo test --test cli generated`"
    );
}

/// The text of `text` after the first `start`, up to the next `end`.
fn segment<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"));
    let rest = &text[at + start.len()..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// Every flag whose value is one of a fixed set completes those values (not file names) in
/// bash, zsh and fish. (clap_complete's elvish and PowerShell scripts complete option names
/// only, for every flag.)
#[test]
fn completions_offer_enumerated_values() {
    let files = httpcli::cli::generate::files();
    let get = |rel: &str| {
        let (_, bytes) = files.iter().find(|(r, _)| r == rel).unwrap();
        String::from_utf8(bytes.clone()).unwrap()
    };
    let flags: &[(&str, &[&str])] = &[
        ("style", &["auto", "solarized", "monokai", "mono"]),
        ("ssl", &["tls1.2", "tls1.3"]),
        ("default-scheme", &["http", "https"]),
        ("pretty", &["all", "colors", "format", "none"]),
        ("auth-type", &["basic", "digest", "bearer"]),
        ("as", &["curl", "python"]),
        ("format-options", &["json.indent:2", "headers.sort:false"]),
    ];
    for program in ["http", "https"] {
        let bash = get(&format!("completions/{program}.bash"));
        let zsh = get(&format!("completions/_{program}"));
        let fish = get(&format!("completions/{program}.fish"));
        for (flag, values) in flags {
            let b = segment(&bash, &format!("\n                --{flag})"), ";;");
            assert!(b.contains("compgen -W"), "{program}.bash --{flag}: {b}");
            let z = segment(&zsh, &format!("--{flag}=["), "' \\\n");
            let f = segment(&fish, &format!(" -l {flag} "), "\ncomplete -c");
            assert!(
                f.contains(" -f "),
                "{program}.fish --{flag} offers files: {f}"
            );
            for v in *values {
                assert!(b.contains(v), "{program}.bash --{flag} lacks {v}: {b}");
                let zv = v.replace(':', "\\:");
                assert!(z.contains(&zv), "_{program} --{flag} lacks {zv}: {z}");
                assert!(f.contains(v), "{program}.fish --{flag} lacks {v}: {f}");
            }
        }
    }
}

/// The man page keeps the request-items table and the examples preformatted (`man` would
/// re-fill them into one paragraph) and has EXIT STATUS, ENVIRONMENT and FILES sections.
#[test]
fn man_page_preformats_tables_and_has_standard_sections() {
    let files = httpcli::cli::generate::files();
    let (_, man) = files.iter().find(|(r, _)| r == "man/http.1").unwrap();
    let man = String::from_utf8(man.clone()).unwrap();
    for heading in [
        ".SH \"REQUEST ITEMS\"",
        ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(man.contains(heading), "no {heading}");
    }
    let items = segment(&man, ".SH \"REQUEST ITEMS\"", ".SH");
    assert!(
        segment(items, ".nf", ".fi").contains("name==value   URL query parameter"),
        "{items}"
    );
    let examples = segment(&man, ".SH EXAMPLES", ".SH");
    assert!(
        segment(examples, ".nf", ".fi").contains("http \\-f POST"),
        "{examples}"
    );
    for needle in [
        "NO_COLOR",
        "HTTP_CONFIG_DIR",
        "REQUESTS_CA_BUNDLE",
        "NETRC",
        "config.json",
        "sessions/",
    ] {
        assert!(man.contains(needle), "no {needle}");
    }
    assert!(
        !man.contains(".SH EXTRA"),
        "the --help epilogue is still rendered as EXTRA"
    );
}
