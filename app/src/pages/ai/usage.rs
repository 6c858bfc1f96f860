//! The usage ledger: calls, tokens and cost per day and model.

use leptos::prelude::*;

use crate::api::ai::ai_usage;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::format::dollars;

#[component]
pub fn UsageTable() -> impl IntoView {
    let days = RwSignal::new(30u32);
    let usage = Resource::new(move || days.get(), ai_usage);
    view! {
        <section class="card" aria-labelledby="usage-title">
            <div class="page-head">
                <h2 id="usage-title">"Usage"</h2>
                <select aria-label="Period" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                    <option value="7">"Last 7 days"</option>
                    <option value="30" selected>"Last 30 days"</option>
                    <option value="90">"Last 90 days"</option>
                </select>
            </div>
            <Transition fallback=|| view! { <Skeleton lines=3 /> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted">"No provider calls in this period."</p>
                        }.into_any(),
                        Ok(rows) => {
                            let total: i64 = rows.iter().map(|r| r.cost_micros).sum();
                            let calls: i64 = rows.iter().map(|r| r.calls).sum();
                            view! {
                                <p data-testid="usage-total">{format!("{calls} calls · {}", dollars(total))}</p>
                                <div class="table-scroll">
                                    <table>
                                        <thead><tr>
                                            <th scope="col">"Day"</th><th scope="col">"Model"</th><th scope="col">"Calls"</th>
                                            <th scope="col">"Failed"</th><th scope="col">"Tokens in"</th><th scope="col">"Tokens out"</th><th scope="col">"Cost"</th>
                                        </tr></thead>
                                        <tbody>
                                            {rows.into_iter().map(|r| view! {
                                                <tr>
                                                    <td>{r.day}</td><td>{format!("{} · {}", r.provider, r.model)}</td><td>{r.calls}</td>
                                                    <td>{r.failed}</td><td>{r.tokens_in}</td><td>{r.tokens_out}</td><td>{dollars(r.cost_micros)}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}
