//! The one place where errors become HTTP responses. Readers get a friendly page with the
//! right status; operators get the cause in the log; nobody gets a stack trace.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tribune_core::account_mail::AccountMailError;
use tribune_core::discussion::DiscussionError;
use tribune_core::media::MediaError;
use tribune_core::moderators::ModerationError;
use tribune_core::publishing::PublishError;
use tribune_core::store::StoreError;
use tribune_core::throttle::Throttled;
use tribune_core::user_admin::UserAdminError;
use tribune_core::work::Busy;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("This page does not exist.")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// Well-formed, but its content was refused (an empty comment, an unknown parent).
    #[error("{0}")]
    Unprocessable(String),
    /// Someone else acted first (another moderator decided the comment).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("What you sent is too large.")]
    PayloadTooLarge,
    /// Not signed in: sent to the login page, which brings them back.
    #[error("Please sign in.")]
    SignInRequired { back_to: String },
    /// Signed in with a password an admin gave: sent to set their own first.
    #[error("Please choose a new password first.")]
    PasswordChangeRequired,
    #[error("This form has expired or did not come from this site. Go back, reload the page and try again.")]
    CsrfMismatch,
    /// A throttle refused the attempt; the client may try again after this many seconds.
    #[error("Too many attempts from here. Wait {} and try again.", wait_in_words(*.0))]
    TooManyRequests(u64),
    /// The pool for expensive work is full: nothing was done.
    #[error("The site is busy. Try again in a moment.")]
    Busy,
    #[error("The site's database is unavailable. Try again in a moment.")]
    Unavailable(String),
    #[error("Something went wrong on our side. It has been logged.")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) | AppError::CsrfMismatch => StatusCode::FORBIDDEN,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::SignInRequired { .. } | AppError::PasswordChangeRequired => StatusCode::SEE_OTHER,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            StoreError::Throttled(t) => t.into(),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<PublishError> for AppError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::NotFound => AppError::NotFound,
            PublishError::Forbidden(why) => AppError::Forbidden(why.to_owned()),
            PublishError::Store(e) => e.into(),
            e @ (PublishError::Invalid(_) | PublishError::SlugTaken) => AppError::BadRequest(e.to_string()),
        }
    }
}

impl From<DiscussionError> for AppError {
    fn from(e: DiscussionError) -> Self {
        match e {
            DiscussionError::NotFound => AppError::NotFound,
            DiscussionError::Store(e) => e.into(),
            e @ (DiscussionError::Invalid(_) | DiscussionError::Refused(_)) => {
                AppError::Unprocessable(capitalized(&e.to_string()))
            }
            DiscussionError::Throttled(t) => t.into(),
            e @ (DiscussionError::Closed(_)
            | DiscussionError::GuestsNotAllowed
            | DiscussionError::SupportersOnly
            | DiscussionError::Forbidden(_)) => {
                AppError::Forbidden(format!("{}.", capitalized(&e.to_string())))
            }
        }
    }
}

impl From<tribune_core::embed::EmbedError> for AppError {
    fn from(e: tribune_core::embed::EmbedError) -> Self {
        use tribune_core::embed::EmbedError;
        match e {
            EmbedError::Store(e) => e.into(),
            EmbedError::Throttled(t) => t.into(),
            e @ EmbedError::BadAddress(_) => {
                AppError::BadRequest(format!("{}.", capitalized(&e.to_string())))
            }
            e @ EmbedError::NotAllowed(_) => AppError::Forbidden(format!("{}.", capitalized(&e.to_string()))),
        }
    }
}

impl From<ModerationError> for AppError {
    fn from(e: ModerationError) -> Self {
        match e {
            ModerationError::NotFound => AppError::NotFound,
            ModerationError::Store(e) => e.into(),
            e @ ModerationError::Forbidden => {
                AppError::Forbidden(format!("{}.", capitalized(&e.to_string())))
            }
            e @ ModerationError::AlreadyDecided { .. } => {
                AppError::Conflict(format!("{}. Nothing was changed.", capitalized(&e.to_string())))
            }
            e @ ModerationError::Invalid { .. } => AppError::BadRequest(format!("{e}.")),
        }
    }
}

