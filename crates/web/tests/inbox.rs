//! The staff's work inbox over HTTP (issue 18 part 1): the home page of a staff account and
//! `/api/v1/inbox` hold a petition filed in the office's department with its legal deadline
//! in business days and the address of its form; answered, it leaves both. Another office's
//! account does not see it; a visitor without an account gets no inbox.

mod support;

use axum::http::StatusCode;
use jiff::civil::date;
use support::Client;
use vereda_domain::accounts::Role;

fn config(outbox: &std::path::Path) -> vereda_web::WebConfig {
    vereda_web::WebConfig {
        // Wednesday 1 July 2026: 13 July (Ley 2578 de 2026) and 20 July are holidays.
        today: Some(date(2026, 7, 1)),
        outbox_dir: Some(outbox.to_path_buf()),
        digest_business_days: Some(20),
        ..Default::default()
    }
}

/// Files a petition in Florencia (Caquetá, the demo office's department) over the API.
async fn file_petition(client: &mut Client) -> i64 {
    let fields = [
        ("kind", "general"),
        ("petitioner_name", "Rosalba Pinzón Garzón"),
        ("petitioner_document", "1117234561"),
        ("email", "rosalba.pinzon@correo.invalid"),
        ("postal_address", ""),
        ("municipality", "18001"),
        ("subject", "Visita al predio"),
        ("text", "Solicito la visita de campo."),
    ];
    let filed = client.post_files("/api/v1/petitions", &fields, &[]).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    filed.json()["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_petition_appears_in_the_office_inbox_with_its_deadline_and_leaves_it_once_answered() {
    let outbox = tempfile::tempdir().expect("outbox");
    let mut client = Client::with_demo_and(config(outbox.path())).await;
    assert_eq!(client.get("/api/v1/inbox").await.status, StatusCode::UNAUTHORIZED);
    let id = file_petition(&mut client).await;

    client.log_in_as(Role::TerritorialOfficer).await;
    let api = client.get("/api/v1/inbox").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let inbox = api.json();
    assert_eq!(inbox["today"], "2026-07-01");
    assert_eq!(inbox["soon"], 20);
    let items = inbox["items"].as_array().expect("items");
    let item = items
        .iter()
        .find(|i| i["kind"] == "petition_to_answer" && i["subject"]["id"].as_i64() == Some(id))
        .expect("the petition is in the inbox");
    // Today, 1 July: 2, 3, 6-10, 14-17, 21-24 July are the 15 business days left.
    assert_eq!(item["deadline"]["business_days_left"], 15);
    assert_eq!(item["deadline"]["due_on"], "2026-07-24");
    assert_eq!(item["urgency"], "due_soon");
    assert_eq!(item["href"], format!("/personal/peticiones/{id}"));
    let counted = inbox["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .find(|c| c[0] == "petition_to_answer")
        .and_then(|c| c[1].as_u64())
        .expect("counted");
    assert!(counted >= 1);
    // Most pressing first.
    let order: Vec<&str> = items.iter().filter_map(|i| i["urgency"].as_str()).collect();
    let rank = |u: &str| {
        ["overdue", "due_soon", "later", "no_deadline"]
            .iter()
            .position(|x| *x == u)
    };
    assert!(order.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "{order:?}");

    let home = client.get("/personal").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("id=\"inbox-items\""), "{}", home.body);
    let row = home
        .body
        .split("data-kind=\"petition_to_answer\"")
        .nth(2)
        .expect("the petition's row");
    assert!(
        row.contains(&format!("href=\"/personal/peticiones/{id}\"")),
        "{row}"
    );
    assert!(
        row.contains(&vereda_messages::Lang::Es.date(date(2026, 7, 24))),
        "{row}"
    );
    // The links to every area stay below the inbox.
    assert!(home.body.contains("id=\"formulations-link\""));

    // Answered through its form, it leaves the inbox.
    let page = client.get(&format!("/personal/peticiones/{id}")).await;
    let csrf = Client::csrf_in(&page.body);
    let answered = client
        .post_form(
            &format!("/personal/peticiones/{id}/respuesta"),
            &[
                ("csrf_token", &csrf),
                ("answer", "La visita queda programada para el 15 de julio."),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let after = client.get("/api/v1/inbox").await.json();
    assert!(
        !after["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["kind"] == "petition_to_answer" && i["subject"]["id"].as_i64() == Some(id))
    );
    assert!(
        !client
            .get("/personal")
            .await
            .body
            .contains(&format!("/personal/peticiones/{id}\""))
    );
}

#[tokio::test]
async fn the_inbox_holds_only_what_the_role_may_do() {
    let outbox = tempfile::tempdir().expect("outbox");
    let mut client = Client::with_demo_and(config(outbox.path())).await;
    let id = file_petition(&mut client).await;
    // A formulator answers no petition: none in its inbox.
    client.log_in_as(Role::Formulator).await;
    let inbox = client.get("/api/v1/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert!(
        !inbox.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["kind"] == "petition_to_answer" && i["subject"]["id"].as_i64() == Some(id))
    );
    let home = client.get("/personal").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("id=\"inbox\""));
}

/// An overdue item stands out by a word and a class, not by colour alone.
#[tokio::test]
async fn an_overdue_item_says_so() {
    use vereda_domain::petition::PetitionKind;
    use vereda_store::petitions::NewPetition;
    let outbox = tempfile::tempdir().expect("outbox");
    let mut client = Client::with_demo_and(config(outbox.path())).await;
    // Filed on 1 June 2026: its 15 business days ended before 1 July.
    let filed = client
        .db
        .store
        .file_petition(
            &vereda_domain::audit::Actor::system("peticiones"),
            &NewPetition {
                kind: Some(PetitionKind::General),
                petitioner_name: "Rosalba Pinzón Garzón".into(),
                petitioner_document: "1117234561".into(),
                email: "rosalba.pinzon@correo.invalid".into(),
                postal_address: String::new(),
                subject: "Visita al predio".into(),
                text: "Solicito la visita de campo.".into(),
                municipality: vereda_domain::territory::DaneCode::parse("18001").ok(),
                attachment: None,
            },
            "2026-06-01T17:00:00Z".parse().expect("instant"),
        )
        .await
        .expect("filed");
    client.log_in_as(Role::TerritorialOfficer).await;
    let inbox = client.get("/api/v1/inbox").await.json();
    let item = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| {
            i["subject"]["id"].as_i64() == Some(i64::from(filed.id)) && i["kind"] == "petition_to_answer"
        })
        .cloned()
        .expect("the petition");
    assert_eq!(item["urgency"], "overdue");
    assert!(
        item["deadline"]["business_days_left"]
            .as_i64()
            .is_some_and(|d| d < 0)
    );
    assert!(inbox["overdue"].as_u64().is_some_and(|n| n >= 1));
    let home = client.get("/personal").await;
    let row = home
        .body
        .split(&format!("href=\"/personal/peticiones/{}\"", filed.id))
        .next()
        .and_then(|before| before.rsplit("<tr ").next())
        .expect("the row");
    assert!(row.contains("overdue"), "{row}");
    assert!(row.contains("class=\"overdue-word\""), "{row}");
    assert!(home.body.contains("id=\"inbox-overdue\""));
}
