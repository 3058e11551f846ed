//! XML bodies re-indented for reading. quick-xml's reader checks the document and yields its
//! nodes (borrowed from the input, escapes as written); a small renderer puts one node per line,
//! keeps an element whose only content is text on one line, and paints names, attribute values
//! and punctuation. quick-xml's writer is not used because colour escapes have to sit between
//! the parts of a tag.
//!
//! Entity references are never expanded: quick-xml does not read a DTD's entity definitions at
//! all, so external entities and "billion laughs" do nothing, and `&name;` is shown as written.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::output::theme::Theme;

/// Output size past which the document is shown as received instead: deep nesting times a wide
/// indent could otherwise turn a 1 MiB body into gigabytes of spaces.
const OUTPUT_LIMIT: usize = 32 << 20;
const BOM: &str = "\u{FEFF}";

static PLAIN_THEME: Theme = Theme::PLAIN;

/// Re-indents an in-memory XML document by `indent` spaces per level (0 still breaks lines),
/// coloured when a theme is given. The XML declaration, comments, CDATA sections, processing
/// instructions and a DOCTYPE are kept; text is trimmed and whitespace-only text dropped,
/// except in an element with mixed content (text beside child elements), which stays on one
/// line as written: there every space belongs to the text.
///
/// `None` when the input is not a well-formed document (one root element, matching tags,
/// well-formed attributes), is not UTF-8, holds control characters a terminal could act on,
/// or would format to more than [`OUTPUT_LIMIT`] bytes: the caller then shows it as received.
pub fn format_xml(input: &[u8], indent: usize, theme: Option<&Theme>) -> Option<Vec<u8>> {
    let text = normalize(input)?;
    let items = parse(&text)?;
    render(&items, indent, theme.unwrap_or(&PLAIN_THEME))
}

/// The document as UTF-8 text without a BOM and with `\r\n` and `\r` turned into `\n`, as
/// every XML processor does (XML 1.0 §2.11); a bare `\r` would otherwise let later text
/// overwrite earlier text on a terminal.
fn normalize(input: &[u8]) -> Option<Cow<'_, str>> {
    let text = std::str::from_utf8(input).ok()?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    // XML forbids C0 controls other than tab and line ends; DEL and C1 are allowed but some
    // terminals obey them, so such a body is left to the caller's neutralising text path.
    let risky = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if text.chars().any(risky) {
        return None;
    }
    if !text.contains('\r') {
        return Some(Cow::Borrowed(text));
    }
    Some(Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n")))
}

/// One line of output, or the parts of one.
enum Item<'a> {
    /// Any event but text, entity references and CDATA.
    Node(Event<'a>),
    /// Character data between two other nodes: text, entity references and CDATA sections,
    /// with whitespace-only text at either end already dropped (by [`group`]).
    Run(Vec<Event<'a>>),
    /// An element with mixed content, start tag to end tag, to be written as it came.
    Inline(Vec<Item<'a>>),
}

/// Reads the whole document; `None` if it is not well-formed.
fn parse(text: &str) -> Option<Vec<Item<'_>>> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_comments = true;
    let mut items = Vec::new();
    let mut run = Vec::new();
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let event = reader.read_event().ok()?;
        if matches!(
            event,
            Event::Text(_) | Event::GeneralRef(_) | Event::CData(_)
        ) {
            run.push(event);
            continue;
        }
        end_run(&mut run, &mut items, depth)?;
        match &event {
            Event::Eof => break,
            Event::Start(_) | Event::Empty(_) if depth == 0 => roots += 1,
            Event::End(_) => depth = depth.checked_sub(1)?,
            // Only first: anything else named `xml` is reserved and not a declaration.
            Event::Decl(_) if !items.is_empty() => return None,
            Event::DocType(_) if depth > 0 || roots > 0 => return None,
            _ => {}
        }
        if matches!(event, Event::Start(_)) {
            depth += 1;
        }
        items.push(Item::Node(event));
    }
    (depth == 0 && roots == 1).then_some(group(items))
}

fn blank(e: &Event) -> bool {
    matches!(e, Event::Text(t) if t.iter().all(u8::is_ascii_whitespace))
}

