//! Reading the CSL evaluation data (JSON lines; see the data set's README).

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Result, SearchError};

/// One CSL record.
#[derive(Debug, Clone, Deserialize)]
pub struct CslRecord {
    /// Record id.
    pub id: String,
    /// Title (absent in some files).
    pub title: Option<String>,
    /// Abstract (absent in the titles-only file).
    #[serde(rename = "abstract")]
    pub abstract_: Option<String>,
    /// Author keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Discipline (one of 67), if labelled.
    pub discipline: Option<String>,
    /// Category (one of 13), if labelled.
    pub category: Option<String>,
    /// Split (`dev`, `test`, `train`, ...).
    pub split: Option<String>,
}

/// Reads a JSON-lines file of CSL records.
pub fn read_jsonl(path: &Path) -> Result<Vec<CslRecord>> {
    let file = std::fs::File::open(path)
        .map_err(|e| SearchError::Invalid(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: CslRecord = serde_json::from_str(&line)
            .map_err(|e| SearchError::Invalid(format!("{}:{}: {e}", path.display(), i + 1)))?;
        out.push(rec);
    }
    Ok(out)
}
