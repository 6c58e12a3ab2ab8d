//! The evaluation engine: one enterprise, one rule set, one date → a verdict for every tier, with the
//! reason for each point.
//!
//! Blank inputs are ranges (`num::Iv`), and each leaf condition is computed over those ranges exactly:
//! it passes if it holds for every value the blanks could take, fails if for none, else is `review`.
//! Leaves are written so that no input appears on two sides of one leaf's formula (or, where it must,
//! the leaf is split on it), which is what makes Kleene logic over their parts exact.
//!
//! The same code produces the fast summary and the full trace: the tracer is a type parameter, and
//! with [`Off`] every trace expression is compiled away.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::enterprise::{AwardLevel, Col, Enterprise, Incident, MakersChina, RdInstitution};
use crate::gap::{Amount, CapPassed, GapKind, GateNeed, Money, PartShort, Pct, Points, ScorePart};
use crate::num::{
    Can, Dec4, End, INF, Iv, PctDisplay, Ppm, RatioRange, SCALE, Thr, Wan, iv_at_least, iv_at_most,
};
use crate::rules::{
    AwardKey, AwardRule, IncidentFlag, InstitutionPoints, IpPoints, LevelKey, MakersKey,
    RatioBands, RuleSet, SizeIndicator, SizeRow, Upper,
};
use crate::trace::{
    Gap, IdSet, InputValue, Note, RuleId, Size, Tier, TopTier, TraceEntry, Verdict,
};

mod giant;
mod innovative;
mod leaves;
mod size;
mod srdi;
mod tech_sme;
mod text;

use text::*;

/// How the innovative tier was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Route {
    #[serde(rename = "CX-D1")]
    D1,
    #[serde(rename = "CX-D2")]
    D2,
    #[serde(rename = "CX-D3")]
    D3,
    #[serde(rename = "CX-D4")]
    D4,
    #[serde(rename = "score")]
    Score,
}

impl Route {
    pub const fn key(self) -> &'static str {
        match self {
            Route::D1 => "CX-D1",
            Route::D2 => "CX-D2",
            Route::D3 => "CX-D3",
            Route::D4 => "CX-D4",
            Route::Score => "score",
        }
    }
}

/// The result of one evaluation: exactly the output contract of `enterprise-template.md`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub rules: &'static str,
    pub size: Size,
    pub innovative: Verdict,
    pub tech_sme: Verdict,
    pub srdi: Verdict,
    pub giant: Verdict,
    pub innovative_score: Option<Dec4>,
    pub innovative_route: Route,
    pub tech_sme_score: Dec4,
    pub srdi_score: Option<Dec4>,
    pub srdi_failed: IdSet,
    pub giant_failed: IdSet,
    pub top_tier: TopTier,
}

/// A summary with the trace of every rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    #[serde(flatten)]
    pub summary: Summary,
    pub as_of: NaiveDate,
    pub reference_year: i32,
    pub trace: Vec<TraceEntry>,
}

impl Evaluation {
    pub fn entry(&self, id: RuleId) -> Option<&TraceEntry> {
        self.trace.iter().find(|e| e.id == id)
    }
}

/// Where trace entries go.
pub trait Tracer {
    const ON: bool;
    fn push(&mut self, e: TraceEntry);
}

/// No trace: the fast path.
pub struct Off;
impl Tracer for Off {
    const ON: bool = false;
    fn push(&mut self, _: TraceEntry) {}
}

impl Tracer for Vec<TraceEntry> {
    const ON: bool = true;
    fn push(&mut self, e: TraceEntry) {
        Vec::push(self, e);
    }
}

/// Evaluates without a trace.
pub fn evaluate(e: &Enterprise, rs: &RuleSet, as_of: NaiveDate) -> Summary {
    run(e, rs, as_of, &mut Off)
}

/// Evaluates with the full trace.
pub fn explain(e: &Enterprise, rs: &RuleSet, as_of: NaiveDate) -> Evaluation {
    let mut trace = Vec::with_capacity(64);
    let summary = run(e, rs, as_of, &mut trace);
    Evaluation {
        summary,
        as_of,
        reference_year: e.reference_year(as_of),
        trace,
    }
}

