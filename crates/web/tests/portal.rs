//! The public portal and the follow-up of results, in process: the project card against the
//! seed, the portfolio, open data and IATI, masking, and the measurement forms.

mod support;

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;

const CARD: &str = "/proyectos/T06.60%2C61%2C62";

#[tokio::test]
async fn the_card_shows_every_section_of_the_seed_and_is_reached_from_home() {
    let mut client = Client::with_demo().await;
    let home = client.get("/").await;
    assert!(
        home.body.contains(&format!("href=\"{CARD}\"")),
        "the home page links the card"
    );
    let card = client.get(CARD).await;
    assert_eq!(card.status, StatusCode::OK);
    let page = &card.body;
    for expected in [
        "T06.60,61,62",
        "Implementation of PDET Productive Routes for Stabilization",
        "Regional stabilization through strengthening productive chains",
        "Periodo de ejecución",
        "18 jul 2020",
        "22 dic 2024",
        "Descripción general",
        "Contribución al Acuerdo de Paz",
        "Objetivo general",
        "Objetivos específicos",
        "EUR 19.500.000",
        "EUR 3.000.000",
        "EUR 22.500.000",
        "Indicadores destacados",
        "septiembre de 2022",
        "junio de 2022",
        "Alta Consejería para la Estabilización y la Consolidación",
        "ONF Andina",
        "Cobertura geográfica",
        "<svg",
        "Recursos del proyecto",
        "iati-activities.xml?project=T06.60%2C61%2C62",
    ] {
        assert!(page.contains(expected), "the card lacks {expected:?}");
    }
    assert_eq!(page.matches("<tr id=\"indicator-").count(), 12);
    for (number, advance) in [(1, 33), (3, 14), (4, 47), (5, 44), (6, 12), (10, 0)] {
        let row = section(page, &format!("<tr id=\"indicator-{number}\">"), "</tr>");
        assert!(row.contains(&format!("{advance} %")), "indicator {number}: {row}");
    }
    assert!(
        card.body.len() < 60_000,
        "the card weighs {} bytes",
        card.body.len()
    );

    client.get("/idioma/en?next=/").await;
    let english = client.get(CARD).await;
    assert!(english.body.contains("Featured indicators"));
    assert!(english.body.contains("September 2022"));
    assert!(english.body.contains("From 18 Jul 2020 to 22 Dec 2024"));
}

/// The text after `start` and before the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page.find(start).unwrap_or_else(|| panic!("{start} not found")) + start.len();
    let rest = &page[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

fn section<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page.find(start).unwrap_or_else(|| panic!("{start} not found"));
    let rest = &page[from..];
    &rest[..rest.find(end).map_or(rest.len(), |e| e + end.len())]
}

