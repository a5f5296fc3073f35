//! The first run: a site without any account is claimed in the browser, by whoever holds
//! the one-time code `tribune serve` printed on its terminal (the first stranger to reach a
//! fresh server must not be able to take it). Only the code's hash is kept; it goes when
//! the setup completes, and the setup can complete once.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::article::FieldError;
use crate::funding::donations::set_goal;
use crate::funding::guard::Guard;
use crate::funding::money::{Currency, Money};
use crate::funding::month::Month;
use crate::password::MIN_PASSWORD_CHARS;
use crate::publishing::{AddUserError, add_user};
use crate::store::{FundingStore, SettingStore, StoreError, ThrottleStore, UserStore};
use crate::throttle::{self, Policy, ThrottleError, Throttled};
use crate::user::{NewUser, Role, User, UserError, normalize_email};
use crate::work::{Busy, Worker};

/// The hash of the code the running server printed.
pub const CODE_SETTING: &str = "setup_code_sha256";
/// Set once, by the setup that won: afterwards there is no setup.
pub const DONE_SETTING: &str = "setup_done";

/// Codes tried from one address: a typo or two is free, guessing is not (with about 60
/// bits in a code, this makes guessing hopeless).
pub const SETUP_PER_ADDRESS: Policy = Policy {
    action: "setup-address",
    free: 5,
    first_wait: std::time::Duration::from_secs(30),
    max_wait: std::time::Duration::from_secs(3600),
    forget_after: std::time::Duration::from_secs(24 * 3600),
};

#[derive(Debug, Clone, Default)]
pub struct SetupInput {
    pub code: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub site_title: String,
    pub goal_amount: String,
    pub goal_currency: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The site has been set up: there is nothing here any more.
    #[error("this site is already set up")]
    Done,
    #[error("code: this is not the code the server printed")]
    WrongCode,
    #[error("the setup was not completed")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ThrottleError> for SetupError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Throttled(t) => SetupError::Throttled(t),
            ThrottleError::Store(e) => SetupError::Store(e),
        }
    }
}

/// A code as typed: case, spaces and dashes do not matter.
fn code_hash(code: &str) -> String {
    let plain: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    format!("{:x}", Sha256::digest(plain.as_bytes()))
}

