//! Backup download and the audit log.

use leptos::prelude::*;

use crate::api::settings::audit_log;
use crate::components::feedback::ErrorBox;
use crate::error::AppError;
use crate::model::{audit_label, AuditEntry};

#[component]
pub fn Backup() -> impl IntoView {
    view! {
        <section id="backup" class="card" aria-labelledby="backup-title">
            <h2 id="backup-title">"Backup"</h2>
            <p class="muted">
                "One file with everything: conversations, customers, knowledge (with the uploaded files), templates, settings, usage and WhatsApp media. Secrets inside stay encrypted with this server's secret key, which the backup leaves out: restored on another server, the WhatsApp token, app secret and AI keys are entered again (or that server is given the same SECRET_KEY). Restore it on any Replydesk, SQLite or PostgreSQL, with "
                <code>"replydesk restore FILE"</code> "."
            </p>
            <a class="button" href="/api/settings/backup" download rel="external" data-testid="backup-download">
                "Download a backup"
            </a>
        </section>
    }
}

#[component]
pub fn AuditLog() -> impl IntoView {
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let load = move |from: Option<String>| {
        loading.set(true);
        leptos::task::spawn_local(async move {
            match audit_log(from).await {
                Ok(page) => {
                    entries.update(|e| e.extend(page.items));
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    // Loaded in the browser: the log changes with every action, and is not worth a render.
    Effect::new(move |_| load(None));
    view! {
        <section id="audit" class="card" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <p class="muted">"Your actions on this dashboard, newest first, with the address they came from."</p>
            {move || error.get().map(|error| view! { <ErrorBox error /> })}
            <div class="table-scroll">
                <table data-testid="audit-log">
                    <thead>
                        <tr>
                            <th scope="col">"When (UTC)"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Details"</th>
                            <th scope="col">"Address"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || entries.get() key=|e| e.id let:e>
                            <tr>
                                <td>{e.at.replace('T', " ").trim_end_matches('Z').to_owned()}</td>
                                <td>{audit_label(&e.action).to_owned()}</td>
                                <td>{e.detail}</td>
                                <td>{e.ip.unwrap_or_default()}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            {move || (loading.get() && entries.with(Vec::is_empty)).then(|| view! { <p class="muted">"Loading…"</p> })}
            {move || cursor.get().map(|next| view! {
                <button type="button" class="secondary" disabled=move || loading.get() on:click=move |_| load(Some(next.clone()))>
                    "Show older"
                </button>
            })}
        </section>
    }
}
