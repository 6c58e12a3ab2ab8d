//! Evaluating a whole template file: read in chunks, parse and evaluate in parallel, write in order.
//!
//! Three stages overlap: a reader thread tokenises the CSV into reusable record buffers; the worker
//! pool parses chunk k+1 while it checks and evaluates chunk k (`rayon::join`, so work-stealing
//! keeps every core busy even during the sequential duplicate check); a writer thread writes the
//! rendered bytes in order. Memory is bounded by a few chunks (plus one key per row to find
//! repeated USCCs), not by the file.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use chrono::NaiveDate;
use rayon::prelude::*;
use zjtx_core::enterprise::CellError;
use zjtx_core::{Enterprise, RuleSet};

use crate::read::{Dedup, Parsed, RawChunk, TemplateReader};
use crate::write::{JsonRow, XlsxResults, output_row, write_csv_row};
use crate::{Format, SheetError};

/// Worksheet rows per chunk (CSV chunks are sized in bytes: `read::BLOCKS_PER_CHUNK` blocks).
pub const CHUNK_ROWS: usize = 16_384;

/// Rows per parallel task when evaluating and rendering: small, so that the last task of a chunk
/// leaves little idle time before the next chunk (measured in docs/PERFORMANCE.md).
const TASK_ROWS: usize = 256;

pub struct EvalOptions<'a> {
    pub as_of: NaiveDate,
    /// The rule sets to evaluate under, in output order (one output row per enterprise and set).
    pub sets: Vec<&'a RuleSet>,
    /// Evaluate the good rows of a file with errors, and report the bad ones, instead of refusing it.
    pub skip_invalid: bool,
}

