//! A recap's Markdown as blocks (paragraphs, list items, headings, table rows) of plain text
//! with their links, read with pulldown-cmark, the parser that renders the post: what the
//! reader sees is what the members see. Each block keeps its source line, so a doubt can
//! point at the sentence it is about.
//!
//! pulldown-cmark is linear in its input, and everything here is one pass over its events, so
//! a megabyte-long paragraph is cheap.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::vocabulary::ABBREVIATIONS;
use crate::util::html::{HtmlReader, Piece};

/// A link in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Its text (the URL itself for a bare or `<...>` link).
    pub label: String,
    /// Where it goes.
    pub url: String,
    /// Byte offset of its text in the block's plain text.
    pub at: usize,
}

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A paragraph (or an HTML block's text).
    Paragraph,
    /// A heading of this level (1 to 6).
    Heading(u8),
    /// A list item's text (a nested list's items are blocks of their own).
    ListItem,
    /// A row of a table: `table` numbers the body's tables from 1, `header` marks its head.
    TableRow {
        /// Which table of the body.
        table: usize,
        /// The head row.
        header: bool,
    },
}

/// One paragraph, list item, heading or table row, as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 0-based line within the body where it starts.
    pub line: usize,
    /// What it is.
    pub kind: Kind,
    /// Text without Markdown: link texts kept, images and HTML tags removed, line breaks as
    /// spaces (see `breaks`), table cells joined by ` | `.
    pub text: String,
    /// Its links, in order.
    pub links: Vec<Link>,
    /// Byte ranges of bold text (`**Ada Lovelace**`).
    pub strong: Vec<(usize, usize)>,
    /// Byte offsets of the line breaks (the spaces that stand for them).
    pub breaks: Vec<usize>,
    /// Byte ranges of a table row's cells.
    pub cells: Vec<(usize, usize)>,
    /// Index of the nearest heading above it (for a heading: itself).
    pub section: Option<usize>,
}

impl Block {
    /// A heading of any level.
    pub fn is_heading(&self) -> bool {
        matches!(self.kind, Kind::Heading(_))
    }

    /// The text's lines (between line breaks), as byte ranges.
    pub fn lines(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.breaks.len() + 1);
        let mut start = 0;
        for &b in &self.breaks {
            out.push((start, b));
            start = b + 1;
        }
        out.push((start, self.text.len()));
        out
    }

    /// The text of cell `i` of a table row.
    pub fn cell(&self, i: usize) -> Option<&str> {
        self.cells.get(i).map(|&(s, e)| self.text[s..e].trim())
    }
}

/// The heading text of block `i`'s section, if it has one.
pub fn section_title(blocks: &[Block], i: usize) -> Option<&str> {
    let s = blocks.get(i)?.section?;
    blocks.get(s).map(|h| h.text.as_str())
}

/// Reads a Markdown body into blocks, in order. Fenced and indented code is skipped; so are
/// images.
pub fn parse(body: &str) -> Vec<Block> {
    // Jekyll's kramdown accepts spaces in link targets; the renderer fixes them the same way,
    // line by line, so line numbers stay right.
    let body = crate::content::kramdown_link_compat(body);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut reader = Reader::new(&body);
    for (event, range) in Parser::new_ext(&body, options).into_offset_iter() {
        reader.on(event, range.start);
    }
    let rest = std::mem::take(&mut reader.html).end();
    reader.html_pieces(rest, body.len());
    reader.flush();
    reader.blocks
}

/// The state of one pass over pulldown-cmark's events.
struct Reader {
    /// Byte offsets of the body's newlines, to turn offsets into lines.
    newlines: Vec<usize>,
    blocks: Vec<Block>,
    current: Option<Block>,
    /// Links and bold spans opened and not yet closed: where their text starts.
    open_links: Vec<(usize, String)>,
    open_strong: Vec<usize>,
    /// Inside code blocks, images or metadata: text there is not read.
    skip: usize,
    items: usize,
    tables: usize,
    section: Option<usize>,
    /// The body's raw HTML, read as one document.
    html: HtmlReader,
}

impl Reader {
    fn new(body: &str) -> Reader {
        Reader {
            newlines: body.match_indices('\n').map(|(i, _)| i).collect(),
            blocks: Vec::new(),
            current: None,
            open_links: Vec::new(),
            open_strong: Vec::new(),
            skip: 0,
            items: 0,
            tables: 0,
            section: None,
            html: HtmlReader::new(),
        }
    }

