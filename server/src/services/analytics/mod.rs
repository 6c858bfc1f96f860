//! The Analytics port: reads the rows of a range and hands them to `figures`.

mod figures;

use app::error::AppError;
use app::model::{AnalyticsQuery, AnalyticsReport};
use app::ports::Analytics;
use async_trait::async_trait;
use chrono::Utc;
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use self::figures::Range;
use crate::db::{analytics as rows, settings};
use crate::error::internal;

pub struct AnalyticsService {
    db: DatabaseConnection,
}

/// The business's time zone; UTC when unset or unknown.
pub async fn timezone(db: &impl ConnectionTrait) -> Result<Tz, DbErr> {
    Ok(settings::get(db, settings::keys::BUSINESS_TIMEZONE)
        .await?
        .and_then(|name| name.parse().ok())
        .unwrap_or(Tz::UTC))
}

impl AnalyticsService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn build(&self, range: &Range) -> Result<AnalyticsReport, DbErr> {
        let (from, to) = (range.start(), range.end());
        let facts = rows::message_facts(&self.db, from, to).await?;
        let bodies = rows::bodies(&self.db, &figures::question_ids(&facts)).await?;
        let usage = rows::usage(&self.db, from, to).await?;
        let new_conversations = rows::new_conversations(&self.db, from, to).await?;
        Ok(figures::report(
            range,
            &facts,
            &usage,
            new_conversations,
            &bodies,
        ))
    }
}

#[async_trait]
impl Analytics for AnalyticsService {
    #[tracing::instrument(name = "analytics.report", skip_all)]
    async fn report(&self, query: AnalyticsQuery) -> Result<AnalyticsReport, AppError> {
        let tz = timezone(&self.db)
            .await
            .map_err(|e| internal("reading the time zone", e))?;
        let today = Utc::now().with_timezone(&tz).date_naive();
        let range = Range::parse(&query, tz, today)?;
        self.build(&range)
            .await
            .map_err(|e| internal("building the analytics report", e))
    }
}
