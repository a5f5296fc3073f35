//! The site's configuration: built-in defaults, then a TOML file, then `TRIBUNE_*`
//! environment variables, then command-line flags, each overriding the one before.
//! Checked once at start; the rest of the program receives a plain, valid [`Config`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use tribune_core::moderators::digest::DigestFrequency;

/// Every key of the config file; each is also read from `TRIBUNE_<KEY>` (upper case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Folder for the SQLite database and other local state.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; empty means SQLite in `data_dir`.
    pub database_url: String,
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// The public address of the site, used in feeds, canonical links and the sitemap;
    /// empty means `http://{bind}`.
    pub base_url: String,
    pub site_title: String,
    pub site_description: String,
    /// The language of the site's content, as a BCP 47 tag (`en`, `fr-CA`).
    pub language: String,
    /// The site's logo, a path on this site (`/media/…`, `/static/…`); empty for none.
    pub site_logo: String,
    /// The browser tab's icon, a path on this site; empty for the built-in one.
    pub site_icon: String,
    /// A folder whose files add to or replace the built-in stylesheet and public templates
    /// (see docs/themes.md); empty for the built-in theme.
    pub theme_dir: PathBuf,
    /// The theme read from `theme_dir`, set when the site starts (`server::build_state`).
    #[serde(skip)]
    pub theme: std::sync::Arc<crate::theme::Theme>,
    pub articles_per_page: u32,
    /// How many rendered pages to keep in memory.
    pub page_cache_entries: usize,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// The site's time zone (IANA name): months, and so goals, begin at its midnight.
    pub timezone: String,
    /// A month without its own goal shows the latest earlier one.
    pub funding_carry_forward: bool,
    /// The largest single gift or goal taken without confirmation, in major units of its
    /// currency: a typo with three zeros too many is refused rather than counted.
    pub funding_ceiling: u64,
    /// The call to give under every article.
    pub support_call: String,
    /// Stripe's signing secret for this webhook endpoint (`whsec_…`); empty disables it.
    pub stripe_webhook_secret: String,
    /// Where to give by card, e.g. a Stripe Payment Link; shown on /support.
    pub support_card_url: String,
    /// Bank transfer details, shown as written on /support.
    pub support_bank_details: String,
    /// Any other ways to give, shown as written on /support.
    pub support_other: String,
    /// Guests (name required, email optional) may comment; otherwise only signed-in readers.
    pub comments_allow_guests: bool,
    /// Minutes during which a commenter may edit (and a guest delete) a comment.
    pub comment_edit_minutes: u32,
    /// Discussions close this many days after publication; 0 keeps them open.
    pub comments_close_after_days: u32,
    /// Every new comment waits for a moderator before readers see it.
    pub comments_hold_for_review: bool,
    /// No new comments anywhere on the site (the form gives way to a notice); existing
    /// discussions stay visible. An article can also be closed on its own.
    pub comments_closed: bool,
    /// Days after each gift that its donor (matched by a confirmed account address) counts
    /// as a supporter.
    pub supporter_days: u32,
    /// Supporters' comments skip the new-commenter hold (`moderation_trust_after`).
    pub supporters_skip_hold: bool,
    /// Domains whose links never count against a comment, comma-separated.
    pub moderation_allow_domains: String,
    /// Domains whose links refuse a comment, comma-separated.
    pub moderation_deny_domains: String,
    /// The site's own words and phrases, each with its action: `phrase=hold, other=refuse`.
    pub moderation_words: String,
    /// What slurs and severe abuse do: `hold` (for a moderator) or `refuse`.
    pub moderation_abusive_action: String,
    /// More links than this in one comment hold it.
    pub moderation_max_links: usize,
    /// Hours during which the same text posted again is held (refused from its own
    /// author); 0 turns the check off.
    pub moderation_duplicate_hours: u32,
    /// Limits how fast one commenter and one address may post (429 past it).
    pub moderation_rate_limit: bool,
    /// What a banned poster's comment meets: `refuse` (422, with the reason) or `shadow`
    /// (held, shown only to its author as awaiting moderation).
    pub moderation_ban_mode: String,
    /// How often moderators are mailed the held comments: `immediately`, `hourly`,
    /// `daily` or `never`.
    pub moderation_digest: String,
    /// `moderation_ban_mode`, parsed at load.
    #[serde(skip)]
    pub ban_mode: tribune_core::moderators::BanMode,
    /// Flags from this many distinct readers hold a published comment for a moderator;
    /// 0: flags are only listed for moderators.
    pub moderation_flags_to_hold: u32,
    /// Holds the comments of a commenter (account or guest browser) with fewer than this
    /// many approved comments; 0 (the default) turns it off.
    pub moderation_trust_after: u32,
    /// The learned filter holds a comment it finds spam or abuse with this probability
    /// (0.5 to 1; above 1 turns it off).
    pub moderation_learned_threshold: f64,
    /// The moderation settings above, parsed at load.
    #[serde(skip)]
    pub moderation: std::sync::Arc<tribune_core::moderation::Pipeline>,
    /// Deepest indentation; deeper replies show at this depth with "in reply to".
    pub comment_max_indent: u32,
    /// Top-level threads per page of a discussion.
    pub comment_threads_per_page: u32,
    /// Addresses or CIDR ranges of the proxies in front of the site, comma-separated:
    /// only their `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: String,
    /// `trusted_proxies`, parsed at load.
    #[serde(skip)]
    pub proxies: Vec<ipnet::IpNet>,
    /// Origins (`https://blog.example`) whose pages may embed a discussion, comma-separated:
    /// only they may frame it, and only their pages get one created.
    pub embed_origins: String,
    /// `embed_origins`, parsed at load.
    #[serde(skip)]
    pub embed_allow: tribune_core::embed::Origins,
    /// Open connections served at once; more wait in the kernel's queue. 0 (the default)
    /// sizes it to the open-files limit (`ulimit -n`, `LimitNOFILE`), raised at start to
    /// what the system allows; a number must stay well under that limit.
    pub max_connections: usize,
    /// A request's headers must arrive within this; it is also how long a kept-alive
    /// connection may wait for its next request.
    pub header_timeout_seconds: u64,
    /// A request, its body included, must be read and answered within this (else 408).
    pub request_timeout_seconds: u64,
    /// On shutdown, requests in flight get this long to finish before their connections
    /// are cut.
    pub shutdown_grace_seconds: u64,
    /// How often a node reads the shared invalidation log. On PostgreSQL other nodes'
    /// writes wake it at once and this is only the catch-up; on SQLite it bounds how long
    /// a write from the command line takes to show.
    pub cache_sync_seconds: u64,
    /// Prometheus may read `/metrics` on the site's port with `Authorization: Bearer` and
    /// this token (at least 16 characters); empty: `/metrics` does not exist there.
    pub metrics_token: String,
    /// An address (e.g. `127.0.0.1:9101`) where `/metrics` is served without a token, for a
    /// scraper on a private network; empty: none.
    pub metrics_bind: String,
    /// Where mail goes out: `smtp://HOST:25` (plain, for a relay on the same host),
    /// `smtp://HOST:587?tls=required` (STARTTLS) or `smtps://HOST:465`; empty turns mail
    /// off. The user name and password come only from `TRIBUNE_SMTP_USERNAME` and
    /// `TRIBUNE_SMTP_PASSWORD` in the environment, never from here, so they are never
    /// in a file or a log.
    pub smtp_url: String,
    /// The sender of every message, e.g. `Daily Tribune <news@tribune.example>`.
    pub mail_from: String,
    /// The wait before the first retry of a message that could not be sent; each later
    /// wait doubles, up to an hour.
    pub mail_retry_seconds: u64,
    /// The largest image file an editor may upload, in bytes (refused with 413 beyond).
    pub media_max_bytes: usize,
    /// The navigation menu, as the admin saved it (read with the settings, never from a file).
    #[serde(skip)]
    pub menu: Vec<tribune_core::menu::MenuItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("tribune-data"),
            database_url: String::new(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: String::new(),
            site_title: "Tribune".into(),
            site_description: "An independent, reader-funded news site.".into(),
            language: "en".into(),
            site_logo: String::new(),
            site_icon: String::new(),
            theme_dir: PathBuf::new(),
            theme: Default::default(),
            articles_per_page: 10,
            page_cache_entries: 5000,
            log_format: LogFormat::Text,
            timezone: "UTC".into(),
            funding_carry_forward: true,
            funding_ceiling: tribune_core::funding::guard::DEFAULT_CEILING_MAJOR,
            support_call: "Do you like this content? Consider helping us!".into(),
            stripe_webhook_secret: String::new(),
            support_card_url: String::new(),
            support_bank_details: String::new(),
            support_other: String::new(),
            comments_allow_guests: true,
            comment_edit_minutes: 15,
            comments_close_after_days: 0,
            comments_hold_for_review: false,
            comments_closed: false,
            supporter_days: tribune_core::supporters::DEFAULT_DAYS,
            supporters_skip_hold: false,
            moderation_allow_domains: String::new(),
            moderation_deny_domains: String::new(),
            moderation_words: String::new(),
            moderation_abusive_action: "hold".into(),
            moderation_max_links: 3,
            moderation_duplicate_hours: 24,
            moderation_rate_limit: true,
            moderation_ban_mode: "refuse".into(),
            moderation_digest: "hourly".into(),
            ban_mode: Default::default(),
            moderation_flags_to_hold: 3,
            moderation_trust_after: 0,
            moderation_learned_threshold: tribune_core::moderation::learned::THRESHOLD,
            moderation: Default::default(),
            comment_max_indent: 6,
            comment_threads_per_page: 20,
            trusted_proxies: String::new(),
            embed_origins: String::new(),
            embed_allow: tribune_core::embed::Origins::default(),
            proxies: Vec::new(),
            max_connections: 0,
            header_timeout_seconds: 10,
            request_timeout_seconds: 30,
            shutdown_grace_seconds: 10,
            cache_sync_seconds: 1,
            metrics_token: String::new(),
            metrics_bind: String::new(),
            smtp_url: String::new(),
            mail_from: String::new(),
            mail_retry_seconds: tribune_core::mail::FIRST_RETRY.as_secs(),
            media_max_bytes: 10 * 1024 * 1024,
            menu: Vec::new(),
        }
    }
}

const KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "bind",
    "base_url",
    "site_title",
    "site_description",
    "language",
    "site_logo",
    "site_icon",
    "theme_dir",
    "articles_per_page",
    "page_cache_entries",
    "log_format",
    "timezone",
    "funding_carry_forward",
    "funding_ceiling",
    "support_call",
    "stripe_webhook_secret",
    "support_card_url",
    "support_bank_details",
    "support_other",
    "comments_allow_guests",
    "comment_edit_minutes",
    "comments_close_after_days",
    "comments_hold_for_review",
    "comments_closed",
    "supporter_days",
    "supporters_skip_hold",
    "moderation_allow_domains",
    "moderation_deny_domains",
    "moderation_words",
    "moderation_abusive_action",
    "moderation_max_links",
    "moderation_duplicate_hours",
    "moderation_rate_limit",
    "moderation_ban_mode",
    "moderation_digest",
    "moderation_flags_to_hold",
    "moderation_trust_after",
    "moderation_learned_threshold",
    "comment_max_indent",
    "comment_threads_per_page",
    "trusted_proxies",
    "embed_origins",
    "max_connections",
    "header_timeout_seconds",
    "request_timeout_seconds",
    "shutdown_grace_seconds",
    "cache_sync_seconds",
    "metrics_token",
    "metrics_bind",
    "smtp_url",
    "mail_from",
    "mail_retry_seconds",
    "media_max_bytes",
];

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0}: no such file")]
    MissingFile(PathBuf),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// The `<link>`s to the stylesheets every page uses: the built-in one (or the theme's
    /// replacement), then the theme's own, if any.
    pub fn stylesheet_links(&self) -> String {
        let main = match self.theme.stylesheet() {
            Some(theme_css) => theme_css.url(),
            None => crate::http::assets::url(crate::theme::STYLESHEET),
        };
        let mut links = format!(r#"<link rel="stylesheet" href="{main}">"#);
        if let Some(added) = self.theme.added_stylesheet() {
            links.push_str(&format!("\n<link rel=\"stylesheet\" href=\"{}\">", added.url()));
        }
        links
    }

    /// The theme's partial `name` (`header.html`…) rendered with these settings, or `None`
    /// to show the built-in one.
    pub fn themed(&self, name: &str) -> Option<String> {
        self.theme.render(name, self)
    }

    /// The theme's teaser `name` (`card.html`…) of `view`, or `None` to show the built-in one.
    pub fn themed_story(&self, name: &str, view: &crate::http::views::ArticleView<'_>) -> Option<String> {
        if !self.theme.replaces(name) {
            return None;
        }
        self.theme.render_story(name, self, &view.story(name))
    }

    /// The theme's `name` (`article_content.html`, `page_content.html`) of `view`, its
    /// body `body`, or `None` to show the built-in one.
    pub fn themed_article(
        &self,
        name: &str,
        view: &crate::http::views::ArticleView<'_>,
        body: &str,
    ) -> Option<String> {
        if !self.theme.replaces(name) {
            return None;
        }
        self.theme.render_article(name, self, &view.story(name), body)
    }

    /// Whether `/metrics` is served anywhere (a token, or an address of its own).
    pub fn metrics_enabled(&self) -> bool {
        !self.metrics_token.is_empty() || !self.metrics_bind.is_empty()
    }

    /// Reads the layers in order. `file` is the `--config` path, if any.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::MissingFile(file.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let config: Config = figment
            .merge(Env::prefixed("TRIBUNE_").only(KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))?;
        config.validated()
    }

    /// Fills in the derived defaults and refuses values the site cannot run with.
    fn validated(mut self) -> Result<Config, ConfigError> {
        let invalid = |key: &str, why: &str| ConfigError::Invalid(format!("{key}: {why}"));
        if self.database_url.is_empty() {
            self.database_url = format!("sqlite://{}", self.data_dir.join("tribune.db").display());
        }
        if self.base_url.is_empty() {
            self.base_url = format!("http://{}", self.bind);
        }
        self.base_url = self.base_url.trim_end_matches('/').to_owned();
        if !tribune_core::article::is_absolute_http_url(&self.base_url) {
            return Err(invalid(
                "base_url",
                "must be an absolute http:// or https:// URL, e.g. https://news.example",
            ));
        }
        if self.supporter_days > tribune_core::supporters::MAX_DAYS {
            return Err(invalid("supporter_days", "must be a whole number from 0 to 3660"));
        }
        if !(1..=100).contains(&self.articles_per_page) {
            return Err(invalid("articles_per_page", "must be between 1 and 100"));
        }
        if self.site_title.trim().is_empty() {
            return Err(invalid("site_title", "cannot be empty"));
        }
        let lang_ok = !self.language.is_empty()
            && self
                .language
                .split('-')
                .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !lang_ok {
            return Err(invalid("language", "must be a language tag such as en or fr-CA"));
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(invalid(
                "timezone",
                "must be an IANA time zone such as UTC, Europe/Paris or America/New_York",
            ));
        }
        if !self.support_card_url.is_empty()
            && !tribune_core::article::is_absolute_http_url(&self.support_card_url)
        {
            return Err(invalid("support_card_url", "must be an absolute https:// URL"));
        }
        if !self.metrics_token.is_empty() && self.metrics_token.chars().count() < 16 {
            return Err(invalid("metrics_token", "must be at least 16 characters (or empty: no /metrics)"));
        }
        if !self.metrics_bind.is_empty() && self.metrics_bind.parse::<SocketAddr>().is_err() {
            return Err(invalid("metrics_bind", "must be an address and port such as 127.0.0.1:9101"));
        }
        for (key, value) in [("site_logo", &self.site_logo), ("site_icon", &self.site_icon)] {
            tribune_core::site::check(key, value).map_err(|why| invalid(key, &why))?;
        }
        if self.funding_ceiling == 0 {
            return Err(invalid("funding_ceiling", "must be at least 1 (in major units, e.g. 100000)"));
        }
        if !(1..=20).contains(&self.comment_max_indent) {
            return Err(invalid("comment_max_indent", "must be between 1 and 20"));
        }
        if !(1..=500).contains(&self.comment_threads_per_page) {
            return Err(invalid("comment_threads_per_page", "must be between 1 and 500"));
        }
        self.proxies = parse_proxies(&self.trusted_proxies).map_err(|bad| {
            invalid(
                "trusted_proxies",
                &format!("\"{bad}\" is not an address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, ::1)"),
            )
        })?;
        self.embed_allow = tribune_core::embed::Origins::parse(&self.embed_origins).map_err(|bad| {
            invalid("embed_origins", &format!("\"{bad}\" is not an origin (e.g. https://blog.example)"))
        })?;
        self.moderation =
            std::sync::Arc::new(tribune_core::moderation::Pipeline::new(self.moderation_settings()?));
        self.ban_mode = tribune_core::moderators::BanMode::parse(&self.moderation_ban_mode)
            .ok_or_else(|| invalid("moderation_ban_mode", "must be refuse or shadow"))?;
        if DigestFrequency::parse(&self.moderation_digest).is_none() {
            return Err(invalid("moderation_digest", "must be immediately, hourly, daily or never"));
        }
        if !self.smtp_url.is_empty() {
            crate::mail::check_url(&self.smtp_url).map_err(|why| invalid("smtp_url", &why))?;
            crate::mail::check_from(&self.mail_from).map_err(|why| invalid("mail_from", &why))?;
        }
        if !(1..=86_400).contains(&self.mail_retry_seconds) {
            return Err(invalid("mail_retry_seconds", "must be between 1 and 86400"));
        }
        if !(1024..=100 * 1024 * 1024).contains(&self.media_max_bytes) {
            return Err(invalid("media_max_bytes", "must be between 1024 and 104857600 (100 MiB)"));
        }
        if self.max_connections > 1_000_000 {
            return Err(invalid("max_connections", "must be at most 1000000 (0: from the open-files limit)"));
        }
        for (key, seconds) in [
            ("header_timeout_seconds", self.header_timeout_seconds),
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("shutdown_grace_seconds", self.shutdown_grace_seconds),
            ("cache_sync_seconds", self.cache_sync_seconds),
        ] {
            if !(1..=3600).contains(&seconds) {
                return Err(invalid(key, "must be between 1 and 3600"));
            }
        }
        Ok(self)
    }

    /// The settings an admin may change from the browser, as this configuration sets them:
    /// their defaults.
    pub fn site_settings(&self) -> tribune_core::site::SiteSettings {
        use tribune_core::site::ModerationMode;
        tribune_core::site::SiteSettings {
            site_title: self.site_title.clone(),
            site_description: self.site_description.clone(),
            language: self.language.clone(),
            timezone: self.timezone.clone(),
            site_logo: self.site_logo.clone(),
            site_icon: self.site_icon.clone(),
            support_call: self.support_call.clone(),
            support_card_url: self.support_card_url.clone(),
            support_bank_details: self.support_bank_details.clone(),
            support_other: self.support_other.clone(),
            comments_allow_guests: self.comments_allow_guests,
            comment_edit_minutes: self.comment_edit_minutes,
            comments_close_after_days: self.comments_close_after_days,
            comments_moderation: if self.comments_closed {
                ModerationMode::Closed
            } else if self.comments_hold_for_review {
                ModerationMode::Before
            } else {
                ModerationMode::After
            },
            articles_per_page: self.articles_per_page,
            supporter_days: self.supporter_days,
            supporters_skip_hold: self.supporters_skip_hold,
            moderation_digest: DigestFrequency::parse(&self.moderation_digest).unwrap_or_default(),
            embed_origins: self.embed_origins.clone(),
        }
    }

    /// This configuration with `s` in place of its own site settings.
    pub fn with_site_settings(&self, s: &tribune_core::site::SiteSettings) -> Config {
        use tribune_core::site::ModerationMode;
        Config {
            site_title: s.site_title.clone(),
            site_description: s.site_description.clone(),
            language: s.language.clone(),
            timezone: s.timezone.clone(),
            site_logo: s.site_logo.clone(),
            site_icon: s.site_icon.clone(),
            support_call: s.support_call.clone(),
            support_card_url: s.support_card_url.clone(),
            support_bank_details: s.support_bank_details.clone(),
            support_other: s.support_other.clone(),
            comments_allow_guests: s.comments_allow_guests,
            comment_edit_minutes: s.comment_edit_minutes,
            comments_close_after_days: s.comments_close_after_days,
            comments_hold_for_review: s.comments_moderation == ModerationMode::Before,
            comments_closed: s.comments_moderation == ModerationMode::Closed,
            articles_per_page: s.articles_per_page,
            supporter_days: s.supporter_days,
            supporters_skip_hold: s.supporters_skip_hold,
            moderation_digest: s.moderation_digest.as_str().to_owned(),
            embed_origins: s.embed_origins.clone(),
            // Checked when stored (`site::check`): a list that fails now allows nothing.
            embed_allow: tribune_core::embed::Origins::parse(&s.embed_origins).unwrap_or_default(),
            ..self.clone()
        }
    }

    /// Whether readers have any way to give (else /support says only what the goal is).
    pub fn has_way_to_give(&self) -> bool {
        self.site_settings().has_way_to_give()
    }

    /// The discussion settings, as the core's use cases take them.
    pub fn discussion_rules(&self) -> tribune_core::discussion::DiscussionRules {
        tribune_core::discussion::DiscussionRules {
            allow_guests: self.comments_allow_guests,
            edit_window: chrono::Duration::minutes(i64::from(self.comment_edit_minutes)),
            close_after: (self.comments_close_after_days > 0)
                .then(|| chrono::Duration::days(i64::from(self.comments_close_after_days))),
            hold_for_review: self.comments_hold_for_review,
            closed: self.comments_closed,
            moderation: self.moderation.clone(),
            ban_mode: self.ban_mode,
            notices: None,
            supporters: self.supporter_rules(),
        }
    }

    /// What makes a supporter, as the settings say.
    pub fn supporter_rules(&self) -> tribune_core::supporters::SupporterRules {
        tribune_core::supporters::SupporterRules::days(self.supporter_days, self.supporters_skip_hold)
    }

    /// The moderation keys, checked, as the core takes them.
    fn moderation_settings(&self) -> Result<tribune_core::moderation::Settings, ConfigError> {
        use tribune_core::moderation::{Outcome, Settings, language, links};
        let invalid = |key: &str, why: &str| ConfigError::Invalid(format!("{key}: {why}"));
        let words = language::parse_words(&self.moderation_words).map_err(|bad| {
            invalid("moderation_words", &format!("\"{bad}\" must be a phrase, then =hold or =refuse"))
        })?;
        let abusive_action = Outcome::parse_action(&self.moderation_abusive_action)
            .ok_or_else(|| invalid("moderation_abusive_action", "must be hold or refuse"))?;
        if !(1..=100).contains(&self.moderation_max_links) {
            return Err(invalid("moderation_max_links", "must be between 1 and 100"));
        }
        for (key, value) in [
            ("moderation_flags_to_hold", self.moderation_flags_to_hold),
            ("moderation_trust_after", self.moderation_trust_after),
        ] {
            if value > 100 {
                return Err(invalid(key, "must be between 0 (off) and 100"));
            }
        }
        if !(0.5..=1.01).contains(&self.moderation_learned_threshold) {
            return Err(invalid("moderation_learned_threshold", "must be between 0.5 and 1.01"));
        }
        Ok(Settings {
            links: links::LinkRules {
                allow: links::parse_domains(&self.moderation_allow_domains),
                deny: links::parse_domains(&self.moderation_deny_domains),
                max_links: self.moderation_max_links,
            },
            language: language::LanguageRules { words, abusive_action },
            duplicate_window: std::time::Duration::from_secs(
                u64::from(self.moderation_duplicate_hours) * 3600,
            ),
            rate_limit: self.moderation_rate_limit,
            flags_to_hold: self.moderation_flags_to_hold,
            trust_after: self.moderation_trust_after,
            learned_threshold: self.moderation_learned_threshold,
        })
    }

    /// The site's time zone (checked at load).
    /// The funding guard for a request that confirms nothing (admin forms, webhooks).
    pub fn funding_guard(&self) -> tribune_core::funding::guard::Guard {
        tribune_core::funding::guard::Guard::with_ceiling(self.funding_ceiling)
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)
    }

    /// Cookies get the `Secure` flag when the site is served over HTTPS.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// An absolute URL for a site path such as `/articles/x`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

