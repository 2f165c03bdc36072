//! The acts typeset from their templates: the text of each act as laid out on its pages is
//! compared with a golden file, for the shipped templates and for a templates directory that
//! replaces one; a template that does not compile is reported by file and line and the shipped
//! one is used. `VEREDA_UPDATE_GOLDEN=1` writes the golden files again.

use std::path::PathBuf;

use jiff::civil::date;
use vereda_documents::minutes_pdf::{
    ObjectionData, VerificationData, appeal_decision, appeal_decision_text, minutes, minutes_text,
    resolution, resolution_text, sample_appeal_decision, sample_minutes, sample_resolution,
    sample_verification_appeal_decision,
};
use vereda_documents::typeset::{TemplateError, Templates};

fn golden(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(name);
    if std::env::var_os("VEREDA_UPDATE_GOLDEN").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("golden dir");
        std::fs::write(&path, text).expect("golden written");
    }
    let expected = std::fs::read_to_string(&path).expect("golden file");
    assert_eq!(text, expected, "{name} differs from its golden file");
}

const TODAY: jiff::civil::Date = date(2026, 12, 5);

#[test]
fn the_resolution_reads_as_its_golden_text() {
    let data = sample_resolution();
    let text = resolution_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    golden("resolucion.txt", &text);
    // Every glyph is in the embedded fonts.
    assert!(!text.contains('\u{fffd}'), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for value in [
        "DT-CAQ-2013-001",
        "TREINTA Y NUEVE MILLONES OCHOCIENTOS MIL PESOS M/CTE ($39.800.000)",
        "Wẽ'sx",
        "Página 1 de",
        "10:05",
        "ARTÍCULO SEXTO",
        "NOTIFÍQUESE Y CÚMPLASE",
    ] {
        assert!(flat.contains(value), "{value} missing in\n{text}");
    }
    let pdf = resolution(&data, &Templates::shipped(), TODAY).expect("pdf");
    assert!(pdf.pdf.starts_with(b"%PDF-"));
    assert!(pdf.replaced.is_none());
    // PDF/A-2b, declared in the document's metadata.
    let bytes = String::from_utf8_lossy(&pdf.pdf);
    assert!(
        bytes.contains("pdfaid:part") || bytes.contains("pdfaid"),
        "no PDF/A identification"
    );
    // The same data gives the same bytes.
    assert_eq!(
        pdf.pdf,
        resolution(&data, &Templates::shipped(), TODAY).expect("pdf").pdf
    );
}

#[test]
fn the_appeal_decision_reads_as_its_golden_text() {
    let data = sample_appeal_decision();
    let text = appeal_decision_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    golden("recurso.txt", &text);
    assert!(!text.contains('\u{fffd}'), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for value in [
        "RESOLUCIÓN No. RR-2026-0001",
        "Resolución No. DT-CAQ-2026-001 del 26 de junio de 2026",
        "Wẽ'sx",
        "dentro del término",
        "CONFIRMAR en todas sus partes",
        "#set text(size: 40pt) [inyección]",
        "NOTIFÍQUESE Y CÚMPLASE",
        "Verifique este documento en https://vereda.example.gov.co/verificar/7K3QZP9MX2 (código 7K3QZP9MX2)",
        "Página 1 de",
    ] {
        assert!(flat.contains(value), "{value} missing in\n{text}");
    }
    let mut revoked = data.clone();
    revoked.outcome = "revokes".into();
    revoked.late = true;
    let text = appeal_decision_text(&revoked, &Templates::shipped(), TODAY).expect("typeset");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("REVOCAR la Resolución"), "{text}");
    assert!(flat.contains("por fuera del término"), "{text}");
    let pdf = appeal_decision(&data, &Templates::shipped(), TODAY).expect("pdf");
    assert!(pdf.pdf.starts_with(b"%PDF-"));
    assert_eq!(
        pdf.pdf,
        appeal_decision(&data, &Templates::shipped(), TODAY)
            .expect("pdf")
            .pdf
    );
}

#[test]
fn the_decision_of_an_appeal_against_a_not_eligible_decision_reads_as_its_golden_text() {
    let data = sample_verification_appeal_decision();
    let text = appeal_decision_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    golden("recurso_verificacion.txt", &text);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for value in [
        "RESOLUCIÓN No. RRV-2026-0001",
        "contra la decisión de verificación del hogar CAQ-0003 del 1 de julio de 2026",
        "los artículos 11, 45 y 46 del Acuerdo 308 de 2013",
        "Puntaje del Sisbén fuera del rango",
        "contra dicha decisión, dentro del término",
        "CONFIRMAR en todas sus partes la decisión de verificación del hogar CAQ-0003",
        "#set text(size: 40pt) [inyección]",
        "NOTIFÍQUESE Y CÚMPLASE",
    ] {
        assert!(flat.contains(value), "{value} missing in\n{text}");
    }
    assert!(!flat.contains("proyecto productivo"), "{text}");
}

#[test]
fn a_signed_act_prints_its_verification_on_every_page() {
    let mut data = sample_resolution();
    data.verification = Some(VerificationData::new(
        "https://vereda.example.gov.co",
        "ABCDEFGH12",
    ));
    let text = resolution_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line =
        "Verifique este documento en https://vereda.example.gov.co/verificar/ABCDEFGH12 (código ABCDEFGH12)";
    let pages = flat.matches("Página ").count();
    assert!(pages >= 2, "{text}");
    assert_eq!(flat.matches(line).count(), pages, "{text}");
    let mut minutes = sample_minutes();
    minutes.verification = data.verification.clone();
    let text = minutes_text(&minutes, &Templates::shipped(), TODAY).expect("typeset");
    assert!(
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(line),
        "{text}"
    );
}

#[test]
fn the_minutes_read_as_their_golden_text() {
    let data = sample_minutes();
    let text = minutes_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    golden("acta.txt", &text);
    assert!(!text.contains('\u{fffd}'), "{text}");
    // User text is a value, never markup.
    assert!(text.contains("#set text(size: 40pt) [inyección]"), "{text}");
    assert!(text.contains("Ninguna."), "{text}");
    assert!(text.contains("≈"), "{text}");
    assert!(!text.contains("BORRADOR"), "{text}");

    let mut draft = data;
    draft.is_final = false;
    draft.attendees[1].signed_at = None;
    draft.present = 1;
    draft.objections.push(ObjectionData {
        filed_by: "Veeduría de Florencia".into(),
        target: "parcel",
        target_ref: "P-7".into(),
        text: "El predio está en zona de reserva".into(),
        decision: "rejected",
        reasons: "el estudio de títulos no lo confirma".into(),
    });
    let text = minutes_text(&draft, &Templates::shipped(), TODAY).expect("typeset");
    assert!(text.contains("BORRADOR"), "{text}");
    assert!(text.contains("Sin firmar"), "{text}");
    assert!(text.contains("rechazada"), "{text}");
    assert!(!text.contains("Ninguna."), "{text}");
    golden("acta-borrador.txt", &text);
}

#[test]
fn a_templates_directory_replaces_a_template_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let shipped = vereda_documents::typeset::shipped("acta.typ").expect("shipped");
    let changed = shipped.replace(
        "EQUIPO TÉCNICO DE EVALUACIÓN Y VIABILIZACIÓN",
        "COMITÉ REGIONAL DEL CAQUETÁ",
    );
    assert_ne!(changed, shipped);
    std::fs::write(dir.path().join("acta.typ"), changed).expect("template");
    let templates = Templates::from_dir(dir.path());
    let text = minutes_text(&sample_minutes(), &templates, TODAY).expect("typeset");
    golden("acta-agencia.txt", &text);
    assert!(text.contains("COMITÉ REGIONAL DEL CAQUETÁ"), "{text}");
    // The other templates stay the shipped ones.
    assert_eq!(
        resolution_text(&sample_resolution(), &templates, TODAY).expect("typeset"),
        resolution_text(&sample_resolution(), &Templates::shipped(), TODAY).expect("typeset")
    );
}

