//! Evaluating a whole template file: read, parse and evaluate in parallel, write in order.
//!
//! A CSV file evaluated whole goes block by block (`run_streamed`): a reader thread cuts it into
//! blocks of whole records, one task per block parses, checks, evaluates and renders its rows,
//! and a writer thread writes the blocks' results in file order. Anything else goes chunk by
//! chunk (`run`): the worker pool parses chunk k+1 while it checks and evaluates chunk k
//! (`rayon::join`), a writer thread writing in order. Memory is bounded by the blocks or chunks in
//! flight (plus one key per row to find repeated USCCs), not by the file.

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
    let result = if streams(&reader, out_format, opts) {
        run_streamed(reader, &tmp, out_format, opts)
    } else {
        run(reader, &tmp, out_format, opts)
    };
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

/// The output file, created, with its header (CSV) or opening bracket (JSON). Rendered parts
/// (a task's or a block's rows, tens of KB) are larger than its buffer and so written straight
/// through, not copied into it first; small writes (the header, JSON) still gather.
fn output(tmp: &Path, format: Format) -> Result<BufWriter<File>, SheetError> {
    let io = |e: std::io::Error| SheetError::io(tmp, e);
    let mut file = BufWriter::with_capacity(1 << 14, File::create(tmp).map_err(io)?);
    match format {
        Format::Csv => writeln!(file, "{}", crate::write::OUTPUT_KEYS.join(",")).map_err(io)?,
        Format::Json => file.write_all(b"[").map_err(io)?,
        Format::Xlsx => {}
    }
    Ok(file)
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
    let mut file = output(tmp, format)?;
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
        errors,
        dedup,
        mut report,
        ..
    } = stage;
    let errors = with_repeats(errors, dedup);
    report.unknown_columns = unknown_columns;
    if !errors.is_empty() && !opts.skip_invalid {
        return Err(SheetError::Refused { errors });
    }
    report.skipped = errors;
    match format {
        Format::Xlsx => {
            drop(file);
            xlsx.unwrap_or_default().save(tmp)?;
        }
        _ => close(file, format).map_err(io)?,
    }
    Ok(report)
}

/// The rows' errors with the repeated codes found at the end: a repeat refuses the file like any
/// other error, listed in file order.
fn with_repeats(mut errors: Vec<CellError>, dedup: Dedup) -> Vec<CellError> {
    let repeats = dedup.finish();
    if !repeats.is_empty() {
        errors.extend(repeats);
        errors.sort_by_key(|e| e.row);
    }
    errors
}

/// Ends a CSV or JSON output (JSON's closing bracket) and flushes it.
fn close(mut file: BufWriter<File>, format: Format) -> std::io::Result<()> {
    if format == Format::Json {
        file.write_all(b"\n]\n")?;
    }
    file.flush()
}

/// Whether a run goes block by block (`run_streamed`): a CSV file evaluated whole, into CSV or
/// JSON. Otherwise (a worksheet; results into a workbook; `skip_invalid`, whose repeat check
/// must decide each row before it is written) chunk by chunk (`run`).
fn streams(reader: &TemplateReader, format: Format, opts: &EvalOptions<'_>) -> bool {
    reader.is_csv() && format != Format::Xlsx && !opts.skip_invalid
}

/// Blocks read but not yet written, at most: the reader waits for a used block to come back
/// before it reads one more, so memory is bounded by this many blocks and their results.
const IN_FLIGHT: usize = 16;

/// What one block gave: its results, the codes and errors of its rows (numbered within the block
/// until `Ordered::take` makes them absolute), and its bytes, to be refilled.
struct Done {
    at: usize,
    rows: usize,
    good: usize,
    out: Vec<u8>,
    keys: Vec<u128>,
    errors: Vec<CellError>,
    input: Vec<u8>,
}

