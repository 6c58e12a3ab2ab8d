//! Declarations over `/api/v1` for the systems of districts, the bureau and enterprises: batches,
//! the declarations a seat may see, one declaration with the engine's verdict and its reviews,
//! the enterprise's submission and a reviewer's decision, and the public notice — the same seat
//! rules, workflow steps, transactions, messages and audit as the pages (`submit_declaration`,
//! `review_declaration`, `batch_declarations`, `seat`).

use std::collections::BTreeMap;

use axum::Json;

use super::*;
use crate::api::types::{self as t, key};
use crate::api::{ApiError, ApiJson, ApiUser, BearerUser, IdPath, Problem};

fn batch_json(b: Batch) -> t::Batch {
    t::Batch {
        id: b.id,
        tier: b.tier,
        year: b.year,
        rules: b.rules,
        title: b.title,
        declare_until: b.declare_until,
        district_until: b.district_until,
        city_until: b.city_until,
        notice_from: b.notice_from,
        notice_until: b.notice_until,
        quota: b.quota,
        archived: b.archived,
    }
}

fn item_json(d: &Declaration) -> t::DeclarationItem {
    t::DeclarationItem {
        id: d.id,
        batch_id: d.batch_id,
        uscc: d.uscc.clone(),
        name: d.name.clone(),
        region_code: d.region_code.clone(),
        status: d.status.as_str().to_owned(),
        notice_from: d.notice_from.clone(),
        notice_until: d.notice_until.clone(),
    }
}

/// `GET /api/v1/batches`: every batch with its deadlines.
#[utoipa::path(get, path = "/api/v1/batches",
    summary = "Every declaration batch (a tier's call of a year) with its deadlines, quota and notice",
    responses((status = 200, description = "the batches", body = t::BatchList)))]
pub async fn api_batches(
    State(st): State<AppState>,
    ApiUser(_user): ApiUser,
) -> Result<Json<t::BatchList>, ApiError> {
    let batches = st.store.batches().await?;
    Ok(Json(t::BatchList {
        batches: batches.into_iter().map(batch_json).collect(),
    }))
}

/// `GET /api/v1/batches/{id}/declarations`: the declarations of a batch the caller's seat sees.
#[utoipa::path(get, path = "/api/v1/batches/{id}/declarations",
    summary = "The declarations of a batch the caller may see: the city those recommended on, a district its firms' once submitted, an enterprise its own",
    params(IdPath),
    responses((status = 200, description = "the declarations", body = t::DeclarationList),
        (status = 404, description = "no such batch", body = Problem)))]
pub async fn api_batch_declarations(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<t::DeclarationList>, ApiError> {
    batch_or_404(&st, id).await?;
    let decls = batch_declarations(&st, &user, id).await?;
    auth::audit_list(
        &st,
        &user,
        "read.list",
        "api declarations",
        decls.iter().map(|d| d.uscc.as_str()),
    )
    .await?;
    Ok(Json(t::DeclarationList {
        declarations: decls.iter().map(item_json).collect(),
    }))
}

/// `GET /api/v1/declarations/{id}`: a declaration the caller holds a seat on.
#[utoipa::path(get, path = "/api/v1/declarations/{id}",
    summary = "A declaration the caller holds a seat on (its enterprise, its district once submitted, the city once recommended, an expert drawn for it): its state, the engine's verdict on the declared figures with every rule of the tier, and the district's and city's reviews",
    params(IdPath),
    responses((status = 200, description = "the declaration", body = t::DeclarationDetail),
        (status = 404, description = "no such declaration, or no seat on it", body = Problem)))]
pub async fn api_declaration(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<t::DeclarationDetail>, ApiError> {
    let d = declaration_or_404(&st, id).await?;
    seat(&st, &user, &d).await?;
    let b = batch_or_404(&st, d.batch_id).await?;
    let tier = tier_of(&b.tier).ok_or_else(|| AppError::Internal("batch tier".into()))?;
    let ev = zjtx_core::explain(
        &parse_cells(&d.cells)?,
        rule_set(&st, &b.rules)?,
        st.today(),
    );
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("declaration:{id}")),
            "api declaration",
        )
        .await?;
    let rules = ev
        .trace
        .iter()
        .filter(|r| r.tier == Some(tier))
        .map(|r| t::DeclaredRule {
            id: r.id.as_str().to_owned(),
            clause: r.clause.clone(),
            verdict: r.verdict.as_ref().map(key),
        })
        .collect();
    let reviews = st
        .store
        .reviews(id)
        .await?
        .into_iter()
        .filter(|r| r.level != ReviewLevel::Expert)
        .map(|r| {
            let ops: BTreeMap<String, serde_json::Value> =
                serde_json::from_str(&r.opinions).unwrap_or_default();
            t::ReviewRecord {
                level: r.level.as_str().to_owned(),
                reviewer: r.reviewer,
                decision: r.decision.as_str().to_owned(),
                reason: r.reason,
                disagreements: ops
                    .into_iter()
                    .filter(|(_, v)| v["agree"] == serde_json::Value::Bool(false))
                    .map(|(k, v)| (k, v["reason"].as_str().unwrap_or_default().to_owned()))
                    .collect(),
            }
        })
        .collect();
    Ok(Json(t::DeclarationDetail {
        item: item_json(&d),
        tier: b.tier.clone(),
        verdict: key(&tier_verdict(&ev.summary, &b.tier)),
        rules,
        reviews,
    }))
}

