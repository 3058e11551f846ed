//! HTML, and XML that is not re-indented, coloured as it streams, as HTTPie's lexer shows
//! them: tag names, attribute names and values, entity references, and comments, doctypes
//! and processing instructions in the muted metadata colour, with the palette the XML
//! formatter uses. The text itself is never changed, only painted.
//!
//! This is a lexer, not a parser: broken markup is coloured as far as it makes sense and
//! still shown in full. The content of `<script>` and `<style>` is raw text (a `<` there
//! starts no tag). Memory stays bounded: at the end of a chunk at most a few dozen bytes
//! (part of a tag name, an entity, `<!--`) wait for the next chunk to be classified.

use super::theme::{Paint, Theme};

static NO_PAINT: Paint = Paint::NONE;

/// Tag names longer than this are not waited for across chunks (no element with raw-text
/// content has a long name).
const MAX_NAME: usize = 32;
/// Entity references longer than this are plain text (the longest HTML name is 31 bytes).
const MAX_ENTITY: usize = 40;

/// What a piece of the input is, hence its paint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Punct,
    Tag,
    Attr,
    Value,
    Entity,
    Meta,
}

/// Whether the element being opened holds raw text, and which end tag closes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Raw {
    No,
    Script,
    Style,
}

impl Raw {
    fn for_tag(name: &str) -> Raw {
        if name.eq_ignore_ascii_case("script") {
            Raw::Script
        } else if name.eq_ignore_ascii_case("style") {
            Raw::Style
        } else {
            Raw::No
        }
    }

    fn name(self) -> &'static str {
        match self {
            Raw::No => "",
            Raw::Script => "script",
            Raw::Style => "style",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Text,
    /// Inside a start or end tag, after its name.
    InTag(Raw),
    AttrName(Raw),
    /// After an attribute name: `=` or the next attribute.
    AfterAttr(Raw),
    BeforeValue(Raw),
    /// An attribute value, with the quote that ends it (none: whitespace or `>` ends it).
    Value(Raw, Option<u8>),
    Comment,
    /// `<!DOCTYPE ...>`, `<?...?>` and other `<!` declarations, up to `>`.
    Markup,
    CData,
    /// The content of `<script>` or `<style>`, up to its end tag.
    RawText(Raw),
}

/// Outcome of one step: bytes consumed (0 only with a change of state), or "wait for more".
type Step = Option<usize>;

/// Colours markup text chunk by chunk.
pub struct Highlighter<'t> {
    theme: &'t Theme,
    state: State,
    /// The undecided end of the previous chunk.
    pending: String,
    /// The paint last written, still open.
    open: Option<Kind>,
}

impl<'t> Highlighter<'t> {
    pub fn new(theme: &'t Theme) -> Highlighter<'t> {
        Highlighter {
            theme,
            state: State::Text,
            pending: String::new(),
            open: None,
        }
    }

    /// Appends `text` coloured to `out`; a few bytes at its end may wait for the next call.
    pub fn feed(&mut self, text: &str, out: &mut Vec<u8>) {
        if self.pending.is_empty() {
            let used = self.run(text, false, out);
            self.pending.push_str(&text[used..]);
            self.close(out);
        } else {
            self.pending.push_str(text);
            let input = std::mem::take(&mut self.pending);
            let used = self.run(&input, false, out);
            self.pending.push_str(&input[used..]);
            self.close(out);
        }
    }

    /// Appends whatever was waiting: the input has ended.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let input = std::mem::take(&mut self.pending);
        self.run(&input, true, out);
        self.close(out);
    }

    fn run(&mut self, s: &str, last: bool, out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while i < s.len() {
            match self.step(&s[i..], last, out) {
                Some(n) => i += n,
                None => break,
            }
        }
        i
    }

