//! Server-rendered pages. Each page is an askama template that extends `base.html` and
//! carries a [`Chrome`]: the visitor's language, account and the header's links.

pub mod account;
pub(crate) mod acts;
pub(crate) mod admin;
mod api_tokens;
mod call_documents;
mod call_results;
pub(crate) mod calls;
mod committee_items;
pub(crate) mod confirm;
pub mod evaluation;
pub(crate) mod followup;
pub(crate) mod formulation;
pub(crate) mod ledger;
mod monitoring;
pub(crate) mod parcels;
pub mod petitions;
pub(crate) mod preparation;
pub(crate) mod procedure;
mod projects;
mod public;
pub(crate) mod screening;
mod site;
pub(crate) mod staff;
mod subjects;
pub(crate) mod verification;

pub(crate) mod targeting;

pub use public::MunicipalityFilter;

use askama::Template;
use axum::Router;
use axum::response::{Html, IntoResponse, Response};
use vereda_domain::accounts::Permission;
use vereda_store::accounts::Account;

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, urlencode};
use crate::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(public::routes())
        .merge(staff::routes())
        .merge(admin::routes())
        .merge(api_tokens::routes())
        .merge(account::routes())
        .merge(subjects::routes())
        .merge(screening::routes())
        .merge(evaluation::routes())
        .merge(formulation::routes())
        .merge(projects::routes())
        .merge(monitoring::routes())
        .merge(ledger::routes())
        .merge(followup::routes())
        .merge(call_results::routes())
        .merge(verification::routes())
        .merge(parcels::routes())
        .merge(preparation::routes())
        .merge(calls::routes())
        .merge(targeting::routes())
        .merge(procedure::routes())
        .merge(committee_items::routes())
        .merge(call_documents::routes())
        .merge(petitions::routes())
        .merge(acts::routes())
        .merge(site::routes())
}

/// What every page's frame needs.
pub struct Chrome {
    pub lang: Lang,
    pub account: Option<Account>,
    /// For the logout form; empty for anonymous visitors, who get no session.
    pub csrf: String,
    pub here: String,
    pub stylesheet: &'static str,
    pub staff: bool,
    pub can_manage_users: bool,
    pub can_import: bool,
    pub can_audit: bool,
    pub can_answer_petitions: bool,
    /// The site's public address, for the absolute links of `hreflang` alternates.
    pub public_url: std::sync::Arc<str>,
    /// What the last act did (`crate::flash`): its code and its words, shown once.
    pub done: Option<(String, String)>,
}

impl Chrome {
    pub async fn new(visitor: &Visitor) -> Result<Chrome, AppError> {
        let csrf = if visitor.account.is_some() {
            visitor.csrf_token().await?
        } else {
            String::new()
        };
        Ok(Chrome {
            lang: visitor.lang,
            account: visitor.account.clone(),
            csrf,
            here: visitor.here.clone(),
            stylesheet: crate::assets::stylesheet_path(),
            staff: visitor.can(Permission::ViewStaffArea),
            can_manage_users: visitor.can(Permission::ManageUsers),
            can_import: visitor.can(Permission::ImportReferenceData),
            can_audit: visitor.can(Permission::ViewAuditLog),
            can_answer_petitions: visitor.can(Permission::AnswerPetitions),
            public_url: visitor.public_url.clone(),
            done: crate::flash::take(visitor).await?.map(|code| {
                let words = visitor.lang.t(&code).to_owned();
                (code, words)
            }),
        })
    }

