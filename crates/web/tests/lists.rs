//! The staff lists of a call (issue 15 part 3, issue 18 part 2): households, verification and
//! letters searched without regard to accents and case, filtered, sorted, paged and downloaded
//! with the current filter; and a call of 100,000 households whose every staff page answers
//! small, on SQLite and (when `VEREDA_TEST_POSTGRES_URL` is set) on PostgreSQL.

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;

/// The demo with one more household in its call whose head's names carry accents.
async fn demo_with_pena() -> (Client, i32) {
    let mut client = Client::with_demo().await;
    let call_id = client.db.store.calls().await.expect("calls")[0].id;
    let household: vereda_store::households::NewHousehold = serde_json::from_value(serde_json::json!({
        "call_id": call_id,
        "external_id": "NAR-0042",
        "municipality": "52001",
        "displaced": false,
        "ethnic_group": "none",
        "ethnic_community_registered": false,
        "program_line": "general",
        "members": [{"document_type": "CC", "document": "27.456.789", "first_name": "Ana Lucía",
            "last_name": "Peña Nariño", "sex": "F", "is_head": true}]
    }))
    .expect("a household");
    client
        .db
        .store
        .create_household(&vereda_domain::audit::Actor::system("test"), household)
        .await
        .expect("stored");
    client.log_in_as(Role::ProgramOfficer).await;
    (client, call_id)
}

