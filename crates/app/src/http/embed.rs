//! The discussion embedded under pages of other sites: the loader script, the framed
//! discussion, its posting and sign-in without cookies, and the no-script fallback link.
//! The frame is third-party on the embedding page, so browsers that block third-party
//! cookies send it none: who is posting travels in its forms instead (see ARCHITECTURE.md).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use serde::Deserialize;
use tribune_core::article::Article;
use tribune_core::comment::{CommentInput, Viewer};
use tribune_core::discussion::{self, DiscussionError, Origin};
use tribune_core::embed::{EmbedStore, PageAddress, discussion_for};
use tribune_core::store::{ArticleStore, SessionStore};
use tribune_core::thread::CommentSort;

use super::auth::{CurrentUser, SESSION_DAYS, guest_hash};
use super::client::ClientAddress;
use super::pages::CommentForm;
use super::thread_view::{self, CommentView, Scope, ThreadView};
use super::{AppError, AppState};
use crate::config::Config;
use crate::keys::{random_token, same_secret, token_hash};

/// Framed discussions rendered at once on a node; more wait for none and get 503.
pub const RENDERS_AT_ONCE: usize = 32;
/// A title longer than this (before it is cleaned and cut) is not a title.
const MAX_TITLE_PARAM_BYTES: usize = 2000;
/// The purposes of the frame's two tokens (see `Identity`).
const WHO: &str = "embed-who";
const FORM: &str = "embed-form";
/// The loader changes with a release, under a name publishers paste once: a day, then
/// asked again (with its ETag) while the old one is used meanwhile.
const LOADER_CACHE: &str = "public, max-age=86400, stale-while-revalidate=604800";
/// How long the pop-up's sign-in token may wait to be used.
const HANDOFF_SECONDS: i64 = 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/embed/comments.js", get(loader))
        .route("/embed/discussion", get(frame).post(post_comment))
        .route("/embed/signin", get(signin_popup).post(signin))
        .route("/discussion", get(fallback))
}

/// `/embed/comments.js`: the script publishers paste.
async fn loader(headers: HeaderMap) -> Response {
    super::assets::serve("embed.js", &headers, LOADER_CACHE)
}

/// What the loader passes to the frame, checked: the page, the embedding origin, its
/// title and a few theme values. Every form in the frame carries them back.
#[derive(Deserialize, Default, Clone)]
pub struct Params {
    #[serde(default)]
    page: String,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    accent: String,
    #[serde(default)]
    font: String,
    #[serde(default)]
    scheme: String,
}

/// The theme values as CSS: only forms that cannot break out of a declaration.
struct Theme {
    css: String,
}

impl Params {
    fn theme(&self) -> Result<Theme, AppError> {
        let bad =
            |name: &str, want: &str| AppError::BadRequest(format!("The {name} parameter must be {want}."));
        let mut css = String::from(":root{");
        if !self.accent.is_empty() {
            let hex = self.accent.strip_prefix('#').unwrap_or("");
            if !(matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Err(bad("accent", "a colour such as #0b5cad"));
            }
            css.push_str(&format!("--accent:#{hex};"));
        }
        let font = match self.font.as_str() {
            "" | "system" => None,
            "serif" => Some("Georgia,\"Times New Roman\",serif"),
            "sans-serif" => Some("\"Helvetica Neue\",Arial,sans-serif"),
            "monospace" => Some("ui-monospace,Menlo,Consolas,monospace"),
            _ => return Err(bad("font", "system, serif, sans-serif or monospace")),
        };
        if let Some(font) = font {
            css.push_str(&format!("--font:{font};"));
        }
        match self.scheme.as_str() {
            "" | "light" => {}
            "dark" => css.push_str(
                "--ink:#ececec;--muted:#b4b4b4;--line:#4a4a4a;--bg:#17191c;--soft:#24272b;color-scheme:dark;",
            ),
            _ => return Err(bad("scheme", "light or dark")),
        }
        if self.accent.is_empty() && self.scheme == "dark" {
            css.push_str("--accent:#8cc4ff;");
        }
        css.push('}');
        Ok(Theme { css })
    }

