//! Markdown to safe HTML. Editors write Markdown; whatever they write, the page receives
//! only markup from an allow-list (no script, no event handlers, no `javascript:` URLs).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Renders an article body: CommonMark plus tables, footnotes and strikethrough, then
/// sanitized so a careless paste cannot inject script into the site.
pub fn render_article(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options));
    ARTICLE_SANITIZER.clean(&html).to_string()
}

static ARTICLE_SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> =
    std::sync::LazyLock::new(article_sanitizer);

fn article_sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags(["figure", "figcaption", "section", "sup"])
        .add_tag_attributes("a", ["id"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("sup", ["id"])
        .add_tag_attributes("div", ["id"])
        .add_tag_attributes("img", ["loading"])
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener"));
    b
}

/// Plain text of the first paragraphs, cut at a word boundary to at most `max_chars`:
/// the summary shown in lists and feeds when the editor wrote none.
pub fn summarize(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    let mut in_skipped = 0usize;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Heading { .. } | Tag::Image { .. }) => in_skipped += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Heading(_) | TagEnd::Image) => in_skipped -= 1,
            Event::Text(t) | Event::Code(t) if in_skipped == 0 => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_skipped == 0 => text.push(' '),
            Event::End(TagEnd::Paragraph) => text.push(' '),
            _ => {}
        }
        if text.chars().count() > max_chars {
            break;
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_words(&text, max_chars)
}

fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    // One character more than allowed, so that a word ending exactly at the limit is kept.
    let cut: String = text.chars().take(max_chars + 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > 0 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = render_article("# Title\n\n*em* and [link](https://example.org)\n\n| a |\n|---|\n| b |");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<em>em</em>"));
        assert!(html.contains(r#"<a href="https://example.org" rel="noopener">link</a>"#));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn strips_script_and_dangerous_urls() {
        let html = render_article(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> <a href=\"data:text/html,hi\">d</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn summarizes_the_first_paragraphs_as_text() {
        let md = "# Heading\n\nSome *emphasised* text with `code`.\n\nAnother paragraph that goes on and on.";
        assert_eq!(
            summarize(md, 500),
            "Some emphasised text with code. Another paragraph that goes on and on."
        );
        assert_eq!(summarize(md, 20), "Some emphasised text…");
    }
}
