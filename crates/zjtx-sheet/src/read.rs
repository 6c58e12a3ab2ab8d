//! Reading the enterprise template from CSV (streamed in chunks) and XLSX.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader as _};
use rayon::prelude::*;
use zjtx_core::enterprise::{CellError, HeaderMap};
use zjtx_core::ids::Uscc;

use crate::{Format, SheetError};

/// Rows per parallel parsing task: coarse enough that scheduling costs little.
const PARSE_TASK: usize = 512;

/// A block of consecutive data rows, not yet parsed.
pub enum Chunk {
    Csv {
        first_row: usize,
        records: Vec<csv::ByteRecord>,
    },
    Cells {
        first_row: usize,
        rows: Vec<Vec<String>>,
    },
}

/// A parsed row: its spreadsheet row number and the enterprise or every error of the row.
pub type Parsed = (usize, Result<zjtx_core::Enterprise, Vec<CellError>>);

impl Chunk {
    pub fn len(&self) -> usize {
        match self {
            Chunk::Csv { records, .. } => records.len(),
            Chunk::Cells { rows, .. } => rows.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parses every row (in parallel), keeping the order.
    pub fn parse(&self, header: &HeaderMap) -> Vec<Parsed> {
        let mut out = Vec::new();
        self.parse_into(header, &mut out);
        out
    }

    /// Parses every row into `out` (replacing its contents, reusing its allocation).
    pub fn parse_into(&self, header: &HeaderMap, out: &mut Vec<Parsed>) {
        match self {
            Chunk::Csv { first_row, records } => records
                .par_iter()
                .with_min_len(PARSE_TASK)
                .enumerate()
                .map(|(i, rec)| (first_row + i, parse_byte_record(header, first_row + i, rec)))
                .collect_into_vec(out),
            Chunk::Cells { first_row, rows } => rows
                .par_iter()
                .with_min_len(PARSE_TASK)
                .enumerate()
                .map(|(i, cells)| {
                    let row = first_row + i;
                    let r = check_width(header, row, cells.len())
                        .and_then(|_| header.parse_row(row, cells.iter().map(String::as_str)));
                    (row, r)
                })
                .collect_into_vec(out),
        }
    }
}

fn check_width(header: &HeaderMap, row: usize, n: usize) -> Result<(), Vec<CellError>> {
    if n > header.cols.len() {
        return Err(vec![CellError {
            row,
            column: None,
            message: format!("has {n} cells but the header has {}", header.cols.len()),
        }]);
    }
    Ok(())
}

fn parse_byte_record(
    header: &HeaderMap,
    row: usize,
    rec: &csv::ByteRecord,
) -> Result<zjtx_core::Enterprise, Vec<CellError>> {
    check_width(header, row, rec.len())?;
    // One validation of the whole record in the common case; cell by cell only to locate an error.
    // A field boundary inside a character would make the parts invalid though the whole is not.
    let whole = std::str::from_utf8(rec.as_slice()).ok().filter(|w| {
        (0..rec.len()).all(|i| rec.range(i).is_some_and(|r| w.is_char_boundary(r.end)))
    });
    if let Some(whole) = whole {
        let mut start = 0;
        let cells = (0..rec.len()).map(|i| {
            let end = rec.range(i).map_or(start, |r| r.end);
            let cell = whole.get(start..end).unwrap_or("");
            start = end;
            cell
        });
        return header.parse_row(row, cells);
    }
    let mut cells: Vec<&str> = Vec::with_capacity(rec.len());
    let mut errors = Vec::new();
    for (i, f) in rec.iter().enumerate() {
        match std::str::from_utf8(f) {
            Ok(s) => cells.push(s),
            Err(_) => {
                let column = header
                    .cols
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|c| c.key().to_owned());
                errors.push(CellError {
                    row,
                    column,
                    message: "is not valid UTF-8 text (save the file as CSV UTF-8)".into(),
                });
                cells.push("");
            }
        }
    }
    match header.parse_row(row, cells) {
        Ok(e) if errors.is_empty() => Ok(e),
        Ok(_) => Err(errors),
        Err(mut more) => {
            errors.append(&mut more);
            Err(errors)
        }
    }
}

enum Source {
    Csv(csv::Reader<Box<dyn Read + Send>>),
    Cells(std::vec::IntoIter<Vec<String>>),
}

/// A template file opened for reading: its header, then its rows chunk by chunk.
pub struct TemplateReader {
    pub header: HeaderMap,
    source: Source,
    next_row: usize,
}

impl TemplateReader {
    /// Opens a CSV or XLSX file (by its extension).
    pub fn open(path: &Path) -> Result<TemplateReader, SheetError> {
        match Format::of(path) {
            Some(Format::Csv) => {
                let f = File::open(path).map_err(|e| SheetError::io(path, e))?;
                TemplateReader::csv(Box::new(BufReader::with_capacity(1 << 20, f)))
            }
            Some(Format::Xlsx) => {
                let bytes = std::fs::read(path).map_err(|e| SheetError::io(path, e))?;
                TemplateReader::xlsx(std::io::Cursor::new(bytes))
            }
            _ => Err(SheetError::Format(format!(
                "{}: input must be .csv or .xlsx",
                path.display()
            ))),
        }
    }