    /// A frame with no account, for error pages.
    pub(crate) fn anonymous(lang: Lang) -> Chrome {
        Chrome {
            lang,
            account: None,
            csrf: String::new(),
            here: "/".to_owned(),
            stylesheet: crate::assets::stylesheet_path(),
            staff: false,
            can_manage_users: false,
            can_import: false,
            can_audit: false,
            can_answer_petitions: false,
            public_url: crate::PUBLIC_URL.into(),
            done: None,
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// A typed message of the rules or the store, in the visitor's language.
    pub fn say(&self, message: &crate::i18n::Message) -> String {
        self.lang.say(message)
    }

    /// A rule set's own words in the visitor's language (Spanish when the file gives no English).
    pub fn pick(&self, spanish: &str, english: &Option<String>) -> String {
        self.lang.pick(spanish, english.as_deref()).to_owned()
    }

    /// Several typed messages, one after the other.
    pub fn say_all(&self, messages: &[crate::i18n::Message]) -> String {
        self.lang.say_all(messages)
    }

    /// The link that switches language and comes back here, at this page's address in the
    /// other language.
    pub fn switch_language_href(&self) -> String {
        let other = self.lang.other();
        format!(
            "/idioma/{}?next={}",
            other.code(),
            urlencode(&crate::i18n::address_in(other, &self.here))
        )
    }

    /// What a link to a public page starts with, so that links on an English page stay in
    /// English: `/en` in English, nothing in Spanish.
    pub fn base(&self) -> &'static str {
        match self.lang {
            Lang::Es => "",
            Lang::En => crate::i18n::ENGLISH_PREFIX,
        }
    }

    /// A public page's address in the visitor's language (`/` is `/en` in English).
    pub fn page(&self, path: &str) -> String {
        crate::i18n::address_in(self.lang, path)
    }

    /// This page's absolute address in `code` (`es` or `en`), for `hreflang` alternates.
    pub fn alternate(&self, code: &str) -> String {
        let lang = Lang::parse(code).unwrap_or_default();
        format!(
            "{}{}",
            self.public_url.trim_end_matches('/'),
            crate::i18n::address_in(lang, &self.here)
        )
    }

    /// Whether this is a page of the public portal (alternates and a description are given).
    pub fn is_public(&self) -> bool {
        crate::i18n::is_public_path(&self.here)
    }

    /// The `lang` attribute of content written in `code` when it is not the page's language
    /// (an English title on a Spanish page), so a screen reader takes the right voice.
    pub fn lang_attr(&self, code: &str) -> String {
        match Lang::parse(code) {
            Some(lang) if lang != self.lang => format!(" lang=\"{}\"", lang.code()),
            _ => String::new(),
        }
    }

    pub fn other_language_name(&self) -> &'static str {
        match self.lang.other() {
            Lang::Es => "Español",
            Lang::En => "English",
        }
    }

    pub fn amount(&self, amount: impl AsDecimal) -> String {
        self.lang.amount(&amount.as_decimal())
    }

    /// An instant as read in Colombia: `18 jul 2020, 14:05`.
    pub fn moment(&self, at: &jiff::Timestamp) -> String {
        self.lang.moment(*at)
    }

    pub fn number(&self, count: usize) -> String {
        self.lang.amount(&rust_decimal::Decimal::from(count))
    }

    /// A count of people on a public page: below the smallest group a reader could not single
    /// anyone out of (1 to 4), only "< 5" (Ley 1581 de 2012).
    pub fn public_count<T: Copy + Into<u64>>(&self, count: &T) -> String {
        let count: u64 = (*count).into();
        if (1..PUBLIC_COUNT_FLOOR).contains(&count) {
            format!("< {PUBLIC_COUNT_FLOOR}")
        } else {
            self.lang.amount(&rust_decimal::Decimal::from(count))
        }
    }
}

/// The smallest count of people a public page shows as a number.
pub const PUBLIC_COUNT_FLOOR: u64 = 5;

/// Templates hand values by one or more references; this takes them all.
pub trait AsDecimal {
    fn as_decimal(&self) -> rust_decimal::Decimal;
}

impl AsDecimal for rust_decimal::Decimal {
    fn as_decimal(&self) -> rust_decimal::Decimal {
        *self
    }
}

impl<T: AsDecimal + ?Sized> AsDecimal for &T {
    fn as_decimal(&self) -> rust_decimal::Decimal {
        (**self).as_decimal()
    }
}

pub fn render(page: &impl Template) -> Result<Response, AppError> {
    Ok(Html(page.render()?).into_response())
}
