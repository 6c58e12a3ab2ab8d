//! E-mail, off by default: with `ZJTX_SMTP=host:port` (and `ZJTX_MAIL_FROM`), the messages a step
//! sends in the app (returns, decisions, recognitions…) also go by e-mail to those accounts that
//! have an address, and `zjtx digest` mails each reviewer their queue. The relay is plain SMTP
//! (a relay on the bureau's own network); sending is best effort and never holds up or fails a
//! step: the in-app message is the record.

use lettre::message::Mailbox;
use lettre::message::SinglePart;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppState;

/// An SMTP relay and the sender's address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.email.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for the relay at `host:port`, sending as `from`.
    pub fn new(relay: &str, from: &str) -> Result<Mailer, String> {
        let (host, port) = match relay.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("ZJTX_SMTP {relay:?}: the port is not a number"))?,
            ),
            None => (relay, 25),
        };
        if host.is_empty() {
            return Err(format!("ZJTX_SMTP {relay:?}: no host"));
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("ZJTX_MAIL_FROM {from:?}: {e}"))?;
        Ok(Mailer {
            transport: AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build(),
            from,
        })
    }

    /// The mailer configured by the environment, if any (`ZJTX_SMTP`, `ZJTX_MAIL_FROM`, by
    /// default `zjtx@localhost`).
    pub fn from_env() -> Result<Option<Mailer>, String> {
        match std::env::var("ZJTX_SMTP") {
            Ok(relay) if !relay.trim().is_empty() => {
                let from =
                    std::env::var("ZJTX_MAIL_FROM").unwrap_or_else(|_| "zjtx@localhost".into());
                Mailer::new(relay.trim(), &from).map(Some)
            }
            _ => Ok(None),
        }
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("{e}"))?;
        // Quoted-printable keeps the ASCII (links, codes) readable in the raw message.
        let part = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body.to_owned());
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .singlepart(part)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Sends the messages of a step by e-mail too, in the background, to the accounts with an
/// address. Failures are logged (without addresses) and change nothing.
pub fn deliver(st: &AppState, msgs: &[zjtx_store::Message<'_>]) {
    let Some(mailer) = st.mailer.clone() else {
        return;
    };
    let store = st.store.clone();
    let items: Vec<(i64, String, String)> = msgs
        .iter()
        .map(|m| (m.user_id, m.text.clone(), m.link.to_owned()))
        .collect();
    tokio::spawn(async move {
        let ids: Vec<i64> = items.iter().map(|(u, _, _)| *u).collect();
        let addresses = match store.emails_of(&ids).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "mail: reading addresses failed");
                return;
            }
        };
        let mut failed = 0;
        for (user, text, link) in &items {
            if let Some((_, to)) = addresses.iter().find(|(u, _)| u == user)
                && mailer
                    .send(to, &format!("ZJTX: {text}"), &format!("{text}\n\n{link}\n"))
                    .await
                    .is_err()
            {
                failed += 1;
            }
        }
        if failed > 0 {
            tracing::warn!(failed, "mail: some messages were not sent");
        }
    });
}