#[derive(Debug, Default)]
pub struct EvalReport {
    /// Data rows read.
    pub rows: usize,
    /// Enterprises evaluated.
    pub evaluated: usize,
    /// Output rows written (enterprises × rule sets).
    pub written: usize,
    /// Rows left out under `skip_invalid`, with their errors.
    pub skipped: Vec<CellError>,
    pub unknown_columns: Vec<String>,
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Evaluates `input` (CSV or XLSX) and writes `output` (CSV, XLSX or JSON by extension). A file with
/// errors is refused whole, with every error, and the output path is left untouched; with
/// `skip_invalid` the good rows are evaluated and the bad ones reported.
pub fn evaluate_file(
    input: &Path,
    output: &Path,
    opts: &EvalOptions<'_>,
) -> Result<EvalReport, SheetError> {
    let out_format = Format::of(output).ok_or_else(|| {
        SheetError::Format(format!(
            "{}: output must be .csv, .xlsx or .json",
            output.display()
        ))
    })?;
    let reader = TemplateReader::open(input)?;
    let tmp = partial_path(output);
    let result = run(reader, &tmp, out_format, opts);
    match result {
        Ok(report) => {
            fs::rename(&tmp, output).map_err(|e| SheetError::io(output, e))?;
            Ok(report)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// What one chunk produced for the output.
enum Rendered {
    /// CSV or JSON bytes, in order.
    Bytes(Vec<Vec<u8>>),
    /// Result rows for the XLSX workbook.
    Rows(Vec<[String; 14]>),
}

/// The sequential part of a chunk (duplicate check, error collection) and its parallel evaluation.
struct Stage<'o> {
    opts: &'o EvalOptions<'o>,
    format: Format,
    dedup: Dedup,
    errors: Vec<CellError>,
    report: EvalReport,
}

impl Stage<'_> {
    fn process(&mut self, blocks: &[Vec<Parsed>]) -> Rendered {
        let rows: usize = blocks.iter().map(Vec::len).sum();
        self.report.rows += rows;
        let mut good: Vec<&Enterprise> = Vec::with_capacity(rows);
        for (row, r) in blocks.iter().flatten() {
            match r {
                Ok(e) => match self.dedup.check(*row, &e.uscc) {
                    Ok(()) => good.push(e),
                    Err(err) => self.errors.push(err),
                },
                Err(errs) => self.errors.extend(errs.iter().cloned()),
            }
        }
        // A refused file is still read to the end, so that every error is reported at once, but
        // nothing more is evaluated once it is known to be refused.
        if !self.errors.is_empty() && !self.opts.skip_invalid {
            return Rendered::Bytes(Vec::new());
        }
        self.report.evaluated += good.len();
        self.report.written += good.len() * self.opts.sets.len();
        render(self.format, &good, self.opts)
    }
}

fn run(
    mut reader: TemplateReader,
    tmp: &Path,
    format: Format,
    opts: &EvalOptions<'_>,
) -> Result<EvalReport, SheetError> {
    let unknown_columns = reader.unknown_columns();
    let header = reader.header.clone().without_text();
    let first_row = reader.first_row;
    let mut stage = Stage {
        opts,
        format,
        dedup: if opts.skip_invalid {
            Dedup::inline()
        } else {
            Dedup::deferred()
        },
        errors: Vec::new(),
        report: EvalReport::default(),
    };
    let io = |e: std::io::Error| SheetError::io(tmp, e);
    // Rendered CSV parts (a task's rows, some 37 KB) are larger than the buffer and so written
    // straight through, not copied into it first; small writes (the header, JSON) still gather.
    let mut file = BufWriter::with_capacity(1 << 14, File::create(tmp).map_err(io)?);
    match format {
        Format::Csv => writeln!(file, "{}", crate::write::OUTPUT_KEYS.join(",")).map_err(io)?,
        Format::Json => file.write_all(b"[").map_err(io)?,
        Format::Xlsx => {}
    }
    let mut xlsx = (format == Format::Xlsx).then(XlsxResults::new);

    let file = std::thread::scope(|scope| -> Result<BufWriter<File>, SheetError> {
        let (tx, rx) = sync_channel::<Result<Option<RawChunk>, SheetError>>(2);
        // Used-up byte buffers go back to the reader, which refills them.
        let (back_tx, back_rx) = sync_channel::<Vec<Vec<u8>>>(4);
        scope.spawn(move || {
            loop {
                let spare = back_rx.try_recv().unwrap_or_default();
                let next = reader.next_raw(CHUNK_ROWS, spare);
                let stop = !matches!(next, Ok(Some(_)));
                if tx.send(next).is_err() || stop {
                    break;
                }
            }
        });
        let (wtx, wrx) = sync_channel::<Vec<u8>>(64);
        let json = format == Format::Json;
        let writer = scope.spawn(move || -> std::io::Result<BufWriter<File>> {
            let mut first = true;
            for b in wrx {
                // JSON rows are rendered each with a leading ",\n"; the very first loses its comma.
                let b = if json && first && !b.is_empty() {
                    first = false;
                    &b[1..]
                } else {
                    &b[..]
                };
                file.write_all(b)?;
            }
            Ok(file)
        });

        let recv = || -> Result<Option<RawChunk>, SheetError> { rx.recv().unwrap_or(Ok(None)) };
        let mut next_row = first_row;
        // Tokenises and parses one raw chunk into `out`; gives back its byte buffers to refill.
        let mut prepare = |raw: RawChunk, out: &mut Vec<Vec<Parsed>>| -> Vec<Vec<u8>> {
            next_row += raw.parse_into(&header, next_row, out);
            raw.into_buffers()
        };
        let mut current: Vec<Vec<Parsed>> = Vec::new();
        let mut next: Vec<Vec<Parsed>> = Vec::new();
        let mut have = match recv()? {
            Some(raw) => {
                let _ = back_tx.try_send(prepare(raw, &mut current));
                true
            }
            None => false,
        };
        while have {
            let incoming = recv()?;
            have = incoming.is_some();
            let (rendered, spent) = rayon::join(
                || stage.process(&current),
                || {
                    incoming
                        .map(|raw| prepare(raw, &mut next))
                        .unwrap_or_default()
                },
            );
            let _ = back_tx.try_send(spent);
            match rendered {
                Rendered::Bytes(out) => {
                    for b in out {
                        if wtx.send(b).is_err() {
                            break;
                        }
                    }
                }
                Rendered::Rows(rows) => {
                    if let Some(x) = xlsx.as_mut() {
                        for r in &rows {
                            x.push(r)?;
                        }
                    }
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        drop(wtx);
        writer
            .join()
            .map_err(|_| SheetError::Io("the writer thread failed".into()))?
            .map_err(io)
    })?;

    let Stage {
        mut errors,
        dedup,
        mut report,
        ..
    } = stage;
    let repeats = dedup.finish();
    if !repeats.is_empty() {
        // Repeats found at the end refuse the file like any other error, listed in file order.
        errors.extend(repeats);
        errors.sort_by_key(|e| e.row);
    }
    report.unknown_columns = unknown_columns;
    if !errors.is_empty() && !opts.skip_invalid {
        return Err(SheetError::Refused { errors });
    }
    report.skipped = errors;
    let mut file = file;
    match format {
        Format::Csv => file.flush().map_err(io)?,
        Format::Json => file
            .write_all(b"\n]\n")
            .and_then(|_| file.flush())
            .map_err(io)?,
        Format::Xlsx => {
            drop(file);
            xlsx.unwrap_or_default().save(tmp)?;
        }
    }
    Ok(report)
}

fn render(format: Format, good: &[&Enterprise], opts: &EvalOptions<'_>) -> Rendered {
    match format {
        Format::Csv => Rendered::Bytes(
            good.par_chunks(TASK_ROWS)
                .map(|part| {
                    // Result rows are about 145 bytes: room for 160 a row keeps the buffer from
                    // being moved as it grows, and under the size (128 KB) at which the allocator
                    // would map fresh pages for it each time.
                    let mut buf = Vec::with_capacity(part.len() * opts.sets.len() * 160);
                    let mut out = Vec::with_capacity(opts.sets.len());
                    for e in part {
                        out.clear();
                        zjtx_core::engine::evaluate_each(e, &opts.sets, opts.as_of, &mut out);
                        for s in &out {
                            write_csv_row(&mut buf, e.uscc.as_str(), s);
                        }
                    }
                    buf
                })
                .collect(),
        ),
        Format::Json => Rendered::Bytes(
            good.par_chunks(TASK_ROWS / 8)
                .map(|part| {
                    let mut buf = Vec::new();
                    for e in part {
                        let u = e.uscc.to_string();
                        for rs in &opts.sets {
                            let ev = zjtx_core::explain(e, rs, opts.as_of);
                            buf.extend_from_slice(b",\n");
                            // Serialising into a Vec cannot fail.
                            let _ = serde_json::to_writer(&mut buf, &JsonRow::new(&u, &ev));
                        }
                    }
                    buf
                })
                .collect(),
        ),
        Format::Xlsx => Rendered::Rows(
            good.par_iter()
                .flat_map_iter(|e| {
                    let u = e.uscc.to_string();
                    opts.sets
                        .iter()
                        .map(move |rs| output_row(&u, &zjtx_core::evaluate(e, rs, opts.as_of)))
                })
                .collect(),
        ),
    }
}
