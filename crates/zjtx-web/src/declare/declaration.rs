//! A declaration.

use super::*;

/// How a user stands towards a declaration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Seat {
    Owner,
    District,
    City,
    Expert(i64),
}

impl Seat {
    /// The seat as the workflow knows it.
    pub(super) fn flow(self) -> flow::Seat {
        match self {
            Seat::Owner => flow::Seat::Owner,
            Seat::District => flow::Seat::District,
            Seat::City => flow::Seat::City,
            Seat::Expert(_) => flow::Seat::Expert,
        }
    }
}

/// Who may see a declaration: its enterprise; its district office (once submitted); the city
/// (once its district recommended it); the experts drawn for it. Anyone else reads it as absent.
pub(super) async fn seat(
    st: &AppState,
    user: &CurrentUser,
    d: &Declaration,
) -> Result<Seat, AppError> {
    match user.user.role {
        Role::Enterprise if user.user.uscc.as_deref() == Some(d.uscc.as_str()) => Ok(Seat::Owner),
        Role::District if d.status != Status::Draft => {
            let scope = user.scope(&st.store).await?;
            let inside = scope.regions.as_ref().is_some_and(|rs| {
                d.region_code
                    .as_ref()
                    .is_some_and(|r| rs.iter().any(|x| x == r))
            });
            if inside {
                Ok(Seat::District)
            } else {
                Err(AppError::NotFound)
            }
        }
        Role::City if d.status.city_sees() => Ok(Seat::City),
        Role::Expert => match st.store.expert_of_user(user.user.id).await? {
            Some(x) if st.store.experts_of(d.id).await?.contains(&x) => Ok(Seat::Expert(x)),
            _ => Err(AppError::NotFound),
        },
        _ => Err(AppError::NotFound),
    }
}

/// A reviewer never acts on their own firm.
pub(super) fn not_own_firm(user: &CurrentUser, d: &Declaration) -> Result<(), AppError> {
    if user.user.uscc.as_deref() == Some(d.uscc.as_str()) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// The review rows a seat may read: experts are named only to the city; the enterprise reads
/// no individual expert score (one line gives their count and mean); an expert reads their own
/// score only.
pub(super) fn anonymise_experts(
    rows: Vec<ReviewRow>,
    raw: &[zjtx_store::Review],
    seat: Seat,
    user_id: i64,
) -> Vec<ReviewRow> {
    if seat == Seat::City {
        return rows;
    }
    let mut out = Vec::new();
    let (mut n, mut scores) = (0, Vec::new());
    for (row, r) in rows.into_iter().zip(raw) {
        if r.level != ReviewLevel::Expert {
            out.push(row);
            continue;
        }
        n += 1;
        scores.extend(r.score);
        match seat {
            Seat::Owner => {}
            Seat::Expert(_) if r.reviewer_id != user_id => {}
            _ => out.push(ReviewRow {
                reviewer: i18n::f("专家 {}", &[&n]),
                ..row
            }),
        }
    }
    if seat == Seat::Owner && !scores.is_empty() {
        let mean = scores.iter().sum::<i64>() as f64 / scores.len() as f64;
        out.push(ReviewRow {
            level: level_label("expert"),
            reviewer: String::new(),
            decision: decision_label("score"),
            reason: i18n::f(
                "{} 位专家已评分，平均 {} 分",
                &[&scores.len(), &format!("{mean:.1}")],
            ),
            score: String::new(),
            disagreements: Vec::new(),
        });
    }
    out
}

pub(super) async fn declaration_or_404(st: &AppState, id: i64) -> Result<Declaration, AppError> {
    st.store.declaration(id).await?.ok_or(AppError::NotFound)
}

pub(super) fn rule_set<'a>(st: &'a AppState, id: &str) -> Result<&'a zjtx_core::RuleSet, AppError> {
    st.rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::Internal(format!("rule set {id} is not loaded")))
}

pub(super) fn parse_cells(cells: &str) -> Result<zjtx_core::Enterprise, AppError> {
    zjtx_store::enterprise_from_cells(cells)
        .map_err(|e| AppError::Internal(format!("stored declaration unreadable: {e}")))
}

pub struct EvidenceRow {
    pub id: i64,
    pub rule_id: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
}

pub struct ReviewRow {
    pub level: &'static str,
    pub reviewer: String,
    pub decision: &'static str,
    pub reason: String,
    pub score: String,
    pub disagreements: Vec<(String, String)>,
}

pub struct ObjectionRow {
    pub id: i64,
    pub filer: String,
    pub text: String,
    pub state: &'static str,
    pub open: bool,
}

/// A figure the enterprise declared otherwise than the registry holds it.
pub struct FigureChange {
    pub label: &'static str,
    pub registry: String,
    pub declared: String,
}

impl DeclarationPage {
    /// A rule's own message in a refused review (empty when none).
    pub fn rule_error(&self, rule: &str) -> &str {
        self.rule_errors
            .iter()
            .find(|(r, _)| r == rule)
            .map_or("", |(_, m)| m.as_str())
    }
}

