//! Markdown to safe HTML. Editors write Markdown; whatever they write, the page receives
//! only markup from an allow-list (no script, no event handlers, no `javascript:` URLs).

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};
use sha2::{Digest, Sha256};

mod footnotes;
pub mod images;
pub mod video;

/// Renders an article body: CommonMark plus tables, footnotes and strikethrough, then
/// sanitized so a careless paste cannot inject script into the site. `ids` prefixes the ids
/// the body makes (its notes): the article's slug, unique on any page that shows several.
/// A video URL alone in a paragraph becomes a click-to-load figure ([`video`]).
pub fn render_article(markdown: &str, ids: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let events: Vec<Event> = TextMergeStream::new(Parser::new_ext(markdown, options)).collect();
    let prefix = format!("{ids}-");
    let (events, notes) = footnotes::number(events, &prefix);
    // The videos' figures are ours, not the editor's: they go in after the sanitizer, in
    // place of markers the text cannot contain (they hold a hash of the whole text).
    let marker = {
        let hash = Sha256::digest(format!("tribune-video:{markdown}"));
        format!("v{}", hash[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    let (events, videos) = videos(events, &marker);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html.push_str(&notes);
    let mut html = ARTICLE_SANITIZER.clean(&html).to_string();
    for (i, video) in videos.iter().enumerate() {
        html = html.replacen(&format!("<p>{marker}-{i}</p>"), &video.figure(), 1);
    }
    html
}

/// Each paragraph that is a known host's video URL alone (bare or `<…>`) replaced by a
/// marker paragraph, and the videos in marker order.
fn videos<'a>(events: Vec<Event<'a>>, marker: &str) -> (Vec<Event<'a>>, Vec<video::Video>) {
    let mut out = Vec::with_capacity(events.len());
    let mut found = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let url = match &events[i..] {
            [Event::Start(Tag::Paragraph), Event::Text(t), Event::End(TagEnd::Paragraph), ..] => {
                Some((t.trim().to_owned(), 3))
            }
            [
                Event::Start(Tag::Paragraph),
                Event::Start(Tag::Link { link_type: LinkType::Autolink, dest_url, .. }),
                Event::Text(_),
                Event::End(TagEnd::Link),
                Event::End(TagEnd::Paragraph),
                ..,
            ] => Some((dest_url.to_string(), 5)),
            _ => None,
        };
        match url.and_then(|(url, len)| video::Video::recognize(&url).map(|v| (v, len))) {
            Some((v, len)) => {
                out.push(Event::Html(format!("<p>{marker}-{}</p>\n", found.len()).into()));
                found.push(v);
                i += len;
            }
            None => {
                out.push(events[i].clone());
                i += 1;
            }
        }
    }
    (out, found)
}

static ARTICLE_SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> =
    std::sync::LazyLock::new(article_sanitizer);

fn article_sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags(["figure", "figcaption", "section", "sup"])
        .add_tag_attributes("a", ["id", "aria-label"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("sup", ["id"])
        .add_tag_attributes("div", ["id"])
        .add_tag_attributes("img", ["loading"])
        .add_allowed_classes("sup", ["footnote-ref"])
        .add_allowed_classes("a", ["footnote-back"])
        .add_allowed_classes("section", ["footnotes"])
        .add_allowed_classes("h2", ["footnotes-title"])
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
        let html =
            render_article("# Title\n\n*em* and [link](https://example.org)\n\n| a |\n|---|\n| b |", "t");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<em>em</em>"));
        assert!(html.contains(r#"<a href="https://example.org" rel="noopener">link</a>"#));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn strips_script_and_dangerous_urls() {
        let html = render_article(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> <a href=\"data:text/html,hi\">d</a>",
            "t",
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

    #[test]
    fn footnotes_are_numbered_linked_both_ways_and_prefixed() {
        let md =
            "Second[^b], first[^a], again[^b], missing[^z].\n\n[^a]: Note A.\n[^b]: Note B, citing[^a].\n";
        let html = render_article(md, "river");
        assert!(html.contains(r##"<sup class="footnote-ref"><a href="#river-fn-1" id="river-fnref-1" rel="noopener">1</a></sup>"##), "{html}");
        assert!(html.contains(r##"id="river-fnref-1-2""##), "{html}");
        assert!(
            html.contains(r##"<a href="#river-fn-2" id="river-fnref-2" rel="noopener">2</a>"##),
            "{html}"
        );
        assert!(html.contains("missing[^z]"), "{html}");
        assert!(html.contains(r##"<li id="river-fn-1"><p>Note B, citing<sup class="footnote-ref"><a href="#river-fn-2" id="river-fnref-2-2" rel="noopener">2</a></sup>. <a href="#river-fnref-1" class="footnote-back" aria-label="Back to reference 1" rel="noopener">↩</a> <a href="#river-fnref-1-2" class="footnote-back" aria-label="Back to reference 1, citation 2" rel="noopener">↩</a></p></li>"##), "{html}");
        assert!(html.contains(r##"<li id="river-fn-2"><p>Note A. <a href="#river-fnref-2""##), "{html}");
        assert_eq!(html.matches("<section class=\"footnotes\">").count(), 1, "{html}");
        assert!(!render_article("No notes[^x].", "a").contains("footnotes"));
        // Another article's notes on the same page have other ids.
        assert!(render_article(md, "lake").contains(r#"id="lake-fn-1""#));
    }

    #[test]
    fn a_video_url_alone_becomes_a_click_to_load_figure() {
        let md = "Intro.\n\nhttps://youtu.be/dQw4w9WgXcQ\n\n<https://vimeo.com/76979871>\n\nSee https://youtu.be/dQw4w9WgXcQ here.\n\nhttps://evil.example/x\n";
        let html = render_article(md, "v");
        assert_eq!(html.matches("<figure class=\"video\"").count(), 2, "{html}");
        assert!(
            html.contains(r#"data-player="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1""#),
            "{html}"
        );
        assert!(html.contains("Play video from vimeo.com"), "{html}");
        assert!(html.contains("<p>See https://youtu.be/dQw4w9WgXcQ here.</p>"), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        // What the editor writes cannot pose as a figure: the sanitizer strips the attribute.
        let forged = render_article(
            "<figure class=\"video\" data-player=\"https://evil.example\"><button>x</button></figure>",
            "f",
        );
        assert!(!forged.contains("data-player") && !forged.contains("<button"), "{forged}");
    }
}