/// The households a list page shows, by their external ids, in order.
fn shown(page: &str) -> Vec<String> {
    page.split("<tr class=\"household\"")
        .skip(1)
        .filter_map(|row| row.split("<td>").nth(1))
        .filter_map(|cell| cell.split('<').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_household_is_found_without_its_accents_or_case() {
    let (mut client, call) = demo_with_pena().await;
    for words in ["pena", "PENA", "narino", "Peña", "lucia nariño", "27.456"] {
        let page = client
            .get(&format!(
                "/personal/convocatorias/{call}/hogares?q={}",
                vereda_web::error::urlencode(words)
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{words}");
        assert_eq!(shown(&page.body), vec!["NAR-0042".to_owned()], "{words}");
        assert_eq!(support::page::list_total::<u64>(&page.body), 1, "{words}");
    }
    // Every word must appear: a name and a document of two households find nothing.
    let page = client
        .get(&format!(
            "/personal/convocatorias/{call}/hogares?q=pena%20cuellar"
        ))
        .await;
    assert_eq!(support::page::list_total::<u64>(&page.body), 0);
    // The verification page and the API search alike.
    let page = client
        .get(&format!("/personal/convocatorias/{call}/verificacion?q=narino"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(support::page::list_total::<u64>(&page.body), 1);
    assert!(page.body.contains("Peña Nariño"));
    assert!(!page.body.contains("Cuéllar Rojas"));
    let api = client
        .get(&format!("/api/v1/calls/{call}/households?q=PENA"))
        .await
        .json();
    let items = api["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["external_id"], "NAR-0042");
}

#[tokio::test]
async fn a_call_s_households_are_filtered_sorted_and_paged_in_the_query() {
    let (mut client, call) = demo_with_pena().await;
    let base = format!("/personal/convocatorias/{call}/hogares");
    let all = client.get(&base).await;
    let everyone = support::page::list_total::<u64>(&all.body);
    assert!(everyone >= 5, "{everyone}");

    // Filter by municipality: only Pasto's household.
    let page = client.get(&format!("{base}?municipio=52001")).await;
    assert_eq!(shown(&page.body), vec!["NAR-0042".to_owned()]);
    assert!(page.body.contains("<option value=\"52001\" selected>"));

    // Sort by the household's id, both ways.
    let ascending = shown(
        &client
            .get(&format!("{base}?orden=hogar&por_pagina=200"))
            .await
            .body,
    );
    let mut sorted = ascending.clone();
    sorted.sort();
    assert_eq!(ascending, sorted);
    let descending = shown(
        &client
            .get(&format!("{base}?orden=-hogar&por_pagina=200"))
            .await
            .body,
    );
    sorted.reverse();
    assert_eq!(descending, sorted);
    assert_eq!(ascending.len() as u64, everyone);

    // Pages of two: the second holds the third and fourth, and links both ways.
    let second = client
        .get(&format!("{base}?orden=hogar&por_pagina=2&pagina=2"))
        .await;
    assert_eq!(shown(&second.body), ascending[2..4].to_vec());
    assert!(second.body.contains("id=\"list-previous\""));
    assert!(second.body.contains("id=\"list-next\""));
    assert_eq!(support::page::list_total::<u64>(&second.body), everyone);
}

#[tokio::test]
async fn the_verification_status_filter_runs_in_the_query() {
    let (mut client, call) = demo_with_pena().await;
    let base = format!("/personal/convocatorias/{call}/verificacion");
    let everyone = support::page::list_total::<u64>(&client.get(&base).await.body);
    let mut counted = 0;
    for status in ["pending", "eligible", "not_eligible", "withdrawn"] {
        let page = client
            .get(&format!("{base}?estado={status}&por_pagina=200"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let rows = page.body.matches("data-status=\"").count() as u64;
        assert_eq!(
            page.body.matches(&format!("data-status=\"{status}\"")).count() as u64,
            rows,
            "{status}: every row has the status asked for"
        );
        assert_eq!(rows, support::page::list_total::<u64>(&page.body));
        counted += rows;
    }
    assert_eq!(counted, everyone);
    // The demo's followed project's families were found eligible: the filter is not empty.
    let eligible = client.get(&format!("{base}?estado=eligible")).await;
    assert!(support::page::list_total::<u64>(&eligible.body) > 0);
    // The notice form is still on the page.
    assert!(
        client.get(&base).await.body.contains("id=\"offer-notice\"")
            || client.get(&base).await.body.contains("id=\"notice-form\"")
    );
}

#[tokio::test]
async fn downloads_carry_the_current_filter_and_mask_as_the_page_does() {
    let (mut client, call) = demo_with_pena().await;
    let csv = client
        .get(&format!("/personal/convocatorias/{call}/hogares.csv?q=pena"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let lines: Vec<&str> = csv.body.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(lines[1].contains("NAR-0042") && lines[1].contains("27.456.789"));

    let xlsx = client
        .get(&format!("/personal/convocatorias/{call}/hogares.xlsx?q=narino"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    assert_eq!(sheet.height(), 2);
    assert_eq!(
        sheet.get((1, 0)).map(|c| c.to_string()),
        Some("NAR-0042".to_owned())
    );

    // Unfiltered, every household of the call comes down.
    let all = client
        .get(&format!("/personal/convocatorias/{call}/hogares.csv"))
        .await;
    let everyone = support::page::list_total::<u64>(
        &client
            .get(&format!("/personal/convocatorias/{call}/hogares"))
            .await
            .body,
    );
    assert_eq!(all.body.trim_end().lines().count() as u64, everyone + 1);

    // The verification and the letters download with their filters too.
    let verification = client
        .get(&format!(
            "/personal/convocatorias/{call}/verificacion.csv?estado=eligible"
        ))
        .await;
    assert_eq!(verification.status, StatusCode::OK);
    let eligible = support::page::list_total::<u64>(
        &client
            .get(&format!(
                "/personal/convocatorias/{call}/verificacion?estado=eligible"
            ))
            .await
            .body,
    );
    assert_eq!(verification.body.trim_end().lines().count() as u64, eligible + 1);
    let letters = client
        .get(&format!(
            "/personal/convocatorias/{call}/comunicaciones.xlsx?estado=sent"
        ))
        .await;
    assert_eq!(letters.status, StatusCode::OK);

    // A role that does not see whole documents gets them masked, as on the page.
    client.forget_session();
    client.log_in_as(Role::CommitteeMember).await;
    let masked = client
        .get(&format!("/personal/convocatorias/{call}/hogares.csv?q=pena"))
        .await;
    assert_eq!(masked.status, StatusCode::OK);
    assert!(masked.body.contains("NAR-0042"));
    assert!(!masked.body.contains("27.456.789"), "{}", masked.body);
}

/// The first cell of each line of a CSV download after its header.
fn first_cells(csv: &str) -> Vec<String> {
    csv.trim_start_matches('\u{feff}')
        .trim_end()
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn downloads_come_in_the_order_the_page_is_sorted_in() {
    let (mut client, call) = demo_with_pena().await;
    let base = format!("/personal/convocatorias/{call}");
    for sort in ["hogar", "-hogar", "-nombre", "municipio"] {
        let page = client
            .get(&format!("{base}/hogares?orden={sort}&por_pagina=200"))
            .await;
        let csv = client.get(&format!("{base}/hogares.csv?orden={sort}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{sort}");
        assert_eq!(first_cells(&csv.body), shown(&page.body), "{sort}");
        // The workbook comes in the same order.
        let xlsx = client.get(&format!("{base}/hogares.xlsx?orden={sort}")).await;
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
        let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
        let cells: Vec<String> = sheet.rows().skip(1).map(|row| row[0].to_string()).collect();
        assert_eq!(cells, shown(&page.body), "{sort}");
    }
    // The verification list, sorted by the head's name from Z to A.
    let page = client
        .get(&format!("{base}/verificacion?orden=-nombre&por_pagina=200"))
        .await;
    let csv = client
        .get(&format!("{base}/verificacion.csv?orden=-nombre"))
        .await;
    let heads: Vec<String> = csv
        .body
        .trim_end()
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(1).unwrap_or_default().to_owned())
        .collect();
    let folded: Vec<String> = heads
        .iter()
        .map(|h| vereda_domain::text::fold_for_search(h))
        .collect();
    let mut sorted = folded.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(folded, sorted, "{}", csv.body);
    assert_eq!(heads.len() as u64, support::page::list_total::<u64>(&page.body));
    // The letters, by recipient.
    let csv = client
        .get(&format!("{base}/comunicaciones.csv?orden=destinatario"))
        .await;
    let recipients: Vec<String> = csv
        .body
        .trim_end()
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(3).unwrap_or_default().to_owned())
        .collect();
    let mut sorted = recipients.clone();
    sorted.sort();
    assert_eq!(recipients, sorted, "{}", csv.body);
}

// ---- The formulations ---------------------------------------------------------------------

/// The demo with drafts `LIST-00`… titled in turn with and without accents.
async fn demo_with_drafts(count: usize) -> Client {
    let mut client = Client::with_demo().await;
    let store = &client.db.store;
    let formulator = store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::ProgramOfficer)
        .expect("demo account")
        .actor();
    let mut project: vereda_domain::finance::Formulation =
        toml::from_str(include_str!("../../../examples/cacao-tumaco.toml")).expect("cocoa");
    for i in 0..count {
        project.frame.code = format!("LIST-{i:02}");
        project.frame.title = if i % 5 == 0 {
            format!("Café de Nariño {i:02}")
        } else {
            format!("Cacao {i:02}")
        };
        let new = vereda_store::formulations::NewFormulationDraft {
            formulation: &project,
            call_id: None,
            note: None,
            viable: None,
            irr: None,
            rule_set_id: "incoder-308-2013".into(),
            rule_set_hash: None,
        };
        store
            .save_formulation_draft(&formulator, new)
            .await
            .expect("save");
    }
    client.log_in_as(Role::ProgramOfficer).await;
    client
}

/// The formulations a list page shows, by their codes, in order.
fn codes(page: &str) -> Vec<String> {
    page.split("<tr id=\"formulation-")
        .skip(1)
        .filter_map(|row| row.split("\">").nth(2))
        .filter_map(|cell| cell.split('<').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_formulations_are_searched_filtered_sorted_paged_and_downloaded() {
    let mut client = demo_with_drafts(12).await;
    let base = "/personal/formulaciones";
    let everyone = support::page::list_total::<u64>(&client.get(base).await.body);
    assert!(everyone >= 12, "{everyone}");

    // Without accents or case: the three coffees.
    let found = client.get(&format!("{base}?q=CAFE%20narino")).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(codes(&found.body), ["LIST-00", "LIST-05", "LIST-10"]);
    assert_eq!(support::page::list_total::<u64>(&found.body), 3);
    assert!(found.body.contains("value=\"CAFE narino\""));
    // The code is searched too.
    assert_eq!(
        codes(&client.get(&format!("{base}?q=list-07")).await.body),
        ["LIST-07"]
    );

    // A filter: the stored status. The drafts are drafts; none is approved among them.
    let drafts = client.get(&format!("{base}?estado=draft&q=list")).await;
    assert_eq!(support::page::list_total::<u64>(&drafts.body), 12);
    assert!(drafts.body.contains("<option value=\"draft\" selected>"));
    let approved = client.get(&format!("{base}?estado=approved&q=list")).await;
    assert_eq!(support::page::list_total::<u64>(&approved.body), 0);

    // Sorted by title from Z to A ("café" after "cacao", the accent aside), paged by five.
    let first = client
        .get(&format!("{base}?q=list&orden=-titulo&por_pagina=5"))
        .await;
    assert_eq!(
        codes(&first.body),
        ["LIST-10", "LIST-05", "LIST-00", "LIST-11", "LIST-09"]
    );
    assert!(first.body.contains("id=\"list-next\""));
    let third = client
        .get(&format!("{base}?q=list&orden=-titulo&por_pagina=5&pagina=3"))
        .await;
    assert_eq!(codes(&third.body), ["LIST-02", "LIST-01"]);
    assert!(third.body.contains("data-page=\"3\""));
    assert!(!third.body.contains("id=\"list-next\""));

    // The download carries the filter and the sort.
    let csv = client.get(&format!("{base}.csv?q=list&orden=-titulo")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(
        first_cells(&csv.body),
        [
            "LIST-10", "LIST-05", "LIST-00", "LIST-11", "LIST-09", "LIST-08", "LIST-07", "LIST-06",
            "LIST-04", "LIST-03", "LIST-02", "LIST-01"
        ]
    );
    let xlsx = client.get(&format!("{base}.xlsx?q=cafe&orden=codigo")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    let cells: Vec<String> = sheet.rows().skip(1).map(|row| row[0].to_string()).collect();
    assert_eq!(cells, ["LIST-00", "LIST-05", "LIST-10"]);

    // An office sees its department's formulations only, on the page and in the file.
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let page = client.get(base).await;
    assert_eq!(page.status, StatusCode::OK);
    let csv = client.get(&format!("{base}.csv")).await;
    assert_eq!(
        csv.body.trim_end().lines().count() as u64,
        support::page::list_total::<u64>(&page.body) + 1,
        "{}",
        csv.body
    );
}

// ---- A call of 100,000 households -------------------------------------------------------

const LARGE: u32 = 100_000;

/// Adds `LARGE` households to the demo call in a few multi-row statements (heads, decisions
/// for half of them, a letter for every other one), modelled on the demo's rows.
async fn seed_large_call(client: &Client, call: i32) {
    use sea_orm::ConnectionTrait;
    let db = client.db.store.connection();
    let numbers =
        format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {LARGE})");
    let statements = [
        format!(
            "INSERT INTO households (call_id, external_id, municipality_code, sisben_area, displaced,
               ethnic_group, ethnic_community_registered, program_line, created_at, search_key)
             {numbers}
             SELECT {call}, 'BIG-' || i, CASE WHEN i % 10 = 0 THEN '52001' ELSE t.municipality_code END,
               t.sisben_area, t.displaced, t.ethnic_group, t.ethnic_community_registered,
               t.program_line, t.created_at,
               CASE WHEN i % 1000 = 0 THEN 'jose pena ' ELSE 'maria gomez ' END || i || ' big-' || i
             FROM n, households t WHERE t.id = (SELECT MIN(id) FROM households WHERE call_id = {call})"
        ),
        // The call's count of households, as registering them keeps it.
        format!(
            "UPDATE calls SET households = (SELECT COUNT(*) FROM households WHERE call_id = {call})
             WHERE id = {call}"
        ),
        "INSERT INTO persons (household_id, document_type, document, document_key, first_name,
           last_name, sex, birth_date, is_head)
         SELECT h.id, t.document_type, '' || h.id, '' || h.id,
           CASE WHEN h.search_key LIKE 'jose%' THEN 'José' ELSE 'María' END,
           CASE WHEN h.search_key LIKE 'jose%' THEN 'Peña' ELSE 'Gómez' END,
           t.sex, t.birth_date, t.is_head
         FROM households h, persons t
         WHERE h.external_id LIKE 'BIG-%' AND t.id = (SELECT MIN(id) FROM persons WHERE is_head)"
            .to_owned(),
        "INSERT INTO household_verifications (household_id, status, reason_codes, lock_version, call_id)
         SELECT id, CASE WHEN id % 4 = 0 THEN 'eligible' ELSE 'not_eligible' END, '', 1, call_id
         FROM households WHERE external_id LIKE 'BIG-%' AND id % 2 = 0"
            .to_owned(),
        // The status the store keeps on the household with its decision.
        "UPDATE households SET verification_status = CASE WHEN id % 4 = 0 THEN 'eligible'
           ELSE 'not_eligible' END WHERE external_id LIKE 'BIG-%' AND id % 2 = 0"
            .to_owned(),
        format!(
            "INSERT INTO letters (call_id, household_id, kind, recipient, subject, body, channel,
               status, created_at)
             SELECT {call}, h.id, 'offer', 'Hogar ' || h.external_id, 'Oferta institucional', 'Texto',
               'file', CASE WHEN h.id % 3 = 0 THEN 'failed' ELSE 'sent' END, h.created_at
             FROM households h WHERE h.external_id LIKE 'BIG-%' AND h.id % 2 = 1"
        ),
        // An identity document from each (the call's documents list).
        format!(
            "INSERT INTO household_documents (household_id, kind, file_name, content_type,
               size_bytes, sha256, received_by, received_at, received_on, call_id,
               municipality_code)
             SELECT h.id, 'identity', 'cedula.pdf', 'application/pdf', 1000, '{}', NULL,
               h.created_at + (h.id % 30) * 86400000000,
               CASE WHEN h.id % 2 = 0 THEN '2026-03-02' ELSE '2026-03-03' END, {call},
               h.municipality_code
             FROM households h WHERE h.external_id LIKE 'BIG-%'",
            "0".repeat(64)
        ),
    ];
    for statement in &statements {
        db.execute_unprepared(statement).await.expect(statement);
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE").await.expect("analyze");
    }
}

/// Every staff page of the large call answers 200 under 100 KB, its totals right.
async fn every_staff_page_of_a_large_call_answers(mut client: Client) {
    let call = client.db.store.calls().await.expect("calls")[0].id;
    let before = client
        .db
        .store
        .households(Some(call))
        .await
        .expect("households")
        .len() as u64;
    seed_large_call(&client, call).await;
    client.log_in_as(Role::ProgramOfficer).await;
    let everyone = before + u64::from(LARGE);
    let deep = everyone / 50;
    let pages = [
        (format!("/personal/convocatorias/{call}/hogares"), Some(everyone)),
        (
            format!("/personal/convocatorias/{call}/hogares?pagina={deep}"),
            Some(everyone),
        ),
        (
            format!("/personal/convocatorias/{call}/hogares?orden=-nombre"),
            Some(everyone),
        ),
        (format!("/personal/convocatorias/{call}/hogares?q=pena"), None),
        (
            format!("/personal/convocatorias/{call}/hogares?municipio=52001&orden=hogar&pagina=100"),
            None,
        ),
        (
            format!("/personal/convocatorias/{call}/verificacion"),
            Some(everyone),
        ),
        (
            format!("/personal/convocatorias/{call}/verificacion?estado=eligible&pagina=200"),
            None,
        ),
        (
            format!("/personal/convocatorias/{call}/verificacion?estado=pending&q=gomez"),
            None,
        ),
        (format!("/personal/convocatorias/{call}/comunicaciones"), None),
        (
            format!("/personal/convocatorias/{call}/comunicaciones?estado=failed&orden=tipo&pagina=50"),
            None,
        ),
        (format!("/personal/convocatorias/{call}/preselecciones"), None),
        (format!("/personal/convocatorias/{call}/focalizacion"), None),
        ("/personal/convocatorias".to_owned(), None),
        ("/personal/formulaciones?q=cacao&orden=-titulo".to_owned(), None),
        (format!("/personal/convocatorias/{call}/documentos"), None),
        (
            format!("/personal/convocatorias/{call}/documentos?pagina={deep}&orden=-tipo"),
            None,
        ),
        (format!("/personal/convocatorias/{call}/documentos?q=pena"), None),
        (
            format!("/personal/convocatorias/{call}/documentos?tipo=identity&municipio=52001&orden=hogar"),
            None,
        ),
        ("/personal/comite/proyectos".to_owned(), None),
        ("/personal/comite".to_owned(), None),
        (format!("/api/v1/calls/{call}/households?q=pena&limit=500"), None),
    ];
    for (path, expected) in &pages {
        let started = std::time::Instant::now();
        let page = client.get(path).await;
        let took = started.elapsed();
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{path}: {}",
            page.body.chars().take(400).collect::<String>()
        );
        assert!(
            page.bytes.len() < 100 * 1024,
            "{path}: {} bytes",
            page.bytes.len()
        );
        if let Some(expected) = expected {
            assert_eq!(support::page::list_total::<u64>(&page.body), *expected, "{path}");
        }
        eprintln!("{path}: {} bytes in {took:?}", page.bytes.len());
    }
    // The searched list finds the hundred Peñas of the seed, without the accent.
    let found = client
        .get(&format!(
            "/personal/convocatorias/{call}/hogares?q=pena&por_pagina=200"
        ))
        .await;
    assert_eq!(
        support::page::list_total::<u64>(&found.body),
        u64::from(LARGE / 1000)
    );
    // A download of more rows than a chunk comes whole, once each, in the page's order.
    let csv = client
        .get(&format!(
            "/personal/convocatorias/{call}/hogares.csv?municipio=52001&orden=-hogar"
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let ids = first_cells(&csv.body);
    let matching = support::page::list_total::<u64>(
        &client
            .get(&format!("/personal/convocatorias/{call}/hogares?municipio=52001"))
            .await
            .body,
    );
    assert!(matching > 1000, "{matching}");
    assert_eq!(ids.len() as u64, matching);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.reverse();
    sorted.dedup();
    assert_eq!(ids, sorted);
    // 50,000 decided, half of them eligible (ids of both parities may start the seed).
    let eligible = client
        .get(&format!(
            "/personal/convocatorias/{call}/verificacion?estado=eligible"
        ))
        .await;
    let eligible = support::page::list_total::<u64>(&eligible.body);
    assert!((24_000..=26_000).contains(&eligible), "{eligible}");
}

#[tokio::test]
async fn a_call_of_100000_households_answers_every_staff_page_on_sqlite() {
    every_staff_page_of_a_large_call_answers(Client::with_demo().await).await;
}

#[tokio::test]
async fn a_call_of_100000_households_answers_every_staff_page_on_postgres() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    let uploads = tempfile::tempdir().expect("uploads");
    let config = vereda_web::WebConfig {
        uploads_dir: Some(uploads.path().to_path_buf()),
        ..Default::default()
    };
    every_staff_page_of_a_large_call_answers(Client::with_demo_on(db, config).await).await;
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

#[tokio::test]
async fn a_call_s_documents_are_searched_filtered_sorted_paged_and_downloaded() {
    use support::page::{data, list_total, row_attribute};
    let (mut client, call) = demo_with_pena().await;
    let pena = client
        .db
        .store
        .households(Some(call))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.external_id == "NAR-0042")
        .expect("Peña's household")
        .id;
    let token = client.csrf().await;
    let received = client
        .post_files(
            &format!("/personal/hogares/{pena}/documentos"),
            &[("csrf_token", &token), ("kind", "sisben")],
            &[("document", "sisben.pdf", PDF)],
        )
        .await;
    assert!(received.status.is_redirection(), "{}", received.body);

    // Linked from the call's verification, beside its letters.
    let verification = client
        .get(&format!("/personal/convocatorias/{call}/verificacion"))
        .await;
    assert!(
        verification
            .body
            .contains(&format!("/personal/convocatorias/{call}/documentos"))
    );

    let base = format!("/personal/convocatorias/{call}/documentos");
    let all = client.get(&base).await;
    assert_eq!(all.status, StatusCode::OK);
    let everyone = list_total::<u64>(&all.body);
    assert!(everyone >= 2, "the demo's documents and Peña's: {everyone}");
    assert!(
        data(&all.body, "data-days").is_some(),
        "the Art. 14 term and the days left"
    );
    assert_eq!(
        row_attribute(&all.body, "document", "data-household")[0],
        pena.to_string(),
        "newest first"
    );

    // Searched without regard to accents and case, like the households.
    for words in ["PEÑA", "narino lucia", "nar-0042"] {
        let page = client
            .get(&format!("{base}?q={}", vereda_web::error::urlencode(words)))
            .await;
        assert_eq!(list_total::<u64>(&page.body), 1, "{words}");
        assert_eq!(
            row_attribute(&page.body, "document", "data-kind"),
            ["sisben"],
            "{words}"
        );
        assert_eq!(
            row_attribute(&page.body, "document", "data-status"),
            ["pending"],
            "{words}"
        );
    }
    // Filtered by kind, municipality and day received, in the query.
    let identity = client.get(&format!("{base}?tipo=identity")).await;
    let kinds = row_attribute(&identity.body, "document", "data-kind");
    assert!(
        !kinds.is_empty() && kinds.iter().all(|k| k == "identity"),
        "{kinds:?}"
    );
    let pasto = client.get(&format!("{base}?municipio=52001")).await;
    assert_eq!(
        row_attribute(&pasto.body, "document", "data-household"),
        [pena.to_string()]
    );
    let today = row_attribute(&all.body, "document", "data-received")[0].clone();
    let on_the_day = client.get(&format!("{base}?desde={today}&hasta={today}")).await;
    assert!(list_total::<u64>(&on_the_day.body) >= 1);
    let long_ago = client.get(&format!("{base}?hasta=2000-01-01")).await;
    assert_eq!(list_total::<u64>(&long_ago.body), 0);
    // Sorted by kind, and paged.
    let by_kind = client.get(&format!("{base}?orden=tipo&por_pagina=200")).await;
    let kinds = row_attribute(&by_kind.body, "document", "data-kind");
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted);
    let second = client
        .get(&format!("{base}?orden=tipo&por_pagina=1&pagina=2"))
        .await;
    assert_eq!(
        row_attribute(&second.body, "document", "data-kind"),
        [kinds[1].clone()]
    );

    // Both downloads with the current filter.
    let csv = client.get(&format!("{base}.csv?tipo=identity")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(
        csv.body.trim_end().lines().count(),
        list_total::<usize>(&identity.body) + 1
    );
    let xlsx = client.get(&format!("{base}.xlsx?q=pena")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    assert_eq!(sheet.height(), 2);
    assert_eq!(
        sheet.get((1, 1)).map(|c| c.to_string()),
        Some("NAR-0042".to_owned())
    );

    // Within the reader's reach: Caquetá's officer does not see Pasto's household.
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let theirs = client.get(&format!("{base}?q=pena")).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(list_total::<u64>(&theirs.body), 0);
    let csv = client.get(&format!("{base}.csv?q=pena")).await;
    assert_eq!(csv.body.trim_end().lines().count(), 1, "the header alone");
    assert_eq!(
        client
            .get("/personal/convocatorias/999999/documentos")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_committee_s_items_are_searched_filtered_sorted_and_downloaded() {
    use support::page::{list_total, row_attribute};
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let sessions = client.get("/personal/comite").await;
    assert_eq!(sessions.status, StatusCode::OK);
    assert!(sessions.body.contains("id=\"committee-items-link\""));
    // The sessions are paged, filtered and searched (the place, accents aside) too.
    let held = list_total::<u64>(&sessions.body);
    assert!(held >= 1);
    for (query, total) in [
        ("sesion=closed", held),
        ("sesion=open", 0),
        ("q=DIRECCION", held),
        ("q=zzzz", 0),
        ("desde=2013-10-02", 0),
    ] {
        let page = client.get(&format!("/personal/comite?{query}")).await;
        assert_eq!(list_total::<u64>(&page.body), total, "{query}");
    }

    let base = "/personal/comite/proyectos";
    let all = client.get(base).await;
    assert_eq!(all.status, StatusCode::OK);
    let everyone = list_total::<u64>(&all.body);
    assert!(everyone >= 1, "the demo's project");
    let code = row_attribute(&all.body, "committee-item", "data-project")[0].clone();
    let municipality = row_attribute(&all.body, "committee-item", "data-municipality")[0].clone();
    assert_eq!(
        row_attribute(&all.body, "committee-item", "data-concept")[0],
        "positive"
    );
    assert_eq!(
        row_attribute(&all.body, "committee-item", "data-state")[0],
        "closed"
    );
    assert_eq!(
        row_attribute(&all.body, "committee-item", "data-held")[0],
        "2013-10-01"
    );

    // Searched over the code (any case) and the title.
    let page = client
        .get(&format!(
            "{base}?q={}",
            vereda_web::error::urlencode(&code.to_lowercase())
        ))
        .await;
    assert_eq!(
        row_attribute(&page.body, "committee-item", "data-project"),
        std::slice::from_ref(&code)
    );
    assert_eq!(
        list_total::<u64>(&client.get(&format!("{base}?q=zzzz")).await.body),
        0
    );
    // Filtered by concept, session state, department, municipality and the session's days.
    for (query, total) in [
        ("concepto=positive".to_owned(), everyone),
        ("concepto=pending".to_owned(), 0),
        ("sesion=closed".to_owned(), everyone),
        ("sesion=open".to_owned(), 0),
        (format!("departamento={}", &municipality[..2]), everyone),
        ("departamento=05".to_owned(), 0),
        (format!("municipio={municipality}"), everyone),
        ("desde=2013-10-01&hasta=2013-10-01".to_owned(), everyone),
        ("desde=2013-10-02".to_owned(), 0),
    ] {
        let page = client.get(&format!("{base}?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(list_total::<u64>(&page.body), total, "{query}");
    }
    for sort in ["proyecto", "-proyecto", "concepto", "-fecha"] {
        let page = client.get(&format!("{base}?orden={sort}")).await;
        assert_eq!(list_total::<u64>(&page.body), everyone, "{sort}");
    }

    // Both downloads with the current filter.
    let csv = client.get(&format!("{base}.csv?concepto=positive")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(csv.body.trim_end().lines().count() as u64, everyone + 1);
    let none = client.get(&format!("{base}.csv?concepto=negative")).await;
    assert_eq!(none.body.trim_end().lines().count(), 1, "the header alone");
    let xlsx = client
        .get(&format!("{base}.xlsx?q={}", code.to_lowercase()))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    assert_eq!(sheet.height(), 2);
    assert_eq!(sheet.get((1, 5)).map(|c| c.to_string()), Some(code));

    // Within the reader's reach: the demo's territorial officer works for Caquetá's office.
    let department = municipality[..2].to_owned();
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let theirs = client.get(base).await;
    assert_eq!(theirs.status, StatusCode::OK);
    let expected = if department == "18" { everyone } else { 0 };
    assert_eq!(list_total::<u64>(&theirs.body), expected, "{department}");
}
