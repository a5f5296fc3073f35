//! Measuring the content signals on a labelled set (`tribune moderation eval`): each item
//! goes through exactly what a new comment's text meets (the [`Pipeline`]), and the
//! figures the issue's targets are stated in come out.

use std::time::{Duration, Instant};

use rustrict::{Censor, Type};
use serde::Deserialize;

use super::learned::Class;
use super::{Candidate, Decision, Outcome, Pipeline};

/// One labelled comment. `kind` is optional: `link` (a benign comment citing one link)
/// and `political` are reported apart.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub label: String,
    pub body: String,
    #[serde(default)]
    pub kind: Option<String>,
}

/// A labelled file's problem: which item, which field, what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ItemsError {
    #[error("not a JSON list of {{\"label\", \"body\"}} (nor JSON lines): {0}")]
    Syntax(String),
    #[error("item {index}: {field}: {message}")]
    Field { index: usize, field: &'static str, message: String },
}

/// Reads a JSON list of items, or one item per line (the repository's `.jsonl` sets), and
/// checks every item: a label of spam, abuse or benign, a body that is not empty.
pub fn parse_items(text: &str) -> Result<Vec<(Class, Item)>, ItemsError> {
    let values: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| ItemsError::Syntax(e.to_string()))?
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| ItemsError::Syntax(format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?
    };
    values.into_iter().enumerate().map(|(index, v)| checked(index, v)).collect()
}

fn checked(index: usize, value: serde_json::Value) -> Result<(Class, Item), ItemsError> {
    let field = |field, message: &str| ItemsError::Field { index, field, message: message.to_owned() };
    let object = value.as_object().ok_or_else(|| field("item", "must be an object"))?;
    let label = object
        .get("label")
        .and_then(|l| l.as_str())
        .ok_or_else(|| field("label", "missing or not a string"))?;
    let class = Class::parse(label)
        .ok_or_else(|| field("label", &format!("\"{label}\" is not spam, abuse or benign")))?;
    let body = object
        .get("body")
        .and_then(|b| b.as_str())
        .ok_or_else(|| field("body", "missing or not a string"))?;
    if body.trim().is_empty() {
        return Err(field("body", "is empty"));
    }
    let kind = object.get("kind").and_then(|k| k.as_str()).map(str::to_owned);
    Ok((class, Item { label: label.to_owned(), body: body.to_owned(), kind }))
}

/// Whether `rustrict` finds the text inappropriate (profane, offensive, sexual): what
/// splits abuse with profanity from abuse without.
pub fn has_profanity(text: &str) -> bool {
    Censor::from_str(text).analyze().is(Type::INAPPROPRIATE)
}

/// Published, held and refused counts of one group of items.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub published: usize,
    pub held: usize,
    pub refused: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Publish => self.published += 1,
            Outcome::Hold => self.held += 1,
            Outcome::Refuse => self.refused += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.published + self.held + self.refused
    }

    /// The share held or refused (0 for an empty group).
    pub fn caught(&self) -> f64 {
        if self.total() == 0 { 0.0 } else { (self.held + self.refused) as f64 / self.total() as f64 }
    }
}

/// The figures of one run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub spam: Tally,
    pub abuse: Tally,
    pub benign: Tally,
    pub abuse_without_profanity: Tally,
    pub benign_link_or_political: Tally,
    pub median: Duration,
}

