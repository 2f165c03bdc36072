//! Calls with their AREL limits and the targeting of municipalities (Art. 5, 6, 8, 30), in
//! process against the demo: the new-call form and its errors, the targeting page, the
//! technical document as HTML and PDF, and refused weights.

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_store::demo::DEMO_CALL_CODE;

async fn officer() -> Client {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    client
}

fn errors_of<'a>(page: &'a str, field: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{field}-errors\""))
        .unwrap_or_else(|| panic!("no error slot for {field}"));
    let rest = &page[start..];
    let end = rest.find("</span>").expect("end of the slot");
    &rest[..end]
}

async fn demo_call(client: &Client) -> i32 {
    client
        .db
        .store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == DEMO_CALL_CODE)
        .expect("the demo call")
        .id
}

#[tokio::test]
async fn an_officer_creates_general_and_arel_calls_and_bad_input_stores_nothing() {
    let mut client = officer().await;
    let list = client.get("/personal/convocatorias").await;
    assert!(
        list.body.contains("href=\"/personal/convocatorias/nueva\""),
        "the list links the form"
    );
    let form = client.get("/personal/convocatorias/nueva").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = Client::csrf_in(&form.body);
    let program = client.db.store.programs().await.expect("programs")[0]
        .id
        .to_string();
    let offices = client.db.store.territorial_offices().await.expect("offices");
    let office = offices[0].id.to_string();
    let before = client.db.store.calls().await.expect("calls").len();

    // Everything wrong at once: each problem beside its field, 422, nothing stored.
    let bad = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", DEMO_CALL_CODE),
                ("name", "Otra"),
                ("budget_year", "2014"),
                ("budget_cop", "mucho"),
                ("rule_set", "no-such-rules"),
                ("line", "arel"),
                ("arel_max_pct", "120"),
                ("office", &office),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        errors_of(&bad.body, "budget_cop").contains("mucho"),
        "{}",
        errors_of(&bad.body, "budget_cop")
    );
    assert!(errors_of(&bad.body, "rule_set").contains("no-such-rules"));
    assert!(errors_of(&bad.body, "arel_max_pct").contains("120"));
    assert!(errors_of(&bad.body, "arel_cap_smmlv").contains("Art. 43"));
    assert!(
        bad.body.contains("value=\"Otra\""),
        "the form keeps what was typed"
    );
    assert_eq!(client.db.store.calls().await.expect("calls").len(), before);

    // A negative budget, and AREL limits on a general call.
    let negative = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", "C-NEG"),
                ("name", "Negativa"),
                ("budget_year", "2014"),
                ("budget_cop", "-5"),
                ("rule_set", "incoder-308-2013"),
                ("line", "general"),
                ("arel_cap_smmlv", "10"),
            ],
        )
        .await;
    assert_eq!(negative.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(errors_of(&negative.body, "budget_cop").contains("-5"));
    assert!(errors_of(&negative.body, "arel_cap_smmlv").contains("AREL"));

    // A code already used.
    let used = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", DEMO_CALL_CODE),
                ("name", "Repetida"),
                ("budget_year", "2014"),
                ("budget_cop", "1000000"),
                ("rule_set", "incoder-308-2013"),
                ("line", "general"),
            ],
        )
        .await;
    assert_eq!(used.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(errors_of(&used.body, "code").contains(DEMO_CALL_CODE));
    assert_eq!(client.db.store.calls().await.expect("calls").len(), before);

    // A good AREL call, with the SMMLV of its year by default.
    let created = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", "AREL-2014"),
                ("name", "Pesca artesanal 2014"),
                ("budget_year", "2014"),
                ("budget_cop", "2.500.000.000"),
                ("rule_set", "incoder-308-2013"),
                ("line", "arel"),
                ("arel_max_pct", "80"),
                ("arel_cap_smmlv", "22,5"),
                ("office", &office),
                ("office", &offices[1].id.to_string()),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let call = client
        .db
        .store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == "AREL-2014")
        .expect("stored");
    assert_eq!(call.budget_cop, rust_decimal::Decimal::from(2_500_000_000_i64));
    assert_eq!(call.arel_max_pct, Some(rust_decimal::Decimal::from(80)));
    assert_eq!(call.arel_cap_smmlv, Some(rust_decimal::Decimal::new(225, 1)));
    assert_eq!(
        call.smmlv_cop,
        vereda_domain::money::minimum_wage(2014).expect("2014").amount_cop
    );
    assert_eq!(call.territorial_offices.len(), 2);

    // Reading is not enough to create.
    let mut reader = Client::with_demo().await;
    reader.log_in_as(Role::Oversight).await;
    assert_eq!(
        reader.get("/personal/convocatorias/nueva").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The `data-problem` code of the error slot of `field`.
fn problem_of<'a>(page: &'a str, field: &str) -> &'a str {
    page.split(&format!(
        "id=\"{field}-errors\" class=\"field-error\" data-problem=\""
    ))
    .nth(1)
    .and_then(|rest| rest.split('"').next())
    .unwrap_or_else(|| panic!("no problem slot for {field}"))
}

