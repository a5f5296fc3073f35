//! The discussion of a page on another site: the page's address reduced to one key, the
//! allow list of origins whose pages may have one, and the use case that finds or creates it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::article::Article;
use crate::slug::Slug;
use crate::store::{StoreError, ThrottleStore};
use crate::throttle::{self, Policy, ThrottleError, Throttled};

/// A page address longer than this is refused: real ones are far shorter.
pub const MAX_URL_BYTES: usize = 2000;
/// The title the embedding script sends is cut to this many characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// New discussions from one client address: a reader opens a few new pages a day, a
/// script opening made-up addresses is slowed at once.
pub const CREATE_PER_ADDRESS: Policy = Policy {
    action: "embed-create-address",
    free: 20,
    first_wait: Duration::from_secs(10),
    max_wait: Duration::from_secs(3600),
    forget_after: Duration::from_secs(24 * 3600),
};

/// New discussions for one origin, whoever asks: a blog publishes a few pages a day.
pub const CREATE_PER_ORIGIN: Policy = Policy {
    action: "embed-create-origin",
    free: 200,
    first_wait: Duration::from_secs(1),
    max_wait: Duration::from_secs(600),
    forget_after: Duration::from_secs(24 * 3600),
};

/// A page's address as the discussion knows it: scheme and host in lower case, no default
/// port, no query or fragment, no trailing `/` or `index.html`. So `https://Blog.example/a/`
/// and `https://blog.example/a?utm=x#top` share one discussion, and a query cannot be
/// varied to make new ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAddress {
    /// `https://blog.example` (with a port when not the default).
    pub origin: String,
    /// The origin and the path: the key the discussion is found by, and a link to the page.
    pub url: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum EmbedError {
    #[error("the page address is not usable: {0}")]
    BadAddress(&'static str),
    #[error("this site does not host discussions for pages of {0}")]
    NotAllowed(String),
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ThrottleError> for EmbedError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Throttled(t) => EmbedError::Throttled(t),
            ThrottleError::Store(s) => EmbedError::Store(s),
        }
    }
}

impl PageAddress {
    pub fn parse(raw: &str) -> Result<PageAddress, EmbedError> {
        let raw = raw.trim();
        if raw.len() > MAX_URL_BYTES {
            return Err(EmbedError::BadAddress("it is too long"));
        }
        let (origin, rest) = split_origin(raw)?;
        let path = rest.split(['?', '#']).next().unwrap_or("");
        if !path.bytes().all(|b| b.is_ascii_graphic() && !b"<>\"\\`^{}|".contains(&b)) {
            return Err(EmbedError::BadAddress("its path has characters an address cannot hold"));
        }
        let path = path.strip_suffix("index.html").unwrap_or(path).trim_end_matches('/');
        Ok(PageAddress { url: format!("{origin}{}", if path.is_empty() { "/" } else { path }), origin })
    }

    /// A slug for the discussion's page on this site, from the host and path.
    pub fn slug(&self) -> Slug {
        let text = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        let text: String = format!("discussion {text}").chars().take(80).collect();
        Slug::from_text(&text).unwrap_or_else(|_| Slug::parse("discussion").expect("a valid slug"))
    }
}

