use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{AnalyticsQuery, AnalyticsReport};

/// The figures of a range of days (the last 30 when none is given).
#[server(prefix = "/api", endpoint = "analytics/report", input = Json, output = Json)]
pub async fn load_analytics(
    #[server(default)] query: AnalyticsQuery,
) -> Result<AnalyticsReport, AppError> {
    super::caller()?.owner()?;
    super::state()?.analytics.report(query).await
}
