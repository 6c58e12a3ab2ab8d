//! Reading the enterprise template from CSV (in blocks, tokenised and parsed in parallel) and XLSX.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use calamine::Data;
use rayon::prelude::*;
use zjtx_core::enterprise::{CellError, Enterprise, HeaderMap};
use zjtx_core::ids::Uscc;

use crate::blocks::{BlockReader, Record, Scratch, field_spans, for_each_record};
use crate::guard::XlsxLimits;
use crate::{Format, SheetError};

/// A parsed row: its spreadsheet row number and the enterprise or every error of the row.
pub type Parsed = (usize, Result<zjtx_core::Enterprise, Vec<CellError>>);

/// Blocks of whole CSV records per chunk (about 4 MB, some 13 000 rows of the template).
const BLOCKS_PER_CHUNK: usize = 16;

/// Worksheet rows per parallel parsing task.
const PARSE_TASK: usize = 512;

fn check_width(header: &HeaderMap, row: usize, n: usize) -> Result<(), Vec<CellError>> {
    if n > header.cols.len() {
        return Err(vec![CellError::new(
            row,
            None,
            format!("has {n} cells but the header has {}", header.cols.len()),
            format!("有 {n} 个单元格，而表头只有 {} 列", header.cols.len()),
        )]);
    }
    Ok(())
}

/// Parses one CSV record, given as its field bytes and field spans; `delimited` when every
/// field lies between commas (or the record's ends), as in a `blocks::Record::Line`.
fn parse_fields(
    header: &HeaderMap,
    row: usize,
    bytes: &[u8],
    spans: &[(usize, usize)],
    delimited: bool,
) -> Result<zjtx_core::Enterprise, Vec<CellError>> {
    check_width(header, row, spans.len())?;
    // One validation of the whole record in the common case; field by field only to locate an
    // error. A field boundary inside a character would make the parts invalid though the whole
    // is not — which cannot happen where every boundary is next to a comma.
    if let Ok(whole) = simdutf8::basic::from_utf8(bytes)
        && (delimited
            || spans
                .iter()
                .all(|&(a, b)| whole.is_char_boundary(a) && whole.is_char_boundary(b)))
    {
        let cells = spans.iter().map(|&(a, b)| whole.get(a..b).unwrap_or(""));
        return header.parse_row(row, cells);
    }
    let mut cells: Vec<&str> = Vec::with_capacity(spans.len());
    let mut errors = Vec::new();
    for (i, &(start, end)) in spans.iter().enumerate() {
        match std::str::from_utf8(&bytes[start..end]) {
            Ok(s) => cells.push(s),
            Err(_) => {
                let column = header
                    .cols
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|c| c.key().to_owned());
                errors.push(CellError::new(
                    row,
                    column,
                    "is not valid UTF-8 text (save the file as CSV UTF-8)",
                    "不是可识别的文字（请在 Excel 中另存为“CSV UTF-8”格式）",
                ));
                cells.push("");
            }
        }
    }
    match header.parse_row(row, cells) {
        Ok(_) if !errors.is_empty() => Err(errors),
        Ok(e) => Ok(e),
        Err(more) => {
            // A cell that is not text was read as blank: what the row says of that blank
            // ("is required") is not a second error of the same cell.
            let unreadable: Vec<Option<String>> = errors.iter().map(|e| e.column.clone()).collect();
            errors.extend(more.into_iter().filter(|e| !unreadable.contains(&e.column)));
            Err(errors)
        }
    }
}

/// Tokenises and parses one block of whole CSV records (`blocks::BlockReader`), handing each
/// row to `f` with its number within the block (from 0; a caller makes it absolute); returns
/// the number of rows. A good row is read into one enterprise kept for the whole block: `f`
/// reads it where it lies, or takes it (`std::mem::replace`) to keep it.
pub fn parse_block(
    header: &HeaderMap,
    block: &[u8],
    scratch: &mut Scratch,
    mut f: impl FnMut(usize, Result<&mut Enterprise, Vec<CellError>>),
) -> usize {
    let mut row = 0;
    let mut e = Enterprise::blank();
    for_each_record(block, scratch, |record| {
        let r = parse_record(header, row, record, &mut e);
        f(row, r.map(|()| &mut e));
        row += 1;
    });
    row
}

