//! Delivery of the letters to households (Art. 46). The store writes each letter in the
//! transaction of the change that produces it (offer notice, verification result, confirmed
//! withdrawal, award); this module delivers it afterwards and records how.
//!
//! When an SMTP server is configured (`VEREDA_SMTP_URL`, `smtp://host[:port]`) and the
//! household has an e-mail address, the letter is sent by SMTP (lettre's blocking client on
//! `spawn_blocking`, plain SMTP: no TLS stack is compiled in, so the server must be a relay on
//! a trusted network). Otherwise, or when the send fails, it is written as a plain-text `.txt`
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

/// An SMTP server to send letters through: `smtp://host[:port]` (port 25 by default).
#[derive(Debug, Clone)]
pub struct Smtp {
    host: String,
    port: u16,
    from: Mailbox,
}

impl Smtp {
    /// Reads `smtp://host[:port]` and the sender (`None`: [`DEFAULT_SMTP_FROM`]). Other
    /// schemes, credentials and paths are refused: there is no TLS to protect them.
    pub fn parse(url: &str, from: Option<&str>) -> Result<Smtp, String> {
        let rest = url
            .trim()
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("{url:?}: only smtp://host[:port] is supported (no TLS is built in)"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.contains(['@', '/', '?', '#']) {
            return Err(format!(
                "{url:?}: expected smtp://host[:port], without credentials or path"
            ));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|e| format!("{url:?}: bad port {port:?}: {e}"))?,
            ),
            _ => (rest, 25),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{url:?}: no host"));
        }
        let from = from
            .unwrap_or(DEFAULT_SMTP_FROM)
            .parse::<Mailbox>()
            .map_err(|e| format!("bad sender address {from:?}: {e}"))?;
        Ok(Smtp {
            host: host.to_owned(),
            port,
            from,
        })
    }

    /// Sends one letter with its Message-ID; returns the server's reply.
    fn send(&self, to: &str, letter: &LetterRecord, message_id: &str) -> Result<String, String> {
        let to = Mailbox::new(
            Some(letter.recipient.clone()),
            to.parse().map_err(|e| format!("{to:?}: {e}"))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body.clone())
            .map_err(|e| e.to_string())?;
        let transport = SmtpTransport::builder_dangerous(self.host.as_str())
            .port(self.port)
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let response = transport.send(&message).map_err(|e| e.to_string())?;
        Ok(response.message().collect::<Vec<_>>().join(" "))
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
    fn write(&self, letter: &LetterRecord) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
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
        write!(
            temporary,
            "Para: {}\nAsunto: {}\n\n{}",
            letter.recipient, letter.subject, letter.body
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
                    self.deliver_one(store, actor, letter.clone(), message_id.clone()).await;
                }
            }
        }
    }

    /// Delivers one claimed letter and records how.
    async fn deliver_one(&self, store: &Store, actor: &Actor, letter: LetterRecord, message_id: String) {
        {
            let mut smtp_error = None;
            if let (Some(smtp), Some(to)) = (&self.smtp, letter.email.clone()) {
                let smtp = smtp.clone();
                let copy = letter.clone();
                let sent = tokio::task::spawn_blocking(move || smtp.send(&to, &copy, &message_id))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                match sent {
                    Ok(reply) => {
                        let delivery = Delivery {
                            channel: "smtp".to_owned(),
                            sent: true,
                            location: Some(reply),
                            error: None,
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
            let copy = letter.clone();
            let written = tokio::task::spawn_blocking(move || outbox.write(&copy))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            let delivery = match written {
                Ok(path) => Delivery {
                    channel: "outbox".to_owned(),
                    sent: true,
                    location: Some(path.display().to_string()),
                    error: smtp_error
                        .map(|e| format!("SMTP falló ({e}); la carta quedó en el buzón de salida")),
                },
                Err(error) => {
                    tracing::warn!(letter = letter.id, %error, "a letter could not be written to the outbox");
                    Delivery {
                        channel: "outbox".to_owned(),
                        sent: false,
                        location: None,
                        error: Some(match smtp_error {
                            Some(smtp) => format!("SMTP: {smtp}; buzón de salida: {error}"),
                            None => error.to_string(),
                        }),
                    }
                }
            };
            record(store, actor, letter.id, delivery).await;
        }
    }
}

async fn record(store: &Store, actor: &Actor, letter_id: i32, delivery: Delivery) {
    if let Err(error) = store.record_delivery(actor, letter_id, delivery).await {
        tracing::warn!(letter = letter_id, %error, "the delivery of a letter could not be recorded");
    }
}
