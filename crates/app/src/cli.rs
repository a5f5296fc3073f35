//! The `tribune` command line: run the demo or a site, migrate, add users, publish
//! article files. Every command that touches data takes `--data-dir` and `--database-url`.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use tribune_core::front_matter::{ArticleFile, parse_article_file};
use tribune_core::media::MediaStore;
use tribune_core::publishing::{SaveTarget, add_user, save_article};
use tribune_core::user::{NewUser, Role};
use tribune_core::work::Inline;
use tribune_store::Store;

use crate::coherence::{self, Change};
use crate::config::{Config, LogFormat, Overrides};
use crate::server;
use tribune_core::funding::donations::{FundingError, ManualDonation, add_manual_donation, set_goal};
use tribune_core::funding::guard::Guard;
use tribune_core::funding::money::Money;
use tribune_core::funding::month::Month;

#[derive(Parser, Debug)]
#[command(
    name = "tribune",
    version,
    about = "A self-hosted publishing platform for reader-funded news sites"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// TOML config file; every key can also be set as TRIBUNE_<KEY>
    #[arg(long, global = true, env = "TRIBUNE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite database [default: ./tribune-data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data folder]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Public URL of the site, for feeds and links [default: http://BIND]
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a demo site with generated content (created once, reused afterwards)
    Demo,
    /// Run the site
    Serve,
    /// Apply database migrations and exit (creates an empty site on an empty folder)
    Migrate,
    /// Manage the people who run the site
    #[command(subcommand)]
    User(UserCommand),
    /// Publish articles from Markdown files
    #[command(subcommand)]
    Article(ArticleCommand),
    /// Set the monthly fundraising goal
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Record gifts received outside Stripe
    #[command(subcommand)]
    Donation(DonationCommand),
    /// Upload images for articles (prints the /media/… path to use)
    #[command(subcommand)]
    Media(MediaCommand),
    /// Moderate comments (every action is logged as by "cli")
    #[command(subcommand)]
    Moderation(ModerationCommand),
    /// Bring in another platform's export (run it again to add only what is new)
    #[command(subcommand)]
    Import(crate::cli_import::ImportCommand),
    /// Write out everything the site owns (see docs/export.schema.json)
    Export(crate::cli_export::ExportArgs),
    /// Copy a SQLite site into a new file while it serves (PostgreSQL: use pg_dump)
    Backup {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Send mail outside the site's outbox
    #[command(subcommand)]
    Mail(MailCommand),
    /// Check the database: schema version, integrity, counts kept in step (exit 1 on a problem)
    Check {
        /// Count again what is out of step before checking
        #[arg(long)]
        repair: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ModerationCommand {
    /// List the comments waiting for a moderator, oldest first
    Queue {
        /// At most this many
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Publish a held comment
    Approve { id: i64 },
    /// Reject a comment, labelled spam or abuse
    Reject {
        id: i64,
        #[arg(long = "as", value_name = "LABEL", value_parser = ["spam", "abuse"])]
        label: String,
    },
    /// Ban an account, an e-mail address, or a comment's author and address
    #[command(group(clap::ArgGroup::new("target").required(true).args(["user", "email", "comment"])))]
    Ban {
        /// The account's id
        #[arg(long)]
        user: Option<i64>,
        /// The e-mail address (only its keyed hash is kept)
        #[arg(long)]
        email: Option<String>,
        /// A comment: bans its author (account or guest browser) and its address
        #[arg(long)]
        comment: Option<i64>,
        /// 30m, 12h, 7d, 2w or forever
        #[arg(long = "for", value_name = "DURATION", default_value = "forever")]
        duration: String,
        #[arg(long, default_value = "")]
        reason: String,
        /// Also reject the author's published and held comments
        #[arg(long)]
        remove_comments: bool,
    },
    /// Teach the site's learned filter every item of FILE (a JSON list, or JSON lines, of
    /// {"label": "spam"|"abuse"|"benign", "body": "..."}), in one transaction
    Train {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Run every item of FILE through the content signals a new comment meets, with the
    /// site's settings and model, and print what they decided
    Eval {
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
        /// Also write each item's decision and reasons, one JSON line per item, in order
        #[arg(long, value_name = "OUT.jsonl")]
        decisions: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CampaignCommand {
    /// Set a month's goal (a month without one shows the latest earlier goal)
    Set {
        /// The month, YYYY-MM
        #[arg(long)]
        month: String,
        /// The goal in major units, e.g. 5000
        #[arg(long)]
        goal: String,
        /// ISO 4217 code, e.g. USD
        #[arg(long)]
        currency: String,
        /// Marks on the bar, comma-separated [default: 0, half, the goal]
        #[arg(long, value_delimiter = ',')]
        milestones: Vec<String>,
        /// A sentence shown with the bar [default: the month's current text; "" clears it]
        #[arg(long)]
        text: Option<String>,
        /// The goal is above funding_ceiling on purpose
        #[arg(long)]
        confirm_large: bool,
        /// Change the currency though the month has gifts in the old one (they stop counting)
        #[arg(long)]
        confirm_currency_change: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DonationCommand {
    /// Record a gift (bank transfer, cash…); correct mistakes with a reversal in the admin
    Add {
        /// In major units, e.g. 25.00
        #[arg(long)]
        amount: String,
        #[arg(long)]
        currency: String,
        /// The day it was received, YYYY-MM-DD [default: today]
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// The supporter's name, shown on the support page
        #[arg(long)]
        donor: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// The amount is above funding_ceiling on purpose
        #[arg(long)]
        confirm_large: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Send a test message now through smtp_url, and say whether the server took it
    Test {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Add a JPEG or PNG image: metadata (location!) removed, resized copies made
    Add {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// What the image shows, for readers who cannot see it (required)
        #[arg(long)]
        alt: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "editor", "author", "moderator"])]
        role: String,
        /// Read the password from the first line of standard input instead of a prompt
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ArticleCommand {
    /// Publish (or update, by slug) articles from Markdown files with TOML (+++) or YAML (---) front matter
    Publish {
        #[arg(required = true, value_name = "FILE.md")]
        files: Vec<PathBuf>,
    },
}

/// `tribune media add`: the same checks as an upload in the browser, the work done here.
async fn add_media_file(config: &Config, file: &std::path::Path, alt: &str) -> Result<(), CliError> {
    let size = std::fs::metadata(file).map_err(|e| fail(format!("{}: {e}", file.display())))?.len();
    if size > config.media_max_bytes as u64 {
        return Err(fail(format!(
            "{}: {size} bytes is more than media_max_bytes ({})",
            file.display(),
            config.media_max_bytes
        )));
    }
    let bytes = std::fs::read(file).map_err(|e| fail(format!("{}: {e}", file.display())))?;
    let file_name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let store = server::open_store(config).await.map_err(fail)?;
    let added = tribune_core::media::add_media(&store, &Inline, None, file_name, bytes, alt).await;
    let media = match added {
        Ok(media) => media,
        Err(e) => {
            store.close().await;
            let e = crate::http::error::capitalized(&e.to_string());
            return Err(fail(format!("{}: {e}", file.display())));
        }
    };
    // A running server drops the pages that showed the path before the image existed.
    let limit = tribune_core::media::SHOWN_BY_AT_MOST;
    let shown_by = store.articles_using_media(&media.name, limit).await;
    let announced = match shown_by {
        Ok(slugs) => coherence::announce(&store, Change::MediaAdded(&slugs)).await,
        Err(e) => Err(e),
    };
    store.close().await;
    announced.map_err(fail)?;
    println!("{}", media.path());
    Ok(())
}

/// A failure the user should read: printed as is, exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(String);

pub(crate) fn fail(message: impl std::fmt::Display) -> CliError {
    CliError(message.to_string())
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match load_config(&cli.global) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // A bulk command's long statements (an import's index build) are its work, not a
    // warning: sqlx's slow-statement alerts are for the server.
    let bulk = matches!(cli.command, Command::Import(_) | Command::Export(_));
    init_logging(config.log_format, bulk);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the async runtime");
    match runtime.block_on(execute(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn load_config(g: &GlobalArgs) -> Result<Config, CliError> {
    let overrides = Overrides {
        data_dir: g.data_dir.clone(),
        database_url: g.database_url.clone(),
        bind: g.bind.clone(),
        base_url: g.base_url.clone(),
    };
    Config::load(g.config.as_deref(), &overrides).map_err(fail)
}

fn init_logging(format: LogFormat, bulk: bool) {
    let default = if bulk { "info,sqlx=warn,sqlx::query=error" } else { "info,sqlx=warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour codes only for a person at a terminal: in the journal or a file they are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

pub async fn execute(command: Command, config: Config) -> Result<(), CliError> {
    match command {
        Command::Demo => run_site(config, true).await,
        Command::Serve => run_site(config, false).await,
        Command::Migrate => {
            let store = server::open_store(&config).await.map_err(fail)?;
            println!("The database at {} is up to date.", shown_url(&config));
            store.close().await;
            Ok(())
        }
        Command::User(UserCommand::Add { email, name, role, password_stdin }) => {
            let role = Role::parse(&role).ok_or_else(|| fail(format!("unknown role {role}")))?;
            let password = read_password(password_stdin)?;
            let store = server::open_store(&config).await.map_err(fail)?;
            let user = add_user(&store, &Inline, NewUser { email, name, role, password }, Utc::now())
                .await
                .map_err(fail)?;
            println!("Added {} <{}> as {}.", user.name, user.email, user.role.as_str());
            Ok(())
        }
        Command::Media(MediaCommand::Add { file, alt }) => add_media_file(&config, &file, &alt).await,
        Command::Moderation(command) => crate::cli_moderation::run(&config, command).await,
        Command::Mail(MailCommand::Test { address }) => send_test_mail(&config, &address).await,
        Command::Import(command) => crate::cli_import::run(&config, command).await,
        Command::Export(args) => {
            let store = server::open_store(&config).await.map_err(fail)?;
            crate::cli_export::export(&store, &config, args.format, &args.output).await?;
            println!("Exported to {}.", args.output.display());
            store.close().await;
            Ok(())
        }
        Command::Backup { file } => {
            let store = server::open_store(&config).await.map_err(fail)?;
            let done = crate::cli_operations::backup(&store, &file).await;
            store.close().await;
            done
        }
        Command::Check { repair } => {
            let store = server::open_store(&config).await.map_err(fail)?;
            let done = crate::cli_operations::check(&store, repair).await;
            if repair {
                coherence::announce(&store, Change::Everything).await.map_err(fail)?;
            }
            store.close().await;
            done
        }
        Command::Article(ArticleCommand::Publish { files }) => publish_files(&config, &files).await,
        Command::Campaign(CampaignCommand::Set {
            month,
            goal,
            currency,
            milestones,
            text,
            confirm_large,
            confirm_currency_change,
        }) => {
            let month = Month::parse(&month).map_err(|e| fail(format!("--month: {e}")))?;
            let store = server::open_store(&config).await.map_err(fail)?;
            let guard = Guard {
                large_confirmed: confirm_large,
                currency_change_confirmed: confirm_currency_change,
                ..config.funding_guard()
            };
            let goal = set_goal(&store, month, &goal, &currency, &milestones, text, guard, Utc::now())
                .await
                .map_err(funding_failure)?;
            coherence::announce(&store, Change::Funding).await.map_err(fail)?;
            let marks: Vec<String> =
                goal.milestones.iter().map(|m| Money::new(*m, goal.amount.currency).format()).collect();
            println!(
                "Goal for {}: {} (milestones {}).",
                month.name(),
                goal.amount.format(),
                marks.join(", ")
            );
            Ok(())
        }
        Command::Donation(DonationCommand::Add { amount, currency, date, donor, note, confirm_large }) => {
            let store = server::open_store(&config).await.map_err(fail)?;
            let site = crate::site::live(&store, &config).await.map_err(fail)?;
            let gift = ManualDonation { amount, currency, date, donor, note };
            let guard = Guard { large_confirmed: confirm_large, ..site.funding_guard() };
            let id = add_manual_donation(&store, gift, guard, site.tz(), Utc::now())
                .await
                .map_err(funding_failure)?;
            coherence::announce(&store, Change::Funding).await.map_err(fail)?;
            println!("Recorded as ledger entry {id}.");
            Ok(())
        }
    }
}

/// The core's message, with the flag that confirms it where there is one.
fn funding_failure(e: FundingError) -> CliError {
    let flag = match e {
        FundingError::AboveCeiling { .. } => " (--confirm-large)",
        FundingError::CurrencyChange { .. } => " (--confirm-currency-change)",
        _ => "",
    };
    fail(format!("{e}{flag}"))
}

async fn run_site(mut config: Config, demo: bool) -> Result<(), CliError> {
    // A theme's missing file or bad syntax is told before the database is touched.
    config.theme = std::sync::Arc::new(crate::theme::Theme::load(&config.theme_dir).map_err(fail)?);
    let store = server::open_store(&config).await.map_err(fail)?;
    let admin_login = if demo {
        let site = crate::site::live(&store, &config).await.map_err(fail)?;
        Some(crate::demo::ensure_demo_content(&store, site.tz()).await.map_err(fail)?)
    } else {
        None
    };
    let url = config.base_url.clone();
    let bind = config.bind;
    // Shown once, here, and nowhere else (not logged): whoever reads this terminal owns the site.
    let setup_code = if demo { None } else { server::issue_setup_code(&store).await.map_err(fail)? };
    // Before listening: a broken theme stops the start with its file and line.
    let state = server::build_state(config, store).await.map_err(fail)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| fail(format!("cannot listen on {bind}: {e}")))?;
    say(&format!("Tribune is serving {url}"));
    if let Some(code) = setup_code {
        say(&format!("This site has no account yet. Open {url}/setup and enter this one-time code: {code}"));
    }
    if let Some((email, password)) = admin_login {
        say(&format!("Demo admin: {url}/admin  email: {email}  password: {password}"));
    }
    server::serve(state, listener, server::shutdown_signal()).await.map_err(fail)
}

fn shown_url(config: &Config) -> String {
    match config.database_url.split_once('@') {
        Some((_, host)) => format!("postgres://…@{host}"),
        None => config.database_url.clone(),
    }
}

fn read_password(from_stdin: bool) -> Result<String, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(fail)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(fail("no terminal to ask for a password: pass --password-stdin and pipe it in"));
    }
    rpassword::prompt_password("Password: ").map_err(fail)
}

/// Reads and checks every file before writing any, so a batch with a bad file changes
/// nothing; then publishes each, and tells running servers which pages changed.
async fn publish_files(config: &Config, files: &[PathBuf]) -> Result<(), CliError> {
    let now = Utc::now();
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match read_article(path, now) {
            Ok(file) => parsed.push((path, file)),
            Err(problems) => errors.extend(problems.into_iter().map(|p| format!("{}: {p}", path.display()))),
        }
    }
    let mut slugs: Vec<(String, &Path)> = Vec::new();
    for (path, file) in &parsed {
        let slug = file.input.clone().validate(now).map(|v| v.slug.to_string()).unwrap_or_default();
        if let Some((_, other)) = slugs.iter().find(|(s, _)| *s == slug) {
            errors.push(format!(
                "{}: slug: \"{slug}\" is also the slug of {}",
                path.display(),
                other.display()
            ));
        }
        slugs.push((slug, path));
    }
    if !errors.is_empty() {
        return Err(fail(format!("nothing was published:\n  {}", errors.join("\n  "))));
    }
    let store: Store = server::open_store(config).await.map_err(fail)?;
    for (path, file) in parsed {
        let saved = save_article(&store, SaveTarget::BySlug, file.input, None, now)
            .await
            .map_err(|e| fail(format!("{}: {e}", path.display())))?;
        coherence::announce(&store, Change::Article(&saved)).await.map_err(fail)?;
        let verb = if saved.previous.is_some() { "Updated" } else { "Published" };
        println!("{verb} {} as {} ({})", path.display(), saved.article.slug, saved.article.status.as_str());
    }
    store.close().await;
    Ok(())
}

/// One file's problems as `line N: field: message`.
fn read_article(path: &Path, now: chrono::DateTime<Utc>) -> Result<ArticleFile, Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("cannot read: {e}")])?;
    let stem = path.file_stem().and_then(|s| s.to_str());
    let file = parse_article_file(&text, stem).map_err(|e| vec![e.to_string()])?;
    match file.input.clone().validate(now) {
        Ok(_) => Ok(file),
        Err(field_errors) => Err(field_errors.iter().map(|e| file.locate(e).to_string()).collect()),
    }
}

/// `tribune mail test`: straight to SMTP rather than through the outbox, so the operator
/// learns at once whether the server takes the site's mail, and why not.
async fn send_test_mail(config: &Config, address: &str) -> Result<(), CliError> {
    let mailer = crate::mail::Mailer::from_config(config)
        .map_err(fail)?
        .ok_or_else(|| fail("mail is off: set smtp_url (and mail_from) first"))?;
    let mail = tribune_core::mail::OutgoingMail {
        to: address.to_owned(),
        subject: format!("Test message from {}", config.site_title),
        text: format!(
            "This is a test message from {} ({}).\nIf you can read it, the site can send mail.\n",
            config.site_title, config.base_url
        ),
        html: None,
        unsubscribe_url: None,
    };
    mailer.send(&mail).await.map_err(|e| fail(format!("the test message to {address} was not sent: {e}")))?;
    println!("The SMTP server accepted a test message to {address}.");
    Ok(())
}

/// A line for whoever started the server. A server must not die because nobody reads its
/// terminal any more (`println!` panics on a closed pipe): the line is then lost, not the site.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}