    /// Consumes the start of `s` (never empty) in the current state. Every delimiter is
    /// ASCII, so every split falls on a character boundary.
    fn step(&mut self, s: &str, last: bool, out: &mut Vec<u8>) -> Step {
        match self.state {
            State::Text => self.text(s, last, out),
            State::InTag(raw) => self.in_tag(s, raw, last, out),
            State::AttrName(raw) => {
                let n = s.find(|c: char| is_space(c) || "=>/".contains(c));
                self.emit_then(Kind::Attr, s, n, State::AfterAttr(raw), out)
            }
            State::AfterAttr(raw) => Some(self.after_attr(s, raw, out)),
            State::BeforeValue(raw) => Some(self.before_value(s, raw, out)),
            State::Value(raw, Some(q)) => {
                let n = s.find(q as char).map(|p| p + 1);
                self.emit_then(Kind::Value, s, n, State::InTag(raw), out)
            }
            State::Value(raw, None) => {
                let n = s.find(|c: char| is_space(c) || c == '>');
                self.emit_then(Kind::Value, s, n, State::InTag(raw), out)
            }
            State::Comment => self.until(s, "-->", Kind::Meta, Kind::Meta, last, out),
            State::CData => self.until(s, "]]>", Kind::Text, Kind::Punct, last, out),
            State::Markup => {
                let n = s.find('>').map(|p| p + 1);
                self.emit_then(Kind::Meta, s, n, State::Text, out)
            }
            State::RawText(raw) => self.raw_text(s, raw, last, out),
        }
    }

    /// Emits `s[..n]` as `kind` and moves to `next`; without an end (`None`), all of `s`
    /// belongs to the current state.
    fn emit_then(
        &mut self,
        kind: Kind,
        s: &str,
        end: Option<usize>,
        next: State,
        out: &mut Vec<u8>,
    ) -> Step {
        let n = end.unwrap_or(s.len());
        self.emit(kind, &s[..n], out);
        if end.is_some() {
            self.state = next;
        }
        Some(n)
    }

    fn text(&mut self, s: &str, last: bool, out: &mut Vec<u8>) -> Step {
        match s.find(['<', '&']) {
            Some(0) if s.starts_with('<') => self.open(s, last, out),
            Some(0) => self.entity(s, last, out),
            Some(p) => {
                self.emit(Kind::Text, &s[..p], out);
                Some(p)
            }
            None => {
                self.emit(Kind::Text, s, out);
                Some(s.len())
            }
        }
    }

