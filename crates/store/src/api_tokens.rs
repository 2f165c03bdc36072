//! API tokens (migration 18): an administrator issues a token to another system for an
//! account; the system sends it as `Authorization: Bearer …` and acts as that account. The
//! secret (32 random bytes) is handed out once; only its SHA-256 is kept. Issuing and revoking
//! are audited without secret or hash. A revoked token, or one of a deactivated account, does
//! not authenticate.

use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::audit::Actor;

use crate::accounts::{Account, account_from_row};
use crate::entity::{api_token, user};
use crate::types::DbTimestamp;
use crate::{Message, Store, StoreError, StoreResult, audit};

/// What a token's secret starts with, so that one found in a file or a log is recognised.
pub const SECRET_PREFIX: &str = "vrd_";

/// The longest label a token takes.
pub const LABEL_MAX: usize = 100;

/// How stale `last_used_at` may be before a use writes it again: one write a minute at most.
const LAST_USED_PRECISION: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// A token as listed (never with its secret or hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i32,
    pub user_id: i32,
    pub label: String,
    pub created_at: jiff::Timestamp,
    pub created_by: String,
    pub last_used_at: Option<jiff::Timestamp>,
    pub revoked_at: Option<jiff::Timestamp>,
}

/// A token just issued, with the secret that is shown this once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

fn token_from_row(row: api_token::Model) -> ApiToken {
    ApiToken {
        id: row.id,
        user_id: row.user_id,
        label: row.label,
        created_at: row.created_at.0,
        created_by: row.created_by,
        last_used_at: row.last_used_at.map(|t| t.0),
        revoked_at: row.revoked_at.map(|t| t.0),
    }
}

fn secret_hash(secret: &str) -> String {
    crate::formulations::hex_sha256(secret.trim().as_bytes())
}

fn token_not_found(id: i32) -> StoreError {
    StoreError::NotFound {
        entity: "api_token",
        id: id.to_string(),
    }
}

impl Store {
    /// Issues a token for an account, labelled (which system holds it). The secret is in the
    /// answer only.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        user_id: i32,
        label: &str,
    ) -> StoreResult<IssuedToken> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > LABEL_MAX {
            return Err(StoreError::Invalid(
                Message::new("api_token-error-label").with("max", LABEL_MAX.to_string()),
            ));
        }
        let secret = format!("{SECRET_PREFIX}{}", crate::accounts::random_token(32));
        let txn = self.write_transaction().await?;
        user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "account",
                id: user_id.to_string(),
            })?;
        let row = api_token::ActiveModel {
            user_id: Set(user_id),
            label: Set(label.to_owned()),
            token_hash: Set(secret_hash(&secret)),
            created_at: Set(DbTimestamp::now()),
            created_by: Set(actor.label()),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        };
        // The entity does not serialize the hash: the entry holds label, account and dates.
        let inserted = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        Ok(IssuedToken {
            token: token_from_row(inserted),
            secret,
        })
    }

    /// An account's tokens, oldest first, revoked ones included.
    pub async fn api_tokens(&self, user_id: i32) -> StoreResult<Vec<ApiToken>> {
        Ok(api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .order_by_asc(api_token::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(token_from_row)
            .collect())
    }

    pub async fn api_token(&self, id: i32) -> StoreResult<Option<ApiToken>> {
        Ok(api_token::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(token_from_row))
    }

    /// Revokes a token: it no longer authenticates. A token revoked already is a `Conflict`.
    pub async fn revoke_api_token(&self, actor: &Actor, id: i32) -> StoreResult<ApiToken> {
        let txn = self.write_transaction().await?;
        let before = api_token::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| token_not_found(id))?;
        let statement = api_token::Entity::update_many()
            .col_expr(
                api_token::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(DbTimestamp::now()),
            )
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::RevokedAt.is_null());
        let after = audit::conditional_update(&txn, actor, statement, &before, id, || {
            StoreError::Conflict(Message::new("api_token-error-revoked").with("id", id.to_string()))
        })
        .await?;
        txn.commit().await?;
        Ok(token_from_row(after))
    }

    /// The account a presented secret stands for: none for an unknown or revoked token, or an
    /// account deactivated. Notes the use (at most once a minute per token).
    pub async fn api_token_account(
        &self,
        secret: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<Option<Account>> {
        let Some(token) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(secret_hash(secret)))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(account) = user::Entity::find_by_id(token.user_id)
            .one(&self.db)
            .await?
            .map(account_from_row)
            .transpose()?
            .filter(|a| a.active)
        else {
            return Ok(None);
        };
        let stale = token
            .last_used_at
            .is_none_or(|at| now.duration_since(at.0) >= LAST_USED_PRECISION);
        if stale {
            let threshold = now.checked_sub(LAST_USED_PRECISION).unwrap_or(now);
            // Conditional, so concurrent requests write it once.
            let txn = self.write_transaction().await?;
            api_token::Entity::update_many()
                .col_expr(
                    api_token::Column::LastUsedAt,
                    sea_orm::sea_query::Expr::value(DbTimestamp(now)),
                )
                .filter(api_token::Column::Id.eq(token.id))
                .filter(
                    Condition::any()
                        .add(api_token::Column::LastUsedAt.is_null())
                        .add(api_token::Column::LastUsedAt.lte(DbTimestamp(threshold))),
                )
                .exec(&txn)
                .await?;
            txn.commit().await?;
        }
        Ok(Some(account))
    }
}
