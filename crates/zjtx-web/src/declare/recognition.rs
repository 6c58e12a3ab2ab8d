//! Recognition, decisions and certificates.

use super::*;

/// Recognises every declaration of a batch whose notice has ended without an open objection:
/// each gets its decision record (inputs, rule set, trace, reviews, outcome) and its title, valid
/// for the batch's rule set's `[titles] validity_months`.
pub async fn recognise(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let b = batch_or_404(&st, id).await?;
    let today = st.today();
    let ended: Vec<Declaration> = st
        .store
        .declarations(id, &[Status::Notice], None)
        .await?
        .into_iter()
        .filter(|d| notice_ended(d, today))
        .collect();
    if ended.is_empty() {
        return Err(refused(Refusal::NoticeRunning));
    }
    let rs = rule_set(&st, &b.rules)?;
    let until = title_flow::valid_until(&rs.titles, today);
    for d in ended {
        let objections = st.store.objections(d.id).await?;
        let ev = zjtx_core::explain(&parse_cells(&d.cells)?, rs, today);
        let all_reviews = st.store.reviews(d.id).await?;
        let overrides: serde_json::Value = all_reviews
            .iter()
            .rev()
            .find(|r| r.level == ReviewLevel::City && r.decision == ReviewDecision::Approve)
            .and_then(|r| r.overrides.as_deref())
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default();
        // Skipped (left on notice, with its reason unrecorded) while an objection is open, a ban
        // runs since it was approved, or its evaluation fails without the city's recorded reason.
        let input = flow::Recognition {
            notice_until: notice_window(&d).map(|(_, u)| u),
            open_objections: objections.iter().filter(|o| o.upheld.is_none()).count(),
            barred: st.store.ban(&d.uscc, &today.to_string()).await?.is_some(),
            evaluation_passes: tier_verdict(&ev.summary, &b.tier) == Verdict::Pass,
            evaluation_overridden: overrides["evaluation"]
                .as_str()
                .is_some_and(|w| !w.is_empty()),
        };
        if let Err(why) = flow::recognise(d.status, flow::Seat::City, &input, today) {
            tracing::info!(declaration = d.id, ?why, "not recognised");
            continue;
        }
        let reviews = serde_json::json!({
            "reviews": all_reviews,
            "objections": objections,
            "experts": st.store.experts_of(d.id).await?,
            "overrides": overrides,
        })
        .to_string();
        let evaluation =
            serde_json::to_string(&ev).map_err(|e| AppError::Internal(e.to_string()))?;
        let (owner, district) = st
            .store
            .recipients(&d.uscc, d.region_code.as_deref())
            .await?;
        let text = i18n::both(|| {
            i18n::f(
                "{} 已认定为{}",
                &[&d.name, &glossary::tier_by_key(&b.tier, lang())],
            )
        });
        let link = format!("/declarations/{}", d.id);
        let msgs = tell(owner.into_iter().chain(district), text, &link);
        st.store
            .recognise(
                &NewDecision {
                    declaration_id: d.id,
                    uscc: &d.uscc,
                    tier: &b.tier,
                    outcome: "recognised",
                    rules: &b.rules,
                    as_of: &today.to_string(),
                    cells: &d.cells,
                    evaluation: &evaluation,
                    reviews: &reviews,
                    valid_from: Some(&today.to_string()),
                    valid_until: Some(&until.to_string()),
                },
                Some(user.user.id),
                &msgs,
            )
            .await?;
        crate::mail::deliver(&st, &msgs);
    }
    Ok(Redirect::to(&format!("/batches/{id}")))
}

