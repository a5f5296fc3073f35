//! Getting in: signing in and registering, each throttled per client address (and per
//! account and address for sign-in) *before* any password is hashed, with the hashing
//! itself on a bounded `Worker`. Callers pass the client's address as the site's keyed
//! hash of it; this module never sees an address.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::password::{decoy_hash, verify_password};
use crate::publishing::{AddUserError, add_user};
use crate::store::{StoreError, ThrottleStore, UserStore};
use crate::throttle::{
    self, REGISTER_PER_ADDRESS, SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_ADDRESS, ThrottleError, Throttled,
};
use crate::user::{NewUser, Role, User, normalize_email};
use crate::work::{Busy, Worker};

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong email or password")]
    WrongCredentials,
    /// Told only to whoever typed the right password, so it reveals nothing to a guesser.
    #[error("this account is disabled; ask the site's admin")]
    Disabled,
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ThrottleError> for SignInError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Throttled(t) => SignInError::Throttled(t),
            ThrottleError::Store(e) => SignInError::Store(e),
        }
    }
}

/// Checks an email and password typed from the address whose keyed hash is `address`.
/// The attempt is counted before the password is checked; a success forgives the
/// attempts of this account from this address (and only those).
pub async fn sign_in<S: UserStore + ThrottleStore, W: Worker>(
    store: &S,
    work: &W,
    email: &str,
    password: String,
    address: &str,
    now: DateTime<Utc>,
) -> Result<User, SignInError> {
    let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    let account_here = account_at_address(&email, address);
    throttle::admit(store, &SIGN_IN_PER_ADDRESS, address, now).await?;
    throttle::admit(store, &SIGN_IN_PER_ACCOUNT, &account_here, now).await?;
    let credentials = store.user_credentials(&email).await?;
    // Unknown emails are checked against a decoy hash so both cases take as long.
    let hash = credentials.as_ref().map_or(decoy_hash(), |(_, h)| h.as_str()).to_owned();
    let valid = work.run(move || verify_password(&password, &hash)).await?;
    match credentials.filter(|_| valid) {
        Some((user, _)) => {
            throttle::forgive(store, &SIGN_IN_PER_ACCOUNT, &account_here).await?;
            if user.disabled { Err(SignInError::Disabled) } else { Ok(user) }
        }
        None => Err(SignInError::WrongCredentials),
    }
}

/// The throttle subject for one account from one address. Hashed, so the table of
/// throttles holds no email; the address part is already the site's keyed hash.
pub(crate) fn account_at_address(email: &str, address: &str) -> String {
    let digest = Sha256::new().chain_update(address).chain_update([0]).chain_update(email).finalize();
    digest.iter().take(18).map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Refused(#[from] AddUserError),
}

/// A reader (never staff) registers from the address whose keyed hash is `address`: counted first, so
/// a script that registers hundreds of accounts is slowed before any password is hashed.
pub async fn register<S: UserStore + ThrottleStore, W: Worker>(
    store: &S,
    work: &W,
    new: NewUser,
    address: &str,
    now: DateTime<Utc>,
) -> Result<User, RegisterError> {
    throttle::admit(store, &REGISTER_PER_ADDRESS, address, now).await.map_err(|e| match e {
        ThrottleError::Throttled(t) => RegisterError::Throttled(t),
        ThrottleError::Store(e) => RegisterError::Refused(AddUserError::Store(e)),
    })?;
    Ok(add_user(store, work, NewUser { role: Role::Reader, ..new }, now).await?)
}
