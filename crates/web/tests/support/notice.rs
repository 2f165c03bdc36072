//! The demo call as it was before its offer notice (Art. 11.1), for the tests that record the
//! notice themselves and count the letters it writes.

use super::Client;

pub struct Setup {
    pub client: Client,
    pub outbox: tempfile::TempDir,
    pub call_id: i32,
    /// CAQ-0001: displaced, not ethnic.
    pub displaced: i32,
    /// CAQ-0002: neither.
    pub plain: i32,
}

/// The demo call's notice and letters (its followed project's families were verified and
/// awarded under it) taken away: the call as it was before its notice, which these tests
/// record themselves, counting the letters it writes.
pub async fn without_the_demo_notice(client: &Client) {
    use sea_orm::ConnectionTrait;
    for statement in [
        "DELETE FROM offer_notices",
        "DELETE FROM letters WHERE call_id IS NOT NULL",
    ] {
        client
            .db
            .store
            .connection()
            .execute_unprepared(statement)
            .await
            .expect(statement);
    }
}

pub async fn setup(today: jiff::civil::Date) -> Setup {
    setup_with(today, vereda_web::WebConfig::default()).await
}

/// [`setup`] with other settings (the outbox and today are set here).
pub async fn setup_with(today: jiff::civil::Date, settings: vereda_web::WebConfig) -> Setup {
    let outbox = tempfile::tempdir().expect("outbox");
    let config = vereda_web::WebConfig {
        outbox_dir: Some(outbox.path().to_path_buf()),
        today: Some(today),
        ..settings
    };
    let client = Client::with_demo_and(config).await;
    without_the_demo_notice(&client).await;
    let call_id = client.db.store.calls().await.expect("calls")[0].id;
    let households = client
        .db
        .store
        .households(Some(call_id))
        .await
        .expect("households");
    let id_of = |external: &str| {
        households
            .iter()
            .find(|h| h.external_id == external)
            .map(|h| h.id)
            .expect("demo household")
    };
    Setup {
        displaced: id_of("CAQ-0001"),
        plain: id_of("CAQ-0002"),
        client,
        outbox,
        call_id,
    }
}
