//! Delivery of the letters to households (Art. 46). The store writes each letter in the
//! transaction of the change that produces it (offer notice, verification result, confirmed
//! withdrawal, award); this module delivers it afterwards and records how.
//!
//! When an SMTP server is configured (`VEREDA_SMTP_URL`: `smtp://host[:port]` plain,
//! `smtp+starttls://user:password@host[:port]` with STARTTLS or
//! `smtps://user:password@host[:port]` with implicit TLS, rustls) and the household has an
//! e-mail address, the letter is sent by SMTP (lettre's blocking client on `spawn_blocking`).
//! Otherwise, or when the send fails, it is written as a plain-text `.txt`
//! file (recipient, subject, a blank line, the Spanish body) to the outbox directory, through
//! a temporary file renamed into place, so a reader never sees half a letter. The outbox is
//! where the territorial office collects the letters to print or send. Each letter records its
//! channel (`smtp` or `outbox`) and status (`sent` or `failed` with the error); a failed SMTP
//! send that reached the outbox says so in its error.

use std::io::Write;
use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{Message, SmtpTransport, Transport};

use vereda_domain::audit::Actor;
use vereda_domain::verification::LetterText;
use vereda_messages::{Arg, Lang};
use vereda_store::Store;
use vereda_store::verification::{Delivery, LetterRecord};

use crate::uploads::Uploads;

/// The environment variable naming the outbox directory.
pub const OUTBOX_DIR_VAR: &str = "VEREDA_OUTBOX_DIR";
/// The environment variable naming the SMTP server.
pub const SMTP_URL_VAR: &str = "VEREDA_SMTP_URL";
/// Up to this many letters are delivered before the page answers; more go in the background.
pub const LETTERS_SENT_WHILE_WAITING: usize = 50;
/// The sender of letters sent by SMTP, unless configured (`VEREDA_SMTP_FROM`).
pub const DEFAULT_SMTP_FROM: &str = "Programa de cofinanciación <correspondencia@vereda.invalid>";
/// How long a server keeps the letters it claimed before another may send them.
const LETTER_CLAIM: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
/// How many letters a server claims at once.
const LETTERS_PER_CLAIM: usize = 100;
/// How many letters left pending one sweep takes up.
const PENDING_LETTERS_PER_SWEEP: u64 = 5_000;
/// How often a server looks for letters left pending by a stopped one.
pub const LETTER_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);
/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: plain text (a relay on a trusted network; no login).
    Plain,
    /// `smtp+starttls://`: the session is upgraded with STARTTLS before anything is sent,
    /// or nothing is sent (port 587 by default).
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Tls,
}

/// A password that never reaches a log, a page or an error (`Debug` says `***`).
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// An SMTP server to send letters through: `smtp://host[:port]` (plain, port 25),
/// `smtp+starttls://[user:password@]host[:port]` (STARTTLS, 587) or
/// `smtps://[user:password@]host[:port]` (implicit TLS, 465). The certificate is checked
/// against the public web roots. The password is never printed: `Debug` and `Display` show
/// `***` and every error leaves it out.
#[derive(Debug, Clone)]
pub struct Smtp {
    host: String,
    port: u16,
    security: SmtpSecurity,
    login: Option<(String, Secret)>,
    from: Mailbox,
}