    /// Reads CSV (UTF-8, with or without BOM).
    pub fn csv(r: Box<dyn Read + Send>) -> Result<TemplateReader, SheetError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(r);
        let mut rec = csv::ByteRecord::new();
        let has = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| SheetError::Format(format!("row 1: {e}")))?;
        if !has {
            return Err(SheetError::Refused {
                errors: vec![CellError {
                    row: 1,
                    column: None,
                    message: "the file is empty (no header row)".into(),
                }],
            });
        }
        let mut cells = Vec::with_capacity(rec.len());
        for (i, f) in rec.iter().enumerate() {
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            cells.push(
                String::from_utf8(f.to_vec()).map_err(|_| SheetError::Refused {
                    errors: vec![CellError {
                        row: 1,
                        column: None,
                        message: format!(
                            "header cell {} is not valid UTF-8 (save the file as CSV UTF-8)",
                            i + 1
                        ),
                    }],
                })?,
            );
        }
        let header = HeaderMap::parse(cells.iter().map(String::as_str))
            .map_err(|errors| SheetError::Refused { errors })?;
        Ok(TemplateReader {
            header,
            source: Source::Csv(rdr),
            next_row: 2,
        })
    }

    /// Reads the first worksheet of an XLSX workbook.
    pub fn xlsx<R: Read + std::io::Seek + Clone>(r: R) -> Result<TemplateReader, SheetError> {
        let mut wb = calamine::open_workbook_auto_from_rs(r)
            .map_err(|e| SheetError::Format(format!("not a readable workbook: {e}")))?;
        let range = wb
            .worksheet_range_at(0)
            .ok_or_else(|| SheetError::Format("the workbook has no worksheet".into()))?
            .map_err(|e| SheetError::Format(format!("the first worksheet cannot be read: {e}")))?;
        // Rows as the spreadsheet numbers them, even when the used range starts below row 1.
        let (start_row, start_col) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        if start_col > 0 {
            for r in &mut rows {
                r.splice(0..0, std::iter::repeat_n(String::new(), start_col as usize));
            }
        }
        if rows.is_empty() {
            return Err(SheetError::Refused {
                errors: vec![CellError {
                    row: 1,
                    column: None,
                    message: "the worksheet is empty (no header row)".into(),
                }],
            });
        }
        let header_cells = rows.remove(0);
        let header =
            HeaderMap::parse(header_cells.iter().map(String::as_str)).map_err(|errors| {
                SheetError::Refused {
                    errors: errors
                        .into_iter()
                        .map(|mut e| {
                            e.row += start_row as usize;
                            e
                        })
                        .collect(),
                }
            })?;
        // Trailing empty rows of a sheet are not data.
        while rows.last().is_some_and(|r| r.iter().all(String::is_empty)) {
            rows.pop();
        }
        Ok(TemplateReader {
            header,
            source: Source::Cells(rows.into_iter()),
            next_row: start_row as usize + 2,
        })
    }

    /// Reads up to `n` more rows; `None` at the end.
    pub fn next_chunk(&mut self, n: usize) -> Result<Option<Chunk>, SheetError> {
        self.next_chunk_reusing(n, None)
    }

    /// Like `next_chunk`, reusing the buffers of a chunk that has been used up, so that reading a
    /// large file allocates nothing per row once it runs.
    pub fn next_chunk_reusing(
        &mut self,
        n: usize,
        spare: Option<Chunk>,
    ) -> Result<Option<Chunk>, SheetError> {
        let first_row = self.next_row;
        let chunk = match &mut self.source {
            Source::Csv(rdr) => {
                let mut spare = match spare {
                    Some(Chunk::Csv { records, .. }) => records,
                    _ => Vec::with_capacity(n),
                };
                let mut records = Vec::with_capacity(n);
                for _ in 0..n {
                    let mut rec = spare
                        .pop()
                        .unwrap_or_else(|| csv::ByteRecord::with_capacity(512, 80));
                    match rdr.read_byte_record(&mut rec) {
                        Ok(true) => records.push(rec),
                        Ok(false) => break,
                        Err(e) => {
                            return Err(SheetError::Refused {
                                errors: vec![CellError {
                                    row: first_row + records.len(),
                                    column: None,
                                    message: format!("is not valid CSV: {e}"),
                                }],
                            });
                        }
                    }
                }
                Chunk::Csv { first_row, records }
            }
            Source::Cells(it) => Chunk::Cells {
                first_row,
                rows: it.by_ref().take(n).collect(),
            },
        };
        self.next_row += chunk.len();
        Ok((!chunk.is_empty()).then_some(chunk))
    }

    /// The header cells that matched no column, as "cell N: text".
    pub fn unknown_columns(&self) -> Vec<String> {
        self.header
            .unknown
            .iter()
            .map(|(i, h)| format!("column {} {h:?}", i + 1))
            .collect()
    }
}

/// The text of an XLSX cell as the template parser reads it.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                // Shortest text that reads back as the same double: what the person typed.
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| dt.to_string()),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Finds repeated USCCs in file order: the later row is the one in error.
#[derive(Default)]
pub struct Dedup {
    seen: HashSet<Uscc>,
}

impl Dedup {
    /// `Ok` for a first occurrence; the error for a repeat.
    pub fn check(&mut self, row: usize, u: &Uscc) -> Result<(), CellError> {
        if self.seen.insert(u.clone()) {
            Ok(())
        } else {
            Err(CellError {
                row,
                column: Some("uscc".into()),
                message: format!("{u} is repeated (an earlier row has the same code)"),
            })
        }
    }
}