/// The writer's side of a streamed run: blocks come in any order and are taken in file order.
struct Ordered {
    pending: std::collections::BTreeMap<usize, Done>,
    next: usize,
    next_row: usize,
    keys: Vec<u128>,
    errors: Vec<CellError>,
    report: EvalReport,
}

impl Ordered {
    /// The next block in file order, if it has come, with its rows numbered in the file.
    fn take(&mut self) -> Option<Done> {
        let mut d = self.pending.remove(&self.next)?;
        self.next += 1;
        for e in &mut d.errors {
            e.row += self.next_row;
        }
        let first = self.next_row as u128;
        self.keys.extend(d.keys.drain(..).map(|k| k + first));
        self.errors.append(&mut d.errors);
        self.next_row += d.rows;
        self.report.rows += d.rows;
        self.report.evaluated += d.good;
        Some(d)
    }
}

/// `run` without chunks: each block of the file is tokenised, parsed, checked, evaluated and
/// rendered by one task, straight through — no chunk for both cores to finish before the next
/// begins, and a row is evaluated while its parsed figures are still in cache instead of after
/// a chunk of them has been parsed. The writer takes the blocks' results in file order. Repeated
/// codes are found at the end, as `Dedup::deferred` finds them; once a row is in error nothing
/// more is evaluated, but every row is still read so that every error is reported.
fn run_streamed(
    mut reader: TemplateReader,
    tmp: &Path,
    format: Format,
    opts: &EvalOptions<'_>,
) -> Result<EvalReport, SheetError> {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let unknown_columns = reader.unknown_columns();
    let header = reader.header.clone().without_text();
    let io = |e: std::io::Error| SheetError::io(tmp, e);
    let mut file = output(tmp, format)?;
    let refused = AtomicBool::new(false);
    // Written results' buffers, for the next blocks to fill (a fresh one each time would cost
    // the allocator fresh pages: a block's results are some 250 KB).
    let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let first_row = reader.first_row;
    let (file, ordered, read) = std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<(usize, Vec<u8>)>(IN_FLIGHT);
        // Used blocks go back to the reader, which refills them; it makes no more than
        // `IN_FLIGHT`, so it waits for one to come back once that many are out.
        let (back_tx, back_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let reading = scope.spawn(move || -> Result<(), SheetError> {
            let mut made = 0;
            for at in 0.. {
                let buf = match back_rx.try_recv() {
                    Ok(b) => b,
                    Err(_) if made < IN_FLIGHT => {
                        made += 1;
                        Vec::new()
                    }
                    Err(_) => match back_rx.recv() {
                        Ok(b) => b,
                        // The writer stopped: nothing more is wanted.
                        Err(_) => return Ok(()),
                    },
                };
                let Some(b) = reader.next_block(buf)? else {
                    return Ok(());
                };
                if tx.send((at, b)).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        });
        let (dtx, drx) = sync_channel::<Done>(IN_FLIGHT);
        let (refused, spare) = (&refused, &spare);
        let writing = scope.spawn(move || {
            let mut o = Ordered {
                pending: Default::default(),
                next: 0,
                next_row: first_row,
                keys: Vec::new(),
                errors: Vec::new(),
                report: EvalReport::default(),
            };
            let mut first = format == Format::Json;
            let mut failed = None;
            for d in drx {
                o.pending.insert(d.at, d);
                while let Some(d) = o.take() {
                    // Once a row is in error the file is refused: its results are not written.
                    if failed.is_none() && !refused.load(Relaxed) {
                        // JSON rows come each led by ",\n"; the very first loses its comma.
                        let b = if first && !d.out.is_empty() {
                            first = false;
                            &d.out[1..]
                        } else {
                            &d.out[..]
                        };
                        failed = file.write_all(b).err();
                    }
                    let _ = back_tx.send(d.input);
                    let mut out = d.out;
                    out.clear();
                    spare
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(out);
                }
            }
            (
                match failed {
                    Some(e) => Err(e),
                    None => Ok(file),
                },
                o,
            )
        });
        rx.into_iter().par_bridge().for_each_init(
            || (crate::blocks::Scratch::default(), Vec::new()),
            |(scratch, sums), (at, input)| {
                let out = spare
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .pop()
                    .unwrap_or_default();
                let mut d = Done {
                    at,
                    rows: 0,
                    good: 0,
                    out,
                    keys: Vec::new(),
                    errors: Vec::new(),
                    input: Vec::new(),
                };
                d.rows = crate::read::parse_block(&header, &input, scratch, |row, r| match r {
                    // Read where it lies, in the one enterprise the block's rows are read into.
                    Ok(e) => {
                        d.keys.push(crate::read::code_and_row(&e.uscc, row));
                        d.good += 1;
                        if !refused.load(Relaxed) {
                            if d.out.capacity() == 0 {
                                // About as many rows as the block holds bytes / 300.
                                d.out
                                    .reserve(input.len() / 300 * opts.sets.len() * ROW_BYTES);
                            }
                            render_row(format, e, opts, sums, &mut d.out);
                        }
                    }
                    Err(mut errs) => {
                        refused.store(true, Relaxed);
                        d.errors.append(&mut errs);
                    }
                });
                d.input = input;
                let _ = dtx.send(d);
            },
        );
        drop(dtx);
        let (file, ordered) = writing
            .join()
            .map_err(|_| SheetError::Io("the writer thread failed".into()))?;
        let read = reading
            .join()
            .map_err(|_| SheetError::Io("the reader thread failed".into()))?;
        Ok::<_, SheetError>((file, ordered, read))
    })?;
    read?;
    let file = file.map_err(io)?;
    let Ordered {
        keys,
        errors,
        mut report,
        ..
    } = ordered;
    let errors = with_repeats(errors, Dedup::Deferred(keys));
    report.unknown_columns = unknown_columns;
    if !errors.is_empty() {
        return Err(SheetError::Refused { errors });
    }
    report.written = report.evaluated * opts.sets.len();
    close(file, format).map_err(io)?;
    Ok(report)
}

