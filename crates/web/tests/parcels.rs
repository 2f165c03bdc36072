//! The verification of a household's parcel over HTTP (Art. 12-13): the title study and the
//! field visit forms (field errors beside fields with 422 and nothing stored, a stale form
//! 409), the photos, the standing on the household's page and the timeline.

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_domain::parcel::SiteCondition;

struct Setup {
    client: Client,
    household: i32,
    parcel: i32,
    head_name: String,
}

async fn setup() -> Setup {
    let config = vereda_web::WebConfig {
        today: Some(jiff::civil::date(2026, 3, 10)),
        ..Default::default()
    };
    let mut client = Client::with_demo_and(config).await;
    let call_id = client.db.store.calls().await.expect("calls")[0].id;
    let household = client
        .db
        .store
        .households(Some(call_id))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.external_id == "CAQ-0002")
        .expect("demo household");
    let parcel = client
        .db
        .store
        .parcels_of(&[household.id])
        .await
        .expect("parcels")[0]
        .parcel
        .id;
    client.log_in_as(Role::TerritorialOfficer).await;
    Setup {
        client,
        household: household.id,
        parcel,
        head_name: household.head_name,
    }
}

impl Setup {
    fn path(&self, tail: &str) -> String {
        format!(
            "/personal/hogares/{}/predios/{}{tail}",
            self.household, self.parcel
        )
    }

    async fn title(&mut self, fields: &[(&str, &str)]) -> support::Reply {
        let token = self.client.csrf().await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let path = self.path("/titulos");
        self.client.post_form(&path, &all).await
    }

    async fn visit(
        &mut self,
        fields: &[(&str, &str)],
        failing: Option<SiteCondition>,
        leave_out: Option<SiteCondition>,
    ) -> support::Reply {
        let token = self.client.csrf().await;
        let names: Vec<(String, String)> = SiteCondition::ALL
            .iter()
            .filter(|c| Some(**c) != leave_out)
            .map(|c| {
                let met = if Some(*c) == failing { "no" } else { "yes" };
                (format!("{c}_met"), met.to_owned())
            })
            .collect();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        for (k, v) in &names {
            all.push((k.as_str(), v.as_str()));
        }
        let path = self.path("/visita");
        self.client.post_form(&path, &all).await
    }
}