    fn on(&mut self, event: Event<'_>, at: usize) {
        match event {
            Event::Start(tag) => self.start(tag, at),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.push(&t, at)
            }
            Event::SoftBreak | Event::HardBreak => self.line_break(),
            Event::Html(h) | Event::InlineHtml(h) => self.html(&h, at),
            Event::Rule => self.flush(),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, at: usize) {
        match tag {
            Tag::Paragraph => {
                // A list item's first paragraph is the item's text.
                let item_text = self.current.as_ref().is_some_and(|b| b.text.is_empty());
                if !item_text {
                    self.flush();
                    let kind = if self.items > 0 {
                        Kind::ListItem
                    } else {
                        Kind::Paragraph
                    };
                    self.open(kind, at);
                }
            }
            Tag::Heading { level, .. } => {
                self.flush();
                self.open(Kind::Heading(level as u8), at);
            }
            Tag::Item => {
                self.flush();
                self.items += 1;
                self.open(Kind::ListItem, at);
            }
            Tag::List(_) | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_) => self.flush(),
            Tag::HtmlBlock => {
                self.flush();
                self.open(Kind::Paragraph, at);
            }
            Tag::CodeBlock(_) | Tag::Image { .. } | Tag::MetadataBlock(_) => self.skip += 1,
            Tag::Table(_) => {
                self.flush();
                self.tables += 1;
            }
            Tag::TableHead | Tag::TableRow => self.row(at, matches!(tag, Tag::TableHead)),
            Tag::TableCell => self.cell(),
            Tag::Strong => self.open_strong.push(self.len()),
            Tag::Link { dest_url, .. } => {
                self.open_links.push((self.len(), dest_url.into_string()))
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::HtmlBlock
            | TagEnd::TableHead
            | TagEnd::TableRow => self.flush(),
            TagEnd::Item => {
                self.flush();
                self.items = self.items.saturating_sub(1);
            }
            TagEnd::CodeBlock | TagEnd::Image | TagEnd::MetadataBlock(_) => {
                self.skip = self.skip.saturating_sub(1)
            }
            TagEnd::TableCell => {
                let len = self.len();
                if let Some(cell) = self.current.as_mut().and_then(|b| b.cells.last_mut()) {
                    cell.1 = len;
                }
            }
            TagEnd::Strong => {
                if let Some(start) = self.open_strong.pop() {
                    let end = self.len();
                    if let Some(b) = self.current.as_mut() {
                        b.strong.push((start.min(end), end));
                    }
                }
            }
            TagEnd::Link => self.close_link(),
            _ => {}
        }
    }

    fn row(&mut self, at: usize, header: bool) {
        self.flush();
        let table = self.tables;
        self.open(Kind::TableRow { table, header }, at);
    }

    fn cell(&mut self) {
        let Some(block) = self.current.as_mut() else {
            return;
        };
        if !block.cells.is_empty() {
            block.text.push_str(" | ");
        }
        let at = block.text.len();
        block.cells.push((at, at));
    }

    fn close_link(&mut self) {
        let Some((at, url)) = self.open_links.pop() else {
            return;
        };
        if let Some(b) = self.current.as_mut() {
            let at = at.min(b.text.len());
            let label = b.text[at..].trim().to_owned();
            b.links.push(Link { label, url, at });
        }
    }

    fn len(&self) -> usize {
        self.current.as_ref().map_or(0, |b| b.text.len())
    }

    fn line_of(&self, at: usize) -> usize {
        self.newlines.partition_point(|&n| n < at)
    }

    fn open(&mut self, kind: Kind, at: usize) {
        self.open_links.clear();
        self.open_strong.clear();
        self.current = Some(Block {
            line: self.line_of(at),
            kind,
            text: String::new(),
            links: Vec::new(),
            strong: Vec::new(),
            breaks: Vec::new(),
            cells: Vec::new(),
            section: self.section,
        });
    }

    /// Appends text to the open block (opening a paragraph for stray text).
    fn push(&mut self, text: &str, at: usize) {
        if self.skip > 0 {
            return;
        }
        if self.current.is_none() {
            self.open(Kind::Paragraph, at);
        }
        if let Some(b) = self.current.as_mut() {
            let text = if b.text.is_empty() {
                text.trim_start()
            } else {
                text
            };
            b.text.push_str(text);
        }
    }

    fn line_break(&mut self) {
        let open = self.current.as_mut();
        if let Some(b) = open.filter(|b| !b.text.is_empty() && !b.text.ends_with(' ')) {
            b.breaks.push(b.text.len());
            b.text.push(' ');
        }
    }

    /// Raw HTML: tags go (`<a href>` becomes a link, `<br>` and block tags a line break),
    /// text stays. One tokenizer reads all of the body's HTML, so `</a>` in one inline tag
    /// closes the `<a href>` of another.
    fn html(&mut self, html: &str, at: usize) {
        let pieces = self.html.read(html);
        self.html_pieces(pieces, at);
    }