/// A decision record's reviews, experts and objections as `role` may read them: experts are
/// anonymous to everyone but the city bureau ("专家 1", "专家 2" in the order drawn) and their
/// individual scores are not shown to the enterprise (the count and mean are); an objector's name
/// and contact are the bureau's only.
pub fn redact_record(reviews: &str, role: Role) -> String {
    let mut v: serde_json::Value = serde_json::from_str(reviews).unwrap_or_default();
    if role == Role::City {
        return v.to_string();
    }
    let mut scores = Vec::new();
    if let Some(list) = v["reviews"].as_array_mut() {
        let mut n = 0;
        for r in list.iter_mut() {
            if r["level"] == "expert" {
                n += 1;
                if let Some(x) = r["score"].as_i64() {
                    scores.push(x);
                }
                r["reviewer"] = i18n::f("专家 {}", &[&n]).into();
                r["reviewer_id"] = serde_json::Value::Null;
                if role == Role::Enterprise {
                    r["score"] = serde_json::Value::Null;
                }
            }
        }
        if role == Role::Enterprise {
            list.retain(|r| r["level"] != "expert");
        }
    }
    if role == Role::Enterprise {
        let mean =
            (!scores.is_empty()).then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64);
        v["expert_scores"] = serde_json::json!({
            "count": scores.len(),
            "mean": mean.map(|m| format!("{m:.1}")),
        });
    }
    if let Some(n) = v["experts"].as_array().map(Vec::len) {
        v["experts"] = n.into();
    }
    if let Some(list) = v["objections"].as_array_mut() {
        for o in list {
            if let Some(o) = o.as_object_mut() {
                o.remove("filer");
                o.remove("contact");
            }
        }
    }
    v.to_string()
}

/// Re-runs a decision from its frozen inputs: whether the same rule set, on the same date and
/// figures, gives the same decisions today (verdicts, points and failed lists, rule by rule).
pub fn rerun(st: &AppState, d: &zjtx_store::Decision) -> Result<bool, AppError> {
    let rs = rule_set(st, &d.rules)?;
    let as_of = date(&d.as_of).ok_or_else(|| AppError::Internal("decision date".into()))?;
    let ev = zjtx_core::explain(&parse_cells(&d.cells)?, rs, as_of);
    let now = serde_json::to_value(&ev).map_err(|e| AppError::Internal(e.to_string()))?;
    let then: serde_json::Value =
        serde_json::from_str(&d.evaluation).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(decisive(now) == decisive(then))
}

/// What decides: verdicts, points, scores and failed lists, each rule with its inputs; not the
/// words that explain them (gaps, notes, the threshold's wording), which a later version may
/// phrase better without changing any decision.
pub(super) fn decisive(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(trace) = v["trace"].as_array_mut() {
        for e in trace.iter_mut().filter_map(|e| e.as_object_mut()) {
            for k in ["gap", "notes", "threshold", "value"] {
                e.remove(k);
            }
        }
    }
    v
}

#[derive(Template, WebTemplate)]
#[template(path = "decision.html")]
pub struct DecisionPage {
    pub tr: Tr,
    pub nav: Nav,
    pub d: zjtx_store::Decision,
    pub name: String,
    pub tier: &'static str,
    pub reproduced: bool,
    pub verdict: &'static str,
}