impl From<AccountMailError> for AppError {
    fn from(e: AccountMailError) -> Self {
        match e {
            e @ AccountMailError::BadLink => {
                AppError::BadRequest(format!("{}.", capitalized(&e.to_string())))
            }
            e @ (AccountMailError::Invalid(_) | AccountMailError::SameAddress) => {
                AppError::Unprocessable(format!("{}.", capitalized(&e.to_string())))
            }
            AccountMailError::Throttled(t) => t.into(),
            AccountMailError::Busy(b) => b.into(),
            AccountMailError::Store(e) => e.into(),
        }
    }
}

impl From<UserAdminError> for AppError {
    fn from(e: UserAdminError) -> Self {
        match e {
            UserAdminError::NotFound => AppError::NotFound,
            UserAdminError::Store(e) => e.into(),
            UserAdminError::Busy(b) => b.into(),
            e @ (UserAdminError::Forbidden | UserAdminError::Yourself(_)) => {
                AppError::Forbidden(format!("{}.", capitalized(&e.to_string())))
            }
            e @ UserAdminError::Invalid(_) => {
                AppError::Unprocessable(format!("{}.", capitalized(&e.to_string())))
            }
        }
    }
}

impl From<MediaError> for AppError {
    fn from(e: MediaError) -> Self {
        let sentence = |e: &MediaError| format!("{}.", capitalized(&e.to_string()));
        match e {
            MediaError::NotFound => AppError::NotFound,
            MediaError::Store(e) => e.into(),
            MediaError::Busy(_) => AppError::Busy,
            e @ (MediaError::NotAnImage | MediaError::Unsupported(_)) => {
                AppError::UnsupportedMediaType(sentence(&e))
            }
            e @ (MediaError::TooManyPixels | MediaError::Broken(_)) => AppError::Unprocessable(sentence(&e)),
            MediaError::Invalid(errors) => AppError::Unprocessable(
                errors
                    .iter()
                    .map(|e| format!("The field “{}” {}.", e.field, e.problem))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            e @ MediaError::Forbidden(_) => AppError::Forbidden(sentence(&e)),
            e @ MediaError::InUse(_) => AppError::Conflict(format!("{} Nothing was deleted.", sentence(&e))),
        }
    }
}

/// The core's messages start in lower case, to read well after a field name; a page shows
/// them as sentences.
pub fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// Carried on an error response so that the error-page layer (which has the site's
/// settings) can draw the page around the message.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::SignInRequired { back_to } => {
                // Staff sign in on the admin's page, readers on the site's own.
                let door = if is_admin_path(back_to) { "/admin/login" } else { "/login" };
                let target = format!("{door}?next={}", encode_component(back_to));
                return Redirect::to(&target).into_response();
            }
            AppError::PasswordChangeRequired => return Redirect::to("/account").into_response(),
            AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut response = (self.status(), self.to_string()).into_response();
        response.extensions_mut().insert(ErrorMessage(self.to_string()));
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl AppError {
    /// Seconds a client should wait before trying again, for the `Retry-After` header.
    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests(seconds) => Some(*seconds),
            AppError::Busy => Some(1),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        }
    }
}

/// "3 seconds", "2 minutes": how long a throttled reader waits, in words.
fn wait_in_words(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".into(),
        2..=119 => format!("{seconds} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

impl From<Throttled> for AppError {
    fn from(t: Throttled) -> Self {
        AppError::TooManyRequests(t.retry_after.as_secs().max(1))
    }
}

impl From<Busy> for AppError {
    fn from(_: Busy) -> Self {
        AppError::Busy
    }
}

fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// Percent-encodes everything but unreserved characters, for a value inside a URL.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An error of the JSON API: the same statuses as the pages, with `{"error": "…"}` as body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<DiscussionError> for ApiError {
    fn from(e: DiscussionError) -> Self {
        ApiError(e.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            AppError::SignInRequired { .. } => StatusCode::UNAUTHORIZED,
            AppError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            e => e.status(),
        };
        if let AppError::Internal(cause) = &self.0 {
            tracing::error!(%cause, "request failed");
        }
        let mut response =
            (status, axum::Json(serde_json::json!({ "error": self.0.to_string() }))).into_response();
        if let Some(seconds) = self.0.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
