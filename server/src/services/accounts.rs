use std::sync::atomic::{AtomicBool, Ordering};

use app::error::AppError;
use app::model::{AuthState, OwnerId, OwnerView, SetupInput, TwoFactorSetup};
use app::ports::Accounts;
use app::validate;
use async_trait::async_trait;
use sea_orm::{DatabaseConnection, SqlErr, TransactionTrait};
use secrecy::SecretString;

use crate::auth::throttle::{self, Admission};
use crate::auth::{password, two_factor};
use crate::config::AdminBootstrap;
use crate::crypto::token;
use crate::db::settings::keys;
use crate::db::{owners, sessions, settings};
use crate::error::{edge, internal, Failure};

const WRONG_CREDENTIALS: &str = "That email and password do not match. Check both and try again.";

pub struct AccountsService {
    db: DatabaseConnection,
    /// Owners are never deleted, so once one exists this stays true and the guard stops asking
    /// the database on every page load.
    owner_known: AtomicBool,
}

fn hash_failed(err: password::PasswordError) -> AppError {
    match err {
        password::PasswordError::Busy => AppError {
            retry_after_s: Some(BUSY_RETRY_S),
            ..AppError::unavailable(
                "The server is busy checking other sign-ins. Try again in a few seconds.",
            )
        },
        other => internal("password hashing failed", other),
    }
}

/// When a request turned away by a full password queue should come back.
const BUSY_RETRY_S: u64 = 5;

fn view(owner: &crate::db::entities::owner::Model) -> OwnerView {
    OwnerView {
        id: owner.id,
        email: owner.email.clone(),
        two_factor: owner.totp_secret.is_some(),
    }
}

