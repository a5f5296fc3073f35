//! Links mailed to an account's address: a password reset (single-use, for an hour, the
//! same answer whether or not the address has an account), and a new address, which the
//! account takes only when the link mailed to it is followed (the old one is told). The
//! messages and their tokens are the binary's (`AccountComposer`); a link and its mail
//! are stored in one transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::mail::OutgoingMail;
use crate::password::hash_password;
use crate::store::{AccountLinkStore, StoreError, ThrottleStore, UserStore};
use crate::throttle::{self, Policy, ThrottleError, Throttled};
use crate::user::{User, UserError, normalize_email};
use crate::work::{Busy, Worker};

/// How long a reset link works.
pub const RESET_WITHIN: Duration = Duration::from_secs(3600);

/// Reset requests from one client: a few mistyped addresses are fine, a sweep is not.
pub const RESET_PER_ADDRESS: Policy = Policy {
    action: "reset-address",
    free: 10,
    first_wait: Duration::from_secs(60),
    max_wait: Duration::from_secs(24 * 3600),
    forget_after: Duration::from_secs(24 * 3600),
};

/// Reset requests for one e-mail address, from anywhere: nobody's inbox is flooded with
/// links. Counted for unknown addresses too, so the answer tells nothing.
pub const RESET_PER_EMAIL: Policy = Policy {
    action: "reset-email",
    free: 3,
    first_wait: Duration::from_secs(300),
    max_wait: Duration::from_secs(24 * 3600),
    forget_after: Duration::from_secs(24 * 3600),
};

/// How long the link to confirm a new address works.
pub const CHANGE_WITHIN: Duration = Duration::from_secs(24 * 3600);

/// Address changes one account asks for: each mails a stranger's address, so a few a day.
pub const CHANGE_PER_ACCOUNT: Policy = Policy {
    action: "email-change",
    free: 5,
    first_wait: Duration::from_secs(600),
    max_wait: Duration::from_secs(24 * 3600),
    forget_after: Duration::from_secs(24 * 3600),
};

/// What a mailed link is for; a token made for one is no good for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    PasswordReset,
    EmailChange,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "password-reset",
            LinkPurpose::EmailChange => "email-change",
        }
    }
}

/// A link that still works, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLink {
    pub user_id: i64,
    /// Where it was mailed.
    pub email: String,
}

/// The binary's side: messages from templates, tokens from the OS's random source.
pub trait AccountComposer: Send + Sync {
    /// A reset message to `email` and the hash of the token in its link.
    fn password_reset(&self, email: &str) -> (OutgoingMail, String);
    /// The message to `new_email` whose link makes it `user`'s address, and its token's hash.
    fn email_change(&self, user: &User, new_email: &str) -> (OutgoingMail, String);
    /// The notice to the old address that the account's address is now `new_email`.
    fn email_changed(&self, user: &User, new_email: &str) -> OutgoingMail;
    /// What the throttles keep of an address (a keyed hash, never the address).
    fn address_key(&self, email: &str) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum AccountMailError {
    /// Unknown, used, expired, or its account disabled since: all look the same.
    #[error("this link is not valid any more")]
    BadLink,
    #[error("email: this is already your address")]
    SameAddress,
    #[error(transparent)]
    Invalid(#[from] UserError),
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ThrottleError> for AccountMailError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Throttled(t) => AccountMailError::Throttled(t),
            ThrottleError::Store(e) => AccountMailError::Store(e),
        }
    }
}

/// Someone asks for a reset link for `email` from the client whose keyed hash is
/// `client`. The same work is done whether or not an enabled account has the address (the
/// message is composed, and the store runs the same statements, which write nothing for
/// no account), so neither the answer nor its timing tells which.
pub async fn request_reset<S: AccountLinkStore + ThrottleStore>(
    store: &S,
    composer: &dyn AccountComposer,
    email: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountMailError> {
    let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    throttle::admit(store, &RESET_PER_ADDRESS, client, now).await?;
    throttle::admit(store, &RESET_PER_EMAIL, &composer.address_key(&email), now).await?;
    let (mail, token_hash) = composer.password_reset(&email);
    let expires = now + chrono::Duration::from_std(RESET_WITHIN).unwrap_or(chrono::Duration::hours(1));
    store.add_reset_link(&email, &token_hash, &mail, now, expires).await?;
    Ok(())
}

/// Whether the reset link whose token hashes to `token_hash` still works (the page that
/// asks for the new password; reading it consumes nothing, as mail scanners follow links).
pub async fn reset_link<S: AccountLinkStore>(
    store: &S,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<AccountLink, AccountMailError> {
    store.account_link(token_hash, LinkPurpose::PasswordReset, now).await?.ok_or(AccountMailError::BadLink)
}

/// Sets a new password through a reset link: the link is checked before any hashing, then
/// used up with the password set, the address confirmed and every session ended, in one
/// transaction (two tabs posting at once: one wins, the other is told the link is used).
/// Returns the account's id.
pub async fn reset_password<S: AccountLinkStore, W: Worker>(
    store: &S,
    work: &W,
    token_hash: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<i64, AccountMailError> {
    reset_link(store, token_hash, now).await?;
    let hash =
        work.run(move || hash_password(&password)).await?.map_err(|e| UserError::Password(e.to_string()))?;
    store.use_reset_link(token_hash, &hash, now).await?.ok_or(AccountMailError::BadLink)
}

/// `me` asks for `new_email` to become their address: a link is mailed to it. Whether
/// another account has that address is not told (the same answer, and then no mail), so
/// the form cannot be used to find who has an account.
pub async fn request_email_change<S: AccountLinkStore + ThrottleStore>(
    store: &S,
    composer: &dyn AccountComposer,
    me: &User,
    new_email: &str,
    now: DateTime<Utc>,
) -> Result<String, AccountMailError> {
    let new_email = normalize_email(new_email)?;
    if new_email == me.email {
        return Err(AccountMailError::SameAddress);
    }
    throttle::admit(store, &CHANGE_PER_ACCOUNT, &me.id.to_string(), now).await?;
    let (mail, token_hash) = composer.email_change(me, &new_email);
    let expires = now + chrono::Duration::from_std(CHANGE_WITHIN).unwrap_or(chrono::Duration::days(1));
    store.add_email_change_link(me.id, &new_email, &token_hash, &mail, now, expires).await?;
    Ok(new_email)
}

/// The address change behind a link, if it still works: the account and the new address.
pub async fn email_change_link<S: AccountLinkStore>(
    store: &S,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<AccountLink, AccountMailError> {
    store.account_link(token_hash, LinkPurpose::EmailChange, now).await?.ok_or(AccountMailError::BadLink)
}

/// Follows an address change's link (the page's button, never the GET): the account takes
/// the new address, confirmed, and the old one is told, in one transaction. An address
/// another account took meanwhile is refused as a used link. Returns the new address.
pub async fn confirm_email_change<S: AccountLinkStore + UserStore>(
    store: &S,
    composer: &dyn AccountComposer,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<String, AccountMailError> {
    let link = email_change_link(store, token_hash, now).await?;
    let user = store.user_by_id(link.user_id).await?.ok_or(AccountMailError::BadLink)?;
    let notice = composer.email_changed(&user, &link.email);
    match store.use_email_change_link(token_hash, &user.email, &notice, now).await {
        Ok(true) => Ok(link.email),
        Ok(false) | Err(StoreError::Conflict(_)) => Err(AccountMailError::BadLink),
        Err(e) => Err(e.into()),
    }
}