#[tokio::test]
async fn call_amounts_are_read_the_colombian_way_and_ambiguous_ones_are_refused() {
    let mut client = officer().await;
    let form = client.get("/personal/convocatorias/nueva").await;
    let csrf = Client::csrf_in(&form.body);
    let program = client.db.store.programs().await.expect("programs")[0]
        .id
        .to_string();
    let office = client.db.store.territorial_offices().await.expect("offices")[0]
        .id
        .to_string();
    let before = client.db.store.calls().await.expect("calls").len();

    // "1,234" as the SMMLV is 1.234 or 1234: refused beside its field with both readings,
    // and the budget is shown back as it was understood.
    let ambiguous = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", "C-MILES"),
                ("name", "Miles"),
                ("budget_year", "2014"),
                ("budget_cop", "150000"),
                ("rule_set", "incoder-308-2013"),
                ("smmlv_cop", "1,234"),
                ("line", "general"),
                ("office", &office),
            ],
        )
        .await;
    assert_eq!(
        ambiguous.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        ambiguous.body
    );
    assert_eq!(problem_of(&ambiguous.body, "smmlv_cop"), "number-ambiguous");
    assert_eq!(problem_of(&ambiguous.body, "budget_cop"), "");
    assert!(
        ambiguous.body.contains("value=\"150.000\""),
        "the budget as understood"
    );
    assert!(ambiguous.body.contains("value=\"1,234\""), "the SMMLV as typed");
    assert_eq!(client.db.store.calls().await.expect("calls").len(), before);

    // Badly grouped digits and words have their own codes.
    let bad = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", "C-MILES"),
                ("name", "Miles"),
                ("budget_year", "2014"),
                ("budget_cop", "1.50.000"),
                ("rule_set", "incoder-308-2013"),
                ("smmlv_cop", "mucho"),
                ("line", "general"),
                ("office", &office),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_of(&bad.body, "budget_cop"), "number-bad_grouping");
    assert_eq!(problem_of(&bad.body, "smmlv_cop"), "number-not_a_number");

    // "150.000" is a hundred and fifty thousand pesos.
    let created = client
        .post_form(
            "/personal/convocatorias/nueva",
            &[
                ("csrf_token", &csrf),
                ("program", &program),
                ("code", "C-MILES"),
                ("name", "Miles"),
                ("budget_year", "2014"),
                ("budget_cop", "150.000"),
                ("rule_set", "incoder-308-2013"),
                ("smmlv_cop", "$ 616.000"),
                ("line", "general"),
                ("office", &office),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let call = client
        .db
        .store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == "C-MILES")
        .expect("stored");
    assert_eq!(call.budget_cop, rust_decimal::Decimal::from(150_000));
    assert_eq!(call.smmlv_cop, rust_decimal::Decimal::from(616_000));
}

