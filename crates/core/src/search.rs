//! Reader search queries, reduced to plain words so that no input can reach a database's
//! query syntax: quotes, operators and unbalanced brackets are just separators here.

pub const MAX_QUERY_CHARS: usize = 500;
const MAX_TERMS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("the search is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

impl SearchQuery {
    /// `Ok(None)` when there is nothing to search for (an empty box, only punctuation).
    pub fn parse(q: &str) -> Result<Option<Self>, SearchError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::TooLong);
        }
        let terms: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .take(MAX_TERMS)
            .collect();
        Ok((!terms.is_empty()).then_some(SearchQuery { terms }))
    }

    /// The words, each made only of letters and digits; every one must match.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_words() {
        let q =
            SearchQuery::parse(r#"  "Climate" AND (report OR -NEAR* 2020 ; DROP TABLE"#).unwrap().unwrap();
        assert_eq!(q.terms(), ["climate", "and", "report", "or", "near", "2020", "drop", "table"]);
        let q = SearchQuery::parse("Ελλάδα 日本語 café").unwrap().unwrap();
        assert_eq!(q.terms(), ["ελλάδα", "日本語", "café"]);
    }

    #[test]
    fn nothing_to_search_and_too_long() {
        assert_eq!(SearchQuery::parse("  \"()*  "), Ok(None));
        assert_eq!(SearchQuery::parse(&"a".repeat(10_000)), Err(SearchError::TooLong));
    }
}
