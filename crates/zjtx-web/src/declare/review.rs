//! Submission, withdrawal, review and scores.

use super::*;

#[derive(Deserialize)]
pub struct SubmitForm {
    pub csrf: String,
    #[serde(default)]
    pub pledge: String,
}

/// The enterprise signs the truthfulness pledge and submits, before the deadline: the
/// declaration deadline for a first submission, the district's for an answer to a return.
pub async fn submit(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<SubmitForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    submit_declaration(&st, &user, id, f.pledge == "yes").await?;
    Ok(Redirect::to(&format!("/declarations/{id}?sent=1#receipt")))
}

/// The submission behind the page's form and the API: the workflow's step, the district told,
/// one transaction.
pub(crate) async fn submit_declaration(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    pledge: bool,
) -> Result<(), AppError> {
    let d = declaration_or_404(st, id).await?;
    let seat = seat(st, user, &d).await?;
    let b = batch_or_404(st, d.batch_id).await?;
    let today = st.today();
    let ban = st.store.ban(&d.uscc, &today.to_string()).await?;
    let to = flow::submit(
        d.status,
        seat.flow(),
        pledge,
        ban.is_some(),
        &batch_dates(&b)?,
        today,
    )
    .map_err(|r| barred_or(r, ban.as_ref()))?;
    let (_, district) = st
        .store
        .recipients(&d.uscc, d.region_code.as_deref())
        .await?;
    let link = format!("/declarations/{id}");
    let msgs = tell(
        district,
        i18n::both(|| i18n::f("{} 提交了申报，待审核", &[&d.name])),
        &link,
    );
    st.store
        .transition(
            id,
            &[d.status],
            to,
            Some(user.user.id),
            "declaration.submit",
            "pledge signed",
            None,
            &msgs,
        )
        .await?;
    crate::mail::deliver(st, &msgs);
    Ok(())
}

/// A refusal, with a ban worded by its end and reason.
pub(super) fn barred_or(r: Refusal, ban: Option<&(String, String)>) -> AppError {
    match (r, ban) {
        (Refusal::Barred, Some((until, reason))) => {
            conflict(i18n::f("该企业在 {} 前不得申报（{}）", &[until, reason]))
        }
        (r, _) => refused(r),
    }
}

pub async fn withdraw(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    withdraw_declaration(&st, &user, id).await?;
    Ok(Redirect::to(&format!("/declarations/{id}")))
}

/// The enterprise withdraws its declaration (page and API).
pub(crate) async fn withdraw_declaration(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(), AppError> {
    let d = declaration_or_404(st, id).await?;
    let to = flow::withdraw(d.status, seat(st, user, &d).await?.flow()).map_err(refused)?;
    st.store
        .transition(
            id,
            &[d.status],
            to,
            Some(user.user.id),
            "declaration.withdraw",
            "",
            None,
            &[],
        )
        .await?;
    Ok(())
}

/// How many of the experts drawn for a declaration have not scored it (None: none drawn).
pub(super) async fn unscored(st: &AppState, id: i64) -> Result<Option<usize>, AppError> {
    let drawn = st.store.experts_of(id).await?;
    if drawn.is_empty() {
        return Ok(None);
    }
    let pool = st.store.experts().await?;
    let scored: Vec<i64> = st
        .store
        .reviews(id)
        .await?
        .into_iter()
        .filter(|r| r.level == ReviewLevel::Expert)
        .filter_map(|r| {
            pool.iter()
                .find(|x| x.user_id == r.reviewer_id)
                .map(|x| x.id)
        })
        .collect();
    Ok(Some(drawn.iter().filter(|x| !scored.contains(x)).count()))
}

/// A reviewer's decision and, for each rule of the tier, `agree_{id}` (`yes`/`no`) and
/// `reason_{id}` (the rule ids are the tier's, so they are read by name from `per_rule`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    pub csrf: String,
    pub decision: String,
    pub reason: String,
    pub override_scores: String,
    pub override_evaluation: String,
    #[serde(flatten)]
    pub per_rule: HashMap<String, String>,
}

