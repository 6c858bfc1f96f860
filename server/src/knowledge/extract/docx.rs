//! Word documents (.docx): the text of `word/document.xml` and the page headers, read straight
//! from the zip. Headings become Markdown headings, list items "- " lines, table rows
//! "cell | cell" lines, so passages know their headings.

use std::io::{BufReader, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{Limits, Unreadable};

const BODY: &str = "word/document.xml";

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<String, Unreadable> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| {
        Unreadable::new("This Word document is damaged (its zip structure cannot be read). Save it again and upload the new file.")
    })?;
    if zip.index_for_name(BODY).is_none() {
        return Err(Unreadable::new(
            "This zip file is not a Word document (.docx). Upload the document itself.",
        ));
    }
    let mut headers: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("word/header") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    headers.sort();

    let mut budget = limits.max_unzipped_bytes;
    let mut out = String::new();
    for name in headers.iter().map(String::as_str).chain([BODY]) {
        let xml = read_entry(&mut zip, name, &mut budget)?;
        let text = paragraphs(&xml)?;
        // Page headers repeat on every page; keep each distinct one once.
        if name != BODY && out.contains(text.trim()) {
            continue;
        }
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}

/// Reads one entry, refusing to inflate more than what is left of `budget` (zip bombs).
fn read_entry(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
) -> Result<Vec<u8>, Unreadable> {
    let too_big = || {
        Unreadable::new(
            "This Word document unpacks to far more data than a document holds (a \"zip bomb\"?). It was not read.",
        )
    };
    let entry = zip.by_name(name).map_err(|_| {
        Unreadable::new("This Word document is damaged. Save it again and upload the new file.")
    })?;
    // The declared size can lie; the read below is capped either way.
    if entry.size() > *budget {
        return Err(too_big());
    }
    let mut xml = Vec::new();
    entry.take(*budget + 1).read_to_end(&mut xml).map_err(|_| {
        Unreadable::new("This Word document is damaged. Save it again and upload the new file.")
    })?;
    if xml.len() as u64 > *budget {
        return Err(too_big());
    }
    *budget -= xml.len() as u64;
    Ok(xml)
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// "Heading2" → 2, "Title" → 1.
fn heading_level(style: &str) -> Option<usize> {
    let lower = style.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let digits = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("berschrift"))?
        .trim();
    digits.parse::<usize>().ok().map(|l| l.clamp(1, 6))
}

/// The paragraphs of a WordprocessingML part as Markdown-ish text.
fn paragraphs(xml: &[u8]) -> Result<String, Unreadable> {
    let mut reader = Reader::from_reader(BufReader::new(xml));
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut paragraph = String::new();
    let mut heading: Option<usize> = None;
    let mut list_item = false;
    let mut in_text = false;
    let mut table_depth = 0usize;
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|_| {
            Unreadable::new("This Word document is damaged (its text is not valid XML). Save it again and upload the new file.")
        })?;
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"pStyle" => {
                    let style = attr(&e, b"val").unwrap_or_default();
                    heading = heading_level(&style);
                    // "ListBullet", "ListNumber", "ListParagraph": numbered through the style.
                    list_item |= style.to_ascii_lowercase().starts_with("list");
                }
                b"numPr" => list_item = true,
                b"t" => in_text = true,
                b"tab" => paragraph.push('\t'),
                b"br" | b"cr" => paragraph.push('\n'),
                b"tbl" => table_depth += 1,
                b"tr" => row.clear(),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    let text = paragraph.trim();
                    if table_depth > 0 {
                        if !cell.is_empty() && !text.is_empty() {
                            cell.push(' ');
                        }
                        cell.push_str(text);
                    } else if !text.is_empty() {
                        match (heading, list_item) {
                            (Some(level), _) => {
                                out.push_str(&"#".repeat(level));
                                out.push(' ');
                            }
                            (None, true) => out.push_str("- "),
                            _ => {}
                        }
                        out.push_str(text);
                        out.push_str("\n\n");
                    }
                    paragraph.clear();
                    heading = None;
                    list_item = false;
                }
                b"tc" => row.push(std::mem::take(&mut cell)),
                b"tr" => {
                    if row.iter().any(|c| !c.is_empty()) {
                        out.push_str(&row.join(" | "));
                        out.push('\n');
                    }
                    row.clear();
                }
                b"tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    out.push('\n');
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Ok(text) = t.decode() {
                    paragraph.push_str(&text);
                }
            }
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    paragraph.push(c);
                } else if let Ok(name) = r.decode() {
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        paragraph.push_str(s);
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_and_tables_keep_their_shape() {
        let xml = br#"<w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Wine list</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">By the glass </w:t></w:r><w:r><w:t>&amp; bottle</w:t></w:r></w:p>
            <w:p><w:pPr><w:numPr/></w:pPr><w:r><w:t>Rioja</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Wine</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Price</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:p><w:r><w:t>Rioja</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>6 &#8364;</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#;
        let text = paragraphs(xml).expect("parses");
        assert_eq!(
            text,
            "# Wine list\n\nBy the glass & bottle\n\n- Rioja\n\nWine | Price\nRioja | 6 €\n\n"
        );
    }

    #[test]
    fn heading_styles() {
        assert_eq!(heading_level("Heading2"), Some(2));
        assert_eq!(heading_level("Title"), Some(1));
        assert_eq!(heading_level("Normal"), None);
    }
}
