//! `GET /api/analytics/export?table=days|models|gaps&from=…&to=…`: one table of the Analytics
//! page as CSV, for the signed-in owner only (the route sits behind the guard).

use std::sync::Arc;

use app::error::AppError;
use app::model::{AnalyticsQuery, AnalyticsReport, ANALYTICS_TABLES};
use app::ports::Analytics;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::audited::Audited;
use super::csv::{dollars, table};
use super::stored_file::attachment;
use crate::error::respond;
use crate::services::analytics::AnalyticsService;

#[derive(Deserialize)]
pub struct Params {
    table: Option<String>,
    from: Option<String>,
    to: Option<String>,
    days: Option<u32>,
}

pub async fn export(
    State(analytics): State<Arc<AnalyticsService>>,
    audited: Audited,
    Query(params): Query<Params>,
) -> Response {
    let name = params.table.unwrap_or_default();
    if !ANALYTICS_TABLES.contains(&name.as_str()) {
        return respond(&AppError::invalid(
            "table",
            "Export the days, models or gaps table.",
        ));
    }
    let query = AnalyticsQuery {
        from: params.from,
        to: params.to,
        days: params.days,
    };
    let report = match analytics.report(query).await {
        Ok(report) => report,
        Err(e) => return respond(&e),
    };
    let file = format!("analytics-{name}-{}-to-{}.csv", report.from, report.to);
    let detail = format!("Analytics {name}, {} to {}", report.from, report.to);
    audited.record("exported", detail).await;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&file)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        csv(&name, &report),
    )
        .into_response()
}

fn csv(name: &str, report: &AnalyticsReport) -> String {
    match name {
        "models" => table(
            &[
                "provider",
                "model",
                "calls",
                "failed",
                "tokens_in",
                "tokens_out",
                "cost_usd",
            ],
            report.models.iter().map(|m| {
                vec![
                    m.provider.clone(),
                    m.model.clone(),
                    m.calls.to_string(),
                    m.failed.to_string(),
                    m.tokens_in.to_string(),
                    m.tokens_out.to_string(),
                    dollars(m.cost_micros),
                ]
            }),
        ),
        "gaps" => table(
            &[
                "question",
                "times_asked",
                "handed_off",
                "last_asked",
                "conversations",
            ],
            report.gaps.iter().map(|g| {
                let ids: Vec<String> = g.conversation_ids.iter().map(i32::to_string).collect();
                vec![
                    g.question.clone(),
                    g.count.to_string(),
                    g.handed_off.to_string(),
                    g.last_at.clone(),
                    ids.join(" "),
                ]
            }),
        ),
        _ => table(
            &["day", "customer", "ai", "owner", "cost_usd"],
            report.days.iter().map(|d| {
                vec![
                    d.day.clone(),
                    d.customer.to_string(),
                    d.ai.to_string(),
                    d.owner.to_string(),
                    dollars(d.cost_micros),
                ]
            }),
        ),
    }
}
