//! Article files: Markdown with TOML (`+++`) or YAML (`---`) front matter, the format Hugo
//! and Zola use, so an existing site's content folder publishes as it is. Every error names
//! the line and the field.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::article::{ArticleInput, ArticleStatus, FieldError};

/// A parse or validation problem in an article file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: usize,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}: {}: {}", self.line, field, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for FileError {}

/// A parsed file: the article it describes, and where each front matter key stands so
/// that later validation errors can point at the right line.
#[derive(Debug, Clone)]
pub struct ArticleFile {
    pub input: ArticleInput,
    key_lines: HashMap<String, usize>,
    body_line: usize,
}

impl ArticleFile {
    /// Turns a validation error into a file error on the line of its field.
    pub fn locate(&self, error: &FieldError) -> FileError {
        let line = match error.field {
            "body" => self.body_line,
            field => self.line_of(field),
        };
        FileError { line, field: Some(error.field.to_owned()), message: error.problem.clone() }
    }

    fn line_of(&self, field: &str) -> usize {
        let aliases: &[&str] = match field {
            "published_at" => &["published_at", "date"],
            "summary" => &["summary", "description"],
            "authors" => &["authors", "author"],
            "status" => &["status", "draft"],
            other => &[other][..],
        };
        aliases.iter().find_map(|k| self.key_lines.get(*k).copied()).unwrap_or(1)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrontMatter {
    /// `article` (the default) or `page`.
    kind: Option<String>,
    title: Option<String>,
    slug: Option<String>,
    #[serde(alias = "author")]
    authors: Option<OneOrMany>,
    tags: Option<Vec<String>>,
    /// Zola keeps tags under `[taxonomies]`.
    taxonomies: Option<HashMap<String, Vec<String>>>,
    #[serde(alias = "description")]
    summary: Option<String>,
    #[serde(alias = "date", default, deserialize_with = "date_text")]
    published_at: Option<String>,
    status: Option<String>,
    /// Hugo's way of saying status = "draft".
    draft: Option<bool>,
    source_name: Option<String>,
    source_url: Option<String>,
    image: Option<String>,
    image_alt: Option<String>,
    /// Free-form data for themes, as in Zola; Tribune ignores it.
    #[serde(default, rename = "extra")]
    _extra: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Parses an article file. `file_stem` (the name without `.md`) is the slug when the front
/// matter gives none, as in Hugo.
pub fn parse_article_file(text: &str, file_stem: Option<&str>) -> Result<ArticleFile, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (format, front, body, body_line) = split(text)?;
    let raw: RawFrontMatter = match format {
        Format::Toml => toml::from_str(front).map_err(|e| {
            // An error found at the very end (an unclosed array) belongs to the last line.
            let last = front.lines().count().saturating_sub(1);
            let line = e.span().map_or(0, |s| line_at(front, s.start)).min(last);
            file_error(line + 2, e.message())
        })?,
        Format::Yaml if front.trim().is_empty() => {
            return Err(FileError { line: 1, field: Some("title".into()), message: "is required".into() });
        }
        Format::Yaml => serde_norway::from_str(front).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            file_error(line + 1, &e.to_string())
        })?,
    };
    let key_lines = key_lines(front, format);
    let at = |field: &str| key_lines.get(field).copied().unwrap_or(1);
    let published_at = match raw.published_at.as_deref() {
        None => None,
        Some(s) => Some(parse_date(s).ok_or_else(|| FileError {
            line: at("published_at").max(at("date")),
            field: Some("published_at".into()),
            message: format!(
                "\"{s}\" is not a date: use 2020-07-01, 2020-07-01 09:30 or 2020-07-01T09:30:00+02:00"
            ),
        })?),
    };
    let kind = match raw.kind.as_deref() {
        None => None,
        Some(k) => Some(
            crate::article::ArticleKind::parse(k)
                .filter(|k| *k != crate::article::ArticleKind::Embedded)
                .ok_or_else(|| FileError {
                    line: at("kind"),
                    field: Some("kind".into()),
                    message: format!("\"{k}\" is not one of article, page"),
                })?,
        ),
    };
    let status = match (raw.status.as_deref(), raw.draft) {
        (Some(s), _) => Some(ArticleStatus::parse(s).ok_or_else(|| FileError {
            line: at("status"),
            field: Some("status".into()),
            message: format!("\"{s}\" is not one of draft, scheduled, published"),
        })?),
        (None, Some(true)) => Some(ArticleStatus::Draft),
        (None, _) => None,
    };
    let mut tags = raw.tags.unwrap_or_default();
    if let Some(mut taxonomies) = raw.taxonomies {
        tags.extend(taxonomies.remove("tags").unwrap_or_default());
    }
    let input = ArticleInput {
        kind,
        slug: raw.slug.or_else(|| file_stem.filter(|s| *s != "index").map(str::to_owned)),
        title: raw.title.unwrap_or_default(),
        summary: raw.summary,
        body_markdown: body.to_owned(),
        status,
        published_at,
        authors: match raw.authors {
            None => vec![],
            Some(OneOrMany::One(a)) => vec![a],
            Some(OneOrMany::Many(a)) => a,
        },
        tags,
        source_name: raw.source_name,
        source_url: raw.source_url,
        image: raw.image,
        image_alt: raw.image_alt,
    };
    Ok(ArticleFile { input, key_lines, body_line })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Yaml,
}

