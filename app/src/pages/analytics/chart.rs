//! Charts drawn as SVG by the page itself: no chart library to download. Each chart has a
//! text alternative (a title per bar and an accessible summary); the tables below carry every
//! number.

use leptos::prelude::*;

use crate::format::dollars;
use crate::model::DayFigures;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
/// Room under the bars for the first and last day.
const AXIS: f64 = 18.0;

/// A round top for the axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * power)
}

/// Where bar `i` of `n` starts, and how wide bars are.
fn slot(i: usize, n: usize) -> (f64, f64) {
    let step = WIDTH / n.max(1) as f64;
    let gap = (step * 0.2).min(4.0);
    (i as f64 * step + gap / 2.0, (step - gap).max(1.0))
}

/// The chart around `bars`: the base line, the first and last day under it, and the legend.
fn frame(
    label: String,
    testid: &'static str,
    days: &[DayFigures],
    bars: impl IntoView,
    legend: impl IntoView,
) -> impl IntoView {
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {}", HEIGHT + AXIS)
                preserveAspectRatio="none"
                role="img"
                aria-label=label
                data-testid=testid
            >
                <line x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT class="chart-base" />
                {bars}
                <text x="0" y={HEIGHT + AXIS - 4.0} class="chart-axis">{first}</text>
                <text x={WIDTH} y={HEIGHT + AXIS - 4.0} class="chart-axis" text-anchor="end">{last}</text>
            </svg>
            <figcaption class="legend">{legend}</figcaption>
        </figure>
    }
}

/// Messages per day, stacked: customers, the assistant, the owner.
#[component]
pub fn MessagesChart(days: Vec<DayFigures>) -> impl IntoView {
    let top = nice_ceiling(
        days.iter()
            .map(|d| f64::from(d.customer + d.ai + d.owner))
            .fold(0.0, f64::max),
    );
    let scale = HEIGHT / top;
    let n = days.len();
    let total: u32 = days.iter().map(|d| d.customer + d.ai + d.owner).sum();
    let label = format!("Messages per day: {total} in {n} days, up to {top} a day.");
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (x, w) = slot(i, n);
            let mut y = HEIGHT;
            let parts = [("customer", d.customer), ("ai", d.ai), ("owner", d.owner)]
                .into_iter()
                .filter(|(_, count)| *count > 0)
                .map(|(class, count)| {
                    let h = f64::from(count) * scale;
                    y -= h;
                    view! { <rect x=x y=y width=w height=h class=format!("bar-{class}") /> }
                })
                .collect_view();
            let title = format!(
                "{}: {} from customers, {} from the assistant, {} from you",
                d.day, d.customer, d.ai, d.owner
            );
            view! {
                <g class="chart-day">
                    <title>{title}</title>
                    <rect x=x y="0" width=w height=HEIGHT class="chart-hit" />
                    {parts}
                </g>
            }
        })
        .collect_view();
    let legend = view! {
        <span><i class="swatch bar-customer"></i>"Customers"</span>
        <span><i class="swatch bar-ai"></i>"Assistant"</span>
        <span><i class="swatch bar-owner"></i>"You"</span>
        <span class="muted">{format!("Scale: 0–{top} a day")}</span>
    };
    frame(label, "messages-chart", &days, bars, legend)
}

/// Provider spend per day.
#[component]
pub fn CostChart(days: Vec<DayFigures>) -> impl IntoView {
    let top = nice_ceiling(
        days.iter()
            .map(|d| d.cost_micros as f64)
            .fold(0.0, f64::max),
    );
    let scale = HEIGHT / top;
    let n = days.len();
    let label = format!("AI cost per day, up to {} a day.", dollars(top as i64));
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (x, w) = slot(i, n);
            let h = d.cost_micros as f64 * scale;
            view! {
                <g class="chart-day">
                    <title>{format!("{}: {}", d.day, dollars(d.cost_micros))}</title>
                    <rect x=x y="0" width=w height=HEIGHT class="chart-hit" />
                    <rect x=x y={HEIGHT - h} width=w height=h class="bar-cost" />
                </g>
            }
        })
        .collect_view();
    let legend = view! {
        <span class="muted">{format!("Scale: $0–{} a day", dollars(top as i64).trim_start_matches('$'))}</span>
    };
    frame(label, "cost-chart", &days, bars, legend)
}

#[cfg(test)]
mod tests {
    use super::nice_ceiling;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(41.0), 50.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(1_500.0), 2_000.0);
    }
}