/// Parses one CSV record (`blocks::Record`) into `e`. A line of a plain block that is valid
/// UTF-8, the common case (checked for the whole block at once where the whole is), is read where
/// it lies (`parse_text_line`), with no list of its fields built.
fn parse_record(
    header: &HeaderMap,
    row: usize,
    record: Record,
    e: &mut Enterprise,
) -> Result<(), Vec<CellError>> {
    let mut other = |r: Result<Enterprise, Vec<CellError>>| r.map(|x| *e = x);
    match record {
        Record::Text(line) => parse_text_line(header, row, line, e),
        Record::Line(line) => match simdutf8::basic::from_utf8(line) {
            Ok(text) => parse_text_line(header, row, text, e),
            Err(_) => other(parse_fields(header, row, line, &field_spans(line), true)),
        },
        Record::Tokenised(bytes, spans) => other(parse_fields(header, row, bytes, spans, false)),
    }
}

/// A line that is valid UTF-8, read where it lies: `parse_line_into` reads as many cells as the
/// header has columns, and where the last it read ends says whether the line has more.
fn parse_text_line(
    header: &HeaderMap,
    row: usize,
    line: &str,
    e: &mut Enterprise,
) -> Result<(), Vec<CellError>> {
    let (mut parsed, end) = header.parse_line_into(row, line, e);
    if let Some(rest) = line.as_bytes().get(end..).filter(|r| !r.is_empty()) {
        let beyond = memchr::memchr_iter(b',', rest).count();
        if let Err(wide) = check_width(header, row, header.cols.len() + beyond) {
            parsed = Err(wide);
        }
    }
    parsed
}

/// Rows read but not yet tokenised or parsed.
pub enum RawChunk {
    /// Blocks of whole CSV records.
    Blocks(Vec<Vec<u8>>),
    /// Rows of a worksheet.
    Cells(Vec<Vec<String>>),
}

impl RawChunk {
    /// Tokenises and parses every row, in parallel, numbering rows from `first_row`. The result is
    /// one vector per block (reusing the vectors in `out`); returns the number of rows.
    pub fn parse_into(
        &self,
        header: &HeaderMap,
        first_row: usize,
        out: &mut Vec<Vec<Parsed>>,
    ) -> usize {
        match self {
            RawChunk::Blocks(blocks) => {
                out.resize_with(blocks.len(), Vec::new);
                out.truncate(blocks.len());
                // Each block is tokenised and parsed by one task while its bytes are in cache,
                // with row numbers relative to the block; they are made absolute afterwards.
                blocks.par_iter().zip(out.par_iter_mut()).for_each_init(
                    Scratch::default,
                    |scratch, (block, parsed)| {
                        parsed.clear();
                        parse_block(header, block, scratch, |row, r| {
                            let r = r.map(|e| std::mem::replace(e, Enterprise::blank()));
                            parsed.push((row, r));
                        });
                    },
                );
                let mut next = first_row;
                for parsed in out.iter_mut() {
                    for (row, r) in parsed.iter_mut() {
                        *row += next;
                        if let Err(errors) = r {
                            for e in errors {
                                e.row += next;
                            }
                        }
                    }
                    next += parsed.len();
                }
                next - first_row
            }
            RawChunk::Cells(rows) => {
                out.resize_with(1, Vec::new);
                out.truncate(1);
                rows.par_iter()
                    .with_min_len(PARSE_TASK)
                    .enumerate()
                    .map(|(i, cells)| {
                        let row = first_row + i;
                        let r = check_width(header, row, cells.len())
                            .and_then(|_| header.parse_row(row, cells.iter().map(String::as_str)));
                        (row, r)
                    })
                    .collect_into_vec(&mut out[0]);
                rows.len()
            }
        }
    }

    /// The byte buffers, for the reader to refill.
    pub fn into_buffers(self) -> Vec<Vec<u8>> {
        match self {
            RawChunk::Blocks(b) => b,
            RawChunk::Cells(_) => Vec::new(),
        }
    }
}

enum Source {
    Csv(BlockReader),
    Cells(SparseRows),
}