    fn address(&self) -> Result<PageAddress, AppError> {
        Ok(PageAddress::parse(&self.page)?)
    }

    /// The embedding page's origin, which the frame talks to: one on the allow list.
    fn parent_origin(&self, config: &Config) -> Result<String, AppError> {
        let parent = PageAddress::parse(&self.origin)
            .map_err(|_| AppError::BadRequest("The origin parameter is not an origin.".into()))?;
        if !config.embed_allow.allows(&parent.origin) {
            return Err(tribune_core::embed::EmbedError::NotAllowed(parent.origin).into());
        }
        Ok(parent.origin)
    }
}

/// Who is commenting in a frame that has no cookies. `who` is signed by the site: a guest
/// token made when the frame was first shown (`g:`), or a session made at sign-in (`s:`).
/// The form token is a keyed hash of `who`, so the two travel together and neither can be
/// made up; a page that frames us cannot read either (the frame is another origin).
struct Identity {
    who: String,
    form: String,
    viewer: Viewer,
    /// The guest token was made for this frame and has posted nothing yet.
    new_guest: bool,
}

impl Identity {
    fn new_guest(state: &AppState) -> Identity {
        let token = random_token();
        let who = state.keys.sign(WHO, &format!("g:{token}"));
        let viewer = Viewer { user: None, guest_token_hash: Some(guest_hash(state, &token)) };
        Identity { form: state.keys.keyed_hash(FORM, &who), who, viewer, new_guest: true }
    }

    fn session(state: &AppState, session_token: &str, user: tribune_core::user::User) -> Identity {
        let who = state.keys.sign(WHO, &format!("s:{session_token}"));
        let viewer = Viewer { user: Some(user), guest_token_hash: None };
        Identity { form: state.keys.keyed_hash(FORM, &who), who, viewer, new_guest: false }
    }

    /// The identity a form came back with; 403 unless both tokens are the site's and match.
    async fn from_form(state: &AppState, who: &str, form: &str) -> Result<Identity, AppError> {
        if !same_secret(&state.keys.keyed_hash(FORM, who), form) {
            return Err(AppError::CsrfMismatch);
        }
        let value = state.keys.verify(WHO, who).ok_or(AppError::CsrfMismatch)?;
        let viewer = match value.split_once(':') {
            Some(("g", token)) => Viewer { user: None, guest_token_hash: Some(guest_hash(state, token)) },
            Some(("s", token)) => {
                let user = state.store.session_user(&token_hash(token), Utc::now()).await?;
                // A session that ended (signed out elsewhere, expired) is a guest's frame again.
                match user.filter(|u| !u.must_change_password) {
                    Some(user) => Viewer { user: Some(user), guest_token_hash: None },
                    None => return Ok(Identity::new_guest(state)),
                }
            }
            _ => return Err(AppError::CsrfMismatch),
        };
        Ok(Identity { who: who.to_owned(), form: form.to_owned(), viewer, new_guest: false })
    }
}

#[derive(Template)]
#[template(path = "embed.html")]
struct FramePage<'a> {
    site: &'a Config,
    article: &'a Article,
    thread: ThreadView,
    /// For the included comment template; the frame's forms use `id.form` instead.
    csrf: &'a str,
    p: &'a Params,
    id: &'a Identity,
    parent: &'a str,
    nonce: &'a str,
    theme: &'a str,
    form: CommentForm,
    notice: Option<&'a str>,
    own_url: String,
}

#[derive(Template)]
#[template(path = "embed_actions.html")]
struct FrameActions<'a> {
    c: &'a CommentView,
}

/// Where each comment's actions go in the frame (see `reader_page`, which fills the same).
const HOLE: &str = "<!--tribune:reader-->";

/// `GET /embed/discussion`: the framed discussion of `page`, created on its first use.
async fn frame(State(state): State<AppState>, client: ClientAddress, Query(p): Query<Params>) -> Response {
    let id = Identity::new_guest(&state);
    let result = async {
        let article = find(&state, &client, &p).await?;
        render_frame(&state, &article, &p, &id, CommentForm::default(), None).await
    };
    with_frame_policy(&state, result.await)
}

