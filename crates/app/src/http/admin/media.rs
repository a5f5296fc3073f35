//! The media library: upload an image (also from the article editor), see every image with
//! its path and Markdown to copy, delete one no article uses.

use askama::Template;
use axum::Router;
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tribune_core::media::{Media, MediaStore, SHOWN_BY_AT_MOST, add_media, delete_media};
use tribune_core::store::PageRequest;
use tribune_core::user::User;

use crate::coherence::Change;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfMultipart, CsrfToken};
use crate::http::error::encode_component;
use crate::http::pages::PageParam;
use crate::http::views::Pager;
use crate::http::{AppError, AppState, render};

/// Room for the form's other fields and the multipart framing beside the file.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
/// The alt text and the return address are short; a longer field is refused, not read.
const MAX_TEXT_FIELD_BYTES: usize = 8 * 1024;
const PER_PAGE: u32 = 30;

pub fn router(state: &AppState) -> Router<AppState> {
    let upload_limit = state.config.media_max_bytes + FORM_OVERHEAD_BYTES;
    Router::new()
        .route("/admin/media", get(library).post(upload).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/admin/media/{name}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "admin/media.html")]
struct LibraryPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    items: Vec<Media>,
    pager: Pager,
    notice: Option<String>,
    added: Option<Media>,
    max_mib: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LibraryQuery {
    page: Option<String>,
    added: Option<String>,
    deleted: Option<String>,
}

async fn library(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    if !me.can_write_articles() {
        return Err(AppError::Forbidden("Your role does not include articles and their images.".into()));
    }
    let number = PageParam { page: q.page.clone() }.number()?;
    let page = state.store.list_media(PageRequest::new(number, PER_PAGE)).await?;
    let added = match q.added.as_deref() {
        Some(name) => state.store.media_by_names(&[name]).await?.into_iter().next(),
        None => None,
    };
    let site = state.site();
    let view = LibraryPage {
        site: &site,
        me: &me,
        csrf: &csrf.token,
        pager: Pager::new("/admin/media", &page),
        items: page.items,
        notice: q.deleted.map(|name| format!("Deleted {name}.")),
        added,
        max_mib: mib(state.config.media_max_bytes),
    };
    let html = render(&view)?;
    Ok((csrf, html).into_response())
}

/// "10 MiB", "1.5 MiB": the limit as the form states it.
pub fn mib(bytes: usize) -> String {
    let tenths = bytes * 10 / (1024 * 1024);
    if tenths.is_multiple_of(10) {
        format!("{} MiB", tenths / 10)
    } else {
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

async fn upload(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    headers: HeaderMap,
    CsrfMultipart(mut form): CsrfMultipart,
) -> Result<Response, AppError> {
    let max = state.config.media_max_bytes;
    // Refused before the body is read, when the client says how large it is.
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max + FORM_OVERHEAD_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    let (mut file, mut alt, mut back) = (None, String::new(), String::new());
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                file = Some((file_name, read_field(field, max).await?));
            }
            Some("alt") => alt = text_field(field).await?,
            Some("back") => back = text_field(field).await?,
            _ => {}
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return Err(AppError::Unprocessable(
            "The field “file” is required: choose an image to upload.".into(),
        ));
    };
    let media = add_media(&state.store, &*state.work, Some(&me), &file_name, bytes, &alt).await?;
    // Articles may have shown its path before it existed: their cached pages lack it.
    let shown_by = state.store.articles_using_media(&media.name, SHOWN_BY_AT_MOST).await?;
    state.changed(Change::MediaAdded(&shown_by)).await;
    let name = encode_component(&media.name);
    // Back to the article being edited, if the form came from one.
    let target = match back.strip_prefix("/admin/articles/").and_then(|id| id.parse::<i64>().ok()) {
        Some(id) => format!("/admin/articles/{id}?uploaded={name}#media"),
        None => format!("/admin/media?added={name}"),
    };
    Ok(Redirect::to(&target).into_response())
}

/// The whole field, refused with 413 as soon as it passes `max` bytes.
async fn read_field(mut field: Field<'_>, max: usize) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > max {
            return Err(AppError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn text_field(field: Field<'_>) -> Result<String, AppError> {
    let name = field.name().unwrap_or("").to_owned();
    let bytes = read_field(field, MAX_TEXT_FIELD_BYTES)
        .await
        .map_err(|_| AppError::Unprocessable(format!("The field “{name}” is too long.")))?;
    String::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest(format!("The field “{name}” is not UTF-8 text.")))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(format!("The upload could not be read ({}). Try again.", e.body_text()))
    }
}

#[derive(Deserialize)]
struct DeleteForm {}

async fn delete(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(name): Path<String>,
    CsrfForm(DeleteForm {}): CsrfForm<DeleteForm>,
) -> Result<Response, AppError> {
    let media = delete_media(&state.store, &me, &name).await?;
    Ok(Redirect::to(&format!("/admin/media?deleted={}", encode_component(&media.name))).into_response())
}
