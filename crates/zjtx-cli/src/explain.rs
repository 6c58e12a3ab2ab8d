//! `zjtx explain`: a readable scorecard of one enterprise, rendered from the engine's trace.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use zjtx_core::glossary::{self, Lang};
use zjtx_core::ids::Uscc;
use zjtx_core::trace::{RuleId, TraceEntry};
use zjtx_core::{Enterprise, Evaluation, RuleSet, Tier, Verdict};
use zjtx_sheet::read::TemplateReader;
use zjtx_sheet::write::score_text;

pub fn run(
    input: &Path,
    uscc: &str,
    sets: &[RuleSet],
    as_of: NaiveDate,
    lang: Lang,
) -> Result<ExitCode> {
    let want = Uscc::parse(uscc).map_err(|e| anyhow::anyhow!("--uscc {uscc:?} {e}"))?;
    let mut reader = TemplateReader::open(input)
        .with_context(|| format!("failed to read {}", input.display()))?;
    let mut found: Option<Enterprise> = None;
    while let Some(parsed) = reader.next_parsed(16_384)? {
        if let Some(e) = parsed
            .into_iter()
            .find_map(|(_, r)| r.ok().filter(|e| e.uscc == want))
        {
            found = Some(e);
        }
        if found.is_some() {
            break;
        }
    }
    let Some(e) = found else {
        bail!(
            "no valid row with USCC {want} in {} (run `zjtx evaluate` on the file to see its errors)",
            input.display()
        );
    };
    let mut out = String::new();
    for rs in sets {
        let ev = zjtx_core::explain(&e, rs, as_of);
        render(&mut out, &e, rs, &ev, lang);
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::Review => "?",
    }
}

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn line(out: &mut String, e: &TraceEntry, lang: Lang) {
    let title = glossary::rule(e.id, lang);
    let head = match (e.verdict, e.points) {
        (Some(v), _) => format!(
            "  {} {:<10} {}  [{}]",
            mark(v),
            e.id.as_str(),
            title,
            glossary::verdict(v, lang)
        ),
        (None, Some(p)) => {
            let max = e.out_of.map(score_text).unwrap_or_default();
            let pts = match e.points_max {
                Some(hi) if hi != p => format!("{}–{}", score_text(p), score_text(hi)),
                _ => score_text(p),
            };
            format!(
                "  • {:<10} {}  {} / {} {}",
                e.id.as_str(),
                title,
                pts,
                max,
                t(lang, "分", "points")
            )
        }
        _ => format!("  • {:<10} {}", e.id.as_str(), title),
    };
    let _ = writeln!(out, "{head}");
    let shown: Vec<String> = e
        .inputs
        .iter()
        .map(|i| {
            format!(
                "{}={}",
                i.key,
                i.value.as_deref().unwrap_or(t(lang, "（空）", "(blank)"))
            )
        })
        .collect();
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "      {}: {}",
            t(lang, "数据", "inputs"),
            shown.join("  ")
        );
    }
    if let Some(v) = &e.value {
        let _ = writeln!(out, "      {}: {v}", t(lang, "计算值", "value"));
    }
    if !e.threshold.is_empty() {
        let _ = writeln!(
            out,
            "      {}: {}",
            t(lang, "标准", "threshold"),
            e.threshold
        );
    }
    for n in &e.notes {
        let _ = writeln!(out, "      {}: {}", t(lang, "说明", "note"), n.text(lang));
    }
    let _ = writeln!(out, "      {}: {}", t(lang, "依据", "clause"), e.clause);
    if let Some(g) = &e.gap {
        let _ = writeln!(out, "      → {}: {}", t(lang, "差距", "gap"), g.text(lang));
    }
}