#[derive(Deserialize)]
struct PostForm {
    #[serde(flatten)]
    p: Params,
    #[serde(default)]
    who: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    author_name: String,
    #[serde(default)]
    author_email: String,
    notify_replies: Option<String>,
}

/// `POST /embed/discussion`: a comment from the frame, through the same use case as on the
/// site; the frame is shown again with it (a redirect would lose who is posting).
async fn post_comment(
    State(state): State<AppState>,
    client: ClientAddress,
    axum::Form(f): axum::Form<PostForm>,
) -> Response {
    let result = async {
        let id = Identity::from_form(&state, &f.who, &f.form).await?;
        let article = find(&state, &client, &f.p).await?;
        let parent_id = match f.parent_id.trim() {
            "" => None,
            p => Some(
                p.parse::<i64>()
                    .map_err(|_| AppError::BadRequest("parent_id is not a comment id.".into()))?,
            ),
        };
        let input = CommentInput {
            body: f.body.clone(),
            parent_id,
            author_name: Some(f.author_name.clone()),
            author_email: Some(f.author_email.clone()),
            notify_replies: f.notify_replies.is_some(),
        };
        let origin = Origin {
            new_guest: id.new_guest,
            email_hash: super::comments::email_hash(&state, &id.viewer, &f.author_email),
            ..client.origin()
        };
        let rules = state.discussion_rules();
        let posted =
            discussion::post_comment(&state.store, &article, &input, &id.viewer, &origin, &rules, Utc::now())
                .await;
        match posted {
            Ok(comment) => {
                state.mail_queued();
                state.changed(crate::coherence::Change::Discussion(&article)).await;
                let pending = comment.status == tribune_core::comment::CommentStatus::Pending;
                let notice = pending.then_some("Your comment awaits a moderator.");
                // Read again: its comment count now counts the new comment.
                let article = state.store.article_by_id(article.id).await?.ok_or(AppError::NotFound)?;
                render_frame(&state, &article, &f.p, &id, CommentForm::default(), notice).await
            }
            Err(e @ (DiscussionError::Invalid(_) | DiscussionError::Refused(_))) => {
                let errors = match &e {
                    DiscussionError::Invalid(errors) => {
                        errors.iter().map(super::comments::form_message).collect()
                    }
                    refused => vec![format!("{}.", super::error::capitalized(&refused.to_string()))],
                };
                let kept = CommentForm {
                    body: f.body,
                    author_name: f.author_name,
                    author_email: f.author_email,
                    notify_replies: f.notify_replies.is_some(),
                    parent_id,
                    errors,
                };
                let page = render_frame(&state, &article, &f.p, &id, kept, None).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            Err(e) => Err(e.into()),
        }
    };
    with_frame_policy(&state, result.await)
}

/// The discussion of the page the parameters name, after checking who embeds it.
async fn find(state: &AppState, client: &ClientAddress, p: &Params) -> Result<Article, AppError> {
    let site = state.site();
    p.parent_origin(&site)?;
    if p.title.len() > MAX_TITLE_PARAM_BYTES {
        return Err(AppError::BadRequest("The title parameter is too long.".into()));
    }
    let address = p.address()?;
    Ok(discussion_for(&state.store, &site.embed_allow, &address, &p.title, &client.hash, Utc::now()).await?)
}

async fn render_frame(
    state: &AppState,
    article: &Article,
    p: &Params,
    id: &Identity,
    form: CommentForm,
    notice: Option<&str>,
) -> Result<Response, AppError> {
    let _rendering = state.embed_renders.try_acquire().map_err(|_| AppError::Busy)?;
    let site = state.site();
    let theme = p.theme()?;
    let parent = p.parent_origin(&site)?;
    let order = (CommentSort::default(), None);
    let mut thread =
        thread_view::load(&state.store, &site, article, &id.viewer, Scope::article(article), order).await?;
    for c in &mut thread.comments {
        c.hole = true;
    }
    let actions = thread
        .comments
        .iter()
        .filter(|c| c.appearance == "full")
        .map(|c| FrameActions { c }.render())
        .collect::<Result<Vec<_>, _>>()?;
    let nonce = random_token();
    let page = FramePage {
        site: &site,
        article,
        thread,
        csrf: "",
        p,
        id,
        parent: &parent,
        nonce: &nonce,
        theme: &theme.css,
        form,
        notice,
        own_url: site.url(&format!("/articles/{}", article.slug)),
    };
    let html = page.render()?;
    let mut pieces = html.split(HOLE);
    let mut filled = String::with_capacity(html.len() + actions.iter().map(String::len).sum::<usize>());
    filled.push_str(pieces.next().unwrap_or(""));
    for (piece, action) in pieces.zip(actions.iter().map(String::as_str).chain(std::iter::repeat(""))) {
        filled.push_str(action);
        filled.push_str(piece);
    }
    let csp = format!(
        "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'nonce-{nonce}'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors {}",
        frame_ancestors(&site)
    );
    let headers = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
    ];
    Ok((headers, Html(filled)).into_response())
}

