//! What goes over the wire: pages in the encoding a client asks for (decoding to the very
//! bytes of the plain page, the reader's token and the funding bar included), an ETag and
//! a 304 per variant, caching headers for browsers and CDNs, hashed assets, the icon, and
//! absolute URLs that no request header can change. On SQLite and on PostgreSQL.

mod common;

use std::io::Read;

use chrono::Utc;
use common::{Browser, TestApp, article};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    pages_come_in_the_encoding_asked_for_and_decode_to_the_plain_page,
    each_variant_has_its_own_etag_and_304,
    strangers_pages_may_be_kept_by_a_cdn_readers_pages_may_not,
    a_page_from_the_cache_goes_out_as_it_did_when_rendered,
    assets_live_under_hashed_names_for_a_year,
    large_pages_rendered_per_request_are_compressed_too,
    absolute_urls_ignore_forged_host_headers,
);

/// A response's status, headers and raw bytes (reqwest here decodes nothing).
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The body as the client would read it, after undoing `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("content-encoding") {
            "" => out.clone_from(&self.body),
            "gzip" => {
                flate2::read::GzDecoder::new(&self.body[..]).read_to_end(&mut out).expect("valid gzip");
            }
            "br" => {
                brotli::Decompressor::new(&self.body[..], 4096).read_to_end(&mut out).expect("valid brotli");
            }
            other => panic!("unexpected encoding {other}"),
        }
        out
    }
}

/// A browser that has been to the site: it has the cookie its forms' token is bound to.
async fn visitor(app: &TestApp) -> Browser {
    let b = app.browser();
    b.csrf().await;
    b
}

/// GET `path` as `browser` (its cookies), with these extra request headers.
async fn fetch(app: &TestApp, browser: &Browser, path: &str, headers: &[(&str, &str)]) -> Raw {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client.get(format!("{}{path}", app.url));
    let cookies = browser.cookie_header();
    if !cookies.is_empty() {
        request = request.header("cookie", cookies);
    }
    for (name, value) in headers {
        request = request.header(HeaderName::from_bytes(name.as_bytes()).unwrap(), *value);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    Raw { status, headers, body: response.bytes().await.unwrap().to_vec() }
}

async fn ae(app: &TestApp, browser: &Browser, path: &str, accept_encoding: &str) -> Raw {
    fetch(app, browser, path, &[("accept-encoding", accept_encoding)]).await
}

/// A site with a funding goal (so every page has the bar) and an article with comments.
async fn site(db: TestDatabase) -> TestApp {
    let app = TestApp::new(db).await;
    let month = tribune_core::funding::month::Month::containing(Utc::now(), app.state.config.tz());
    tribune_core::funding::donations::set_goal(
        &app.state.store,
        month,
        "5000",
        "USD",
        &[],
        None,
        Default::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    app.state.invalidate(vec!["funding".into()]).await;
    let mut input = article("Wire Sizes", &["Ada"], &["Town"], Utc::now());
    input.body_markdown = "Words the town council said about the budget, again and again. ".repeat(200);
    app.publish(input).await;
    let poster = app.browser();
    for i in 0..3 {
        poster.post_comment("wire-sizes", &format!("Comment number {i} on the budget."), "Bo").await;
    }
    app.settle().await;
    app
}

async fn pages_come_in_the_encoding_asked_for_and_decode_to_the_plain_page(db: TestDatabase) {
    let app = site(db).await;
    let b = visitor(&app).await;
    // The front page has no form: gzip and brotli, both made once.
    let plain = ae(&app, &b, "/", "identity").await;
    assert!(String::from_utf8_lossy(&plain.body).contains("Wire Sizes"));
    assert!(String::from_utf8_lossy(&plain.body).contains("5,000"), "the funding bar is on it");
    let cases = [
        ("br, gzip", "br"),
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0.5, gzip;q=0.9", "gzip"),
        ("br;q=0, gzip;q=0", ""),
        ("identity", ""),
        ("", ""),
    ];
    for (accept, expected) in cases {
        let page = ae(&app, &b, "/", accept).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.header("content-encoding"), expected, "Accept-Encoding: {accept:?}");
        assert_eq!(page.header("vary"), "accept-encoding");
        assert!(page.decoded() == plain.body, "{accept:?} decodes to the plain page");
        if !expected.is_empty() {
            assert!(page.body.len() * 2 < plain.body.len(), "{accept:?}: {} bytes", page.body.len());
        }
    }
    let none = fetch(&app, &b, "/", &[]).await;
    assert!(none.header("content-encoding").is_empty() && none.body == plain.body, "no header: plain");

    // The article page holds this reader's token, spliced between segments compressed once.
    let plain = ae(&app, &b, "/articles/wire-sizes", "identity").await;
    let text = String::from_utf8_lossy(&plain.body).into_owned();
    let token = text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(token.len() > 20 && text.contains("Comment number 2") && text.contains("5,000"));
    for (accept, expected) in
        [("gzip", "gzip"), ("br, gzip", "br"), ("br;q=1, gzip;q=0.1", "br"), ("br", "br")]
    {
        let page = ae(&app, &b, "/articles/wire-sizes", accept).await;
        assert_eq!(page.header("content-encoding"), expected, "{accept:?}");
        assert!(page.decoded() == plain.body, "{accept:?}: byte for byte, this reader's token in place");
        assert!(page.body.len() * 4 < plain.body.len(), "{} of {} bytes", page.body.len(), plain.body.len());
    }

    // Another reader gets their own token in the same compressed page.
    let other = visitor(&app).await;
    let theirs_plain = ae(&app, &other, "/articles/wire-sizes", "").await.body;
    assert!(theirs_plain != plain.body);
    for accept in ["gzip", "br"] {
        let theirs = ae(&app, &other, "/articles/wire-sizes", accept).await.decoded();
        assert!(theirs == theirs_plain, "{accept}: their own token");
    }
}

async fn each_variant_has_its_own_etag_and_304(db: TestDatabase) {
    let app = site(db).await;
    let b = visitor(&app).await;
    for path in ["/", "/articles/wire-sizes"] {
        let mut etags = Vec::new();
        for accept in ["br", "gzip", "identity"] {
            let page = ae(&app, &b, path, accept).await;
            let etag = page.header("etag").to_owned();
            assert!(!etag.is_empty(), "{path} {accept}");
            let again = fetch(&app, &b, path, &[("accept-encoding", accept), ("if-none-match", &etag)]).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {accept}");
            assert!(again.body.is_empty() && again.header("etag") == etag);
            assert_eq!(again.header("vary"), "accept-encoding");
            let weak = format!("W/{etag}");
            let weakly =
                fetch(&app, &b, path, &[("accept-encoding", accept), ("if-none-match", &weak)]).await;
            assert_eq!(weakly.status, StatusCode::NOT_MODIFIED, "a proxy's weakened ETag matches too");
            etags.push(etag);
        }
        etags.sort();
        etags.dedup();
        assert_eq!(etags.len(), 3, "{path}: {etags:?}");
        // A gzip ETag does not stand for the plain page.
        let gz_etag = etags.iter().find(|e| e.ends_with("-gz\"")).expect("a gzip ETag").clone();
        let plain = fetch(&app, &b, path, &[("if-none-match", &gz_etag)]).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
    }
}

async fn strangers_pages_may_be_kept_by_a_cdn_readers_pages_may_not(db: TestDatabase) {
    let app = site(db).await;
    let stranger = visitor(&app).await;
    let front = ae(&app, &stranger, "/", "gzip").await;
    let cc = front.header("cache-control");
    assert!(cc.starts_with("public") && cc.contains("s-maxage=") && cc.contains("stale-while-revalidate="));
    assert!(ae(&app, &stranger, "/feed.atom", "gzip").await.header("cache-control").starts_with("public"));
    let article = ae(&app, &stranger, "/articles/wire-sizes", "gzip").await;
    assert_eq!(article.header("cache-control"), "private, no-cache", "it holds this reader's token");

    let editor = app.signed_in("Eve", tribune_core::user::Role::Editor).await;
    assert_eq!(ae(&app, &editor, "/", "gzip").await.header("cache-control"), "private, no-cache");
    let own = ae(&app, &editor, "/articles/wire-sizes", "gzip").await;
    assert!(own.header("cache-control").contains("private"), "{:?}", own.headers);
    assert!(own.header("etag").is_empty(), "rendered for this reader");
}

/// A stranger's page, once cached, is answered before routing (`front_door`): it must go
/// out with everything the router would have given it.
async fn a_page_from_the_cache_goes_out_as_it_did_when_rendered(db: TestDatabase) {
    let app = site(db).await;
    let nobody = Browser::new(&app.url);
    let rendered = ae(&app, &nobody, "/articles/wire-sizes", "br, gzip").await;
    let cached = ae(&app, &nobody, "/articles/wire-sizes", "br, gzip").await;
    assert_eq!((rendered.status, cached.status), (StatusCode::OK, StatusCode::OK));
    let same = [
        "content-type",
        "content-encoding",
        "cache-control",
        "vary",
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ];
    for name in same {
        assert!(!cached.header(name).is_empty(), "{name} on the cached page");
        assert_eq!(rendered.header(name), cached.header(name), "{name}");
    }
    // Each cookie-less request is a new browser: its own id cookie, and its own token.
    let token_of = |raw: &Raw| {
        let page = String::from_utf8(raw.decoded()).unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("the comment form") + marker.len();
        page[start..].split('"').next().unwrap().to_owned()
    };
    assert!(cached.header("set-cookie").starts_with("tribune_csrf="), "{:?}", cached.headers);
    assert_ne!(token_of(&rendered), token_of(&cached));
    assert_ne!(rendered.header("etag"), cached.header("etag"), "the token is part of the page");

    // A browser holding the cached version is told it is current.
    let visitor = visitor(&app).await;
    let mine = ae(&app, &visitor, "/articles/wire-sizes", "br").await;
    let etag = mine.header("etag").to_owned();
    let again =
        fetch(&app, &visitor, "/articles/wire-sizes", &[("accept-encoding", "br"), ("if-none-match", &etag)])
            .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(token_of(&mine), visitor.get("/articles/wire-sizes").await.csrf(), "its token kept");

    // What is not a stranger's plain GET still goes through the router: a HEAD, a query.
    let head = reqwest::Client::new().head(format!("{}/articles/wire-sizes", app.url)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key("content-security-policy"));
    let query = ae(&app, &nobody, "/articles/wire-sizes?sort=newest", "gzip").await;
    assert_eq!(query.status, StatusCode::OK);
    assert_eq!(query.header("content-security-policy"), cached.header("content-security-policy"));
}

async fn assets_live_under_hashed_names_for_a_year(db: TestDatabase) {
    let app = site(db).await;
    let b = visitor(&app).await;
    let page = String::from_utf8(ae(&app, &b, "/articles/wire-sizes", "").await.body).unwrap();
    let link = |prefix: &str| -> String {
        let start = page.find(prefix).unwrap_or_else(|| panic!("{prefix} in the page")) + prefix.len();
        page[start..].split('"').next().unwrap().to_owned()
    };
    let css = link("<link rel=\"stylesheet\" href=\"");
    let js = link("<script src=\"");
    let icon = link("<link rel=\"icon\" href=\"");
    for (url, kind) in [(&css, "text/css"), (&js, "text/javascript"), (&icon, "image/svg+xml")] {
        assert!(url.starts_with("/assets/") && url.split('.').count() == 3, "{url}");
        let asset = ae(&app, &b, url, "br, gzip").await;
        assert_eq!(asset.status, StatusCode::OK, "{url}");
        assert_eq!(asset.header("cache-control"), "public, max-age=31536000, immutable");
        assert!(asset.header("content-type").starts_with(kind), "{url}");
        assert_eq!(asset.header("content-encoding"), "br");
        let etag = asset.header("etag").to_owned();
        let again = fetch(&app, &b, url, &[("accept-encoding", "br"), ("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        let old_name = url.replace("/assets/", "/static/");
        let (stem, ext) = (old_name.split('.').next().unwrap(), old_name.rsplit('.').next().unwrap());
        let by_name = ae(&app, &b, &format!("{stem}.{ext}"), "").await;
        assert_eq!(by_name.status, StatusCode::OK, "the old name still answers");
        assert!(asset.decoded() == by_name.body, "{url}");
        assert!(!by_name.header("cache-control").contains("immutable"));
        // A page from before an upgrade still gets a stylesheet, but not for a year.
        let stale =
            ae(&app, &b, &format!("{}.0123456789.{ext}", stem.replace("/static/", "/assets/")), "").await;
        assert_eq!(stale.status, StatusCode::OK);
        assert!(stale.body == by_name.body && stale.header("cache-control") == "no-cache");
    }
    let ico = ae(&app, &b, "/favicon.ico", "gzip").await;
    assert_eq!((ico.status, ico.header("content-type")), (StatusCode::OK, "image/x-icon"));
    assert!(ico.body.starts_with(&[0, 0, 1, 0]), "an icon file");
    assert_eq!(ae(&app, &b, "/assets/nothing.0123456789.css", "").await.status, StatusCode::NOT_FOUND);
}

async fn large_pages_rendered_per_request_are_compressed_too(db: TestDatabase) {
    let app = site(db).await;
    let b = visitor(&app).await;
    // A search is rendered for each request, not cached.
    let plain = ae(&app, &b, "/search?q=budget", "").await;
    let gz = ae(&app, &b, "/search?q=budget", "gzip").await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert!(gz.decoded() == plain.body && gz.body.len() < plain.body.len());
    // Too small to gain: sent as it is.
    let tiny = ae(&app, &b, "/healthz", "gzip").await;
    assert!(tiny.header("content-encoding").is_empty());
}

async fn absolute_urls_ignore_forged_host_headers(db: TestDatabase) {
    let app = site(db).await;
    let b = visitor(&app).await;
    let forged =
        [("host", "evil.example"), ("x-forwarded-host", "evil.example"), ("x-forwarded-proto", "https")];
    let base = &app.state.config.base_url;
    let page = String::from_utf8(fetch(&app, &b, "/articles/wire-sizes", &forged).await.body).unwrap();
    assert!(
        page.contains(&format!("<link rel=\"canonical\" href=\"{base}/articles/wire-sizes\">")),
        "{page}"
    );
    for feed in ["/feed.atom", "/feed.rss", "/feed.json", "/sitemap.xml"] {
        let body = String::from_utf8(fetch(&app, &b, feed, &forged).await.body).unwrap();
        assert!(body.contains(&format!("{base}/articles/wire-sizes")), "{feed}");
        assert!(!body.contains("evil.example"), "{feed}");
    }
    assert!(!page.contains("evil.example"));
    let redirect = fetch(&app, &b, "/admin", &forged).await;
    assert!(redirect.status.is_redirection(), "{}", redirect.status);
    let location = redirect.header("location");
    assert!(location.starts_with('/') || location.starts_with(base.as_str()), "{location}");
    assert!(!location.contains("evil"), "{location}");
}