    fn html_pieces(&mut self, pieces: Vec<Piece>, at: usize) {
        const BREAKS: &[&str] = &[
            "br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4",
        ];
        for piece in pieces {
            match piece {
                Piece::Text(text) => self.html_text(&text, at),
                Piece::Start {
                    name,
                    href: Some(href),
                } if name == "a" => self.open_links.push((self.len(), href)),
                Piece::End(name) if name == "a" => self.close_link(),
                Piece::Start { name, .. } | Piece::End(name) if BREAKS.contains(&name.as_str()) => {
                    self.line_break()
                }
                _ => {}
            }
        }
    }

    fn html_text(&mut self, text: &str, at: usize) {
        for (i, piece) in text.split('\n').enumerate() {
            if i > 0 {
                self.line_break();
            }
            if !piece.trim().is_empty() {
                self.push(piece, at);
            }
        }
    }

    /// Closes the open block: trailing spaces go, bare URLs become links, and it is kept if
    /// it has text.
    fn flush(&mut self) {
        let Some(mut block) = self.current.take() else {
            return;
        };
        let trimmed = block.text.trim_end().len();
        block.text.truncate(trimmed);
        block.breaks.retain(|&b| b < trimmed);
        for cell in &mut block.cells {
            *cell = (cell.0.min(trimmed), cell.1.min(trimmed));
        }
        if block.text.is_empty() {
            return;
        }
        bare_links(&mut block);
        if block.is_heading() {
            self.section = Some(self.blocks.len());
            block.section = self.section;
        }
        self.blocks.push(block);
    }
}

/// Bare `https://...` URLs in a block's text that are not already links become links.
fn bare_links(block: &mut Block) {
    let mut from = 0;
    let mut found = Vec::new();
    while let Some((start, end)) = crate::content::find_bare_url(&block.text[from..]) {
        let (start, end) = (from + start, from + end);
        let inside = block
            .links
            .iter()
            .any(|l| l.at <= start && start < l.at + l.label.len().max(1));
        if !inside {
            let shown = &block.text[start..end];
            let url = if shown.starts_with("www.") {
                format!("https://{shown}")
            } else {
                shown.to_owned()
            };
            found.push(Link {
                label: shown.to_owned(),
                url,
                at: start,
            });
        }
        from = end;
    }
    if !found.is_empty() {
        block.links.extend(found);
        block.links.sort_by_key(|l| l.at);
    }
}

/// The sentences of a plain text, as byte ranges: they end at `.`, `!`, `?` or `…` followed by
/// a space (so URLs, times like 6.30 and "e.g." stay whole).
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if !next_is_space || (c == '.' && abbreviation_before(&text[start..i])) {
            continue;
        }
        let end = i + c.len_utf8();
        if !text[start..end].trim().is_empty() {
            out.push((start, end));
        }
        start = end;
    }
    if !text[start..].trim().is_empty() {
        out.push((start, text.len()));
    }
    out
}

