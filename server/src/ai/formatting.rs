//! Making a model's answer fit WhatsApp: its own formatting (*bold*, _italic_, • bullets; no
//! headers or tables), a length limit cut at a sentence, and messages of at most 4,096 characters.

/// WhatsApp's limit for one text message.
pub const MESSAGE_LIMIT: usize = 4096;

/// Markdown as models write it, turned into what WhatsApp renders.
pub fn to_whatsapp(text: &str) -> String {
    let mut lines = Vec::new();
    for raw in text.replace("\r\n", "\n").lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        // Table separator rows (|---|:--:|) carry nothing.
        if trimmed.starts_with('|') && trimmed.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            continue;
        }
        if trimmed.starts_with("```") {
            continue;
        }
        let converted = if let Some(heading) = heading(trimmed) {
            format!("*{}*", inline(heading))
        } else if trimmed.starts_with('|') {
            let cells: Vec<String> = trimmed
                .trim_matches('|')
                .split('|')
                .map(|c| inline(c.trim()))
                .filter(|c| !c.is_empty())
                .collect();
            cells.join(" — ")
        } else if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
            .or_else(|| trimmed.strip_prefix("+ "))
        {
            format!("• {}", inline(item))
        } else if trimmed.chars().all(|c| matches!(c, '-' | '*' | '_')) && trimmed.len() >= 3 {
            continue; // horizontal rule
        } else {
            inline(line)
        };
        lines.push(converted);
    }
    // At most one blank line in a row, none at the ends.
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&line);
    }
    out
}

fn heading(line: &str) -> Option<&str> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    (1..=6)
        .contains(&hashes)
        .then(|| line[hashes..].strip_prefix(' '))
        .flatten()
        .map(str::trim)
}

/// `**bold**` → `*bold*`, `__x__` → `_x_`, `[text](url)` → `text (url)`, `` `code` `` → code.
fn inline(text: &str) -> String {
    let text = text.replace("**", "*").replace("__", "_").replace('`', "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else {
            break;
        };
        out.push_str(&rest[..open]);
        let label = &rest[open + 1..close];
        let url = &rest[close + 2..end];
        if label == url || label.is_empty() {
            out.push_str(url);
        } else {
            out.push_str(&format!("{label} ({url})"));
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Byte offsets just after each sentence end ("." "!" "?" "…" followed by space or end, or a
/// line break).
fn sentence_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let after = i + c.len_utf8();
        let next = chars.peek().map(|(_, n)| *n);
        let terminal = matches!(c, '.' | '!' | '?' | '…' | '。');
        if c == '\n' || (terminal && next.is_none_or(char::is_whitespace)) {
            ends.push(after);
        }
    }
    ends
}

/// `text` cut to at most `max` characters, at the last sentence end that fits (a word boundary
/// when no sentence does).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let limit = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let cut = sentence_ends(text)
        .into_iter()
        .take_while(|end| *end <= limit)
        .last()
        .filter(|end| *end > limit / 3)
        .or_else(|| text[..limit].rfind(char::is_whitespace))
        .unwrap_or(limit);
    text[..cut].trim_end().to_owned()
}

/// `text` as messages of at most `limit` characters, split at sentence ends.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let part = shorten(rest, limit);
        let part = if part.is_empty() {
            // A single unbroken run longer than the limit.
            rest.chars().take(limit).collect()
        } else {
            part
        };
        rest = rest[part.len()..].trim_start();
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_whatsapp_formatting() {
        let md = "## Opening hours\n\nWe are **open** Mon–Sat.\n\n| Day | Hours |\n|---|---|\n| Mon | 9–18 |\n\n- Free [parking](https://x.test)\n* `Wi-Fi`\n\n\n\n---\nBye";
        assert_eq!(
            to_whatsapp(md),
            "*Opening hours*\n\nWe are *open* Mon–Sat.\n\nDay — Hours\nMon — 9–18\n\n• Free parking (https://x.test)\n• Wi-Fi\n\nBye"
        );
    }

    #[test]
    fn shortening_stops_at_a_sentence() {
        let text = "First sentence here. Second one is longer than that. Third.";
        assert_eq!(shorten(text, 30), "First sentence here.");
        assert_eq!(shorten(text, 200), text);
        assert_eq!(
            shorten("no sentence ends in this long line", 20),
            "no sentence ends in"
        );
    }

    #[test]
    fn long_answers_split_at_sentences_within_the_limit() {
        let sentence = "This is one sentence of the answer. ";
        let text = sentence.repeat(300);
        let parts = split(&text, MESSAGE_LIMIT);
        assert!(parts.len() >= 3);
        for part in &parts {
            assert!(part.chars().count() <= MESSAGE_LIMIT);
            assert!(part.ends_with('.'), "{}", &part[part.len() - 10..]);
        }
        assert_eq!(parts.join(" "), text.trim());
        let unbroken = "x".repeat(5000);
        let parts = split(&unbroken, MESSAGE_LIMIT);
        assert_eq!(parts.iter().map(String::len).sum::<usize>(), 5000);
    }
}
