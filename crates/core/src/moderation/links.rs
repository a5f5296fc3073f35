//! The links signal: what spam is for. Too many links, a denied domain, a trailing
//! "signature" link to a home page, a link-only comment, and a link in the author's name
//! (where a reader never needs one). One ordinary link in a real comment stays published.

use super::{Candidate, Outcome, Reason, Signal};

/// The site's link settings: domains always welcome, domains never.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRules {
    /// Links to these domains (and their subdomains) are not counted against a comment.
    pub allow: Vec<String>,
    /// A link to one of these domains refuses the comment.
    pub deny: Vec<String>,
    /// More links than this hold the comment.
    pub max_links: usize,
}

impl Default for LinkRules {
    fn default() -> Self {
        LinkRules { allow: Vec::new(), deny: Vec::new(), max_links: 3 }
    }
}

/// `example.com, news.example` to lower-case domains without a leading `www.`.
pub fn parse_domains(list: &str) -> Vec<String> {
    list.split(',')
        .map(|d| d.trim().trim_start_matches("www.").to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// One link found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub host: String,
    /// The path after the host, `""` for a home page.
    pub path: String,
    /// Where the link ends in the text, in bytes.
    pub end: usize,
}

/// The links in `text`: `http://`, `https://` and bare `www.` addresses, in Markdown or
/// not (a Markdown link's target is one of these too).
pub fn find_links(text: &str) -> Vec<Link> {
    let lower = text.to_ascii_lowercase();
    let mut links = Vec::new();
    let mut at = 0;
    while let Some(start) = next_link_start(&lower, at) {
        let after_scheme = lower[start..]
            .find("://")
            .map_or(start, |i| if i <= "https".len() { start + i + 3 } else { start });
        let end = lower[after_scheme..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '"' | '<' | '>' | '\''))
            .map_or(lower.len(), |i| after_scheme + i);
        let address = lower[after_scheme..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let (host, path) = address.split_once('/').map_or((address, ""), |(h, p)| (h, p));
        let host = host.split(':').next().unwrap_or(host).trim_start_matches("www.");
        if host.contains('.') {
            links.push(Link {
                host: host.to_owned(),
                path: path.trim_end_matches('/').to_owned(),
                end: after_scheme + address.len(),
            });
        }
        at = end.max(start + 1);
    }
    links
}

/// `text` with its links cut out (each from the start of the word it is in), for the
/// signals that judge words: an address is not language, and `t.co/4S4pnx4Q6r` must not
/// read as l33t.
pub fn without_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut kept_to = 0;
    for link in find_links(text) {
        let start = text[..link.end].rfind(|c: char| c.is_whitespace() || c == '(').map_or(0, |i| i + 1);
        out.push_str(&text[kept_to..start.max(kept_to)]);
        out.push(' ');
        kept_to = link.end;
    }
    out.push_str(&text[kept_to..]);
    out
}

fn next_link_start(lower: &str, from: usize) -> Option<usize> {
    ["http://", "https://", "www."]
        .iter()
        .filter_map(|p| lower[from..].find(p).map(|i| from + i))
        // `www.` inside `http://www.` belongs to the link already found.
        .filter(|&i| !lower[..i].ends_with("//"))
        .min()
}

fn on_list(host: &str, list: &[String]) -> bool {
    list.iter().any(|d| host == d || host.ends_with(&format!(".{d}")))
}

/// Top-level domains that, in a name, can only be an address.
const NAME_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "ru", "io", "co", "xyz", "top", "online", "site", "shop", "club",
    "store",
];

/// Whether a display name carries an address ("cheap-pills.com", "www.x.ru").
pub fn name_has_link(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    lower.split(|c: char| c.is_whitespace() || c == '@').any(|word| {
        let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        match word.rsplit_once('.') {
            Some((label, tld)) => !label.is_empty() && NAME_TLDS.contains(&tld),
            None => false,
        }
    })
}

fn reason(outcome: Outcome, detail: String, score: f32) -> Reason {
    Reason { signal: "links", outcome, detail, score }
}

