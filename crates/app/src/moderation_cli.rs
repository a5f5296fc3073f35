//! `tribune moderation train | eval`: teach the site's learned filter a labelled file, and
//! measure the content signals (word lists, links, the learned filter) on one.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::Subcommand;
use tribune_core::moderation::evaluation::{Item, evaluate, parse_items};
use tribune_core::moderation::learned::{self, Class};

use crate::cli::{CliError, fail};
use crate::config::Config;
use crate::server;

#[derive(Subcommand, Debug)]
pub enum ModerationCommand {
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

pub async fn run(command: ModerationCommand, config: &Config) -> Result<(), CliError> {
    match command {
        ModerationCommand::Train { file } => train(config, &file).await,
        ModerationCommand::Eval { file, decisions } => eval(config, &file, decisions.as_deref()).await,
    }
}

/// Every item checked before anything is read from or written to the database.
fn read_items(path: &Path) -> Result<Vec<(Class, Item)>, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| fail(format!("{}: cannot read: {e}", path.display())))?;
    parse_items(&text).map_err(|e| fail(format!("{}: {e}", path.display())))
}

async fn train(config: &Config, path: &Path) -> Result<(), CliError> {
    let items = read_items(path)?;
    let store = server::open_store(config).await.map_err(fail)?;
    let model = &config.moderation.model;
    learned::refresh(&store, model).await.map_err(fail)?;
    let texts: Vec<(Class, &str)> = items.iter().map(|(class, item)| (*class, item.body.as_str())).collect();
    let source = format!("cli:{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("file"));
    learned::teach(&store, model, &texts, &source, Utc::now()).await.map_err(fail)?;
    println!(
        "The learned filter was taught {} examples; every node applies them within seconds.",
        items.len()
    );
    store.close().await;
    Ok(())
}

async fn eval(config: &Config, path: &Path, decisions_out: Option<&Path>) -> Result<(), CliError> {
    let items = read_items(path)?;
    let store = server::open_store(config).await.map_err(fail)?;
    learned::refresh(&store, &config.moderation.model).await.map_err(fail)?;
    store.close().await;
    let (report, decisions) = evaluate(&config.moderation, &items);
    println!("{report}");
    if let Some(out) = decisions_out {
        let cannot = |e: std::io::Error| fail(format!("{}: cannot write: {e}", out.display()));
        let mut file = std::io::BufWriter::new(std::fs::File::create(out).map_err(cannot)?);
        for (index, d) in decisions.iter().enumerate() {
            let line = serde_json::json!({ "index": index, "decision": d.outcome, "reasons": d.reasons });
            writeln!(file, "{line}").map_err(cannot)?;
        }
        file.flush().map_err(cannot)?;
    }
    Ok(())
}
