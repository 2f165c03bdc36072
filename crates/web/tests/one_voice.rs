//! One voice: every page a role can reach, in each language, speaks only that language and
//! never shows a catalogue identifier. The crawl follows the links of the pages (GET only)
//! from the home page and the staff area, as each demo role and as an anonymous visitor.

mod support;

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_messages::Lang;

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|piece| piece.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .collect()
}

/// Whether a link leads to a page worth reading (not a download, the stylesheet, a language
/// switch or the logout).
fn is_page(path: &str) -> bool {
    let plain = path.split(['?', '#']).next().unwrap_or(path);
    !(plain.starts_with("/static")
        || plain.starts_with("/api")
        || plain.starts_with("/idioma")
        || plain.starts_with("/salida")
        || plain.starts_with("/documentos")
        || [".pdf", ".csv", ".xlsx", ".xml", ".json", ".svg", ".png", ".jpg"]
            .iter()
            .any(|ext| plain.ends_with(ext))
        || plain.contains("/documentos/")
        || plain.contains("/fotos/"))
}

struct Finding {
    path: String,
    what: String,
}

async fn crawl(client: &mut Client, lang: Lang, limit: usize, findings: &mut Vec<Finding>) -> usize {
    let mut queue: VecDeque<String> = [
        "/",
        "/personal",
        "/proyectos",
        "/datos",
        "/municipios",
        "/convocatorias",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut read = 0;
    while let Some(path) = queue.pop_front() {
        if read >= limit {
            break;
        }
        let reply = client.get(&path).await;
        if reply.status != StatusCode::OK || !reply.content_type.starts_with("text/html") {
            continue;
        }
        read += 1;
        assert!(
            reply.body.contains(&format!("<html lang=\"{}\"", lang.code())),
            "{path} is not in {}",
            lang.code()
        );
        for what in support::voice::problems(lang, &reply.body) {
            findings.push(Finding {
                path: path.clone(),
                what,
            });
        }
        for link in links(&reply.body) {
            // Pages of the same kind differ only by their record: a few of each are enough.
            if is_page(&link) && seen.len() < limit * 4 && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    read
}

async fn crawl_as(role: Option<Role>, lang: Lang) -> (usize, Vec<Finding>) {
    let mut client = Client::with_demo().await;
    if let Some(role) = role {
        client.log_in_as(role).await;
    }
    client.get(&format!("/idioma/{}?next=/", lang.code())).await;
    let mut findings = Vec::new();
    let read = crawl(&mut client, lang, 150, &mut findings).await;
    (read, findings)
}

#[tokio::test]
async fn every_page_speaks_the_visitors_language_and_shows_no_identifier() {
    let mut report = Vec::new();
    let mut total = 0;
    let roles: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.iter().copied().map(Some))
        .collect();
    for role in roles {
        for lang in Lang::ALL {
            let (read, findings) = crawl_as(role, lang).await;
            assert!(read > 3, "{role:?} in {}: only {read} pages read", lang.code());
            total += read;
            for finding in findings {
                report.push(format!(
                    "{} {} {}: {}",
                    role.map_or("anonymous".to_owned(), |r| r.to_string()),
                    lang.code(),
                    finding.path,
                    finding.what
                ));
            }
        }
    }
    report.sort();
    report.dedup();
    println!("{total} pages read");
    assert!(
        report.is_empty(),
        "{} findings:\n{}",
        report.len(),
        report.join("\n")
    );
}
