//! Reading a projects file (issue 13): CSV (UTF-8, with or without BOM) or the first worksheet of
//! an XLSX workbook (within the same limits as the enterprise template), in the template's
//! conventions; every row's errors are collected and the file is refused whole if any.

use std::io::Read;

use zjtx_core::enterprise::CellError;
use zjtx_core::programme::{FirmFacts, ProjectFacts, parse_project, project_header};

use crate::guard::XlsxLimits;
use crate::{Format, SheetError};

/// At most this many errors are kept (the count of the rest is reported).
const MAX_ERRORS: usize = 200;

/// A projects file's rows.
pub type Projects = Vec<(FirmFacts, ProjectFacts)>;

/// Collects parsed rows and their errors (at most `MAX_ERRORS`, then a count).
#[derive(Default)]
struct Collect {
    out: Projects,
    errors: Vec<CellError>,
    more: usize,
}

impl Collect {
    fn row(&mut self, h: &zjtx_core::programme::ProjectHeader, cells: &[&str], row: usize) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return;
        }
        match parse_project(h, cells, row) {
            Ok(p) => self.out.push(p),
            Err(es) => {
                for e in es {
                    if self.errors.len() < MAX_ERRORS {
                        self.errors.push(e);
                    } else {
                        self.more += 1;
                    }
                }
            }
        }
    }

    fn finish(mut self) -> Result<Projects, SheetError> {
        if self.more > 0 {
            self.errors.push(CellError::project(
                0,
                None,
                format!("and {} more errors", self.more),
                format!("另有 {} 处错误未列出", self.more),
            ));
        }
        if self.errors.is_empty() {
            Ok(self.out)
        } else {
            Err(SheetError::Refused {
                errors: self.errors,
            })
        }
    }
}

fn empty() -> SheetError {
    SheetError::Refused {
        errors: vec![CellError::project(
            1,
            None,
            "the file is empty (no header row)",
            "文件是空的（没有表头行），请使用项目文件模板",
        )],
    }
}

/// Reads a projects file of the given format.
pub fn read_projects(
    mut r: impl Read,
    format: Format,
    limits: &XlsxLimits,
) -> Result<Projects, SheetError> {
    match format {
        Format::Csv => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(r);
            let mut rec = csv::StringRecord::new();
            let bad = |row: usize, e: csv::Error| SheetError::Format(format!("row {row}: {e}"));
            if !rdr.read_record(&mut rec).map_err(|e| bad(1, e))? {
                return Err(empty());
            }
            let h = project_header(rec.iter()).map_err(|errors| SheetError::Refused { errors })?;
            let mut c = Collect::default();
            let mut row = 1;
            while rdr.read_record(&mut rec).map_err(|e| bad(row + 1, e))? {
                row += 1;
                let cells: Vec<&str> = rec.iter().collect();
                c.row(&h, &cells, row);
            }
            c.finish()
        }
        Format::Xlsx => {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes)
                .map_err(|e| SheetError::Io(e.to_string()))?;
            crate::guard::check_package(&bytes, limits)?;
            let mut cells =
                crate::guard::worksheet_cells(std::io::Cursor::new(bytes), limits, |d| {
                    crate::read::text_of(&d)
                })?;
            cells.retain(|(_, _, t)| !t.is_empty());
            cells.sort_by_key(|&(r, c, _)| (r, c));
            let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
            for (r, c, t) in cells {
                let row = r as usize + 1;
                if rows.last().is_none_or(|(n, _)| *n != row) {
                    rows.push((row, Vec::new()));
                }
                if let Some((_, v)) = rows.last_mut() {
                    let c = c as usize;
                    if v.len() <= c {
                        v.resize(c + 1, String::new());
                    }
                    v[c] = t;
                }
            }
            let mut rows = rows.into_iter();
            let (_, header) = rows.next().ok_or_else(empty)?;
            let h = project_header(header.iter().map(String::as_str))
                .map_err(|errors| SheetError::Refused { errors })?;
            let mut c = Collect::default();
            for (row, cells) in rows {
                let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                c.row(&h, &refs, row);
            }
            c.finish()
        }
        Format::Json => Err(SheetError::Format("a projects file is CSV or XLSX".into())),
    }
}