/// Splits a file into its front matter and body; also returns the body's first line.
fn split(text: &str) -> Result<(Format, &str, &str, usize), FileError> {
    let first = text.lines().next().unwrap_or("").trim_end();
    let (format, fence) = match first {
        "+++" => (Format::Toml, "+++"),
        "---" => (Format::Yaml, "---"),
        _ => {
            return Err(file_error(
                1,
                "the file must start with front matter: a line +++ (TOML) or --- (YAML)",
            ));
        }
    };
    let after_open = &text[text.find('\n').map_or(text.len(), |i| i + 1)..];
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end() == fence {
            let front = &after_open[..offset];
            let body = &after_open[offset + line.len()..];
            let body_line = 2 + front.matches('\n').count() + 1;
            return Ok((format, front, body.trim_start_matches(['\n', '\r']), body_line));
        }
        offset += line.len();
    }
    Err(file_error(1, &format!("the front matter opened here with {fence} is never closed")))
}

fn file_error(line: usize, message: &str) -> FileError {
    FileError { line, field: None, message: message.trim().to_owned() }
}

/// 0-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count()
}

/// The file line of each top-level key, found by reading the front matter as text.
fn key_lines(front: &str, format: Format) -> HashMap<String, usize> {
    let separator = if format == Format::Toml { '=' } else { ':' };
    let mut lines = HashMap::new();
    for (i, line) in front.lines().enumerate() {
        if line.starts_with([' ', '\t', '#', '[', '-']) {
            continue;
        }
        if let Some((key, _)) = line.split_once(separator) {
            lines.entry(key.trim().trim_matches('"').to_owned()).or_insert(i + 2);
        }
    }
    lines
}

/// Accepts a date as text (YAML) or as a TOML date-time value.
fn date_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct DateVisitor;
    impl<'de> serde::de::Visitor<'de> for DateVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a date")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(s.to_owned()))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let dt = toml::value::Datetime::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            Ok(Some(dt.to_string()))
        }
    }
    d.deserialize_any(DateVisitor)
}

/// RFC 3339, or a date with an optional time read as UTC.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
            return Some(dt.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|dt| dt.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reads_toml_front_matter() {
        let text = "+++\ntitle = \"Hello\"\nauthors = [\"Ada\", \"Bob\"]\ndate = 2020-07-01T10:00:00Z\n[taxonomies]\ntags = [\"x\"]\n+++\n\nBody *here*.\n";
        let file = parse_article_file(text, Some("hello-file")).unwrap();
        let a = &file.input;
        assert_eq!(a.title, "Hello");
        assert_eq!(a.slug.as_deref(), Some("hello-file"));
        assert_eq!(a.authors, ["Ada", "Bob"]);
        assert_eq!(a.tags, ["x"]);
        assert_eq!(a.published_at, Some(Utc.with_ymd_and_hms(2020, 7, 1, 10, 0, 0).unwrap()));
        assert_eq!(a.body_markdown, "Body *here*.\n");
    }

    #[test]
    fn reads_yaml_front_matter() {
        let text = "---\ntitle: Hello\nauthor: Ada\ndescription: Short\ndate: 2020-07-01\ndraft: true\nsource_name: Review\nsource_url: https://r.example/a\n---\nBody";
        let a = parse_article_file(text, None).unwrap().input;
        assert_eq!(a.authors, ["Ada"]);
        assert_eq!(a.summary.as_deref(), Some("Short"));
        assert_eq!(a.status, Some(ArticleStatus::Draft));
        assert_eq!(a.source_url.as_deref(), Some("https://r.example/a"));
        assert_eq!(a.published_at, Some(Utc.with_ymd_and_hms(2020, 7, 1, 0, 0, 0).unwrap()));
    }

    #[test]
    fn errors_name_the_line() {
        let unclosed = parse_article_file("+++\ntitle = \"x\"\n", None).unwrap_err();
        assert_eq!(unclosed.line, 1);
        let syntax = parse_article_file("+++\ntitle = \"x\"\nslug = = 3\n+++\n", None).unwrap_err();
        assert_eq!(syntax.line, 3, "{syntax}");
        let unknown = parse_article_file("---\ntitle: x\n\ntittle: y\n---\n", None).unwrap_err();
        assert_eq!(unknown.line, 4, "{unknown}");
        assert!(unknown.message.contains("tittle"), "{unknown}");
        let date = parse_article_file("---\ntitle: x\ndate: yesterday\n---\n", None).unwrap_err();
        assert_eq!((date.line, date.field.as_deref()), (3, Some("published_at")));
        let status = parse_article_file("+++\ntitle = \"x\"\nstatus = \"live\"\n+++\n", None).unwrap_err();
        assert_eq!((status.line, status.field.as_deref()), (3, Some("status")));
        assert!(parse_article_file("no front matter", None).is_err());
    }

    #[test]
    fn locates_validation_errors() {
        let file = parse_article_file("---\ntitle: x\nslug: Bad Slug\n---\nbody\n", None).unwrap();
        let errors = file.input.clone().validate(Utc::now()).unwrap_err();
        assert_eq!(file.locate(&errors[0]).to_string(), format!("line 3: slug: {}", errors[0].problem));
    }
}
