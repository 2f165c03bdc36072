//! An in-process client for the application: it keeps cookies like a browser and calls the
//! router directly (`oneshot`), with a fresh demo database per test.

#![allow(dead_code)]

pub mod api;
pub mod notice;
pub mod page;
pub mod procedure;
pub mod voice;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vereda_store::test_support::TestDatabase;

pub struct Client {
    pub app: Router,
    pub db: TestDatabase,
    cookies: Vec<(String, String)>,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (a workbook is not text).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Client {
    pub async fn with_demo() -> Client {
        Client::with_demo_and(vereda_web::WebConfig::default()).await
    }

    /// The demo with a configuration of the test's own (an outbox directory, a fixed today).
    pub async fn with_demo_and(config: vereda_web::WebConfig) -> Client {
        let db = vereda_store::test_support::sqlite().await.expect("database");
        Client::with_demo_on(db, config).await
    }

    /// The demo on a database of the test's own (PostgreSQL, for tests run on both backends).
    pub async fn with_demo_on(
        db: vereda_store::test_support::TestDatabase,
        config: vereda_web::WebConfig,
    ) -> Client {
        vereda_web::demo::seed(&db.store, &config)
            .await
            .expect("demo data");
        let app = vereda_web::app(db.store.clone(), config);
        Client {
            app,
            db,
            cookies: Vec::new(),
        }
    }

    /// The demo, with every statement the application runs logged, to count a page's queries.
    pub async fn with_demo_counting() -> (Client, vereda_store::test_support::StatementLog) {
        let db = vereda_store::test_support::sqlite().await.expect("database");
        vereda_web::demo::seed(&db.store, &vereda_web::WebConfig::default())
            .await
            .expect("demo data");
        // The application gets the logging copy; `db.store` (seeding in tests) stays unlogged.
        let mut store = db.store.clone();
        let log = store.log_statements();
        let app = vereda_web::app(store, vereda_web::WebConfig::default());
        let client = Client {
            app,
            db,
            cookies: Vec::new(),
        };
        (client, log)
    }

    /// The cookies this client holds: another browser's session, to come back to with
    /// [`Client::use_cookies`].
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.cookies.clone()
    }

    pub fn use_cookies(&mut self, cookies: Vec<(String, String)>) {
        self.cookies = cookies;
    }

    /// Drops the session cookie, as a closed browser would.
    pub fn forget_session(&mut self) {
        self.cookies.clear();
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, request: Request<Body>) -> Reply {
        let mut request = request;
        let path = request.uri().to_string();
        if !self.cookies.is_empty() {
            request
                .headers_mut()
                .insert(header::COOKIE, self.cookie_header().parse().expect("cookie"));
        }
        let response = self.app.clone().oneshot(request).await.expect("response");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().expect("cookie text");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() && !text.contains("Max-Age=0") {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().expect("location").to_owned());
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().expect("type").to_owned())
            .unwrap_or_default();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if content_type.starts_with("text/html")
            && let Some(lang) = voice::page_language(&body)
        {
            let problems = voice::problems(lang, &body);
            assert!(problems.is_empty(), "{} {status}: {problems:#?}", path);
        }
        Reply {
            status,
            location,
            content_type,
            headers,
            body,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", vereda_web::error::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Reply {
        let boundary = "vereda-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n", file.0).as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// A multipart form with any number of files, each as (field, file name, bytes).
    pub async fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        self.post_files_with(path, None, fields, files).await
    }

    /// [`Client::post_files`] as an API call, with the session's token in `X-CSRF-Token` when
    /// one is given.
    #[allow(dead_code)]
    pub async fn post_files_with(
        &mut self,
        path: &str,
        csrf: Option<&str>,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let boundary = "vereda-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        self.send(request.body(Body::from(body)).expect("request")).await
    }

    /// A JSON API call: `method` on `path` with the body as JSON, and the session's token in
    /// `X-CSRF-Token` when one is given.
    pub async fn send_json(
        &mut self,
        method: &str,
        path: &str,
        csrf: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        let request = match body {
            Some(json) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("request");
        self.send(request).await
    }

    /// A raw body sent as JSON, for bodies that are not.
    pub async fn send_raw_json(&mut self, method: &str, path: &str, csrf: Option<&str>, body: &str) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        let request = request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(request).await
    }

    /// The CSRF token in a page's form.
    pub fn csrf_in(page: &str) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = page.find(marker).expect("a CSRF field") + marker.len();
        page[start..].split('"').next().expect("token").to_owned()
    }

    pub async fn log_in(&mut self, email: &str, password: &str) -> Reply {
        let form = self.get("/ingreso").await;
        let token = Client::csrf_in(&form.body);
        self.post_form(
            "/ingreso",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
                ("next", "/personal"),
            ],
        )
        .await
    }

    pub async fn log_in_as(&mut self, role: vereda_domain::accounts::Role) {
        let reply = self
            .log_in(
                &vereda_store::demo::demo_email(role),
                vereda_store::demo::DEMO_PASSWORD,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "login as {role}: {}",
            reply.body
        );
    }

    /// The token of the logged-in session, from any staff page.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/personal").await;
        Client::csrf_in(&page.body)
    }
}
