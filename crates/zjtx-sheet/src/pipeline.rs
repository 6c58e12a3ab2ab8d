//! Evaluating a whole template file: read in chunks, parse and evaluate in parallel, write in order.
//! Memory is bounded by the chunk (plus one key per row to find repeated USCCs), not by the file.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use chrono::NaiveDate;
use rayon::prelude::*;
use zjtx_core::enterprise::CellError;
use zjtx_core::{Enterprise, RuleSet};

use crate::read::{Dedup, TemplateReader};
use crate::write::{JsonRow, XlsxResults, output_row};
use crate::{Format, SheetError};

/// Rows per chunk: large enough to keep both cores busy, small enough to bound memory.
pub const CHUNK_ROWS: usize = 16_384;

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

enum Sink {
    Csv(BufWriter<File>),
    Json { w: BufWriter<File>, first: bool },
    Xlsx(Box<XlsxResults>),
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

fn run(
    mut reader: TemplateReader,
    tmp: &Path,
    out_format: Format,
    opts: &EvalOptions<'_>,
) -> Result<EvalReport, SheetError> {
    let mut report = EvalReport {
        unknown_columns: reader.unknown_columns(),
        ..EvalReport::default()
    };
    let open = || {
        File::create(tmp)
            .map(|f| BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| SheetError::io(tmp, e))
    };
    let mut sink = match out_format {
        Format::Csv => {
            let mut w = open()?;
            writeln!(w, "{}", crate::write::OUTPUT_KEYS.join(","))
                .map_err(|e| SheetError::io(tmp, e))?;
            Sink::Csv(w)
        }
        Format::Json => {
            let mut w = open()?;
            w.write_all(b"[").map_err(|e| SheetError::io(tmp, e))?;
            Sink::Json { w, first: true }
        }
        Format::Xlsx => Sink::Xlsx(Box::default()),
    };
    let header = reader.header.clone();
    let mut errors: Vec<CellError> = Vec::new();
    let mut dedup = Dedup::default();
    std::thread::scope(|scope| -> Result<(), SheetError> {
        let (tx, rx) = sync_channel(2);
        scope.spawn(move || {
            loop {
                let next = reader.next_chunk(CHUNK_ROWS);
                let stop = !matches!(next, Ok(Some(_)));
                if tx.send(next).is_err() || stop {
                    break;
                }
            }
        });
        for next in rx {
            let Some(chunk) = next? else { break };
            let parsed = chunk.parse(&header);
            report.rows += parsed.len();
            let mut good: Vec<Enterprise> = Vec::with_capacity(parsed.len());
            for (row, r) in parsed {
                match r {
                    Ok(e) => match dedup.check(row, &e.uscc) {
                        Ok(()) => good.push(e),
                        Err(err) => errors.push(err),
                    },
                    Err(mut errs) => errors.append(&mut errs),
                }
            }
            // A refused file is still read to the end, so that every error is reported at once,
            // but nothing more is evaluated once it is known to be refused.
            if !errors.is_empty() && !opts.skip_invalid {
                continue;
            }
            report.evaluated += good.len();
            report.written += good.len() * opts.sets.len();
            write_chunk(&mut sink, &good, opts).map_err(|e| SheetError::io(tmp, e))?;
        }
        Ok(())
    })?;
    if !errors.is_empty() && !opts.skip_invalid {
        return Err(SheetError::Refused { errors });
    }
    report.skipped = errors;
    match sink {
        Sink::Csv(mut w) => w.flush().map_err(|e| SheetError::io(tmp, e))?,
        Sink::Json { mut w, .. } => {
            w.write_all(b"\n]\n")
                .and_then(|_| w.flush())
                .map_err(|e| SheetError::io(tmp, e))?;
        }
        Sink::Xlsx(x) => x.save(tmp)?,
    }
    Ok(report)
}

/// Rows per parallel task when evaluating and rendering.
const TASK_ROWS: usize = 1024;

fn write_chunk(
    sink: &mut Sink,
    good: &[Enterprise],
    opts: &EvalOptions<'_>,
) -> std::io::Result<()> {
    match sink {
        Sink::Csv(w) => {
            let bufs: Vec<Vec<u8>> = good
                .par_chunks(TASK_ROWS)
                .map(|part| {
                    let mut buf = Vec::with_capacity(part.len() * opts.sets.len() * 96);
                    {
                        let mut wr = csv::WriterBuilder::new()
                            .has_headers(false)
                            .from_writer(&mut buf);
                        for e in part {
                            let u = e.uscc.to_string();
                            for rs in &opts.sets {
                                let s = zjtx_core::evaluate(e, rs, opts.as_of);
                                // Writing into a Vec cannot fail.
                                let _ = wr.write_record(&output_row(&u, &s));
                            }
                        }
                        let _ = wr.flush();
                    }
                    buf
                })
                .collect();
            for b in bufs {
                w.write_all(&b)?;
            }
        }
        Sink::Json { w, first } => {
            let bufs: Vec<Vec<u8>> = good
                .par_chunks(TASK_ROWS / 8)
                .map(|part| {
                    let mut buf = Vec::new();
                    for e in part {
                        let u = e.uscc.to_string();
                        for rs in &opts.sets {
                            let ev = zjtx_core::explain(e, rs, opts.as_of);
                            buf.extend_from_slice(b",\n");
                            let _ = serde_json::to_writer(&mut buf, &JsonRow::new(&u, &ev));
                        }
                    }
                    buf
                })
                .collect();
            for b in bufs {
                let b = if *first && !b.is_empty() {
                    *first = false;
                    &b[1..]
                } else {
                    &b[..]
                };
                w.write_all(b)?;
            }
        }
        Sink::Xlsx(x) => {
            let rows: Vec<[String; 14]> = good
                .par_iter()
                .flat_map_iter(|e| {
                    let u = e.uscc.to_string();
                    opts.sets
                        .iter()
                        .map(move |rs| output_row(&u, &zjtx_core::evaluate(e, rs, opts.as_of)))
                })
                .collect();
            for r in &rows {
                x.push(r)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
            }
        }
    }
    Ok(())
}