impl AccountsService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            owner_known: AtomicBool::new(false),
        }
    }

    pub async fn owner_exists(&self) -> Result<bool, AppError> {
        edge(async move {
            if self.owner_known.load(Ordering::Relaxed) {
                return Ok(true);
            }
            let exists = owners::count(&self.db).await? > 0;
            if exists {
                self.owner_known.store(true, Ordering::Relaxed);
            }
            Ok(exists)
        })
        .await
    }

    /// Creates the owner and stores the business name in one transaction. The `setup.done`
    /// setting is the guard: a second, concurrent setup collides on its key and is refused.
    async fn create_owner(
        &self,
        email: &str,
        password: SecretString,
        business_name: &str,
    ) -> Result<OwnerView, Failure> {
        let hash = password::hash(password).await.map_err(hash_failed)?;
        let txn = self.db.begin().await?;
        let already = || AppError::conflict("This dashboard already has an owner. Log in instead.");
        match settings::insert_new(&txn, keys::SETUP_DONE, "true").await {
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(already().into())
            }
            other => other?,
        }
        if owners::count(&txn).await? > 0 {
            return Err(already().into());
        }
        let owner = owners::insert(&txn, email, hash).await?;
        settings::set(&txn, keys::BUSINESS_NAME, business_name).await?;
        // The setup token has done its work: it never opens setup again.
        settings::remove(&txn, keys::SETUP_TOKEN).await?;
        txn.commit().await?;
        self.owner_known.store(true, Ordering::Relaxed);
        Ok(view(&owner))
    }

    /// The Railway template path: `ADMIN_EMAIL` / `ADMIN_PASSWORD` create the owner at boot when
    /// none exists. Returns whether an owner was created.
    #[tracing::instrument(name = "accounts.bootstrap", skip_all)]
    pub async fn bootstrap(&self, admin: &AdminBootstrap) -> Result<bool, AppError> {
        edge(async move {
            if self.owner_exists().await? {
                return Ok(false);
            }
            match self
                .create_owner(&admin.email, admin.password.clone(), &admin.business_name)
                .await
            {
                Ok(_) => Ok(true),
                // Another replica booting at the same moment won the race: fine.
                Err(Failure::Refused(e)) if e.status() == 409 => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// While no owner exists: the setup token, made on first use and the same for every process
    /// and restart until setup is done. `None` once an owner exists.
    #[tracing::instrument(name = "accounts.open_setup_token", skip_all)]
    pub async fn open_setup_token(&self) -> Result<Option<String>, AppError> {
        edge(async move {
            if self.owner_exists().await? {
                return Ok(None);
            }
            if let Some(token) = settings::get(&self.db, keys::SETUP_TOKEN).await? {
                return Ok(Some(token));
            }
            // Two processes starting at once: the first insert wins, both read it back. An insert
            // that failed for another reason shows as a missing row, never as "an owner exists".
            let inserted =
                settings::insert_new(&self.db, keys::SETUP_TOKEN, &token::new_setup_token()).await;
            match settings::get(&self.db, keys::SETUP_TOKEN).await? {
                Some(token) => Ok(Some(token)),
                None => Err(match inserted {
                    Err(e) => Failure::from(e),
                    Ok(()) => internal(
                        "the setup token was stored and is gone",
                        "read back nothing",
                    )
                    .into(),
                }),
            }
        })
        .await
    }

    /// Refuses a setup without the right token. Checked before any password is hashed.
    async fn check_setup_token(&self, typed: &str) -> Result<(), Failure> {
        let where_to_find = "It is printed in the server's log when the server starts (on Railway: the service → Deployments → View logs; on your computer: the terminal running Replydesk), and `replydesk setup-token` prints it again.";
        if typed.trim().is_empty() {
            return Err(AppError::invalid(
                "setup_token",
                format!("Enter the setup token. {where_to_find}"),
            )
            .into());
        }
        let stored = settings::get(&self.db, keys::SETUP_TOKEN).await?;
        let expected = match stored {
            Some(token) => token,
            // The database was emptied or restored since the start: a new token, in the log.
            None => {
                let token = self.open_setup_token().await?.ok_or_else(|| {
                    AppError::conflict("This dashboard already has an owner. Log in instead.")
                })?;
                tracing::warn!(setup_token = %token, "No owner yet and no setup token stored: made a new one, {token}");
                token
            }
        };
        if token::matches(&expected, typed) {
            Ok(())
        } else {
            tracing::warn!("setup refused: wrong setup token");
            Err(AppError::invalid(
                "setup_token",
                format!("That is not this server's setup token. {where_to_find}"),
            )
            .into())
        }
    }

    /// The signed-in owner's row.
    async fn owner_row(
        &self,
        owner: OwnerId,
    ) -> Result<crate::db::entities::owner::Model, Failure> {
        let row = owners::by_id(&self.db, owner).await?;
        Ok(row.ok_or_else(AppError::unauthorized)?)
    }

    /// Refuses unless `typed` is the owner's current password (for changes to how they log in).
    async fn confirm_password(
        &self,
        owner: &crate::db::entities::owner::Model,
        typed: &str,
        field: &'static str,
    ) -> Result<(), Failure> {
        validate::entered_password(field, typed)?;
        let right = password::verify(
            SecretString::from(typed.to_owned()),
            Some(owner.password_hash.clone()),
        )
        .await
        .map_err(hash_failed)?;
        if right {
            Ok(())
        } else {
            Err(AppError::invalid(field, "The current password is not correct.").into())
        }
    }

    /// The second step of a login: a code from the app (each time step once) or an unused
    /// recovery code (used up).
    async fn second_step(
        &self,
        owner: &crate::db::entities::owner::Model,
        secret: &str,
        typed: &str,
    ) -> Result<bool, Failure> {
        if two_factor::is_recovery_code(typed) {
            let stored = owner.recovery_codes.clone().unwrap_or_default();
            let mut hashes: Vec<String> = serde_json::from_str(&stored).unwrap_or_default();
            let hash = two_factor::recovery_hash(typed);
            let Some(at) = hashes.iter().position(|h| *h == hash) else {
                return Ok(false);
            };
            hashes.remove(at);
            let remaining = serde_json::to_string(&hashes)
                .map_err(|e| internal("writing recovery codes failed", e))?;
            let used = owners::swap_recovery_codes(&self.db, owner.id, &stored, &remaining).await?;
            if used {
                tracing::warn!(
                    owner = owner.id,
                    left = hashes.len(),
                    "logged in with a recovery code"
                );
            }
            return Ok(used);
        }
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        match two_factor::matching_step(secret, typed, now) {
            Some(step) => Ok(owners::take_totp_step(&self.db, owner.id, step).await?),
            None => Ok(false),
        }
    }

    /// `replydesk reset-password`: sets a new password, turns two-step sign-in off, and ends
    /// every session of the owner.
    #[tracing::instrument(name = "accounts.reset_password", skip_all)]
    pub async fn reset_password(&self, email: &str, new: SecretString) -> Result<(), AppError> {
        edge(async move {
            use secrecy::ExposeSecret;
            let email = validate::email(email)?;
            validate::new_password("password", new.expose_secret())?;
            let owner = owners::by_email(&self.db, &email)
                .await?
                .ok_or_else(|| AppError::not_found(format!("No owner has the email {email}.")))?;
            let hash = password::hash(new).await.map_err(hash_failed)?;
            let txn = self.db.begin().await?;
            owners::set_password_hash(&txn, owner.id, hash).await?;
            // Whoever runs this controls the server: a lost phone must not keep them out.
            owners::set_two_factor(&txn, owner.id, None).await?;
            sessions::delete_for_owner(&txn, owner.id, None).await?;
            throttle::record_reset(&txn, &email).await?;
            txn.commit().await?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Accounts for AccountsService {
    #[tracing::instrument(name = "accounts.auth_state", skip_all)]
    async fn auth_state(&self, owner: Option<OwnerId>) -> Result<AuthState, AppError> {
        edge(async move {
            let needs_setup = !self.owner_exists().await?;
            let owner = match owner {
                Some(id) => owners::by_id(&self.db, id).await?,
                None => None,
            };
            let business_name = settings::get(&self.db, keys::BUSINESS_NAME).await?;
            Ok(AuthState {
                needs_setup,
                owner: owner.as_ref().map(view),
                business_name,
            })
        })
        .await
    }

    #[tracing::instrument(name = "accounts.setup", skip_all)]
    async fn setup(&self, input: SetupInput) -> Result<OwnerView, AppError> {
        let business_name = validate::business_name(&input.business_name)?;
        let email = validate::email(&input.email)?;
        validate::new_password("password", &input.password)?;
        if self.owner_exists().await? {
            return Err(AppError::conflict(
                "This dashboard already has an owner. Log in instead.",
            ));
        }
        self.check_setup_token(&input.setup_token).await?;
        Ok(self
            .create_owner(&email, SecretString::from(input.password), &business_name)
            .await?)
    }

    #[tracing::instrument(name = "accounts.login", skip_all)]
    async fn login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        ip: &str,
    ) -> Result<OwnerView, AppError> {
        edge(async move {
            // Bounded before anything else: the throttle tables and argon2 never see huge inputs.
            validate::entered_password("password", password)?;
            let code = code.map(str::trim).filter(|c| !c.is_empty());
            if code.is_some_and(|c| c.len() > 64) {
                return Err(AppError::invalid("code", "That code is too long.").into());
            }
            let email = validate::email(email)?;
            let attempt = match throttle::admit(&self.db, &email, ip)
                .await?
            {
                Admission::Admitted { attempt } => attempt,
                Admission::Wait { seconds } => {
                    return Err(AppError::too_many_requests(
                        throttle::wait_message(seconds),
                        seconds,
                    ).into())
                }
            };
            let owner = owners::by_email(&self.db, &email)
                .await?;
            let matches = match password::verify(
                SecretString::from(password.to_owned()),
                owner.as_ref().map(|o| o.password_hash.clone()),
            )
            .await
            {
                Ok(matches) => matches,
                Err(e) => {
                    // Not checked, so not a failure: the attempt is given back.
                    throttle::withdraw(&self.db, attempt)
                        .await?;
                    return Err(hash_failed(e).into());
                }
            };
            match owner {
                Some(owner) if matches => {
                    // Two-step sign-in: the password alone does not sign in. A missing or wrong
                    // code leaves the attempt counted, so codes are throttled like passwords.
                    if let Some(secret) = owner.totp_secret.clone() {
                        let Some(code) = code else {
                            return Err(AppError::invalid(
                                "code",
                                "Enter the 6-digit code from your authenticator app (or one of your recovery codes).",
                            ).into());
                        };
                        if !self.second_step(&owner, &secret, code).await? {
                            tracing::warn!(ip, "failed login: wrong two-step code");
                            return Err(AppError::invalid(
                                "code",
                                "That code is not right or was already used. Enter the code your app shows now.",
                            ).into());
                        }
                    }
                    throttle::record_success(&self.db, &email, ip, attempt)
                        .await?;
                    owners::touch_login(&self.db, owner.id)
                        .await?;
                    tracing::info!(owner = owner.id, ip, "owner logged in");
                    Ok(view(&owner))
                }
                _ => {
                    tracing::warn!(ip, "failed login");
                    Err(AppError::new(
                        app::error::ErrorKind::Unauthorized,
                        WRONG_CREDENTIALS,
                    ).into())
                }
            }
        })
        .await
    }

    #[tracing::instrument(name = "accounts.two_factor_setup", skip_all)]
    async fn two_factor_setup(&self, owner: OwnerId) -> Result<TwoFactorSetup, AppError> {
        let row = self.owner_row(owner).await?;
        if row.totp_secret.is_some() {
            return Err(AppError::conflict(
                "Two-step sign-in is already on. Turn it off first to move it to another app.",
            ));
        }
        let secret = two_factor::new_secret();
        let (otpauth_url, qr_image) = two_factor::enrolment(&secret, &row.email)
            .map_err(|e| internal("drawing the authenticator QR code failed", e))?;
        Ok(TwoFactorSetup {
            secret,
            otpauth_url,
            qr_image,
        })
    }

    #[tracing::instrument(name = "accounts.enable_two_factor", skip_all)]
    async fn enable_two_factor(
        &self,
        owner: OwnerId,
        secret: &str,
        code: &str,
        password: &str,
    ) -> Result<Vec<String>, AppError> {
        edge(async move {
            let row = self.owner_row(owner).await?;
            if row.totp_secret.is_some() {
                return Err(AppError::conflict("Two-step sign-in is already on.").into());
            }
            let secret = secret.trim();
            if !two_factor::is_secret(secret) {
                return Err(AppError::bad_request(
                    "That authenticator key is not valid. Start again with a new QR code.",
                ).into());
            }
            self.confirm_password(&row, password, "password").await?;
            let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
            let Some(step) = two_factor::matching_step(secret, code, now) else {
                return Err(AppError::invalid(
                    "code",
                    "That is not the code the app shows now. Check that you scanned this page's QR code and that your phone's clock is right.",
                ).into());
            };
            let (codes, hashes) = two_factor::new_recovery_codes();
            let hashes = serde_json::to_string(&hashes)
                .map_err(|e| internal("writing recovery codes failed", e))?;
            owners::set_two_factor(&self.db, owner, Some((secret.to_owned(), step, hashes)))
                .await?;
            tracing::info!(owner, "two-step sign-in turned on");
            Ok(codes)
        })
        .await
    }

    #[tracing::instrument(name = "accounts.disable_two_factor", skip_all)]
    async fn disable_two_factor(&self, owner: OwnerId, password: &str) -> Result<(), AppError> {
        edge(async move {
            let row = self.owner_row(owner).await?;
            self.confirm_password(&row, password, "password").await?;
            owners::set_two_factor(&self.db, owner, None).await?;
            tracing::info!(owner, "two-step sign-in turned off");
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "accounts.change_password", skip_all)]
    async fn change_password(
        &self,
        owner: OwnerId,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AppError> {
        edge(async move {
            validate::entered_password("current", current)?;
            validate::new_password("new", new)?;
            if current == new {
                return Err(AppError::invalid(
                    "new",
                    "The new password must differ from the current one.",
                )
                .into());
            }
            let row = self.owner_row(owner).await?;
            self.confirm_password(&row, current, "current").await?;
            let hash = password::hash(SecretString::from(new.to_owned()))
                .await
                .map_err(hash_failed)?;
            let txn = self.db.begin().await?;
            owners::set_password_hash(&txn, owner, hash).await?;
            let ended = sessions::delete_for_owner(&txn, owner, keep_session).await?;
            txn.commit().await?;
            tracing::info!(owner, ended_sessions = ended, "password changed");
            Ok(())
        })
        .await
    }
}
