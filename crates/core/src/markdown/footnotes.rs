//! Footnotes as readers expect them: numbered in the order they are first cited, each
//! number linking to its note and each note linking back (↩, with a label saying where to)
//! to every place that cites it. Ids carry the article's own prefix, so two articles on one
//! page (a list of previews) never share one.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// A note: its label, and the events of its text.
type Note<'a> = (CowStr<'a>, Vec<Event<'a>>);

/// Takes the notes out of `events` and numbers the citations: the text with each citation
/// a superscript link, and the notes' list to append after it (empty when none is cited).
pub(super) fn number<'a>(events: Vec<Event<'a>>, prefix: &str) -> (Vec<Event<'a>>, String) {
    let mut text = Vec::with_capacity(events.len());
    let mut notes: Vec<Note<'a>> = Vec::new();
    let mut inside: Option<Note<'a>> = None;
    for event in events {
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => inside = Some((label, Vec::new())),
            Event::End(TagEnd::FootnoteDefinition) => notes.extend(inside.take()),
            e => match inside.as_mut() {
                Some((_, body)) => body.push(e),
                None => text.push(e),
            },
        }
    }
    let mut citations = Citations { prefix, order: Vec::new(), counts: HashMap::new(), notes: &notes };
    let text = citations.link(text);
    // A note may cite another, which then joins the list: walk it as it grows.
    let mut rendered = Vec::new();
    let mut i = 0;
    while let Some(label) = citations.order.get(i).cloned() {
        let body = notes.iter().find(|(l, _)| *l == label).map(|(_, b)| b.clone()).unwrap_or_default();
        let body = citations.link(body);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, body.into_iter());
        rendered.push((label, html));
        i += 1;
    }
    if rendered.is_empty() {
        return (text, String::new());
    }
    let mut list =
        String::from("<section class=\"footnotes\"><h2 class=\"footnotes-title\">Notes</h2>\n<ol>\n");
    for (n, (label, html)) in (1..).zip(rendered) {
        let back: String = (1..=citations.counts[&*label])
            .map(|k| {
                let (id, which) = match k {
                    1 => (format!("{prefix}fnref-{n}"), format!("{n}")),
                    k => (format!("{prefix}fnref-{n}-{k}"), format!("{n}, citation {k}")),
                };
                format!(" <a href=\"#{id}\" class=\"footnote-back\" aria-label=\"Back to reference {which}\">↩</a>")
            })
            .collect();
        let html = html.trim_end();
        let html = match html.strip_suffix("</p>") {
            Some(inner) => format!("{inner}{back}</p>"),
            None => format!("{html}<p>{back}</p>"),
        };
        list.push_str(&format!("<li id=\"{prefix}fn-{n}\">{html}</li>\n"));
    }
    list.push_str("</ol>\n</section>\n");
    (text, list)
}

struct Citations<'n, 'a> {
    prefix: &'n str,
    /// Labels in the order first cited: a note's number is its place here, plus one.
    order: Vec<CowStr<'a>>,
    counts: HashMap<String, usize>,
    notes: &'n [Note<'a>],
}

impl<'a> Citations<'_, 'a> {
    /// Each citation of a note that exists made a numbered link; one of a missing note stays
    /// the text the editor wrote.
    fn link(&mut self, events: Vec<Event<'a>>) -> Vec<Event<'a>> {
        events
            .into_iter()
            .map(|e| match e {
                Event::FootnoteReference(label) if self.notes.iter().any(|(l, _)| *l == label) => {
                    let n = match self.order.iter().position(|l| *l == label) {
                        Some(i) => i + 1,
                        None => {
                            self.order.push(label.clone());
                            self.order.len()
                        }
                    };
                    let k = self.counts.entry(label.to_string()).or_insert(0);
                    *k += 1;
                    let id = match *k {
                        1 => format!("{}fnref-{n}", self.prefix),
                        k => format!("{}fnref-{n}-{k}", self.prefix),
                    };
                    Event::InlineHtml(
                        format!(
                            "<sup class=\"footnote-ref\"><a href=\"#{}fn-{n}\" id=\"{id}\">{n}</a></sup>",
                            self.prefix
                        )
                        .into(),
                    )
                }
                Event::FootnoteReference(label) => Event::Text(format!("[^{label}]").into()),
                e => e,
            })
            .collect()
    }
}
