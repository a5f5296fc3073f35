//! The articles being commented on, kept for a moment. A busy discussion takes thousands
//! of posts a second on one article, and each needs the article (is it public, are its
//! comments open, which pages does a new comment make stale): reading it every time was
//! a fair share of a post's cost. Every change to an article made here forgets them all
//! at once; one made on another node (or at the command line) reaches this node through
//! the shared invalidation log, as its pages do; and none is kept longer than `KEPT_FOR`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tribune_core::article::Article;

/// The longest an article is used without reading it again.
const KEPT_FOR: Duration = Duration::from_secs(1);
/// Enough for every discussion that is busy at one time.
const MOST_KEPT: usize = 1024;

#[derive(Default)]
pub struct Commented {
    inner: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    articles: HashMap<String, (Instant, Article)>,
    /// Counts the forgets: an article read before one is not kept after it, since the
    /// change may have come between the read and the keeping.
    generation: u64,
}

impl Commented {
    /// The article at `slug`, if kept and fresh; with the generation to keep a read under.
    pub fn get(&self, slug: &str) -> (Option<Article>, u64) {
        let kept = self.inner.lock().expect("commented articles");
        let fresh = kept.articles.get(slug).filter(|(at, _)| at.elapsed() < KEPT_FOR);
        (fresh.map(|(_, article)| article.clone()), kept.generation)
    }

    /// Keeps an article read under `generation`, unless something was forgotten since.
    pub fn keep(&self, article: &Article, generation: u64) {
        let mut kept = self.inner.lock().expect("commented articles");
        if kept.generation != generation {
            return;
        }
        if kept.articles.len() >= MOST_KEPT {
            kept.articles.retain(|_, (at, _)| at.elapsed() < KEPT_FOR);
            if kept.articles.len() >= MOST_KEPT {
                kept.articles.clear();
            }
        }
        kept.articles.insert(article.slug.as_str().to_owned(), (Instant::now(), article.clone()));
    }

    /// An article changed (here or elsewhere): none is used again without reading it.
    pub fn forget_all(&self) {
        let mut kept = self.inner.lock().expect("commented articles");
        kept.articles.clear();
        kept.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(slug: &str) -> Article {
        let now = chrono::Utc::now();
        Article {
            id: 1,
            kind: Default::default(),
            slug: tribune_core::slug::Slug::parse(slug).unwrap(),
            title: String::new(),
            summary: String::new(),
            body_markdown: String::new(),
            body_html: String::new(),
            status: tribune_core::article::ArticleStatus::Published,
            published_at: Some(now),
            created_at: now,
            updated_at: now,
            syndication: None,
            image: None,
            authors: vec![],
            tags: vec![],
            comments_closed: false,
            comment_count: 0,
            supporters_only: false,
        }
    }

    #[test]
    fn a_read_from_before_a_forget_is_not_kept() {
        let commented = Commented::default();
        let (none, generation) = commented.get("a");
        assert!(none.is_none());
        commented.keep(&article("a"), generation);
        assert!(commented.get("a").0.is_some());
        let (_, before) = commented.get("b");
        commented.forget_all();
        assert!(commented.get("a").0.is_none(), "forgotten");
        commented.keep(&article("b"), before);
        assert!(commented.get("b").0.is_none(), "read before the change: not kept");
    }
}
