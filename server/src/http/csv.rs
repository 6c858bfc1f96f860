//! CSV as spreadsheets read it: CRLF rows, quoted fields, no formulas.

/// One field: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-`,
/// `@`, tab or carriage return is neutralised so a spreadsheet never runs a customer's text as
/// a formula (spreadsheets skip a leading tab or CR and then read the `=` after it).
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A header row and the rows under it.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|v| field(v)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Micro-dollars as dollars with all six decimals (exact; a spreadsheet sums them).
pub fn dollars(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-5"), "'-5");
        assert_eq!(field("\t=1+1"), "'\t=1+1");
        assert_eq!(field("\r=1+1"), "\"'\r=1+1\"");
    }

    #[test]
    fn tables_and_dollars() {
        let t = table(&["a", "b"], [vec!["1".into(), "x,y".into()]]);
        assert_eq!(t, "a,b\r\n1,\"x,y\"\r\n");
        assert_eq!(dollars(1_234_567), "1.234567");
        assert_eq!(dollars(42), "0.000042");
    }
}
