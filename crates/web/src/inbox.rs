//! The staff's work inbox as the home page (`/personal`) and the API (`/api/v1/inbox`) show
//! it: each item of the store's [`Inbox`] with the address of the form it opens and, for a
//! page, its words from the catalogue (`inbox-kind-…`, the alert's message).

use serde::Serialize;
use vereda_domain::followup::AlertKind;
use vereda_domain::inbox::{DIGEST_BUSINESS_DAYS, ItemKind, Urgency};
use vereda_store::inbox::{Inbox, InboxItem, ItemSubject};

use crate::WebConfig;
use crate::error::urlencode;
use crate::i18n::Lang;

/// The business days within which an item is "due soon" and goes into the daily digest
/// (`digest_business_days`), else [`DIGEST_BUSINESS_DAYS`].
pub fn soon(config: &WebConfig) -> u32 {
    config.digest_business_days.unwrap_or(DIGEST_BUSINESS_DAYS)
}

/// The address of the form an item opens.
pub fn href(item: &InboxItem) -> String {
    match (&item.subject, item.kind) {
        (ItemSubject::Formulation(id), ItemKind::AppealToDecide) => {
            format!("/personal/formulaciones/{id}/notificaciones")
        }
        (ItemSubject::Formulation(id), _) => format!("/personal/formulaciones/{id}/procedimiento"),
        (ItemSubject::Session(id), _) => format!("/personal/comite/{id}"),
        (ItemSubject::Call(id), _) => format!("/personal/convocatorias/{id}/verificacion"),
        (ItemSubject::Household(id), ItemKind::VerificationAppealToDecide) => {
            format!("/personal/hogares/{id}/notificaciones")
        }
        (ItemSubject::Household(id), _) => format!("/personal/hogares/{id}/verificacion"),
        (ItemSubject::Measurement(id), _) => format!("/personal/mediciones#measurement-{id}"),
        (ItemSubject::Petition(id), _) => format!("/personal/peticiones/{id}"),
        (ItemSubject::Project(code), _) => {
            let page = match item.alert.as_ref().map(|a| a.kind) {
                Some(AlertKind::NoMovement) => "cuenta",
                Some(AlertKind::LineOverPlan) => "plan",
                Some(AlertKind::MoneyAheadOfWork | AlertKind::CommitmentOverdue) => "visitas",
                Some(AlertKind::PolicyExpiring) | None => "cierre",
            };
            format!("/personal/proyectos/{}/{page}", urlencode(code))
        }
    }
}

/// An item as the home page shows it.
pub struct ItemView {
    pub kind: &'static str,
    pub urgency: &'static str,
    pub overdue: bool,
    /// What to do, in words.
    pub what: String,
    pub label: String,
    pub count: Option<u64>,
    /// The alert, said.
    pub detail: Option<String>,
    pub article: &'static str,
    pub due_on: Option<String>,
    /// Business days left (negative: late), said.
    pub days_left: Option<String>,
    pub href: String,
}

/// The items in `lang`, in the inbox's order.
pub fn views(lang: Lang, inbox: &Inbox) -> Vec<ItemView> {
    inbox
        .items
        .iter()
        .map(|item| ItemView {
            kind: item.kind.as_str(),
            urgency: item.urgency.as_str(),
            overdue: item.urgency == Urgency::Overdue,
            what: lang.t(&item.kind.message_id()).to_owned(),
            label: item.label.clone(),
            count: item.count,
            detail: item.alert.as_ref().map(|a| lang.say(&a.message)),
            article: item.kind.article(),
            due_on: item.deadline.map(|d| lang.date(d.due_on)),
            days_left: item.deadline.map(|d| {
                if d.business_days_left < 0 {
                    lang.t_with(
                        "inbox-days_late",
                        &[("days", crate::i18n::Arg::Count(-d.business_days_left))],
                    )
                } else {
                    lang.t_with(
                        "inbox-days_left",
                        &[("days", crate::i18n::Arg::Count(d.business_days_left))],
                    )
                }
            }),
            href: href(item),
        })
        .collect()
}

/// The counts by kind, in words.
pub fn counts(lang: Lang, inbox: &Inbox) -> Vec<(&'static str, String, usize)> {
    inbox
        .counts
        .iter()
        .map(|(kind, n)| (kind.as_str(), lang.t(&kind.message_id()).to_owned(), *n))
        .collect()
}

/// An item as the API answers it: the store's item and the address of its form.
#[derive(Serialize)]
pub struct ItemAnswer<'a> {
    #[serde(flatten)]
    pub item: &'a InboxItem,
    pub href: String,
}

/// The hour in Colombia from which a server queues the day's letters of the inbox.
pub const DIGEST_HOUR: i8 = 7;
/// How often a server looks whether the day's letters are queued.
const DIGEST_LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Queues the day's letters as a durable job keyed by the day, from [`DIGEST_HOUR`] in
/// Colombia: every server does, and the job's unique (kind, key) makes it one job a day,
/// run by whichever server claims it.
pub async fn schedule_digests(state: crate::AppState) {
    let mut every = tokio::time::interval(DIGEST_LOOK_EVERY);
    let mut queued: Option<jiff::civil::Date> = None;
    loop {
        every.tick().await;
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::Offset::constant(-5).to_time_zone());
        let today = now.date();
        if now.hour() < DIGEST_HOUR || queued == Some(today) {
            continue;
        }
        match state
            .store
            .enqueue_job(
                vereda_store::jobs::JobKind::InboxDigest,
                &today.to_string(),
                &today.to_string(),
            )
            .await
        {
            Ok(_) => {
                queued = Some(today);
                state.worker.start(&state);
            }
            Err(error) => tracing::warn!(%error, "could not queue the day's inbox letters"),
        }
    }
}

/// Runs the day's letters (the job's payload is the day): the digests and the alerts'
/// letters, then hands them to the outbox. Ends the job.
pub async fn run_digest_job(
    state: &crate::AppState,
    payload: &str,
    context: &crate::job_context::JobContext,
) {
    let day = payload
        .trim()
        .parse::<jiff::civil::Date>()
        .unwrap_or_else(|_| state.config.today());
    let done = state
        .store
        .write_digests(
            &vereda_domain::audit::Actor::system("inbox-digest"),
            day,
            soon(&state.config),
        )
        .await;
    let succeeded = match done {
        Ok(run) => {
            tracing::info!(
                digests = run.digests,
                already = run.already,
                alerts = run.alerts,
                alert_letters = run.alert_letters,
                "inbox letters written"
            );
            state.outbox.resume_pending(&state.store).await;
            true
        }
        Err(error) => {
            tracing::error!(%error, "the inbox letters could not be written");
            false
        }
    };
    if let Err(error) = state
        .store
        .finish_job(context.lease.job_id, &context.lease.owner, succeeded)
        .await
    {
        tracing::warn!(%error, "could not end the inbox letters' job");
    }
}