/// A district or city reviewer's decision, with an opinion on every rule of the tier: agree, or
/// disagree with a reason. The workflow decides whether the step is legal
/// (`workflow::declaration::review`); this handler gathers what it looks at and records it.
pub async fn review(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Fields(form): Fields<ReviewForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let why = match review_declaration(&st, &user, id, &form).await {
        Ok(()) => return Ok(Redirect::to(&format!("/declarations/{id}")).into_response()),
        Err(AppError::BadRequest(m)) => (axum::http::StatusCode::BAD_REQUEST, m),
        Err(AppError::Store(StoreError::Conflict(m))) => (axum::http::StatusCode::CONFLICT, m),
        Err(e) => return Err(e),
    };
    // Refused: the page again, what to fix at the top and beside each rule, nothing typed lost.
    let mut page = declaration_page(&st, &user, id).await?;
    let field = |k: String| form.per_rule.get(&k).map_or("", |v| v.trim()).to_owned();
    let mut input = ReviewInput {
        decision: form.decision.trim().to_owned(),
        reason: form.reason.clone(),
        override_scores: form.override_scores.clone(),
        override_evaluation: form.override_evaluation.clone(),
        ..Default::default()
    };
    for r in &page.rules {
        let (agree, reason) = (
            field(format!("agree_{}", r.id)),
            field(format!("reason_{}", r.id)),
        );
        let error = match agree.as_str() {
            "yes" => None,
            "no" if reason.is_empty() => Some(i18n::t("不同意须写明理由")),
            "no" => None,
            _ => Some(i18n::t("请选择同意或不同意")),
        };
        if let Some(m) = error {
            page.rule_errors.push((r.id.to_owned(), m.to_owned()));
        }
        if !agree.is_empty() {
            input.agree.insert(r.id.to_owned(), agree);
        }
        input.reasons.insert(r.id.to_owned(), reason);
    }
    page.review_errors.push(why.1);
    page.input = input;
    Ok((why.0, page).into_response())
}

/// The review behind the page's form and the API: the workflow's step with an opinion on every
/// rule of the tier, the firm (and after the city, the district) told, one transaction.
pub(crate) async fn review_declaration(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    form: &ReviewForm,
) -> Result<(), AppError> {
    let field = |k: &str| form.per_rule.get(k).map_or("", |v| v.trim());
    let d = declaration_or_404(st, id).await?;
    let seat = seat(st, user, &d).await?;
    not_own_firm(user, &d)?;
    let b = batch_or_404(st, d.batch_id).await?;
    let today = st.today();
    let decision = Decision::parse(form.decision.trim());
    let tier = tier_of(&b.tier).ok_or_else(|| AppError::Internal("batch tier".into()))?;
    let ev = zjtx_core::explain(&parse_cells(&d.cells)?, rule_set(st, &b.rules)?, today);
    let verdict = tier_verdict(&ev.summary, &b.tier);
    let approving = decision == Some(Decision::Approve);
    let ban = if decision.is_some_and(Decision::favourable) {
        st.store.ban(&d.uscc, &today.to_string()).await?
    } else {
        None
    };
    let quota_taken = if approving && b.quota.is_some() {
        let holding: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| s.holds_quota())
            .collect();
        st.store.declarations(b.id, &holding, None).await?.len() as i64
    } else {
        0
    };
    let input = flow::Review {
        decision,
        reason: form.reason.trim(),
        barred: ban.is_some(),
        quota_taken,
        unscored: if approving {
            unscored(st, id).await?
        } else {
            Some(0)
        },
        evaluation_passes: verdict == Verdict::Pass,
        override_scores: form.override_scores.trim(),
        override_evaluation: form.override_evaluation.trim(),
    };
    let done = flow::review(d.status, seat.flow(), &input, &batch_dates(&b)?, today).map_err(
        |r| match r {
            Refusal::EvaluationFails => AppError::BadRequest(i18n::f(
                "评价结果为“{}”：通过须填写“评价未通过时仍予通过的理由”",
                &[&glossary::verdict(verdict, lang())],
            )),
            r => barred_or(r, ban.as_ref()),
        },
    )?;
    // An opinion on every rule of the tier.
    let mut opinions = serde_json::Map::new();
    let mut missing = Vec::new();
    for t in ev.trace.iter().filter(|t| t.tier == Some(tier)) {
        let rid = t.id.as_str();
        let agree = match field(&format!("agree_{rid}")) {
            "yes" => true,
            "no" => false,
            _ => {
                missing.push(rid.to_owned());
                continue;
            }
        };
        let why = field(&format!("reason_{rid}"));
        if !agree && why.is_empty() {
            missing.push(format!("{rid}（{}）", i18n::t("不同意须写明理由")));
        }
        opinions.insert(
            rid.to_owned(),
            serde_json::json!({ "agree": agree, "reason": why }),
        );
    }
    if !missing.is_empty() {
        return Err(AppError::BadRequest(i18n::f(
            "以下规则缺少审核意见：{}",
            &[&missing.join("、")],
        )));
    }
    let mut overrides = serde_json::Map::new();
    if let Some(why) = &done.override_scores {
        overrides.insert("scores".into(), why.as_str().into());
    }
    if let Some(why) = &done.override_evaluation {
        overrides.insert("evaluation".into(), why.as_str().into());
    }
    let overrides =
        (!overrides.is_empty()).then(|| serde_json::Value::Object(overrides).to_string());
    let (owner, district) = st
        .store
        .recipients(&d.uscc, d.region_code.as_deref())
        .await?;
    let (level, decision) = (done.level.as_str(), done.decision.as_str());
    let link = format!("/declarations/{id}");
    let text = i18n::both(|| {
        i18n::f(
            "{}：{}（{}）",
            &[&d.name, &decision_label(decision), &level_label(level)],
        )
    });
    let msgs = tell(
        owner.into_iter().chain(if done.level == flow::Level::City {
            district
        } else {
            Vec::new()
        }),
        text,
        &link,
    );
    let opinions = serde_json::Value::Object(opinions).to_string();
    let reason = form.reason.trim();
    st.store
        .transition(
            id,
            &[d.status],
            done.to,
            Some(user.user.id),
            &format!("declaration.{level}.{decision}"),
            reason,
            Some(NewReview {
                level: done.level,
                reviewer_id: user.user.id,
                decision: done.decision,
                reason,
                opinions: &opinions,
                score: None,
                overrides: overrides.as_deref(),
            }),
            &msgs,
        )
        .await?;
    crate::mail::deliver(st, &msgs);
    Ok(())
}

