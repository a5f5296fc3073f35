//! A signed-in user's own account: the name they comment under and their password. A
//! password change proves the current one first, throttled as sign-in is (it is the same
//! guess), and ends every other session of the account.

use chrono::{DateTime, Utc};

use crate::accounts::account_at_address;
use crate::password::{hash_password, verify_password};
use crate::store::{StoreError, ThrottleStore, UserStore};
use crate::throttle::{self, SIGN_IN_PER_ACCOUNT, ThrottleError, Throttled};
use crate::user::{User, UserError, valid_name};
use crate::work::{Busy, Worker};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("current password: wrong password")]
    WrongPassword,
    #[error(transparent)]
    Invalid(#[from] UserError),
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ThrottleError> for AccountError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Throttled(t) => AccountError::Throttled(t),
            ThrottleError::Store(e) => AccountError::Store(e),
        }
    }
}

/// A user renamed: the name as it will be shown, and, when they write, their byline's
/// slugs before and after and the articles that carry it (whose pages show the old name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    pub name: String,
    pub bylines: Vec<crate::slug::Slug>,
    pub articles: Vec<String>,
}

/// Renames `me`, and their byline with them: an author's articles say who wrote them as
/// the author now wants to be known, and the byline's slug follows the name (as an
/// article's editor derives it from the name), unless another byline has that slug.
pub async fn rename<S: UserStore>(store: &S, me: &User, name: &str) -> Result<Renamed, AccountError> {
    let name = valid_name(name)?;
    // A name with nothing to make a slug of keeps the slug it had.
    let slug =
        crate::slug::Slug::from_text(&name).ok().or_else(|| me.author.as_ref().map(|a| a.slug.clone()));
    let articles = store.set_user_name(me.id, &name, slug.as_ref().map_or("", |s| s.as_str())).await?;
    let mut bylines: Vec<crate::slug::Slug> = me.author.iter().map(|a| a.slug.clone()).collect();
    if let Some(slug) = slug.filter(|s| !bylines.is_empty() && !bylines.contains(s)) {
        bylines.push(slug);
    }
    Ok(Renamed { name, bylines, articles })
}

/// What a password change needs: the current password (not asked of a user who must
/// replace the one an admin gave them, which they have just typed to sign in), the new
/// one, and the session to keep.
pub struct PasswordChange<'a> {
    pub current: String,
    pub new: String,
    pub session: &'a str,
    /// The keyed hash of the client's address, for the throttle.
    pub address: &'a str,
}

/// Sets `me`'s new password and ends their other sessions. The attempt counts against
/// the same throttle as signing in to this account from this address.
pub async fn change_password<S: UserStore + ThrottleStore, W: Worker>(
    store: &S,
    work: &W,
    me: &User,
    change: PasswordChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let account_here = account_at_address(&me.email, change.address);
    if !me.must_change_password {
        throttle::admit(store, &SIGN_IN_PER_ACCOUNT, &account_here, now).await?;
        let (_, stored) = store.user_credentials(&me.email).await?.ok_or(StoreError::NotFound)?;
        let current = change.current;
        if !work.run(move || verify_password(&current, &stored)).await? {
            return Err(AccountError::WrongPassword);
        }
        throttle::forgive(store, &SIGN_IN_PER_ACCOUNT, &account_here).await?;
    }
    let new = change.new;
    let hash =
        work.run(move || hash_password(&new)).await?.map_err(|e| UserError::Password(e.to_string()))?;
    store.change_own_password(me.id, &hash, change.session).await?;
    Ok(())
}