/// Moves the pending character data into `items` as a run, as written. `None` if anything
/// but whitespace is left outside the root element (whitespace there is dropped).
fn end_run<'a>(run: &mut Vec<Event<'a>>, items: &mut Vec<Item<'a>>, depth: usize) -> Option<()> {
    if run.iter().all(blank) {
        if depth == 0 {
            run.clear();
            return Some(());
        }
    } else if depth == 0 {
        return None;
    }
    if !run.is_empty() {
        items.push(Item::Run(std::mem::take(run)));
    }
    Some(())
}

/// Elements with mixed content (non-blank text and child elements side by side): the index
/// of each one's start tag mapped to that of its end tag.
fn mixed_elements(items: &[Item]) -> std::collections::HashMap<usize, usize> {
    struct Open {
        start: usize,
        text: bool,
        elements: bool,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut mixed = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Node(Event::Start(_)) => {
                if let Some(top) = stack.last_mut() {
                    top.elements = true;
                }
                stack.push(Open {
                    start: i,
                    text: false,
                    elements: false,
                });
            }
            Item::Node(Event::Empty(_)) => {
                if let Some(top) = stack.last_mut() {
                    top.elements = true;
                }
            }
            Item::Run(run) if !run.iter().all(blank) => {
                if let Some(top) = stack.last_mut() {
                    top.text = true;
                }
            }
            Item::Node(Event::End(_)) => {
                if let Some(open) = stack.pop().filter(|o| o.text && o.elements) {
                    mixed.insert(open.start, i);
                }
            }
            _ => {}
        }
    }
    mixed
}

/// Each element with mixed content becomes one [`Item::Inline`]; elsewhere runs lose their
/// whitespace-only text at either end, and whitespace-only runs go.
fn group(items: Vec<Item<'_>>) -> Vec<Item<'_>> {
    let mixed = mixed_elements(&items);
    let mut out = Vec::with_capacity(items.len());
    let mut inline: Option<(usize, Vec<Item>)> = None;
    for (i, item) in items.into_iter().enumerate() {
        if let Some((end, mut group)) = inline.take() {
            group.push(item);
            if i == end {
                out.push(Item::Inline(group));
            } else {
                inline = Some((end, group));
            }
            continue;
        }
        if let Some(&end) = mixed.get(&i) {
            inline = Some((end, vec![item]));
            continue;
        }
        match item {
            Item::Run(mut run) => {
                let start = run.iter().position(|e| !blank(e)).unwrap_or(run.len());
                let end = run.iter().rposition(|e| !blank(e)).map_or(start, |i| i + 1);
                if start < end {
                    run.truncate(end);
                    run.drain(..start);
                    out.push(Item::Run(run));
                }
            }
            other => out.push(other),
        }
    }
    out
}

struct Renderer<'t> {
    out: Vec<u8>,
    indent: usize,
    depth: usize,
    theme: &'t Theme,
}

fn render(items: &[Item], indent: usize, theme: &Theme) -> Option<Vec<u8>> {
    let mut r = Renderer {
        out: Vec::new(),
        indent,
        depth: 0,
        theme,
    };
    let mut rest = items;
    while !rest.is_empty() {
        let used = r.line(rest)?;
        rest = rest.get(used..)?;
    }
    Some(r.out)
}