/// `scheme://host[:port]` in its normal form, and what follows it.
fn split_origin(raw: &str) -> Result<(String, &str), EmbedError> {
    let (scheme, rest) =
        raw.split_once("://").ok_or(EmbedError::BadAddress("it is not an absolute address"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return Err(EmbedError::BadAddress("it is not an http:// or https:// address")),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    let authority = authority.to_ascii_lowercase();
    let host_ok = !authority.is_empty()
        && authority.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        && !authority.starts_with(':');
    if !host_ok {
        return Err(EmbedError::BadAddress("its host is not a plain host name"));
    }
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Ok((format!("{scheme}://{authority}"), rest))
}

/// The origins whose pages may have a discussion here (`embed_origins`), in normal form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(Vec<String>);

impl Origins {
    /// A comma- or space-separated list of `scheme://host[:port]`; the bad entry on error.
    pub fn parse(list: &str) -> Result<Origins, String> {
        let mut origins = Vec::new();
        for entry in list.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
            match split_origin(entry) {
                Ok((origin, "" | "/")) => {
                    if !origins.contains(&origin) {
                        origins.push(origin);
                    }
                }
                _ => return Err(entry.to_owned()),
            }
        }
        Ok(Origins(origins))
    }

    /// Whether `origin` (already in normal form, as [`PageAddress::origin`]) is listed.
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The title the embedding page gave, made safe to store: composed, no control or
/// direction characters, one line, bounded; the address when nothing is left.
pub fn page_title(given: &str, address: &PageAddress) -> String {
    let cleaned: String = crate::text::normalized(given)
        .chars()
        .map(|c| if c.is_control() || crate::text::is_direction_control(c) { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let title: String = words.join(" ").chars().take(MAX_TITLE_CHARS).collect();
    if crate::text::has_visible(&title) { title } else { address.url.chars().take(MAX_TITLE_CHARS).collect() }
}

/// What a new embedded discussion is made of.
#[derive(Debug, Clone)]
pub struct NewEmbedded {
    pub address: PageAddress,
    pub title: String,
    pub slug: Slug,
}

/// Where embedded discussions are kept: an article of kind `embedded` per page address.
pub trait EmbedStore {
    /// The discussion of the page at `url` (a [`PageAddress::url`]), if it has one.
    async fn embedded_discussion(&self, url: &str) -> Result<Option<Article>, StoreError>;
    /// Creates the discussion, or returns the one a concurrent request created first.
    async fn create_embedded_discussion(
        &self,
        new: &NewEmbedded,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError>;
    /// Keeps a sign-in handoff token (by its hash) for `user_id` until `expires_at`.
    async fn add_handoff(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The user a handoff token was made for, once: the token is gone after, or expired.
    async fn take_handoff(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<i64>, StoreError>;
}

/// The discussion of the page at `address`: found, or created on its first use when its
/// origin is allowed (counted per client address hash and per origin first). A page of
/// an origin no longer allowed gets nothing, even if it had a discussion.
pub async fn discussion_for<S: EmbedStore + ThrottleStore>(
    store: &S,
    origins: &Origins,
    address: &PageAddress,
    given_title: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Article, EmbedError> {
    if !origins.allows(&address.origin) {
        return Err(EmbedError::NotAllowed(address.origin.clone()));
    }
    if let Some(article) = store.embedded_discussion(&address.url).await? {
        return Ok(article);
    }
    throttle::admit(store, &CREATE_PER_ADDRESS, client, now).await?;
    throttle::admit(store, &CREATE_PER_ORIGIN, &address.origin, now).await?;
    let new = NewEmbedded {
        address: address.clone(),
        title: page_title(given_title, address),
        slug: address.slug(),
    };
    Ok(store.create_embedded_discussion(&new, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> String {
        PageAddress::parse(s).unwrap().url
    }

    #[test]
    fn one_page_has_one_address() {
        assert_eq!(url("https://Blog.Example/posts/a/"), "https://blog.example/posts/a");
        assert_eq!(url("https://blog.example:443/posts/a?utm=1#c"), "https://blog.example/posts/a");
        assert_eq!(url("HTTPS://blog.example/posts/a/index.html"), "https://blog.example/posts/a");
        assert_eq!(url("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(url("http://blog.example:80/"), "http://blog.example/");
        assert_eq!(
            PageAddress::parse("https://blog.example:8443/x").unwrap().origin,
            "https://blog.example:8443"
        );
    }

    #[test]
    fn refuses_what_is_not_a_web_page_address() {
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "ftp://x.example/",
            "https://user@x.example/",
            "https:///path",
            "https://x.example/<script>",
            "https://x.example/a b",
            &format!("https://x.example/{}", "a".repeat(MAX_URL_BYTES)),
        ] {
            assert!(PageAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_allow_list_is_exact_origins() {
        let origins = Origins::parse("https://Blog.example, http://127.0.0.1:8080/").unwrap();
        assert!(origins.allows(&PageAddress::parse("https://blog.example/a").unwrap().origin));
        assert!(origins.allows(&PageAddress::parse("http://127.0.0.1:8080/x").unwrap().origin));
        assert!(!origins.allows(&PageAddress::parse("http://blog.example/a").unwrap().origin));
        assert!(!origins.allows(&PageAddress::parse("https://evil.blog.example/a").unwrap().origin));
        assert_eq!(Origins::parse("https://blog.example/path"), Err("https://blog.example/path".into()));
        assert_eq!(Origins::parse("*"), Err("*".into()));
        assert!(Origins::parse("").unwrap().is_empty());
    }

    #[test]
    fn titles_are_one_bounded_line() {
        let a = PageAddress::parse("https://blog.example/a").unwrap();
        assert_eq!(page_title("  Hello\n\u{202e}world\u{7} ", &a), "Hello world");
        assert_eq!(page_title(" \u{200b} ", &a), "https://blog.example/a");
        assert_eq!(page_title(&"x".repeat(1000), &a).chars().count(), MAX_TITLE_CHARS);
        assert_eq!(a.slug().as_str(), "discussion-blog-example-a");
    }
}
