//! The steps of an application after it is filed: the district's review, the firm's
//! resubmission, the city's approval (at the award computed now, within both budgets, the highest
//! of its project) or rejection, and the money paid and recovered by level.

use super::*;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    /// A review: `recommend`, `return`, `reject`.
    pub decision: String,
    pub reason: String,
}

fn back(id: i64) -> Redirect {
    Redirect::to(&format!("/funds/applications/{id}"))
}

/// `POST /funds/applications/{id}/review`: the district.
pub async fn review(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let a = application_or_404(&st, &user, &id).await?;
    let r = match f.decision.as_str() {
        "recommend" => Review::Recommend,
        "return" => Review::Return,
        "reject" => Review::Reject,
        _ => return Err(refused(Refusal::Invalid(vec![Field::Reason]))),
    };
    let to = flow::review(seat_of(&user), a.status, r, &f.reason).map_err(refused)?;
    st.store
        .fund_step(
            a.id,
            a.status,
            to,
            f.reason.trim(),
            &format!("fund.review.{}", to.key()),
            Some(user.user.id),
        )
        .await?;
    Ok(back(a.id))
}

/// `POST /funds/applications/{id}/resubmit`: the firm, with its changed project.
pub async fn resubmit(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ApplyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let a = application_or_404(&st, &user, &id).await?;
    flow::resubmit(seat_of(&user), a.status).map_err(refused)?;
    let c = st.store.call(a.call_id).await?.ok_or(AppError::NotFound)?;
    let today = st.today();
    // The code stays the application's own; the call's window need not be open to resubmit.
    let form = ApplyForm {
        code: a.code.clone(),
        ..f
    };
    let p = flow::apply(
        Seat::Owner,
        &c.category,
        (today, today),
        &form.draft(),
        today,
    )
    .map_err(refused)?;
    st.store
        .resubmit_fund(
            a.id,
            &p.facts.name,
            &cells_of(&a.uscc, &p),
            &p.invoices,
            Some(user.user.id),
        )
        .await?;
    Ok(back(a.id))
}

/// `POST /funds/applications/{id}/approve`: the city, with the award computed now.
pub async fn approve(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let a = application_or_404(&st, &user, &id).await?;
    let call = st.store.call(a.call_id).await?.ok_or(AppError::NotFound)?;
    let p = programme_of(&call)?;
    let firm = firm_facts(&st, &a.uscc).await?;
    let award = programme::evaluate(&p, &firm, &project_of(&a), st.today());
    let left = |u: i64| Wan::from_units(u).unwrap_or(Wan::ZERO);
    let left = flow::Left {
        city: left(st.store.budget_left(a.call_id, "city").await?),
        district: left(
            st.store
                .budget_left(a.call_id, a.region_code.as_deref().unwrap_or(""))
                .await?,
        ),
    };
    let others: Vec<flow::Other> = st
        .store
        .awards_of_project(&a.code, a.id)
        .await?
        .into_iter()
        .map(|o| flow::Other {
            id: o.id,
            programme: o.programme_id,
            amount: Wan::from_units(o.amount.unwrap_or(0)).unwrap_or(Wan::ZERO),
            paid: Wan::from_units(
                o.paid_city + o.paid_district - o.recovered_city - o.recovered_district,
            )
            .unwrap_or(Wan::ZERO),
        })
        .collect();
    let supersede =
        flow::approve(seat_of(&user), a.status, &award, left, &others).map_err(refused)?;
    let json = award_json(&award);
    st.store
        .approve_fund(
            &a,
            (
                award.amount.units(),
                award.city.units(),
                award.district.units(),
            ),
            &json,
            &st.today().to_string(),
            supersede,
            Some(user.user.id),
        )
        .await?;
    Ok(back(a.id))
}

