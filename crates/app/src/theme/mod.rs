//! A theme: a folder (`theme_dir`) whose files replace the built-in ones, file by file: the
//! stylesheets, the public layout's partials, the front page and lists with their teasers,
//! an article's own content and the error page. Checked whole at start, so a mistake stops
//! the site with its file and line rather than breaking a page (see docs/themes.md).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::config::Config;
use crate::http::assets::Asset;

mod vars;
pub use vars::{ErrorVars, FrontVars, Link, ListVars, PagerVars, Section, Story, StoryDate, StoryImage};

/// The partials of the public layout (`base.html`) a theme may replace, in
/// `theme_dir/templates/`.
pub const PARTIALS: [&str; 3] = ["head.html", "header.html", "footer.html"];

/// The teasers a theme may replace, in `theme_dir/templates/`: the front page's lead story,
/// its other stories, and an entry of the other lists (a tag's, an author's, search).
pub const TEASERS: [&str; 3] = ["lead.html", "story.html", "card.html"];

/// The article itself on its page (title, byline, picture, body, tags), and a standalone
/// page's, a theme may replace, in `theme_dir/templates/`. The page around it (the
/// discussion, the call to give) stays built-in.
pub const CONTENTS: [&str; 2] = ["article_content.html", "page_content.html"];

/// The lists a theme may replace, in `theme_dir/templates/`: what the front page and a
/// tag's or an author's page show inside `<main>`.
pub const LISTS: [&str; 2] = ["front.html", "list.html"];

/// What an error page (a 404, a refused request) shows inside `<main>`, in
/// `theme_dir/templates/`.
pub const ERROR: &str = "error.html";

/// The stylesheet a theme may replace, in `theme_dir`.
pub const STYLESHEET: &str = "site.css";

/// The stylesheet a theme may add, in `theme_dir`: linked after the built-in one (or the
/// theme's `site.css`), so a theme holds only its own rules and keeps every later fix
/// to the built-in ones.
pub const ADDED_STYLESHEET: &str = "theme.css";

/// Why a theme cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme_dir {0}: no such folder")]
    NoFolder(PathBuf),
    #[error("theme file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("theme file {path}: not a file a theme may have here; {allowed}")]
    Unknown { path: PathBuf, allowed: String },
    #[error("theme template {path}, line {line}: {message}")]
    Template { path: PathBuf, line: usize, message: String },
}

/// The theme in use; the default is the built-in one (no file replaced).
pub struct Theme {
    dir: PathBuf,
    /// `theme_dir/site.css`, served in place of the built-in one.
    stylesheet: Option<Asset>,
    /// `theme_dir/theme.css`, linked after it.
    added_stylesheet: Option<Asset>,
    /// The templates the theme replaces, compiled.
    templates: Environment<'static>,
    overridden: BTreeSet<&'static str>,
}

impl Default for Theme {
    fn default() -> Theme {
        // `new`, not `empty`: a theme has Jinja's filters and tests (`upper`, `default`…).
        let mut templates = Environment::new();
        templates.set_undefined_behavior(UndefinedBehavior::Strict);
        Theme {
            dir: PathBuf::new(),
            stylesheet: None,
            added_stylesheet: None,
            templates,
            overridden: BTreeSet::new(),
        }
    }
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("dir", &self.dir)
            .field("stylesheet", &self.stylesheet.is_some())
            .field("added_stylesheet", &self.added_stylesheet.is_some())
            .field("overridden", &self.overridden)
            .finish()
    }
}

/// Two themes are the same when read from the same folder (files are read once, at start).
impl PartialEq for Theme {
    fn eq(&self, other: &Theme) -> bool {
        self.dir == other.dir
    }
}