/// Result rows are about 145 bytes: room for 160 a row keeps an output buffer from being moved
/// as it grows.
const ROW_BYTES: usize = 160;

/// Evaluates one enterprise under every set and appends its rendered rows to `buf` (CSV rows, or
/// JSON objects each led by ",\n"); `sums` is scratch space.
fn render_row(
    format: Format,
    e: &Enterprise,
    opts: &EvalOptions<'_>,
    sums: &mut Vec<zjtx_core::engine::Summary>,
    buf: &mut Vec<u8>,
) {
    if format == Format::Json {
        let u = e.uscc.to_string();
        for rs in &opts.sets {
            let ev = zjtx_core::explain(e, rs, opts.as_of);
            buf.extend_from_slice(b",\n");
            // Serialising into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *buf, &JsonRow::new(&u, &ev));
        }
        return;
    }
    sums.clear();
    zjtx_core::engine::evaluate_each(e, &opts.sets, opts.as_of, sums);
    for s in sums.iter() {
        write_csv_row(buf, e.uscc.as_bytes(), s);
    }
}

fn render(format: Format, good: &[&Enterprise], opts: &EvalOptions<'_>) -> Rendered {
    let rows = |task: usize| {
        good.par_chunks(task)
            .map(|part| {
                // Sized so that it is not moved as it grows, and (CSV) under the size (128 KB)
                // at which the allocator would map fresh pages for it each time.
                let mut buf = Vec::with_capacity(part.len() * opts.sets.len() * ROW_BYTES);
                let mut sums = Vec::with_capacity(opts.sets.len());
                for e in part {
                    render_row(format, e, opts, &mut sums, &mut buf);
                }
                buf
            })
            .collect()
    };
    match format {
        Format::Csv => Rendered::Bytes(rows(TASK_ROWS)),
        Format::Json => Rendered::Bytes(rows(TASK_ROWS / 8)),
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
