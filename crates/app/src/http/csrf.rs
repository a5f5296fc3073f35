//! CSRF protection bound to who is asking. A form's token is a keyed hash (site key) of
//! the browser's session cookie, or, before sign-in, of a random browser id kept in an
//! HttpOnly cookie. Another site can make a browser send its cookies but cannot read them,
//! so it cannot compute the token; a token copied from another session or browser does not
//! match; and signing in or out changes the cookie it is bound to, so old tokens die.
//!
//! `CsrfForm<T>` is the only way a form handler reads its form, so none can forget the check.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{AppendHeaders, IntoResponse, IntoResponseParts, Response, ResponseParts};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AppState;
use super::cookies;
use super::error::AppError;
use crate::keys::{SiteKeys, random_token, same_secret};

/// Sent by scripts that post without the hidden field.
const HEADER: &str = "x-csrf-token";

/// The token for the forms of the page being rendered; sets the browser id cookie if the
/// browser had none.
pub struct CsrfToken {
    pub token: String,
    new_browser_id: Option<String>,
    secure: bool,
}

impl FromRequestParts<AppState> for CsrfToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(CsrfToken::for_request(state, &parts.headers))
    }
}

impl CsrfToken {
    /// The token a request with `headers` gets (a new browser id with it if it had none).
    pub fn for_request(state: &AppState, headers: &HeaderMap) -> CsrfToken {
        let secure = state.config.is_https();
        match expected(&state.keys, headers) {
            Some(token) => CsrfToken { token, new_browser_id: None, secure },
            None => {
                let id = random_token();
                CsrfToken {
                    token: bound_token(&state.keys, Binding::Browser(&id)),
                    new_browser_id: Some(id),
                    secure,
                }
            }
        }
    }
}

impl IntoResponseParts for CsrfToken {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if let Some(id) = self.new_browser_id {
            res.headers_mut().append(header::SET_COOKIE, cookies::set(cookies::CSRF, &id, None, self.secure));
        }
        Ok(res)
    }
}

/// What a token is bound to: the session once signed in, else the anonymous browser.
enum Binding<'a> {
    Session(&'a str),
    Browser(&'a str),
}

fn bound_token(keys: &SiteKeys, binding: Binding<'_>) -> String {
    match binding {
        Binding::Session(session) => keys.keyed_hash_of("csrf", &["session:", session]),
        Binding::Browser(id) => keys.keyed_hash_of("csrf", &["browser:", id]),
    }
}

/// The token this request's cookies call for; `None` for a browser we have not met yet.
fn expected(keys: &SiteKeys, headers: &HeaderMap) -> Option<String> {
    if let Some(session) = cookies::get(headers, cookies::SESSION) {
        return Some(bound_token(keys, Binding::Session(session)));
    }
    cookies::get(headers, cookies::CSRF).map(|id| bound_token(keys, Binding::Browser(id)))
}

/// A fresh browser id, set at sign-in and sign-out: the tokens of the pages shown before
/// are refused after.
pub fn rotated(state: &AppState) -> AppendHeaders<[(HeaderName, HeaderValue); 1]> {
    AppendHeaders([(
        header::SET_COOKIE,
        cookies::set(cookies::CSRF, &random_token(), None, state.config.is_https()),
    )])
}

/// Refuses a request whose submitted token is not the one its cookies call for.
fn verify(keys: &SiteKeys, headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    match expected(keys, headers) {
        Some(expected) if same_secret(&expected, submitted) => Ok(()),
        _ => Err(AppError::CsrfMismatch),
    }
}

/// A urlencoded form whose CSRF token (the `csrf` field, or the `X-CSRF-Token` header)
/// has been checked before the form itself is read.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let headers = request.headers().clone();
        if !is_form(&headers) {
            return Err(AppError::UnsupportedMediaType("Send this as a form.".into()).into_response());
        }
        // Bytes honours the body limit: too large is the framework's 413.
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        let submitted = match headers.get(HEADER).and_then(|v| v.to_str().ok()) {
            Some(token) => token.to_owned(),
            None => serde_urlencoded::from_bytes::<TokenField>(&body).map(|f| f.csrf).unwrap_or_default(),
        };
        verify(&state.keys, &headers, &submitted).map_err(IntoResponse::into_response)?;
        serde_urlencoded::from_bytes(&body).map(CsrfForm).map_err(|e| {
            let why = format!("The form was incomplete or malformed ({e}). Go back and try again.");
            AppError::Unprocessable(why).into_response()
        })
    }
}

/// A multipart form (a file upload) whose CSRF token, the `X-CSRF-Token` header or the
/// form's *first* field `csrf`, is checked before any other field (the file) is read.
/// Browsers send fields in the document's order, so the hidden field goes first.
pub struct CsrfMultipart(pub Multipart);

/// A token is 64 hex digits; a longer first field is not one.
const MAX_TOKEN_BYTES: usize = 128;

impl FromRequest<AppState> for CsrfMultipart {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let mut form = Multipart::from_request(request, state).await.map_err(|_| {
            AppError::UnsupportedMediaType("Send this as a form with a file (multipart/form-data).".into())
                .into_response()
        })?;
        let submitted = match headers.get(HEADER).and_then(|v| v.to_str().ok()) {
            Some(token) => token.to_owned(),
            None => first_field_token(&mut form).await,
        };
        verify(&state.keys, &headers, &submitted).map_err(IntoResponse::into_response)?;
        Ok(CsrfMultipart(form))
    }
}

/// The first field's value if it is `csrf` and token-sized; else nothing (a mismatch).
async fn first_field_token(form: &mut Multipart) -> String {
    let Ok(Some(mut field)) = form.next_field().await else { return String::new() };
    if field.name() != Some("csrf") {
        return String::new();
    }
    let mut token = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        token.extend_from_slice(&chunk);
        if token.len() > MAX_TOKEN_BYTES {
            return String::new();
        }
    }
    String::from_utf8(token).unwrap_or_default()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static(cookie));
        h
    }

    #[test]
    fn a_token_belongs_to_one_session_or_browser() {
        let keys = SiteKeys::for_tests(b"key");
        let mine = expected(&keys, &headers("tribune_csrf=b1")).unwrap();
        assert!(verify(&keys, &headers("tribune_csrf=b1"), &mine).is_ok());
        assert!(verify(&keys, &headers("tribune_csrf=b2"), &mine).is_err());
        assert!(verify(&keys, &headers("tribune_csrf=b1; tribune_session=s1"), &mine).is_err());
        assert!(verify(&keys, &HeaderMap::new(), "").is_err());
        let signed_in = expected(&keys, &headers("tribune_csrf=b1; tribune_session=s1")).unwrap();
        assert!(verify(&keys, &headers("tribune_csrf=b9; tribune_session=s1"), &signed_in).is_ok());
        assert!(verify(&keys, &headers("tribune_session=s2"), &signed_in).is_err());
        assert!(verify(&keys, &headers("tribune_csrf=b1"), "b1").is_err(), "the cookie is not the token");
    }
}
