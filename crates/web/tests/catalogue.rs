//! Identifiers built from an enumeration's value (`role-{role}`, `verification-status-{status}`)
//! cannot be found by reading the sources: each family is checked here against every value
//! of its enumeration, in both languages.

use vereda_domain::accounts::Role;
use vereda_domain::household::LandTenure;
use vereda_domain::monitoring::{ExecutionStatus, IndicatorUnit, MeasurementStatus, ResultKind};
use vereda_domain::parcel::SiteCondition;
use vereda_domain::preparation::PreparationKind;
use vereda_domain::procedure::{ProcedureAction, ProcedureState};
use vereda_domain::rules::{ChoiceField, DateField, FlagField};
use vereda_domain::verification::{DocumentKind, LetterKind, VerificationStatus};
use vereda_messages::Lang;
use vereda_store::formulations::FormulationStatus;
use vereda_store::procedure::Requirement;
use vereda_web::error::ErrorCode;

fn missing(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    ids.into_iter()
        .flat_map(|id| Lang::ALL.into_iter().map(move |lang| (id.clone(), lang)))
        .filter(|(id, lang)| !lang.has(id))
        .map(|(id, lang)| format!("{id} ({})", lang.code()))
        .collect()
}

fn family<T: std::fmt::Display>(prefix: &str, values: &[T]) -> Vec<String> {
    values.iter().map(|v| format!("{prefix}{v}")).collect()
}

#[test]
fn every_value_of_every_enumeration_shown_in_words_is_in_both_catalogues() {
    let mut ids = Vec::new();
    ids.extend(family("role-", Role::ALL));
    ids.extend(family(
        "petition_kind-",
        vereda_domain::petition::PetitionKind::ALL,
    ));
    ids.extend(family(
        "petition_state-",
        vereda_domain::petition::PetitionState::ALL,
    ));
    ids.extend(family("act_kind-", vereda_domain::acts::ActKind::ALL));
    ids.extend(family("inbox-kind-", vereda_domain::inbox::ItemKind::ALL));
    ids.extend(family("alert_kind-", vereda_domain::followup::AlertKind::ALL));
    ids.extend(family("act_status-", vereda_domain::acts::ActStatus::ALL));
    ids.extend(family(
        "notification_kind-",
        vereda_domain::acts::NotificationKind::ALL,
    ));
    ids.extend(family("appeal_outcome-", vereda_domain::acts::AppealOutcome::ALL));
    ids.extend(family("procedure-action-", ProcedureAction::ALL));
    ids.extend(family("procedure-state-phrase-", ProcedureState::ALL));
    ids.extend(family("procedure-state_", ProcedureState::ALL));
    ids.extend(
        Requirement::ALL
            .iter()
            .map(|r| format!("procedure-req_{}", r.as_str())),
    );
    ids.extend(
        FormulationStatus::ALL
            .iter()
            .map(|s| format!("formulation-status_{s}")),
    );
    ids.extend(family("verification-doc-", DocumentKind::ALL));
    ids.extend(family("verification-status-", VerificationStatus::ALL));
    ids.extend(family("verification-letter-", LetterKind::ALL));
    ids.extend(family("parcel-condition-", SiteCondition::ALL));
    ids.extend(family("parcel-tenure_kind-", LandTenure::ALL));
    ids.extend(family("preparation-kind-", PreparationKind::ALL));
    ids.extend(IndicatorUnit::ALL.iter().map(|u| u.message_id()));
    ids.extend(family("status-", ExecutionStatus::ALL));
    ids.extend(
        vereda_domain::awarded_project::ProjectStatus::ALL
            .iter()
            .map(|s| s.message_id()),
    );
    ids.extend(family("measurement_status-", MeasurementStatus::ALL));
    ids.extend(family("result_kind-", ResultKind::ALL));
    ids.extend(family("ledger-kind-", vereda_domain::ledger::MovementKind::ALL));
    ids.extend(
        vereda_store::ledger::ChangeStatus::ALL
            .iter()
            .map(|s| format!("ledger-status-{}", s.as_str())),
    );
    ids.extend(family("ledger-origin-", vereda_store::ledger::PLAN_ORIGINS));
    ids.extend(ErrorCode::ALL.iter().map(|c| format!("error-{}", c.name())));
    ids.extend(FlagField::ALL.iter().map(|f| f.message_id()));
    ids.extend(DateField::ALL.iter().map(|f| f.message_id()));
    for field in ChoiceField::ALL {
        ids.push(field.message_id());
        ids.extend(field.value_names().into_iter().map(|v| field.value_message_id(v)));
    }
    let absent = missing(ids);
    assert!(absent.is_empty(), "missing from the catalogues: {absent:#?}");
}

fn rust_sources(dir: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn every_code_the_rules_and_the_store_can_give_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let documented = std::fs::read_to_string(root.join("docs/errors.md")).expect("docs/errors.md");
    let mut files = Vec::new();
    for krate in ["domain", "store", "web"] {
        rust_sources(&root.join("crates").join(krate).join("src"), &mut files);
    }
    let mut undocumented = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("source");
        for piece in source.split("Message::new(\"").skip(1) {
            let code = piece.split('"').next().unwrap_or_default();
            if !documented.contains(&format!("`{code}`")) {
                undocumented.push(format!("{code} ({})", file.display()));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "missing from docs/errors.md: {undocumented:#?}"
    );
}
