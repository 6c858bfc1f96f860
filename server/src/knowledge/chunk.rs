//! Passages: heading- and paragraph-aware pieces of a document's text, each a slice of it.
//!
//! The extracted text marks headings the Markdown way (`# Title`, `## Section`). A passage never
//! spans two sections: a section's paragraphs are packed into passages of at most
//! [`MAX_CHARS`]; a paragraph longer than that is cut at sentence ends (at spaces for a sentence
//! that long). Passages of one section overlap by their last sentence (at most
//! [`OVERLAP_CHARS`]), so a fact cut by a boundary is whole in one of them.

/// Passages are packed up to this length (characters).
pub const MAX_CHARS: usize = 1200;
/// Long paragraphs are cut into pieces of about this length.
const PIECE_CHARS: usize = 1000;
/// The most text a passage repeats from the one before.
pub const OVERLAP_CHARS: usize = 200;

/// One passage. Offsets are in characters of the extracted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub position: usize,
    /// Headings above the passage, outermost first, joined with " › ".
    pub heading_path: String,
    pub content: String,
    pub char_start: usize,
    pub char_end: usize,
}

/// A run of text (byte offsets) under one heading path.
struct Unit {
    start: usize,
    end: usize,
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
        pack(text, &section, &mut out, &mut chars);
    }
    out
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    let title = line[level..].strip_prefix(' ')?.trim();
    ((1..=6).contains(&level) && !title.is_empty()).then_some((level, title))
}

/// Paragraphs (blank-line separated, byte ranges) grouped by the headings above them.
fn sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut paragraph: Option<(usize, usize)> = None;
    let mut offset = 0;

    let flush = |paragraph: &mut Option<(usize, usize)>,
                 sections: &mut Vec<Section>,
                 path: &[(usize, String)]| {
        let Some((start, end)) = paragraph.take() else {
            return;
        };
        let heading_path = path
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" › ");
        match sections.last_mut() {
            Some(s) if s.heading_path == heading_path => s.units.push(Unit { start, end }),
            _ => sections.push(Section {
                heading_path,
                units: vec![Unit { start, end }],
            }),
        }
    };

    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end();
        if content.trim().is_empty() {
            flush(&mut paragraph, &mut sections, &path);
        } else if let Some((level, title)) = heading(content) {
            flush(&mut paragraph, &mut sections, &path);
            path.retain(|(l, _)| *l < level);
            path.push((level, title.to_owned()));
        } else {
            let end = start + content.len();
            paragraph = Some(paragraph.map_or((start, end), |(s, _)| (s, end)));
        }
    }
    flush(&mut paragraph, &mut sections, &path);
    sections
}

/// Cuts a long range at sentence ends (or spaces) into pieces of about [`PIECE_CHARS`].
fn pieces(text: &str, unit: &Unit) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut start = unit.start;
    while unit.end - start > MAX_CHARS {
        let window_end = floor_char(text, start + PIECE_CHARS);
        let window = &text[start..window_end];
        let cut = sentence_end(window)
            .filter(|c| *c > PIECE_CHARS / 3)
            .or_else(|| window.rfind(char::is_whitespace).filter(|c| *c > 0))
            .unwrap_or(window.len());
        let end = start + cut;
        out.push(Unit {
            start,
            end: trim_end(text, start, end),
        });
        start = skip_space(text, end);
    }
    if start < unit.end {
        out.push(Unit {
            start,
            end: unit.end,
        });
    }
    out
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

fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn trim_end(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end().len()
}

fn skip_space(text: &str, i: usize) -> usize {
    i + (text[i..].len() - text[i..].trim_start().len())
}

/// Packs one section's units into passages.
fn pack(text: &str, section: &Section, out: &mut Vec<Passage>, chars: &mut CharOffsets) {
    let units: Vec<Unit> = section.units.iter().flat_map(|u| pieces(text, u)).collect();
    let mut first = 0;
    let mut overlap_start: Option<usize> = None;
    while first < units.len() {
        let start = overlap_start.unwrap_or(units[first].start);
        let mut last = first;
        while last + 1 < units.len() && units[last + 1].end - start <= MAX_CHARS {
            last += 1;
        }
        let end = units[last].end;
        out.push(Passage {
            position: out.len(),
            heading_path: section.heading_path.clone(),
            content: text[start..end].to_owned(),
            char_start: chars.at(start),
            char_end: chars.at(end),
        });
        first = last + 1;
        // The next passage repeats this one's last sentence, when it is short enough.
        overlap_start = units.get(first).and_then(|next| {
            let tail = &text[start..end];
            let from = sentence_end(tail.trim_end_matches(['.', '?', '!']))?;
            let from = skip_space(text, start + from);
            let short = end - from <= OVERLAP_CHARS && from > start;
            (short && next.end - from <= MAX_CHARS).then_some(from)
        });
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

    #[test]
    fn sections_follow_headings_and_passages_are_slices() {
        let text = "# Menu\n\nIntro paragraph.\n\n## Hours\n\nOpen at noon.\nClosed Mondays.\n\n## Prices\n\nWine 6 €.\n";
        let got = passages(text);
        let view: Vec<(&str, &str)> = got
            .iter()
            .map(|p| (p.heading_path.as_str(), p.content.as_str()))
            .collect();
        assert_eq!(
            view,
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
        assert!(got.len() >= 3, "{} passages", got.len());
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
        // Everything is covered.
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