/// `127.0.0.1, 10.0.0.0/8` to ranges; a bare address is a range of one.
fn parse_proxies(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| s.to_owned())
        })
        .collect()
}

/// Figment names the key and where its value came from; keep that, drop the noise.
fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .and_then(|m| m.source.as_ref())
                .map(|s| format!(" (from {s})"))
                .unwrap_or_default();
            if key.is_empty() { format!("{}{source}", e.kind) } else { format!("{key}: {}{source}", e.kind) }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // figment's test jail returns its own (large) error type.
    #[test]
    #[allow(clippy::result_large_err)]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "site.toml",
                "site_title = \"From file\"\nbind = \"127.0.0.1:9000\"\narticles_per_page = 5",
            )?;
            jail.set_env("TRIBUNE_SITE_TITLE", "From env");
            jail.set_env("TRIBUNE_TEST_POSTGRES_URL", "ignored: not a config key");
            let overrides =
                Overrides { base_url: Some("https://news.example/".into()), ..Default::default() };
            let c = Config::load(Some(Path::new("site.toml")), &overrides).unwrap();
            assert_eq!(c.site_title, "From env");
            assert_eq!(c.bind.port(), 9000);
            assert_eq!(c.articles_per_page, 5);
            assert_eq!(c.base_url, "https://news.example");
            assert!(c.database_url.ends_with("tribune-data/tribune.db"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn bad_values_name_the_key_and_the_source() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "articles_per_page = \"many\"")?;
            let err =
                Config::load(Some(Path::new("bad.toml")), &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("articles_per_page") && err.contains("bad.toml"), "{err}");
            jail.create_file("typo.toml", "site_titel = \"x\"")?;
            let err =
                Config::load(Some(Path::new("typo.toml")), &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("site_titel"), "{err}");
            jail.set_env("TRIBUNE_BIND", "not an address");
            let err = Config::load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("bind"), "{err}");
            Ok(())
        });
        let err = Config::load(Some(Path::new("/nonexistent/x.toml")), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.toml"));
        let bad_url = Overrides { base_url: Some("news.example".into()), ..Default::default() };
        assert!(Config::load(None, &bad_url).unwrap_err().to_string().contains("base_url"));
    }

    #[test]
    fn connection_limits_must_be_usable() {
        let refused = |c: Config, key: &str| c.validated().unwrap_err().to_string().contains(key);
        assert!(refused(Config { max_connections: 2_000_000, ..Config::default() }, "max_connections"));
        assert!(refused(Config { header_timeout_seconds: 0, ..Config::default() }, "header_timeout_seconds"));
        assert!(refused(
            Config { request_timeout_seconds: 0, ..Config::default() },
            "request_timeout_seconds"
        ));
        assert!(refused(
            Config { shutdown_grace_seconds: 7200, ..Config::default() },
            "shutdown_grace_seconds"
        ));
        assert!(Config::default().validated().is_ok());
    }

    #[test]
    fn moderation_thresholds_reach_the_pipeline_and_are_bounded() {
        let c = Config { moderation_flags_to_hold: 5, moderation_trust_after: 2, ..Config::default() };
        let settings = &c.validated().unwrap().moderation.settings;
        assert_eq!((settings.flags_to_hold, settings.trust_after), (5, 2));
        let refused = |c: Config, key: &str| c.validated().unwrap_err().to_string().contains(key);
        assert!(refused(
            Config { moderation_flags_to_hold: 101, ..Config::default() },
            "moderation_flags_to_hold"
        ));
        assert!(refused(
            Config { moderation_trust_after: 1000, ..Config::default() },
            "moderation_trust_after"
        ));
        assert!(Config { comments_closed: true, ..Config::default() }.discussion_rules().closed);
    }
}