/// Runs every item through `pipeline`; the report and each item's decision, in order.
pub fn evaluate(pipeline: &Pipeline, items: &[(Class, Item)]) -> (Report, Vec<Decision>) {
    let mut report = Report::default();
    let mut times = Vec::with_capacity(items.len());
    let mut decisions = Vec::with_capacity(items.len());
    for (class, item) in items {
        let started = Instant::now();
        let decision = pipeline.judge(&Candidate { body: &item.body, author_name: "Reader" });
        times.push(started.elapsed());
        let outcome = decision.outcome;
        match class {
            Class::Spam => report.spam.add(outcome),
            Class::Abuse => report.abuse.add(outcome),
            Class::Benign => report.benign.add(outcome),
        }
        if *class == Class::Abuse && !has_profanity(&item.body) {
            report.abuse_without_profanity.add(outcome);
        }
        if *class == Class::Benign && matches!(item.kind.as_deref(), Some("link" | "political")) {
            report.benign_link_or_political.add(outcome);
        }
        decisions.push(decision);
    }
    times.sort_unstable();
    report.median = times.get(times.len() / 2).copied().unwrap_or_default();
    (report, decisions)
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:<34} {:>6} {:>9} {:>6} {:>8}", "label", "items", "published", "held", "refused")?;
        let rows = [
            ("spam", self.spam),
            ("abuse", self.abuse),
            ("  abuse without profanity", self.abuse_without_profanity),
            ("benign", self.benign),
            ("  benign with a link or political", self.benign_link_or_political),
        ];
        for (name, t) in rows {
            writeln!(f, "{name:<34} {:>6} {:>9} {:>6} {:>8}", t.total(), t.published, t.held, t.refused)?;
        }
        writeln!(f, "recall on spam (held or refused):        {:.3}", self.spam.caught())?;
        writeln!(f, "recall on abuse (held or refused):       {:.3}", self.abuse.caught())?;
        writeln!(f, "recall on abuse without profanity:       {:.3}", self.abuse_without_profanity.caught())?;
        writeln!(f, "benign held or refused:                  {:.1}%", self.benign.caught() * 100.0)?;
        writeln!(
            f,
            "benign with a link or political, held:   {:.1}%",
            self.benign_link_or_political.caught() * 100.0
        )?;
        write!(f, "median scoring time:                     {:.3} ms", self.median.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::learned;
    use super::*;

    fn repository_set(name: &str) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/moderation/");
        std::fs::read_to_string(format!("{dir}{name}")).unwrap()
    }

    /// Each line's "label source kind": the groups the figures are split by.
    fn groups(set: &str) -> Vec<String> {
        set.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let field = |name: &str| v[name].as_str().unwrap_or("-").to_owned();
                format!("{} {} {}", field("label"), field("source"), field("kind"))
            })
            .collect()
    }

    /// How many of each group were held or refused, and of how many.
    fn caught_by_group<'a>(
        groups: &'a [String],
        decisions: &[Decision],
    ) -> BTreeMap<&'a str, (usize, usize)> {
        let mut by: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (g, d) in groups.iter().zip(decisions) {
            let e = by.entry(g).or_default();
            e.0 += usize::from(d.outcome != Outcome::Publish);
            e.1 += 1;
        }
        by
    }

    /// The eval split by source and kind, with the shipped model and after the 200
    /// decisions, and the other writers' comments: where the filter fails, without building
    /// the binary. `cargo test --release -p tribune-core --lib eval_split_by_kind -- --ignored
    /// --nocapture`; with `MISSES=1` it also lists every item it gets wrong, and the signals
    /// that fired.
    #[test]
    #[ignore]
    fn eval_split_by_kind() {
        let eval = repository_set("eval.jsonl");
        let other = repository_set("other-writers.jsonl");
        let pipeline = Pipeline::default();
        print_by_group(&pipeline, &eval);
        println!("other writers' comments");
        print_by_group(&pipeline, &other);
        let decisions: Vec<_> = parse_items(&repository_set("decisions.jsonl"))
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, (class, item))| (i as i64 + 1, class, learned::features(&item.body)))
            .collect();
        pipeline.model.apply(&decisions);
        println!("after the 200 decisions");
        print_by_group(&pipeline, &eval);
    }

    /// The report on a set, its figures by group, and with `MISSES` set what it got wrong.
    fn print_by_group(pipeline: &Pipeline, set: &str) {
        let (items, groups) = (parse_items(set).unwrap(), groups(set));
        let (report, decisions) = evaluate(pipeline, &items);
        println!("{report}");
        for (g, (caught, n)) in caught_by_group(&groups, &decisions) {
            println!("  {g:<50} {caught:>4}/{n:<4} {:.3}", caught as f64 / n as f64);
        }
        if std::env::var_os("MISSES").is_none() {
            return;
        }
        for ((g, d), (_, item)) in groups.iter().zip(&decisions).zip(&items) {
            if (d.outcome == Outcome::Publish) != g.starts_with("benign") {
                let signals: Vec<String> =
                    d.reasons.iter().map(|r| format!("{} {:.2}", r.signal, r.score)).collect();
                println!("wrong: {g} | {} | {}", item.body.replace('\n', " "), signals.join(", "));
            }
        }
    }

    /// What more written comments of the kinds the filter misses are worth: the model
    /// refitted on `train` with none, a quarter, a half, three quarters and all of the
    /// written threats, harassment and hate it holds, and measured on `eval`. `cargo test
    /// --release -p tribune-core --lib learning_curve -- --ignored --nocapture`; with
    /// `TRAIN_FILE=path` it reads another train set (a draft of more written comments), with
    /// `THRESHOLD=0.9` it holds from another bar (to compare two sets at the same share of
    /// ordinary comments held).
    #[test]
    #[ignore]
    fn learning_curve_of_the_written_abuse() {
        let train = std::env::var("TRAIN_FILE").map_or_else(
            |_| repository_set("train.jsonl"),
            |path| std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        );
        let written: Vec<bool> =
            groups(&train).iter().map(|g| g.starts_with("abuse tribune-written")).collect();
        let others_in_train = written.iter().filter(|w| !**w).count();
        let labelled = parse_items(&train).unwrap();
        let mut settings = super::super::Settings::default();
        if let Some(t) = std::env::var("THRESHOLD").ok().and_then(|t| t.parse().ok()) {
            settings.learned_threshold = t;
        }
        let eval = repository_set("eval.jsonl");
        let (items, eval_groups) = (parse_items(&eval).unwrap(), groups(&eval));
        let other = parse_items(&repository_set("other-writers.jsonl")).unwrap();
        for quarters in 0..=4 {
            let mut kept = 0;
            let examples: Vec<_> = labelled
                .iter()
                .zip(&written)
                .filter(|(_, written)| {
                    kept += usize::from(**written);
                    !**written || (kept - 1) % 4 < quarters
                })
                .map(|((class, item), _)| (*class, learned::features(&item.body)))
                .collect();
            let pipeline = Pipeline::new(settings.clone());
            pipeline.model.replace(learned::Model::fit(&examples, learned::EPOCHS, learned::RATE));
            let (report, decisions) = evaluate(&pipeline, &items);
            let (others, _) = evaluate(&pipeline, &other);
            let (caught, n) = caught_by_group(&eval_groups, &decisions)
                .into_iter()
                .filter(|(g, _)| g.starts_with("abuse tribune-written"))
                .fold((0, 0), |(c, n), (_, (gc, gn))| (c + gc, n + gn));
            println!(
                "written abuse in train {:>3}: written abuse in eval {caught}/{n} ({:.3}), spam {:.3}, abuse {:.3}, without profanity {:.3}, benign held {}; other writers: abuse {:.3}, benign held {}",
                examples.len() - others_in_train,
                caught as f64 / n as f64,
                report.spam.caught(),
                report.abuse.caught(),
                report.abuse_without_profanity.caught(),
                report.benign.held + report.benign.refused,
                others.abuse.caught(),
                others.benign.held + others.benign.refused,
            );
        }
    }

    #[test]
    fn bad_items_name_their_index_and_field() {
        let err = parse_items(r#"[{"label":"spam","body":"x"},{"label":"ham","body":"y"}]"#).unwrap_err();
        assert_eq!(err.to_string(), "item 1: label: \"ham\" is not spam, abuse or benign");
        let err = parse_items(r#"[{"label":"spam"}]"#).unwrap_err();
        assert_eq!(err.to_string(), "item 0: body: missing or not a string");
        assert!(matches!(parse_items("[{"), Err(ItemsError::Syntax(_))));
        let lines = "{\"label\":\"benign\",\"body\":\"hi\",\"kind\":\"link\"}\n\n{\"label\":\"abuse\",\"body\":\"b\"}\n";
        assert_eq!(parse_items(lines).unwrap().len(), 2);
    }

    #[test]
    fn the_report_counts_each_label_and_the_hard_kinds_apart() {
        let items = parse_items(
            r#"[{"label":"abuse","body":"Immigrants are vermin and should be wiped out."},
                {"label":"benign","body":"The AP has the full transcript of the hearing: https://apnews.com/article/x","kind":"link"},
                {"label":"spam","body":"Earn $90 an hour from home, visit http://cash-now.biz"}]"#,
        )
        .unwrap();
        let (report, decisions) = evaluate(&Pipeline::default(), &items);
        assert_eq!(decisions.len(), 3);
        assert_eq!(report.abuse_without_profanity.total(), 1);
        assert_eq!(report.benign_link_or_political.total(), 1);
        assert_eq!(report.benign.caught(), 0.0);
        assert!(report.to_string().contains("recall on spam"));
    }
}
