//! `tribune backup` and `tribune check`: what an operator runs to keep a site safe, while
//! it serves.

use std::path::Path;
use std::time::Instant;

use tribune_store::{CheckReport, Store};

use crate::cli::{CliError, fail};

/// Copies a SQLite site into `target` (a new file) while it serves.
pub async fn backup(store: &Store, target: &Path) -> Result<(), CliError> {
    let shown = target.display();
    if target.exists() {
        return Err(fail(format!("{shown} already exists: name a new file (a backup never overwrites one)")));
    }
    let started = Instant::now();
    store.back_up_to(target).await.map_err(|e| fail(format!("{shown}: {e}")))?;
    let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    println!(
        "Backed up the site to {shown} ({:.1} MiB) in {:.1} s. It is a whole site: serve it with --database-url sqlite://{shown}.",
        bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks the site's database; with `repair`, counts again what is out of step first.
/// Fails (exit 1) when a problem remains.
pub async fn check(store: &Store, repair: bool) -> Result<(), CliError> {
    if repair {
        let (articles, comments) = store.recount().await.map_err(fail)?;
        println!("Recounted: {articles} articles' comment counts, {comments} comments' scores.");
    }
    let report = store.check().await.map_err(fail)?;
    print!("{}", describe(&report));
    if report.is_sound() {
        println!("No problems found.");
        Ok(())
    } else {
        Err(fail(
            "Problems found (above). Counts out of step are fixed by tribune check --repair; anything else: restore a backup.",
        ))
    }
}

fn describe(report: &CheckReport) -> String {
    let (applied, known) = report.schema_version;
    let mut out = format!("Schema version {applied} (this binary's: {known}).\n");
    if applied != known {
        out.push_str(&format!(
            "PROBLEM: the schema is at version {applied}, not {known}: run tribune migrate.\n"
        ));
    }
    let rows: Vec<String> = report.rows.iter().map(|(table, n)| format!("{n} {table}")).collect();
    out.push_str(&format!("Rows: {}.\n", rows.join(", ")));
    for line in &report.integrity {
        out.push_str(&format!("PROBLEM: the database's own check: {line}\n"));
    }
    for (slug, stored, counted) in &report.miscounted_articles {
        out.push_str(&format!("PROBLEM: article {slug} shows {stored} comments; {counted} are published.\n"));
    }
    for (id, stored, summed) in &report.misscored_comments {
        out.push_str(&format!(
            "PROBLEM: comment {id} has a score of {stored}; its votes add up to {summed}.\n"
        ));
    }
    for id in &report.misplaced_replies {
        out.push_str(&format!("PROBLEM: comment {id} is not in its parent's thread.\n"));
    }
    out
}