fn abbreviation_before(text: &str) -> bool {
    let word = text
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    word.chars().count() == 1 || ABBREVIATIONS.contains(&word.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Vec<String> {
        parse(body).into_iter().map(|b| b.text).collect()
    }

    #[test]
    fn blocks_keep_their_line_kind_section_and_links() {
        let body = "Intro.\n\n## Riverside January\n\nOur next meetup will be on\nWednesday 14th January. [RSVP](https://e.example.org/1)\n\n![photo](/x.jpg)\n\nBye!\n";
        let blocks = parse(body);
        let kinds: Vec<Kind> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Paragraph,
                Kind::Heading(2),
                Kind::Paragraph,
                Kind::Paragraph
            ]
        );
        let event = &blocks[2];
        assert_eq!(
            event.text,
            "Our next meetup will be on Wednesday 14th January. RSVP"
        );
        assert_eq!((event.line, event.section), (4, Some(1)));
        assert_eq!(event.breaks, [26]);
        assert_eq!(
            event.links,
            [Link {
                label: "RSVP".into(),
                url: "https://e.example.org/1".into(),
                at: 51
            }]
        );
        assert_eq!(section_title(&blocks, 3), Some("Riverside January"));
        assert_eq!(section_title(&blocks, 0), None);
    }

    #[test]
    fn list_items_quotes_and_code_are_read_as_organisers_mean_them() {
        let body = "- one\n- two\n  continued\n\n> quoted\n\n```\nnext meetup 9 May\n```\n\n    indented code\n\n1. first\n   - nested\n";
        let blocks = parse(body);
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["one", "two continued", "quoted", "first", "nested"]);
        assert_eq!(
            (blocks[0].kind, blocks[2].kind),
            (Kind::ListItem, Kind::Paragraph)
        );
        assert_eq!(blocks[3].line, 12);
    }

    #[test]
    fn plain_text_keeps_link_texts_and_collects_every_kind_of_link() {
        let blocks = parse("**Join** us _on_ 9 May: [RSVP *now*](https://e.example.org/1 \"t\"), <https://x.example.org/a>, <a href=\"https://y.example.org\">tickets</a> or https://z.example.org/e. ![pic](/p.jpg) snake_case &amp; \\*");
        let block = &blocks[0];
        assert_eq!(
            block.text,
            "Join us on 9 May: RSVP now, https://x.example.org/a, tickets or https://z.example.org/e.  snake_case & *"
        );
        let urls: Vec<(&str, &str)> = block
            .links
            .iter()
            .map(|l| (l.label.as_str(), l.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                ("RSVP now", "https://e.example.org/1"),
                ("https://x.example.org/a", "https://x.example.org/a"),
                ("tickets", "https://y.example.org"),
                ("https://z.example.org/e", "https://z.example.org/e"),
            ]
        );
        assert_eq!(
            &block.text[block.links[2].at..block.links[2].at + 7],
            "tickets"
        );
        assert_eq!(&block.text[block.strong[0].0..block.strong[0].1], "Join");
    }

    #[test]
    fn tables_are_rows_of_cells() {
        let body = "| When | Where |\n|---|---|\n| Thursday 9 April | [Example Hall](https://h.example.org) |\n";
        let blocks = parse(body);
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[0].kind,
            Kind::TableRow {
                table: 1,
                header: true
            }
        );
        assert_eq!(
            blocks[1].kind,
            Kind::TableRow {
                table: 1,
                header: false
            }
        );
        assert_eq!(blocks[1].text, "Thursday 9 April | Example Hall");
        assert_eq!(
            (blocks[1].cell(0), blocks[1].cell(1)),
            (Some("Thursday 9 April"), Some("Example Hall"))
        );
        assert_eq!(blocks[1].links[0].at, 19);
        assert_eq!(blocks[1].line, 2);
    }

    #[test]
    fn html_blocks_give_their_text_and_links() {
        let body = "<p>See you on 9 May!<br>\n<a href=\"https://e.example.org/9\">RSVP</a></p>\n\nAfter.\n";
        let blocks = parse(body);
        assert_eq!(blocks[0].text, "See you on 9 May! RSVP");
        assert_eq!(blocks[0].links[0].url, "https://e.example.org/9");
        assert_eq!(blocks[1].text, "After.");
        // Inline tags come one event at a time: the `</a>` of one closes the `<a>` of another.
        let blocks = parse(
            "Meet us <a href='https://e.example.org/9?a=1&amp;b=2'>here</a> on 9 May.\n\n<p>Doors 9&nbsp;am&hellip;</p>\n",
        );
        assert_eq!(blocks[0].text, "Meet us here on 9 May.");
        assert_eq!(blocks[1].text, "Doors 9 am…");
        assert_eq!(blocks[0].links[0].url, "https://e.example.org/9?a=1&b=2");
        assert_eq!(blocks[0].links[0].label, "here");
    }

    #[test]
    fn unclosed_brackets_stay_text() {
        let blocks = parse("[Broken link]https://e.example.org/x) and [ more");
        assert_eq!(
            blocks[0].text,
            "[Broken link]https://e.example.org/x) and [ more"
        );
    }

    #[test]
    fn lines_split_at_line_breaks() {
        let blocks =
            parse("When: Thursday 9 April\nWhere: Example Hall  \nRSVP: https://e.example.org/9\n");
        let b = &blocks[0];
        let lines: Vec<&str> = b.lines().iter().map(|&(s, e)| &b.text[s..e]).collect();
        assert_eq!(
            lines,
            [
                "When: Thursday 9 April",
                "Where: Example Hall",
                "RSVP: https://e.example.org/9"
            ]
        );
    }

    #[test]
    fn sentences_end_at_full_stops_followed_by_space() {
        let text = "Thanks all! See you e.g. at St. Pancras on 9 May at 6.30pm. See https://e.example.org/a.b? Yes";
        let parts: Vec<&str> = sentences(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            parts,
            [
                "Thanks all!",
                " See you e.g. at St. Pancras on 9 May at 6.30pm.",
                " See https://e.example.org/a.b?",
                " Yes"
            ]
        );
        assert_eq!(texts(""), Vec::<String>::new());
    }
}
