//! Reading and setting the site's cookies (session, CSRF, and the guest commenter's
//! token). All are HttpOnly and SameSite=Lax; Secure when the site is served over HTTPS.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION: &str = "tribune_session";
/// A random id for the browser, which its CSRF tokens are bound to until it signs in.
pub const CSRF: &str = "tribune_csrf";
/// Held by the browser that posted a guest comment: only it may edit or delete the comment.
pub const GUEST: &str = "tribune_guest";

pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value; `max_age` of `None` makes a browser-session cookie, `Some(0)` deletes.
pub fn set(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    use std::fmt::Write;
    let mut cookie = String::with_capacity(name.len() + value.len() + 64);
    let _ = write!(cookie, "{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        let _ = write!(cookie, "; Max-Age={age}");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    // Handed over, not copied: a new reader's every page sets one.
    HeaderValue::from_maybe_shared(Bytes::from(cookie)).expect("cookie values are URL-safe tokens")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; tribune_csrf=tok; b="));
        assert_eq!(get(&h, CSRF), Some("tok"));
        assert_eq!(get(&h, "b"), None);
        assert_eq!(get(&h, SESSION), None);
        let c = set(SESSION, "v", Some(60), true);
        assert_eq!(c, "tribune_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
    }
}