/// A worksheet's cells with a value, in order, handed out row by row: a row is made whole (its
/// empty cells filled in) only when it is read, so that a sparse sheet costs what its cells cost.
struct SparseRows {
    cells: std::iter::Peekable<std::vec::IntoIter<(u32, u32, String)>>,
    /// The row (from 0) to hand out next.
    next: u32,
}

impl SparseRows {
    /// The next row, whole; an empty vector for a row with no cell.
    fn next_row(&mut self) -> Vec<String> {
        let mut row = Vec::new();
        while let Some((_, c, text)) = self.cells.next_if(|(r, _, _)| *r == self.next) {
            row.resize(c as usize, String::new());
            row.push(text);
        }
        self.next += 1;
        row
    }

    /// The next row, or `None` after the last row with a cell.
    fn next_some(&mut self) -> Option<Vec<String>> {
        self.cells.peek()?;
        Some(self.next_row())
    }
}

/// A template file opened for reading: its header, then its rows chunk by chunk.
pub struct TemplateReader {
    pub header: HeaderMap,
    source: Source,
    /// The rest of the header's block.
    first: Option<Vec<u8>>,
    /// The spreadsheet row number of the first data row (2, or lower in a worksheet whose used
    /// range starts further down).
    pub first_row: usize,
    next_row: usize,
}

impl TemplateReader {
    /// Opens a CSV or XLSX file (by its extension).
    pub fn open(path: &Path) -> Result<TemplateReader, SheetError> {
        match Format::of(path) {
            Some(Format::Csv) => {
                let f = File::open(path).map_err(|e| SheetError::io(path, e))?;
                TemplateReader::csv(Box::new(f))
            }
            Some(Format::Xlsx) => {
                let bytes = std::fs::read(path).map_err(|e| SheetError::io(path, e))?;
                TemplateReader::xlsx(bytes, &XlsxLimits::LOCAL)
            }
            _ => Err(SheetError::Format(format!(
                "{}: input must be .csv or .xlsx",
                path.display()
            ))),
        }
    }

    /// Reads CSV (UTF-8, with or without BOM).
    pub fn csv(r: Box<dyn Read + Send>) -> Result<TemplateReader, SheetError> {
        let mut blocks = BlockReader::new(r);
        let empty = || SheetError::Refused {
            errors: vec![CellError::new(
                1,
                None,
                "the file is empty (no header row)",
                "文件是空的（没有表头行）",
            )],
        };
        let first = blocks
            .next_block(Vec::new())
            .map_err(|e| SheetError::Format(format!("the file cannot be read: {e}")))?
            .ok_or_else(empty)?;
        // The header is the first record of the first block; csv_core strips a BOM itself.
        let (fields, consumed) = crate::blocks::first_record(&first).ok_or_else(empty)?;
        let mut cells = Vec::with_capacity(fields.len());
        for (i, f) in fields.into_iter().enumerate() {
            cells.push(String::from_utf8(f).map_err(|_| SheetError::Refused {
                errors: vec![CellError::new(
                    1,
                    None,
                    format!(
                        "header cell {} is not valid UTF-8 (save the file as CSV UTF-8)",
                        i + 1
                    ),
                    format!(
                        "第 {} 个表头单元格不是可识别的文字（请另存为“CSV UTF-8”格式）",
                        i + 1
                    ),
                )],
            })?);
        }
        let header = HeaderMap::parse(cells.iter().map(String::as_str))
            .map_err(|errors| SheetError::Refused { errors })?;
        let rest = first[consumed..].to_vec();
        Ok(TemplateReader {
            header,
            source: Source::Csv(blocks),
            first: Some(rest),
            first_row: 2,
            next_row: 2,
        })
    }

    /// Reads the first worksheet of an XLSX workbook held in memory, within `limits` (checked
    /// before the workbook is opened, and on every cell while it is read).
    pub fn xlsx(bytes: Vec<u8>, limits: &XlsxLimits) -> Result<TemplateReader, SheetError> {
        crate::guard::check_package(&bytes, limits)?;
        let mut cells =
            crate::guard::worksheet_cells(std::io::Cursor::new(bytes), limits, |d| cell_text(&d))?;
        cells.retain(|(_, _, t)| !t.is_empty());
        // Cells come in sheet order; sorting makes any order read the same.
        cells.sort_by_key(|&(r, c, _)| (r, c));
        let Some(&(start_row, _, _)) = cells.first() else {
            return Err(SheetError::Refused {
                errors: vec![CellError::new(
                    1,
                    None,
                    "the worksheet is empty (no header row)",
                    "工作表是空的（没有表头行）",
                )],
            });
        };
        let mut rows = SparseRows {
            cells: cells.into_iter().peekable(),
            next: start_row,
        };
        let header_cells = rows.next_row();
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
        Ok(TemplateReader {
            header,
            source: Source::Cells(rows),
            first: None,
            first_row: start_row as usize + 2,
            next_row: start_row as usize + 2,
        })
    }

