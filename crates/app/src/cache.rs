//! Rendered pages kept in memory, so that a published page costs no database query.
//! Each page lists the keys of what it shows (`front`, `article:{slug}`, `tag:{slug}`,
//! `author:{slug}`); a write drops exactly the pages whose keys it touches, on this node at
//! once and on every other node (and from the command line) through the store's log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use tribune_core::article::Article;
use tribune_core::publishing::Saved;

use crate::compress::Variants;

pub const FRONT: &str = "front";

pub fn article_key(slug: &str) -> String {
    format!("article:{slug}")
}

pub fn tag_key(slug: &str) -> String {
    format!("tag:{slug}")
}

pub fn author_key(slug: &str) -> String {
    format!("author:{slug}")
}

/// The keys of every page an article appears on: its own page, the front page (and the
/// site feeds and sitemap, which share its key), and its tags' and authors' pages.
pub fn keys_of(article: &Article) -> Vec<String> {
    let mut keys = vec![FRONT.to_owned(), article_key(article.slug.as_str())];
    keys.extend(article.tags.iter().map(|t| tag_key(t.slug.as_str())));
    keys.extend(article.authors.iter().map(|a| author_key(a.slug.as_str())));
    keys
}

/// What a save made stale: the pages the article was on before, and those it is on now.
pub fn keys_of_change(saved: &Saved) -> Vec<String> {
    let mut keys = keys_of(&saved.article);
    if let Some(previous) = &saved.previous {
        keys.extend(keys_of(previous));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Where a cached HTML page takes the part that changes on its own schedule (the funding
/// bar): the page is stored in pieces around it and put together per bar version.
pub const HOLE: &str = "<!--tribune:funding-bar-->";

/// Where a cached page's form takes the reader's own CSRF token. The page is kept in
/// segments around it, and each response sends the segments with the token between them,
/// without copying the page.
pub const FORM_TOKEN: &str = "<!--tribune:csrf-->";

#[derive(Debug)]
pub struct CachedPage {
    /// The page split at each [`HOLE`]; one piece when it has none.
    pieces: Vec<Bytes>,
    pub content_type: &'static str,
    has_form: bool,
    etag: String,
    keys: Vec<String>,
    /// The page last put together, with the version of the filling it holds, split at
    /// each [`FORM_TOKEN`], with its compressed forms.
    assembled: RwLock<Option<(u64, Arc<Variants>)>>,
    /// The route that rendered it (`/articles/{slug}`), for the metrics; `None` for what
    /// the `front_door` must not serve (an [`Extra`]).
    pub route: Option<Box<str>>,
    /// What a handler keeps in place of bytes, dropped with the page's keys like any page
    /// (the discussion that signed-in readers' pages are filled from: `http::reader_page`).
    pub extra: Option<Extra>,
}

/// See [`CachedPage::extra`].
pub struct Extra(pub Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Extra")
    }
}

/// A page in the segments between its form tokens; one segment when it has no form.
pub type Segments = Arc<[Bytes]>;

fn segments(body: &[u8]) -> Segments {
    let mut out = Vec::new();
    let mut rest = body;
    let token = FORM_TOKEN.as_bytes();
    while let Some(at) = rest.windows(token.len()).position(|w| w == token) {
        out.push(Bytes::copy_from_slice(&rest[..at]));
        rest = &rest[at + token.len()..];
    }
    out.push(Bytes::copy_from_slice(rest));
    out.into()
}

impl CachedPage {
    fn new(body: String, content_type: &'static str, etag: String, keys: Vec<String>) -> Self {
        let pieces = body.split(HOLE).map(|p| Bytes::copy_from_slice(p.as_bytes())).collect();
        let has_form = body.contains(FORM_TOKEN);
        let assembled = RwLock::new(None);
        CachedPage { pieces, content_type, has_form, etag, keys, assembled, route: None, extra: None }
    }

    pub fn has_hole(&self) -> bool {
        self.pieces.len() > 1
    }

    /// The page with its holes filled by `filling` (version `version`), in segments
    /// around its form tokens; put together (and compressed) once per version and shared
    /// by every response.
    pub fn body(&self, version: u64, filling: &Bytes) -> Arc<Variants> {
        if let Some((v, body)) = self.assembled.read().expect("page lock").as_ref()
            && (*v == version || !self.has_hole())
        {
            return body.clone();
        }
        let mut body = Vec::with_capacity(self.pieces.iter().map(Bytes::len).sum::<usize>() + filling.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(filling);
            }
            body.extend_from_slice(piece);
        }
        let body = Arc::new(Variants::new(segments(&body)));
        *self.assembled.write().expect("page lock") = Some((version, body.clone()));
        body
    }

    /// The page has a form that needs the reader's own token.
    pub fn has_form(&self) -> bool {
        self.has_form
    }

    /// Changes with the page and, for a page with holes, with what fills them.
    pub fn etag(&self, version: u64) -> String {
        if self.has_hole() {
            format!("\"{}-{version:x}\"", self.etag.trim_matches('"'))
        } else {
            self.etag.clone()
        }
    }
}

#[derive(Debug)]
pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    capacity: usize,
    /// Bumped by every invalidation: a page rendered before one may already be stale and
    /// is not stored.
    generation: AtomicU64,
    stored: AtomicU64,
    /// Lookups that found their page, and those that did not (for the metrics).
    hits: AtomicU64,
    misses: AtomicU64,
    /// One render at a time per page (striped by path): when a popular page is dropped,
    /// the readers who arrive meanwhile wait for that one render instead of each doing it.
    renders: [tokio::sync::Mutex<()>; RENDER_STRIPES],
}

