//! An imported comment's HTML (Disqus and WordPress store comments as HTML) turned into the
//! Markdown our comments are written in, keeping what a reader wrote (paragraphs, line
//! breaks, emphasis, quotes, lists, code, links) and dropping the rest. The Markdown then
//! goes through the same renderer and sanitizer as a typed comment, so imported text is as
//! inert as typed text.

/// The markup kept: the comment subset, plus the tags old platforms spell it with.
const KEPT: [&str; 16] = [
    "p",
    "br",
    "em",
    "i",
    "strong",
    "b",
    "del",
    "s",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "div",
];

/// Built once (see `crate::comment`'s sanitizer).
static KEEPER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(KEPT)
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(None);
    b
});

/// `html` as comment Markdown. Script, style and every other element are dropped (their
/// text kept, except for script and style), and a link keeps only an http, https or
/// mailto address.
pub fn to_markdown(html: &str) -> String {
    let clean = KEEPER.clean(html).to_string();
    let mut md = Writer::default();
    let mut rest = clean.as_str();
    while let Some(open) = rest.find('<') {
        md.text(&unescaped(&rest[..open]));
        let close = rest[open..].find('>').map_or(rest.len(), |i| open + i);
        md.tag(&rest[open + 1..close]);
        rest = &rest[(close + 1).min(rest.len())..];
    }
    md.text(&unescaped(rest));
    md.finish()
}

/// Text as the sanitizer wrote it: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&nbsp;`, numbers.
fn unescaped(text: &str) -> String {
    let text = text.replace("&nbsp;", "\u{a0}");
    quick_xml::escape::unescape(&text).map_or_else(|_| text.clone(), |t| t.into_owned())
}

/// Markdown written as the tags and text come.
#[derive(Default)]
struct Writer {
    out: String,
    quotes: usize,
    /// Open lists: ordered or not, and the next number.
    lists: Vec<(bool, u32)>,
    /// Open links' addresses (none for a link whose address the sanitizer removed).
    links: Vec<Option<String>>,
    pre: bool,
    at_line_start: bool,
}

