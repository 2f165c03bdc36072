//! Staff accounts: creation, password checks (argon2id), listing.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::accounts::{EmailAddress, Role, check_password_strength};
use vereda_domain::audit::Actor;

use crate::entity::{login_throttle, user};
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

fn account_from_row(row: user::Model) -> StoreResult<Account> {
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
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
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
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Key.is_in(throttle_keys(email, address)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Deactivates or reactivates an account. A deactivated account is logged out at its next
    /// request (every request reads the account) and cannot log in. Nobody changes their own.
    pub async fn set_account_active(&self, actor: &Actor, user_id: i32, active: bool) -> StoreResult<()> {
        self.change_account(actor, user_id, "active", serde_json::json!(active), |row| {
            row.active = Set(active);
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