#[tokio::test]
async fn the_title_study_form_checks_fields_and_its_version() {
    let mut s = setup().await;
    let page = s.client.get(&s.path("")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Estudio de títulos (Art. 12)"));
    for article in ["Art. 13.1", "Art. 13.2", "Art. 13.3", "Art. 13.4", "Art. 13.5"] {
        assert!(page.body.contains(article), "{article}");
    }
    assert!(page.body.contains("falta el estudio de títulos (Art. 12)"));

    let bad = s
        .title(&[
            ("lock_version", "0"),
            ("title_record", "420-98765"),
            ("owner_name", " "),
            ("result", "not_favourable"),
        ])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("id=\"owner_name-errors\" class=\"field-error\">Este dato es obligatorio.")
    );
    assert!(
        bad.body
            .contains("id=\"limits_use-errors\" class=\"field-error\">Elija una opción.")
    );
    assert!(
        bad.body
            .contains("id=\"reasons-errors\" class=\"field-error\">Un estudio no favorable")
    );
    assert!(
        bad.body.contains("value=\"420-98765\""),
        "the form keeps what was typed"
    );
    let stored = s
        .client
        .db
        .store
        .parcel_verification(s.household, s.parcel)
        .await
        .expect("read")
        .expect("parcel");
    assert!(stored.title.is_none(), "nothing stored on bad input");

    let head = s.head_name.clone();
    let fields = [
        ("lock_version", "0"),
        ("title_record", "420-98765"),
        ("owner_name", head.as_str()),
        ("owner_document", ""),
        ("limitations", "Servidumbre de paso"),
        ("limits_use", "no"),
        ("result", "favourable"),
        ("reasons", ""),
    ];
    let ok = s.title(&fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = s.client.get(&s.path("")).await;
    assert!(
        page.body
            .contains("El propietario del título es miembro del hogar"),
        "matched by name"
    );
    let stale = s.title(&fields).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("Otra persona cambió este registro"));
    let mut again = fields;
    again[0] = ("lock_version", "1");
    again[2] = ("owner_name", "Pedro Páramo");
    assert_eq!(s.title(&again).await.status, StatusCode::SEE_OTHER);
    let page = s.client.get(&s.path("")).await;
    assert!(
        page.body
            .contains("el propietario del título no es miembro del hogar (Art. 12)")
    );

    // Reading is not changing: a viewer without VerifyHouseholds is refused.
    s.client.forget_session();
    s.client.log_in_as(Role::Auditor).await;
    let token = s.client.csrf().await;
    let path = s.path("/titulos");
    let forbidden = s.client.post_form(&path, &[("csrf_token", token.as_str())]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_field_visit_form_checks_coordinates_conditions_and_photos() {
    let mut s = setup().await;
    let abroad = s
        .visit(
            &[
                ("lock_version", "0"),
                ("visit_date", "2026-03-05"),
                ("latitude", "40,4"),
                ("longitude", "-3.7"),
            ],
            None,
            Some(SiteCondition::WaterAvailability),
        )
        .await;
    assert_eq!(abroad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        abroad
            .body
            .contains("id=\"latitude-errors\" class=\"field-error\" data-problem=\"parcel-error-latitude\">")
    );
    assert!(
        abroad.body.contains(
            "id=\"longitude-errors\" class=\"field-error\" data-problem=\"parcel-error-longitude\">"
        )
    );
    assert!(
        abroad
            .body
            .contains("id=\"water_availability_met-errors\" class=\"field-error\">Elija una opción.")
    );
    let future = s
        .visit(
            &[
                ("lock_version", "0"),
                ("visit_date", "2026-04-01"),
                ("latitude", "1.6"),
                ("longitude", "-75.6"),
            ],
            None,
            None,
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        future
            .body
            .contains("id=\"visit_date-errors\" class=\"field-error\">Escriba una fecha")
    );
    let stored = s
        .client
        .db
        .store
        .parcel_verification(s.household, s.parcel)
        .await
        .expect("read")
        .expect("parcel");
    assert!(stored.visit.is_none(), "nothing stored on bad input");

    let fields = [
        ("lock_version", "0"),
        ("visit_date", "2026-03-05"),
        ("latitude", "1.6144"),
        ("longitude", "-75.6062"),
    ];
    let ok = s
        .visit(&fields, Some(SiteCondition::WaterAvailability), None)
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let stale = s.visit(&fields, None, None).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let page = s.client.get(&s.path("")).await;
    assert!(page.body.contains("data-suitable=\"false\""));
    assert!(
        page.body
            .contains("no cumple: Disponibilidad permanente de aguas")
    );
    assert!(page.body.contains("(Art. 13.5)"));
    // The household's page shows the block, with a link to the parcel.
    let household = s
        .client
        .get(&format!("/personal/hogares/{}/verificacion", s.household))
        .await;
    assert!(household.body.contains(&s.path("")));
    assert!(household.body.contains("(Art. 13.5)"));

    // Photos: JPEG or PNG only, told from the bytes.
    let token = s.client.csrf().await;
    let path = s.path("/fotos");
    let text = s
        .client
        .post_files(
            &path,
            &[("csrf_token", &token)],
            &[("photo", "foto.jpg", b"no soy una foto")],
        )
        .await;
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.body.contains("no es JPEG ni PNG"));
    let token = s.client.csrf().await;
    let png = s
        .client
        .post_files(
            &path,
            &[("csrf_token", &token)],
            &[("photo", "lote.png", b"\x89PNG\r\n\x1a\n0000")],
        )
        .await;
    assert_eq!(png.status, StatusCode::SEE_OTHER, "{}", png.body);
    let page = s.client.get(&s.path("")).await;
    assert!(page.body.contains("lote.png"));

    let timeline = s
        .client
        .get(&format!("/personal/hogares/{}/historia", s.household))
        .await;
    assert!(timeline.body.contains("Visita de campo al predio (Art. 13)"));
}
