//! The gate every request body passes before any handler: a bound on its size (the same
//! 413 for a form and for JSON), and no control characters in any field, query parameter
//! or JSON string. One check here covers every text field of every form, present and
//! future: a NUL that PostgreSQL refuses (a 500) and SQLite stores, a terminal escape in a
//! name, never reach the core. Payment webhooks are exempt: they are signed, and their
//! bytes must reach the signature check untouched.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tribune_core::text::control_character;

use super::error::{ApiError, AppError};

/// The largest body any form or JSON request may have (the admin's article form included).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Other,
}

pub async fn plain_text_only(request: Request, next: Next) -> Response {
    let kind = body_kind(request.headers());
    if let Some((field, c)) = request.uri().query().and_then(|q| control_in_form(q.as_bytes())) {
        return refuse(kind, AppError::BadRequest(control_message(&field, c)));
    }
    if kind == BodyKind::Other || request.uri().path().starts_with("/webhooks/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let declared =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return refuse(kind, AppError::PayloadTooLarge);
    }
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) if is_length_limit(&e) => return refuse(kind, AppError::PayloadTooLarge),
        Err(_) => return refuse(kind, AppError::BadRequest("The request's body could not be read.".into())),
    };
    let problem = match kind {
        BodyKind::Form => control_in_form(&bytes),
        _ => control_in_json(&bytes),
    };
    if let Some((field, c)) = problem {
        return refuse(kind, AppError::BadRequest(control_message(&field, c)));
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => BodyKind::Form,
        e if e == "application/json" || e.ends_with("+json") => BodyKind::Json,
        _ => BodyKind::Other,
    }
}

fn refuse(kind: BodyKind, error: AppError) -> Response {
    match kind {
        BodyKind::Json => ApiError(error).into_response(),
        _ => error.into_response(),
    }
}

fn control_message(field: &str, c: char) -> String {
    format!(
        "The field “{field}” contains a control character (U+{:04X}), which text may not contain. Remove it and try again.",
        u32::from(c)
    )
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The first field (name or value) of a URL-encoded form with a control character.
fn control_in_form(bytes: &[u8]) -> Option<(String, char)> {
    form_urlencoded::parse(bytes).find_map(|(name, value)| {
        let c = control_character(&name).or_else(|| control_character(&value))?;
        Some((name.chars().filter(|c| !c.is_control()).take(40).collect(), c))
    })
}

/// The first JSON string (key or value) with a control character, named by its key. A
/// body that is not JSON passes: the handler's own parser refuses it with its message.
fn control_in_json(bytes: &Bytes) -> Option<(String, char)> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    // An explicit stack: a deeply nested document cannot exhaust the thread's stack.
    let mut stack = vec![("(body)".to_owned(), &value)];
    while let Some((name, value)) = stack.pop() {
        match value {
            serde_json::Value::String(s) => {
                if let Some(c) = control_character(s) {
                    return Some((name, c));
                }
            }
            serde_json::Value::Array(items) => stack.extend(items.iter().map(|v| (name.clone(), v))),
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    if let Some(c) = control_character(key) {
                        return Some((key.chars().filter(|c| !c.is_control()).collect(), c));
                    }
                    stack.push((key.clone(), v));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_with_a_control_character() {
        assert_eq!(control_in_form(b"name=Ann&body=hi%00there"), Some(("body".into(), '\0')));
        assert_eq!(control_in_form(b"body=line%0D%0Abreak%09tab"), None);
        let json = Bytes::from_static(br#"{"author_name": "A", "body": "x\u0007"}"#);
        assert_eq!(control_in_json(&json), Some(("body".into(), '\u{7}')));
        assert_eq!(control_in_json(&Bytes::from_static(b"not json")), None);
    }
}
