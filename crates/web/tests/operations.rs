//! The operator's endpoints: `/readyz`, `/metrics` (by route pattern, protected), the request
//! id; the uploads directory required on PostgreSQL; open data identical on both backends.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use support::Client;
use tower::ServiceExt;

#[tokio::test]
async fn readyz_says_the_database_answers_and_the_schema_is_current() {
    let mut client = Client::with_demo().await;
    let ready = client.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
    assert_eq!(ready.json()["database"], "SQLite");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_with_latency_queues_and_pool() {
    let mut client = Client::with_demo().await;
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    let card = client.get("/api/v1/projects/T06.60%2C61%2C62").await;
    assert_eq!(card.status, StatusCode::OK);
    let request_id = card.headers.get("x-request-id").and_then(|v| v.to_str().ok());
    assert!(
        request_id.is_some_and(|id| !id.is_empty()),
        "a request id is answered"
    );
    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.content_type.starts_with("text/plain; version=0.0.4"));
    let text = metrics.body;
    for expected in [
        "vereda_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"2xx\"}",
        "vereda_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/projects/{code}\",le=\"+Inf\"}",
        "vereda_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/projects/{code}\"}",
        "vereda_jobs_queued 0",
        "vereda_jobs_running 0",
        "vereda_letters_pending ",
        "vereda_letters_pending_oldest_age_seconds ",
        "vereda_screening_rows_screened_total ",
        "vereda_screening_rows_stored_total ",
        "vereda_db_pool_max 8",
        "vereda_db_pool_connections ",
        "vereda_database_up 1",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    // The route's pattern, never the address asked: no record's code in a label.
    assert!(!text.contains("T06.60"), "{text}");
}

async fn status_of(app: &axum::Router, request: Request<Body>) -> StatusCode {
    app.clone().oneshot(request).await.expect("an answer").status()
}

#[tokio::test]
async fn metrics_answer_only_the_token_or_the_loopback() {
    let db = vereda_store::test_support::sqlite().await.expect("database");
    let app = vereda_web::app(
        db.store.clone(),
        vereda_web::WebConfig {
            metrics_token: Some(vereda_web::metrics::MetricsToken("t0ken-de-prueba".to_owned())),
            ..Default::default()
        },
    );
    let request = |authorization: Option<&str>| {
        let mut builder = Request::get("/metrics");
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder.body(Body::empty()).expect("a request")
    };
    assert_eq!(status_of(&app, request(None)).await, StatusCode::NOT_FOUND);
    assert_eq!(
        status_of(&app, request(Some("Bearer otro"))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(&app, request(Some("Bearer t0ken-de-prueba"))).await,
        StatusCode::OK
    );
    // Without a token, a request that came through a proxy is not local.
    let open = vereda_web::app(db.store.clone(), vereda_web::WebConfig::default());
    let proxied = Request::get("/metrics")
        .header("x-forwarded-for", "203.0.113.7")
        .body(Body::empty())
        .expect("a request");
    assert_eq!(status_of(&open, proxied).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn postgres_requires_an_uploads_directory_naming_the_setting() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    if std::env::var_os(vereda_web::uploads::UPLOADS_DIR_VAR).is_some() {
        return;
    }
    let Err(refusal) = vereda_web::try_app(db.store.clone(), vereda_web::WebConfig::default()) else {
        panic!("PostgreSQL without an uploads directory must not start")
    };
    assert_eq!(refusal.code(), "uploads-dir_required");
    let dir = tempfile::tempdir().expect("a directory");
    let configured = vereda_web::WebConfig {
        uploads_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    assert!(vereda_web::try_app(db.store.clone(), configured).is_ok());
}

async fn body_of(app: &axum::Router, path: &str) -> String {
    let reply = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).expect("a request"))
        .await
        .expect("an answer");
    assert_eq!(reply.status(), StatusCode::OK, "{path}");
    let bytes = reply.into_body().collect().await.expect("a body").to_bytes();
    String::from_utf8(bytes.to_vec()).expect("text")
}

#[tokio::test]
async fn open_data_is_the_same_text_on_both_backends() {
    const EXPORTS: [&str; 5] = [
        "/api/v1/open-data/projects.json",
        "/api/v1/open-data/projects.csv",
        "/api/v1/open-data/indicators.csv",
        "/api/v1/open-data/measurements.csv",
        "/api/v1/projects/T06.60%2C61%2C62",
    ];
    let sqlite = vereda_store::test_support::sqlite().await.expect("SQLite");
    vereda_web::demo::seed(&sqlite.store, &vereda_web::WebConfig::default())
        .await
        .expect("demo data");
    let on_sqlite = vereda_web::app(sqlite.store.clone(), vereda_web::WebConfig::default());
    let projects = body_of(&on_sqlite, EXPORTS[0]).await;
    // Whole amounts without decimals, on SQLite as on PostgreSQL.
    assert!(projects.contains("\"total_eur\":\"22500000\""), "{projects}");
    let Some(postgres) = vereda_store::test_support::postgres().await else {
        return;
    };
    vereda_web::demo::seed(&postgres.store, &vereda_web::WebConfig::default())
        .await
        .expect("demo data");
    let dir = tempfile::tempdir().expect("a directory");
    let on_postgres = vereda_web::app(
        postgres.store.clone(),
        vereda_web::WebConfig {
            uploads_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        },
    );
    for path in EXPORTS {
        assert_eq!(
            body_of(&on_sqlite, path).await,
            body_of(&on_postgres, path).await,
            "{path} differs between SQLite and PostgreSQL"
        );
    }
}