    /// The next rows, not yet tokenised: about 4 MB of CSV, or `rows` rows of a worksheet; `None`
    /// at the end. `spare` are used-up buffers to refill.
    pub fn next_raw(
        &mut self,
        rows: usize,
        mut spare: Vec<Vec<u8>>,
    ) -> Result<Option<RawChunk>, SheetError> {
        match &mut self.source {
            Source::Csv(blocks) => {
                let mut out = Vec::with_capacity(BLOCKS_PER_CHUNK);
                if let Some(first) = self.first.take().filter(|b| !b.is_empty()) {
                    out.push(first);
                }
                while out.len() < BLOCKS_PER_CHUNK {
                    let buf = spare.pop().unwrap_or_default();
                    match blocks.next_block(buf) {
                        Ok(Some(b)) => out.push(b),
                        Ok(None) => break,
                        Err(e) => {
                            return Err(SheetError::Format(format!(
                                "the file cannot be read: {e}"
                            )));
                        }
                    }
                }
                Ok((!out.is_empty()).then_some(RawChunk::Blocks(out)))
            }
            Source::Cells(it) => {
                let rows: Vec<Vec<String>> = (0..rows).map_while(|_| it.next_some()).collect();
                Ok((!rows.is_empty()).then_some(RawChunk::Cells(rows)))
            }
        }
    }

    /// Whether the file is CSV (read block by block: `next_block`).
    pub fn is_csv(&self) -> bool {
        matches!(self.source, Source::Csv(_))
    }

    /// The next block of whole CSV records (refilling `buf`), or `None` at the end — and for a
    /// worksheet, which is read with `next_raw`.
    pub fn next_block(&mut self, buf: Vec<u8>) -> Result<Option<Vec<u8>>, SheetError> {
        let Source::Csv(blocks) = &mut self.source else {
            return Ok(None);
        };
        if let Some(first) = self.first.take().filter(|b| !b.is_empty()) {
            return Ok(Some(first));
        }
        blocks
            .next_block(buf)
            .map_err(|e| SheetError::Format(format!("the file cannot be read: {e}")))
    }

