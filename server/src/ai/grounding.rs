//! The answer guardrail: a model must not promise a price or a date that the passages it was
//! given do not contain. Amounts and dates are read from the answer and looked for in the
//! passages; one that is missing rejects the answer (the engine then answers extractively).

/// Amounts with a currency ("$12", "12.50 €", "USD 30", "R$ 99,90") and dates ("12/05",
/// "2026-11-30", "30 November", "November 30th"), normalised for comparison.
fn claims(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '!' | '?'))
        .filter(|t| !t.is_empty())
        .collect();
    const CURRENCY: &[&str] = &[
        "$", "€", "£", "¥", "₹", "r$", "usd", "eur", "gbp", "brl", "mxn",
    ];
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ];
    let number = |t: &str| -> Option<String> {
        let digits: String = t
            .trim_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        (!digits.is_empty()).then_some(digits.trim_start_matches('0').to_owned())
    };
    for (i, raw) in tokens.iter().enumerate() {
        let t = raw.to_lowercase();
        let t = t.trim_end_matches(['.', ':']);
        // Currency glued to the amount: $12, 12€, R$99,90.
        let glued = CURRENCY
            .iter()
            .any(|c| (t.starts_with(c) || t.ends_with(c)) && t.len() > c.len());
        let next_is_currency = tokens
            .get(i + 1)
            .is_some_and(|n| CURRENCY.contains(&n.to_lowercase().trim_end_matches('.')));
        let prev_is_currency =
            i > 0 && CURRENCY.contains(&tokens[i - 1].to_lowercase().trim_end_matches('.'));
        let has_digit = t.chars().any(|c| c.is_ascii_digit());
        if has_digit && (glued || next_is_currency || prev_is_currency) {
            if let Some(n) = number(t) {
                found.push(format!("amount:{n}"));
            }
            continue;
        }
        // Numeric dates: 12/05, 2026-11-30 (not 1.5: decimals are not dates).
        let separators = t.matches(['/', '-', '.']).count();
        if has_digit
            && separators >= 1
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '/' | '-' | '.'))
            && t.split(['/', '-', '.'])
                .all(|p| !p.is_empty() && p.len() <= 4)
            && !t.contains('.')
        {
            found.push(format!("date:{t}"));
            continue;
        }
        // "30 November" / "November 30th".
        if MONTHS.contains(&t) {
            let day = |j: Option<&&str>| {
                j.and_then(|d| {
                    let d = d.to_lowercase();
                    let d = d.trim_end_matches(['.', ','].as_ref());
                    let digits: String = d.chars().take_while(char::is_ascii_digit).collect();
                    let rest = &d[digits.len()..];
                    (!digits.is_empty()
                        && digits.len() <= 2
                        && matches!(rest, "" | "st" | "nd" | "rd" | "th" | "º"))
                    .then_some(digits)
                })
            };
            let day = day(tokens.get(i + 1)).or_else(|| day(i.checked_sub(1).map(|j| &tokens[j])));
            if let Some(d) = day {
                found.push(format!("date:{} {}", d.trim_start_matches('0'), &t[..3]));
            }
        }
    }
    found
}

/// The first amount or date in `answer` that none of `passages` contains, if any.
pub fn unsupported_claim(answer: &str, passages: &[&str]) -> Option<String> {
    let known: Vec<String> = passages.iter().flat_map(|p| claims(p)).collect();
    // Amounts also count when the passage writes the number without a currency ("costs 12 dollars").
    let numbers: Vec<String> = passages
        .iter()
        .flat_map(|p| {
            p.split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.trim_start_matches('0').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let joined_numbers: Vec<String> = passages
        .iter()
        .flat_map(|p| {
            p.split(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',')))
                .map(|n| {
                    n.chars()
                        .filter(char::is_ascii_digit)
                        .collect::<String>()
                        .trim_start_matches('0')
                        .to_owned()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    claims(answer).into_iter().find(|claim| {
        if known.contains(claim) {
            return false;
        }
        match claim.strip_prefix("amount:") {
            Some(n) => !numbers.iter().any(|k| k == n) && !joined_numbers.iter().any(|k| k == n),
            None => true,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_are_read() {
        assert_eq!(
            claims("Delivery is $5, or 12.50 € abroad; USD 30 for express. We reopen on 30 November and 2026-12-01."),
            ["amount:5", "amount:1250", "amount:30", "date:30 nov", "date:2026-12-01"]
        );
        assert!(claims("We have 3 branches and open at 9.").is_empty());
    }

    #[test]
    fn claims_must_come_from_the_passages() {
        let passages = [
            "Delivery within the city costs $5; free above 50 dollars. Closed on December 25th.",
        ];
        assert_eq!(unsupported_claim("Delivery costs $5.", &passages), None);
        assert_eq!(unsupported_claim("Free above $50!", &passages), None);
        assert_eq!(
            unsupported_claim("We are closed on 25 Dec.", &passages),
            None
        );
        assert_eq!(
            unsupported_claim("Delivery costs $7.", &passages),
            Some("amount:7".into())
        );
        assert_eq!(
            unsupported_claim("Your order arrives on 3 January.", &passages),
            Some("date:3 jan".into())
        );
        assert_eq!(unsupported_claim("Happy to help!", &[]), None);
    }
}
