//! ZJTX spreadsheets: reading the enterprise template (CSV, XLSX) and writing evaluation results
//! (CSV, XLSX, JSON), the empty template and generated data. It knows file formats, not rules: every
//! cell is parsed by `zjtx-core` and every verdict comes from its engine.
#![forbid(unsafe_code)]

use std::fmt;
use std::path::Path;

use zjtx_core::enterprise::CellError;

pub mod blocks;
pub mod guard;
pub mod pipeline;
pub mod projects;
pub mod read;
pub mod write;

/// A file format, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub enum SheetError {
    /// The file has errors; nothing of it was used. Every error is listed.
    Refused {
        errors: Vec<CellError>,
    },
    /// The file is not of a readable format.
    Format(String),
    /// The file would cost more to read than its bound allows; nothing of it was kept.
    TooLarge(guard::Exceeded),
    Io(String),
}

impl SheetError {
    pub fn io(path: &Path, e: std::io::Error) -> SheetError {
        SheetError::Io(format!("{}: {e}", path.display()))
    }
    pub fn xlsx(e: rust_xlsxwriter::XlsxError) -> SheetError {
        SheetError::Io(format!("writing XLSX: {e}"))
    }
    pub fn csv(e: csv::Error) -> SheetError {
        SheetError::Io(format!("writing CSV: {e}"))
    }
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetError::Refused { errors } => {
                write!(
                    f,
                    "the file has {} error(s) and was not used:",
                    errors.len()
                )?;
                for e in errors {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
            SheetError::Format(m) | SheetError::Io(m) => f.write_str(m),
            SheetError::TooLarge(x) => write!(f, "{x}"),
        }
    }
}

impl std::error::Error for SheetError {}