const RENDER_STRIPES: usize = 64;

impl PageCache {
    pub fn new(capacity: usize) -> Self {
        PageCache {
            pages: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
            generation: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            renders: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }

    pub fn get(&self, path: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().expect("page cache lock").get(path).cloned();
        let counter = if page.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        page
    }

    /// [`PageCache::get`] counting only a hit: on a miss the caller asks `get` again.
    pub fn hit(&self, path: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().expect("page cache lock").get(path).cloned()?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(page)
    }

    /// Lookups since start: (found, not found).
    pub fn lookups(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Held while `path` is rendered; see `renders`.
    pub fn render_slot(&self, path: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(path);
        &self.renders[(hash % RENDER_STRIPES as u64) as usize]
    }

    /// Read before rendering, passed to [`PageCache::insert`] after.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page that `route` rendered at `generation` unless an invalidation came in
    /// between; returns the page either way, for this response.
    pub fn insert(
        &self,
        path: String,
        route: &str,
        content_type: &'static str,
        body: String,
        keys: Vec<String>,
        generation: u64,
    ) -> Arc<CachedPage> {
        let serial = self.stored.fetch_add(1, Ordering::Relaxed);
        let etag = format!("\"{:x}-{:x}\"", serial, body.len());
        let mut page = CachedPage::new(body, content_type, etag, keys);
        page.route = Some(route.into());
        self.store(path, page, generation)
    }

    /// Stores `extra` under `path` and `keys` like a page, unless an invalidation came in
    /// since `generation`; returns it either way.
    pub fn insert_extra<T: std::any::Any + Send + Sync>(
        &self,
        path: String,
        extra: T,
        keys: Vec<String>,
        generation: u64,
    ) -> Arc<T> {
        let extra = Arc::new(extra);
        let mut page = CachedPage::new(String::new(), "", String::new(), keys);
        page.extra = Some(Extra(extra.clone()));
        self.store(path, page, generation);
        extra
    }

    fn store(&self, path: String, page: CachedPage, generation: u64) -> Arc<CachedPage> {
        let page = Arc::new(page);
        let mut pages = self.pages.write().expect("page cache lock");
        if self.generation.load(Ordering::Acquire) == generation {
            if pages.len() >= self.capacity {
                // Crude but bounded: a full cache starts over rather than tracking recency.
                pages.clear();
            }
            pages.insert(path, page.clone());
        }
        page
    }

    /// Drops every page that shows any of `keys`; a key ending in `*` is a prefix.
    pub fn invalidate(&self, keys: &[String]) {
        let mut pages = self.pages.write().expect("page cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        pages.retain(|_, page| !page.keys.iter().any(|k| keys.iter().any(|dropped| matches(dropped, k))));
    }

    /// Drops every page, those without keys too.
    pub fn invalidate_all(&self) {
        let mut pages = self.pages.write().expect("page cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        pages.clear();
    }

    /// Pages rendered into the cache since start (a measure of how well it works).
    pub fn pages_stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    pub fn len(&self) -> usize {
        self.pages.read().expect("page cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn matches(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => pattern == key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn drops_exactly_the_pages_that_show_a_key() {
        let cache = PageCache::new(100);
        let g = cache.generation();
        cache.insert("/".into(), "/", "text/html", "front".into(), keys(&["front"]), g);
        cache.insert("/articles/a".into(), "/", "text/html", "a".into(), keys(&["article:a"]), g);
        cache.insert("/tags/x".into(), "/", "text/html", "x".into(), keys(&["tag:x"]), g);
        cache.insert("/tags/y".into(), "/", "text/html", "y".into(), keys(&["tag:y"]), g);
        cache.invalidate(&keys(&["article:a", "tag:x"]));
        assert!(cache.get("/articles/a").is_none() && cache.get("/tags/x").is_none());
        assert_eq!(cache.get("/").unwrap().body(0, &Bytes::new()).identity[..], [Bytes::from("front")]);
        assert!(cache.get("/tags/y").is_some());
        cache.invalidate(&keys(&["tag:*"]));
        assert!(cache.get("/tags/y").is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_page_rendered_before_an_invalidation_is_not_stored() {
        let cache = PageCache::new(100);
        let before = cache.generation();
        cache.invalidate(&keys(&["front"]));
        let page = cache.insert("/".into(), "/", "text/html", "stale".into(), keys(&["front"]), before);
        assert_eq!(
            page.body(0, &Bytes::new()).identity[..],
            [Bytes::from("stale")],
            "the response still gets the page"
        );
        assert!(cache.get("/").is_none());
    }

    #[test]
    fn holes_are_filled_per_version() {
        let cache = PageCache::new(10);
        let html = format!("<header>{HOLE}</header><main>x</main>");
        let page = cache.insert("/".into(), "/", "text/html", html, vec![], cache.generation());
        let one = |s: &str| vec![Bytes::from(s.to_owned())];
        assert_eq!(
            page.body(1, &Bytes::from("<bar>1</bar>")).identity[..],
            one("<header><bar>1</bar></header><main>x</main>")
        );
        assert_eq!(
            page.body(2, &Bytes::from("<bar>2</bar>")).identity[..],
            one("<header><bar>2</bar></header><main>x</main>")
        );
        assert_ne!(page.etag(1), page.etag(2));
        let feed =
            cache.insert("/feed".into(), "/", "text/xml", "<feed/>".into(), vec![], cache.generation());
        assert_eq!(
            (feed.body(3, &Bytes::from("bar")).identity[..].to_vec(), feed.etag(3)),
            (one("<feed/>"), feed.etag(4))
        );
        assert!(!feed.has_form());
    }

    #[test]
    fn forms_are_kept_in_segments_around_their_token() {
        let cache = PageCache::new(10);
        let html = format!("<header>{HOLE}</header><input value=\"{FORM_TOKEN}\"><b>{FORM_TOKEN}</b>");
        let page = cache.insert("/a".into(), "/", "text/html", html, vec![], cache.generation());
        assert!(page.has_form());
        let segments = page.body(1, &Bytes::from("bar"));
        assert_eq!(
            segments.identity[..],
            [Bytes::from("<header>bar</header><input value=\""), Bytes::from("\"><b>"), Bytes::from("</b>")]
        );
    }

    #[test]
    fn stays_within_capacity() {
        let cache = PageCache::new(3);
        for i in 0..10 {
            cache.insert(format!("/{i}"), "/", "text/html", String::new(), vec![], cache.generation());
        }
        assert!(cache.len() <= 3);
    }
}
