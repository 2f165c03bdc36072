//! Staff accounts: creation, password checks (argon2id), listing; password changes and
//! one-time reset links; the second factor (TOTP) and its recovery codes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::accounts::{EmailAddress, Permission, Role, check_password_strength};
use vereda_domain::audit::{Actor, AuditAction};

use crate::entity::{login_throttle, password_reset, recovery_code, user};
use crate::types::DbTimestamp;
use crate::{Store, StoreError, StoreResult, audit, is_unique_violation};

/// A staff account as the application sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    /// The territorial office the account works for (a director awards in its name, Art. 27).
    pub territorial_office_id: Option<i32>,
    /// Sessions logged in before this instant no longer count.
    #[serde(skip)]
    pub sessions_valid_after: Option<jiff::Timestamp>,
    /// Whether the account has enrolled a second factor (TOTP).
    #[serde(skip)]
    pub second_factor: bool,
}

impl Account {
    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.id,
            email: self.email.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Deliberately the same for an unknown e-mail and a wrong password.
    #[error("wrong e-mail or password")]
    WrongCredentials,
    #[error("this account is disabled")]
    Disabled,
}

fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Fault(format!("cannot hash the password: {e}")))
}

fn password_matches(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

pub(crate) fn account_from_row(row: user::Model) -> StoreResult<Account> {
    Ok(Account {
        id: row.id,
        role: row
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", row.id)))?,
        email: row.email,
        display_name: row.display_name,
        active: row.active,
        territorial_office_id: row.territorial_office_id,
        sessions_valid_after: row.sessions_valid_after.map(|t| t.0),
        second_factor: row.totp_secret.is_some(),
    })
}

impl Store {
    pub async fn create_account(&self, actor: &Actor, new: NewAccount) -> StoreResult<Account> {
        let email = EmailAddress::parse(&new.email).map_err(|e| StoreError::Invalid(e.message()))?;
        check_password_strength(&new.password).map_err(|e| StoreError::Invalid(e.message()))?;
        if self.find_account_row(email.as_str()).await?.is_some() {
            return Err(StoreError::DuplicateEmail(email.to_string()));
        }
        let display_name = match new.display_name.trim() {
            "" => email.as_str().split('@').next().unwrap_or_default().to_owned(),
            name => name.to_owned(),
        };
        let row = user::ActiveModel {
            email: Set(email.to_string()),
            display_name: Set(display_name),
            role: Set(new.role.to_string()),
            password_hash: Set(run_blocking(move || hash_password(&new.password)).await??),
            active: Set(true),
            territorial_office_id: Set(None),
            created_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        let inserted = match audit::insert(&txn, actor, row).await {
            Ok(model) => model,
            // Two requests racing past the check above.
            Err(e) if is_unique_violation(&e) => return Err(StoreError::DuplicateEmail(email.to_string())),
            Err(e) => return Err(e.into()),
        };
        txn.commit().await?;
        account_from_row(inserted)
    }

    async fn find_account_row(&self, email: &str) -> StoreResult<Option<user::Model>> {
        Ok(user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&self.db)
            .await?)
    }

    /// Checks an e-mail and password. Takes as long for an unknown e-mail as for a known one.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
    ) -> StoreResult<Result<Account, LoginError>> {
        let normalized = email.trim().to_lowercase();
        let row = self.find_account_row(&normalized).await?;
        let password = password.to_owned();
        let stored_hash = row.as_ref().map(|r| r.password_hash.clone());
        let matches = verify_off_the_async_threads(password, stored_hash).await?;
        match row {
            Some(row) if matches => {
                if row.active {
                    Ok(Ok(account_from_row(row)?))
                } else {
                    Ok(Err(LoginError::Disabled))
                }
            }
            _ => Ok(Err(LoginError::WrongCredentials)),
        }
    }

    /// How many seconds a login for `email` from `address` must still wait, if at all: the
    /// longer wait of the two (`vereda_domain::accounts::login_wait_seconds`). Asked before the
    /// password is checked, the same way for known and unknown e-mails.
    pub async fn login_wait(
        &self,
        email: &str,
        address: Option<&str>,
        now: jiff::Timestamp,
    ) -> StoreResult<Option<u64>> {
        let keys = throttle_keys(email, address);
        let rows = login_throttle::Entity::find()
            .filter(login_throttle::Column::Key.is_in(keys))
            .all(&self.db)
            .await?;
        let wait = rows
            .iter()
            .filter_map(|r| r.wait_until.map(|t| t.0))
            .filter(|until| *until > now)
            .map(|until| until.duration_since(now).as_secs().max(1).unsigned_abs())
            .max();
        Ok(wait)
    }

    /// A failed login: one more failure in a row for the account and for the address, with the
    /// wait the count brings.
    pub async fn record_login_failure(
        &self,
        email: &str,
        address: Option<&str>,
        now: jiff::Timestamp,
    ) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        for key in throttle_keys(email, address) {
            let before = login_throttle::Entity::find_by_id(key.clone()).one(&txn).await?;
            let failures = before.as_ref().map_or(0, |r| r.failures).saturating_add(1);
            let wait_until =
                vereda_domain::accounts::login_wait_seconds(u32::try_from(failures).unwrap_or(u32::MAX))
                    .and_then(|seconds| {
                        now.checked_add(jiff::SignedDuration::from_secs(
                            i64::try_from(seconds).unwrap_or(i64::MAX),
                        ))
                        .ok()
                    })
                    .map(DbTimestamp);
            let row = login_throttle::ActiveModel {
                key: Set(key),
                failures: Set(failures),
                wait_until: Set(wait_until),
                updated_at: Set(DbTimestamp(now)),
            };
            if before.is_some() {
                login_throttle::Entity::update(row).exec(&txn).await?;
            } else {
                login_throttle::Entity::insert(row).exec(&txn).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// A successful login clears the failures of the account and of the address.
    pub async fn record_login_success(&self, email: &str, address: Option<&str>) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Key.is_in(throttle_keys(email, address)))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deactivates or reactivates an account. A deactivated account is logged out at its next
    /// request (every request reads the account) and cannot log in. Nobody changes their own.
    pub async fn set_account_active(&self, actor: &Actor, user_id: i32, active: bool) -> StoreResult<()> {
        self.change_account(actor, user_id, "active", serde_json::json!(active), |row| {
            row.active = Set(active);
            if !active {
                // Its sessions end now, and stay ended if it is reactivated.
                row.sessions_valid_after = Set(Some(DbTimestamp::now()));
            }
        })
        .await
    }

    /// Gives an account another role. Nobody changes their own.
    pub async fn set_account_role(&self, actor: &Actor, user_id: i32, role: Role) -> StoreResult<()> {
        self.change_account(actor, user_id, "role", serde_json::json!(role.as_str()), |row| {
            row.role = Set(role.as_str().to_owned());
        })
        .await
    }

    /// One field of an account changed by another account, audited with that field alone (the
    /// row holds the password hash).
    async fn change_account(
        &self,
        actor: &Actor,
        user_id: i32,
        field: &str,
        value: serde_json::Value,
        change: impl FnOnce(&mut user::ActiveModel),
    ) -> StoreResult<()> {
        if actor.user_id() == Some(user_id) {
            return Err(StoreError::Forbidden(crate::Message::new(
                "accounts-error-own_account",
            )));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        let before = user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "account",
                id: user_id.to_string(),
            })?;
        let old = serde_json::to_value(&before)
            .map_err(|e| StoreError::Fault(e.to_string()))?
            .get(field)
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let mut row: user::ActiveModel = before.into();
        change(&mut row);
        user::Entity::update(row).exec(&txn).await?;
        audit::append(
            &txn,
            actor,
            "users",
            &user_id.to_string(),
            vereda_domain::audit::AuditAction::Update,
            Some(serde_json::json!({ field: old })),
            Some(serde_json::json!({ field: value })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn account(&self, id: i32) -> StoreResult<Option<Account>> {
        user::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(account_from_row)
            .transpose()
    }

    pub async fn accounts(&self) -> StoreResult<Vec<Account>> {
        user::Entity::find()
            .order_by_asc(user::Column::Email)
            .all(&self.db)
            .await?
            .into_iter()
            .map(account_from_row)
            .collect()
    }
}

/// What a second-factor code at login turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorCheck {
    /// The current TOTP code.
    Accepted,
    /// One of the account's unused recovery codes, now used.
    RecoveryCodeUsed,
    /// Neither (also a code already used, or an account without a second factor).
    Wrong,
}

/// How many recovery codes an enrollment gives.
pub const RECOVERY_CODES: usize = 10;

impl Store {
    /// The account changes its own password, giving the current one; the new one follows the
    /// rules of account creation. Every session of the account logged in before the returned
    /// instant ends: the caller marks its own session as logged in at that instant.
    pub async fn change_own_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
    ) -> StoreResult<jiff::Timestamp> {
        check_password_strength(new).map_err(|e| StoreError::Invalid(e.message()))?;
        let row = user::Entity::find_by_id(account.id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(account.id))?;
        let matches = verify_off_the_async_threads(current.to_owned(), Some(row.password_hash)).await?;
        if !matches {
            return Err(StoreError::Invalid(crate::Message::new(
                "accounts-error-wrong_current_password",
            )));
        }
        let new = new.to_owned();
        let hash = run_blocking(move || hash_password(&new)).await??;
        // To the microsecond, as the database keeps it, so the caller's session compares equal.
        let now = jiff::Timestamp::now();
        let now = jiff::Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now);
        let txn = self.write_transaction().await?;
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
            .col_expr(
                user::Column::SessionsValidAfter,
                sea_orm::sea_query::Expr::value(DbTimestamp(now)),
            )
            .filter(user::Column::Id.eq(account.id))
            .exec(&txn)
            .await?;
        audit::append(
            &txn,
            &account.actor(),
            "users",
            &account.id.to_string(),
            AuditAction::PasswordChanged,
            None,
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(now)
    }

    /// Issues a one-time password-reset link for an account: returns the token, of which only
    /// the hash is kept. It expires after `lifetime`; an earlier unused link of the account no
    /// longer works.
    pub async fn issue_password_reset(
        &self,
        actor: &Actor,
        user_id: i32,
        lifetime: jiff::SignedDuration,
    ) -> StoreResult<String> {
        let token = random_token(32);
        let now = jiff::Timestamp::now();
        let expires_at = now
            .checked_add(lifetime)
            .map_err(|e| StoreError::Fault(format!("reset link lifetime: {e}")))?;
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(user_id))?;
        password_reset::Entity::update_many()
            .col_expr(
                password_reset::Column::UsedAt,
                sea_orm::sea_query::Expr::value(DbTimestamp(now)),
            )
            .filter(password_reset::Column::UserId.eq(user_id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let row = password_reset::ActiveModel {
            user_id: Set(user_id),
            token_hash: Set(crate::formulations::hex_sha256(token.as_bytes())),
            created_at: Set(DbTimestamp(now)),
            expires_at: Set(DbTimestamp(expires_at)),
            used_at: Set(None),
            ..Default::default()
        };
        let inserted = password_reset::Entity::insert(row).exec(&txn).await?;
        audit::append(
            &txn,
            actor,
            "users",
            &user_id.to_string(),
            AuditAction::PasswordResetIssued,
            None,
            Some(serde_json::json!({
                "password_reset": inserted.last_insert_id,
                "expires_at": expires_at.to_string(),
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    /// The account a reset link is for, if the link is unused and has not expired.
    pub async fn password_reset_account(
        &self,
        token: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<Option<Account>> {
        let Some(link) = self.live_reset_link(&self.db, token, now).await? else {
            return Ok(None);
        };
        self.account(link.user_id).await
    }

    async fn live_reset_link(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        token: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<Option<password_reset::Model>> {
        Ok(password_reset::Entity::find()
            .filter(password_reset::Column::TokenHash.eq(crate::formulations::hex_sha256(token.as_bytes())))
            .filter(password_reset::Column::UsedAt.is_null())
            .filter(password_reset::Column::ExpiresAt.gt(DbTimestamp(now)))
            .one(db)
            .await?)
    }

    /// Sets a new password through a reset link, once: the link is spent and every session of
    /// the account ends. A used, expired or unknown link is `accounts-error-reset_link`.
    pub async fn use_password_reset(
        &self,
        token: &str,
        new: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<Account> {
        check_password_strength(new).map_err(|e| StoreError::Invalid(e.message()))?;
        let refused = || StoreError::Invalid(crate::Message::new("accounts-error-reset_link"));
        if self.live_reset_link(&self.db, token, now).await?.is_none() {
            return Err(refused());
        }
        let new = new.to_owned();
        let hash = run_blocking(move || hash_password(&new)).await??;
        let txn = self.write_transaction().await?;
        let link = self
            .live_reset_link(&txn, token, now)
            .await?
            .ok_or_else(refused)?;
        // Spent only if still unused: two requests racing with the same link, one wins.
        let spent = password_reset::Entity::update_many()
            .col_expr(
                password_reset::Column::UsedAt,
                sea_orm::sea_query::Expr::value(DbTimestamp(now)),
            )
            .filter(password_reset::Column::Id.eq(link.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(refused());
        }
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
            .col_expr(
                user::Column::SessionsValidAfter,
                sea_orm::sea_query::Expr::value(DbTimestamp(now)),
            )
            .filter(user::Column::Id.eq(link.user_id))
            .exec(&txn)
            .await?;
        let row = user::Entity::find_by_id(link.user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(link.user_id))?;
        let account = account_from_row(row)?;
        audit::append(
            &txn,
            &account.actor(),
            "users",
            &account.id.to_string(),
            AuditAction::PasswordResetUsed,
            None,
            Some(serde_json::json!({ "password_reset": link.id })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Enrolls the account's second factor: `secret` (base32) is the one its QR code showed,
    /// `code` what the authenticator application shows now. Returns the recovery codes, shown
    /// once; only their hashes are kept. An account already enrolled keeps its factor.
    pub async fn enroll_second_factor(
        &self,
        account: &Account,
        secret: &str,
        code: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<Vec<String>> {
        let wrong = || StoreError::Invalid(crate::Message::new("second_factor-error-wrong_code"));
        let key = vereda_domain::totp::base32_decode(secret).ok_or_else(wrong)?;
        let step = vereda_domain::totp::matching_step(&key, code, now.as_second()).ok_or_else(wrong)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let txn = self.write_transaction().await?;
        let row = user::Entity::find_by_id(account.id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(account.id))?;
        if row.totp_secret.is_some() {
            return Err(StoreError::Conflict(crate::Message::new(
                "second_factor-error-already_enrolled",
            )));
        }
        user::Entity::update_many()
            .col_expr(
                user::Column::TotpSecret,
                sea_orm::sea_query::Expr::value(vereda_domain::totp::base32_encode(&key)),
            )
            .col_expr(user::Column::TotpLastStep, sea_orm::sea_query::Expr::value(step))
            .filter(user::Column::Id.eq(account.id))
            .exec(&txn)
            .await?;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(account.id))
            .exec(&txn)
            .await?;
        recovery_code::Entity::insert_many(codes.iter().map(|code| recovery_code::ActiveModel {
            user_id: Set(account.id),
            code_hash: Set(recovery_code_hash(code)),
            used_at: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
        audit::append(
            &txn,
            &account.actor(),
            "users",
            &account.id.to_string(),
            AuditAction::SecondFactorEnrolled,
            None,
            Some(serde_json::json!({ "recovery_codes": RECOVERY_CODES })),
        )
        .await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Checks the second step of a login: the TOTP code of now (not one already used), or an
    /// unused recovery code, which is spent. A wrong code is audited.
    pub async fn check_second_factor(
        &self,
        account: &Account,
        code: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<SecondFactorCheck> {
        let txn = self.write_transaction().await?;
        let row = user::Entity::find_by_id(account.id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(account.id))?;
        let step = row
            .totp_secret
            .as_deref()
            .and_then(vereda_domain::totp::base32_decode)
            .and_then(|key| vereda_domain::totp::matching_step(&key, code, now.as_second()))
            .filter(|step| row.totp_last_step.is_none_or(|last| *step > last));
        let outcome = if let Some(step) = step {
            user::Entity::update_many()
                .col_expr(user::Column::TotpLastStep, sea_orm::sea_query::Expr::value(step))
                .filter(user::Column::Id.eq(account.id))
                .exec(&txn)
                .await?;
            SecondFactorCheck::Accepted
        } else if row.totp_secret.is_some() && self.spend_recovery_code(&txn, account.id, code, now).await? {
            SecondFactorCheck::RecoveryCodeUsed
        } else {
            SecondFactorCheck::Wrong
        };
        let action = match outcome {
            SecondFactorCheck::Accepted => None,
            SecondFactorCheck::RecoveryCodeUsed => Some(AuditAction::RecoveryCodeUsed),
            SecondFactorCheck::Wrong => Some(AuditAction::SecondFactorFailed),
        };
        if let Some(action) = action {
            audit::append(
                &txn,
                &account.actor(),
                "users",
                &account.id.to_string(),
                action,
                None,
                None,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(outcome)
    }

    async fn spend_recovery_code(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        user_id: i32,
        code: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<bool> {
        let spent = recovery_code::Entity::update_many()
            .col_expr(
                recovery_code::Column::UsedAt,
                sea_orm::sea_query::Expr::value(DbTimestamp(now)),
            )
            .filter(recovery_code::Column::UserId.eq(user_id))
            .filter(recovery_code::Column::CodeHash.eq(recovery_code_hash(code)))
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        Ok(spent.rows_affected > 0)
    }

    /// Removes another account's second factor and its recovery codes (a lost device and
    /// lost codes): the account enrolls again at its next login where it is required, and its
    /// sessions end. Nobody removes their own.
    pub async fn remove_second_factor(&self, actor: &Actor, user_id: i32) -> StoreResult<()> {
        if actor.user_id() == Some(user_id) {
            return Err(StoreError::Forbidden(crate::Message::new(
                "accounts-error-own_account",
            )));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(user_id))?;
        user::Entity::update_many()
            .col_expr(
                user::Column::TotpSecret,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .col_expr(
                user::Column::TotpLastStep,
                sea_orm::sea_query::Expr::value(Option::<i64>::None),
            )
            .col_expr(
                user::Column::SessionsValidAfter,
                sea_orm::sea_query::Expr::value(DbTimestamp::now()),
            )
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        audit::append(
            &txn,
            actor,
            "users",
            &user_id.to_string(),
            AuditAction::SecondFactorRemoved,
            None,
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// How many of the account's recovery codes are still unused.
    pub async fn unused_recovery_codes(&self, user_id: i32) -> StoreResult<u64> {
        crate::count_rows(
            recovery_code::Entity::find()
                .filter(recovery_code::Column::UserId.eq(user_id))
                .filter(recovery_code::Column::UsedAt.is_null()),
            &self.db,
        )
        .await
    }
}

fn not_found(user_id: i32) -> StoreError {
    StoreError::NotFound {
        entity: "account",
        id: user_id.to_string(),
    }
}

/// `bytes` random bytes as lower-case hexadecimal.
pub(crate) fn random_token(bytes: usize) -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

/// A recovery code: ten base32 characters in two groups (50 random bits), e.g. `K3QZP-7MX2A`.
fn recovery_code() -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut buffer = [0u8; 7];
    OsRng.fill_bytes(&mut buffer);
    let text = vereda_domain::totp::base32_encode(&buffer);
    format!("{}-{}", &text[..5], &text[5..10])
}

/// The hash kept of a recovery code, as typed in any case, with or without spaces and dashes.
fn recovery_code_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    crate::formulations::hex_sha256(normalized.as_bytes())
}

/// The throttle's keys of a login: its account (by the e-mail as typed, normalised, whether or
/// not it exists, so waits do not tell which accounts exist) and its client address.
fn throttle_keys(email: &str, address: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("account:{}", email.trim().to_lowercase())];
    if let Some(address) = address {
        keys.push(format!("address:{address}"));
    }
    keys
}

/// A fixed hash to verify against when the e-mail is unknown, so timing does not tell.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2SVKMUTpfd4rqbJ3q4gO6lVFYdJmkfqwVE4nyRNvc1s";

/// Argon2 is deliberately slow: keep it off the threads that serve requests.
async fn verify_off_the_async_threads(password: String, stored_hash: Option<String>) -> StoreResult<bool> {
    run_blocking(move || {
        let hash = stored_hash.as_deref().unwrap_or(DECOY_HASH);
        password_matches(&password, hash) && stored_hash.is_some()
    })
    .await
}

async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Fault(format!("password check interrupted: {e}")))
}
