use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::Overview;

#[server(prefix = "/api", endpoint = "system/overview", input = Json, output = Json)]
pub async fn system_overview() -> Result<Overview, AppError> {
    super::caller()?.owner()?;
    super::state()?.system.overview().await
}