/// `random` (letters and digits, from a secure source) shown as a code to type: 12 of its
/// characters in groups of four.
pub fn format_code(random: &str) -> String {
    let plain: Vec<char> = random
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(12)
        .collect();
    plain.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Whether the site still waits for its setup: never set up, and no account (a site made
/// by `tribune user add` or an import is not claimed in the browser).
pub async fn needs_setup<S: UserStore + SettingStore>(store: &S) -> Result<bool, StoreError> {
    Ok(store.setting(DONE_SETTING).await?.is_none() && !store.has_users().await?)
}

/// Whether a visitor is led to the setup: it is needed, and a server printed a code for it
/// (a site started otherwise, as the tests and the demo do, has nothing to lead to).
pub async fn awaiting_setup<S: UserStore + SettingStore>(store: &S) -> Result<bool, StoreError> {
    Ok(store.setting(CODE_SETTING).await?.is_some() && needs_setup(store).await?)
}

/// Keeps the hash of `code` (replacing an earlier server's): the code to type now.
pub async fn issue_code<S: SettingStore>(store: &S, code: &str) -> Result<(), StoreError> {
    store.change_settings(&[(CODE_SETTING.into(), code_hash(code))], &[]).await
}

/// Checks the code (counted per `address` first), then every field at once; then claims
/// the site, creates its admin, names it and sets this month's goal.
#[allow(clippy::too_many_arguments)]
pub async fn complete_setup<S, W>(
    store: &S,
    work: &W,
    input: SetupInput,
    address: &str,
    guard: Guard,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<User, SetupError>
where
    S: UserStore + SettingStore + ThrottleStore + FundingStore,
    W: Worker,
{
    if !needs_setup(store).await? {
        return Err(SetupError::Done);
    }
    throttle::admit(store, &SETUP_PER_ADDRESS, address, now).await?;
    let expected = store.setting(CODE_SETTING).await?.unwrap_or_default();
    let given = code_hash(&input.code);
    if expected.is_empty() || !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(SetupError::WrongCode);
    }
    let errors = check(&input, guard);
    if !errors.is_empty() {
        return Err(SetupError::Invalid(errors));
    }
    // Two right codes at once (a double click): one claim wins, the other finds it done.
    let claim = format!("{}:{}", now.timestamp_micros(), &given[..16]);
    if store.setting_or_insert(DONE_SETTING, &claim).await? != claim {
        return Err(SetupError::Done);
    }
    let new = NewUser { email: input.email, name: input.name, role: Role::Admin, password: input.password };
    let admin = add_user(store, work, new, now).await.map_err(|e| match e {
        AddUserError::Invalid(e) => SetupError::Invalid(vec![user_field(&e)]),
        AddUserError::Busy(b) => SetupError::Busy(b),
        AddUserError::Store(e) => SetupError::Store(e),
    })?;
    let title = crate::site::check("site_title", &input.site_title).unwrap_or_default();
    let title_key = format!("{}site_title", crate::site::STORED_PREFIX);
    store.change_settings(&[(title_key, title)], &[CODE_SETTING.into()]).await?;
    let month = Month::containing(now, tz);
    set_goal(store, month, &input.goal_amount, &input.goal_currency, &[], None, guard, now)
        .await
        .map_err(|e| SetupError::Invalid(vec![FieldError::new("goal_amount", e.to_string())]))?;
    Ok(admin)
}

/// Every field's problem, before anything is written (the claim cannot be taken back).
fn check(input: &SetupInput, guard: Guard) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(e) = normalize_email(&input.email) {
        errors.push(user_field(&e));
    }
    let name = crate::text::clean_name(&input.name);
    if !crate::text::has_visible(&name) || crate::slug::Slug::from_text(&name).is_err() {
        errors.push(FieldError::new("name", "is required"));
    } else if crate::text::control_character(&name).is_some() {
        errors.push(FieldError::new("name", "must be plain text"));
    }
    if input.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new("password", format!("needs at least {MIN_PASSWORD_CHARS} characters")));
    }
    if let Err(problem) = crate::site::check("site_title", &input.site_title) {
        errors.push(FieldError::new("site_title", problem));
    }
    match Currency::parse(input.goal_currency.trim()) {
        Err(e) => errors.push(FieldError::new("goal_currency", e.to_string())),
        Ok(currency) => match Money::parse_major(input.goal_amount.trim(), currency) {
            Err(e) => errors.push(FieldError::new("goal_amount", e.to_string())),
            Ok(amount) if amount.minor <= 0 => {
                errors.push(FieldError::new("goal_amount", "must be more than 0"))
            }
            Ok(amount) => {
                if let Err(ceiling) = guard.check_amount(amount) {
                    errors.push(FieldError::new(
                        "goal_amount",
                        format!(
                            "is more than {}, the largest goal this site takes; check it for a typo",
                            ceiling.format()
                        ),
                    ));
                }
            }
        },
    }
    errors
}

fn user_field(e: &UserError) -> FieldError {
    let text = e.to_string();
    let (field, problem) = text.split_once(": ").unwrap_or(("email", &text));
    let field = match field {
        "name" => "name",
        "password" => "password",
        _ => "email",
    };
    FieldError::new(field, problem.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_typed_loosely_and_hashed() {
        let code = format_code("ab12cd34ef56gh78");
        assert_eq!(code, "AB12-CD34-EF56");
        assert_eq!(code_hash("ab12 cd34-ef56"), code_hash(&code));
        assert_ne!(code_hash("AB12-CD34-EF57"), code_hash(&code));
    }
}
