//! The Analytics page: how much the assistant answers, how fast, what it costs, and what it
//! could not answer. The range lives in the address (`?days=7`, `?from=…&to=…`), so a view can
//! be bookmarked and shared.

mod chart;
mod tables;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::analytics::load_analytics;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::format::dollars;
use crate::model::{AnalyticsQuery, AnalyticsReport, Percentiles, Totals};
use chart::{CostChart, MessagesChart};
use tables::{DaysTable, GapsTable, ModelsTable};

/// The quick ranges offered above the report.
const PRESETS: [u32; 3] = [7, 30, 90];

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        query.with(|q| AnalyticsQuery {
            from: q.get("from"),
            to: q.get("to"),
            days: q.get("days").and_then(|d| d.parse().ok()),
        })
    });
    let report = Resource::new(move || asked.get(), load_analytics);
    view! {
        <Title text="Analytics" />
        <h1>"Analytics"</h1>
        <RangePicker asked />
        <Transition fallback=|| view! { <Skeleton lines=8 /> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <Report report /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// Preset buttons and a from–to form; both change the address, which reloads the report.
#[component]
fn RangePicker(asked: Memo<AnalyticsQuery>) -> impl IntoView {
    let navigate = use_navigate();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    Effect::new(move |_| {
        let q = asked.get();
        from.set(q.from.unwrap_or_default());
        to.set(q.to.unwrap_or_default());
    });
    let go = move |path: String| navigate(&path, Default::default());
    let preset = {
        let go = go.clone();
        move |days: u32| go(format!("/analytics?days={days}"))
    };
    let current = move |days: u32| {
        let q = asked.get();
        q.from.is_none() && q.days.unwrap_or(30) == days
    };
    view! {
        <div class="range-picker">
            <div class="segmented" role="group" aria-label="Quick ranges">
                {PRESETS
                    .into_iter()
                    .map(|days| {
                        let preset = preset.clone();
                        view! {
                            <button
                                type="button"
                                class="button"
                                aria-pressed=move || current(days).to_string()
                                on:click=move |_| preset(days)
                            >
                                {format!("{days} days")}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <form
                class="range-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    go(format!("/analytics?from={}&to={}", from.get_untracked(), to.get_untracked()));
                }
            >
                <label>
                    "From"
                    <input type="date" name="from" required bind:value=from />
                </label>
                <label>
                    "To"
                    <input type="date" name="to" required bind:value=to />
                </label>
                <button type="submit" class="button primary">"Show"</button>
            </form>
        </div>
    }
}

/// "42%" of `part` in `whole`, or a dash when there is nothing to divide.
fn share(part: u32, whole: u32) -> String {
    if whole == 0 {
        "—".to_owned()
    } else {
        format!("{:.0}%", f64::from(part) * 100.0 / f64::from(whole))
    }
}

/// A measured time in words: "850 ms", "4.2 s", "5 min", "2 h 5 min".
fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".to_owned(),
        Some(ms @ 0..1_000) => format!("{ms} ms"),
        Some(ms @ 1_000..60_000) => format!("{:.1} s", ms as f64 / 1_000.0),
        Some(ms) => crate::format::remaining(ms / 1_000),
    }
}

/// "1 answer", "2 answers".
fn counted(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn percentiles(p: &Percentiles) -> String {
    if p.count == 0 {
        "—".to_owned()
    } else {
        format!("{} · p95 {}", duration(p.p50_ms), duration(p.p95_ms))
    }
}

#[component]
fn Stat(label: &'static str, value: String, #[prop(optional)] hint: String) -> impl IntoView {
    view! {
        <div class="stat">
            <dt>{label}</dt>
            <dd>
                <strong>{value}</strong>
                <span class="muted">{hint}</span>
            </dd>
        </div>
    }
}

fn stats(t: &Totals) -> impl IntoView {
    view! {
        <dl class="stats" data-testid="analytics-stats">
            <Stat label="Customer messages" value=t.customer.to_string() />
            <Stat
                label="Answered by the assistant"
                value=share(t.ai, t.ai + t.owner)
                hint=format!("{} assistant · {} you", t.ai, t.owner)
            />
            <Stat
                label="Hand-off rate"
                value=share(t.handed_off_conversations, t.active_conversations)
                hint=format!("{} of {}", t.handed_off_conversations, counted(t.active_conversations, "conversation", "conversations"))
            />
            <Stat
                label="First response (median)"
                value=percentiles(&t.first_response)
                hint=counted(t.first_response.count, "answered turn", "answered turns")
            />
            <Stat
                label="AI answer time (median)"
                value=percentiles(&t.ai_latency)
                hint=counted(t.ai_latency.count, "answer", "answers")
            />
            <Stat
                label="Conversations"
                value=t.active_conversations.to_string()
                hint=format!("{} new", t.new_conversations)
            />
            <Stat label="AI cost" value=dollars(t.cost_micros) />
            <Stat
                label="Knowledge gaps"
                value=t.knowledge_gaps.to_string()
                hint="questions without a good answer".to_owned()
            />
        </dl>
    }
}

#[component]
fn Report(report: AnalyticsReport) -> impl IntoView {
    let range = format!("from={}&to={}", report.from, report.to);
    let empty = report.totals.customer + report.totals.ai + report.totals.owner == 0;
    view! {
        <p class="muted" data-testid="analytics-range">
            {format!("{} to {} ({})", report.from, report.to, report.timezone)}
        </p>
        {stats(&report.totals)}
        {empty
            .then(|| {
                view! {
                    <p class="card muted">
                        "No customer messages in this range yet. Figures appear as customers write on WhatsApp."
                    </p>
                }
            })}
        <section class="card" aria-labelledby="chart-messages">
            <h2 id="chart-messages">"Messages per day"</h2>
            <MessagesChart days=report.days.clone() />
        </section>
        <section class="card" aria-labelledby="chart-cost">
            <h2 id="chart-cost">"AI cost per day"</h2>
            <CostChart days=report.days.clone() />
        </section>
        <GapsTable gaps=report.gaps range=range.clone() />
        <ModelsTable models=report.models range=range.clone() />
        <DaysTable days=report.days range />
    }
}

#[cfg(test)]
mod tests {
    use super::{counted, duration, share};

    #[test]
    fn figures_in_words() {
        assert_eq!(share(1, 3), "33%");
        assert_eq!(share(0, 0), "—");
        assert_eq!(duration(Some(850)), "850 ms");
        assert_eq!(duration(Some(4_200)), "4.2 s");
        assert_eq!(duration(Some(300_000)), "5 min");
        assert_eq!(duration(None), "—");
        assert_eq!(counted(1, "answer", "answers"), "1 answer");
        assert_eq!(counted(2, "answer", "answers"), "2 answers");
    }
}