/// `POST /api/v1/declarations/{id}/submit`: the enterprise signs the pledge and submits.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/submit",
    summary = "Submit the calling enterprise's declaration with the truthfulness pledge, before the deadline (the declaration deadline, or the district's for an answer to a return). Bearer token or key only; a key needs the write scope",
    params(IdPath), request_body = t::SubmitRequest,
    responses((status = 200, description = "the declaration after the step", body = t::DeclarationItem),
        (status = 404, description = "no such declaration of this enterprise", body = Problem),
        (status = 409, description = "not possible in its state, past the deadline, or barred", body = Problem)))]
pub async fn api_submit(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<t::SubmitRequest>,
) -> Result<Json<t::DeclarationItem>, ApiError> {
    submit_declaration(&st, &user, id, req.pledge).await?;
    Ok(Json(item_json(&declaration_or_404(&st, id).await?)))
}

/// `POST /api/v1/declarations/{id}/review`: a district's or the city's decision.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/review",
    summary = "Review a declaration as its district (recommend, return, reject) or the city (approve, return, reject), with an opinion on every rule of the tier. Bearer token or key only; a key needs the write scope",
    params(IdPath), request_body = t::ReviewRequest,
    responses((status = 200, description = "the declaration after the step", body = t::DeclarationItem),
        (status = 404, description = "no such declaration, or no seat on it", body = Problem),
        (status = 409, description = "not possible in its state, past the review deadline, or the quota is full", body = Problem)))]
pub async fn api_review(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<t::ReviewRequest>,
) -> Result<Json<t::DeclarationItem>, ApiError> {
    // The page's form, field by field: `agree_{rule}` and `reason_{rule}`.
    let mut per_rule = HashMap::new();
    for (rule, o) in &req.opinions {
        per_rule.insert(
            format!("agree_{rule}"),
            if o.agree { "yes" } else { "no" }.to_owned(),
        );
        per_rule.insert(format!("reason_{rule}"), o.reason.clone());
    }
    let form = ReviewForm {
        csrf: String::new(),
        decision: req.decision,
        reason: req.reason,
        override_scores: req.override_scores,
        override_evaluation: req.override_evaluation,
        per_rule,
    };
    review_declaration(&st, &user, id, &form).await?;
    Ok(Json(item_json(&declaration_or_404(&st, id).await?)))
}

/// `POST /api/v1/declarations/{id}/withdraw`: the enterprise withdraws its declaration.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/withdraw",
    summary = "Withdraw the calling enterprise's declaration (while the workflow allows it). Bearer token or key only",
    params(IdPath),
    responses((status = 200, description = "the declaration after the step", body = t::DeclarationItem),
        (status = 404, description = "no such declaration of this enterprise", body = Problem),
        (status = 409, description = "not possible in its state", body = Problem)))]
pub async fn api_withdraw(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
) -> Result<Json<t::DeclarationItem>, ApiError> {
    withdraw_declaration(&st, &user, id).await?;
    Ok(Json(item_json(&declaration_or_404(&st, id).await?)))
}

/// `POST /api/v1/declarations/{id}/score`: a drawn expert's score, once.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/score",
    summary = "Score a declaration as an expert drawn for it (0–100, with an opinion), once, while it is recommended. Bearer token only",
    params(IdPath), request_body = t::ScoreRequest,
    responses((status = 200, description = "the declaration", body = t::DeclarationItem),
        (status = 404, description = "no such declaration, or not drawn for it", body = Problem),
        (status = 409, description = "not in the experts' stage, or scored already", body = Problem)))]
pub async fn api_score(
    State(st): State<AppState>,
    BearerUser(user): BearerUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<t::ScoreRequest>,
) -> Result<Json<t::DeclarationItem>, ApiError> {
    score_declaration(&st, &user, id, &req.score.to_string(), &req.comment).await?;
    Ok(Json(item_json(&declaration_or_404(&st, id).await?)))
}

/// `GET /api/v1/notices`: the declarations on public notice today (public, as `/notice`).
#[utoipa::path(get, path = "/api/v1/notices",
    summary = "The declarations on public notice today, with their batch, tier and the notice's dates (public)",
    responses((status = 200, description = "the declarations on notice", body = t::NoticeList)))]
pub async fn api_notices(State(st): State<AppState>) -> Result<Json<t::NoticeList>, ApiError> {
    let today = st.today();
    let mut items = Vec::new();
    for b in st.store.batches().await? {
        for d in st
            .store
            .declarations(b.id, &[Status::Notice], None)
            .await?
            .into_iter()
            .filter(|d| on_notice(d, today))
        {
            items.push(t::NoticeItem {
                declaration_id: d.id,
                batch_id: b.id,
                tier: b.tier.clone(),
                year: b.year,
                uscc: d.uscc,
                name: d.name,
                region_code: d.region_code,
                notice_from: d.notice_from,
                notice_until: d.notice_until,
            });
        }
    }
    Ok(Json(t::NoticeList { items }))
}

/// `GET /api/v1/titles?tier=`: every title in force (public, as `/titled`).
#[utoipa::path(get, path = "/api/v1/titles",
    summary = "Every title in force today (public, as the titled list): recognised here, with its decision, or recognised before and imported with the registry",
    params(("tier" = Option<String>, Query, description = "`innovative`, `srdi` or `giant`")),
    responses((status = 200, description = "the titles", body = t::TitleList)))]
pub async fn api_titles(
    State(st): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<TitledQuery>,
) -> Result<Json<t::TitleList>, ApiError> {
    let tier = q.tier.trim();
    let items = titles_in_force(&st)
        .await?
        .into_iter()
        .filter(|(t, _)| tier.is_empty() || t.tier == tier)
        .map(|(t, decision_id)| t::PublicTitle {
            uscc: t.uscc,
            name: t.name,
            region_code: t.region_code,
            tier: t.tier,
            valid_until: t.valid_until,
            source: t.source,
            decision_id,
        })
        .collect();
    Ok(Json(t::TitleList { items }))
}
