//! What a theme's templates are given besides the site: stories and the lists they make,
//! plain values built from the pages' own views (see docs/themes.md).

use serde::Serialize;

/// An article as a teaser shows it (`story` in docs/themes.md).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Story {
    pub title: String,
    pub url: String,
    pub summary: String,
    pub authors: Vec<Link>,
    /// The publication it first appeared in.
    pub syndicated: Option<Link>,
    pub date: Option<StoryDate>,
    pub comment_count: i64,
    pub tags: Vec<Link>,
    /// Only an image of the site's own media library (it has sizes and copies).
    pub image: Option<StoryImage>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Link {
    pub name: String,
    pub url: String,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct StoryDate {
    /// For `<time datetime>`.
    pub iso: String,
    /// For people: "1 March 2026".
    pub display: String,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct StoryImage {
    /// The copy the built-in teaser uses as `src`, then every copy as `srcset`, and the
    /// built-in layout's `sizes` for that teaser.
    pub src: String,
    pub srcset: String,
    pub sizes: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl Story {
    /// A story to check a teaser with at start: with every optional part, or none.
    pub(super) fn sample(full: bool) -> Story {
        let link = |name: &str, url: &str| Link { name: name.into(), url: url.into() };
        Story {
            title: "A sample story".into(),
            url: "/articles/a-sample-story".into(),
            summary: "What a teaser says of it.".into(),
            authors: if full { vec![link("Ann Writer", "/authors/ann-writer")] } else { vec![] },
            syndicated: full.then(|| link("The Other Paper", "https://other.example/story")),
            date: full
                .then(|| StoryDate { iso: "2026-03-01T08:00:00Z".into(), display: "1 March 2026".into() }),
            comment_count: if full { 3 } else { 0 },
            tags: if full { vec![link("City", "/tags/city")] } else { vec![] },
            image: full.then(|| StoryImage {
                src: "/media/1-480.jpg".into(),
                srcset: "/media/1-480.jpg 480w, /media/1.jpg 800w".into(),
                sizes: "100vw".into(),
                width: 800,
                height: 533,
                alt: "A sample picture".into(),
            }),
        }
    }
}

/// The front page's first page (`front.html`): the lead story, the newest others, and
/// sections by tag.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct FrontVars {
    /// The newest story with a picture, shown large; `none` when none has one.
    pub lead: Option<Story>,
    pub latest: Vec<Story>,
    pub sections: Vec<Section>,
    pub pager: PagerVars,
}

/// A tag's stories on the front page, none of them shown above it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    pub url: String,
    pub stories: Vec<Story>,
}

/// A list of articles (`list.html`): a tag's, an author's, or the front page's later pages.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ListVars {
    /// "Tagged “City”", "Articles by Ann Writer", or the site's title.
    pub heading: String,
    pub stories: Vec<Story>,
    pub pager: PagerVars,
    /// The list's own feeds' address without the ending (`/tags/city`: add `/feed.atom`,
    /// `/feed.rss` or `/feed.json`), or `none`.
    pub feed: Option<String>,
}

/// The addresses of the newer and older pages of a list, or `none` at either end.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct PagerVars {
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl FrontVars {
    /// A front page to check `front.html` with at start: full, or with nothing yet.
    pub(super) fn sample(full: bool) -> FrontVars {
        let stories = || vec![Story::sample(true), Story::sample(false)];
        FrontVars {
            lead: full.then(|| Story::sample(true)),
            latest: if full { stories() } else { vec![] },
            sections: match full {
                true => vec![Section { name: "City".into(), url: "/tags/city".into(), stories: stories() }],
                false => vec![],
            },
            pager: PagerVars::sample(full),
        }
    }
}

impl ListVars {
    /// A list to check `list.html` with at start: full, or empty.
    pub(super) fn sample(full: bool) -> ListVars {
        ListVars {
            heading: "Tagged “City”".into(),
            stories: if full { vec![Story::sample(true), Story::sample(false)] } else { vec![] },
            pager: PagerVars::sample(full),
            feed: full.then(|| "/tags/city".into()),
        }
    }
}

impl PagerVars {
    fn sample(full: bool) -> PagerVars {
        PagerVars { newer: full.then(|| "/?page=1".into()), older: full.then(|| "/?page=3".into()) }
    }
}

/// An error page (`error.html`): what went wrong, in words a reader can act on.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ErrorVars {
    /// The HTTP status: 404, 403, 429…
    pub status: u16,
    /// Its name: "Not Found", "Too Many Requests"…
    pub reason: String,
    /// What happened and what to do: "This page does not exist."
    pub message: String,
}

impl ErrorVars {
    pub(super) fn sample() -> ErrorVars {
        ErrorVars { status: 404, reason: "Not Found".into(), message: "This page does not exist.".into() }
    }
}
