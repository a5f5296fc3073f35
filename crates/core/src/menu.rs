//! The site's navigation menu: labelled links to a tag, a standalone page or a web
//! address, in the admin's order, and the rules an edited menu must pass.

use crate::article::is_absolute_http_url;
use crate::slug::Slug;
use crate::store::StoreError;

/// More than this does not fit a header, even wrapped on a phone.
pub const MAX_ITEMS: usize = 12;
pub const MAX_LABEL_CHARS: usize = 40;
pub const MAX_URL_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuTarget {
    Tag(Slug),
    Page(Slug),
    /// An absolute `http://` or `https://` address.
    Url(String),
}

impl MenuTarget {
    /// The stored form: a kind and a value.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            MenuTarget::Tag(s) => ("tag", s.as_str()),
            MenuTarget::Page(s) => ("page", s.as_str()),
            MenuTarget::Url(u) => ("url", u),
        }
    }

    /// Back from the stored form; `None` for a row this version does not know.
    pub fn from_parts(kind: &str, value: &str) -> Option<Self> {
        match kind {
            "tag" => Slug::parse(value).ok().map(MenuTarget::Tag),
            "page" => Slug::parse(value).ok().map(MenuTarget::Page),
            "url" if is_absolute_http_url(value) => Some(MenuTarget::Url(value.to_owned())),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub label: String,
    pub target: MenuTarget,
}

impl MenuItem {
    /// Where the link goes.
    pub fn href(&self) -> String {
        match &self.target {
            MenuTarget::Tag(s) => format!("/tags/{s}"),
            MenuTarget::Page(s) => format!("/{s}"),
            MenuTarget::Url(u) => u.clone(),
        }
    }
}

/// One row of the menu editor as sent: `to` is `tag:SLUG`, `page:SLUG` or `url` (then
/// `url` holds the address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MenuItemInput {
    pub label: String,
    pub to: String,
    pub url: String,
}

impl MenuItemInput {
    /// A row left blank (the editor's empty "add" row) is no item; one with a tag or a
    /// page chosen is an item missing its label.
    pub fn is_blank(&self) -> bool {
        self.label.trim().is_empty() && self.url.trim().is_empty() && matches!(self.to.as_str(), "" | "url")
    }
}

/// The menu as edited, or every problem at once, each naming its row (from 1). `tags` and
/// `pages` are the slugs a link may lead to.
pub fn validate(rows: &[MenuItemInput], tags: &[Slug], pages: &[Slug]) -> Result<Vec<MenuItem>, Vec<String>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let rows: Vec<&MenuItemInput> = rows.iter().filter(|r| !r.is_blank()).collect();
    if rows.len() > MAX_ITEMS {
        errors.push(format!("The menu holds at most {MAX_ITEMS} links; remove {}.", rows.len() - MAX_ITEMS));
    }
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let label = crate::text::normalized(row.label.trim());
        if !crate::text::has_visible(&label) {
            errors.push(format!("Link {n}: the label is required."));
        } else if label.chars().count() > MAX_LABEL_CHARS {
            errors.push(format!("Link {n}: the label is longer than {MAX_LABEL_CHARS} characters."));
        }
        let target = match row.to.split_once(':') {
            Some(("tag", slug)) => match Slug::parse(slug) {
                Ok(s) if tags.contains(&s) => Some(MenuTarget::Tag(s)),
                _ => {
                    errors.push(format!("Link {n}: there is no tag \"{slug}\"."));
                    None
                }
            },
            Some(("page", slug)) => match Slug::parse(slug) {
                Ok(s) if pages.contains(&s) => Some(MenuTarget::Page(s)),
                _ => {
                    errors.push(format!("Link {n}: there is no page \"{slug}\"."));
                    None
                }
            },
            _ if row.to == "url" || row.to.is_empty() => {
                let url = row.url.trim();
                if url.is_empty() {
                    errors.push(format!("Link {n}: choose a tag or a page, or give a web address."));
                    None
                } else if url.chars().count() > MAX_URL_CHARS || !is_absolute_http_url(url) {
                    errors.push(format!(
                        "Link {n}: the web address must start with http:// or https:// (at most {MAX_URL_CHARS} characters)."
                    ));
                    None
                } else {
                    Some(MenuTarget::Url(url.to_owned()))
                }
            }
            _ => {
                errors.push(format!("Link {n}: choose where it leads."));
                None
            }
        };
        if let Some(target) = target {
            items.push(MenuItem { label, target });
        }
    }
    if errors.is_empty() { Ok(items) } else { Err(errors) }
}

/// Where the menu is kept.
pub trait MenuStore {
    /// The items in order (rows this version cannot read are left out).
    async fn menu(&self) -> Result<Vec<MenuItem>, StoreError>;
    /// Replaces the whole menu, in one transaction.
    async fn save_menu(&self, items: &[MenuItem]) -> Result<(), StoreError>;
    /// The standalone pages a link may lead to (any state), by title.
    async fn pages(&self) -> Result<Vec<crate::article::NamedLink>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, to: &str, url: &str) -> MenuItemInput {
        MenuItemInput { label: label.into(), to: to.into(), url: url.into() }
    }

    fn slugs(s: &[&str]) -> Vec<Slug> {
        s.iter().map(|s| Slug::parse(s).unwrap()).collect()
    }

    #[test]
    fn rows_become_links_in_order_and_blank_rows_are_skipped() {
        let rows = [
            row("Politics", "tag:politics", ""),
            row("", "url", ""),
            row("About us", "page:about", ""),
            row("Our shop", "url", "https://shop.example/"),
        ];
        let items = validate(&rows, &slugs(&["politics"]), &slugs(&["about"])).unwrap();
        let hrefs: Vec<String> = items.iter().map(MenuItem::href).collect();
        assert_eq!(hrefs, ["/tags/politics", "/about", "https://shop.example/"]);
    }

    #[test]
    fn every_bad_row_is_named() {
        let rows = [
            row("Bad", "url", "javascript:alert(1)"),
            row("", "tag:politics", ""),
            row("Gone", "page:nowhere", ""),
            row("Data", "url", "data:text/html,x"),
        ];
        let errors = validate(&rows, &slugs(&["politics"]), &[]).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("Link 1: the web address must start with http"));
        assert!(errors[1].starts_with("Link 2: the label"));
        assert!(errors[2].contains("no page \"nowhere\""));
    }

    #[test]
    fn a_menu_has_a_size() {
        let rows = vec![row("x", "url", "https://a.example/"); MAX_ITEMS + 1];
        assert!(validate(&rows, &[], &[]).unwrap_err()[0].contains("at most"));
    }
}