impl Renderer<'_> {
    /// Writes the line that starts with `items[0]`; returns how many items it took.
    fn line(&mut self, items: &[Item]) -> Option<usize> {
        use Item::{Inline, Node, Run};
        match items {
            [Node(Event::Start(tag)), Node(Event::End(end)), ..] => {
                self.new_line()?;
                self.tag(tag, b">")?;
                self.end_tag(end.name().as_ref());
                Some(2)
            }
            [Node(Event::Start(tag)), Run(run), Node(Event::End(end)), ..] => {
                self.new_line()?;
                self.tag(tag, b">")?;
                self.run(run, true);
                self.end_tag(end.name().as_ref());
                Some(3)
            }
            [Node(Event::Start(tag)), ..] => {
                self.new_line()?;
                self.tag(tag, b">")?;
                self.depth += 1;
                Some(1)
            }
            [Node(Event::End(end)), ..] => {
                self.depth = self.depth.saturating_sub(1);
                self.new_line()?;
                self.end_tag(end.name().as_ref());
                Some(1)
            }
            [Node(Event::Empty(tag)), ..] => {
                self.new_line()?;
                self.tag(tag, b"/>")?;
                Some(1)
            }
            [Run(run), ..] => {
                self.new_line()?;
                self.run(run, true);
                Some(1)
            }
            [Inline(group), ..] => {
                self.new_line()?;
                self.inline(group)?;
                Some(1)
            }
            [Node(other), ..] => {
                self.new_line()?;
                self.markup(other);
                Some(1)
            }
            [] => Some(0),
        }
    }

    /// Breaks the line (not before the first) and indents; `None` once output is too big.
    fn new_line(&mut self) -> Option<()> {
        if !self.out.is_empty() {
            self.out.push(b'\n');
        }
        let spaces = self.indent.saturating_mul(self.depth);
        if self.out.len().saturating_add(spaces) > OUTPUT_LIMIT {
            return None;
        }
        self.out.resize(self.out.len() + spaces, b' ');
        Some(())
    }

    /// A start tag (`close` is `>`) or an empty-element tag (`/>`), attributes one space apart.
    fn tag(&mut self, tag: &BytesStart, close: &[u8]) -> Option<()> {
        let t = self.theme;
        t.punct.wrap(&mut self.out, b"<");
        t.key.wrap(&mut self.out, tag.name().as_ref());
        for attr in tag.attributes() {
            // Malformed or duplicate attributes make the document ill-formed.
            let attr = attr.ok()?;
            self.out.push(b' ');
            t.header_name.wrap(&mut self.out, attr.key.as_ref());
            t.punct.wrap(&mut self.out, b"=");
            // The value is kept as written; it cannot contain the quote it was written with.
            let quote = if attr.value.contains(&b'"') {
                b'\''
            } else {
                b'"'
            };
            self.out.extend_from_slice(&t.string.on);
            self.out.push(quote);
            self.out.extend_from_slice(&attr.value);
            self.out.push(quote);
            self.out.extend_from_slice(&t.string.off);
        }
        t.punct.wrap(&mut self.out, close);
        Some(())
    }

    fn end_tag(&mut self, name: &[u8]) {
        let t = self.theme;
        t.punct.wrap(&mut self.out, b"</");
        t.key.wrap(&mut self.out, name);
        t.punct.wrap(&mut self.out, b">");
    }

    /// An element with mixed content on the current line, its text as written.
    fn inline(&mut self, group: &[Item]) -> Option<()> {
        for item in group {
            match item {
                Item::Node(Event::Start(tag)) => self.tag(tag, b">")?,
                Item::Node(Event::Empty(tag)) => self.tag(tag, b"/>")?,
                Item::Node(Event::End(end)) => self.end_tag(end.name().as_ref()),
                Item::Node(other) => self.markup(other),
                Item::Run(run) => self.run(run, false),
                Item::Inline(inner) => self.inline(inner)?,
            }
        }
        (self.out.len() <= OUTPUT_LIMIT).then_some(())
    }

    /// Character data as written, with the run's outer whitespace trimmed if `trim`.
    fn run(&mut self, run: &[Event], trim: bool) {
        let last = run.len().saturating_sub(1);
        for (i, piece) in run.iter().enumerate() {
            match piece {
                Event::Text(text) => {
                    let mut text: &[u8] = text;
                    if trim && i == 0 {
                        text = text.trim_ascii_start();
                    }
                    if trim && i == last {
                        text = text.trim_ascii_end();
                    }
                    self.out.extend_from_slice(text);
                }
                Event::GeneralRef(name) => {
                    // Painted as the markup lexer paints entities in HTML.
                    let paint = &self.theme.boolean;
                    self.out.extend_from_slice(&paint.on);
                    self.out.push(b'&');
                    self.out.extend_from_slice(name);
                    self.out.push(b';');
                    self.out.extend_from_slice(&paint.off);
                }
                Event::CData(data) => {
                    let punct = &self.theme.punct;
                    punct.wrap(&mut self.out, b"<![CDATA[");
                    self.out.extend_from_slice(data);
                    punct.wrap(&mut self.out, b"]]>");
                }
                _ => {}
            }
        }
    }

    /// Declaration, processing instruction, comment or DOCTYPE: as written, in the muted
    /// colour used for metadata, since they are about the document rather than its content.
    fn markup(&mut self, event: &Event) {
        let (open, body, close): (&[u8], &[u8], &[u8]) = match event {
            Event::Decl(decl) => (b"<?", decl, b"?>"),
            Event::PI(pi) => (b"<?", pi, b"?>"),
            Event::Comment(text) => (b"<!--", text, b"-->"),
            Event::DocType(text) => (b"<!DOCTYPE ", text, b">"),
            _ => return,
        };
        let meta = &self.theme.meta;
        self.out.extend_from_slice(&meta.on);
        self.out.extend_from_slice(open);
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(close);
        self.out.extend_from_slice(&meta.off);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::theme::Style;

    fn plain(input: &str, indent: usize) -> String {
        let out = format_xml(input.as_bytes(), indent, None)
            .unwrap_or_else(|| panic!("not formatted: {input:?}"));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn small_document_with_declaration() {
        let input = "<?xml version=\"1.0\"?><root><a>1</a><b x=\"1\" y='two \"q\"'/></root>";
        let expected = concat!(
            "<?xml version=\"1.0\"?>\n",
            "<root>\n",
            "  <a>1</a>\n",
            "  <b x=\"1\" y='two \"q\"'/>\n",
            "</root>",
        );
        assert_eq!(plain(input, 2), expected);
        // No declaration in, none out; indent 0 still breaks lines.
        assert_eq!(plain("<a><b/></a>", 0), "<a>\n<b/>\n</a>");
        // BOM dropped, line ends normalised, attributes re-spaced.
        let crlf = "\u{FEFF}<?xml version='1.0'?>\r\n<a\r\n  k = \"v\"\r\n>\r\n<b>x\ry</b></a>\r\n";
        assert_eq!(
            plain(crlf, 1),
            "<?xml version='1.0'?>\n<a k=\"v\">\n <b>x\ny</b>\n</a>"
        );
    }

    #[test]
    fn nested_elements_and_other_nodes() {
        let input = concat!(
            "<root>\n",
            "  <!-- list -->\n",
            "  <items count=\"2\">\n",
            "      <item>  one &amp; two  </item>\n",
            "      <item><![CDATA[ <raw> ]]></item>\n",
            "      <empty></empty>\n",
            "      <blank>   </blank>\n",
            "  </items>\n",
            "  <p>Hello <b>world</b>!</p>\n",
            "  <?render fast?>\n",
            "</root>\n",
        );
        let expected = concat!(
            "<root>\n",
            "    <!-- list -->\n",
            "    <items count=\"2\">\n",
            "        <item>one &amp; two</item>\n",
            "        <item><![CDATA[ <raw> ]]></item>\n",
            "        <empty></empty>\n",
            "        <blank></blank>\n",
            "    </items>\n",
            "    <p>Hello <b>world</b>!</p>\n",
            "    <?render fast?>\n",
            "</root>",
        );
        assert_eq!(plain(input, 4), expected);
        let ns = "<s:Envelope xmlns:s=\"urn:x\"><s:Body a:b=\"&lt;&#x41;\"/></s:Envelope>";
        assert_eq!(
            plain(ns, 2),
            "<s:Envelope xmlns:s=\"urn:x\">\n  <s:Body a:b=\"&lt;&#x41;\"/>\n</s:Envelope>"
        );
    }

    /// Mixed content (text beside elements) stays on one line as written: re-indenting it
    /// would add or remove spaces in the text ("Why are great" lost both of its spaces).
    #[test]
    fn mixed_content_text_is_unchanged() {
        assert_eq!(
            plain("<p>Why <b>x</b> are great</p>", 2),
            "<p>Why <b>x</b> are great</p>"
        );
        let input = concat!(
            "<doc><title> T </title>",
            "<p>a <b>bold <i>and</i> italic</b> <i>x</i><br/> &amp; <![CDATA[ c ]]> <!--n--> end </p>",
            "<list>\n  <li>one</li>\n</list></doc>",
        );
        let expected = concat!(
            "<doc>\n",
            "  <title>T</title>\n",
            "  <p>a <b>bold <i>and</i> italic</b> <i>x</i><br/> &amp; <![CDATA[ c ]]> <!--n--> end </p>\n",
            "  <list>\n",
            "    <li>one</li>\n",
            "  </list>\n",
            "</doc>",
        );
        assert_eq!(plain(input, 2), expected);
        // The root itself may be mixed.
        assert_eq!(plain("<a> x <b/>\n y</a>", 4), "<a> x <b/>\n y</a>");
    }

    #[test]
    fn entities_from_a_dtd_are_not_expanded() {
        let input = concat!(
            "<?xml version=\"1.0\"?>\n",
            "<!DOCTYPE lolz [\n",
            "  <!ENTITY lol \"lol\">\n",
            "  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n",
            "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n",
            "]>\n",
            "<lolz a=\"&lol2;\"><x>&lol2;</x><y> &xxe; </y></lolz>",
        );
        let expected = concat!(
            "<?xml version=\"1.0\"?>\n",
            "<!DOCTYPE lolz [\n",
            "  <!ENTITY lol \"lol\">\n",
            "  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n",
            "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n",
            "]>\n",
            "<lolz a=\"&lol2;\">\n",
            "  <x>&lol2;</x>\n",
            "  <y>&xxe;</y>\n",
            "</lolz>",
        );
        assert_eq!(plain(input, 2), expected);
    }

    #[test]
    fn invalid_documents_are_refused() {
        let table: &[&[u8]] = &[
            b"",
            b"   ",
            b"plain text",
            b"{\"json\": true}",
            b"<a>",
            b"</a>",
            b"<a><b></a></b>",
            b"<a></b>",
            b"<a/><b/>",
            b"<a/>trailing",
            b"&amp;<a/>",
            b"<a x=1/>",
            b"<a x=\"1\" x=\"2\"/>",
            b"<a x/>",
            b"<a>&</a>",
            b"<a><!-- a -- b --></a>",
            b"<html><br></html>",
            b"<?xml version=\"1.0\"?>",
            b"<a/><?xml version=\"1.0\"?>",
            b"<a/><!DOCTYPE a>",
            b"<a>\x1b[31m</a>",
            b"<a>\xc2\x9b</a>",
            b"<a>\xff</a>",
        ];
        for &input in table {
            assert_eq!(
                format_xml(input, 2, None),
                None,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn colours() {
        let theme = Theme::new(Style::Auto);
        let input = b"<?xml version=\"1.0\"?><a x=\"1\"><b>t &amp;</b><c/><!--n--></a>";
        let out = format_xml(input, 2, Some(&theme)).unwrap();
        let expected = concat!(
            "\x1b[90m<?xml version=\"1.0\"?>\x1b[0m\n",
            "\x1b[1m<\x1b[0m\x1b[1;34ma\x1b[0m \x1b[36mx\x1b[0m\x1b[1m=\x1b[0m",
            "\x1b[32m\"1\"\x1b[0m\x1b[1m>\x1b[0m\n",
            "  \x1b[1m<\x1b[0m\x1b[1;34mb\x1b[0m\x1b[1m>\x1b[0mt \x1b[35m&amp;\x1b[0m",
            "\x1b[1m</\x1b[0m\x1b[1;34mb\x1b[0m\x1b[1m>\x1b[0m\n",
            "  \x1b[1m<\x1b[0m\x1b[1;34mc\x1b[0m\x1b[1m/>\x1b[0m\n",
            "  \x1b[90m<!--n-->\x1b[0m\n",
            "\x1b[1m</\x1b[0m\x1b[1;34ma\x1b[0m\x1b[1m>\x1b[0m",
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        let cdata = format_xml(b"<a><![CDATA[x]]></a>", 0, Some(&theme)).unwrap();
        assert_eq!(
            String::from_utf8(cdata).unwrap(),
            "\x1b[1m<\x1b[0m\x1b[1;34ma\x1b[0m\x1b[1m>\x1b[0m\x1b[1m<![CDATA[\x1b[0mx\
             \x1b[1m]]>\x1b[0m\x1b[1m</\x1b[0m\x1b[1;34ma\x1b[0m\x1b[1m>\x1b[0m"
        );
    }

    #[test]
    fn output_size_is_bounded() {
        let depth = 20_000;
        let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(format_xml(deep.as_bytes(), 1_000, None), None);
        // The same document with a narrow indent is fine.
        let out = format_xml(deep.as_bytes(), 0, None).unwrap();
        assert_eq!(out.len(), deep.len() + 2 * depth - 2);
    }
}