impl Writer {
    fn tag(&mut self, tag: &str) {
        let closing = tag.starts_with('/');
        let name =
            tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        match (name, closing) {
            ("p" | "div", _) => self.block_break(),
            ("br", _) => {
                self.out.push_str(if self.pre { "\n" } else { "\\\n" });
                self.at_line_start = true;
            }
            ("em" | "i", _) => self.inline("*"),
            ("strong" | "b", _) => self.inline("**"),
            ("del" | "s", _) => self.inline("~~"),
            ("code", _) if !self.pre => self.inline("`"),
            ("pre", false) => {
                self.block_break();
                self.raw_line("```");
                self.pre = true;
            }
            ("pre", true) => {
                self.pre = false;
                if !self.at_line_start {
                    self.out.push('\n');
                }
                self.at_line_start = true;
                self.raw_line("```");
                self.block_break();
            }
            ("blockquote", false) => {
                self.block_break();
                self.quotes += 1;
            }
            ("blockquote", true) => {
                self.quotes = self.quotes.saturating_sub(1);
                self.block_break();
            }
            ("ul" | "ol", false) => {
                self.block_break();
                self.lists.push((name == "ol", 1));
            }
            ("ul" | "ol", true) => {
                self.lists.pop();
                self.block_break();
            }
            ("li", false) => self.list_item(),
            ("a", false) => {
                self.links.push(href(tag));
                if self.links.last().is_some_and(Option::is_some) {
                    self.inline("[");
                }
            }
            ("a", true) => {
                if let Some(Some(address)) = self.links.pop() {
                    self.out.push_str(&format!(
                        "]({})",
                        address.replace(' ', "%20").replace('(', "%28").replace(')', "%29")
                    ));
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.pre {
            self.out.push_str(text);
            self.at_line_start = text.ends_with('\n');
            return;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            if !text.is_empty() && !self.at_line_start && !self.out.ends_with(' ') {
                self.out.push(' ');
            }
            return;
        }
        if text.starts_with(char::is_whitespace) && !self.at_line_start && !self.out.ends_with(' ') {
            self.out.push(' ');
        }
        self.start_line();
        self.out.push_str(&escaped(&words.join(" ")));
        if text.ends_with(char::is_whitespace) {
            self.out.push(' ');
        }
    }

    fn inline(&mut self, mark: &str) {
        self.start_line();
        self.out.push_str(mark);
    }

    /// The quote marks (and list indent) a new line starts with.
    fn start_line(&mut self) {
        if self.at_line_start {
            self.out.push_str(&"> ".repeat(self.quotes));
            self.out.push_str(&"    ".repeat(self.lists.len().saturating_sub(1)));
            self.at_line_start = false;
        }
    }

    fn raw_line(&mut self, line: &str) {
        self.start_line();
        self.out.push_str(line);
        self.out.push('\n');
        self.at_line_start = true;
    }

    fn list_item(&mut self) {
        if !self.at_line_start {
            self.out.push('\n');
            self.at_line_start = true;
        }
        let Some((ordered, next)) = self.lists.last_mut() else { return };
        let marker = if *ordered { format!("{next}. ") } else { "- ".to_owned() };
        *next += 1;
        self.start_line();
        self.out.push_str(&marker);
    }

    /// Ends the paragraph: a blank line (quoted inside a quote) before what follows.
    fn block_break(&mut self) {
        let trimmed = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed);
        if self.out.is_empty() || self.out.ends_with("\n\n") {
            self.at_line_start = true;
            return;
        }
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        if self.lists.is_empty() {
            self.out.push_str(">".repeat(self.quotes).as_str());
            self.out.push('\n');
        }
        self.at_line_start = true;
    }

    fn finish(self) -> String {
        self.out.trim().to_owned()
    }
}

/// The `href` the sanitizer kept, if any.
fn href(tag: &str) -> Option<String> {
    let start = tag.find("href=\"")? + "href=\"".len();
    let end = start + tag[start..].find('"')?;
    Some(unescaped(&tag[start..end])).filter(|h| !h.is_empty())
}

/// Text that Markdown must show as written, not read as markup.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '|' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comment::render_comment;

    #[test]
    fn what_a_reader_wrote_is_kept() {
        assert_eq!(
            to_markdown("<p>Hello <b>world</b>,</p><p>and <i>you</i>.</p>"),
            "Hello **world**,\n\nand *you*."
        );
        assert_eq!(to_markdown("one<br>two"), "one\\\ntwo");
        assert_eq!(
            to_markdown(r#"See <a href="https://www.bbc.co.uk/news/x">the BBC</a> report."#),
            "See [the BBC](https://www.bbc.co.uk/news/x) report."
        );
        assert_eq!(to_markdown("<ul><li>one</li><li>two</li></ul>"), "- one\n- two");
        assert_eq!(
            to_markdown("<blockquote>You said so.</blockquote><p>I did not.</p>"),
            "> You said so.\n\nI did not."
        );
        assert_eq!(to_markdown("<pre><code>let x = 1 * 2;</code></pre>"), "```\nlet x = 1 * 2;\n```");
    }

    #[test]
    fn rendered_again_it_reads_the_same() {
        let html = "<p>Hello <b>world</b>, see <a href=\"https://example.org/a_b\">this</a>.</p><blockquote><p>Quoted <i>words</i></p></blockquote><ol><li>first</li><li>second</li></ol>";
        let shown = render_comment(&to_markdown(html));
        for part in [
            "<strong>world</strong>",
            "href=\"https://example.org/a_b\"",
            "<blockquote>",
            "<em>words</em>",
            "<ol>",
            "<li>second</li>",
        ] {
            assert!(shown.contains(part), "{part} in {shown}");
        }
    }

    #[test]
    fn script_and_tricks_come_out_inert() {
        for attack in [
            "<script>alert(1)</script>Hi",
            "<img src=x onerror=alert(1)>Hi",
            "<a href=\"javascript:alert(1)\">Hi</a>",
            "<p onclick=\"alert(1)\">Hi</p>",
            "&lt;script&gt;alert(1)&lt;/script&gt;Hi",
            "<style>body{display:none}</style>Hi",
            "<svg><script>alert(1)</script></svg>Hi",
            "[Hi](javascript:alert(1))",
            "<a href=\"https://x.example/\" onmouseover=\"alert(1)\">Hi</a>",
        ] {
            let md = to_markdown(attack);
            let shown = render_comment(&md);
            assert!(shown.contains("Hi"), "{attack} -> {md} -> {shown}");
            for bad in [
                "<script",
                "onerror",
                "onclick",
                "href=\"javascript",
                "onmouseover",
                "<img",
                "<style",
                "<svg",
            ] {
                assert!(!shown.contains(bad), "{attack} -> {md} -> {shown}");
            }
        }
        assert!(render_comment(&to_markdown("&lt;script&gt;")).contains("&lt;script&gt;"), "shown as text");
        assert_eq!(to_markdown("2 * 3 = 6 and _x_"), "2 \\* 3 = 6 and \\_x\\_");
    }
}
