//! The letters to families and petitioners, written out from their facts in the catalogue's
//! words (`letter-…`). The store keeps the facts; the text as sent is kept with its delivery.

use vereda_domain::verification::{LetterFacts, LetterKind, LetterText, VerificationStatus};

use crate::{Arg, Lang};

/// Writes the letter of `kind` with `facts` in `lang` (the families' letters go in Spanish).
pub fn write_letter(lang: Lang, kind: LetterKind, facts: &LetterFacts) -> LetterText {
    let text = |id: &str| lang.t(id).to_owned();
    let with = |id: &str, args: &[(&str, Arg)]| lang.t_with(id, args);
    let call = with(
        "letter-call",
        &[
            ("name", Arg::Text(facts.call_name.clone())),
            ("code", Arg::Text(facts.call_code.clone())),
        ],
    );
    let call_arg = || ("call", Arg::Text(call.clone()));
    let documents = |kinds: &[vereda_domain::verification::DocumentKind]| {
        kinds
            .iter()
            .map(|kind| text(&format!("verification-doc-{kind}")))
            .collect::<Vec<_>>()
    };
    let mut paragraphs: Vec<String> = Vec::new();
    let subject = match kind {
        LetterKind::Offer => {
            paragraphs.push(with("letter-offer-intro", &[call_arg()]));
            let mut list = match facts.deadline {
                Some(deadline) => with("letter-offer-documents_by", &[("deadline", Arg::Date(deadline))]),
                None => text("letter-offer-documents"),
            };
            for name in documents(&facts.required) {
                list.push_str("\n  - ");
                list.push_str(&name);
            }
            paragraphs.push(list);
            paragraphs.push(text("letter-offer-warning"));
            with("letter-offer-subject", &[call_arg()])
        }
        LetterKind::VerificationResult => {
            if facts.outcome == Some(VerificationStatus::Eligible) {
                paragraphs.push(with("letter-result-eligible", &[call_arg()]));
            } else {
                paragraphs.push(with("letter-result-not_eligible", &[call_arg()]));
                paragraphs.push(reasons(lang, facts));
            }
            with("letter-result-subject", &[call_arg()])
        }
        LetterKind::Withdrawal => {
            paragraphs.push(match facts.deadline {
                Some(deadline) => with(
                    "letter-withdrawal-body_deadline",
                    &[call_arg(), ("deadline", Arg::Date(deadline))],
                ),
                None => with("letter-withdrawal-body", &[call_arg()]),
            });
            paragraphs.push(reasons(lang, facts));
            if !facts.missing.is_empty() {
                paragraphs.push(with(
                    "letter-withdrawal-missing",
                    &[("documents", Arg::Text(documents(&facts.missing).join("; ")))],
                ));
            }
            with("letter-withdrawal-subject", &[call_arg()])
        }
        LetterKind::Award => match &facts.award {
            Some(award) => {
                let resolution = ("resolution", Arg::Text(award.resolution.clone()));
                paragraphs.push(with(
                    "letter-award-body",
                    &[
                        resolution.clone(),
                        ("code", Arg::Text(award.project_code.clone())),
                        ("title", Arg::Text(award.project_title.clone())),
                        call_arg(),
                    ],
                ));
                paragraphs.push(with(
                    "letter-award-contribution",
                    &[("amount", Arg::Amount(award.institute_contribution))],
                ));
                paragraphs.push(text("letter-award-conditions"));
                with("letter-award-subject", &[resolution])
            }
            None => {
                paragraphs.push(with("letter-award-body_call", &[call_arg()]));
                with("letter-award-subject_call", &[call_arg()])
            }
        },
        LetterKind::PetitionAnswer => match &facts.petition {
            Some(petition) => {
                let number = ("number", Arg::Text(petition.number.clone()));
                paragraphs.push(with(
                    "letter-petition-body",
                    &[
                        number.clone(),
                        ("filed", Arg::Date(petition.filed_on)),
                        ("law", Arg::Text(petition.kind.article().to_owned())),
                    ],
                ));
                paragraphs.push(petition.answer.trim().to_owned());
                with("letter-petition-subject", &[number])
            }
            None => {
                paragraphs.push(facts.reasons.trim().to_owned());
                text("letter-petition-subject_plain")
            }
        },
        LetterKind::InboxDigest => {
            let staff = facts.staff.clone().unwrap_or_default();
            paragraphs.push(with(
                "letter-digest-intro",
                &[
                    ("items", Arg::Count(staff.items.len() as i64)),
                    ("days", Arg::Count(i64::from(staff.within_days))),
                ],
            ));
            let mut list = String::new();
            for line in &staff.items {
                if !list.is_empty() {
                    list.push('\n');
                }
                list.push_str("  - ");
                list.push_str(&digest_line(lang, line));
            }
            paragraphs.push(list);
            paragraphs.push(text("letter-digest-inbox"));
            with(
                "letter-digest-subject",
                &[("items", Arg::Count(staff.items.len() as i64))],
            )
        }
        LetterKind::FollowupAlert => match facts.staff.as_ref().and_then(|s| s.alert.as_ref()) {
            Some(alert) => {
                let code = ("code", Arg::Text(alert.project_code.clone()));
                paragraphs.push(with("letter-alert-body", std::slice::from_ref(&code)));
                paragraphs.push(lang.say(&alert.alert.message));
                paragraphs.push(text("letter-digest-inbox"));
                with(
                    "letter-alert-subject",
                    &[
                        code,
                        (
                            "kind",
                            Arg::Text(text(&format!("alert_kind-{}", alert.alert.kind))),
                        ),
                    ],
                )
            }
            None => {
                paragraphs.push(text("letter-digest-inbox"));
                text("letter-alert-subject_plain")
            }
        },
    };
    let mut body = vec![lang.date(facts.date), String::new(), text("letter-to")];
    body.push(facts.head_name.clone());
    if !facts.household_ref.is_empty() {
        body.push(with(
            "letter-household",
            &[("reference", Arg::Text(facts.household_ref.clone()))],
        ));
    }
    body.push(String::new());
    let about = match &facts.petition {
        Some(petition) => format!("{subject}: «{}»", petition.subject),
        None => subject.clone(),
    };
    body.push(with("letter-subject_line", &[("subject", Arg::Text(about))]));
    body.push(String::new());
    body.push(with(
        "letter-greeting",
        &[("name", Arg::Text(facts.head_name.clone()))],
    ));
    for paragraph in paragraphs {
        body.push(String::new());
        body.push(paragraph);
    }
    body.push(String::new());
    body.push(text("letter-closing"));
    body.push(String::new());
    if matches!(
        kind,
        LetterKind::Offer | LetterKind::VerificationResult | LetterKind::Withdrawal | LetterKind::Award
    ) {
        body.push(text("letter-signature_office"));
    }
    body.push(text("letter-signature_program"));
    LetterText {
        subject,
        body: body.join("\n") + "\n",
    }
}

