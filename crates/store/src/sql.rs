//! A small builder for statements whose WHERE clause depends on filters: it numbers `$n`
//! placeholders as values are added, so one string works on both databases.

use sqlx::any::AnyArguments;
use sqlx::Arguments;

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
}

#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    /// The next placeholder, e.g. `$3`, bound to `v`.
    pub fn param(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }

    /// Adds a clause; `{}` in it is replaced by a new placeholder for `v`.
    pub fn push(&mut self, clause: &str, v: Value) {
        let p = self.param(v);
        self.clauses.push(clause.replace("{}", &p));
    }

    pub fn push_raw(&mut self, clause: &str) {
        self.clauses.push(clause.to_string());
    }

    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    pub fn args(&self) -> AnyArguments<'static> {
        let mut a = AnyArguments::default();
        for v in &self.values {
            // Adding a value to AnyArguments cannot fail for these types.
            let _ = match v {
                Value::Str(s) => a.add(s.clone()),
            };
        }
        a
    }
}

/// Escapes `%` and `_` for a LIKE pattern (with `ESCAPE '\'`).
pub(crate) fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
