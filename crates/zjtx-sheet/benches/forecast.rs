//! Forecast throughput (issue 13): a programme's rules over a projects file of
//! `ZJTX_BENCH_ROWS` generated projects (default 1,000,000) — the file read and parsed from CSV
//! in memory, then every project evaluated and tallied. Run with
//! `cargo bench -p zjtx-sheet --bench forecast` (see docs/PERFORMANCE.md). Each figure is the
//! median of `ZJTX_BENCH_REPEAT` runs (default 5).

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use zjtx_core::programme::{self, PROJECT_COLUMNS, forecast, synth_projects};
use zjtx_sheet::Format;
use zjtx_sheet::guard::XlsxLimits;
use zjtx_sheet::projects::read_projects;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(repeat: usize, mut f: impl FnMut() -> u64) -> f64 {
    let mut secs: Vec<f64> = (0..repeat)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    secs[secs.len() / 2]
}

fn main() {
    let n = env("ZJTX_BENCH_ROWS", 1_000_000);
    let repeat = env("ZJTX_BENCH_REPEAT", 5).max(1);
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let programmes = programme::embedded().unwrap_or_else(|e| panic!("{e}"));
    let p = &programmes[0];
    let rows = synth_projects(n, 7);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(PROJECT_COLUMNS.iter().map(|(k, _)| *k))
        .unwrap_or_else(|e| panic!("{e}"));
    for (f, p) in &rows {
        w.write_record(programme::project_cells(f, p))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let csv = w.into_inner().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "forecast bench: {n} projects, {} MB of CSV, programme {}, median of {repeat}",
        csv.len() / 1_000_000,
        p.id
    );
    let rules_only = median(repeat, || {
        forecast(p, rows.iter().map(|(a, b)| (a, b)), as_of)
            .eligible
            .recipients
    });
    println!(
        "  evaluate and tally only: {rules_only:.3} s ({:.0} projects/s)",
        n as f64 / rules_only
    );
    let whole = median(repeat, || {
        let parsed = read_projects(csv.as_slice(), Format::Csv, &XlsxLimits::LOCAL)
            .unwrap_or_else(|e| panic!("{e}"));
        forecast(p, parsed.iter().map(|(a, b)| (a, b)), as_of)
            .eligible
            .recipients
    });
    println!(
        "  read, parse, evaluate and tally: {whole:.3} s ({:.0} projects/s)",
        n as f64 / whole
    );
}
