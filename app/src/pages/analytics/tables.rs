//! The report's tables, each with its CSV download.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::format::{dollars, percent_encode};
use crate::model::{DayFigures, GapGroup, ModelFigures};

/// A card with a title, a CSV link for `table` of the same range, and its content.
#[component]
fn TableCard(
    title: &'static str,
    table: &'static str,
    range: String,
    children: Children,
) -> impl IntoView {
    let id = format!("table-{table}");
    let labelled_by = id.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <div class="page-head">
                <h2 id=id>{title}</h2>
                <a
                    class="button small"
                    href=format!("/api/analytics/export?table={table}&{range}")
                    download
                    rel="external"
                >
                    "Download CSV"
                </a>
            </div>
            {children()}
        </section>
    }
}

#[component]
pub fn GapsTable(gaps: Vec<GapGroup>, range: String) -> impl IntoView {
    let body = if gaps.is_empty() {
        view! {
            <p class="muted">"Every question in this range found an answer in the knowledge base."</p>
        }
        .into_any()
    } else {
        let rows = gaps
            .into_iter()
            .map(|g| {
                let faq = format!("/knowledge?faq={}", percent_encode(&g.question));
                let asked = if g.handed_off > 0 {
                    format!("{} ({} handed off)", g.count, g.handed_off)
                } else {
                    g.count.to_string()
                };
                let links = g
                    .conversation_ids
                    .iter()
                    .map(|id| {
                        view! { <A href=format!("/inbox/{id}")>{format!("#{id}")}</A> " " }
                    })
                    .collect_view();
                view! {
                    <tr>
                        <td>{g.question}</td>
                        <td>{asked}</td>
                        <td>{g.last_at.get(..10).unwrap_or_default().to_owned()}</td>
                        <td>{links}</td>
                        <td>
                            <A href=faq attr:class="button small">"Add a FAQ entry"</A>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table data-testid="gaps-table">
                    <thead>
                        <tr>
                            <th scope="col">"Question"</th>
                            <th scope="col">"Asked"</th>
                            <th scope="col">"Last"</th>
                            <th scope="col">"Conversations"</th>
                            <th scope="col"><span class="visually-hidden">"Action"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <TableCard title="Knowledge gaps" table="gaps" range>
            <p class="muted">
                "Questions the assistant could not answer from the knowledge base (no relevant passage, or handed to you), grouped by their words."
            </p>
            {body}
        </TableCard>
    }
}

#[component]
pub fn ModelsTable(models: Vec<ModelFigures>, range: String) -> impl IntoView {
    let body = if models.is_empty() {
        view! { <p class="muted">"No provider calls in this range."</p> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table data-testid="models-table">
                    <thead>
                        <tr>
                            <th scope="col">"Model"</th>
                            <th scope="col">"Calls"</th>
                            <th scope="col">"Failed"</th>
                            <th scope="col">"Tokens in"</th>
                            <th scope="col">"Tokens out"</th>
                            <th scope="col">"Cost"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {models
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <tr>
                                        <td>{format!("{} · {}", m.provider, m.model)}</td>
                                        <td>{m.calls}</td>
                                        <td>{m.failed}</td>
                                        <td>{m.tokens_in}</td>
                                        <td>{m.tokens_out}</td>
                                        <td>{dollars(m.cost_micros)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! { <TableCard title="AI cost per model" table="models" range>{body}</TableCard> }
}

#[component]
pub fn DaysTable(days: Vec<DayFigures>, range: String) -> impl IntoView {
    view! {
        <TableCard title="Per day" table="days" range>
            <details>
                <summary>"Show every day"</summary>
                <div class="table-scroll">
                    <table data-testid="days-table">
                        <thead>
                            <tr>
                                <th scope="col">"Day"</th>
                                <th scope="col">"Customers"</th>
                                <th scope="col">"Assistant"</th>
                                <th scope="col">"You"</th>
                                <th scope="col">"AI cost"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {days
                                .into_iter()
                                .rev()
                                .map(|d| {
                                    view! {
                                        <tr>
                                            <td>{d.day}</td>
                                            <td>{d.customer}</td>
                                            <td>{d.ai}</td>
                                            <td>{d.owner}</td>
                                            <td>{dollars(d.cost_micros)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </TableCard>
    }
}