#[derive(Deserialize)]
pub struct ScoreForm {
    pub csrf: String,
    pub score: String,
    pub comment: String,
}

/// An expert drawn for a declaration scores it (0–100) with a comment, once.
pub async fn score(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ScoreForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&f.csrf)?;
    match score_declaration(&st, &user, id, &f.score, &f.comment).await {
        Ok(()) => Ok(Redirect::to(&format!("/declarations/{id}")).into_response()),
        // Refused (a score out of range, no opinion): the page again, the message beside the
        // form, the score and opinion typed kept.
        Err(AppError::BadRequest(why)) => {
            let mut page = declaration_page(&st, &user, id).await?;
            page.score_error = Some(why);
            page.score_input = (f.score, f.comment);
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// An expert's score behind the page's form and the API: drawn for it, once, while recommended.
pub(crate) async fn score_declaration(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    score: &str,
    comment: &str,
) -> Result<(), AppError> {
    let d = declaration_or_404(st, id).await?;
    let Seat::Expert(_) = seat(st, user, &d).await? else {
        return Err(AppError::Forbidden);
    };
    not_own_firm(user, &d)?;
    if d.status != Status::Recommended {
        return Err(conflict(i18n::t("该申报不在专家评审阶段")));
    }
    let score: i64 = score
        .trim()
        .parse()
        .ok()
        .filter(|s| (0..=100).contains(s))
        .ok_or_else(|| AppError::BadRequest(i18n::t("评分应为 0–100 的整数").into()))?;
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(AppError::BadRequest(i18n::t("请填写评审意见").into()));
    }
    st.store
        .record_score(
            id,
            NewReview {
                level: ReviewLevel::Expert,
                reviewer_id: user.user.id,
                decision: ReviewDecision::Score,
                reason: comment,
                opinions: "{}",
                score: Some(score),
                overrides: None,
            },
            Some(user.user.id),
        )
        .await?;
    Ok(())
}