/// What a reviewer entered: kept when the review is refused, so that nothing typed is lost.
#[derive(Default)]
pub struct ReviewInput {
    pub decision: String,
    pub reason: String,
    pub override_scores: String,
    pub override_evaluation: String,
    /// Rule id → `yes` / `no` (absent: not chosen yet).
    pub agree: HashMap<String, String>,
    pub reasons: HashMap<String, String>,
}

impl ReviewInput {
    pub fn agrees(&self, rule: &str, v: &str) -> bool {
        self.agree.get(rule).is_some_and(|x| x == v)
    }
    pub fn reason_of(&self, rule: &str) -> &str {
        self.reasons.get(rule).map_or("", String::as_str)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "declaration.html")]
pub struct DeclarationPage {
    /// Figures declared otherwise than the registry's latest year (reviewers' seats only), and
    /// whether the comparison was made.
    pub changes: Vec<FigureChange>,
    pub compared: bool,
    /// A refused review: what to fix (the summary), each rule's own message, the input kept.
    pub review_errors: Vec<String>,
    pub rule_errors: Vec<(String, String)>,
    pub input: ReviewInput,
    /// Right after submitting: the receipt.
    pub receipt: Option<Receipt>,
    /// An expert's refused score: why, and the score and opinion typed (kept).
    pub score_error: Option<String>,
    pub score_input: (String, String),
    /// The enterprise's own seat (it declares and submits).
    pub editable_seat: bool,
    /// A returned declaration: the reviewer's reason, shown at the top.
    pub returned: Option<String>,
    /// The self-assessment passes the tier (otherwise the submit form warns).
    pub passes: bool,
    pub tr: Tr,
    pub nav: Nav,
    pub d: Declaration,
    pub b: Batch,
    pub tier: &'static str,
    pub status: &'static str,
    pub verdict: &'static str,
    pub verdict_class: &'static str,
    pub score: String,
    pub rules: Vec<RuleRow>,
    pub gates: Vec<RuleRow>,
    pub fields: Vec<WhatIfField>,
    pub evidence: Vec<EvidenceRow>,
    pub reviews: Vec<ReviewRow>,
    pub objections: Vec<ObjectionRow>,
    pub editable: bool,
    pub can_submit: bool,
    pub can_withdraw: bool,
    pub review_level: Option<&'static str>,
    pub can_score: bool,
    pub is_city: bool,
    pub decision: Option<i64>,
    pub max_mb: usize,
}

#[derive(Deserialize, Default)]
pub struct DeclarationQuery {
    /// `1` right after the enterprise submitted: the page opens with its receipt.
    #[serde(default)]
    pub sent: String,
}

pub async fn declaration(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<DeclarationQuery>,
) -> Result<DeclarationPage, AppError> {
    let mut page = declaration_page(&st, &user, id).await?;
    // The receipt: what was sent, when, and what happens next.
    if q.sent == "1" && page.d.status == Status::Submitted && page.editable_seat {
        page.receipt = Some(Receipt {
            at: page
                .d
                .submitted_at
                .map(|t| crate::common::local_time(t, "%Y-%m-%d %H:%M"))
                .unwrap_or_default(),
            district_until: page.b.district_until.clone(),
        });
    }
    Ok(page)
}

/// What the enterprise reads right after submitting.
pub struct Receipt {
    pub at: String,
    pub district_until: String,
}

