//! Videos of a few well-known hosts, shown click-to-load: the page names the host and
//! links to the video, and nothing is asked of the host until the reader presses Play.

/// The hosts whose players a page may frame: the Content-Security-Policy's `frame-src`
/// lists exactly these, and the script builds iframes for nothing else.
pub const FRAME_SOURCES: [&str; 2] = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    YouTube,
    Vimeo,
}

/// A video recognised in an article's body: the host and the video's id on it, checked
/// character by character, so nothing of the editor's URL reaches the page unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Video {
    pub host: Host,
    id: String,
    /// Vimeo's key of an unlisted video (`vimeo.com/ID/KEY`).
    key: Option<String>,
    /// Where to start, in seconds (`t=90`, `t=1m30s`, `start=90`).
    start: Option<u32>,
}

impl Video {
    /// The video `url` shows, when it is one of a known host's watch, share or embed URLs.
    pub fn recognize(url: &str) -> Option<Video> {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        let (rest, _fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.to_ascii_lowercase();
        let host = host.strip_prefix("www.").or_else(|| host.strip_prefix("m.")).unwrap_or(&host);
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let arg = |name: &str| param(query, name);
        let start = arg("t").or_else(|| arg("start")).and_then(seconds);
        let video = match (host, segments.as_slice()) {
            ("youtube.com", ["watch"]) => youtube(arg("v")?, start),
            ("youtube.com" | "youtube-nocookie.com", ["embed" | "shorts" | "live" | "v", id]) => {
                youtube(id, start)
            }
            ("youtu.be", [id]) => youtube(id, start),
            ("vimeo.com", [id]) => vimeo(id, None),
            ("vimeo.com", [id, key]) => vimeo(id, Some(*key)),
            ("player.vimeo.com", ["video", id]) => vimeo(id, arg("h")),
            _ => None,
        }?;
        Some(video)
    }

    /// The host as readers know it, on the button and the link.
    pub fn host_name(&self) -> &'static str {
        match self.host {
            Host::YouTube => "youtube.com",
            Host::Vimeo => "vimeo.com",
        }
    }

    /// The video's own page: what a reader without JavaScript follows.
    pub fn watch_url(&self) -> String {
        match (self.host, &self.key) {
            (Host::YouTube, _) => {
                let t = self.start.map(|s| format!("&t={s}")).unwrap_or_default();
                format!("https://www.youtube.com/watch?v={}{t}", self.id)
            }
            (Host::Vimeo, Some(key)) => format!("https://vimeo.com/{}/{key}", self.id),
            (Host::Vimeo, None) => format!("https://vimeo.com/{}", self.id),
        }
    }

    /// The player framed after the click: YouTube's cookieless domain, Vimeo without
    /// tracking (`dnt`).
    pub fn player_url(&self) -> String {
        match self.host {
            Host::YouTube => {
                let start = self.start.map(|s| format!("&start={s}")).unwrap_or_default();
                format!("{}/embed/{}?autoplay=1{start}", FRAME_SOURCES[0], self.id)
            }
            Host::Vimeo => {
                let key = self.key.as_ref().map(|k| format!("&h={k}")).unwrap_or_default();
                let start = self.start.map(|s| format!("#t={s}s")).unwrap_or_default();
                format!("{}/video/{}?autoplay=1&dnt=1{key}{start}", FRAME_SOURCES[1], self.id)
            }
        }
    }

    /// The figure that stands for the video: a Play button (shown by the script, which
    /// swaps in the player on a click) and a plain link to the video. Every value in it was
    /// checked to be letters, digits, `-` and `_`, so nothing needs escaping.
    pub fn figure(&self) -> String {
        let host = self.host_name();
        format!(
            "<figure class=\"video\" data-player=\"{player}\">\
             <div class=\"video-frame\"><button type=\"button\" class=\"video-play\" hidden>\
             <span class=\"video-play-icon\" aria-hidden=\"true\"></span>Play video from {host}</button></div>\
             <figcaption>Video on {host}: <a href=\"{watch}\" rel=\"noopener\">{watch}</a></figcaption>\
             </figure>",
            player = self.player_url().replace('&', "&amp;"),
            watch = self.watch_url().replace('&', "&amp;"),
        )
    }
}

/// The value of the query's parameter `name`.
fn param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
}

fn youtube(id: &str, start: Option<u32>) -> Option<Video> {
    // YouTube's ids are 11 characters of the URL-safe base64 alphabet.
    let ok = id.len() == 11 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| Video { host: Host::YouTube, id: id.to_owned(), key: None, start })
}

fn vimeo(id: &str, key: Option<&str>) -> Option<Video> {
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    let hex = |s: &str| !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !digits(id) || key.is_some_and(|k| !hex(k)) {
        return None;
    }
    Some(Video { host: Host::Vimeo, id: id.to_owned(), key: key.map(str::to_owned), start: None })
}

/// `90`, `90s`, `1m30s`, `1h2m3s` as seconds.
fn seconds(t: &str) -> Option<u32> {
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    let (mut total, mut number) = (0u32, 0u32);
    for c in t.chars() {
        match c {
            '0'..='9' => number = number.checked_mul(10)?.checked_add(c.to_digit(10)?)?,
            'h' | 'm' | 's' => {
                let unit = match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                total = total.checked_add(number.checked_mul(unit)?)?;
                number = 0;
            }
            _ => return None,
        }
    }
    (number == 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_the_hosts_urls() {
        let id = "dQw4w9WgXcQ";
        for url in [
            format!("https://www.youtube.com/watch?v={id}"),
            format!("https://youtube.com/watch?feature=share&v={id}"),
            format!("https://m.youtube.com/watch?v={id}"),
            format!("https://youtu.be/{id}"),
            format!("https://www.youtube-nocookie.com/embed/{id}"),
            format!("https://www.youtube.com/shorts/{id}"),
        ] {
            let v = Video::recognize(&url).unwrap_or_else(|| panic!("{url}"));
            assert_eq!(v.player_url(), format!("https://www.youtube-nocookie.com/embed/{id}?autoplay=1"));
            assert_eq!(v.host_name(), "youtube.com");
        }
        let v = Video::recognize(&format!("https://youtu.be/{id}?t=1m30s")).unwrap();
        assert_eq!(v.watch_url(), format!("https://www.youtube.com/watch?v={id}&t=90"));
        let v = Video::recognize("https://vimeo.com/76979871").unwrap();
        assert_eq!(v.player_url(), "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1");
        assert_eq!(v.watch_url(), "https://vimeo.com/76979871");
        assert!(Video::recognize("https://player.vimeo.com/video/76979871?h=abc123").is_some());
    }

    #[test]
    fn refuses_anything_else() {
        for url in [
            "https://www.youtube.com/watch?v=short",
            "https://www.youtube.com/watch?v=dQw4w9WgXc\"",
            "https://evil.example/watch?v=dQw4w9WgXcQ",
            "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
            "https://vimeo.com/channels/staffpicks",
            "https://vimeo.com/1234/<script>",
            "javascript:alert(1)",
            "https://www.youtube.com/",
        ] {
            assert_eq!(Video::recognize(url), None, "{url}");
        }
    }

    #[test]
    fn the_figure_holds_no_request_to_the_host() {
        let html = Video::recognize("https://youtu.be/dQw4w9WgXcQ").unwrap().figure();
        assert!(!html.contains("<iframe") && !html.contains("<img"), "{html}");
        assert!(html.contains("Play video from youtube.com"), "{html}");
        assert!(html.contains(r#"<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ""#), "{html}");
    }
}
