//! Formatting shared by the dashboard and the server's messages.

/// "512 B", "14 KB", "1.5 MB", "10 MB".
pub fn bytes(n: u64) -> String {
    const KB: f64 = 1024.0;
    let n_f = n as f64;
    let (value, unit) = if n_f >= KB * KB {
        (n_f / (KB * KB), "MB")
    } else if n_f >= KB {
        (n_f / KB, "KB")
    } else {
        return format!("{n} B");
    };
    if value >= 10.0 || value.fract() < 0.05 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value or an
/// RFC 5987 header parameter.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Seconds since 1970 of an RFC 3339 time in UTC as the API writes it
/// ("2026-11-26T15:48:45Z", fractions and "+00:00" accepted).
pub fn epoch(rfc3339: &str) -> Option<i64> {
    let (date, time) = rfc3339.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let clock = time.get(..8)?;
    let mut t = clock.splitn(3, ':').map(str::parse::<i64>);
    let (h, min, sec) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(y, m, day) * 86_400 + h * 3_600 + min * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A moment for the conversation list, in the owner's local time (`local` = UTC offset in
/// seconds): "14:05" today, "Yesterday", "12 Nov" this year, "12 Nov 2025" before.
pub fn when(at: i64, now: i64, local: i64) -> String {
    let (day, today) = (
        (at + local).div_euclid(86_400),
        (now + local).div_euclid(86_400),
    );
    let (y, m, d) = civil_from_days(day);
    let (this_year, _, _) = civil_from_days(today);
    let month = MONTHS[(m - 1) as usize];
    if day == today {
        clock(at, local)
    } else if day + 1 == today {
        "Yesterday".to_owned()
    } else if y == this_year {
        format!("{d} {month}")
    } else {
        format!("{d} {month} {y}")
    }
}

/// "14:05" in local time.
pub fn clock(at: i64, local: i64) -> String {
    let secs = (at + local).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3_600, secs % 3_600 / 60)
}

/// What is left of a span: "23 h 12 min", "12 min", "under a minute".
pub fn remaining(seconds: i64) -> String {
    let minutes = seconds / 60;
    match minutes {
        ..1 => "under a minute".to_owned(),
        1..60 => format!("{minutes} min"),
        _ => format!("{} h {} min", minutes / 60, minutes % 60),
    }
}

/// Dollars from micro-dollars, with enough digits for a cheap call.
pub fn dollars(micros: i64) -> String {
    format!("${:.5}", micros as f64 / 1e6)
}

/// A piece of WhatsApp-formatted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Bold,
    Italic,
    Strike,
    Mono,
}

/// Splits text written with WhatsApp's markers (`*bold*`, `_italic_`, `~strike~`,
/// ```` ```mono``` ````) into styled pieces, the way WhatsApp shows it: a marker only counts
/// when it opens at a word's start and closes on the same line before a word's end.
pub fn whatsapp_spans(text: &str) -> Vec<(Style, String)> {
    let mut spans: Vec<(Style, String)> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let at_word_start = previous.is_none_or(|p| !p.is_alphanumeric());
        if let Some((style, marker)) = marker_at(rest).filter(|_| at_word_start) {
            let after = &rest[marker.len()..];
            if let Some(end) = closing(after, marker) {
                if !plain.is_empty() {
                    spans.push((Style::Plain, std::mem::take(&mut plain)));
                }
                spans.push((style, after[..end].to_owned()));
                rest = &after[end + marker.len()..];
                previous = marker.chars().last();
                continue;
            }
        }
        plain.push(c);
        previous = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    if !plain.is_empty() {
        spans.push((Style::Plain, plain));
    }
    spans
}

fn marker_at(s: &str) -> Option<(Style, &'static str)> {
    [
        (Style::Mono, "```"),
        (Style::Bold, "*"),
        (Style::Italic, "_"),
        (Style::Strike, "~"),
    ]
    .into_iter()
    .find(|(_, m)| s.starts_with(m))
}

/// Where the closing `marker` is in `s`: text in between, not starting or ending with a space,
/// on one line (mono may span lines).
fn closing(s: &str, marker: &str) -> Option<usize> {
    let end = s.find(marker)?;
    let inner = &s[..end];
    let multiline_ok = marker == "```";
    let ok = !inner.is_empty()
        && !inner.starts_with(' ')
        && !inner.ends_with(' ')
        && (multiline_ok || !inner.contains('\n'))
        && s[end + marker.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
    ok.then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let at = epoch("2026-11-26T15:48:45Z").expect("valid");
        assert_eq!(at, 1_795_708_125);
        assert_eq!(epoch("2026-11-26T15:48:45.123+00:00"), Some(at));
        assert_eq!(epoch("yesterday"), None);
        assert_eq!(clock(at, 0), "15:48");
        assert_eq!(clock(at, -3 * 3_600), "12:48");
        assert_eq!(when(at, at + 60, 0), "15:48");
        assert_eq!(when(at, at + 86_400, 0), "Yesterday");
        assert_eq!(when(at, at + 5 * 86_400, 0), "26 Nov");
        assert_eq!(when(at, at + 60 * 86_400, 0), "26 Nov 2026");
        assert_eq!(remaining(23 * 3_600 + 12 * 60 + 5), "23 h 12 min");
        assert_eq!(remaining(59), "under a minute");
        assert_eq!(dollars(1_250), "$0.00125");
    }

    #[test]
    fn whatsapp_formatting() {
        use Style::*;
        let spans = whatsapp_spans("Hi *Ana*, _really_ ~not~ ```code``` 2*3*4 snake_case_name");
        assert_eq!(
            spans,
            vec![
                (Plain, "Hi ".to_owned()),
                (Bold, "Ana".to_owned()),
                (Plain, ", ".to_owned()),
                (Italic, "really".to_owned()),
                (Plain, " ".to_owned()),
                (Strike, "not".to_owned()),
                (Plain, " ".to_owned()),
                (Mono, "code".to_owned()),
                (Plain, " 2*3*4 snake_case_name".to_owned()),
            ]
        );
        assert_eq!(
            whatsapp_spans("* not bold *"),
            vec![(Plain, "* not bold *".to_owned())]
        );
        assert_eq!(whatsapp_spans(""), vec![]);
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(14 * 1024 + 100), "14 KB");
        assert_eq!(bytes(1536 * 1024), "1.5 MB");
        assert_eq!(bytes(10 * 1024 * 1024), "10 MB");
    }

    #[test]
    fn encoding() {
        assert_eq!(percent_encode("Menú 1/2.pdf"), "Men%C3%BA%201%2F2.pdf");
    }
}
