//! Limits on what a reader accepts, checked before memory is spent on the input (docs/SECURITY.md,
//! "Intrusion prevention: hostile files"). Every limit has a setting of its own (`import.*`,
//! docs/CONFIGURATION.md); a file over one is refused with an error that names the setting.

/// How much of a file the readers accept. [`Limits::default`] holds the defaults of the
/// settings; [`crate::read_table`] and [`crate::read_rows`] apply them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file, in bytes (`import.max_upload_bytes`).
    pub max_file_bytes: u64,
    /// The most data rows (the header not counted; `import.max_rows`).
    pub max_rows: usize,
    /// The most columns (`import.max_columns`).
    pub max_columns: usize,
    /// The longest cell, in characters (`import.max_cell_chars`; Excel's own limit is 32,767).
    pub max_cell_chars: usize,
    /// The longest row, in bytes of its text (a CSV record, a JSONL line, the cells of an XLSX
    /// row; `import.max_row_bytes`).
    pub max_row_bytes: usize,
    /// The most bytes one part of an XLSX archive may unpack to (`import.max_xlsx_part_bytes`).
    pub max_part_bytes: u64,
    /// The most a part of an XLSX archive may grow when unpacked, as a multiple of its packed
    /// size (`import.max_xlsx_ratio`); parts unpacking to less than [`RATIO_GRACE_BYTES`] are
    /// not held to it.
    pub max_ratio: u64,
}

/// Parts that unpack to less than this are not held to [`Limits::max_ratio`] (a small XML
/// part of repeated markup packs far better than 100:1 and is harmless).
pub const RATIO_GRACE_BYTES: u64 = 1024 * 1024;

/// The most parts (files) an XLSX archive may hold: a workbook has a few dozen; the zip
/// directory of a file with more is not even parsed.
pub const MAX_XLSX_PARTS: u64 = 10_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_rows: 100_000,
            max_columns: 200,
            max_cell_chars: 32_767,
            max_row_bytes: 1024 * 1024,
            max_part_bytes: 128 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

/// Which limit a file broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    FileBytes,
    Rows,
    Columns,
    CellChars,
    RowBytes,
    PartBytes,
    Ratio,
    Parts,
}

impl Limit {
    /// The setting that raises the limit (the key of the settings file).
    pub fn setting(self) -> &'static str {
        match self {
            Limit::FileBytes => "import.max_upload_bytes",
            Limit::Rows => "import.max_rows",
            Limit::Columns => "import.max_columns",
            Limit::CellChars => "import.max_cell_chars",
            Limit::RowBytes => "import.max_row_bytes",
            Limit::PartBytes => "import.max_xlsx_part_bytes",
            Limit::Ratio => "import.max_xlsx_ratio",
            Limit::Parts => "a fixed limit",
        }
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    out.push_str(&digits[..head.min(digits.len())]);
    for group in digits.as_bytes()[head.min(digits.len())..].chunks(3) {
        out.push(',');
        out.extend(group.iter().map(|&b| char::from(b)));
    }
    out
}

/// A size for people: `64 MiB`, `1 MiB`, `512 KiB`, `100 bytes`.
pub(crate) fn size(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && (n / MIB) * MIB == n {
        format!("{} MiB", thousands(n / MIB))
    } else if n >= 1024 && (n / 1024) * 1024 == n {
        format!("{} KiB", thousands(n / 1024))
    } else {
        format!("{} bytes", thousands(n))
    }
}

/// True when `s` has more than `max` characters (counted only when its bytes could be).
pub(crate) fn too_long(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().count() > max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(size(64 * 1024 * 1024), "64 MiB");
        assert_eq!(size(1536), "1,536 bytes");
        assert_eq!(size(2048), "2 KiB");
        assert!(too_long("abc", 2));
        assert!(!too_long("沈阳", 2));
    }
}
