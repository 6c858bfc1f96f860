//! Passages: pieces of a document's text that follow its structure, each small enough to say one
//! thing and whole enough to be read alone.
//!
//! The extracted text marks headings the Markdown way (`# Title`, `## Section`); a short line in
//! capitals ("PARKING") is a heading too. A passage never spans two sections. Within a section:
//! - a **table row** is one unit, written with its header ("Dish: Cod fritters | Price: €8.50"),
//!   so a row read alone still says what its numbers are;
//! - a **list item** is one unit;
//! - a **paragraph** is one unit, cut at sentence ends when longer than [`MAX_CHARS`].
//!
//! Units are packed into passages of at most [`MAX_CHARS`] (aiming at [`TARGET_CHARS`]); prose
//! passages of one section overlap by their last sentence (at most [`OVERLAP_CHARS`]) so that a
//! fact cut by a boundary is whole in one of them. Table rows and list items stand alone and are
//! never repeated.

/// Passages are packed up to this length (characters).
pub const MAX_CHARS: usize = 700;
/// Packing stops once a passage is this long and the next unit would not fit well.
const TARGET_CHARS: usize = 450;
/// The most text a passage repeats from the one before.
pub const OVERLAP_CHARS: usize = 160;
/// A line in capitals up to this long, alone on its line, is a heading.
const CAPS_HEADING_CHARS: usize = 60;

/// The chunker's output is what the database stores: one type, declared beside its table.
pub use crate::db::chunks::Passage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Prose,
    Item,
    Row,
}

/// A piece of a section: its text (a slice, or a table row with its header) and byte range.
struct Unit {
    kind: Kind,
    text: String,
    start: usize,
    end: usize,
    /// Continues the unit before it (a long paragraph's next piece): joined with a space.
    continues: bool,
}

struct Section {
    heading_path: String,
    units: Vec<Unit>,
}

/// Splits `text` into passages.
pub fn passages(text: &str) -> Vec<Passage> {
    let mut out = Vec::new();
    let mut chars = CharOffsets::new(text);
    for section in sections(text) {
        pack(&section, &mut out, &mut chars);
    }
    out
}

/// A Markdown heading, or a short line in capitals: (level, title).
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if level > 0 {
        let title = line[level..].strip_prefix(' ')?.trim();
        return ((1..=6).contains(&level) && !title.is_empty()).then_some((level, title));
    }
    let title = line.trim().trim_end_matches(':');
    let letters = title.chars().filter(|c| c.is_alphabetic()).count();
    let caps = letters >= 3
        && title.chars().count() <= CAPS_HEADING_CHARS
        && !title.chars().any(char::is_lowercase)
        && !title.contains(" | ")
        && !title.ends_with(['.', '!', '?']);
    // Below any Markdown heading of the document: level 7.
    caps.then_some((7, title))
}

fn list_item(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("• ") || t.starts_with("– ")
    {
        return true;
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    (1..=3).contains(&digits) && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

fn table_line(line: &str) -> bool {
    let t = line.trim();
    t.contains(" | ") || (t.starts_with('|') && t.len() > 1)
}

/// A table's cells: "| a | b |", " | a | b" (HTML) and "a | b" (Word) alike.
fn cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_owned()).collect()
}

