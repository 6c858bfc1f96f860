use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::system::system_overview;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::model::Overview;

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| system_overview());
    view! {
        <Title text="Home" />
        <h1>"Home"</h1>
        <Transition fallback=|| view! { <Skeleton lines=6 /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(overview) => view! { <OverviewCards overview /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn uptime(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        3600..86400 => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{} d {} h", seconds / 86400, seconds % 86400 / 3600),
    }
}

#[component]
fn OverviewCards(overview: Overview) -> impl IntoView {
    let health = overview.health;
    let engine = if health.database == "postgres" {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let jobs = overview.jobs;
    view! {
        <p class="muted">"Welcome back to " {overview.business_name} "."</p>
        <div class="cards">
            <section class="card" aria-labelledby="card-server">
                <h2 id="card-server">"Server"</h2>
                <dl class="facts">
                    <dt>"Status"</dt>
                    <dd>
                        <span class={if health.db_ok { "badge ok" } else { "badge bad" }}>
                            {if health.db_ok { "Healthy" } else { "Database unreachable" }}
                        </span>
                    </dd>
                    <dt>"Version"</dt>
                    <dd>{health.version}</dd>
                    <dt>"Database"</dt>
                    <dd data-testid="db-engine">{engine}</dd>
                    <dt>"Up for"</dt>
                    <dd>{uptime(health.uptime_s)}</dd>
                    <dt>"Public URL"</dt>
                    <dd>{overview.public_url.unwrap_or_else(|| "not set (PUBLIC_URL)".to_owned())}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="card-whatsapp">
                <h2 id="card-whatsapp">"WhatsApp"</h2>
                {match (overview.whatsapp_configured, overview.whatsapp_problem) {
                    (_, Some(problem)) => {
                        view! {
                            <p><span class="badge bad">"Needs attention"</span></p>
                            <p role="alert">{problem}</p>
                            <p class="muted"><A href="/settings#whatsapp">"Check the connection in Settings"</A></p>
                        }
                            .into_any()
                    }
                    (true, None) => view! { <p><span class="badge ok">"Configured"</span></p> }.into_any(),
                    (false, None) => {
                        view! {
                            <p><span class="badge warn">"Not connected"</span></p>
                            <p class="muted">
                                "Enter your number's ID, access token and app secret in "
                                <A href="/settings#whatsapp">"Settings"</A>
                                " to connect your WhatsApp Business number."
                            </p>
                        }
                            .into_any()
                    }
                }}
            </section>
            <section class="card" aria-labelledby="card-ai">
                <h2 id="card-ai">"AI provider"</h2>
                {if overview.ai_configured {
                    view! {
                        <p><span class="badge ok">"Configured"</span></p>
                        <p class="muted"><A href="/ai">"Providers, behaviour and usage"</A></p>
                    }
                        .into_any()
                } else {
                    view! {
                        <p><span class="badge warn">"No-key mode"</span></p>
                        <p class="muted">
                            "The bot answers with excerpts from your documents. "
                            <A href="/ai">"Add a provider"</A>
                            " (or set " <code>"OPENAI_API_KEY"</code> ", " <code>"OPENROUTER_API_KEY"</code> ", "
                            <code>"ANTHROPIC_API_KEY"</code> " or " <code>"LLM_BASE_URL"</code>
                            ") for answers written by a language model, and try it in the "
                            <A href="/simulator">"simulator"</A> "."
                        </p>
                    }
                        .into_any()
                }}
            </section>
            <section class="card" aria-labelledby="card-jobs">
                <h2 id="card-jobs">"Background work"</h2>
                <dl class="facts">
                    <dt>"Waiting"</dt>
                    <dd>{jobs.queued}</dd>
                    <dt>"Running"</dt>
                    <dd>{jobs.running}</dd>
                    <dt>"Failed for good"</dt>
                    <dd>
                        <span class={if jobs.dead > 0 { "badge bad" } else { "badge ok" }}>{jobs.dead}</span>
                    </dd>
                </dl>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uptime_is_readable() {
        assert_eq!(super::uptime(5), "5 s");
        assert_eq!(super::uptime(125), "2 min");
        assert_eq!(super::uptime(3700), "1 h 1 min");
        assert_eq!(super::uptime(90000), "1 d 1 h");
    }
}
