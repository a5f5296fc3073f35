//! WordPress's "autop" text made explicit HTML, as WordPress does before showing it: its
//! editor saves paragraphs as blank lines and line breaks as newlines, mixed with HTML.
//!
//! The output is also Markdown that CommonMark reads as raw HTML blocks only, so nothing in
//! the text is taken for Markdown syntax: every top-level block starts a line with a block
//! tag (`<p>` wrapped around bare text), and blank lines appear only between top-level
//! blocks (a `<pre>`'s newlines are written `&#10;`). Safety is the sanitizer's job after.

/// Block-level elements: they end a paragraph, and text is never wrapped around them.
const BLOCKS: [&str; 40] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Blocks whose bare text is paragraphs; elsewhere (a heading, a list item) it stays inline.
const FLOW: [&str; 9] =
    ["article", "aside", "blockquote", "details", "div", "footer", "header", "main", "section"];

/// Elements whose content is kept exactly: WordPress leaves them alone too.
const RAW: [&str; 4] = ["pre", "script", "style", "textarea"];

/// `text` with its paragraphs and line breaks as HTML, and HTML comments (Gutenberg's block
/// markers, `<!--more-->`) dropped.
pub(super) fn autop(text: &str) -> String {
    let text = captions_as_figures(&without_comments(&text.replace("\r\n", "\n").replace('\r', "\n")));
    let mut out = Out::default();
    let (mut text_from, mut at) = (0, 0);
    while let Some(found) = text[at..].find('<') {
        let start = at + found;
        let Some(tag) = Tag::at(&text[start..]).filter(|t| t.is_block() || t.is_raw()) else {
            at = start + 1;
            continue;
        };
        out.text(&text[text_from..start]);
        at = if tag.is_raw() {
            let end = raw_end(&text, start + tag.len, &tag.name);
            out.raw(&text[start..end]);
            end
        } else {
            out.block_tag(&text[start..start + tag.len], &tag);
            start + tag.len
        };
        text_from = at;
    }
    out.text(&text[text_from..]);
    out.html
}

fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("<!--") {
        out.push_str(&rest[..open]);
        rest = rest[open + 4..].find("-->").map_or("", |close| &rest[open + 4 + close + 3..]);
    }
    out.push_str(rest);
    out
}

/// `[caption …]<img …> Text[/caption]`, the shortcode classic WordPress wraps around an
/// image with a caption, as the figure it shows; older posts keep the text in `caption="…"`.
fn captions_as_figures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("[caption") {
        let Some(close) = rest[open..].find("[/caption]").map(|i| open + i) else { break };
        let Some(inside) = rest[open..close].find(']').map(|i| open + i + 1) else { break };
        let (media, mut caption) = rest[inside..close].split_at(media_end(&rest[inside..close]));
        if caption.trim().is_empty() {
            caption = shortcode_attribute(&rest[open..inside], "caption").unwrap_or_default();
        }
        out.push_str(&rest[..open]);
        out.push_str(&format!("<figure>{}", media.trim()));
        if !caption.trim().is_empty() {
            out.push_str(&format!("<figcaption>{}</figcaption>", caption.trim()));
        }
        out.push_str("</figure>");
        rest = &rest[close + "[/caption]".len()..];
    }
    out.push_str(rest);
    out
}

/// Where a caption's image (and the link around it) ends, and its text starts.
fn media_end(inside: &str) -> usize {
    let Some(image) = inside.find("<img") else { return 0 };
    let Some(end) = tag_end(&inside[image + 1..]).map(|len| image + 1 + len) else { return 0 };
    match inside[end..].trim_start().strip_prefix("</a>") {
        Some(rest) => inside.len() - rest.len(),
        None => end,
    }
}

/// A shortcode's `name="value"`.
fn shortcode_attribute<'a>(shortcode: &'a str, name: &str) -> Option<&'a str> {
    let from = shortcode.find(&format!(" {name}=\""))? + name.len() + 3;
    shortcode[from..].find('"').map(|len| &shortcode[from..from + len])
}

/// Where a raw element opened at `from` ends: after its closing tag, or at the end.
fn raw_end(text: &str, from: usize, name: &str) -> usize {
    let closing = format!("</{name}");
    let Some(close) = text[from..].to_ascii_lowercase().find(&closing) else { return text.len() };
    let close = from + close;
    text[close..].find('>').map_or(text.len(), |end| close + end + 1)
}