/// Picks the rule set for a date among those given (the first that applies).
pub fn rule_set_for(sets: &[RuleSet], as_of: NaiveDate) -> Option<&RuleSet> {
    sets.iter().find(|s| s.applies_on(as_of))
}

/// A range of points, in units of 1/10000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pts {
    lo: i64,
    hi: i64,
}

impl std::ops::Add for Pts {
    type Output = Pts;
    fn add(self, o: Pts) -> Pts {
        Pts {
            lo: self.lo + o.lo,
            hi: self.hi + o.hi,
        }
    }
}

impl Pts {
    const ZERO: Pts = Pts { lo: 0, hi: 0 };
    fn exactly(u: i64) -> Pts {
        Pts { lo: u, hi: u }
    }
    fn of(p: Dec4) -> Pts {
        Pts {
            lo: p.units(),
            hi: p.units(),
        }
    }
    /// Whether a points total meets a minimum: for sure, never, or depending on the blanks.
    fn at_least(self, min: Dec4) -> Can {
        Can {
            hold: self.hi >= min.units(),
            fail: self.lo < min.units(),
        }
    }
}

fn money(v: Option<Wan>) -> Iv {
    v.map_or(Iv::NONNEG, |w| Iv::point(w.units()))
}
fn count(v: Option<u32>) -> Iv {
    v.map_or(Iv::NONNEG, |c| Iv::point(i64::from(c)))
}

/// The evaluation's inputs as ranges.
struct X {
    employees: Iv,
    rd_staff: Iv,
    tech_staff: Iv,
    rev: Iv,
    rev1: Iv,
    rev2: Iv,
    main: Iv,
    main1: Iv,
    main2: Iv,
    rd: Iv,
    rd1: Iv,
    cost: Iv,
    profit: Iv,
    assets: Iv,
    liab: Iv,
    eq2: Iv,
    eq3: Iv,
    ip1hv: Iv,
    ip1sd: Iv,
    ip1: Iv,
    ip1app: Iv,
    ip2: Iv,
    niche: Iv,
    /// Ratios read by several rules, computed once.
    rd_rev: RatioRange,
    main_rev: RatioRange,
    debt: RatioRange,
    main_avg_growth: RatioRange,
    high_tech_valid: bool,
}

struct Ctx<'a> {
    e: &'a Enterprise,
    rs: &'a RuleSet,
    as_of: NaiveDate,
    /// The application year `A = Y + 1`.
    a: i32,
    x: &'a X,
}

/// Details of a trace entry, built only when tracing.
#[derive(Default)]
struct Detail {
    threshold: String,
    value: Option<String>,
    notes: Vec<Note>,
    gap: Option<Gap>,
    /// For an undecided condition: the inputs whose blanks can change it, where fewer than all of
    /// its inputs (a branch the known figures rule out).
    only: Option<Vec<Col>>,
}

/// The leaf conditions of a tier as they are recorded: the ids of those that failed, and the
/// tier's verdict so far (the `and` of the gates and every leaf).
struct Leaves {
    failed: IdSet,
    all: Verdict,
}

impl Leaves {
    fn new(gates: &Gates) -> Leaves {
        Leaves {
            failed: gates.failed(),
            all: gates.all(),
        }
    }
    /// Records a leaf's verdict.
    fn add(&mut self, id: RuleId, v: Verdict) {
        if v == Verdict::Fail {
            self.failed.insert(id);
        }
        self.all = self.all.and(v);
    }
}

/// The common gates' verdicts.
struct Gates {
    sme: Verdict,
    list: Verdict,
    prod: Verdict,
    incident: Verdict,
    incident_id: RuleId,
}

impl Gates {
    fn all(&self) -> Verdict {
        self.sme.and(self.list).and(self.prod).and(self.incident)
    }
    fn failed(&self) -> IdSet {
        let mut s = IdSet::default();
        for (id, v) in [
            (RuleId::GSme, self.sme),
            (RuleId::GList, self.list),
            (RuleId::GProd, self.prod),
            (self.incident_id, self.incident),
        ] {
            if v == Verdict::Fail {
                s.insert(id);
            }
        }
        s
    }
}