    /// The next rows, parsed, in order; `None` at the end.
    pub fn next_parsed(&mut self, rows: usize) -> Result<Option<Vec<Parsed>>, SheetError> {
        let Some(raw) = self.next_raw(rows, Vec::new())? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        self.next_row += raw.parse_into(&self.header, self.next_row, &mut out);
        Ok(Some(out.into_iter().flatten().collect()))
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
/// A cell's text as a person typed it (what the template's parser reads).
pub(crate) fn text_of(d: &Data) -> String {
    cell_text(d)
}

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

/// CSV text as UTF-8: as it is when it is UTF-8 (with or without BOM); otherwise, when the whole
/// reads as GB18030 (what Excel in China saves as "CSV"; GBK is its subset) without a single
/// malformed sequence, converted; otherwise as it is, so that each cell that is not text is
/// reported where it stands.
pub fn as_utf8(bytes: Vec<u8>) -> Vec<u8> {
    if std::str::from_utf8(&bytes).is_ok() {
        return bytes;
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => text.into_owned().into_bytes(),
        None => bytes,
    }
}

/// A whole template file, read: the valid rows, every error, and the columns it did not know.
#[derive(Debug, Default)]
pub struct WholeFile {
    pub rows: Vec<(usize, zjtx_core::Enterprise)>,
    pub errors: Vec<CellError>,
    pub unknown_columns: Vec<String>,
}

/// Reads an uploaded template (CSV or XLSX, by the file name's extension) from memory, with every
/// error of the file, repeated codes included; a workbook within `XlsxLimits::UPLOAD`.
pub fn read_whole(filename: &str, bytes: Vec<u8>) -> Result<WholeFile, SheetError> {
    let mut reader = match Format::of(Path::new(filename)) {
        Some(Format::Csv) => TemplateReader::csv(Box::new(std::io::Cursor::new(as_utf8(bytes))))?,
        Some(Format::Xlsx) => TemplateReader::xlsx(bytes, &XlsxLimits::UPLOAD)?,
        _ => {
            return Err(SheetError::Format(format!(
                "{filename}: the file must be .csv or .xlsx"
            )));
        }
    };
    let mut out = WholeFile {
        unknown_columns: reader.unknown_columns(),
        ..WholeFile::default()
    };
    let mut dedup = Dedup::inline();
    while let Some(parsed) = reader.next_parsed(16_384)? {
        for (row, r) in parsed {
            match r {
                Ok(e) => match dedup.check(row, &e.uscc) {
                    Ok(()) => out.rows.push((row, e)),
                    Err(err) => out.errors.push(err),
                },
                Err(mut errs) => out.errors.append(&mut errs),
            }
        }
    }
    Ok(out)
}

/// Finds repeated USCCs: the later row is the one in error.
///
/// `Inline` decides at once (needed when good rows are written while reading, under
/// `skip_invalid`). `Deferred` only records codes in order and finds repeats at the end with one
/// parallel sort, which keeps the sequential path of a large import free of hash-table misses; any
/// repeat then refuses the file, so deciding late changes nothing.
pub enum Dedup {
    /// Each code with the row it was first seen in.
    Inline(HashMap<u128, usize, foldhash::fast::RandomState>),
    /// Each code with its row, packed (`code_and_row`), in file order.
    Deferred(Vec<u128>),
}

impl Dedup {
    pub fn inline() -> Dedup {
        Dedup::Inline(HashMap::default())
    }
    pub fn deferred() -> Dedup {
        Dedup::Deferred(Vec::new())
    }

    /// `Ok` unless the code is known to repeat an earlier row's.
    pub fn check(&mut self, row: usize, u: &Uscc) -> Result<(), CellError> {
        match self {
            Dedup::Inline(seen) => match seen.entry(u.key()) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(row);
                    Ok(())
                }
                std::collections::hash_map::Entry::Occupied(first) => {
                    Err(repeated(row, u, *first.get()))
                }
            },
            Dedup::Deferred(codes) => {
                codes.push(code_and_row(u, row));
                Ok(())
            }
        }
    }

    /// The repeats found at the end (none for `Inline`, which reported them as they came).
    pub fn finish(self) -> Vec<CellError> {
        let Dedup::Deferred(mut codes) = self else {
            return Vec::new();
        };
        // Sorted by code, then row: each run's first row is the one the others repeat.
        codes.par_sort_unstable();
        let mut errors = Vec::new();
        let mut first: Option<(u128, usize)> = None;
        for &packed in &codes {
            let (key, row) = (packed >> ROW_BITS, (packed & ROW_MASK) as usize);
            match first {
                Some((k, r)) if k == key => errors.push(repeated(row, &Uscc::from_key(key), r)),
                _ => first = Some((key, row)),
            }
        }
        errors.sort_by_key(|e| e.row);
        errors
    }
}

/// Bits of a packed code and row (`code_and_row`) that hold the row: a code's key takes 90 bits
/// (`Uscc::key`), which leaves 38 — rows up to 2³⁸, far more than any file holds.
const ROW_BITS: u32 = 38;
const ROW_MASK: u128 = (1 << ROW_BITS) - 1;

/// A code and its row in one number, ordered by code, then row: sorting these finds the repeats
/// while moving half the bytes of (code, row) pairs. A block's rows, numbered from 0, are made
/// absolute by adding the block's first row.
pub fn code_and_row(u: &Uscc, row: usize) -> u128 {
    (u.key() << ROW_BITS) | (row as u128 & ROW_MASK)
}

fn repeated(row: usize, u: &Uscc, first: usize) -> CellError {
    CellError::new(
        row,
        Some("uscc".into()),
        format!("{u} is repeated: already used in row {first}"),
        format!("{u} 重复：第 {first} 行已使用"),
    )
}