fn render(out: &mut String, e: &Enterprise, rs: &RuleSet, ev: &Evaluation, lang: Lang) {
    let s = &ev.summary;
    let _ = writeln!(
        out,
        "════════════════════════════════════════════════════════════════"
    );
    let _ = writeln!(out, "{}（{}）", e.name, e.uscc);
    let _ = writeln!(
        out,
        "{}: {} {}（{}）  {}: {}  {}: {}",
        t(lang, "规则", "rules"),
        rs.id,
        rs.title,
        rs.document,
        t(lang, "评价日期", "as of"),
        ev.as_of,
        t(lang, "数据年度", "reference year"),
        ev.reference_year
    );
    let _ = writeln!(
        out,
        "{}: {}    {}: {}",
        t(lang, "企业规模", "size"),
        glossary::size(s.size, lang),
        t(lang, "最高梯度", "top tier"),
        glossary::top_tier(s.top_tier, lang)
    );
    let tiers = [
        (
            Tier::Innovative,
            s.innovative,
            format!("{} {}", t(lang, "路径", "route"), s.innovative_route.key())
                + &s.innovative_score
                    .map(|x| format!("，{} {}", t(lang, "得分", "score"), score_text(x)))
                    .unwrap_or_default(),
        ),
        (
            Tier::TechSme,
            s.tech_sme,
            format!(
                "{} {}",
                t(lang, "得分", "score"),
                score_text(s.tech_sme_score)
            ),
        ),
        (
            Tier::Srdi,
            s.srdi,
            s.srdi_score
                .map(|x| format!("{} {}", t(lang, "得分", "score"), score_text(x)))
                .unwrap_or_default(),
        ),
        (Tier::Giant, s.giant, String::new()),
    ];
    let _ = writeln!(out);
    for (tier, v, extra) in &tiers {
        let _ = writeln!(
            out,
            "  {} {}  {}  {}",
            mark(*v),
            glossary::tier(*tier, lang),
            glossary::verdict(*v, lang),
            extra
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "【{}】",
        t(lang, "企业规模与门槛条件", "size and common gates")
    );
    for entry in ev.trace.iter().filter(|x| x.tier.is_none()) {
        line(out, entry, lang);
    }
    for (tier, v, _) in &tiers {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "【{}】{}",
            glossary::tier(*tier, lang),
            glossary::verdict(*v, lang)
        );
        for entry in ev.trace.iter().filter(|x| x.tier == Some(*tier)) {
            line(out, entry, lang);
        }
        let failed = match tier {
            Tier::Srdi => s.srdi_failed,
            Tier::Giant => s.giant_failed,
            _ => Default::default(),
        };
        if !failed.is_empty() {
            let _ = writeln!(
                out,
                "  {}: {}",
                t(lang, "未满足的条件", "failed conditions"),
                failed.joined()
            );
        }
    }
    let next = next_tier(s);
    if let Some(tier) = next {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "【{}：{}】",
            t(lang, "距下一梯度的差距", "gaps to the next tier"),
            glossary::tier(tier, lang)
        );
        // Conditions not met first (the score routes' summaries aside), then the indicators'
        // "next band" hints.
        let tier_entries = || {
            ev.trace
                .iter()
                .filter(move |x| x.tier == Some(tier) && x.gap.is_some())
        };
        let conditions = tier_entries().filter(|x| {
            x.verdict.is_some_and(|v| v != Verdict::Pass)
                && !matches!(x.id, RuleId::CxScore | RuleId::KjScore | RuleId::Zx22Score)
        });
        let indicators = tier_entries().filter(|x| x.verdict.is_none());
        let mut any = false;
        for entry in conditions.chain(indicators) {
            if let Some(g) = &entry.gap {
                any = true;
                let _ = writeln!(
                    out,
                    "  - {} {}: {}",
                    entry.id.as_str(),
                    glossary::rule(entry.id, lang),
                    g.text(lang)
                );
            }
        }
        if !any {
            let _ = writeln!(
                out,
                "  {}",
                t(
                    lang,
                    "（无可量化的差距：请看上方未满足或待核实的条件）",
                    "(no quantified gap: see the failed or undecided conditions above)"
                )
            );
        }
    }
    let _ = writeln!(out);
}

/// The tier just above the highest one passed.
fn next_tier(s: &zjtx_core::Summary) -> Option<Tier> {
    if s.giant == Verdict::Pass {
        None
    } else if s.srdi == Verdict::Pass {
        Some(Tier::Giant)
    } else if s.innovative == Verdict::Pass || s.tech_sme == Verdict::Pass {
        Some(Tier::Srdi)
    } else {
        Some(Tier::Innovative)
    }
}