impl Theme {
    /// Reads and compiles the theme in `dir`; an empty path is the built-in theme.
    pub fn load(dir: &Path) -> Result<Theme, ThemeError> {
        let mut theme = Theme { dir: dir.to_owned(), ..Theme::default() };
        if dir.as_os_str().is_empty() {
            return Ok(theme);
        }
        if !dir.is_dir() {
            return Err(ThemeError::NoFolder(dir.to_owned()));
        }
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| ThemeError::Read { path: path.into(), source })
        };
        let templates_allowed =
            format!("a theme's templates/ may hold only {}", theme_templates().join(", "));
        for path in entries(dir)? {
            let name = file_name(&path);
            let stylesheet = name == STYLESHEET || name == ADDED_STYLESHEET;
            let misplaced = name.ends_with(".html") || (name.ends_with(".css") && !stylesheet);
            if misplaced {
                let allowed = format!(
                    "a stylesheet must be called {ADDED_STYLESHEET} (added) or {STYLESHEET} (replacing); \
                     {templates_allowed}"
                );
                return Err(ThemeError::Unknown { path, allowed });
            }
        }
        let css = |name: &'static str| -> Result<Option<Asset>, ThemeError> {
            let path = dir.join(name);
            Ok(match path.is_file() {
                true => Some(Asset::owned(name, "text/css; charset=utf-8", read(&path)?)),
                false => None,
            })
        };
        theme.stylesheet = css(STYLESHEET)?;
        theme.added_stylesheet = css(ADDED_STYLESHEET)?;
        let templates = dir.join("templates");
        if !templates.is_dir() {
            return Ok(theme);
        }
        for path in entries(&templates)? {
            let Some(name) = theme_templates().into_iter().find(|p| *p == file_name(&path)) else {
                return Err(ThemeError::Unknown { path, allowed: templates_allowed });
            };
            let source = String::from_utf8(read(&path)?).map_err(|_| ThemeError::Template {
                path: path.clone(),
                line: 1,
                message: "not UTF-8 text".into(),
            })?;
            theme.templates.add_template_owned(name, source).map_err(|e| template_error(&templates, &e))?;
            theme.overridden.insert(name);
        }
        Ok(theme)
    }

    /// Whether this is the theme read from `dir` (so that it need not be read again).
    pub fn is_from(&self, dir: &Path) -> bool {
        self.dir == dir
    }

    /// Renders every template the theme replaces with `site`, as a page would (those given
    /// stories twice: with everything, and with nothing optional): an error that only
    /// shows when rendering (an unknown variable, a bad filter argument) stops the start too.
    pub fn check(&self, site: &Config) -> Result<(), ThemeError> {
        let templates = self.dir.join("templates");
        let samples = [Story::sample(true), Story::sample(false)];
        let fronts = [FrontVars::sample(true), FrontVars::sample(false)];
        let lists = [ListVars::sample(true), ListVars::sample(false)];
        let error = ErrorVars::sample();
        for name in &self.overridden {
            let shown: Vec<Shown> = match *name {
                "front.html" => fronts.iter().map(Shown::Front).collect(),
                "list.html" => lists.iter().map(Shown::List).collect(),
                ERROR => vec![Shown::Error(&error)],
                _ if TEASERS.contains(name) => samples.iter().map(Shown::Story).collect(),
                _ if CONTENTS.contains(name) => {
                    samples.iter().map(|s| Shown::Article(s, SAMPLE_BODY)).collect()
                }
                _ => vec![Shown::Site],
            };
            for shown in shown {
                self.try_render(name, site, shown).map_err(|e| template_error(&templates, &e))?;
            }
        }
        Ok(())
    }

    /// Whether the theme has its own `name`.
    pub fn replaces(&self, name: &str) -> bool {
        self.overridden.contains(name)
    }

    /// The theme's partial `name` (one of [`PARTIALS`]) rendered for `site`, or `None` for
    /// the built-in one: when the theme has none, or (logged) when it fails to render.
    pub fn render(&self, name: &str, site: &Config) -> Option<String> {
        self.render_with(name, site, Shown::Site)
    }

    /// The theme's teaser `name` (one of [`TEASERS`]) of `story`, or `None` for the
    /// built-in one, as [`Theme::render`].
    pub fn render_story(&self, name: &str, site: &Config, story: &Story) -> Option<String> {
        self.render_with(name, site, Shown::Story(story))
    }

    /// The theme's `name` (one of [`CONTENTS`]) of `story`, whose body is `body` (HTML,
    /// sanitized when saved), or `None` for the built-in one, as [`Theme::render`].
    pub fn render_article(&self, name: &str, site: &Config, story: &Story, body: &str) -> Option<String> {
        self.render_with(name, site, Shown::Article(story, body))
    }

    /// The theme's `front.html`, or `None` for the built-in front page, as [`Theme::render`].
    pub fn render_front(&self, site: &Config, front: &FrontVars) -> Option<String> {
        self.render_with("front.html", site, Shown::Front(front))
    }

    /// The theme's `list.html`, or `None` for the built-in list, as [`Theme::render`].
    pub fn render_list(&self, site: &Config, list: &ListVars) -> Option<String> {
        self.render_with("list.html", site, Shown::List(list))
    }

    /// The theme's `error.html`, or `None` for the built-in one, as [`Theme::render`].
    pub fn render_error(&self, site: &Config, error: &ErrorVars) -> Option<String> {
        self.render_with(ERROR, site, Shown::Error(error))
    }

    fn render_with(&self, name: &str, site: &Config, shown: Shown) -> Option<String> {
        if !self.replaces(name) {
            return None;
        }
        match self.try_render(name, site, shown) {
            Ok(html) => Some(html),
            Err(e) => {
                let error = template_error(&self.dir.join("templates"), &e);
                tracing::error!(%error, "a theme template failed; the built-in one is shown");
                None
            }
        }
    }

    fn try_render(&self, name: &str, site: &Config, shown: Shown) -> Result<String, minijinja::Error> {
        self.templates.get_template(name)?.render(context(site, shown))
    }

    /// The theme's replacement for the built-in stylesheet, if it has one.
    pub fn stylesheet(&self) -> Option<&Asset> {
        self.stylesheet.as_ref()
    }

    /// The theme's own stylesheet, linked after the other, if it has one.
    pub fn added_stylesheet(&self) -> Option<&Asset> {
        self.added_stylesheet.as_ref()
    }

    /// The theme's stylesheets (served before the built-in assets, so that `site.css`
    /// wins over the built-in one of the same name).
    pub fn stylesheets(&self) -> impl Iterator<Item = &Asset> {
        self.stylesheet.iter().chain(self.added_stylesheet.iter())
    }
}

