//! Old addresses matched to articles: one page has many spellings (`http` or `https`, with
//! `www.` or without, a trailing slash, `index.html`, a query or a fragment), and a site
//! that moved has a new domain or path for all of them.

/// `link` as a key that all its spellings share: no scheme, no `www.`, the host in lower
/// case, no query, fragment, trailing `index.html` or trailing slash. Empty for no address.
pub fn normalized(link: &str) -> String {
    let link = link.trim();
    let rest = link.split_once("://").map_or(link, |(_, rest)| rest);
    let rest = rest.trim_start_matches('/');
    let rest = rest.split(['#', '?']).next().unwrap_or("");
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let host = host.strip_suffix(":80").or_else(|| host.strip_suffix(":443")).unwrap_or(host);
    let mut path = path.trim_end_matches('/');
    for index in ["index.html", "index.htm", "index.php"] {
        if let Some(rest) = path.strip_suffix(index).filter(|r| r.is_empty() || r.ends_with('/')) {
            path = rest.trim_end_matches('/');
        }
    }
    if path.is_empty() { host.to_owned() } else { format!("{host}/{path}") }
}

/// Why a `--url-map` rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlMapError {
    #[error("`{0}` is not OLD_PREFIX=NEW_PREFIX")]
    NoEquals(String),
    #[error("`{0}` has an empty old prefix")]
    EmptyOld(String),
}

/// Rules that rewrite an old domain or path prefix to a new one before matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlMap {
    /// Normalized (old, new) prefixes, longest old prefix first: the most specific wins.
    rules: Vec<(String, String)>,
}

impl UrlMap {
    /// Rules written `OLD_PREFIX=NEW_PREFIX`, in any spelling of either address.
    pub fn parse<S: AsRef<str>>(rules: &[S]) -> Result<UrlMap, UrlMapError> {
        let mut parsed = Vec::with_capacity(rules.len());
        for rule in rules {
            let rule = rule.as_ref();
            let (old, new) = rule.split_once('=').ok_or_else(|| UrlMapError::NoEquals(rule.to_owned()))?;
            let old = normalized(old);
            if old.is_empty() {
                return Err(UrlMapError::EmptyOld(rule.to_owned()));
            }
            parsed.push((old, normalized(new)));
        }
        parsed.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
        Ok(UrlMap { rules: parsed })
    }

    /// The normalized `link` with the first rule whose old prefix it starts with (at a
    /// `/` boundary: `example.com/blog` is not a prefix of `example.com/blogroll`) applied.
    pub fn apply(&self, link: &str) -> String {
        let link = normalized(link);
        for (old, new) in &self.rules {
            if let Some(rest) = link.strip_prefix(old.as_str()).filter(|r| r.is_empty() || r.starts_with('/'))
            {
                return normalized(&format!("{new}{rest}"));
            }
        }
        link
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_one_page_is_one_key() {
        let key = "example.com/2019/05/budget-vote";
        for spelling in [
            "https://example.com/2019/05/budget-vote",
            "http://www.example.com/2019/05/budget-vote/",
            "HTTPS://WWW.Example.COM/2019/05/budget-vote/index.html",
            "https://example.com/2019/05/budget-vote?utm_source=feed#comments",
            "//example.com:443/2019/05/budget-vote//",
            "  https://example.com/2019/05/budget-vote/index.php  ",
        ] {
            assert_eq!(normalized(spelling), key, "{spelling}");
        }
        // The path keeps its case (servers tell them apart) and a page named like an index
        // is still itself.
        assert_ne!(normalized("https://example.com/Budget"), normalized("https://example.com/budget"));
        assert_eq!(normalized("https://example.com/my-index.html"), "example.com/my-index.html");
        assert_eq!(normalized("https://example.com/"), "example.com");
        assert_eq!(normalized(""), "");
    }

    #[test]
    fn a_map_moves_old_prefixes_the_most_specific_first() {
        let map = UrlMap::parse(&[
            "http://old.example.org=https://news.example.com",
            "old.example.org/blog/=https://news.example.com/articles/",
        ])
        .unwrap();
        assert_eq!(map.apply("https://www.old.example.org/blog/vote/"), "news.example.com/articles/vote");
        assert_eq!(map.apply("https://old.example.org/about"), "news.example.com/about");
        assert_eq!(map.apply("https://old.example.org/blogroll"), "news.example.com/blogroll");
        assert_eq!(map.apply("https://elsewhere.net/blog/vote"), "elsewhere.net/blog/vote");
    }

    #[test]
    fn a_rule_without_both_sides_is_refused() {
        assert_eq!(UrlMap::parse(&["example.com"]), Err(UrlMapError::NoEquals("example.com".into())));
        assert_eq!(UrlMap::parse(&["=example.com"]), Err(UrlMapError::EmptyOld("=example.com".into())));
    }
}
