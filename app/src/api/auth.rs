use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{AuthState, OwnerView, SetupInput, TwoFactorSetup};

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

/// `code`: the authenticator app's code (or a recovery code) when two-step sign-in is on; a
/// login without it is answered `400` with `field: "code"` once the password is right.
#[server(prefix = "/api", endpoint = "auth/login", input = Json, output = Json)]
pub async fn login(
    email: String,
    password: String,
    #[server(default)] code: Option<String>,
) -> Result<OwnerView, AppError> {
    let caller = super::caller()?;
    let owner = super::state()?
        .accounts
        .login(&email, &password, code.as_deref(), &caller.ip)
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

/// A new authenticator key and its QR code, to add to an app. Nothing changes until
/// [`enable_two_factor`] proves the app has it.
#[server(prefix = "/api", endpoint = "auth/two-factor/setup", input = Json, output = Json)]
pub async fn start_two_factor() -> Result<TwoFactorSetup, AppError> {
    let caller = super::caller()?;
    super::state()?
        .accounts
        .two_factor_setup(caller.owner()?)
        .await
}

/// Turns two-step sign-in on with `secret` (from [`start_two_factor`]), once `code` from the
/// app and the current password are right. Returns the ten recovery codes, shown only now.
#[server(prefix = "/api", endpoint = "auth/two-factor/enable", input = Json, output = Json)]
pub async fn enable_two_factor(
    secret: String,
    code: String,
    password: String,
) -> Result<Vec<String>, AppError> {
    let caller = super::caller()?;
    let result = super::state()?
        .accounts
        .enable_two_factor(caller.owner()?, &secret, &code, &password)
        .await;
    super::audited(&caller, "two_factor_enabled", "", result).await
}

/// Turns two-step sign-in off, after checking the current password.
#[server(prefix = "/api", endpoint = "auth/two-factor/disable", input = Json, output = Json)]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    let caller = super::caller()?;
    let result = super::state()?
        .accounts
        .disable_two_factor(caller.owner()?, &password)
        .await;
    super::audited(&caller, "two_factor_disabled", "", result).await
}