impl std::fmt::Display for Smtp {
    /// The server as a URL, the password replaced by `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.security {
            SmtpSecurity::Plain => "smtp",
            SmtpSecurity::StartTls => "smtp+starttls",
            SmtpSecurity::Tls => "smtps",
        };
        write!(f, "{scheme}://")?;
        if let Some((user, _)) = &self.login {
            write!(f, "{user}:***@")?;
        }
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl Smtp {
    /// Reads the server's URL and the sender (`None`: [`DEFAULT_SMTP_FROM`]). A login over
    /// plain `smtp://` is refused: it would cross the network in clear. A refusal is a typed
    /// message (`smtp-url-*`) whose URL has no password.
    pub fn parse(url: &str, from: Option<&str>) -> Result<Smtp, vereda_messages::Message> {
        use vereda_messages::Message;
        let url = url.trim();
        let shown = vereda_store::redact_password(url);
        let bad = |code: &'static str| Message::new(code).with("url", shown.as_str());
        let (security, rest, default_port) = if let Some(rest) = url.strip_prefix("smtp://") {
            (SmtpSecurity::Plain, rest, 25)
        } else if let Some(rest) = url.strip_prefix("smtp+starttls://") {
            (SmtpSecurity::StartTls, rest, 587)
        } else if let Some(rest) = url.strip_prefix("smtps://") {
            (SmtpSecurity::Tls, rest, 465)
        } else {
            return Err(bad("smtp-url-scheme"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (login, address) = match rest.rsplit_once('@') {
            Some((credentials, address)) => {
                let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
                let decode = |text: &str| {
                    percent_encoding::percent_decode_str(text)
                        .decode_utf8()
                        .map(std::borrow::Cow::into_owned)
                        .map_err(|_| bad("smtp-url-bad"))
                };
                (Some((decode(user)?, Secret(decode(password)?))), address)
            }
            None => (None, rest),
        };
        if login.is_some() && security == SmtpSecurity::Plain {
            return Err(bad("smtp-url-login_in_clear"));
        }
        if address.is_empty() || address.contains(['/', '?', '#']) {
            return Err(bad("smtp-url-bad"));
        }
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || address.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("smtp-url-port").with("port", port))?,
            ),
            _ => (address, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("smtp-url-bad"));
        }
        let from_text = from.unwrap_or(DEFAULT_SMTP_FROM);
        let from = from_text
            .parse::<Mailbox>()
            .map_err(|_| Message::new("smtp-from-bad").with("from", from_text))?;
        Ok(Smtp {
            host: host.to_owned(),
            port,
            security,
            login,
            from,
        })
    }

    /// How the connection is protected.
    pub fn security(&self) -> SmtpSecurity {
        self.security
    }

    /// Sends one letter with its Message-ID; returns the server's reply. An error never
    /// carries the password.
    fn send(
        &self,
        to: &str,
        letter: &LetterRecord,
        text: &LetterText,
        message_id: &str,
    ) -> Result<String, String> {
        self.send_unredacted(to, letter, text, message_id)
            .map_err(|error| match &self.login {
                Some((_, Secret(password))) if !password.is_empty() => {
                    error.replace(password.as_str(), "***")
                }
                _ => error,
            })
    }

    fn send_unredacted(
        &self,
        to: &str,
        letter: &LetterRecord,
        text: &LetterText,
        message_id: &str,
    ) -> Result<String, String> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::transport::smtp::client::{Tls, TlsParameters};
        let to = Mailbox::new(
            Some(letter.recipient.clone()),
            to.parse().map_err(|e| format!("{to:?}: {e}"))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(text.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(text.body.clone())
            .map_err(|e| e.to_string())?;
        let tls = match self.security {
            SmtpSecurity::Plain => Tls::None,
            SmtpSecurity::StartTls => {
                Tls::Required(TlsParameters::new(self.host.clone()).map_err(|e| e.to_string())?)
            }
            SmtpSecurity::Tls => {
                Tls::Wrapper(TlsParameters::new(self.host.clone()).map_err(|e| e.to_string())?)
            }
        };
        let mut builder = SmtpTransport::builder_dangerous(self.host.as_str())
            .port(self.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, Secret(password))) = &self.login {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let response = builder.build().send(&message).map_err(|e| e.to_string())?;
        Ok(response.message().collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod smtp_tests {
    use super::*;

    fn letter() -> LetterRecord {
        LetterRecord {
            id: 1,
            call_id: Some(1),
            household_id: Some(1),
            petition_id: None,
            kind: vereda_domain::verification::LetterKind::Offer,
            recipient: "Ana".to_owned(),
            email: Some("ana@example.org".to_owned()),
            facts: None,
            sent: Some(LetterText {
                subject: "Aviso".to_owned(),
                body: "Texto".to_owned(),
            }),
            channel: "smtp".to_owned(),
            status: "pending".to_owned(),
            location: None,
            error: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_three_ways_to_reach_a_mail_server_and_their_default_ports() {
        let plain = Smtp::parse("smtp://relay.local", None).expect("plain");
        assert_eq!((plain.security(), plain.port), (SmtpSecurity::Plain, 25));
        let starttls =
            Smtp::parse("smtp+starttls://avisos:cl%40ve@mail.example.org", None).expect("starttls");
        assert_eq!(
            (starttls.security(), starttls.port),
            (SmtpSecurity::StartTls, 587)
        );
        assert_eq!(
            starttls
                .login
                .as_ref()
                .map(|(user, Secret(password))| (user.as_str(), password.as_str())),
            Some(("avisos", "cl@ve"))
        );
        let tls = Smtp::parse("smtps://avisos:x@mail.example.org:2465", None).expect("tls");
        assert_eq!((tls.security(), tls.port), (SmtpSecurity::Tls, 2465));
        let refused = |url: &str| Smtp::parse(url, None).expect_err(url).code().to_owned();
        assert_eq!(
            refused("smtp://avisos:clave@relay.local"),
            "smtp-url-login_in_clear"
        );
        assert_eq!(refused("imap://relay.local"), "smtp-url-scheme");
        assert_eq!(refused("smtps://relay.local:99999"), "smtp-url-port");
        assert_eq!(refused("smtps://relay.local/x"), "smtp-url-bad");
    }

    #[test]
    fn the_smtp_password_is_never_printed() {
        let secret = "s3creta-larga";
        let smtp = Smtp::parse(&format!("smtps://avisos:{secret}@127.0.0.1:1"), None).expect("parses");
        for shown in [format!("{smtp:?}"), smtp.to_string()] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(smtp.to_string(), "smtps://avisos:***@127.0.0.1:1");
        // A refused URL names it without the password.
        let refusal = Smtp::parse(&format!("smtps://avisos:{secret}@host:nope"), None).expect_err("bad port");
        assert!(!format!("{refusal:?} {refusal}").contains(secret));
        let refusal = Smtp::parse(&format!("smtp://avisos:{secret}@host"), None).expect_err("in clear");
        assert!(!format!("{refusal:?} {refusal}").contains(secret));
        // A failed send (nothing listens on port 1) says why without it.
        let error = smtp
            .send(
                "ana@example.org",
                &letter(),
                &letter_text(&letter()),
                "<letter.1.1@vereda>",
            )
            .expect_err("nothing listens");
        assert!(!error.contains(secret), "{error}");
    }
}

/// Where letters go: the outbox, and the SMTP server when configured.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub dir: PathBuf,
    pub smtp: Option<Smtp>,
}

impl Outbox {
    /// `configured`, else `VEREDA_OUTBOX_DIR`, else `outbox` beside the uploads directory.
    pub fn new(configured: Option<PathBuf>, uploads: &Uploads) -> Outbox {
        let dir = configured.unwrap_or_else(|| match std::env::var(OUTBOX_DIR_VAR) {
            Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir),
            _ => uploads
                .root
                .parent()
                .map_or_else(|| PathBuf::from("outbox"), |p| p.join("outbox")),
        });
        Outbox { dir, smtp: None }
    }

    /// The outbox and SMTP server the configuration names.
    pub fn configured(config: &crate::WebConfig, uploads: &Uploads) -> Outbox {
        Outbox::new(config.outbox_dir.clone(), uploads).with_smtp(config.smtp.clone())
    }

    /// Sends letters to households with an e-mail address through `smtp`.
    pub fn with_smtp(mut self, smtp: Option<Smtp>) -> Outbox {
        self.smtp = smtp;
        self
    }

    /// Writes one letter; returns the file's path.
    fn write(&self, letter: &LetterRecord, text: &LetterText) -> std::io::Result<PathBuf> {
        // Letters name households: the outbox is the server user's only, like the uploads
        // (the temporary file, hence the letter, is 0600).
        crate::uploads::private_dir_all(&self.dir)?;
        let path = self.dir.join(format!(
            "{:08}-{}-{}.txt",
            letter.id,
            letter.kind,
            match (letter.household_id, letter.petition_id) {
                (Some(household), _) => household.to_string(),
                (None, Some(petition)) => format!("pqrsd{petition}"),
                (None, None) => String::new(),
            }
        ));
        let mut temporary = tempfile::NamedTempFile::new_in(&self.dir)?;
        let lang = LETTERS_LANGUAGE;
        write!(
            temporary,
            "{}\n{}\n\n{}",
            lang.t_with(
                "letter-file_to",
                &[("recipient", Arg::Text(letter.recipient.clone()))]
            ),
            lang.t_with(
                "letter-subject_line",
                &[("subject", Arg::Text(text.subject.clone()))]
            ),
            text.body
        )?;
        temporary.as_file().sync_all()?;
        temporary.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// Delivers the letters: a few while the officer waits, so the page shows how each went;
    /// a call's worth in the background, so a notice to thousands of households returns at
    /// once. Each letter is stored as pending first, so none is lost if the server stops.
    pub async fn dispatch(&self, store: &Store, actor: &Actor, letters: Vec<LetterRecord>) {
        if letters.len() <= LETTERS_SENT_WHILE_WAITING {
            self.deliver(store, actor, letters).await;
        } else {
            let (outbox, store, actor) = (self.clone(), store.clone(), actor.clone());
            tokio::spawn(async move { outbox.deliver(&store, &actor, letters).await });
        }
    }

    /// Delivers the letters another server left pending (it stopped while sending them, and
    /// its claim expired), in the background: at start-up, then every [`LETTER_SWEEP`].
    pub async fn resume_pending(&self, store: &Store) {
        match store.pending_letters(PENDING_LETTERS_PER_SWEEP).await {
            Ok(letters) if letters.is_empty() => {}
            Ok(letters) => {
                tracing::warn!(count = letters.len(), "delivering letters left pending");
                let (outbox, store) = (self.clone(), store.clone());
                tokio::spawn(async move { outbox.deliver(&store, &Actor::system("serve"), letters).await });
            }
            Err(error) => tracing::error!(%error, "cannot read the letters left pending"),
        }
    }

    /// Delivers the letters and records each delivery: by SMTP when configured and the letter
    /// has an address, else (or when that fails) to the outbox. Each letter is claimed first
    /// (see [`Store::claim_letters`]): one another server is sending is left to it. A failure
    /// is recorded on the letter (status `failed`) and logged, never lost.
    async fn deliver(&self, store: &Store, actor: &Actor, letters: Vec<LetterRecord>) {
        // Claimed a few at a time, so none waits claimed longer than its claim lasts.
        for letters in letters.chunks(LETTERS_PER_CLAIM) {
            let ids: Vec<i32> = letters.iter().map(|l| l.id).collect();
            let claimed: std::collections::HashMap<i32, String> = match store
                .claim_letters(&ids, crate::worker::server_name(), LETTER_CLAIM)
                .await
            {
                Ok(claimed) => claimed.into_iter().collect(),
                Err(error) => {
                    tracing::error!(%error, "cannot claim letters to send; they stay pending");
                    return;
                }
            };
            for letter in letters {
                if let Some(message_id) = claimed.get(&letter.id) {
                    self.deliver_one(store, actor, letter.clone(), message_id.clone())
                        .await;
                }
            }
        }
    }

    /// Delivers one claimed letter and records how.
    async fn deliver_one(&self, store: &Store, actor: &Actor, letter: LetterRecord, message_id: String) {
        {
            let text = letter_text(&letter);
            let mut smtp_error = None;
            if let (Some(smtp), Some(to)) = (&self.smtp, letter.email.clone()) {
                let smtp = smtp.clone();
                let (copy, words) = (letter.clone(), text.clone());
                let sent = tokio::task::spawn_blocking(move || smtp.send(&to, &copy, &words, &message_id))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                match sent {
                    Ok(reply) => {
                        let delivery = Delivery {
                            channel: "smtp".to_owned(),
                            sent: true,
                            location: Some(reply),
                            error: None,
                            text,
                        };
                        record(store, actor, letter.id, delivery).await;
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(letter = letter.id, %error, "a letter could not be sent by SMTP; it goes to the outbox");
                        smtp_error = Some(error);
                    }
                }
            }
            let outbox = self.clone();
            let (copy, words) = (letter.clone(), text.clone());
            let written = tokio::task::spawn_blocking(move || outbox.write(&copy, &words))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            let delivery = match written {
                Ok(path) => Delivery {
                    channel: "outbox".to_owned(),
                    sent: true,
                    location: Some(path.display().to_string()),
                    error: smtp_error.map(|e| format!("smtp: {e}")),
                    text,
                },
                Err(error) => {
                    tracing::warn!(letter = letter.id, %error, "a letter could not be written to the outbox");
                    Delivery {
                        channel: "outbox".to_owned(),
                        sent: false,
                        location: None,
                        error: Some(match smtp_error {
                            Some(smtp) => format!("smtp: {smtp}; outbox: {error}"),
                            None => format!("outbox: {error}"),
                        }),
                        text,
                    }
                }
            };
            record(store, actor, letter.id, delivery).await;
        }
    }
}

/// The language letters go out in: the families' and petitioners' (the program is Colombian).
pub const LETTERS_LANGUAGE: Lang = Lang::Es;

/// A letter's text: as sent, or written out now from its facts in the catalogue's words.
pub fn letter_text(letter: &LetterRecord) -> LetterText {
    if let Some(sent) = &letter.sent {
        return sent.clone();
    }
    match &letter.facts {
        Some(facts) => vereda_messages::letters::write_letter(LETTERS_LANGUAGE, letter.kind, facts),
        None => LetterText {
            subject: String::new(),
            body: String::new(),
        },
    }
}

/// A letter as PDF (`carta.typ`), to print and hand over where the addressee has no e-mail:
/// `office` as sender (the institute when none holds the addressee), the letter's text as it
/// was sent (or as the catalogue writes it from its facts), dated the day it was written, in
/// Colombia, numbered by the letter's id.
pub fn printed(
    letter: &LetterRecord,
    office: Option<String>,
    templates: &vereda_documents::typeset::Templates,
) -> Result<Vec<u8>, vereda_documents::typeset::TemplateError> {
    let text = letter_text(letter);
    let written_on = vereda_domain::calendar::date_in_colombia(letter.created_at);
    let data = vereda_documents::letter_pdf::LetterData {
        office: office.unwrap_or_else(|| LETTERS_LANGUAGE.t("letter-sender").to_owned()),
        number: format!("{:08}", letter.id),
        date: written_on.into(),
        recipient: letter.recipient.clone(),
        subject: text.subject,
        paragraphs: vereda_documents::letter_pdf::LetterData::paragraphs_of(&text.body),
    };
    Ok(vereda_documents::letter_pdf::letter(&data, templates, written_on)?.pdf)
}

async fn record(store: &Store, actor: &Actor, letter_id: i32, delivery: Delivery) {
    if let Err(error) = store.record_delivery(actor, letter_id, delivery).await {
        tracing::warn!(letter = letter_id, %error, "the delivery of a letter could not be recorded");
    }
}