/// One item of a digest: what to do, about what, and by when.
fn digest_line(lang: Lang, line: &vereda_domain::inbox::DigestLine) -> String {
    let what = lang.t(&line.kind.message_id());
    match (line.due_on, line.business_days_left) {
        (Some(due_on), Some(left)) => lang.t_with(
            "letter-digest-line_due",
            &[
                ("what", Arg::Text(what.to_owned())),
                ("label", Arg::Text(line.label.clone())),
                ("due_on", Arg::Date(due_on)),
                ("left", Arg::Count(left)),
            ],
        ),
        _ => lang.t_with(
            "letter-digest-line",
            &[
                ("what", Arg::Text(what.to_owned())),
                ("label", Arg::Text(line.label.clone())),
            ],
        ),
    }
}

fn reasons(lang: Lang, facts: &LetterFacts) -> String {
    let mut said = lang.t_with(
        "letter-reasons",
        &[("reasons", Arg::Text(facts.reasons.trim().to_owned()))],
    );
    if !facts.screening_codes.is_empty() {
        said.push('\n');
        said.push_str(&lang.t_with(
            "letter-screening_codes",
            &[("codes", Arg::Text(facts.screening_codes.join(", ")))],
        ));
    }
    said
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use rust_decimal_macros::dec;
    use vereda_domain::verification::{AwardFacts, DocumentKind, PetitionAnswerFacts};

    use super::*;

    fn facts() -> LetterFacts {
        LetterFacts {
            head_name: "María Fernanda Cuéllar Rojas".into(),
            household_ref: "CAQ-0001".into(),
            call_name: "Convocatoria 2026".into(),
            call_code: "C-2026".into(),
            deadline: Some(date(2026, 4, 1)),
            required: vec![DocumentKind::Identity, DocumentKind::Ruv],
            outcome: Some(VerificationStatus::NotEligible),
            reasons: "No entregó el RUV".into(),
            screening_codes: vec!["R-AGE".into()],
            missing: vec![DocumentKind::Ruv],
            date: date(2026, 3, 2),
            award: None,
            petition: None,
            staff: None,
        }
    }

    #[test]
    fn every_letter_is_written_in_both_languages_without_a_missing_message() {
        let award = LetterFacts {
            award: Some(AwardFacts {
                project_code: "CAQ-CACAO".into(),
                project_title: "Cacao en Florencia".into(),
                resolution: "DT-CAQ-2026-001".into(),
                institute_contribution: dec!(50000000),
            }),
            ..facts()
        };
        let answer = LetterFacts {
            petition: Some(PetitionAnswerFacts {
                number: "PQRSD-2026-000001".into(),
                kind: vereda_domain::petition::PetitionKind::General,
                subject: "Estado de mi solicitud".into(),
                filed_on: date(2026, 3, 2),
                answer: "Su solicitud está en estudio.".into(),
            }),
            ..facts()
        };
        for lang in [Lang::Es, Lang::En] {
            for kind in LetterKind::ALL {
                for facts in [&facts(), &award, &answer] {
                    let letter = write_letter(lang, *kind, facts);
                    let missing = crate::MISSING;
                    assert!(!letter.subject.contains(missing) && !letter.body.contains(missing));
                    assert!(letter.body.contains(&facts.head_name), "{}", letter.body);
                }
            }
        }
        let offer = write_letter(Lang::Es, LetterKind::Offer, &facts());
        assert!(offer.body.contains(&Lang::Es.date(date(2026, 4, 1))));
        assert!(offer.body.contains(Lang::Es.t("verification-doc-ruv")));
        let withdrawal = write_letter(Lang::Es, LetterKind::Withdrawal, &facts());
        assert!(withdrawal.body.contains("No entregó el RUV") && withdrawal.body.contains("R-AGE"));
        let awarded = write_letter(Lang::Es, LetterKind::Award, &award);
        assert!(awarded.subject.contains("DT-CAQ-2026-001"));
        assert!(awarded.body.contains("50.000.000") && awarded.body.contains("Cacao en Florencia"));
        let digest = LetterFacts {
            staff: Some(vereda_domain::inbox::StaffLetterFacts {
                items: vec![vereda_domain::inbox::DigestLine {
                    kind: vereda_domain::inbox::ItemKind::PetitionToAnswer,
                    label: "PQRSD-2026-000007".into(),
                    due_on: Some(date(2026, 3, 30)),
                    business_days_left: Some(-2),
                }],
                within_days: 3,
                alert: None,
            }),
            ..facts()
        };
        for lang in [Lang::Es, Lang::En] {
            let written = write_letter(lang, LetterKind::InboxDigest, &digest);
            assert!(!written.body.contains(crate::MISSING), "{}", written.body);
            assert!(written.body.contains("PQRSD-2026-000007"), "{}", written.body);
            assert!(written.body.contains(lang.t("inbox-kind-petition_to_answer")));
            assert!(written.body.contains(&lang.date(date(2026, 3, 30))));
        }
        let alert = LetterFacts {
            staff: Some(vereda_domain::inbox::StaffLetterFacts {
                alert: Some(vereda_domain::inbox::AlertLetter {
                    project_code: "CAQ-CACAO".into(),
                    alert: vereda_domain::followup::Alert {
                        kind: vereda_domain::followup::AlertKind::PolicyExpiring,
                        message: vereda_domain::message::Message::new("alert-policy_expiring")
                            .with("ends_on", date(2026, 5, 1))
                            .with("article", "Art. 31"),
                    },
                }),
                ..Default::default()
            }),
            ..facts()
        };
        let warned = write_letter(Lang::Es, LetterKind::FollowupAlert, &alert);
        assert!(warned.subject.contains("CAQ-CACAO"), "{}", warned.subject);
        assert!(
            warned.body.contains("Art. 31") && !warned.body.contains(crate::MISSING),
            "{}",
            warned.body
        );
        let answered = write_letter(Lang::Es, LetterKind::PetitionAnswer, &answer);
        assert!(answered.subject.contains("PQRSD-2026-000001"));
        assert!(answered.body.contains("Su solicitud está en estudio."));
    }
}