/// The declaration page as a seat reads it.
pub(super) async fn declaration_page(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<DeclarationPage, AppError> {
    let (st, user) = (st.clone(), user.clone());
    let d = declaration_or_404(&st, id).await?;
    let seat = seat(&st, &user, &d).await?;
    let b = batch_or_404(&st, d.batch_id).await?;
    let tier = tier_of(&b.tier).ok_or_else(|| AppError::Internal("batch tier".into()))?;
    let e = parse_cells(&d.cells)?;
    let rs = rule_set(&st, &b.rules)?;
    let today = st.today();
    let ev = zjtx_core::explain(&e, rs, today);
    let s = &ev.summary;
    let (verdict, score) = match tier {
        Tier::Innovative => (s.innovative, s.innovative_score),
        Tier::Srdi => (s.srdi, s.srdi_score),
        _ => (s.giant, None),
    };
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("declaration:{id}")),
            "declaration page",
        )
        .await?;
    let editable = seat == Seat::Owner && d.status.editable();
    let raw_reviews = st.store.reviews(id).await?;
    let reviews = raw_reviews
        .clone()
        .into_iter()
        .map(|r| {
            let ops: HashMap<String, serde_json::Value> =
                serde_json::from_str(&r.opinions).unwrap_or_default();
            let mut disagreements: Vec<(String, String)> = ops
                .into_iter()
                .filter(|(_, v)| v["agree"] == serde_json::Value::Bool(false))
                .map(|(k, v)| (k, v["reason"].as_str().unwrap_or_default().to_owned()))
                .collect();
            disagreements.sort();
            ReviewRow {
                level: level_label(r.level.as_str()),
                reviewer: r.reviewer,
                decision: decision_label(r.decision.as_str()),
                reason: r.reason,
                score: r.score.map(|s| s.to_string()).unwrap_or_default(),
                disagreements,
            }
        })
        .collect();
    let reviews = anonymise_experts(reviews, &raw_reviews, seat, user.user.id);
    let objections = if seat == Seat::City {
        st.store
            .objections(id)
            .await?
            .into_iter()
            .map(|o| ObjectionRow {
                id: o.id,
                filer: o.filer,
                text: o.text,
                open: o.upheld.is_none(),
                state: match o.upheld {
                    None => i18n::t("待处理"),
                    Some(true) => i18n::t("异议成立"),
                    Some(false) => i18n::t("异议不成立"),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let already_scored = match seat {
        Seat::Expert(_) => st
            .store
            .reviews(id)
            .await?
            .iter()
            .any(|r| r.level == ReviewLevel::Expert && r.reviewer_id == user.user.id),
        _ => false,
    };
    let decision = st
        .store
        .decisions_of(&d.uscc)
        .await?
        .into_iter()
        .find(|x| x.declaration_id == id)
        .map(|x| x.id);
    // A reviewer sees every figure declared otherwise than the registry holds it.
    let compared = matches!(seat, Seat::District | Seat::City);
    let mut changes = Vec::new();
    if compared && let Some((_, registry)) = st.store.years(&d.uscc).await?.into_iter().next() {
        for c in zjtx_core::enterprise::COLUMNS {
            let (was, now) = (registry.get(c.col), e.get(c.col));
            if was != now {
                changes.push(FigureChange {
                    label: glossary::field(c.col, lang()),
                    registry: was,
                    declared: now,
                });
            }
        }
    }
    let returned = (d.status == Status::Returned)
        .then(|| {
            raw_reviews
                .iter()
                .rev()
                .find(|r| r.decision.as_str() == "return")
                .map(|r| r.reason.clone())
        })
        .flatten();
    Ok(DeclarationPage {
        receipt: None,
        score_error: None,
        score_input: (String::new(), String::new()),
        editable_seat: seat == Seat::Owner,
        returned,
        passes: verdict == Verdict::Pass,
        changes,
        compared,
        review_errors: Vec::new(),
        rule_errors: Vec::new(),
        input: ReviewInput::default(),
        tr: Tr,
        nav: Nav::of(&user),
        tier: glossary::tier(tier, lang()),
        status: status_label(d.status),
        verdict: glossary::verdict(verdict, lang()),
        verdict_class: match verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Review => "review",
        },
        score: score.map(|s| s.to_string()).unwrap_or_default(),
        rules: ev
            .trace
            .iter()
            .filter(|t| t.tier == Some(tier))
            .map(pages::rule_row)
            .collect(),
        gates: ev
            .trace
            .iter()
            .filter(|t| t.tier.is_none())
            .map(pages::rule_row)
            .collect(),
        fields: pages::WHATIF_KEYS
            .iter()
            .filter_map(|k| zjtx_core::enterprise::COLUMNS.iter().find(|c| c.key == *k))
            .map(|c| WhatIfField {
                key: c.key,
                label: glossary::field(c.col, lang()),
                value: e.get(c.col),
                changed: false,
            })
            .collect(),
        evidence: st
            .store
            .evidence_of(id)
            .await?
            .into_iter()
            .map(|x| EvidenceRow {
                id: x.id,
                rule_id: x.rule_id,
                filename: x.filename,
                size: x.size,
                sha256: x.sha256,
            })
            .collect(),
        reviews,
        objections,
        editable,
        can_submit: editable,
        can_withdraw: flow::withdraw(d.status, seat.flow()).is_ok(),
        review_level: match (seat, d.status) {
            (Seat::District, Status::Submitted) => Some("district"),
            (Seat::City, Status::Recommended) => Some("city"),
            _ => None,
        },
        can_score: matches!(seat, Seat::Expert(_))
            && d.status == Status::Recommended
            && !already_scored,
        is_city: seat == Seat::City,
        decision,
        max_mb: st.max_evidence >> 20,
        d,
        b,
    })
}

pub(super) fn level_label(l: &str) -> &'static str {
    match l {
        "district" => i18n::t("区县审核"),
        "city" => i18n::t("市级审核"),
        "expert" => i18n::t("专家评审"),
        _ => i18n::t("企业"),
    }
}

pub(super) fn decision_label(d: &str) -> &'static str {
    match d {
        "recommend" => i18n::t("推荐"),
        "approve" => i18n::t("通过"),
        "return" => i18n::t("退回修改"),
        "reject" => i18n::t("不予推荐"),
        "score" => i18n::t("评分"),
        "submit" => i18n::t("提交"),
        _ => i18n::t("其他"),
    }
}
