//! The search index alone (issue 15): how long it takes to build over `ZJTX_BENCH_ROWS` generated
//! enterprises (default 1,000,000) and how long each kind of query takes, the median of
//! `ZJTX_BENCH_REPEAT` runs (default 21), each afresh (after a change of the index) and then
//! recalled (the same search again). Run with `cargo bench -p zjtx-store --bench search`.

use std::hint::black_box;
use std::time::Instant;

use zjtx_core::synth::Generator;
use zjtx_store::search::{Entry, Index, Want, Within, query};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rows = env("ZJTX_BENCH_ROWS", 1_000_000);
    let repeat = env("ZJTX_BENCH_REPEAT", 21);
    let mut firms: Vec<_> = Generator::new(1, 2025).take(rows).collect();
    firms.sort_by(|a, b| a.uscc.as_str().cmp(b.uscc.as_str()));
    let t = Instant::now();
    let mut ix = Index::default();
    for e in &firms {
        ix.upsert(&Entry {
            code: e.uscc.as_str(),
            name: &e.name,
            products: e.main_products.as_deref(),
            attrs: [e.district.as_deref(), None, None, e.ecosystem.as_deref()],
        });
    }
    println!(
        "built over {} enterprises in {:.2} s",
        ix.len(),
        t.elapsed().as_secs_f64()
    );
    let district = Within {
        attrs: [Some(vec!["西湖区".into()]), None, None, None],
        code: None,
    };
    let all = Within::default();
    for (q, within, what) in [
        ("科技", &all, "common pair"),
        ("科技", &district, "common pair, one district"),
        ("西湖", &all, "pair"),
        ("伺服", &all, "rare pair"),
        ("伺服电机", &all, "four characters"),
        ("鲸鱼", &all, "no match"),
        ("精密 科技", &all, "two runs"),
        ("光", &all, "one character (every text)"),
    ] {
        let Some(parsed) = query(q) else { continue };
        // Afresh: a change of the index (one firm written again) before each search empties
        // what the index recalls; then the same search again, recalled.
        let (mut fresh, mut again): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
        let mut total = 0;
        for i in 0..repeat {
            let e = &firms[i % firms.len()];
            ix.upsert(&Entry {
                code: e.uscc.as_str(),
                name: &e.name,
                products: e.main_products.as_deref(),
                attrs: [e.district.as_deref(), None, None, e.ecosystem.as_deref()],
            });
            for times in [&mut fresh, &mut again] {
                let t = Instant::now();
                let f = ix.search(&parsed, within, &Want::After(None, 21));
                times.push(t.elapsed().as_secs_f64());
                total = black_box(f).total;
            }
        }
        let ms = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[v.len() / 2] * 1e3, v[v.len() - 1] * 1e3)
        };
        let ((fm, fw), (am, aw)) = (ms(&mut fresh), ms(&mut again));
        println!(
            "{q:<10} {what:<28} {total:>8} matches, afresh median {fm:>7.3} ms (worst {fw:>7.3}), recalled {am:>6.3} ms (worst {aw:>6.3})"
        );
    }
}