    /// `s` starts with `<`: a tag, a comment, CDATA, a declaration, or just a `<`.
    fn open(&mut self, s: &str, last: bool, out: &mut Vec<u8>) -> Step {
        let b = s.as_bytes();
        let wait = |needed: usize| !last && b.len() < needed;
        match b.get(1) {
            None if wait(2) => None,
            Some(c) if c.is_ascii_alphabetic() => self.tag_name(s, 1, last, out),
            Some(b'/') if wait(3) => None,
            Some(b'/') if b.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                self.tag_name(s, 2, last, out)
            }
            Some(b'!') => self.declaration(s, last, out),
            Some(b'?') => {
                self.emit(Kind::Meta, "<?", out);
                self.state = State::Markup;
                Some(2)
            }
            _ => {
                self.emit(Kind::Text, "<", out);
                Some(1)
            }
        }
    }

    /// `<name` or `</name` (`at` is where the name starts), once the whole name is here.
    fn tag_name(&mut self, s: &str, at: usize, last: bool, out: &mut Vec<u8>) -> Step {
        let end = s[at..]
            .find(|c: char| is_space(c) || c == '/' || c == '>')
            .map(|p| at + p);
        if end.is_none() && !last && s.len() - at < MAX_NAME {
            return None;
        }
        let end = end.unwrap_or(s.len());
        let name = &s[at..end];
        self.emit(Kind::Punct, &s[..at], out);
        self.emit(Kind::Tag, name, out);
        // Only a start tag opens raw text.
        let raw = if at == 1 { Raw::for_tag(name) } else { Raw::No };
        self.state = State::InTag(raw);
        Some(end)
    }

    /// `<!--`, `<![CDATA[` or another `<!` declaration such as a DOCTYPE.
    fn declaration(&mut self, s: &str, last: bool, out: &mut Vec<u8>) -> Step {
        for (open, kind, state) in [
            ("<!--", Kind::Meta, State::Comment),
            ("<![CDATA[", Kind::Punct, State::CData),
        ] {
            if s.starts_with(open) {
                self.emit(kind, open, out);
                self.state = state;
                return Some(open.len());
            }
            if !last && open.starts_with(s) {
                return None;
            }
        }
        self.emit(Kind::Meta, "<!", out);
        self.state = State::Markup;
        Some(2)
    }

    /// `s` starts with `&`: an entity reference (`&amp;`, `&#38;`, `&#x26;`) or a plain `&`.
    fn entity(&mut self, s: &str, last: bool, out: &mut Vec<u8>) -> Step {
        let b = s.as_bytes();
        let start = if b.get(1) == Some(&b'#') { 2 } else { 1 };
        let name_len = b[start.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let end = start + name_len;
        match b.get(end) {
            Some(b';') if name_len > 0 => {
                self.emit(Kind::Entity, &s[..=end], out);
                Some(end + 1)
            }
            None if !last && end < MAX_ENTITY => None,
            _ => {
                self.emit(Kind::Text, "&", out);
                Some(1)
            }
        }
    }

    fn in_tag(&mut self, s: &str, raw: Raw, last: bool, out: &mut Vec<u8>) -> Step {
        let spaces = s.len() - s.trim_start_matches(is_space).len();
        if spaces > 0 {
            self.emit(Kind::Text, &s[..spaces], out);
            return Some(spaces);
        }
        if s.starts_with('>') {
            self.emit(Kind::Punct, ">", out);
            self.state = match raw {
                Raw::No => State::Text,
                raw => State::RawText(raw),
            };
            return Some(1);
        }
        if s.starts_with("/>") {
            self.emit(Kind::Punct, "/>", out);
            self.state = State::Text;
            return Some(2);
        }
        if s == "/" && !last {
            return None;
        }
        if s.starts_with(['/', '=', '"', '\'']) {
            self.emit(Kind::Punct, &s[..1], out);
            return Some(1);
        }
        self.state = State::AttrName(raw);
        Some(0)
    }

    fn after_attr(&mut self, s: &str, raw: Raw, out: &mut Vec<u8>) -> usize {
        let spaces = s.len() - s.trim_start_matches(is_space).len();
        if spaces > 0 {
            self.emit(Kind::Text, &s[..spaces], out);
            return spaces;
        }
        if s.starts_with('=') {
            self.emit(Kind::Punct, "=", out);
            self.state = State::BeforeValue(raw);
            return 1;
        }
        self.state = State::InTag(raw);
        0
    }

    fn before_value(&mut self, s: &str, raw: Raw, out: &mut Vec<u8>) -> usize {
        let spaces = s.len() - s.trim_start_matches(is_space).len();
        if spaces > 0 {
            self.emit(Kind::Text, &s[..spaces], out);
            return spaces;
        }
        match s.as_bytes()[0] {
            quote @ (b'"' | b'\'') => {
                self.emit(Kind::Value, &s[..1], out);
                self.state = State::Value(raw, Some(quote));
                1
            }
            b'>' => {
                self.state = State::InTag(raw);
                0
            }
            _ => {
                self.state = State::Value(raw, None);
                0
            }
        }
    }

    /// A comment or CDATA section up to `close`: the body as `body`, `close` as `closing`.
    /// A possible start of `close` at the end of `s` waits for the next chunk.
    fn until(
        &mut self,
        s: &str,
        close: &str,
        body: Kind,
        closing: Kind,
        last: bool,
        out: &mut Vec<u8>,
    ) -> Step {
        if let Some(p) = s.find(close) {
            self.emit(body, &s[..p], out);
            self.emit(closing, close, out);
            self.state = State::Text;
            return Some(p + close.len());
        }
        let held = if last { 0 } else { partial_suffix(s, close) };
        let n = s.len() - held;
        self.emit(body, &s[..n], out);
        (n > 0).then_some(n)
    }

    /// Script or style content: plain text up to its end tag (any case).
    fn raw_text(&mut self, s: &str, raw: Raw, last: bool, out: &mut Vec<u8>) -> Step {
        let name = raw.name();
        let mut from = 0;
        while let Some(p) = s[from..].find("</").map(|p| from + p) {
            let rest = &s.as_bytes()[p + 2..];
            if rest.len() <= name.len() && !last {
                // Too short to tell: show what comes before and wait for the rest.
                self.emit(Kind::Text, &s[..p], out);
                return (p > 0).then_some(p);
            }
            let named = rest.len() >= name.len()
                && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes());
            let ended = rest
                .get(name.len())
                .is_none_or(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/');
            if named && ended {
                self.emit(Kind::Text, &s[..p], out);
                self.state = State::Text;
                return Some(p);
            }
            from = p + 2;
        }
        let held = if last { 0 } else { partial_suffix(s, "</") };
        let n = s.len() - held;
        self.emit(Kind::Text, &s[..n], out);
        (n > 0).then_some(n)
    }

    /// Writes `text` in the paint for `kind`, continuing the paint already open when it is
    /// the same. Paint is closed at each line end so every line stands alone (for pagers and
    /// `head`), and at the end of each chunk.
    fn emit(&mut self, kind: Kind, text: &str, out: &mut Vec<u8>) {
        if text.is_empty() {
            return;
        }
        if self.open != Some(kind) {
            self.close(out);
            out.extend_from_slice(&self.paint(kind).on);
            self.open = Some(kind);
        }
        let paint = self.paint(kind);
        if paint.is_none() {
            out.extend_from_slice(text.as_bytes());
            return;
        }
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.extend_from_slice(&paint.off);
                out.push(b'\n');
                out.extend_from_slice(&paint.on);
            }
            out.extend_from_slice(line.as_bytes());
        }
    }

    /// Ends the open paint.
    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some(kind) = self.open.take() {
            out.extend_from_slice(&self.paint(kind).off);
        }
    }

    fn paint(&self, kind: Kind) -> &Paint {
        let t = self.theme;
        match kind {
            Kind::Text => &NO_PAINT,
            Kind::Punct => &t.punct,
            Kind::Tag => &t.key,
            Kind::Attr => &t.header_name,
            Kind::Value => &t.string,
            Kind::Entity => &t.boolean,
            Kind::Meta => &t.meta,
        }
    }
}

fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// The length of the longest end of `s` that is a proper start of `pat` (ASCII).
fn partial_suffix(s: &str, pat: &str) -> usize {
    (1..pat.len())
        .rev()
        .find(|&k| s.len() >= k && s.as_bytes()[s.len() - k..] == pat.as_bytes()[..k])
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(name: &str) -> Paint {
        Paint {
            on: format!("«{name}:").into_bytes(),
            off: "»".as_bytes().to_vec(),
        }
    }

    /// Paints as readable brackets: `«tag:a»`.
    fn theme() -> Theme {
        Theme {
            punct: mark("p"),
            key: mark("tag"),
            header_name: mark("attr"),
            string: mark("val"),
            boolean: mark("ent"),
            meta: mark("meta"),
            ..Theme::PLAIN
        }
    }

    /// Feeds `input` in pieces of `size` bytes (on character boundaries).
    fn colour_in(input: &str, size: usize) -> String {
        let theme = theme();
        let mut h = Highlighter::new(&theme);
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let mut n = size.min(rest.len());
            while !rest.is_char_boundary(n) {
                n += 1;
            }
            h.feed(&rest[..n], &mut out);
            rest = &rest[n..];
        }
        h.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    /// The same colours whatever the chunking (chunks may split a paint in two).
    fn colour(input: &str) -> String {
        let whole = colour_in(input, input.len().max(1));
        for size in 1..8 {
            let pieces = colour_in(input, size);
            assert_eq!(
                per_char(&pieces),
                per_char(&whole),
                "chunks of {size}: {input:?}"
            );
        }
        whole
    }

    /// Each character of the text with the paint it is shown in.
    fn per_char(coloured: &str) -> Vec<(char, String)> {
        let mut out = Vec::new();
        let mut paint = String::new();
        let mut chars = coloured.chars();
        while let Some(c) = chars.next() {
            match c {
                '«' => paint = chars.by_ref().take_while(|&c| c != ':').collect(),
                '»' => paint.clear(),
                c => out.push((c, paint.clone())),
            }
        }
        out
    }

    /// The paints taken out again: the text is never changed.
    fn strip(coloured: &str) -> String {
        per_char(coloured).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn tags_attributes_and_entities() {
        let out = colour("<p class=\"x\" id=y hidden>a &amp; b &#38; &#x26;</p>");
        assert_eq!(
            out,
            "«p:<»«tag:p» «attr:class»«p:=»«val:\"x\"» «attr:id»«p:=»«val:y» \
             «attr:hidden»«p:>»a «ent:&amp;» b «ent:&#38;» «ent:&#x26;»«p:</»«tag:p»«p:>»"
        );
        assert_eq!(
            colour("<br/><img src='a.png' />"),
            "«p:<»«tag:br»«p:/><»«tag:img» «attr:src»«p:=»«val:'a.png'» «p:/>»"
        );
    }

    #[test]
    fn comments_doctype_and_cdata() {
        assert_eq!(
            colour("<!DOCTYPE html><!-- a -> b --><?xml v?><![CDATA[<x>]]>"),
            "«meta:<!DOCTYPE html><!-- a -> b --><?xml v?>»«p:<![CDATA[»<x>«p:]]>»"
        );
    }

    #[test]
    fn lone_delimiters_stay_text() {
        for input in [
            "a < b && c",
            "x &nosemicolon y",
            "<",
            "&",
            "a <3",
            "</ x>",
            "&;",
        ] {
            assert_eq!(colour(input), input);
        }
        // An unterminated tag or comment is coloured to the end and nothing is lost.
        assert_eq!(
            colour("<a href=\"x"),
            "«p:<»«tag:a» «attr:href»«p:=»«val:\"x»"
        );
        assert_eq!(strip(&colour("<!-- open")), "<!-- open");
    }

    #[test]
    fn script_and_style_are_raw_text() {
        let input = "<script>if (a<b && c) x = \"</p>\";</script ><STYLE>a>b{}</Style>";
        let out = colour(input);
        assert_eq!(
            out,
            "«p:<»«tag:script»«p:>»if (a<b && c) x = \"</p>\";«p:</»«tag:script» «p:><»\
             «tag:STYLE»«p:>»a>b{}«p:</»«tag:Style»«p:>»"
        );
        assert_eq!(strip(&out), input);
        // Only the matching end tag ends it.
        assert!(colour("<script></scripts></script>").contains("«p:>»</scripts>«p:</»"));
    }

    #[test]
    fn paint_is_closed_at_each_line_end() {
        assert_eq!(colour("<!--a\nb-->"), "«meta:<!--a»\n«meta:b-->»");
    }

    #[test]
    fn text_is_unchanged_whatever_the_input() {
        let inputs = [
            "<a b='1' c=\"2\" d=3 e>é &eacute; ü</a><!--x-->",
            "<<<>>>&&&;;;<!<!-<!--<![<![CDATA[",
            "<p =x \"q\" / ></ p><script>",
            "naïve <b>ß</b> 日本 &#x65E5;",
        ];
        for input in inputs {
            assert_eq!(strip(&colour(input)), input);
        }
    }
}