#[tokio::test]
async fn unknown_projects_get_a_404_page_in_the_visitors_language() {
    let mut client = Client::with_demo().await;
    let spanish = client.get("/proyectos/NO-EXISTE").await;
    assert_eq!(spanish.status, StatusCode::NOT_FOUND);
    assert!(spanish.body.contains("<html lang=\"es\">"));
    assert!(spanish.body.contains("No fue posible atender la solicitud"));
    client.get("/idioma/en?next=/").await;
    let english = client.get("/proyectos/NO-EXISTE/indicadores/1").await;
    assert_eq!(english.status, StatusCode::NOT_FOUND);
    assert!(english.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_portfolio_filters_and_rolls_up_across_projects() {
    let mut client = Client::with_demo().await;
    let all = client.get("/proyectos").await;
    assert_eq!(all.status, StatusCode::OK);
    // The card, the program's three and the project followed after its payment.
    assert_eq!(all.body.matches("<li class=\"card\">").count(), 5);
    let roads = section(&all.body, "<tr id=\"rollup-row-roads_km\">", "</tr>");
    assert!(roads.contains("20,7 km") && roads.contains("101,5 km"), "{roads}");
    assert!(all.body.contains("id=\"rollup-roads_km\""), "a chart per roll-up");

    let putumayo = client.get("/proyectos?departamento=86").await;
    assert!(putumayo.body.contains("PDR-2013-PUT-003"));
    assert!(putumayo.body.contains("T06.60,61,62"));
    assert!(!putumayo.body.contains("PDR-2013-CAQ-001"));
    let dairy = client.get("/proyectos?cadena=L%C3%A1cteos&estado=ended").await;
    assert_eq!(dairy.body.matches("<li class=\"card\">").count(), 2);
    let funder = client
        .get("/proyectos?financiador=Alcald%C3%ADa+de+Puerto+As%C3%ADs")
        .await;
    assert_eq!(funder.body.matches("<li class=\"card\">").count(), 1);
    let bad = client.get("/proyectos?departamento=77").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn open_data_lists_projects_indicators_and_only_approved_measurements() {
    let mut client = Client::with_demo().await;
    let projects = client.get("/api/v1/open-data/projects.csv").await;
    assert!(projects.content_type.starts_with("text/csv"));
    assert_eq!(projects.body.lines().count(), 6, "a header and five projects");
    let indicators = client.get("/api/v1/open-data/indicators.json").await.json();
    // Eighteen of the card and the program's projects, five of the project followed.
    assert_eq!(indicators.as_array().map(Vec::len), Some(23));
    let only_eu = client
        .get("/api/v1/open-data/indicators.json?project=T06.60%2C61%2C62")
        .await
        .json();
    assert_eq!(only_eu.as_array().map(Vec::len), Some(12));
    let measurements = client.get("/api/v1/open-data/measurements.csv").await;
    assert!(measurements.body.contains("PDR-2013-NAR-002,1,2014-06-30,42,"));
    assert!(
        !measurements.body.contains("2014-12-31,66"),
        "a measurement waiting for review is not published"
    );
    assert!(!measurements.body.contains("@vereda.test"), "no submitter");

    // The followed project's money and progress are the card's, read from the stored figures.
    let code = vereda_store::demo::DEMO_FOLLOWED_CODE;
    let flow = client
        .db
        .store
        .project_card(code)
        .await
        .expect("card")
        .and_then(|card| card.award)
        .expect("awarded")
        .flow;
    let listed = client.get("/api/v1/open-data/projects.json").await.json();
    let followed = listed
        .as_array()
        .and_then(|all| all.iter().find(|p| p["code"] == code))
        .expect("the followed project");
    let decimal =
        |value: &serde_json::Value| -> Option<rust_decimal::Decimal> { value.as_str()?.parse().ok() };
    assert_eq!(decimal(&followed["awarded_cop"]), Some(flow.committed));
    assert_eq!(decimal(&followed["disbursed_cop"]), flow.disbursed);
    assert_eq!(decimal(&followed["executed_cop"]), Some(flow.executed));
    assert!(
        flow.executed > rust_decimal::Decimal::ZERO,
        "the demo's movements spent"
    );
    assert_eq!(decimal(&followed["physical_progress"]), flow.physical);
    assert!(flow.physical.is_some(), "the demo's visits delivered");
    let one = client
        .get(&format!("/api/v1/open-data/measurements.json?project={code}"))
        .await
        .json();
    assert!(
        one.as_array()
            .is_some_and(|rows| rows.iter().all(|m| m["project_code"] == code)),
        "{one}"
    );
}

#[tokio::test]
async fn open_data_comes_for_spreadsheets_in_spanish_with_its_dictionary_and_licence() {
    let mut client = Client::with_demo().await;
    let plain = client.get("/api/v1/open-data/indicators.csv").await;
    assert!(
        plain
            .bytes
            .starts_with(b"\xEF\xBB\xBFproject_code,number,name,unit,"),
        "BOM and commas"
    );
    assert!(plain.body.contains(",13.2,"), "decimal point for programs");
    assert!(plain.body.contains(",in_execution,"), "codes for programs");

    let spanish = client.get("/api/v1/open-data/indicators.es.csv").await;
    assert_eq!(spanish.status, StatusCode::OK);
    assert!(spanish.content_type.starts_with("text/csv"));
    assert!(
        spanish
            .bytes
            .starts_with(b"\xEF\xBB\xBFproject_code;number;name;unit;"),
        "BOM and semicolons"
    );
    let roads = spanish
        .body
        .lines()
        .find(|l| l.starts_with("T06.60,61,62;3;"))
        .expect("the roads indicator");
    assert!(roads.contains(";13,2;"), "decimal comma: {roads}");
    assert!(roads.contains(";kilómetros;"), "the unit in Spanish: {roads}");
    assert!(
        roads.contains(";En ejecución;") || roads.contains(";Planeado;") || roads.contains(";Logrado;"),
        "{roads}"
    );
    assert!(
        !spanish.body.contains(";in_execution;"),
        "no status codes in the Spanish variant"
    );

    let projects = client.get("/api/v1/open-data/projects.es.csv").await;
    let header = projects.body.lines().next().expect("header");
    for column in ["awarded_cop", "disbursed_cop", "executed_cop"] {
        assert!(header.contains(column), "{column} in {header}");
    }
    assert!(projects.body.contains(";Cerrado;"), "statuses in Spanish words");

    let workbook = client.get("/api/v1/open-data/indicators.xlsx").await;
    assert_eq!(workbook.status, StatusCode::OK);
    assert!(workbook.content_type.contains("spreadsheetml"));
    use calamine::{Data, Reader, Xlsx};
    let mut xlsx: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.bytes)).expect("opens as XLSX");
    assert_eq!(xlsx.sheet_names(), ["indicators", "diccionario"]);
    let sheet = xlsx.worksheet_range("indicators").expect("sheet");
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows[0][0], Data::String("project_code".into()));
    assert_eq!(
        rows.len(),
        24,
        "a header and 23 indicators (the followed project's five among them)"
    );
    let roads = rows
        .iter()
        .find(|r| r[0] == Data::String("T06.60,61,62".into()) && r[1] == Data::Float(3.0))
        .expect("the roads indicator");
    assert_eq!(roads[8], Data::Float(13.2), "a number, not text");
    assert_eq!(roads[3], Data::String("kilómetros".into()));
    let dictionary = xlsx.worksheet_range("diccionario").expect("dictionary sheet");
    assert_eq!(dictionary.rows().count(), 16, "a header and the 15 columns");

    let dictionary = client.get("/api/v1/open-data/dictionary.csv").await;
    assert!(dictionary.bytes.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(
        dictionary.body.lines().count(),
        1 + 21 + 15 + 7,
        "a header and every column"
    );
    assert!(dictionary.body.contains("projects,executed_cop,"));

    let page = client.get("/datos").await;
    assert!(page.body.contains("https://creativecommons.org/licenses/by/4.0/"));
    assert!(page.body.contains("CC BY 4.0"));
    assert!(page.body.contains("id=\"open-data-updated\"") && page.body.contains("<time>"));
    for file in [
        "projects.xlsx",
        "indicators.es.csv",
        "measurements.xlsx",
        "dictionary.csv",
    ] {
        assert!(
            page.body.contains(&format!("/api/v1/open-data/{file}")),
            "{file} linked"
        );
    }
    assert_eq!(
        page.body.matches("<tr><td>").count(),
        21 + 15 + 7,
        "the dictionary on the page"
    );
}

#[tokio::test]
async fn the_demo_iati_export_is_valid_against_the_2_03_schema() {
    let mut client = Client::with_demo().await;
    let xml = client.get("/api/v1/open-data/iati-activities.xml").await;
    assert_eq!(xml.status, StatusCode::OK);
    assert!(xml.body.contains("<iati-activities version=\"2.03\""));
    assert_eq!(xml.body.matches("<iati-activity ").count(), 5);
    assert!(xml.body.contains("<dimension name=\"sex\" value=\"female\""));
    match vereda_documents::iati::validate_with_xmllint(&xml.body) {
        Ok(Some(())) => {}
        Ok(None) => {
            assert!(
                std::env::var_os("VEREDA_REQUIRE_XMLLINT").is_none(),
                "VEREDA_REQUIRE_XMLLINT is set but xmllint is not installed"
            );
            println!(
                "skipped IATI schema validation: xmllint is not installed (apt-get install libxml2-utils)"
            );
        }
        Err(problems) => panic!("the demo export is not valid IATI 2.03:\n{problems}"),
    }
}

/// Every document number, Sisbén score and address of the demo households.
fn personal_data() -> Vec<String> {
    let text = include_str!("../../../data/demo/households.toml");
    let mut found = Vec::new();
    for line in text.lines() {
        for key in ["document = \"", "sisben_score = \"", "address = \"", "email = \""] {
            let mut rest = line;
            while let Some(at) = rest.find(key) {
                rest = &rest[at + key.len()..];
                let value = rest.split('"').next().unwrap_or_default();
                if key == "document = \"" {
                    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
                    found.push(digits.trim_start_matches('0').to_owned());
                    found.push(value.to_owned());
                } else {
                    found.push(value.to_owned());
                    found.push(value.replace('.', ","));
                }
            }
        }
    }
    found.retain(|v| v.len() >= 4);
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn no_public_page_or_export_shows_a_document_number_a_score_or_an_address() {
    let secrets = personal_data();
    assert!(
        secrets.len() >= 15,
        "the demo has documents and scores to look for: {secrets:?}"
    );
    let mut client = Client::with_demo().await;
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = ["/", "/datos", "/convocatorias", "/proyectos"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let private = ["/personal", "/ingreso", "/salida", "/idioma/"];
    for lang in ["es", "en"] {
        client.get(&format!("/idioma/{lang}?next=/")).await;
        seen.clear();
        queue.extend(["/".to_owned()]);
        while let Some(path) = queue.pop_front() {
            if !seen.insert(path.clone()) {
                continue;
            }
            let reply = client.get(&path).await;
            assert!(reply.status.is_success(), "{path}: {}", reply.status);
            let text = reply.body.replace("&#x2F;", "/");
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{path} shows {secret:?}");
            }
            for link in text.split("href=\"").skip(1) {
                let target = link.split('"').next().unwrap_or_default().replace("&amp;", "&");
                let internal = target.starts_with('/') && !target.starts_with("//");
                if internal && !private.iter().any(|p| target.starts_with(p)) && !target.ends_with(".css") {
                    queue.push_back(target);
                }
            }
        }
    }
    for expected in [
        "/api/v1/open-data/iati-activities.xml",
        "/api/v1/open-data/measurements.json",
        "/proyectos/PDR-2013-NAR-002/indicadores/2",
        "/convocatorias/1",
    ] {
        // The last crawl is the English one, whose pages link the English addresses.
        assert!(
            seen.contains(expected) || seen.contains(&format!("/en{expected}")),
            "the crawl reached {expected}"
        );
    }
}

async fn officer_on_indicator(client: &mut Client, number: i32) -> (String, String) {
    let path = format!("/personal/proyectos/T06.60%2C61%2C62/indicadores/{number}");
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (path, Client::csrf_in(&page.body))
}

#[tokio::test]
async fn bad_measurements_get_form_errors_and_store_nothing() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let (path, csrf) = officer_on_indicator(&mut client, 3).await;
    let before = client.get("/api/v1/open-data/measurements.csv").await.body;
    let pending_before = client
        .get("/personal/mediciones")
        .await
        .body
        .matches("class=\"card\"")
        .count();
    let post = format!("{path}/mediciones");
    for (date, value, expected) in [
        ("2023-01-31", "doce", "«doce» no es un número."),
        (
            "2023-01-31",
            "-4",
            "-4 es negativo: un valor en kilómetros no puede serlo.",
        ),
        ("2999-01-01", "4", "es posterior a hoy"),
        ("", "4", "Este dato es obligatorio."),
    ] {
        let reply = client
            .post_files(
                &post,
                &[("csrf_token", &csrf), ("measured_on", date), ("value", value)],
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{date} {value}");
        assert!(reply.body.contains(expected), "{date} {value}: no {expected:?}");
    }
    let ambiguous = client
        .post_files(
            &post,
            &[
                ("csrf_token", &csrf),
                ("measured_on", "2023-01-31"),
                ("value", "1,234"),
            ],
            &[],
        )
        .await;
    assert_eq!(ambiguous.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        ambiguous
            .body
            .contains("id=\"value-errors\" class=\"field-error\" data-problem=\"number-ambiguous\""),
        "{}",
        between(&ambiguous.body, "id=\"value-errors\"", "</span>")
    );
    let exe = client
        .post_files(
            &post,
            &[
                ("csrf_token", &csrf),
                ("measured_on", "2023-01-31"),
                ("value", "20"),
            ],
            &[("evidence", "acta.exe", b"MZ\x90\x00\x03\x00")],
        )
        .await;
    assert_eq!(exe.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        exe.body
            .contains("no es PDF, PNG, JPEG, XLSX, DOCX, CSV ni texto")
    );
    assert_eq!(
        client.get("/api/v1/open-data/measurements.csv").await.body,
        before
    );
    let pending_after = client
        .get("/personal/mediciones")
        .await
        .body
        .matches("class=\"card\"")
        .count();
    assert_eq!(pending_after, pending_before, "nothing was queued");

    // A goal of zero on the targets form.
    let page = client.get(&path).await.body;
    let lock = between(&page, "name=\"lock_version\" value=\"", "\"").to_owned();
    let zero = client
        .post_form(
            &format!("{path}/metas"),
            &[
                ("csrf_token", &csrf),
                ("baseline", "0"),
                ("goal", "0"),
                ("status", "in_execution"),
                ("lock_version", &lock),
            ],
        )
        .await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        zero.body.contains("La meta debe ser mayor que cero, no 0."),
        "{}",
        between(&zero.body, "id=\"goal-errors\"", "</span>")
    );
}

#[tokio::test]
async fn a_measurement_counts_once_another_officer_approves_it() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let (path, csrf) = officer_on_indicator(&mut client, 3).await;
    let submitted = client
        .post_files(
            &format!("{path}/mediciones"),
            &[
                ("csrf_token", &csrf),
                ("measured_on", "2023-03-31"),
                ("value", "47"),
                ("source", "Informe de interventoría"),
            ],
            &[("evidence", "acta.pdf", b"%PDF-1.4\n% acta de recibo\n")],
        )
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);
    let queue = client.get("/personal/mediciones").await.body;
    let mine = section(&queue, "T06.60,61,62 · 3.", "</li>");
    assert!(
        !mine.contains("id=\"approve-"),
        "nobody reviews their own measurement"
    );
    let before_mine = &queue[..queue.find("T06.60,61,62 · 3.").expect("the new measurement")];
    let id = before_mine
        .rsplit("id=\"measurement-")
        .next()
        .and_then(|rest| rest.split('"').next())
        .expect("its id")
        .to_owned();

    let public = |body: &str| section(body, "<tr id=\"indicator-3\">", "</tr>").to_owned();
    client.forget_session();
    assert!(public(&client.get(CARD).await.body).contains("14 %"), "not yet");

    client.log_in_as(Role::TerritorialOfficer).await;
    let csrf = client.csrf().await;
    let own = client
        .post_form(
            &format!("/personal/mediciones/{id}/revision"),
            &[("csrf_token", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);

    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    let csrf = client.csrf().await;
    let evidence_path = format!(
        "/documentos/{}",
        between(
            &client.get("/personal/mediciones").await.body,
            "href=\"/documentos/",
            "\""
        )
    );
    let evidence_path = evidence_path.as_str();
    let evidence = client.get(evidence_path).await;
    assert_eq!(evidence.status, StatusCode::OK);
    assert!(evidence.body.starts_with("%PDF-1.4"));
    let approved = client
        .post_form(
            &format!("/personal/mediciones/{id}/revision"),
            &[("csrf_token", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let twice = client
        .post_form(
            &format!("/personal/mediciones/{id}/revision"),
            &[("csrf_token", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    client.forget_session();
    let row = public(&client.get(CARD).await.body);
    assert!(row.contains("50 %") && row.contains("marzo de 2023"), "{row}");
    let not_public = client.get(evidence_path).await;
    assert_eq!(
        not_public.status,
        StatusCode::NOT_FOUND,
        "evidence is for staff only"
    );
}

#[tokio::test]
async fn public_counts_of_households_below_five_are_not_shown() {
    let mut client = Client::with_demo().await;
    let page = client.get("/convocatorias/1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The demo call's nine households, screened, in a handful of municipalities.
    let table = page
        .body
        .split("id=\"public-municipalities\"")
        .nth(1)
        .expect("the screening by municipality")
        .split("</table>")
        .next()
        .unwrap_or_default();
    assert!(table.contains("&#60; 5"), "{table}");
    for small in 1..5 {
        assert!(
            !table.contains(&format!("<td class=\"num\">{small}</td>")),
            "{small} shown: {table}"
        );
    }
}

/// A GET with extra request headers.
async fn get_with(client: &mut Client, path: &str, headers: &[(&str, &str)]) -> support::Reply {
    let mut request = axum::http::Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    client
        .send(request.body(axum::body::Body::empty()).expect("request"))
        .await
}

/// Every value of a header, joined by ", ".
fn header(reply: &support::Reply, name: &str) -> String {
    reply
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn english_addresses_serve_english_pages_whose_links_stay_english() {
    let mut client = Client::with_demo().await;
    let english = client.get("/en/proyectos").await;
    assert_eq!(english.status, StatusCode::OK);
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(
        english.body.contains(&format!("href=\"/en{CARD}\"")),
        "a card in English"
    );
    assert!(
        english.body.contains("action=\"/en/proyectos\""),
        "the search form too"
    );
    assert!(
        english.body.contains("<a href=\"/en/municipios\">"),
        "the menu too"
    );
    assert!(
        english
            .body
            .contains("<link rel=\"alternate\" hreflang=\"es\" href=\"https://vereda.gov.co/proyectos\">")
    );
    assert!(
        english
            .body
            .contains("<link rel=\"alternate\" hreflang=\"en\" href=\"https://vereda.gov.co/en/proyectos\">")
    );
    let description = format!(
        "<meta name=\"description\" content=\"{}\">",
        vereda_messages::Lang::En.t("portfolio-lead")
    );
    assert!(
        english.body.contains(&description),
        "a description from the catalogue"
    );
    assert!(
        english.headers.get("set-cookie").is_none(),
        "the address, not a cookie"
    );
    for path in [
        "/en",
        "/en/",
        "/en/datos",
        "/en/municipios?departamento=18",
        &format!("/en{CARD}"),
    ] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("<html lang=\"en\">"), "{path}");
    }
    let missing = client.get("/en/proyectos/NO-EXISTE").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("<html lang=\"en\">"));

    // The Spanish address stays Spanish, with the same alternates; ?lang=en is English too.
    let spanish = client.get("/proyectos").await;
    assert!(spanish.body.contains("<html lang=\"es\">"));
    assert!(spanish.body.contains(&format!("href=\"{CARD}\"")));
    assert!(
        spanish
            .body
            .contains("hreflang=\"en\" href=\"https://vereda.gov.co/en/proyectos\"")
    );
    assert!(
        spanish.body.contains("href=\"/idioma/en?next=/en/proyectos\""),
        "the switch leads to the English address"
    );
    let asked = client.get("/datos?lang=en").await;
    assert!(asked.body.contains("<html lang=\"en\">"));
    assert!(
        asked
            .body
            .contains("hreflang=\"es\" href=\"https://vereda.gov.co/datos\">"),
        "the alternates drop the parameter"
    );
}

#[tokio::test]
async fn accept_language_chooses_on_a_first_visit_and_the_cookie_after() {
    let mut client = Client::with_demo().await;
    let first = get_with(
        &mut client,
        "/municipios",
        &[("accept-language", "en-US,en;q=0.9,es;q=0.5")],
    )
    .await;
    assert!(first.body.contains("<html lang=\"en\">"));
    assert!(header(&first, "vary").contains("Accept-Language"));
    let spanish_first = get_with(
        &mut client,
        "/municipios",
        &[("accept-language", "es-CO, en;q=0.8")],
    )
    .await;
    assert!(spanish_first.body.contains("<html lang=\"es\">"));
    let unknown = get_with(&mut client, "/municipios", &[("accept-language", "fr, de;q=0.5")]).await;
    assert!(unknown.body.contains("<html lang=\"es\">"), "Spanish first");

    client.get("/idioma/es?next=/").await;
    let chosen = get_with(&mut client, "/municipios", &[("accept-language", "en")]).await;
    assert!(
        chosen.body.contains("<html lang=\"es\">"),
        "the visitor's choice wins"
    );
    let addressed = get_with(&mut client, "/en/municipios", &[("accept-language", "es")]).await;
    assert!(
        addressed.body.contains("<html lang=\"en\">"),
        "the address wins over both"
    );
}

#[tokio::test]
async fn content_in_the_other_language_carries_its_lang_attribute() {
    let mut client = Client::with_demo().await;
    let spanish = client.get(CARD).await;
    assert!(
        spanish
            .body
            .contains("<h1 lang=\"en\">Implementation of PDET Productive Routes for Stabilization</h1>")
    );
    assert!(
        spanish
            .body
            .contains("<p class=\"lead\" lang=\"en\">Regional stabilization")
    );
    assert_eq!(
        spanish.body.matches(" lang=\"es\"").count(),
        1,
        "Spanish on a Spanish page needs none but the page's own"
    );
    let portfolio = client.get("/proyectos").await;
    assert!(
        portfolio
            .body
            .contains(&format!("<a href=\"{CARD}\" lang=\"en\">Implementation of PDET"))
    );

    let english = client.get(&format!("/en{CARD}")).await;
    assert!(english.body.contains("<h1>Implementation of PDET"));
    assert!(
        english
            .body
            .contains("<span lang=\"es\">Número de kilómetros de vías")
    );
    assert!(
        english
            .body
            .contains("<span lang=\"es\">Vías terciarias de las cadenas")
    );
    let program = client.get("/en/proyectos/PDR-2013-CAQ-001").await;
    assert!(
        program
            .body
            .contains("<h1 lang=\"es\">Leche de calidad en San Vicente del Caguán</h1>")
    );
}

#[tokio::test]
async fn the_portfolio_search_ignores_accents_and_case_and_reads_value_chains() {
    let mut client = Client::with_demo().await;
    let caguan = client.get("/proyectos?q=caguan").await;
    assert_eq!(caguan.body.matches("<li class=\"card\">").count(), 1);
    assert!(caguan.body.contains("Leche de calidad en San Vicente del Caguán"));
    let upper = client.get("/proyectos?q=CAGUÁN").await;
    assert_eq!(upper.body.matches("<li class=\"card\">").count(), 1);
    // The English card is found by its Spanish value chain.
    let cocoa = client.get("/proyectos?q=cacao").await;
    assert!(cocoa.body.contains("T06.60,61,62"), "{}", cocoa.body);
    let dairy = client.get("/en/proyectos?q=lacteos").await;
    assert!(dairy.body.contains("T06.60,61,62"));
    assert!(dairy.body.contains("PDR-2013-CAQ-001"));
}

#[tokio::test]
async fn responses_are_compressed_with_brotli_or_gzip() {
    let mut client = Client::with_demo().await;
    let plain = client.get("/municipios").await;
    assert!(plain.headers.get("content-encoding").is_none());
    let size = plain.body.len();
    assert!(size > 50_000, "the page weighs {size}");
    for (accepted, coding) in [("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br")] {
        for path in ["/municipios", "/api/v1/municipalities"] {
            let reply = get_with(&mut client, path, &[("accept-encoding", accepted)]).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            assert_eq!(header(&reply, "content-encoding"), coding, "{path} {accepted}");
            assert!(
                header(&reply, "vary")
                    .to_ascii_lowercase()
                    .contains("accept-encoding")
            );
        }
    }
    let brotli = get_with(&mut client, "/municipios", &[("accept-encoding", "br")]).await;
    assert!(brotli.body.len() * 5 < size, "{} of {size}", brotli.body.len());
    let staff_like = get_with(&mut client, "/en/municipios", &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&staff_like, "content-encoding"), "gzip");
}

#[tokio::test]
async fn robots_and_the_sitemap_tell_crawlers_what_is_public() {
    let mut client = Client::with_demo().await;
    let robots = client.get("/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.content_type.starts_with("text/plain"));
    for line in [
        "User-agent: *",
        "Disallow: /personal",
        "Disallow: /en/personal",
        "Disallow: /api/v1/",
        "Disallow: /ingreso",
        "Sitemap: https://vereda.gov.co/sitemap.xml",
    ] {
        assert!(robots.body.lines().any(|l| l == line), "{line}");
    }
    let sitemap = client.get("/sitemap.xml").await;
    assert_eq!(sitemap.status, StatusCode::OK);
    assert!(sitemap.content_type.starts_with("application/xml"));
    for loc in [
        "https://vereda.gov.co/",
        "https://vereda.gov.co/en",
        "https://vereda.gov.co/proyectos",
        "https://vereda.gov.co/en/proyectos",
        "https://vereda.gov.co/en/proyectos/T06.60%2C61%2C62",
        "https://vereda.gov.co/proyectos/PDR-2013-CAQ-001",
    ] {
        assert!(sitemap.body.contains(&format!("<loc>{loc}</loc>")), "{loc}");
    }
    assert!(
        sitemap.body.contains(
            "<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"https://vereda.gov.co/en/datos\"/>"
        )
    );
    assert!(!sitemap.body.contains("/personal"));
    let locs: Vec<String> = sitemap
        .body
        .split("<loc>https://vereda.gov.co")
        .skip(1)
        .filter_map(|rest| rest.split("</loc>").next())
        .map(str::to_owned)
        .collect();
    assert!(locs.len() >= 2 * (8 + 4), "{} pages", locs.len());
    for path in &locs {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("<meta name=\"description\" content=\""),
            "{path}"
        );
    }
}

#[tokio::test]
async fn funders_are_organisations_with_their_role_on_the_card_the_api_and_iati() {
    let mut client = Client::with_demo_and(vereda_web::WebConfig {
        iati_publisher: Some("XM-OCHA-TEST".to_owned()),
        public_url: Some("https://portal.example/".to_owned()),
        ..Default::default()
    })
    .await;
    let card = client.get(CARD).await;
    let funding = between(&card.body, "<table id=\"funding\">", "</table>");
    assert!(funding.contains("Unión Europea (Fondo Europeo para la Paz en Colombia) <small class=\"funding-role\">(cooperante)</small>"), "{funding}");
    assert!(funding.contains("Gobierno de Colombia <small class=\"funding-role\">(contrapartida)</small>"));
    assert!(!card.body.contains("Investment amount") && !card.body.contains("EU support"));
    let english = client.get(&format!("/en{CARD}")).await;
    assert!(english.body.contains("(donor)"));

    let api = client.get("/api/v1/projects/T06.60%2C61%2C62").await.json();
    assert_eq!(api["funding"][0]["role"], "donor");
    assert_eq!(api["funding"][1]["source"], "Gobierno de Colombia");
    let csv = client.get("/api/v1/open-data/projects.csv").await;
    assert!(
        csv.body
            .contains("Unión Europea (Fondo Europeo para la Paz en Colombia)")
    );
    assert!(!csv.body.contains("Investment amount"));
    let program = client.get("/api/v1/projects/PDR-2013-CAQ-001").await.json();
    assert_eq!(program["funding"][0]["role"], "institute");
    assert_eq!(program["funding"][1]["role"], "counterpart");

    let xml = client
        .get("/api/v1/open-data/iati-activities.xml?project=T06.60%2C61%2C62")
        .await;
    assert_eq!(xml.status, StatusCode::OK);
    assert!(
        xml.body
            .contains("<iati-identifier>XM-OCHA-TEST-T06.60,61,62</iati-identifier>")
    );
    assert!(
        xml.body
            .contains("<reporting-org ref=\"XM-OCHA-TEST\" type=\"10\">")
    );
    assert!(xml.body.contains("xml:lang=\"en\" default-currency=\"EUR\""));
    assert!(xml.body.contains(
        "<participating-org role=\"1\">\n      <narrative>Unión Europea (Fondo Europeo para la Paz en Colombia)</narrative>"
    ));
    assert!(
        xml.body
            .contains("<participating-org role=\"4\">\n      <narrative>ONF Andina</narrative>")
    );
    assert!(
        xml.body
            .contains("<sector vocabulary=\"1\" code=\"31162\" percentage=\"50\"/>")
    );
    assert!(
        xml.body
            .contains("<sector vocabulary=\"1\" code=\"31163\" percentage=\"50\"/>")
    );
    assert!(
        xml.body
            .contains("url=\"https://portal.example/proyectos/T06.60,61,62\"")
    );
    assert!(
        xml.body
            .contains("<narrative xml:lang=\"es\">Número de kilómetros de vías")
    );
    assert_eq!(
        xml.body.matches("<budget type=\"1\" status=\"1\">").count(),
        5,
        "one per year"
    );
    assert!(!xml.body.contains("Investment amount"));
    match vereda_documents::iati::validate_with_xmllint(&xml.body) {
        Ok(Some(())) | Ok(None) => {}
        Err(problems) => panic!("{problems}"),
    }

    let unknown = client
        .get("/api/v1/open-data/iati-activities.xml?project=NOPE")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.content_type.starts_with("application/problem+json"),
        "{}",
        unknown.content_type
    );
}

/// The text of the first element opened by `opening` (e.g. `<h1>` or `<dt id="term-x">`).
fn element_text(body: &str, opening: &str) -> String {
    let start = body
        .find(opening)
        .map(|i| i + opening.len())
        .expect("the element");
    let rest = &body[start..];
    rest[..rest.find("</").expect("its end")].trim().to_owned()
}

#[tokio::test]
async fn the_glossary_lists_every_term_and_the_pages_use_its_names() {
    use vereda_domain::glossary::Term;
    let mut client = Client::with_demo().await;
    for path in ["/glosario", "/en/glosario"] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for term in Term::ALL {
            assert!(
                page.body.contains(&format!("data-term=\"{}\"", term.as_str())),
                "{path}: {term}"
            );
        }
        assert_eq!(page.body.matches("<dt id=\"term-").count(), Term::ALL.len());
    }
    let glossary = client.get("/glosario").await.body;
    assert!(client.get("/").await.body.contains("href=\"/glosario\""));
    client.log_in_as(Role::ProgramOfficer).await;
    let screening = client.get("/personal/convocatorias/1/preselecciones").await;
    assert_eq!(screening.status, StatusCode::OK);
    assert!(
        element_text(&screening.body, "<h1>")
            .starts_with(&element_text(&glossary, "<dt id=\"term-screening\">")),
        "the screening page is named as the glossary names it"
    );
    let verification = client.get("/personal/convocatorias/1/verificacion").await;
    assert_eq!(verification.status, StatusCode::OK);
    assert!(
        element_text(&verification.body, "<h1>")
            .starts_with(&element_text(&glossary, "<dt id=\"term-verification\">")),
        "the verification page is named as the glossary names it"
    );
    let old = client.get("/personal/convocatorias/1/tamizajes").await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
}

/// The values of a data- attribute of the measurements a review queue shows, in order.
fn queued(page: &str, name: &str) -> Vec<String> {
    page.split("<li class=\"card\" id=\"measurement-")
        .skip(1)
        .filter_map(|card| card.split('>').next())
        .filter_map(|tag| tag.split(&format!(" {name}=\"")).nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_review_queue_is_paged_searched_filtered_sorted_and_downloaded() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::TerritorialOfficer).await;
    // Kilometres of road once (indicator 3), farms validated three times (indicator 8).
    for (number, day, value) in [
        (3, "2023-03-31", "47"),
        (8, "2023-01-31", "10"),
        (8, "2023-02-28", "12"),
        (8, "2023-04-30", "15"),
    ] {
        let (path, csrf) = officer_on_indicator(&mut client, number).await;
        let reply = client
            .post_files(
                &format!("{path}/mediciones"),
                &[("csrf_token", &csrf), ("measured_on", day), ("value", value)],
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    }
    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;

    // Newest day first, paged in the query.
    let all = client.get("/personal/mediciones?por_pagina=200").await;
    assert_eq!(all.status, StatusCode::OK);
    let everyone = support::page::list_total::<usize>(&all.body);
    assert!(everyone >= 4, "{everyone}");
    let days = queued(&all.body, "data-measured");
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");
    let first = client.get("/personal/mediciones?por_pagina=2").await;
    let second = client.get("/personal/mediciones?por_pagina=2&pagina=2").await;
    let mut paged = queued(&first.body, "data-measurement");
    assert_eq!(paged.len(), 2);
    paged.extend(queued(&second.body, "data-measurement"));
    assert_eq!(paged, queued(&all.body, "data-measurement")[..4].to_vec());
    assert!(first.body.contains("id=\"list-next\""));

    // The indicator's name found whatever the accents and case typed.
    for words in ["KILÓMETROS", "kilometros de vias"] {
        let page = client
            .get(&format!(
                "/personal/mediciones?q={}",
                vereda_web::error::urlencode(words)
            ))
            .await;
        assert_eq!(support::page::list_total::<usize>(&page.body), 1, "{words}");
        assert_eq!(queued(&page.body, "data-measured"), ["2023-03-31"], "{words}");
    }

    // Filtered by unit and by project; sorted oldest first.
    let numbers = client
        .get("/personal/mediciones?unidad=number&por_pagina=200")
        .await;
    let units = queued(&numbers.body, "data-unit");
    assert!(
        units.len() >= 3 && units.iter().all(|u| u == "number"),
        "{units:?}"
    );
    assert_eq!(units.len(), support::page::list_total::<usize>(&numbers.body));
    let project = client
        .get("/personal/mediciones?proyecto=T06.60%2C61%2C62&por_pagina=200")
        .await;
    assert!(
        queued(&project.body, "data-project")
            .iter()
            .all(|p| p == "T06.60,61,62")
    );
    let oldest = client
        .get("/personal/mediciones?orden=-fecha&por_pagina=200")
        .await;
    let days = queued(&oldest.body, "data-measured");
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");

    // The download follows the filter.
    let csv = client.get("/personal/mediciones.csv?unidad=number").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
    let lines: Vec<&str> = csv.body.trim_end().lines().collect();
    assert_eq!(lines.len() - 1, units.len(), "{}", csv.body);
    assert!(lines[1..].iter().all(|l| l.contains(",number,")), "{}", csv.body);
    let found = client.get("/personal/mediciones.csv?q=kilometros").await;
    let lines: Vec<&str> = found.body.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{}", found.body);
    assert!(lines[1].contains(",km,2023-03-31,47,"), "{}", lines[1]);
    let xlsx = client.get("/personal/mediciones.xlsx?q=kilometros").await;
    assert_eq!(xlsx.status, StatusCode::OK);
}
