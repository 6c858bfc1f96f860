//! Text files: encoding detection, and HTML and CSV turned into plain paragraphs.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Decodes UTF-8 or UTF-16 (by byte-order mark), else UTF-8 when valid, else Windows-1252
/// (which maps every byte, and is what "ANSI" text from Windows is).
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    match UTF_8.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => text.into_owned(),
        None => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Text without terminal escape codes (colours, cursor moves, window titles): a log or a
/// command's output saved to a file is still a text document.
pub fn strip_terminal_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters, then one final character from @ to ~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Visible text of an HTML page: scripts and styles dropped, headings as Markdown headings,
/// block elements as paragraph breaks, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            rest = "";
            break;
        };
        let tag = rest[1..close].trim();
        rest = &rest[close + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "script" | "style" | "noscript" | "template" if !closing => {
                let end = format!("</{name}");
                let lower = rest.to_ascii_lowercase();
                rest = lower
                    .find(&end)
                    .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                    .unwrap_or("");
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                out.push_str("\n\n");
                if !closing {
                    let level = usize::from(name.as_bytes()[1] - b'0');
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
            }
            "p" | "div" | "section" | "article" | "header" | "footer" | "main" | "ul" | "ol"
            | "table" | "blockquote" | "pre" | "form" => out.push_str("\n\n"),
            "li" if !closing => out.push_str("\n- "),
            "br" | "tr" | "dt" | "dd" => out.push('\n'),
            "td" | "th" if !closing => out.push_str(" | "),
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    // Inline whitespace in HTML is insignificant: collapse runs within lines.
    out.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|line| line.trim_start_matches("| ").to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // Searched in bytes: a cut at byte 12 may fall inside a character (found by
        // tests/fuzz.rs); `;` is ASCII, so where it is found is a character boundary.
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|b| *b == b';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A CSV table as one paragraph per row, each cell named by its column ("Wine: Rioja; Price:
/// 6 €"), so a passage read alone still says what its numbers are.
pub fn csv_to_text(csv: &str) -> String {
    let delimiter = [',', ';', '\t']
        .into_iter()
        .max_by_key(|d| csv.lines().next().unwrap_or_default().matches(*d).count())
        .unwrap_or(',');
    let mut rows = csv_rows(csv, delimiter).into_iter();
    let Some(header) = rows.next() else {
        return String::new();
    };
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(i, v)| match header.get(i).map(|h| h.trim()) {
                Some(h) if !h.is_empty() => format!("{h}: {}", v.trim()),
                _ => v.trim().to_owned(),
            })
            .collect();
        if !cells.is_empty() {
            out.push_str(&cells.join("; "));
            out.push_str("\n\n");
        }
    }
    out
}

/// RFC 4180 rows: quoted fields may hold delimiters, quotes ("") and line breaks.
fn csv_rows(csv: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == delimiter => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_ampersand_before_a_wide_character_is_kept() {
        assert_eq!(decode_entities("&CA½€íÛf"), "&CA½€íÛf");
        assert_eq!(decode_entities("&amp;é"), "&é");
    }

    #[test]
    fn terminal_codes_are_dropped() {
        assert_eq!(
            strip_terminal_codes("\u{1b}[1;31mClosed\u{1b}[0m on Mondays\u{1b}]0;title\u{7}!"),
            "Closed on Mondays!"
        );
        assert_eq!(strip_terminal_codes("plain \u{1b}"), "plain ");
    }

    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(decode("cancelación".as_bytes()), "cancelación");
        assert_eq!(decode(b"\xef\xbb\xbfhola"), "hola");
        assert_eq!(decode(b"cancelaci\xf3n \x80"), "cancelación €");
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("niño".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16), "niño");
        let utf16be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("niño".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&utf16be), "niño");
    }

    #[test]
    fn html_keeps_visible_text_and_headings() {
        let html = "<!doctype html><html><head><title>x</title><style>p{color:red}</style><script>alert('<p>')</script></head>\
            <body><h1>Opening   hours</h1><p>Open &amp; friendly,<br>noon&nbsp;to 11 pm, caf&#233;</p><!-- hidden --><ul><li>Tue</li><li>Wed</li></ul></body></html>";
        let text = html_to_text(html);
        assert!(text.contains("# Opening hours"), "{text}");
        assert!(
            text.contains("Open & friendly,\nnoon to 11 pm, café"),
            "{text}"
        );
        assert!(text.contains("- Tue\n- Wed"), "{text}");
        assert!(!text.contains("alert") && !text.contains("color") && !text.contains("hidden"));
    }

    #[test]
    fn csv_rows_name_their_columns() {
        let csv =
            "Wine,Glass,Bottle\r\nRioja,6 €,28 €\n\"Albariño, Rías Baixas\",5 €,\"24 \"\"€\"\"\"\n";
        assert_eq!(
            csv_to_text(csv),
            "Wine: Rioja; Glass: 6 €; Bottle: 28 €\n\nWine: Albariño, Rías Baixas; Glass: 5 €; Bottle: 24 \"€\"\n\n"
        );
        assert_eq!(csv_to_text("a;b\n1;2\n"), "a: 1; b: 2\n\n");
    }
}