/// `POST /funds/applications/{id}/reject`: the city, saying why.
pub async fn reject(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let a = application_or_404(&st, &user, &id).await?;
    let to = flow::reject(seat_of(&user), a.status, &f.reason).map_err(refused)?;
    st.store
        .fund_step(
            a.id,
            a.status,
            to,
            f.reason.trim(),
            "fund.reject",
            Some(user.user.id),
        )
        .await?;
    Ok(back(a.id))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoneyForm {
    pub csrf: String,
    pub level: String,
    pub amount: String,
    pub on: String,
    pub reference: String,
    /// A recovery's cause.
    pub cause: String,
}

/// `POST /funds/applications/{id}/pay` and `/recover`: the city records an instalment, or money
/// recovered, within the level's share.
async fn money_step(
    st: &AppState,
    user: &CurrentUser,
    id: &str,
    f: &MoneyForm,
    recovery: bool,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let a = application_or_404(st, user, id).await?;
    let share = |l: Level| match l {
        Level::City => a.city.unwrap_or(0),
        Level::District => a.district.unwrap_or(0),
    };
    let paid = |l: Level| match l {
        Level::City => a.paid_city,
        Level::District => a.paid_district,
    };
    let recovered = |l: Level| match l {
        Level::City => a.recovered_city,
        Level::District => a.recovered_district,
    };
    let d = (
        f.level.as_str(),
        f.amount.as_str(),
        f.on.as_str(),
        f.reference.as_str(),
    );
    let (m, cause) = if recovery {
        let (m, c) = flow::recover(
            seat_of(user),
            a.status,
            &f.cause,
            |l| Wan::from_units(paid(l) - recovered(l)).unwrap_or(Wan::ZERO),
            d,
            st.today(),
        )
        .map_err(refused)?;
        (m, Some(c))
    } else {
        let m = flow::pay(
            seat_of(user),
            a.status,
            |l| Wan::from_units(share(l) - paid(l)).unwrap_or(Wan::ZERO),
            d,
            st.today(),
        )
        .map_err(refused)?;
        (m, None)
    };
    st.store
        .fund_money(a.id, &m, cause, Some(user.user.id))
        .await?;
    Ok(back(a.id))
}

pub async fn pay(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<MoneyForm>,
) -> Result<Redirect, AppError> {
    money_step(&st, &user, &id, &f, false).await
}

pub async fn recover(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<MoneyForm>,
) -> Result<Redirect, AppError> {
    money_step(&st, &user, &id, &f, true).await
}

/// `POST /funds/applications/{id}/invoices`: the firm attaches an invoice file (a whole PDF,
/// PNG or JPEG within the evidence bound) while the application is with it.
pub async fn upload_invoice(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Redirect, AppError> {
    let too_large = i18n::f("文件超过 {} MB", &[&(st.max_evidence >> 20)]);
    let (fields, file) = crate::common::read_upload(mp, &too_large).await?;
    let csrf = fields.get("csrf").cloned();
    user.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let a = application_or_404(&st, &user, &id).await?;
    if seat_of(&user) != Seat::Owner {
        return Err(AppError::Forbidden);
    }
    if !matches!(a.status, Status::Submitted | Status::Returned) {
        return Err(refused(Refusal::WrongState(a.status)));
    }
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest(i18n::t("请选择要上传的文件").into()))?;
    if bytes.len() > st.max_evidence {
        return Err(AppError::BadRequest(i18n::f(
            "文件超过 {} MB",
            &[&(st.max_evidence >> 20)],
        )));
    }
    let (kind, hash, fresh) = crate::declare::evidence::keep_file(&st, &bytes).await?;
    let name = crate::declare::evidence::file_name(&name);
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    if let Err(e) = st
        .store
        .add_fund_invoice(a.id, (&name, kind, size, &hash), Some(user.user.id))
        .await
    {
        crate::declare::evidence::drop_unused(&st, &hash, fresh).await?;
        return Err(e.into());
    }
    Ok(Redirect::to(&format!(
        "/funds/applications/{}#invoices",
        a.id
    )))
}

/// `GET /funds/invoices/{id}`: an invoice file, to whoever may see its application (audited).
pub async fn invoice_file(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let n = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let x = st.store.fund_invoice(n).await?.ok_or(AppError::NotFound)?;
    let a = application_or_404(&st, &user, &x.application_id.to_string()).await?;
    let bytes = tokio::fs::read(st.evidence_dir.join(&x.sha256))
        .await
        .map_err(|e| AppError::Internal(format!("invoice {n}: {e}")))?;
    st.store
        .audit(
            Some(user.user.id),
            "read",
            Some(&format!("fund_application:{}", a.id)),
            &format!("invoice {n}"),
        )
        .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, x.content_type),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"invoice-{n}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