/// Every template a theme may have, for error messages.
fn theme_templates() -> Vec<&'static str> {
    PARTIALS.into_iter().chain(LISTS).chain(TEASERS).chain(CONTENTS).chain([ERROR]).collect()
}

/// What a template shows besides the site: nothing more (a partial), a story (a teaser),
/// or a story and its body (an article's own page).
#[derive(Clone, Copy)]
enum Shown<'a> {
    Site,
    Story(&'a Story),
    Article(&'a Story, &'a str),
    Front(&'a FrontVars),
    List(&'a ListVars),
    Error(&'a ErrorVars),
}

/// A body to check an article's template with at start.
const SAMPLE_BODY: &str = "<p>The body of a sample story.</p>";

#[derive(Serialize)]
struct SiteVars<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    logo: &'a str,
    icon: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct MenuVar<'a> {
    label: &'a str,
    href: String,
}

/// What a theme's templates see (documented in docs/themes.md): the site and its menu, and
/// what the template shows. A name a template does not get is undefined, an error like any
/// unknown name.
fn context(site: &Config, shown: Shown) -> Value {
    let site_vars = SiteVars {
        title: &site.site_title,
        description: &site.site_description,
        language: &site.language,
        logo: &site.site_logo,
        icon: &site.site_icon,
        url: &site.base_url,
    };
    let menu: Vec<MenuVar> = site.menu.iter().map(|m| MenuVar { label: &m.label, href: m.href() }).collect();
    let base = context! { site => site_vars, menu };
    match shown {
        Shown::Site => base,
        Shown::Story(story) => context! { story, ..base },
        // The body was sanitized when saved: marked safe, a theme never needs `|safe`.
        Shown::Article(story, body) => {
            context! { story, body => Value::from_safe_string(body.to_owned()), ..base }
        }
        Shown::Front(front) => context! { ..Value::from_serialize(front), ..base },
        Shown::List(list) => context! { ..Value::from_serialize(list), ..base },
        Shown::Error(error) => context! { error, ..base },
    }
}

/// The files and folders directly in `dir`, but for hidden ones (an editor's swap file) and
/// the `templates` folder, sorted so that the first mistake reported is always the same.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, ThemeError> {
    let failed = |source| ThemeError::Read { path: dir.to_owned(), source };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(failed)? {
        let path = entry.map_err(failed)?.path();
        let name = file_name(&path);
        if !name.starts_with('.') && name != "templates" {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A template's error with the file it is in (under `templates`) and its line.
fn template_error(templates: &Path, e: &minijinja::Error) -> ThemeError {
    let path = templates.join(e.name().unwrap_or("?"));
    let message = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    ThemeError::Template { path, line: e.line().unwrap_or(1), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Theme, ThemeError>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let theme = Theme::load(dir.path());
        (dir, theme)
    }

    #[test]
    fn no_folder_is_the_built_in_theme() {
        let theme = Theme::load(Path::new("")).unwrap();
        assert!(theme.stylesheet().is_none());
        assert_eq!(theme.render("footer.html", &Config::default()), None);
    }

    #[test]
    fn a_partial_sees_the_site_escaped() {
        let (_dir, theme) =
            theme_with(&[("templates/footer.html", "<p>{{ site.title }} · {{ site.url }}</p>")]);
        let site = Config {
            site_title: "Tom & <Jerry>".into(),
            base_url: "https://n.example".into(),
            ..Config::default()
        };
        let theme = theme.unwrap();
        theme.check(&site).unwrap();
        assert_eq!(
            theme.render("footer.html", &site).unwrap(),
            "<p>Tom &amp; &lt;Jerry&gt; · https:&#x2f;&#x2f;n.example</p>"
        );
        assert_eq!(theme.render("header.html", &site), None);
    }

    #[test]
    fn a_syntax_error_names_its_file_and_line() {
        let (_dir, theme) = theme_with(&[("templates/header.html", "<header>\n\n{% if %}\n</header>\n")]);
        let error = theme.unwrap_err().to_string();
        assert!(error.contains("header.html, line 3: syntax error"), "{error}");
    }

    #[test]
    fn an_unknown_variable_stops_the_start() {
        let (_dir, theme) = theme_with(&[("templates/footer.html", "<p>\n{{ site.tagline }}</p>")]);
        let error = theme.unwrap().check(&Config::default()).unwrap_err().to_string();
        assert!(error.contains("footer.html, line 2: undefined value"), "{error}");
    }

    #[test]
    fn a_partial_failing_after_the_start_gives_way_to_the_built_in_one() {
        let (_dir, theme) = theme_with(&[(
            "templates/footer.html",
            "{% if site.title == 'Boom' %}{{ site.nope }}{% endif %}ok",
        )]);
        let theme = theme.unwrap();
        theme.check(&Config::default()).unwrap();
        assert_eq!(theme.render("footer.html", &Config::default()).as_deref(), Some("ok"));
        let boom = Config { site_title: "Boom".into(), ..Config::default() };
        assert_eq!(theme.render("footer.html", &boom), None);
    }

    #[test]
    fn the_sample_theme_loads_and_renders() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/sample");
        let theme = Theme::load(&sample).unwrap();
        let site = Config {
            menu: vec![tribune_core::menu::MenuItem {
                label: "Local".into(),
                target: tribune_core::menu::MenuTarget::Tag(
                    tribune_core::slug::Slug::parse("local").unwrap(),
                ),
            }],
            ..Config::default()
        };
        theme.check(&site).unwrap();
        assert!(
            theme.stylesheet().is_none() && theme.added_stylesheet().is_some(),
            "it adds to the built-in"
        );
        for name in PARTIALS {
            assert!(theme.render(name, &site).is_some(), "{name}");
        }
        assert!(theme.render("header.html", &site).unwrap().contains(">Local</a>"));
        let story = theme.render_story("story.html", &site, &Story::sample(true)).unwrap();
        assert!(story.contains(r#"<p class="kicker">"#) && story.contains("A sample story"), "{story}");
    }

    #[test]
    fn a_teaser_sees_its_story_and_must_test_what_is_optional() {
        let card = "<article><h2>{{ story.title }}</h2>{% if story.image %}<img alt=\"{{ story.image.alt }}\">{% endif %}</article>";
        let (_dir, theme) = theme_with(&[("templates/card.html", card)]);
        let theme = theme.unwrap();
        theme.check(&Config::default()).unwrap();
        let mut story = Story::sample(true);
        story.title = "Tom & <Jerry>".into();
        assert_eq!(
            theme.render_story("card.html", &Config::default(), &story).unwrap(),
            "<article><h2>Tom &amp; &lt;Jerry&gt;</h2><img alt=\"A sample picture\"></article>"
        );

        let careless = "<article>\n<img src=\"{{ story.image.src }}\"></article>";
        let (_dir, theme) = theme_with(&[("templates/story.html", careless)]);
        let error = theme.unwrap().check(&Config::default()).unwrap_err().to_string();
        assert!(error.contains("story.html, line 2"), "a story without an image: {error}");

        let (_dir, theme) = theme_with(&[("templates/footer.html", "<p>{{ story.title }}</p>")]);
        let error = theme.unwrap().check(&Config::default()).unwrap_err().to_string();
        assert!(error.contains("footer.html, line 1: undefined value"), "only teasers see a story: {error}");
        let (_dir, theme) = theme_with(&[("templates/card.html", "<div>{{ body }}</div>")]);
        let error = theme.unwrap().check(&Config::default()).unwrap_err().to_string();
        assert!(error.contains("card.html, line 1: undefined value"), "only articles have a body: {error}");
    }

    #[test]
    fn a_front_page_is_checked_full_and_empty() {
        let front = "{% for s in latest %}{{ s.title }}{% endfor %}{% if lead %}{{ lead.title }}{% endif %}";
        let (_dir, theme) = theme_with(&[("templates/front.html", front)]);
        let theme = theme.unwrap();
        theme.check(&Config::default()).unwrap();
        let html = theme.render_front(&Config::default(), &FrontVars::sample(true)).unwrap();
        assert_eq!(html, "A sample storyA sample storyA sample story");

        let careless = "<main>\n{{ lead.title }}</main>";
        let (_dir, theme) = theme_with(&[("templates/front.html", careless)]);
        let error = theme.unwrap().check(&Config::default()).unwrap_err().to_string();
        assert!(error.contains("front.html, line 2"), "a front page with no lead yet: {error}");
        let (_dir, theme) = theme_with(&[("templates/list.html", "{{ lead }}")]);
        let error = theme.unwrap().check(&Config::default()).unwrap_err().to_string();
        assert!(error.contains("list.html, line 1: undefined value"), "a list has no lead: {error}");
    }

    #[test]
    fn an_article_template_prints_its_body_as_html_and_the_rest_escaped() {
        let content = "<article><h1>{{ story.title }}</h1>{{ body }}</article>";
        let (_dir, theme) = theme_with(&[("templates/article_content.html", content)]);
        let theme = theme.unwrap();
        theme.check(&Config::default()).unwrap();
        let mut story = Story::sample(false);
        story.title = "<script>alert(1)</script>".into();
        let html = theme
            .render_article(
                "article_content.html",
                &Config::default(),
                &story,
                "<p>A <em>fine</em> body.</p>",
            )
            .unwrap();
        assert_eq!(
            html,
            "<article><h1>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</h1><p>A <em>fine</em> body.</p></article>"
        );
    }

    #[test]
    fn unknown_and_misplaced_files_are_refused() {
        let (_dir, theme) = theme_with(&[("templates/fotter.html", "")]);
        let error = theme.unwrap_err().to_string();
        assert!(
            error.contains("fotter.html")
                && error.contains("head.html, header.html, footer.html, front.html"),
            "{error}"
        );
        let (_dir, theme) = theme_with(&[("footer.html", "")]);
        assert!(theme.unwrap_err().to_string().contains("templates/ may hold only"));
        let (_dir, theme) = theme_with(&[("style.css", ""), ("README.md", "")]);
        assert!(theme.unwrap_err().to_string().contains("must be called theme.css (added) or site.css"));
    }
}