/// What depends only on the rules every set shares (`common.toml`): computed once per enterprise
/// when it is evaluated under several sets.
#[derive(Clone, Copy)]
struct Lower {
    size: Size,
    sme: Verdict,
    list: Verdict,
    prod: Verdict,
    cx: Verdict,
    route: Route,
    cx_score: Option<Dec4>,
    kj: Verdict,
    kj_score: Dec4,
}

fn lower<T: Tracer>(c: &Ctx<'_>, t: &mut T) -> Lower {
    let size = c.size(t);
    let (sme, list, prod) = c.common_gates(t, size);
    let (cx, route, cx_score) = c.innovative(t);
    let (kj, kj_score) = c.tech_sme(t);
    Lower {
        size,
        sme,
        list,
        prod,
        cx,
        route,
        cx_score,
        kj,
        kj_score,
    }
}

fn run<T: Tracer>(e: &Enterprise, rs: &RuleSet, as_of: NaiveDate, t: &mut T) -> Summary {
    let x = X::new(e, as_of, rs.common.high_tech.validity_months);
    let c = Ctx::new(e, rs, as_of, &x);
    let l = lower(&c, t);
    upper(&c, t, &l)
}

/// Evaluates one enterprise under several rule sets, in order, appending to `out`. The part that
/// depends only on shared rules is computed once.
pub fn evaluate_each(e: &Enterprise, sets: &[&RuleSet], as_of: NaiveDate, out: &mut Vec<Summary>) {
    // The inputs and the shared part, once per run of sets sharing one copy of the shared rules
    // (the certificate's validity is one of them). Both stay where they are computed: no copy of
    // them is moved into a slot of its own.
    let mut rest = sets;
    while let Some(first) = rest.first() {
        let common = &first.common;
        let x = X::new(e, as_of, common.high_tech.validity_months);
        let l = lower(&Ctx::new(e, first, as_of, &x), &mut Off);
        let same = rest
            .iter()
            .take_while(|rs| std::sync::Arc::ptr_eq(common, &rs.common))
            .count();
        for rs in &rest[..same] {
            out.push(upper(&Ctx::new(e, rs, as_of, &x), &mut Off, &l));
        }
        rest = &rest[same..];
    }
}

fn upper<T: Tracer>(c: &Ctx<'_>, t: &mut T, l: &Lower) -> Summary {
    let (incident, incident_id) = c.incident_gate(t);
    let gates = Gates {
        sme: l.sme,
        list: l.list,
        prod: l.prod,
        incident,
        incident_id,
    };
    let innovative = gates.all().and(l.cx);
    let tech_sme = gates.list.and(gates.prod).and(gates.incident).and(l.kj);
    let (innovative_route, innovative_score, tech_sme_score, size) =
        (l.route, l.cx_score, l.kj_score, l.size);
    let (rules, srdi, srdi_score, srdi_failed, giant, giant_failed) = match &c.rs.upper {
        Upper::Miit2022 { srdi, giant } => {
            let (sv, score, sf) = c.srdi22(t, srdi, &gates, innovative);
            let (gv, gf) = c.giant22(t, giant, &gates, sv);
            ("miit-2022", sv, Some(score), sf, gv, gf)
        }
        Upper::Miit2026 { srdi, giant } => {
            let (sv, sf) = c.srdi26(t, srdi, &gates, innovative, tech_sme);
            let (gv, gf) = c.giant26(t, giant, &gates, sv);
            ("miit-2026", sv, None, sf, gv, gf)
        }
    };
    let top_tier = if giant == Verdict::Pass {
        TopTier::Giant
    } else if srdi == Verdict::Pass {
        TopTier::Srdi
    } else if innovative == Verdict::Pass {
        TopTier::Innovative
    } else if tech_sme == Verdict::Pass {
        TopTier::TechSme
    } else {
        TopTier::None
    };
    Summary {
        rules,
        size,
        innovative,
        tech_sme,
        srdi,
        giant,
        innovative_score,
        innovative_route,
        tech_sme_score,
        srdi_score,
        srdi_failed,
        giant_failed,
        top_tier,
    }
}
