//! Errors.

/// Errors of the search crate.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Error reported by tantivy.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// I/O error.
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The index directory exists but cannot be used (corrupt, foreign or of another schema);
    /// the caller should rebuild it.
    #[error("search index unusable: {0}")]
    Unusable(String),
    /// Bad input (e.g. an evaluation data file that cannot be parsed).
    #[error("{0}")]
    Invalid(String),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, SearchError>;

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        SearchError::Unusable(e.to_string())
    }
}
