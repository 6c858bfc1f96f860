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

#[cfg(test)]
mod tests {
    use super::*;

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
