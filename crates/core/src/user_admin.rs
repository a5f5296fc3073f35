//! What admins do to other people's accounts: disable and enable, delete, and give a
//! password to be replaced at the next sign-in (also how an imported account, which has
//! no password, gets one). Each ends the account's sessions at once. No admin does any of
//! this to themself: a site must keep someone who can undo it.

use chrono::{DateTime, Utc};

use crate::password::hash_password;
use crate::store::{StoreError, UserStore};
use crate::user::{User, UserError};
use crate::work::{Busy, Worker};

#[derive(Debug, thiserror::Error)]
pub enum UserAdminError {
    #[error("only admins manage users")]
    Forbidden,
    #[error("you cannot {0} your own account; ask another admin")]
    Yourself(&'static str),
    #[error("no such user")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] UserError),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for UserAdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => UserAdminError::NotFound,
            e => UserAdminError::Store(e),
        }
    }
}

/// The checks every action here shares: `me` is an admin, and not acting on themself.
fn allowed(me: &User, target: i64, verb: &'static str) -> Result<(), UserAdminError> {
    if !me.can_manage_users() {
        return Err(UserAdminError::Forbidden);
    }
    if me.id == target {
        return Err(UserAdminError::Yourself(verb));
    }
    Ok(())
}

/// Disables (`true`) or enables an account; a disabled one is signed out at once.
pub async fn set_disabled<S: UserStore>(
    store: &S,
    me: &User,
    target: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<(), UserAdminError> {
    allowed(me, target, if disabled { "disable" } else { "enable" })?;
    store.set_user_disabled(target, disabled.then_some(now)).await?;
    Ok(())
}

/// Deletes an account (see `UserStore::delete_user` for what is kept); returns the
/// articles whose discussion pages changed.
pub async fn delete<S: UserStore>(store: &S, me: &User, target: i64) -> Result<Vec<i64>, UserAdminError> {
    allowed(me, target, "delete")?;
    Ok(store.delete_user(target).await?)
}

/// Gives `target` a password to sign in with once more: then they must set their own.
pub async fn force_password_change<S: UserStore, W: Worker>(
    store: &S,
    work: &W,
    me: &User,
    target: i64,
    password: String,
) -> Result<(), UserAdminError> {
    allowed(me, target, "reset the password of")?;
    let hash =
        work.run(move || hash_password(&password)).await?.map_err(|e| UserError::Password(e.to_string()))?;
    store.require_password_change(target, &hash).await?;
    Ok(())
}