#[tokio::test]
async fn the_targeting_page_ranks_the_municipalities_and_generates_numbered_documents() {
    let mut client = officer().await;
    let id = demo_call(&client).await;
    let page = client
        .get(&format!("/personal/convocatorias/{id}/focalizacion"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "id=\"ranking\"",
        "<svg",
        "id=\"coverage\"",
        "Quintil 1",
        "FLORENCIA (18001)",
    ] {
        assert!(page.body.contains(expected), "the page lacks {expected:?}");
    }

    // Interventions by file: a bad file stores nothing and names line, column and value.
    let csrf = Client::csrf_in(&page.body);
    let path = format!("/personal/convocatorias/{id}/focalizacion/intervenciones");
    let bad = client
        .post_multipart(
            &path,
            &[("csrf_token", &csrf)],
            ("i.csv", b"dane_code,interventions\n18001,2\n18001,x\n"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<&str> = bad
        .body
        .split("<li data-problem=\"")
        .skip(1)
        .filter_map(|p| p.split('"').next())
        .collect();
    assert_eq!(
        problems,
        ["row-error-interventions_summary", "row-error-at", "row-error-at"],
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("«x»") && !bad.body.contains("line 3"),
        "{}",
        bad.body
    );
    assert!(client.db.store.interventions(id).await.expect("rows").is_empty());
    // As Excel in Spanish saves it ("CSV (delimitado por comas)", Windows-1252): read, and
    // the confirmation names the encoding.
    let good = client
        .post_multipart(
            &path,
            &[("csrf_token", &csrf)],
            ("i.csv", b"C\xf3digo DANE;Intervenciones\n18001;5\n18029;1\n"),
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(good.body.contains("Windows-1252"), "{}", good.body);
    assert_eq!(client.db.store.interventions(id).await.expect("rows").len(), 2);
    // A count that is not a whole number: the page again, what was typed kept and the
    // problem beside its field, nothing stored.
    let refused = client
        .post_form(
            &format!("{path}/manual"),
            &[("csrf_token", &csrf), ("dane_code", "18094"), ("count", "tres")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"id="count-errors" class="field-error" data-problem="targeting-error_count""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="18094""#), "{}", refused.body);
    assert!(refused.body.contains(r#"value="tres""#), "{}", refused.body);
    assert_eq!(client.db.store.interventions(id).await.expect("rows").len(), 2);
    let manual = client
        .post_form(
            &format!("{path}/manual"),
            &[("csrf_token", &csrf), ("dane_code", "18094"), ("count", "3")],
        )
        .await;
    assert_eq!(manual.status, StatusCode::SEE_OTHER);
    assert_eq!(client.db.store.interventions(id).await.expect("rows").len(), 3);

    // Only interventions weigh: Florencia (5) comes first.
    let weighted = client
        .get(&format!(
            "/personal/convocatorias/{id}/focalizacion?weight_poverty=0&weight_families=0&weight_interventions=2&cofinancing_per_family=11790000&families_per_project=10"
        ))
        .await;
    assert_eq!(weighted.status, StatusCode::OK, "{}", weighted.body);
    let ranking = &weighted.body[weighted.body.find("id=\"ranking\"").expect("ranking")..];
    let first_row = &ranking[ranking.find("<tbody>").expect("body")..];
    assert!(
        first_row[..first_row.find("</tr>").expect("row")].contains("18001"),
        "{first_row}"
    );
    // 12 000 000 000 / 11 790 000 = 1017.8…: 1017 families, 101 projects.
    assert!(
        weighted.body.contains("id=\"families-reached\">1017<"),
        "coverage"
    );
    assert!(weighted.body.contains("id=\"projects-reached\">101<"));

    let csrf = Client::csrf_in(&weighted.body);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("weight_poverty", "0,5"),
        ("weight_families", "0.3"),
        ("weight_interventions", "0.2"),
        ("cofinancing_per_family", "11790000"),
        ("families_per_project", "10"),
    ];
    let generated = client
        .post_form(&format!("/personal/convocatorias/{id}/focalizacion"), &fields)
        .await;
    assert_eq!(generated.status, StatusCode::SEE_OTHER, "{}", generated.body);
    let location = generated.location.clone().expect("location");
    assert_eq!(
        location,
        format!("/personal/convocatorias/{id}/focalizacion/documentos/1")
    );
    let again = client
        .post_form(&format!("/personal/convocatorias/{id}/focalizacion"), &fields)
        .await;
    assert_eq!(
        again.location.as_deref(),
        Some(format!("/personal/convocatorias/{id}/focalizacion/documentos/2").as_str())
    );

    let document = client.get(&location).await;
    assert_eq!(document.status, StatusCode::OK);
    for expected in [
        "Art. 6.1",
        "Art. 6.3",
        "id=\"weights\"",
        "0.5",
        "id=\"ranking\"",
        "id=\"families-reached\">1017<",
    ] {
        assert!(
            document.body.contains(expected),
            "the document lacks {expected:?}"
        );
    }
    let pdf = client.get(&format!("{location}.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF") && pdf.body.len() > 1000);
    assert_eq!(
        client
            .get(&format!("/personal/convocatorias/{id}/focalizacion/documentos/9"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The oversight reads the documents but cannot generate one.
    let mut reader = Client::with_demo().await;
    reader.log_in_as(Role::Oversight).await;
    let id = demo_call(&reader).await;
    let page = reader
        .get(&format!("/personal/convocatorias/{id}/focalizacion"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"generate-form\""));
    let csrf = Client::csrf_in(&page.body);
    let refused = reader
        .post_form(
            &format!("/personal/convocatorias/{id}/focalizacion"),
            &[("csrf_token", &csrf), ("weight_poverty", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invalid_weights_are_refused_beside_their_fields_and_nothing_is_stored() {
    let mut client = officer().await;
    let id = demo_call(&client).await;
    let csrf = client.csrf().await;
    let path = format!("/personal/convocatorias/{id}/focalizacion");
    let negative = client
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("weight_poverty", "-1"),
                ("weight_families", "abc"),
                ("weight_interventions", "1"),
                ("cofinancing_per_family", "0"),
                ("families_per_project", "0"),
            ],
        )
        .await;
    assert_eq!(
        negative.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        negative.body
    );
    assert!(errors_of(&negative.body, "weight_poverty").contains("-1"));
    assert!(errors_of(&negative.body, "weight_families").contains("abc"));
    assert!(errors_of(&negative.body, "cofinancing_per_family").contains('0'));
    assert!(errors_of(&negative.body, "families_per_project").contains('0'));
    let zero = client
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("weight_poverty", "0"),
                ("weight_families", "0"),
                ("weight_interventions", "0"),
                ("cofinancing_per_family", "1000"),
                ("families_per_project", "5"),
            ],
        )
        .await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        errors_of(&zero.body, "weight_poverty").contains("cero"),
        "{}",
        errors_of(&zero.body, "weight_poverty")
    );
    let preview = client.get(&format!("{path}?weight_poverty=x&weight_families=1&weight_interventions=1&cofinancing_per_family=1&families_per_project=1")).await;
    assert_eq!(preview.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        client
            .db
            .store
            .targeting_documents(id)
            .await
            .expect("documents")
            .is_empty()
    );
}
