//! Model prices (dollars per million tokens) for the usage ledger's costs.

use leptos::prelude::*;

use crate::api::ai::save_ai_prices;
use crate::components::feedback::ErrorBox;
use crate::error::AppError;
use crate::model::{AiSettings, ModelPrice};

#[derive(Clone)]
struct Row {
    key: usize,
    model: RwSignal<String>,
    input: RwSignal<String>,
    output: RwSignal<String>,
}

#[component]
pub fn PriceTable(
    prices: Vec<ModelPrice>,
    saved: Callback<(AiSettings, &'static str)>,
) -> impl IntoView {
    let next = StoredValue::new(prices.len());
    let rows = RwSignal::new(
        prices
            .iter()
            .enumerate()
            .map(|(key, p)| Row {
                key,
                model: RwSignal::new(p.model.clone()),
                input: RwSignal::new(p.input_per_million.to_string()),
                output: RwSignal::new(p.output_per_million.to_string()),
            })
            .collect::<Vec<_>>(),
    );
    let error = RwSignal::new(None::<AppError>);
    let add = move |_| {
        let key = next.get_value();
        next.set_value(key + 1);
        rows.update(|r| {
            r.push(Row {
                key,
                model: RwSignal::new(String::new()),
                input: RwSignal::new("0".into()),
                output: RwSignal::new("0".into()),
            })
        });
    };
    let save = move |_| {
        let mut prices = Vec::new();
        for row in rows.get_untracked() {
            let parse = |s: RwSignal<String>| s.get_untracked().trim().parse::<f64>();
            match (parse(row.input), parse(row.output)) {
                (Ok(input), Ok(output)) => prices.push(ModelPrice {
                    model: row.model.get_untracked(),
                    input_per_million: input,
                    output_per_million: output,
                }),
                _ => {
                    return error.set(Some(AppError::invalid(
                        "prices",
                        format!(
                            "The prices of {} must be numbers.",
                            row.model.get_untracked()
                        ),
                    )))
                }
            }
        }
        leptos::task::spawn_local(async move {
            match save_ai_prices(prices).await {
                Ok(s) => {
                    error.set(None);
                    saved.run((s, "Prices saved."));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="prices-title">
            <h2 id="prices-title">"Model prices"</h2>
            <p class="muted">"US dollars per million tokens. A model that is not listed costs nothing in the ledger (local models)."</p>
            <div class="table-scroll">
                <table class="prices">
                    <thead><tr><th scope="col">"Model"</th><th scope="col">"Input $/M"</th><th scope="col">"Output $/M"</th><th></th></tr></thead>
                    <tbody>
                        <For each=move || rows.get() key=|r| r.key let:row>
                            <tr>
                                <td><input type="text" aria-label="Model" prop:value=move || row.model.get() on:input=move |ev| row.model.set(event_target_value(&ev)) /></td>
                                <td><input type="number" step="0.01" min="0" aria-label="Input price" prop:value=move || row.input.get() on:input=move |ev| row.input.set(event_target_value(&ev)) /></td>
                                <td><input type="number" step="0.01" min="0" aria-label="Output price" prop:value=move || row.output.get() on:input=move |ev| row.output.set(event_target_value(&ev)) /></td>
                                <td><button type="button" class="danger small" on:click=move |_| rows.update(|r| r.retain(|x| x.key != row.key))>"Remove"</button></td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            {move || error.get().map(|error| view! { <ErrorBox error /> })}
            <div class="actions">
                <button type="button" class="secondary" on:click=add>"Add model"</button>
                <button type="button" on:click=save>"Save prices"</button>
            </div>
        </section>
    }
    .into_any()
}
