use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{AuthState, OwnerView, SetupInput};

#[server(prefix = "/api", endpoint = "auth/state", input = Json, output = Json)]
pub async fn session_state() -> Result<AuthState, AppError> {
    let owner = super::caller().ok().and_then(|caller| caller.owner);
    super::state()?.accounts.auth_state(owner).await
}

#[server(prefix = "/api", endpoint = "auth/setup", input = Json, output = Json)]
pub async fn setup(input: SetupInput) -> Result<OwnerView, AppError> {
    let caller = super::caller()?;
    let owner = super::state()?.accounts.setup(input).await?;
    caller.session.sign_in(owner.id).await?;
    Ok(owner)
}

#[server(prefix = "/api", endpoint = "auth/login", input = Json, output = Json)]
pub async fn login(email: String, password: String) -> Result<OwnerView, AppError> {
    let caller = super::caller()?;
    let owner = super::state()?
        .accounts
        .login(&email, &password, &caller.ip)
        .await?;
    caller.session.sign_in(owner.id).await?;
    let signed_in = crate::ports::Caller {
        owner: Some(owner.id),
        ..caller
    };
    super::audit(&signed_in, "signed_in", owner.email.clone()).await;
    Ok(owner)
}

#[server(prefix = "/api", endpoint = "auth/logout", input = Json, output = Json)]
pub async fn logout() -> Result<(), AppError> {
    let caller = super::caller()?;
    let result = caller.session.sign_out().await;
    super::audited(&caller, "signed_out", "", result).await
}

#[server(prefix = "/api", endpoint = "auth/change-password", input = Json, output = Json)]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    let caller = super::caller()?;
    let keep = caller.session.id();
    let result = super::state()?
        .accounts
        .change_password(caller.owner()?, &current, &new, keep.as_deref())
        .await;
    super::audited(&caller, "password_changed", "", result).await
}