/// "|---|:--:|" between a Markdown table's header and its rows.
fn separator_row(cells: &[String]) -> bool {
    cells
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// A row written with its header: "Dish: Cod fritters | Price: €8.50".
fn row_text(header: Option<&[String]>, row: &[String]) -> String {
    row.iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(
            |(i, v)| match header.and_then(|h| h.get(i)).filter(|h| !h.is_empty()) {
                Some(h) => format!("{h}: {v}"),
                None => v.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The text's units grouped by the headings above them.
fn sections(text: &str) -> Vec<Section> {
    let mut b = Builder {
        text,
        sections: Vec::new(),
        path: Vec::new(),
        paragraph: None,
        table: Table::None,
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end();
        let end = start + content.len();
        if content.trim().is_empty() {
            // A blank line ends a paragraph but not a table: HTML and Word tables often have
            // blank lines between their rows.
            b.close_paragraph();
        } else if table_line(content) {
            b.close_paragraph();
            b.row(cells(content), start, end);
        } else if let Some((level, title)) = heading(content) {
            b.close_block();
            b.path.retain(|(l, _)| *l < level);
            b.path.push((level, title.to_owned()));
        } else if list_item(content) {
            b.close_block();
            b.add(Kind::Item, text[start..end].trim().to_owned(), start, end);
        } else if b.paragraph.is_none() && b.last_is_item() && line.starts_with([' ', '\t']) {
            // An indented line continues the list item above it.
            b.extend_item(end);
        } else {
            b.close_table();
            b.paragraph = Some(b.paragraph.map_or((start, end), |(s, _)| (s, end)));
        }
    }
    b.close_block();
    b.sections
}

/// Where a table is in being read.
enum Table {
    None,
    /// One line read: the header, if rows follow.
    Header {
        cells: Vec<String>,
        start: usize,
        end: usize,
    },
    Rows(Vec<String>),
}

struct Builder<'a> {
    text: &'a str,
    sections: Vec<Section>,
    path: Vec<(usize, String)>,
    paragraph: Option<(usize, usize)>,
    table: Table,
}

impl Builder<'_> {
    fn add(&mut self, kind: Kind, text: String, start: usize, end: usize) {
        if text.trim().is_empty() {
            return;
        }
        let heading_path = self
            .path
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" › ");
        let unit = Unit {
            kind,
            text,
            start,
            end,
            continues: false,
        };
        match self.sections.last_mut() {
            Some(s) if s.heading_path == heading_path => s.units.push(unit),
            _ => self.sections.push(Section {
                heading_path,
                units: vec![unit],
            }),
        }
    }

    fn last_is_item(&self) -> bool {
        self.sections
            .last()
            .and_then(|s| s.units.last())
            .is_some_and(|u| u.kind == Kind::Item)
    }

    fn extend_item(&mut self, end: usize) {
        let text = self.text;
        if let Some(unit) = self.sections.last_mut().and_then(|s| s.units.last_mut()) {
            unit.end = end;
            unit.text = text[unit.start..end].trim().to_owned();
        }
    }

    fn row(&mut self, cells: Vec<String>, start: usize, end: usize) {
        match std::mem::replace(&mut self.table, Table::None) {
            Table::None => self.table = Table::Header { cells, start, end },
            Table::Header {
                cells: header,
                start: header_start,
                end: header_end,
            } => {
                if separator_row(&cells) {
                    self.table = Table::Header {
                        cells: header,
                        start: header_start,
                        end: header_end,
                    };
                    return;
                }
                self.add(Kind::Row, row_text(Some(&header), &cells), start, end);
                self.table = Table::Rows(header);
            }
            Table::Rows(header) => {
                if !separator_row(&cells) {
                    self.add(Kind::Row, row_text(Some(&header), &cells), start, end);
                }
                self.table = Table::Rows(header);
            }
        }
    }

    fn close_paragraph(&mut self) {
        if let Some((start, end)) = self.paragraph.take() {
            self.add(Kind::Prose, self.text[start..end].to_owned(), start, end);
        }
    }

    /// A lone line with bars is not a table: it stays as written.
    fn close_table(&mut self) {
        if let Table::Header { cells, start, end } = std::mem::replace(&mut self.table, Table::None)
        {
            self.add(Kind::Row, row_text(None, &cells), start, end);
        }
    }

    fn close_block(&mut self) {
        self.close_paragraph();
        self.close_table();
    }
}

/// Cuts a long prose unit at sentence ends (or spaces) into pieces of about [`TARGET_CHARS`].
fn pieces(unit: Unit) -> Vec<Unit> {
    if unit.kind != Kind::Prose || unit.text.chars().count() <= MAX_CHARS {
        return vec![unit];
    }
    let text = unit.text.as_str();
    let mut out = Vec::new();
    let mut start = 0;
    while char_len(&text[start..]) > MAX_CHARS {
        let window_end = nth_char(text, start, TARGET_CHARS + (MAX_CHARS - TARGET_CHARS) / 2);
        let window = &text[start..window_end];
        let cut = sentence_end(window)
            .filter(|c| char_len(&window[..*c]) > TARGET_CHARS / 3)
            .or_else(|| window.rfind(char::is_whitespace).filter(|c| *c > 0))
            .unwrap_or(window.len());
        let end = start + cut;
        out.push(Unit {
            kind: Kind::Prose,
            text: text[start..end].trim().to_owned(),
            start: unit.start + start,
            end: unit.start + start + text[start..end].trim_end().len(),
            continues: start > 0,
        });
        start = end + (text[end..].len() - text[end..].trim_start().len());
    }
    if start < text.len() {
        out.push(Unit {
            kind: Kind::Prose,
            text: text[start..].trim().to_owned(),
            start: unit.start + start,
            end: unit.end,
            continues: true,
        });
    }
    out
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The byte offset `n` characters after `from` (or the end).
fn nth_char(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

/// Byte offset just after the last sentence end (". ", "? ", "! ", or a line break) in `s`.
fn sentence_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    (1..bytes.len()).rev().find(|&i| {
        let after_stop = matches!(bytes[i - 1], b'.' | b'?' | b'!' | b';' | b':')
            && bytes[i].is_ascii_whitespace();
        after_stop || bytes[i - 1] == b'\n'
    })
}

/// The last sentence of prose `text`, if it is short enough to repeat.
fn last_sentence(text: &str) -> Option<&str> {
    let from = sentence_end(text.trim_end_matches(['.', '?', '!']))?;
    let tail = text[from..].trim();
    (!tail.is_empty() && char_len(tail) <= OVERLAP_CHARS && from > 0).then_some(tail)
}

/// Packs one section's units into passages.
fn pack(section: &Section, out: &mut Vec<Passage>, chars: &mut CharOffsets) {
    let units: Vec<Unit> = section
        .units
        .iter()
        .map(|u| Unit {
            kind: u.kind,
            text: u.text.clone(),
            start: u.start,
            end: u.end,
            continues: u.continues,
        })
        .flat_map(pieces)
        .collect();
    let mut first = 0;
    // The sentence the next passage repeats, with where it starts.
    let mut carried: Option<(String, usize)> = None;
    while first < units.len() {
        let mut content = String::new();
        let mut start = units[first].start;
        if let Some((sentence, from)) = carried.take() {
            if char_len(&sentence) + 1 + char_len(&units[first].text) <= MAX_CHARS {
                content.push_str(&sentence);
                start = from;
            }
        }
        let mut last = first;
        loop {
            let unit = &units[last];
            if !content.is_empty() {
                content.push_str(match unit.kind {
                    Kind::Prose if unit.continues => " ",
                    Kind::Prose => "\n\n",
                    _ => "\n",
                });
            }
            content.push_str(&unit.text);
            let Some(next) = units.get(last + 1) else {
                break;
            };
            let size = char_len(&content);
            let grown = size + 2 + char_len(&next.text);
            // Full, or a change of kind (prose → table) once the passage says enough.
            if grown > MAX_CHARS || (size >= TARGET_CHARS && next.kind != unit.kind) {
                break;
            }
            last += 1;
        }
        let end = units[last].end;
        out.push(Passage {
            position: out.len(),
            heading_path: section.heading_path.clone(),
            content,
            char_start: chars.at(start),
            char_end: chars.at(end),
        });
        first = last + 1;
        let ends_in_prose = units[last].kind == Kind::Prose;
        let next_is_prose = units.get(first).is_some_and(|u| u.kind == Kind::Prose);
        if ends_in_prose && next_is_prose {
            carried = last_sentence(&units[last].text).map(|s| {
                let from = units[last].end - s.len();
                (s.to_owned(), from)
            });
        }
    }
}

/// Converts byte offsets to character offsets; offsets asked for may go back a little
/// (overlaps), so it restarts from the nearest point it has passed.
struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    char: usize,
    marks: Vec<(usize, usize)>,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            char: 0,
            marks: Vec::new(),
        }
    }

    fn at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte < self.byte {
            let (b, c) = self
                .marks
                .iter()
                .rev()
                .find(|(b, _)| *b <= byte)
                .copied()
                .unwrap_or((0, 0));
            return c + self.text[b..byte].chars().count();
        }
        self.char += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.marks.push((byte, self.char));
        self.char
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(i: usize) -> String {
        format!("Sentence number {i} explains one more detail of the policy in plain words.")
    }

    fn view(text: &str) -> Vec<(String, String)> {
        passages(text)
            .into_iter()
            .map(|p| (p.heading_path, p.content))
            .collect()
    }

    #[test]
    fn sections_follow_headings_and_prose_passages_are_slices() {
        let text = "# Menu\n\nIntro paragraph.\n\n## Hours\n\nOpen at noon.\nClosed Mondays.\n\n## Prices\n\nWine 6 €.\n";
        let got = passages(text);
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|p| (p.heading_path.as_str(), p.content.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Menu", "Intro paragraph."),
                ("Menu › Hours", "Open at noon.\nClosed Mondays."),
                ("Menu › Prices", "Wine 6 €."),
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        for p in &got {
            let slice: String = chars[p.char_start..p.char_end].iter().collect();
            assert_eq!(slice, p.content);
        }
        assert_eq!(
            got.iter().map(|p| p.position).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn capital_lines_are_headings() {
        // Headings in capitals are siblings: nothing says which is above which.
        let text = "GUEST INFORMATION\n\nDOGS\nDogs are welcome on the terrace, not inside.\n\nPARKING\nThere is no private parking; the Sé car park is 200 m away.\n";
        assert_eq!(
            view(text),
            [
                (
                    "DOGS".to_owned(),
                    "Dogs are welcome on the terrace, not inside.".to_owned()
                ),
                (
                    "PARKING".to_owned(),
                    "There is no private parking; the Sé car park is 200 m away.".to_owned()
                ),
            ]
        );
        // A shout inside a sentence, or a sentence in capitals, is text.
        assert_eq!(view("WE ARE CLOSED ON MONDAYS.\n").len(), 1);
        assert_eq!(view("WE ARE CLOSED ON MONDAYS.\n")[0].0, "");
    }

    #[test]
    fn table_rows_keep_their_header() {
        let markdown = "## Starters\n\n| Dish | Price | Allergens |\n|---|---:|---|\n| Cod fritters | €8.50 | fish, gluten |\n| Olives | €3.00 | |\n";
        let html = "## Starters\n\n | Dish | Price | Allergens\n | Cod fritters | €8.50 | fish, gluten\n | Olives | €3.00 |\n";
        let word = "## Starters\n\nDish | Price | Allergens\nCod fritters | €8.50 | fish, gluten\nOlives | €3.00 | \n";
        let spaced = "## Starters\n\n | Dish | Price | Allergens\n\n | Cod fritters | €8.50 | fish, gluten\n\n | Olives | €3.00 |\n";
        for text in [markdown, html, word, spaced] {
            let got = view(text);
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0].0, "Starters");
            assert_eq!(
                got[0].1,
                "Dish: Cod fritters | Price: €8.50 | Allergens: fish, gluten\nDish: Olives | Price: €3.00",
                "{text}"
            );
        }
        // One line with a bar in it is not a table.
        assert_eq!(
            view("Open | closed Mondays\n")[0].1,
            "Open | closed Mondays"
        );
    }

    #[test]
    fn long_tables_and_lists_split_between_rows_and_items() {
        let rows: String = (0..40)
            .map(|i| {
                format!("| Dish number {i} with a long name | €{i}.50 | gluten, milk, eggs |\n")
            })
            .collect();
        let text = format!("# Menu\n\n| Dish | Price | Allergens |\n|---|---|---|\n{rows}");
        let got = passages(&text);
        assert!(got.len() > 3);
        for p in &got {
            assert!(p.content.chars().count() <= MAX_CHARS);
            for line in p.content.lines() {
                assert!(line.starts_with("Dish: Dish number "), "{line}");
                assert!(line.contains("| Price: €"), "{line}");
            }
        }
        let items: String = (0..30)
            .map(|i| format!("- Item {i}: a bulleted rule about something the shop does.\n"))
            .collect();
        let got = passages(&items);
        assert!(got.len() > 2);
        let all: Vec<&str> = got.iter().flat_map(|p| p.content.lines()).collect();
        assert_eq!(all.len(), 30, "every item once, none cut");
    }

    #[test]
    fn long_sections_pack_to_size_with_overlap() {
        let paragraphs: Vec<String> = (0..12)
            .map(|p| {
                (0..4)
                    .map(|s| sentence(p * 4 + s))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let text = format!("# Policy\n\n{}\n", paragraphs.join("\n\n"));
        let got = passages(&text);
        assert!(got.len() >= 5, "{} passages", got.len());
        for p in &got {
            let len = p.content.chars().count();
            assert!(len <= MAX_CHARS, "passage of {len} characters");
            assert!(len >= 250, "passage of {len} characters");
            assert_eq!(p.heading_path, "Policy");
        }
        for pair in got.windows(2) {
            let last_sentence = pair[0].content.rsplit(". ").next().unwrap_or_default();
            assert!(
                pair[1].content.starts_with(last_sentence),
                "no overlap between {:?} and {:?}",
                pair[0].content,
                pair[1].content
            );
            assert!(pair[1].char_start < pair[0].char_end);
        }
        for i in 0..48 {
            assert!(got.iter().any(|p| p.content.contains(&sentence(i))), "{i}");
        }
    }

    #[test]
    fn a_paragraph_without_breaks_is_cut_at_sentences_or_spaces() {
        let long: String = (0..60).map(sentence).collect::<Vec<_>>().join(" ");
        let words = "word ".repeat(700);
        for text in [long, words] {
            let got = passages(&text);
            assert!(got.len() > 2);
            for p in &got {
                assert!(p.content.chars().count() <= MAX_CHARS);
                assert!(!p.content.starts_with(' ') && !p.content.ends_with(' '));
            }
        }
        let unbroken = "x".repeat(3000);
        let got = passages(&unbroken);
        assert_eq!(got.iter().map(|p| p.content.len()).sum::<usize>(), 3000);
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let text = "¿Cuál es la política de cancelación? ".repeat(120);
        let got = passages(&text);
        let chars: Vec<char> = text.chars().collect();
        for p in &got {
            let slice: String = chars[p.char_start..p.char_end].iter().collect();
            assert_eq!(slice, p.content);
        }
    }

    #[test]
    fn empty_and_heading_only_text_has_no_passages() {
        assert!(passages("").is_empty());
        assert!(passages("# Title\n\n## Empty\n").is_empty());
        assert_eq!(passages("#hashtag is text").len(), 1);
    }
}
