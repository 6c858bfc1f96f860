//! The AI page: the provider fallback chain, how the bot behaves, model prices and usage.

mod behaviour;
mod prices;
mod providers;
mod usage;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::ai::load_ai_settings;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::model::AiSettings;
use behaviour::BehaviourForm;
use prices::PriceTable;
use providers::ChainEditor;
use usage::UsageTable;

#[component]
pub fn AiPage() -> impl IntoView {
    view! {
        <Title text="AI" />
        <h1>"AI"</h1>
        <AiSections prices=true />
        <UsageTable />
    }
    .into_any()
}

/// The providers and the behaviour forms (and, on the AI page, the prices), loaded and saved
/// together: the AI page and Settings both show them.
#[component]
pub fn AiSections(#[prop(optional)] prices: bool) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let settings = Resource::new(move || version.get(), |_| load_ai_settings());
    // Lives above the sections, which are rebuilt from the saved settings.
    let notice = RwSignal::new(None::<&'static str>);
    let saved = Callback::new(move |(_, what): (AiSettings, &'static str)| {
        notice.set(Some(what));
        version.update(|v| *v += 1);
    });
    view! {
        <p class="ok-text" role="status" data-testid="ai-saved">{move || notice.get()}</p>
        <Transition fallback=|| view! { <Skeleton lines=8 /> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! {
                        <ChainEditor settings=s.clone() saved />
                        <BehaviourForm behaviour=s.behaviour.clone() saved />
                        {prices.then(|| view! { <PriceTable prices=s.prices.clone() saved /> })}
                    }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}