#[test]
fn a_bad_template_is_named_by_file_and_line_and_the_shipped_one_is_used() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("resolucion.typ"),
        "#let data = json(\"/data.json\")\n= Resolución\n#data.nonexistent.field\n",
    )
    .expect("template");
    let templates = Templates::from_dir(dir.path());
    let typeset = resolution(&sample_resolution(), &templates, TODAY).expect("the shipped one");
    assert!(typeset.pdf.starts_with(b"%PDF-"));
    match typeset.replaced {
        Some(TemplateError::Template { file, line, .. }) => {
            assert!(file.ends_with("resolucion.typ"), "{file}");
            assert_eq!(line, 3);
        }
        other => panic!("expected a template error, got {other:?}"),
    }
    // Same bytes as the shipped template's.
    assert_eq!(
        typeset.pdf,
        resolution(&sample_resolution(), &Templates::shipped(), TODAY)
            .expect("pdf")
            .pdf
    );
    // Checked at start: one problem, in that file.
    let problems = templates.check_all(TODAY);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(Templates::shipped().check_all(TODAY).is_empty());
    // Minutes from the same directory are not affected.
    let minutes = minutes(&sample_minutes(), &templates, TODAY).expect("pdf");
    assert!(minutes.replaced.is_none());
}

#[test]
fn the_act_of_closure_reads_as_its_golden_text() {
    use vereda_documents::closure_pdf::{closure, closure_text, sample_closure};
    let data = sample_closure();
    let text = closure_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    golden("cierre.txt", &text);
    assert!(!text.contains('\u{fffd}'), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for value in [
        "ACTA DE CIERRE DEL PROYECTO PRODUCTIVO DEMO-CAQ-2013-001",
        "DIEZ MILLONES DE PESOS M/CTE ($10.000.000)",
        "CONS-991",
        "entregado en parte",
        "Wẽ'sx",
        "artículo 34",
        "Página 1 de",
    ] {
        assert!(flat.contains(value), "{value} missing in\n{text}");
    }
    let pdf = closure(&data, &Templates::shipped(), TODAY).expect("pdf");
    assert!(pdf.pdf.starts_with(b"%PDF-"));
}

#[test]
fn a_letter_reads_as_its_golden_text() {
    use vereda_documents::letter_pdf::{letter, letter_text, sample_letter};
    let data = sample_letter();
    let text = letter_text(&data, &Templates::shipped(), TODAY).expect("typeset");
    golden("carta.txt", &text);
    assert!(!text.contains('\u{fffd}'), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for value in [
        "DIRECCIÓN TERRITORIAL CAQUETÁ",
        "15 de octubre de 2013",
        "Comunicación No. 00000042",
        "María Wẽ'sx Pérez",
        "Asunto: Comunicación de oferta institucional",
        "- Copia del documento de identidad del jefe de hogar",
        "Página 1 de 1",
    ] {
        assert!(flat.contains(value), "{value} missing in\n{text}");
    }
    let pdf = letter(&data, &Templates::shipped(), TODAY).expect("pdf");
    assert!(pdf.pdf.starts_with(b"%PDF-"));
}
