//! What a call cost: tokens times the model's price. Prices are dollars per million tokens,
//! editable by the owner; costs are stored in micro-dollars (integers add up exactly).

use app::model::ModelPrice;

/// Defaults for common models (list prices, late 2026). The owner edits them on the AI page.
pub fn defaults() -> Vec<ModelPrice> {
    [
        ("gpt-4o-mini", 0.15, 0.60),
        ("gpt-4o", 2.50, 10.00),
        ("gpt-4.1-mini", 0.40, 1.60),
        ("gpt-4.1", 2.00, 8.00),
        ("gpt-5-mini", 0.25, 2.00),
        ("claude-3-5-haiku-latest", 0.80, 4.00),
        ("claude-haiku-4-5", 1.00, 5.00),
        ("claude-sonnet-4-5", 3.00, 15.00),
        ("llama-3.1-8b-instant", 0.05, 0.08),
        ("text-embedding-3-small", 0.02, 0.0),
        ("text-embedding-3-large", 0.13, 0.0),
    ]
    .into_iter()
    .map(|(model, input, output)| ModelPrice {
        model: model.to_owned(),
        input_per_million: input,
        output_per_million: output,
    })
    .collect()
}

/// The price of `model`: an exact match, else the part after a vendor prefix
/// ("openai/gpt-4o-mini" on OpenRouter costs what gpt-4o-mini costs).
pub fn price_of<'a>(prices: &'a [ModelPrice], model: &str) -> Option<&'a ModelPrice> {
    let bare = model.rsplit('/').next().unwrap_or(model);
    prices
        .iter()
        .find(|p| p.model == model)
        .or_else(|| prices.iter().find(|p| p.model == bare))
}

/// Micro-dollars for a call; 0 for a model without a price (local models usually).
pub fn cost_micros(prices: &[ModelPrice], model: &str, tokens_in: u32, tokens_out: u32) -> i64 {
    let Some(p) = price_of(prices, model) else {
        return 0;
    };
    let micros =
        f64::from(tokens_in) * p.input_per_million + f64::from(tokens_out) * p.output_per_million;
    // dollars per million tokens × tokens = micro-dollars.
    micros.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_table_and_vendor_prefixes() {
        let prices = defaults();
        // 1,000 in at $0.15/M + 500 out at $0.60/M = 150 + 300 micro-dollars.
        assert_eq!(cost_micros(&prices, "gpt-4o-mini", 1000, 500), 450);
        assert_eq!(cost_micros(&prices, "openai/gpt-4o-mini", 1000, 500), 450);
        assert_eq!(cost_micros(&prices, "llama3.1:8b", 1000, 500), 0);
    }
}
