//! Sessions kept in vereda's own database (see `vereda_store::sessions`).

use async_trait::async_trait;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use vereda_store::Store;

#[derive(Debug, Clone)]
pub struct DatabaseSessionStore {
    store: Store,
}

impl DatabaseSessionStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn backend(error: vereda_store::StoreError) -> Error {
    Error::Backend(error.to_string())
}

fn expiry(record: &Record) -> Result<jiff::Timestamp> {
    // To the microsecond: idle limits of seconds (tests) are not rounded away.
    let microseconds = i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1000)
        .map_err(|e| Error::Encode(e.to_string()))?;
    jiff::Timestamp::from_microsecond(microseconds).map_err(|e| Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for DatabaseSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh id until it is free: 128 random bits make a second try all but impossible.
        while self
            .store
            .session_exists(&record.id.to_string())
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        self.store
            .save_session(&record.id.to_string(), &data, expiry(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(data) = self.store.load_session(&id.to_string()).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        // The stored expiry is checked on load; the cookie layer sets a new one on save.
        let expiry_date = time::OffsetDateTime::now_utc() + time::Duration::hours(crate::SESSION_HOURS);
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.delete_session(&id.to_string()).await.map_err(backend)
    }
}
