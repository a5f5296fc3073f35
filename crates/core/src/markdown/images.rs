//! Images of the media library in a rendered body, given their sizes and copies when the
//! page is rendered rather than when the body was saved: an image uploaded after the
//! article, or processed again, is right on the next render, and the stored body never
//! holds sizes that could go stale. Works on the sanitizer's output, whose form is fixed
//! (every attribute double-quoted, `"` escaped, `<` in text escaped).

use crate::media::{Media, name_in_url};

/// The library images (`/media/…`) a body shows, by name, each once.
pub fn media_names(html: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for tag in tags(html) {
        if let Some(name) = img_src(tag).and_then(library_name)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// `html` with each library image given `srcset`, `sizes`, `width` and `height` (so the
/// page does not shift as it loads), lazy loading and asynchronous decoding, and the
/// library's alt text when the body gave none. Images not in `media` stay as they are.
pub fn with_media(html: &str, media: &[Media], sizes: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = 0;
    for tag in tags(html) {
        let Some(m) = img_src(tag).and_then(library_name).and_then(|n| media.iter().find(|m| m.name == n))
        else {
            continue;
        };
        let start = tag.as_ptr() as usize - html.as_ptr() as usize;
        out.push_str(&html[rest..start]);
        out.push_str(&image(tag, m, sizes));
        rest = start + tag.len();
    }
    out.push_str(&html[rest..]);
    out
}

/// Only a path on this site: an absolute URL may name another site's `/media/`.
fn library_name(src: &str) -> Option<&str> {
    src.starts_with("/media/").then(|| name_in_url(src)).flatten()
}

fn image(tag: &str, m: &Media, sizes: &str) -> String {
    const REPLACED: [&str; 7] = ["src", "srcset", "sizes", "width", "height", "loading", "decoding"];
    let mut out = format!(
        "<img src=\"{}\" srcset=\"{}\" sizes=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\"",
        m.path_for_width(960),
        m.srcset(),
        escape(sizes),
        m.width,
        m.height
    );
    let mut has_alt = false;
    for (name, value) in attributes(tag) {
        match name {
            "alt" if !value.trim().is_empty() => has_alt = true,
            "alt" => continue,
            n if REPLACED.contains(&n) => continue,
            _ => {}
        }
        out.push_str(&format!(" {name}=\"{value}\""));
    }
    if !has_alt {
        out.push_str(&format!(" alt=\"{}\"", escape(&m.alt)));
    }
    out.push('>');
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Every tag of `html`, `<` to `>` (a `>` inside a quoted value does not end it).
fn tags(html: &str) -> impl Iterator<Item = &str> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + html[at..].find('<')?;
        let mut quoted = false;
        for (i, c) in html[start..].char_indices() {
            match c {
                '"' => quoted = !quoted,
                '>' if !quoted => {
                    at = start + i + 1;
                    return Some(&html[start..at]);
                }
                _ => {}
            }
        }
        None
    })
}

fn img_src(tag: &str) -> Option<&str> {
    let rest = tag.strip_prefix("<img")?;
    if !rest.starts_with([' ', '>', '/']) {
        return None;
    }
    attributes(tag).find(|(n, _)| *n == "src").map(|(_, v)| v)
}

/// A tag's `name="value"` pairs, values as written (still escaped).
fn attributes(tag: &str) -> impl Iterator<Item = (&str, &str)> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>').trim_end_matches('/');
    let mut rest = inner.split_once(' ').map_or("", |(_, r)| r);
    std::iter::from_fn(move || {
        rest = rest.trim_start();
        let (name, after) = rest.split_once("=\"")?;
        let (value, after) = after.split_once('"')?;
        rest = after;
        Some((name.trim(), value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn river() -> Media {
        Media {
            id: 1,
            name: "river.jpg".into(),
            content_type: "image/jpeg".into(),
            width: 1200,
            height: 800,
            alt: "The river at dusk".into(),
            content_hash: String::new(),
            byte_size: 0,
            uploaded_by: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn library_images_get_their_sizes_and_copies() {
        let html = r#"<p>Look: <img src="/media/river.jpg" alt="A &quot;river&quot;"> and <img src="https://elsewhere.example/media/river.jpg" alt="x"> <img src="/media/other.png" alt="y"></p>"#;
        assert_eq!(media_names(html), ["river.jpg", "other.png"]);
        let out = with_media(html, &[river()], "100vw");
        assert!(
            out.contains(r#"<img src="/media/w960/river.jpg" srcset="/media/w480/river.jpg 480w, /media/w960/river.jpg 960w, /media/river.jpg 1200w" sizes="100vw" width="1200" height="800" loading="lazy" decoding="async" alt="A &quot;river&quot;">"#),
            "{out}"
        );
        assert!(out.contains(r#"<img src="https://elsewhere.example/media/river.jpg" alt="x">"#), "{out}");
        assert!(out.contains(r#"<img src="/media/other.png" alt="y">"#), "{out}");
    }

    #[test]
    fn the_library_alt_fills_an_empty_one_and_quotes_do_not_confuse() {
        let html = r#"<p title="a > <img src=&quot;/media/river.jpg&quot;>"><img src="/media/w480/river.jpg" alt=""></p>"#;
        let out = with_media(html, &[river()], "100vw");
        assert!(
            out.starts_with(
                r#"<p title="a > <img src=&quot;/media/river.jpg&quot;>"><img src="/media/w960/river.jpg""#
            ),
            "{out}"
        );
        assert!(out.ends_with(r#"decoding="async" alt="The river at dusk"></p>"#), "{out}");
    }
}
