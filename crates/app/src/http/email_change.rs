//! The page the link confirming a new address opens: its button (never the GET, which mail
//! scanners follow) makes it the account's address and tells the old one. Works without
//! signing in: the link itself is the proof that the address belongs to its holder.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::account_mail::{AccountMailError, confirm_email_change, email_change_link};

use super::csrf::{CsrfForm, CsrfToken};
use super::password_reset::{link_hash, page};
use super::{AppError, AppState};
use crate::account_mail::SiteAccountMail;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/email/{token}", get(confirm_page).post(confirm))
        .route("/account/email-changed", get(changed))
}

const TITLE: &str = "Confirm your new address";
const BAD_LINK: &str = "This link is not valid any more: it works once, for a day, and not for an \
                        address another account has. Ask again on your account page.";

async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let link = match link_hash(&token) {
        Some(hash) => match email_change_link(&state.store, &hash, Utc::now()).await {
            Ok(link) => Some(link),
            Err(AccountMailError::BadLink) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let Some(link) = link else {
        return page(&state, csrf, StatusCode::BAD_REQUEST, TITLE, BAD_LINK, "", None);
    };
    let said = format!("Make {} the address of your account?", link.email);
    page(&state, csrf, StatusCode::OK, TITLE, &said, "confirm", None)
}

async fn changed(State(state): State<AppState>, csrf: CsrfToken) -> Result<Response, AppError> {
    let said = "Your account has its new address: messages from the site go there from now on.";
    page(&state, csrf, StatusCode::OK, "Address changed", said, "", None)
}

#[derive(Deserialize)]
struct Nothing {}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<Response, AppError> {
    let Some(hash) = link_hash(&token) else {
        return page(&state, csrf, StatusCode::BAD_REQUEST, TITLE, BAD_LINK, "", None);
    };
    // A link mailed before mail was turned off still works; the old address's notice
    // waits in the outbox until mail is on again.
    let composer = SiteAccountMail { config: state.site(), keys: state.keys.clone() };
    match confirm_email_change(&state.store, &composer, &hash, Utc::now()).await {
        Ok(_) => {
            state.mail_queued();
            tracing::info!("address changed by its link");
            Ok(Redirect::to("/account/email-changed").into_response())
        }
        Err(AccountMailError::BadLink) => {
            page(&state, csrf, StatusCode::BAD_REQUEST, TITLE, BAD_LINK, "", None)
        }
        Err(e) => Err(e.into()),
    }
}
