//! The messages mailed to an account's address (`core::account_mail::AccountComposer`):
//! a reset link, a link confirming a new address, and the old address's notice:
//! plain text and HTML from templates, in the site's language, every value escaped. The
//! link carries a random token; the site keeps only its hash.

use std::sync::Arc;

use askama::Template;
use tribune_core::account_mail::{AccountComposer, RESET_WITHIN};
use tribune_core::mail::OutgoingMail;
use tribune_core::user::User;

use crate::config::Config;
use crate::keys::{SiteKeys, random_token, token_hash};

/// Where a reset link opens (the token follows).
pub const RESET_PATH: &str = "/password/reset/";
/// Where the link confirming a new address opens (the token follows).
pub const CHANGE_PATH: &str = "/account/email/";

pub struct SiteAccountMail {
    pub config: Arc<Config>,
    pub keys: Arc<SiteKeys>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetText<'a> {
    site: &'a Config,
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    site: &'a Config,
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/email_change.txt")]
struct ChangeText<'a> {
    site: &'a Config,
    user: &'a User,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change.html")]
struct ChangeHtml<'a> {
    site: &'a Config,
    user: &'a User,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_changed.txt")]
struct ChangedText<'a> {
    site: &'a Config,
    user: &'a User,
    new_email: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_changed.html")]
struct ChangedHtml<'a> {
    site: &'a Config,
    user: &'a User,
    new_email: &'a str,
}

impl AccountComposer for SiteAccountMail {
    fn password_reset(&self, email: &str) -> (OutgoingMail, String) {
        let token = random_token();
        let link = self.config.url(&format!("{RESET_PATH}{token}"));
        let (site, link, minutes) = (&*self.config, link.as_str(), RESET_WITHIN.as_secs() / 60);
        let mail = OutgoingMail {
            to: email.to_owned(),
            subject: format!("Reset your password at {}", site.site_title),
            text: ResetText { site, link, minutes }.render().unwrap_or_default(),
            html: Some(ResetHtml { site, link, minutes }.render().unwrap_or_default()),
            unsubscribe_url: None,
        };
        (mail, token_hash(&token))
    }

    fn email_change(&self, user: &User, new_email: &str) -> (OutgoingMail, String) {
        let token = random_token();
        let link = self.config.url(&format!("{CHANGE_PATH}{token}"));
        let (site, link) = (&*self.config, link.as_str());
        let mail = OutgoingMail {
            to: new_email.to_owned(),
            subject: format!("Confirm your new address at {}", site.site_title),
            text: ChangeText { site, user, link }.render().unwrap_or_default(),
            html: Some(ChangeHtml { site, user, link }.render().unwrap_or_default()),
            unsubscribe_url: None,
        };
        (mail, token_hash(&token))
    }

    fn email_changed(&self, user: &User, new_email: &str) -> OutgoingMail {
        let site = &*self.config;
        OutgoingMail {
            to: user.email.clone(),
            subject: format!("Your address at {} changed", site.site_title),
            text: ChangedText { site, user, new_email }.render().unwrap_or_default(),
            html: Some(ChangedHtml { site, user, new_email }.render().unwrap_or_default()),
            unsubscribe_url: None,
        }
    }

    fn address_key(&self, email: &str) -> String {
        self.keys.email_hash(email)
    }
}