pub async fn decision(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<DecisionPage, AppError> {
    let d = st.store.decision(id).await?.ok_or(AppError::NotFound)?;
    let row = st
        .store
        .enterprise(&d.uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.sees_registry() || !auth::can_see(&user.scope(&st.store).await?, &row) {
        return Err(AppError::NotFound);
    }
    let reproduced = rerun(&st, &d)?;
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("decision:{id}")),
            &format!("re-run: {}", if reproduced { "same" } else { "differs" }),
        )
        .await?;
    let ev: serde_json::Value = serde_json::from_str(&d.evaluation).unwrap_or_default();
    let verdict = match ev[d.tier.as_str()].as_str() {
        Some("pass") => glossary::verdict(Verdict::Pass, lang()),
        Some("fail") => glossary::verdict(Verdict::Fail, lang()),
        _ => glossary::verdict(Verdict::Review, lang()),
    };
    let d = zjtx_store::Decision {
        reviews: redact_record(&d.reviews, user.user.role),
        ..d
    };
    Ok(DecisionPage {
        tr: Tr,
        nav: Nav::of(&user),
        name: row.name,
        tier: glossary::tier_by_key(&d.tier, lang()),
        reproduced,
        verdict,
        d,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate.html")]
pub struct CertificatePage {
    pub tr: Tr,
    pub d: zjtx_store::Decision,
    pub name: String,
    pub tier: &'static str,
    pub valid: bool,
}

/// `GET /certificates/{decision}`: the certificate, public (anyone can check a certificate
/// shown to them), printable to PDF from the browser.
pub async fn certificate(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<CertificatePage, AppError> {
    let d = st.store.decision(id).await?.ok_or(AppError::NotFound)?;
    let row = st
        .store
        .enterprise(&d.uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = st.today().to_string();
    let valid = st
        .store
        .titled(&today, Some(&d.uscc))
        .await?
        .iter()
        .any(|t| t.decision_id == Some(id));
    Ok(CertificatePage {
        tr: Tr,
        name: row.name,
        tier: glossary::tier_by_key(&d.tier, Lang::Zh),
        valid,
        d,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "titled.html")]
pub struct TitledPage {
    pub tr: Tr,
    pub rows: Vec<TitledLine>,
    /// The tier shown (empty: every tier) and each tier's count.
    pub tier: String,
    pub tiers: Vec<(&'static str, &'static str, usize)>,
    pub total: usize,
}

/// A title in force on the public list.
pub struct TitledLine {
    pub t: zjtx_store::ScopedTitle,
    pub tier: &'static str,
    pub district: String,
    /// The decision behind a title granted here (its certificate), none for an imported one.
    pub decision_id: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct TitledQuery {
    #[serde(default)]
    pub tier: String,
}

/// Every title in force today: granted here (with the decision) or imported with the registry.
pub(crate) async fn titles_in_force(
    st: &AppState,
) -> Result<Vec<(zjtx_store::ScopedTitle, Option<i64>)>, AppError> {
    let today = st.today().to_string();
    let decided: HashMap<(String, String), i64> = st
        .store
        .titled(&today, None)
        .await?
        .into_iter()
        .filter_map(|t| Some(((t.uscc, t.tier), t.decision_id?)))
        .collect();
    Ok(st
        .store
        .titles_in_scope(&zjtx_store::Scope::all(), &today)
        .await?
        .into_iter()
        .map(|t| {
            let d = decided.get(&(t.uscc.clone(), t.tier.clone())).copied();
            (t, d)
        })
        .collect())
}

/// `GET /titled?tier=`: the public list of every title in force — granted here (linked to its
/// certificate) or held before and imported with the registry — by tier.
pub async fn titled(
    State(st): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<TitledQuery>,
) -> Result<TitledPage, AppError> {
    let regions = st.regions().await?;
    let all = titles_in_force(&st).await?;
    let keys = ["giant", "srdi", "innovative"];
    let tiers = keys
        .iter()
        .map(|k| {
            (
                *k,
                glossary::tier_by_key(k, lang()),
                all.iter().filter(|(t, _)| t.tier == *k).count(),
            )
        })
        .collect();
    let tier = q.tier.trim().to_owned();
    let mut rows: Vec<TitledLine> = all
        .into_iter()
        .filter(|(t, _)| tier.is_empty() || t.tier == tier)
        .map(|(t, decision_id)| TitledLine {
            tier: glossary::tier_by_key(&t.tier, lang()),
            district: t
                .region_code
                .as_ref()
                .and_then(|c| regions.iter().find(|r| r.code == *c))
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            decision_id,
            t,
        })
        .collect();
    rows.sort_by(|a, b| {
        let rank = |k: &str| keys.iter().position(|x| *x == k).unwrap_or(keys.len());
        (rank(&a.t.tier), &a.t.region_code, &a.t.uscc).cmp(&(
            rank(&b.t.tier),
            &b.t.region_code,
            &b.t.uscc,
        ))
    });
    Ok(TitledPage {
        tr: Tr,
        total: rows.len(),
        rows,
        tier,
        tiers,
    })
}