/// Exactly the configured origins may frame the discussion; none when there are none.
fn frame_ancestors(site: &Config) -> String {
    match site.embed_allow.as_slice() {
        [] => "'none'".into(),
        origins => origins.join(" "),
    }
}

/// An error inside the frame is shown in the frame (the site's own policy would refuse to
/// be framed, and the reader would see the browser's blank refusal instead).
fn with_frame_policy(state: &AppState, result: Result<Response, AppError>) -> Response {
    match result {
        Ok(response) => response,
        Err(e) => {
            let csp = format!(
                "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {}",
                frame_ancestors(&state.site())
            );
            let mut response = e.into_response();
            if let Ok(value) = HeaderValue::from_str(&csp) {
                response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
            }
            response
        }
    }
}

#[derive(Template)]
#[template(path = "embed_signin.html")]
struct SigninPopup<'a> {
    site: &'a Config,
    name: &'a str,
    token: &'a str,
}

/// `GET /embed/signin`, opened as a first-party pop-up by the frame: the reader signs in
/// as usual (cookies work here), then this page hands the frame a one-use token by
/// `postMessage` to the frame's window, which is this site's origin.
async fn signin_popup(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, AppError> {
    let token = random_token();
    state
        .store
        .add_handoff(&token_hash(&token), user.id, Utc::now() + Duration::seconds(HANDOFF_SECONDS))
        .await?;
    let page = SigninPopup { site: &state.site(), name: &user.name, token: &token };
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((no_store, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct SigninForm {
    #[serde(flatten)]
    p: Params,
    #[serde(default)]
    handoff: String,
}

/// `POST /embed/signin`: the frame trades the pop-up's token (once, within a minute) for
/// a session of its own, which its forms then carry.
async fn signin(
    State(state): State<AppState>,
    client: ClientAddress,
    axum::Form(f): axum::Form<SigninForm>,
) -> Response {
    let result = async {
        let now = Utc::now();
        let user_id = state.store.take_handoff(&token_hash(&f.handoff), now).await?;
        let user_id =
            user_id.ok_or_else(|| AppError::Forbidden("This sign-in has expired. Try again.".into()))?;
        let session = random_token();
        state
            .store
            .create_session(&token_hash(&session), user_id, now, now + Duration::days(SESSION_DAYS))
            .await?;
        let user =
            state.store.session_user(&token_hash(&session), now).await?.ok_or(AppError::CsrfMismatch)?;
        let id = Identity::session(&state, &session, user);
        let article = find(&state, &client, &f.p).await?;
        render_frame(&state, &article, &f.p, &id, CommentForm::default(), None).await
    };
    with_frame_policy(&state, result.await)
}

#[derive(Deserialize)]
struct FallbackQuery {
    #[serde(default)]
    page: String,
}

/// `/discussion?page=URL`: the no-script link under an embedding page leads to the
/// discussion's page on this site. Never creates one (a link is followed by anything).
async fn fallback(
    State(state): State<AppState>,
    Query(q): Query<FallbackQuery>,
) -> Result<Response, AppError> {
    let address = PageAddress::parse(&q.page)?;
    if !state.site().embed_allow.allows(&address.origin) {
        return Err(tribune_core::embed::EmbedError::NotAllowed(address.origin).into());
    }
    let article = state.store.embedded_discussion(&address.url).await?.ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/articles/{}#comments", article.slug)).into_response())
}