/// A start or end tag as written.
struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    /// Bytes up to and including its `>`.
    len: usize,
}

impl Tag {
    /// The tag `text` starts with, if it starts with one.
    fn at(text: &str) -> Option<Tag> {
        let after = text.strip_prefix('<')?;
        let closing = after.starts_with('/');
        let name_from = usize::from(closing);
        let name: String =
            after[name_from..].chars().take_while(char::is_ascii_alphanumeric).collect::<String>();
        let follows = after[name_from + name.len()..].chars().next()?;
        if !name.starts_with(|c: char| c.is_ascii_alphabetic())
            || !(follows.is_whitespace() || "/>".contains(follows))
        {
            return None;
        }
        let len = 1 + tag_end(after)?;
        let self_closing = text[..len].ends_with("/>");
        Some(Tag { name: name.to_ascii_lowercase(), closing, self_closing, len })
    }

    fn is_block(&self) -> bool {
        BLOCKS.contains(&self.name.as_str())
    }

    fn is_raw(&self) -> bool {
        !self.closing && RAW.contains(&self.name.as_str())
    }

    fn is_void(&self) -> bool {
        self.self_closing || matches!(self.name.as_str(), "hr" | "col")
    }
}

/// The length of a tag's inside up to its `>`, quoted `>`s skipped.
fn tag_end(after_lt: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in after_lt.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The HTML being written, and the blocks open at this point.
#[derive(Default)]
struct Out {
    html: String,
    open: Vec<String>,
}

impl Out {
    fn in_flow(&self) -> bool {
        self.open.last().is_none_or(|tag| FLOW.contains(&tag.as_str()))
    }

    /// A block starts on a line of its own; at the top level after a blank line, which
    /// CommonMark needs to start a new HTML block and nothing else ever has.
    fn new_block(&mut self) {
        let gap = if self.open.is_empty() { "\n\n" } else { "\n" };
        if !self.html.is_empty() && !self.html.ends_with(gap) {
            let trimmed = self.html.trim_end_matches('\n').len();
            self.html.truncate(trimmed);
            self.html.push_str(gap);
        }
    }

    fn block_tag(&mut self, written: &str, tag: &Tag) {
        if tag.closing {
            if let Some(i) = self.open.iter().rposition(|open| *open == tag.name) {
                self.open.truncate(i);
            }
        } else {
            self.new_block();
        }
        self.html.push_str(written);
        if !tag.closing && !tag.is_void() {
            self.open.push(tag.name.clone());
        }
    }

    fn raw(&mut self, element: &str) {
        self.new_block();
        self.html.push_str(&element.replace('\n', "&#10;"));
    }

    /// Bare text: paragraphs where paragraphs belong, joined by a blank line's worth of
    /// breaks elsewhere; single newlines as breaks.
    fn text(&mut self, text: &str) {
        let paragraphs: Vec<String> = paragraphs(text).map(with_breaks).collect();
        if paragraphs.is_empty() {
            return;
        }
        if self.in_flow() {
            for paragraph in paragraphs {
                self.new_block();
                self.html.push_str(&format!("<p>{paragraph}</p>"));
            }
        } else {
            self.html.push_str(&paragraphs.join("<br>\n<br>\n"));
        }
    }
}

/// The blank-line-separated parts of `text` that hold something.
fn paragraphs(text: &str) -> impl Iterator<Item = Vec<&str>> {
    let mut parts = vec![Vec::new()];
    for line in text.split('\n').map(str::trim) {
        match (line.is_empty(), parts.last_mut()) {
            (true, Some(part)) if !part.is_empty() => parts.push(Vec::new()),
            (false, Some(part)) => part.push(line),
            _ => {}
        }
    }
    parts.into_iter().filter(|part| !part.is_empty())
}

/// A paragraph's lines joined by breaks, except where a line already ends with one.
fn with_breaks(lines: Vec<&str>) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            let previous = lines[i - 1].to_ascii_lowercase().replace(' ', "");
            let broken = previous.ends_with("<br>") || previous.ends_with("<br/>");
            out.push_str(if broken { "\n" } else { "<br>\n" });
        }
        out.push_str(line);
    }
    out
}
