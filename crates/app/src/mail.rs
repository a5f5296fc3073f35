//! Sending mail over SMTP (lettre): the transport built from `smtp_url` and the
//! credentials in the environment, and one outbox message turned into a MIME message.
//! What to send and when to retry is the outbox's (`mail_worker`, `core::mail`).

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tribune_core::mail::OutgoingMail;

use crate::config::Config;

/// The environment variables that hold the SMTP credentials (never a config key, so
/// never in a file, the config's debug output or a log).
pub const USERNAME_VAR: &str = "TRIBUNE_SMTP_USERNAME";
pub const PASSWORD_VAR: &str = "TRIBUNE_SMTP_PASSWORD";

/// A send is given up after this; well under the outbox's lease (`core::mail::LEASE`),
/// so a live node never loses its claim mid-send.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The site's way out to SMTP. Cheap to clone (connections are pooled inside).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail is off: smtp_url is not set")]
    Off,
    #[error("{0}")]
    Config(String),
    /// The server or the network failed; `permanent` when the server refused the message
    /// for good (5xx), so trying again would not help.
    #[error("{message}")]
    Send { message: String, permanent: bool },
}

impl Mailer {
    /// The mailer `config` asks for, or `None` when mail is off (no `smtp_url`).
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, MailError> {
        if config.smtp_url.is_empty() {
            return Ok(None);
        }
        check_url(&config.smtp_url).map_err(MailError::Config)?;
        let from =
            config.mail_from.parse::<Mailbox>().map_err(|e| MailError::Config(format!("mail_from: {e}")))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| MailError::Config(format!("smtp_url: {e}")))?
            .timeout(Some(SEND_TIMEOUT));
        // EHLO names the site, as RFC 5321 asks, rather than "localhost".
        if let Some(host) = site_host(&config.base_url) {
            builder = builder.hello_name(ClientId::Domain(host));
        }
        match (std::env::var(USERNAME_VAR), std::env::var(PASSWORD_VAR)) {
            (Ok(user), Ok(password)) => builder = builder.credentials(Credentials::new(user, password)),
            (Err(_), Err(_)) => {}
            _ => {
                return Err(MailError::Config(format!(
                    "set both {USERNAME_VAR} and {PASSWORD_VAR}, or neither"
                )));
            }
        }
        Ok(Some(Mailer { transport: builder.build(), from }))
    }

    /// Hands one message to the SMTP server; returns once the server accepted it.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send { message: e.to_string(), permanent: e.is_permanent() })
    }

    fn message(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let refused = |e: &dyn std::fmt::Display| MailError::Send { message: e.to_string(), permanent: true };
        let to = mail.to.parse::<Mailbox>().map_err(|e| refused(&e))?;
        let mut builder = Message::builder().from(self.from.clone()).to(to).subject(&mail.subject);
        if let Some(url) = &mail.unsubscribe_url {
            // RFC 8058: a mail client may unsubscribe with one POST, no page, no sign-in.
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let message = match &mail.html {
            Some(html) => {
                builder.multipart(MultiPart::alternative_plain_html(mail.text.clone(), html.clone()))
            }
            None => builder
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone())),
        };
        message.map_err(|e| refused(&e))
    }
}

/// `smtp_url` as the site accepts it: smtp or smtps, a host, no credentials.
pub fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("must be smtp://HOST[:PORT][?tls=required] or smtps://HOST[:PORT]".into());
    };
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!("the scheme must be smtp or smtps, not {scheme}"));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(format!("put no credentials in the URL: set {USERNAME_VAR} and {PASSWORD_VAR}"));
    }
    if authority.is_empty() {
        return Err("names no host".into());
    }
    if let Some((_, query)) = rest.split_once('?')
        && !matches!(query, "tls=required" | "tls=opportunistic")
    {
        return Err("the only option is tls=required (STARTTLS) or tls=opportunistic".into());
    }
    Ok(())
}

/// `mail_from` must be set with mail on, and be one address (a name may come with it).
pub fn check_from(from: &str) -> Result<(), String> {
    if from.trim().is_empty() {
        return Err("must be set when smtp_url is, e.g. \"Daily Tribune <news@tribune.example>\"".into());
    }
    from.parse::<Mailbox>().map(|_| ()).map_err(|e| format!("\"{from}\" is not an address: {e}"))
}

/// The host of the site's address, if it is a name (an address literal would need
/// brackets in EHLO; lettre's default then does).
fn site_host(base_url: &str) -> Option<String> {
    let rest = base_url.split_once("://")?.1;
    let host = rest.split(['/', ':']).next()?;
    let is_name = !host.is_empty() && host.parse::<std::net::IpAddr>().is_err() && !host.starts_with('[');
    is_name.then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_without_credentials_only() {
        assert!(check_url("smtp://localhost:25").is_ok());
        assert!(check_url("smtp://mail.example:587?tls=required").is_ok());
        assert!(check_url("smtps://mail.example").is_ok());
        assert!(check_url("smtp://user:secret@mail.example").unwrap_err().contains(USERNAME_VAR));
        assert!(check_url("http://mail.example").is_err());
        assert!(check_url("smtp://mail.example?tls=maybe").is_err());
    }

    #[test]
    fn the_sender_must_be_an_address() {
        assert!(check_from("Daily Tribune <news@tribune.example>").is_ok());
        assert!(check_from("").is_err());
        assert!(check_from("not an address").is_err());
    }
}
