//! The password policy (MLPS level 3, identity authentication: passwords of some complexity).
//! Applied wherever a person chooses a password: account creation, a change by its holder and a
//! reset by the bureau, whether through the pages, the API or the CLI.

/// How long and how varied a password must be (settings `password_min_length`,
/// `password_min_classes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Characters (not bytes).
    pub min_length: usize,
    /// How many of the four classes (upper case, lower case, digit, symbol) must occur, 1–4.
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            min_classes: 3,
        }
    }
}

/// Why a password is refused. Each has a Chinese and an English message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort(usize),
    TooFewClasses(usize),
    AllWhitespace,
    SameAsUsername,
}

impl PasswordProblem {
    pub fn zh(&self) -> String {
        match self {
            PasswordProblem::TooShort(n) => format!("密码至少需要 {n} 个字符"),
            PasswordProblem::TooFewClasses(n) => {
                format!("密码需包含大写字母、小写字母、数字、符号中的至少 {n} 类")
            }
            PasswordProblem::AllWhitespace => "密码不能全为空白字符".into(),
            PasswordProblem::SameAsUsername => "密码不能与用户名相同".into(),
        }
    }
    pub fn en(&self) -> String {
        match self {
            PasswordProblem::TooShort(n) => format!("at least {n} characters"),
            PasswordProblem::TooFewClasses(n) => {
                format!("characters from at least {n} of: upper case, lower case, digits, symbols")
            }
            PasswordProblem::AllWhitespace => "must not be only whitespace".into(),
            PasswordProblem::SameAsUsername => "must not be the username".into(),
        }
    }
}

impl std::fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en())
    }
}

/// How many of the four classes occur in `pw`. Letters without case (e.g. Chinese) and every
/// other non-alphanumeric character count as symbols.
pub fn classes(pw: &str) -> usize {
    let (mut upper, mut lower, mut digit, mut symbol) = (false, false, false, false);
    for c in pw.chars() {
        if c.is_uppercase() {
            upper = true;
        } else if c.is_lowercase() {
            lower = true;
        } else if c.is_ascii_digit() {
            digit = true;
        } else if !c.is_whitespace() {
            symbol = true;
        }
    }
    [upper, lower, digit, symbol].iter().filter(|b| **b).count()
}

impl PasswordPolicy {
    /// Checks `password` for the account `username`; the first problem found.
    pub fn check(&self, username: &str, password: &str) -> Result<(), PasswordProblem> {
        if password.chars().all(char::is_whitespace) {
            return Err(PasswordProblem::AllWhitespace);
        }
        if password.chars().count() < self.min_length {
            return Err(PasswordProblem::TooShort(self.min_length));
        }
        let need = self.min_classes.clamp(1, 4);
        if classes(password) < need {
            return Err(PasswordProblem::TooFewClasses(need));
        }
        let u = username.trim();
        if !u.is_empty() && password.trim().to_lowercase() == u.to_lowercase() {
            return Err(PasswordProblem::SameAsUsername);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check("alice", "        "),
            Err(PasswordProblem::AllWhitespace)
        );
        assert_eq!(p.check("alice", "Ab1!"), Err(PasswordProblem::TooShort(8)));
        assert_eq!(
            p.check("alice", "chengguo-demo"),
            Err(PasswordProblem::TooFewClasses(3))
        );
        assert_eq!(
            p.check("Admin2024", "admin2024X"),
            Ok(()),
            "close to the username is allowed"
        );
        assert_eq!(
            p.check("Admin2024!", "ADMIN2024!"),
            Err(PasswordProblem::SameAsUsername)
        );
        assert_eq!(p.check("alice", "Chengguo-2026"), Ok(()));
        assert_eq!(p.check("alice", "成果转化平台2026a"), Ok(()));
        let lax = PasswordPolicy {
            min_length: 4,
            min_classes: 1,
        };
        assert_eq!(lax.check("alice", "abcd"), Ok(()));
    }
}
