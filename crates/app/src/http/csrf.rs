//! CSRF protection by double submit: a random token in an HttpOnly cookie and the same
//! token in a hidden field of every form. Another site can make a browser send the cookie
//! (SameSite=Lax stops most of that already) but cannot read it to fill in the field.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponseParts, ResponseParts};

use super::AppState;
use super::cookies;
use super::error::AppError;
use crate::keys::{random_token, same_secret};

/// The token for the forms of the page being rendered; sets the cookie if it was new.
pub struct CsrfToken {
    pub token: String,
    is_new: bool,
    secure: bool,
}

impl FromRequestParts<AppState> for CsrfToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secure = state.config.is_https();
        Ok(match cookies::get(&parts.headers, cookies::CSRF) {
            Some(token) => CsrfToken { token: token.to_owned(), is_new: false, secure },
            None => CsrfToken { token: random_token(), is_new: true, secure },
        })
    }
}

impl IntoResponseParts for CsrfToken {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if self.is_new {
            res.headers_mut()
                .append(header::SET_COOKIE, cookies::set(cookies::CSRF, &self.token, None, self.secure));
        }
        Ok(res)
    }
}

/// Refuses a form whose hidden token does not match the cookie.
pub fn verify(headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    match cookies::get(headers, cookies::CSRF) {
        Some(expected) if same_secret(expected, submitted) => Ok(()),
        _ => Err(AppError::CsrfMismatch),
    }
}