impl Signal for LinkRules {
    fn judge(&self, c: &Candidate<'_>) -> Option<Reason> {
        if name_has_link(c.author_name) {
            return Some(reason(Outcome::Refuse, "a name cannot be a web address".into(), 1.0));
        }
        let links = find_links(c.body);
        if let Some(denied) = links.iter().find(|l| on_list(&l.host, &self.deny)) {
            return Some(reason(
                Outcome::Refuse,
                format!("links to {} are not allowed here", denied.host),
                1.0,
            ));
        }
        let counted: Vec<&Link> = links.iter().filter(|l| !on_list(&l.host, &self.allow)).collect();
        if counted.is_empty() {
            return None;
        }
        if counted.len() > self.max_links {
            return Some(reason(
                Outcome::Hold,
                format!("{} links", counted.len()),
                0.3 * counted.len() as f32,
            ));
        }
        if words_without_links(c.body) < 3 {
            return Some(reason(Outcome::Hold, "a link with hardly any text".into(), 0.7));
        }
        signature(c.body, &counted).map(|host| {
            reason(
                Outcome::Hold,
                format!("ends with a link to the home page of {host}, like a signature"),
                0.6,
            )
        })
    }
}

/// Words of text outside any link.
fn words_without_links(body: &str) -> usize {
    body.split_whitespace()
        .filter(|w| {
            let lower = w.to_ascii_lowercase();
            !(lower.contains("://") || lower.contains("www.") || lower.starts_with("]("))
                && w.chars().any(char::is_alphabetic)
        })
        .count()
}

/// A "signature": the comment's last line ends with a link to a site's home page (not to
/// a page that supports an argument), after text on earlier lines.
fn signature<'a>(body: &str, links: &[&'a Link]) -> Option<&'a str> {
    let trimmed = body.trim_end();
    let last_line_start = trimmed.rfind('\n')?;
    if !trimmed[..last_line_start].chars().any(char::is_alphabetic) {
        return None;
    }
    let last = links.iter().max_by_key(|l| l.end)?;
    let tail = &trimmed[last.end.min(trimmed.len())..];
    let at_end = tail.chars().all(|c| !c.is_alphanumeric());
    (last.end > last_line_start && at_end && last.path.is_empty()).then_some(last.host.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(body: &str) -> Option<Reason> {
        LinkRules::default().judge(&Candidate { body, author_name: "Ann" })
    }

    #[test]
    fn finds_links_in_markdown_and_plain_text() {
        let links =
            find_links("See [this](https://www.bbc.co.uk/news/x). Or www.example.org, or http://a.b:8080/c");
        let hosts: Vec<&str> = links.iter().map(|l| l.host.as_str()).collect();
        assert_eq!(hosts, ["bbc.co.uk", "example.org", "a.b"]);
        assert_eq!(links[0].path, "news/x");
    }

    #[test]
    fn one_ordinary_link_stays_published() {
        assert_eq!(
            judge("The BBC's report is here: https://www.bbc.com/news/world-middle-east-41930683"),
            None
        );
        assert_eq!(
            judge(
                "I disagree with the premise.\n\nThe full text is at https://www.un.org/en/sc/documents/resolutions/2015"
            ),
            None
        );
    }

    #[test]
    fn a_trailing_signature_link_is_held() {
        let r = judge("History was written in blood.\nReporting The Truth http://www.smoloko.com").unwrap();
        assert_eq!(r.outcome, Outcome::Hold);
        assert!(r.detail.contains("smoloko.com"), "{}", r.detail);
    }

    #[test]
    fn link_only_and_many_links_are_held() {
        assert_eq!(judge("http://cheap.example/pills").unwrap().outcome, Outcome::Hold);
        assert_eq!(judge("click [here](http://x.example/a)!").unwrap().outcome, Outcome::Hold);
        let many = "Read a.example/1 http://a.example/1 http://b.example/2 http://c.example/3 http://d.example/4 now";
        assert_eq!(judge(many).unwrap().detail, "4 links");
    }

    #[test]
    fn a_link_in_the_name_is_refused() {
        let rules = LinkRules::default();
        let named = |name| rules.judge(&Candidate { body: "Nice article, thanks.", author_name: name });
        assert_eq!(named("Cheap-Pills.com").unwrap().outcome, Outcome::Refuse);
        assert_eq!(named("Visit www.x.ru").unwrap().outcome, Outcome::Refuse);
        assert_eq!(named("J.R.R. Tolkien"), None);
        assert_eq!(named("Dr. Ann O. Smith"), None);
    }

    #[test]
    fn allow_and_deny_lists() {
        let rules = LinkRules {
            allow: parse_domains("example.org"),
            deny: parse_domains("www.spam.example"),
            max_links: 1,
        };
        let judge = |body| rules.judge(&Candidate { body, author_name: "Ann" });
        assert_eq!(judge("Two sources: http://example.org/a and https://docs.example.org/b agree."), None);
        let refused = judge("Buy at https://shop.spam.example/x today, friends.").unwrap();
        assert_eq!(refused.outcome, Outcome::Refuse);
    }
}
