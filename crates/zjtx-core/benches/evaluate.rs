//! Evaluation throughput: enterprise × rule-set evaluations per second, on one core and on all.
//! Run with `cargo bench -p zjtx-core --bench evaluate` (see docs/PERFORMANCE.md). Each figure is
//! the median of `ZJTX_BENCH_REPEAT` runs (default 7) over `ZJTX_BENCH_ROWS` generated enterprises.

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use zjtx_core::engine::evaluate_each;
use zjtx_core::rules::{Embedded, load_all};
use zjtx_core::synth::Generator;
use zjtx_core::{Enterprise, RuleSet, evaluate, explain};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` `repeat` times and returns the median and best seconds.
fn timed(repeat: usize, mut f: impl FnMut() -> usize) -> (f64, f64) {
    let mut secs: Vec<f64> = (0..repeat)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    (secs[secs.len() / 2], secs[0])
}

fn both_sets(rows: &[Enterprise], refs: &[&RuleSet], as_of: NaiveDate) -> usize {
    let mut out = Vec::with_capacity(refs.len());
    rows.iter()
        .map(|e| {
            out.clear();
            evaluate_each(e, refs, as_of, &mut out);
            out.iter().map(|s| s.srdi_failed.len()).sum::<usize>()
        })
        .sum()
}

fn main() {
    let n = env("ZJTX_BENCH_ROWS", 500_000);
    let repeat = env("ZJTX_BENCH_REPEAT", 7).max(1);
    let sets = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
    let refs: Vec<&RuleSet> = sets.iter().collect();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let rows: Vec<_> = Generator::new(1, 2025).take(n).collect();
    let evals = (rows.len() * sets.len()) as f64;
    let report = |what: &str, (median, best): (f64, f64)| {
        println!(
            "{what:<40} {:>10.0} evaluations/s median, {:>10.0} best",
            evals / median,
            evals / best
        );
    };
    println!(
        "{} enterprises × {} rule sets, {repeat} runs each",
        rows.len(),
        sets.len()
    );

    report(
        "evaluate, one set at a time, 1 thread",
        timed(repeat, || {
            rows.iter()
                .map(|e| {
                    sets.iter()
                        .map(|rs| evaluate(black_box(e), rs, as_of).srdi_failed.len())
                        .sum::<usize>()
                })
                .sum()
        }),
    );
    report(
        "evaluate_each (both sets), 1 thread",
        timed(repeat, || both_sets(&rows, &refs, as_of)),
    );

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = rows.len().div_ceil(threads);
    report(
        &format!("evaluate_each (both sets), {threads} threads"),
        timed(repeat, || {
            std::thread::scope(|s| {
                let hs: Vec<_> = rows
                    .chunks(per)
                    .map(|part| {
                        let refs = &refs;
                        s.spawn(move || both_sets(part, refs, as_of))
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
            })
        }),
    );

    if std::env::var("ZJTX_BENCH_FAST_ONLY").is_err() {
        let m = rows.len().min(20_000);
        let t = Instant::now();
        let mut sink = 0;
        for e in rows.iter().take(m) {
            for rs in &sets {
                sink += black_box(explain(e, rs, as_of)).trace.len();
            }
        }
        black_box(sink);
        println!(
            "{:<40} {:>10.0} evaluations/s (with the full trace, {m} enterprises)",
            "explain, 1 thread",
            (m * sets.len()) as f64 / t.elapsed().as_secs_f64()
        );
    }
}
