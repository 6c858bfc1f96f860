//! Two-step sign-in for the owner (TOTP, RFC 6238).
//!
//! - `owners.totp_secret`: the authenticator's shared secret (base32), absent when two-step
//!   sign-in is off.
//! - `owners.totp_last_step`: the time step of the last code accepted; a code is never taken
//!   twice (someone who saw it cannot replay it within its 30 seconds).
//! - `owners.recovery_codes`: SHA-256 hashes of the unused recovery codes, as a JSON list.

use sea_orm_migration::prelude::*;

use crate::m20261126_000001_initial_schema::{big_null, text_null};
use crate::m20261126_000003_ai_engine::{add, remove};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000001_two_factor"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(m, Owners::Table, text_null(Owners::TotpSecret)).await?;
        add(m, Owners::Table, big_null(Owners::TotpLastStep)).await?;
        add(m, Owners::Table, text_null(Owners::RecoveryCodes)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        remove(m, Owners::Table, Owners::RecoveryCodes).await?;
        remove(m, Owners::Table, Owners::TotpLastStep).await?;
        remove(m, Owners::Table, Owners::TotpSecret).await
    }
}

#[derive(DeriveIden)]
enum Owners {
    Table,
    TotpSecret,
    TotpLastStep,
    RecoveryCodes,
}
