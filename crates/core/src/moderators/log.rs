//! The audit log: every moderator's action and every automatic decision, with who (or
//! which rule) did what, when, why, and the status before and after. Read in one query
//! from the moderators' actions and the pipeline's stored decisions.

use chrono::{DateTime, NaiveDate, Utc};

use super::queue::reasons_of;

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Moderator,
    Automatic,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    pub source: Source,
    /// `approve`, `reject-spam`, `ban`, `flag-hold` (readers' flags held it), … or, for the
    /// pipeline, `auto-hold`, `auto-publish`.
    pub action: String,
    /// The moderator's name, `cli`, or the rules that fired.
    pub actor: String,
    pub comment_id: Option<i64>,
    pub status_before: Option<String>,
    pub status_after: Option<String>,
    pub reason: String,
    /// The entry's place among those of its source and second: the action's id, or the
    /// comment's for a decision (one per comment).
    pub seq: i64,
}

impl LogEntry {
    /// An automatic decision: its rules and details are read from the stored reasons. The
    /// readers' flags that held it later are added to those reasons (for the queue), but
    /// they have their own entry (`flag-hold`), not the pipeline's.
    pub fn automatic(at: DateTime<Utc>, comment_id: i64, outcome: &str, reasons_json: &str) -> LogEntry {
        let mut reasons = reasons_of(reasons_json);
        reasons.retain(|r| r.signal != crate::moderation::flags::SIGNAL);
        let rules: Vec<&str> = reasons.iter().map(|r| r.signal.as_str()).collect();
        let details: Vec<String> = reasons.iter().map(|r| format!("{}: {}", r.signal, r.detail)).collect();
        LogEntry {
            at,
            source: Source::Automatic,
            action: format!("auto-{outcome}"),
            actor: if rules.is_empty() { "pipeline".into() } else { rules.join(", ") },
            comment_id: Some(comment_id),
            status_before: None,
            status_after: Some(if outcome == "publish" { "published" } else { "pending" }.into()),
            reason: details.join("; "),
            seq: comment_id,
        }
    }
}

/// Where a page of the log ends; the next page starts after it. A position, not a count,
/// so a page deep in a long log costs what the first one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor {
    pub at: i64,
    pub moderator: bool,
    pub seq: i64,
}

impl LogCursor {
    pub fn after(e: &LogEntry) -> Self {
        LogCursor { at: e.at.timestamp(), moderator: e.source == Source::Moderator, seq: e.seq }
    }

    /// `1733150000.m.12`, as the pager's links carry it.
    pub fn to_param(self) -> String {
        format!("{}.{}.{}", self.at, if self.moderator { "m" } else { "a" }, self.seq)
    }

    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.trim().split('.');
        let at = parts.next()?.parse().ok()?;
        let moderator = match parts.next()? {
            "m" => true,
            "a" => false,
            _ => return None,
        };
        let seq = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(LogCursor { at, moderator, seq })
    }
}

/// The actions one can filter the log by.
pub const ACTIONS: [&str; 10] = [
    "approve",
    "reject-spam",
    "reject-abuse",
    "hide",
    "delete",
    "ban",
    "remove",
    "flag-hold",
    "auto-hold",
    "auto-publish",
];

/// What the log shows: every field optional, all given ones must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    /// One of [`ACTIONS`], or `moderator` / `automatic` for all of one source.
    pub action: Option<String>,
    /// A moderator's name, `cli`, or a rule (signal) that fired.
    pub who: Option<String>,
    pub comment_id: Option<i64>,
    /// From the start of this day (UTC)…
    pub from: Option<NaiveDate>,
    /// …to the end of this one.
    pub to: Option<NaiveDate>,
}

impl LogFilter {
    /// Checks the filter as a moderator typed it; the error names the field.
    pub fn parse(
        action: &str,
        who: &str,
        comment: &str,
        from: &str,
        to: &str,
    ) -> Result<LogFilter, super::ModerationError> {
        use super::invalid;
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let action = some(action);
        if let Some(a) =
            action.as_deref().filter(|a| !(ACTIONS.contains(a) || *a == "moderator" || *a == "automatic"))
        {
            return Err(invalid("action", format!("\"{a}\" is not an action of the log")));
        }
        let comment_id = match some(comment) {
            None => None,
            Some(c) => Some(c.parse().map_err(|_| invalid("comment", "must be a comment's number"))?),
        };
        let date = |field, s: &str| match some(s) {
            None => Ok(None),
            Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| invalid(field, "must be a date as YYYY-MM-DD")),
        };
        let (from, to) = (date("from", from)?, date("to", to)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(invalid("to", "comes before from"));
        }
        Ok(LogFilter { action, who: some(who), comment_id, from, to })
    }

    /// The instants the dates stand for: `[from, to)`.
    pub fn range(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        (self.from.and_then(start), self.to.and_then(|d| d.succ_opt()).and_then(start))
    }
}

/// A cell of an exported spreadsheet, safe to open: text a spreadsheet would run as a
/// formula (starting with = + - @, or a tab or carriage return) is prefixed with a quote.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-1+2"), "'-1+2");
        assert_eq!(spreadsheet_safe("a = b"), "a = b");
    }

    #[test]
    fn filters_name_the_bad_field() {
        let e = LogFilter::parse("frobnicate", "", "", "", "").unwrap_err();
        assert!(e.to_string().starts_with("action:"), "{e}");
        let e = LogFilter::parse("", "", "x", "", "").unwrap_err();
        assert!(e.to_string().starts_with("comment:"), "{e}");
        let e = LogFilter::parse("", "", "", "2026-02-03", "2026-02-01").unwrap_err();
        assert!(e.to_string().starts_with("to:"), "{e}");
        let f = LogFilter::parse("ban", " ada ", "12", "2026-02-01", "2026-02-01").unwrap();
        assert_eq!((f.who.as_deref(), f.comment_id), (Some("ada"), Some(12)));
        let (a, b) = f.range();
        assert_eq!(b.unwrap() - a.unwrap(), chrono::Duration::days(1));
    }
}
