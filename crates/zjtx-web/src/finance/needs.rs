//! Needs, consent, applications (the enterprise).

use super::*;
use axum::response::IntoResponse;
use zjtx_store::ProductStatus;

/// A financing need as the enterprise posts it.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NeedForm {
    pub csrf: String,
    pub amount: String,
    pub term_months: String,
    pub purpose: String,
    /// The collateral it can offer (check boxes).
    pub collateral: Vec<String>,
}

pub async fn post_need(
    State(st): State<AppState>,
    user: CurrentUser,
    Fields(form): Fields<NeedForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    match post_need_as(&st, &user, &form).await {
        Ok(_) => Ok(Redirect::to("/finance#needs").into_response()),
        // Refused: the zone's page again, the message beside the form, what was typed kept.
        Err(AppError::BadRequest(why)) => {
            let mut page = hub_page(&st, &user, HubQuery::default()).await?;
            let field = [
                (i18n::t("金额"), "amount"),
                (i18n::t("期限（月）"), "term_months"),
                (i18n::t("用途"), "purpose"),
            ]
            .into_iter()
            .find(|(label, _)| why.starts_with(label))
            .map_or("", |(_, f)| f);
            page.need_error = Some((why, field));
            page.need_input = form;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The need behind the page's form and the API: checked, stored, announced to the institutions
/// whose listed products match it. Its id.
pub(crate) async fn post_need_as(
    st: &AppState,
    user: &CurrentUser,
    form: &NeedForm,
) -> Result<i64, AppError> {
    let uscc = own_uscc(user)?.to_owned();
    let amt = amount(&form.amount, i18n::t("金额"))?;
    if amt <= 0 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("金额")])));
    }
    let term = int(&form.term_months, i18n::t("期限（月）"), 1, 360)?;
    let purpose = form.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 500 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("用途")])));
    }
    let collateral = picks(&form.collateral, "collateral", fin::COLLATERAL)?;
    let id = st
        .store
        .post_need(
            &uscc,
            amt,
            purpose,
            term,
            &collateral.join(","),
            Some(user.user.id),
        )
        .await?;
    Ok(id)
}

#[derive(Deserialize)]
pub struct RespondForm {
    pub csrf: String,
    #[serde(default)]
    pub product: String,
    pub text: String,
}

/// An institution answers an open need (optionally with one of its listed products).
pub async fn respond_need(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<RespondForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    respond_as(&st, &user, id, &f).await?;
    Ok(Redirect::to("/finance"))
}

/// The answer behind the page's form and the API: only to a need the institution's listed
/// products match on what the firm's consents let it know; the firm told.
pub(crate) async fn respond_as(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    f: &RespondForm,
) -> Result<(), AppError> {
    let inst = institution_of(user)?;
    let text = f.text.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("回复")])));
    }
    let product = match f.product.trim() {
        "" => None,
        p => {
            let p = st
                .store
                .product(
                    p.parse()
                        .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("产品")])))?,
                )
                .await?
                .filter(|p| p.institution_id == inst && p.status == ProductStatus::Listed)
                .ok_or_else(|| conflict(i18n::t("只能推荐本机构已上架的产品")))?;
            Some(p.id)
        }
    };
    let need = st
        .store
        .needs(None)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(AppError::NotFound)?;
    // Only an institution with a listed product matching the need sees it, and so answers it.
    let row = st
        .store
        .enterprise(&need.uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = consented_facts(st, user.user.id, inst, &row, "needs").await?;
    let terms_need = need_terms(&need);
    let matches_need = st
        .store
        .products(Some("listed"), Some(inst))
        .await?
        .iter()
        .any(|p| {
            c.possible(&fin::check(
                &eligibility(p),
                &terms(p),
                &c.facts,
                Some(&terms_need),
            ))
        });
    if !matches_need {
        return Err(AppError::NotFound);
    }
    let (owner, _) = st.store.recipients(&need.uscc, None).await?;
    let msgs: Vec<Message> = owner
        .into_iter()
        .map(|u| i18n::both(|| i18n::f("您的融资需求有新回复：{}", &[&text])).to(u, "/finance"))
        .collect();
    st.store
        .respond_need(id, inst, product, text, Some(user.user.id), &msgs)
        .await?;
    crate::mail::deliver(st, &msgs);
    Ok(())
}

/// A consent as the enterprise grants it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GrantForm {
    pub csrf: String,
    pub institution: String,
    /// The categories of data it opens (check boxes).
    pub categories: Vec<String>,
    pub purpose: String,
    pub days: String,
    /// `yes`: answers to the fixed predicates only, never the figures.
    pub predicates_only: String,
}

/// The enterprise grants an institution access to named categories, for a purpose and a period.
pub async fn grant(
    State(st): State<AppState>,
    user: CurrentUser,
    Fields(form): Fields<GrantForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    grant_consent(&st, &user, &form).await?;
    Ok(Redirect::to("/finance#consents"))
}

/// The enterprise grants a consent (the page's form and the API's body alike): checked by the
/// consent rules, stored, the institution's saved searches and subscriptions told. Returns its id.
pub async fn grant_consent(
    st: &AppState,
    user: &CurrentUser,
    form: &GrantForm,
) -> Result<i64, AppError> {
    let uscc = own_uscc(user)?.to_owned();
    let inst: i64 = form
        .institution
        .trim()
        .parse()
        .map_err(|_| bad(i18n::f("{}：格式有误", &[&i18n::t("机构")])))?;
    let categories = picks(&form.categories, "categories", fin::CATEGORIES)?;
    let purpose = form.purpose.trim();
    let max_days = disclosure_rules(st)?.consent_max_days;
    let days = int(&form.days, i18n::t("有效天数"), 1, max_days)?;
    let request = consent::Request {
        categories: &categories,
        purpose,
        days,
    };
    let (from, until) = consent::grant(consent::Seat::Holder, &request, max_days, st.today())
        .map_err(|r| match r {
            consent::Refusal::NotYourSeat => AppError::Forbidden,
            consent::Refusal::NoCategory => bad(i18n::t("请选择至少一类数据").into()),
            consent::Refusal::UnknownCategory(c) => bad(i18n::f("{}：格式有误", &[&c])),
            consent::Refusal::Purpose => bad(i18n::f("{}：格式有误", &[&i18n::t("用途")])),
            consent::Refusal::Days(_) => bad(i18n::f("{}：格式有误", &[&i18n::t("有效天数")])),
        })?;
    let predicates = form.predicates_only == "yes";
    let id = st
        .store
        .grant_consent(
            &uscc,
            inst,
            &categories.join(","),
            predicates,
            purpose,
            &from.to_string(),
            &until.to_string(),
            Some(user.user.id),
        )
        .await?;
    tell_saved_searches(st, inst, &uscc).await?;
    Ok(id)
}

pub async fn revoke(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    revoke_consent(&st, &user, id).await?;
    Ok(Redirect::to("/finance#consents"))
}

/// The enterprise revokes a consent of its own (page and API); the institution's subscriptions
/// told. Another's consent, or one already revoked, is refused by the store (409).
pub async fn revoke_consent(st: &AppState, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let uscc = own_uscc(user)?.to_owned();
    st.store
        .revoke_consent(id, &uscc, Some(user.user.id))
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct ApplyForm {
    pub csrf: String,
    pub amount: String,
    #[serde(default)]
    pub need: String,
}

/// The enterprise applies for a product it is eligible for.
pub async fn apply(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let uscc = own_uscc(&user)?.to_owned();
    let p = st
        .store
        .product(id)
        .await?
        .filter(|p| p.status == ProductStatus::Listed)
        .ok_or(AppError::NotFound)?;
    let row = st
        .store
        .enterprise(&uscc)
        .await?
        .ok_or(AppError::NotFound)?;
    let amt = amount(&f.amount, i18n::t("金额"))?;
    let need = match f.need.trim() {
        "" => None,
        n => Some(
            st.store
                .needs(Some(&uscc))
                .await?
                .into_iter()
                .find(|x| x.id.to_string() == n && x.status == "open")
                .ok_or_else(|| conflict(i18n::t("该融资需求不存在或已结束")))?,
        ),
    };
    let terms_need = fin::Need {
        amount: amt,
        term_months: need.as_ref().map_or(p.term_min, |n| n.term_months),
        collateral: need
            .as_ref()
            .map(|n| {
                n.collateral
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let m = fin::check(
        &eligibility(&p),
        &terms(&p),
        &facts(&st, &row).await?,
        Some(&terms_need),
    );
    if !m.eligible {
        let missed: Vec<String> = m
            .reasons
            .iter()
            .filter(|r| !r.met)
            .map(reason_text)
            .collect();
        return Err(conflict(i18n::f(
            "不符合申请条件：{}",
            &[&missed.join("；")],
        )));
    }
    let need_id = need.map(|n| n.id);
    st.store
        .apply(
            &uscc,
            id,
            need_id,
            amt,
            &st.today().to_string(),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance#applications"))
}

#[derive(Deserialize)]
pub struct StepForm {
    pub csrf: String,
    #[serde(flatten)]
    pub step: StepInput,
}

/// The institution moves an application on: accepted → granted (amount, date) → disbursed (date),
/// or declined with a reason at any point before disbursement.
pub async fn step(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    move_application(&st, &user, id, &f.step).await?;
    Ok(Redirect::to("/finance#applications"))
}

/// A step of an application, as the page's form or the API's JSON gives it.
#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
pub struct StepInput {
    /// accepted, granted, disbursed or declined.
    pub to: String,
    /// 万元, for granted.
    #[serde(default)]
    pub amount: String,
    /// YYYY-MM-DD, for granted and disbursed (today when empty).
    #[serde(default)]
    pub date: String,
    /// For declined.
    #[serde(default)]
    pub reason: String,
}

/// Moves an application of the user's institution on (`app_flow::step` as the lender), with its
/// messages to the firm: the one path of the page and the API.
pub async fn move_application(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    f: &StepInput,
) -> Result<(), AppError> {
    let inst = institution_of(user)?;
    let a = st
        .store
        .application(id)
        .await?
        .filter(|a| a.institution_id == inst)
        .ok_or(AppError::NotFound)?;
    let on = || {
        let t = f.date.trim();
        match chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) => Ok(Some(d)),
            Err(_) if t.is_empty() => Ok(None),
            Err(_) => Err(bad(i18n::f("{}：格式有误", &[&i18n::t("日期")]))),
        }
    };
    let input = match f.to.as_str() {
        "accepted" => app_flow::Step::Accept,
        "granted" => app_flow::Step::Grant {
            amount: amount(&f.amount, i18n::t("授信金额"))?,
            on: on()?,
        },
        "disbursed" => app_flow::Step::Disburse { on: on()? },
        "declined" => app_flow::Step::Decline {
            reason: f.reason.trim(),
        },
        _ => return Err(bad(i18n::t("请选择审核结论").into())),
    };
    // The institution offering the product is the lender (another reads it as absent above).
    let to = app_flow::step(a.status, app_flow::Seat::Lender, &input).map_err(|r| match r {
        app_flow::Refusal::NotYourSeat => AppError::Forbidden,
        app_flow::Refusal::WrongState(s) => conflict(i18n::f(
            "申请当前状态为“{}”，不能进行此操作",
            &[&kind_label(s.as_str())],
        )),
        app_flow::Refusal::AmountRequired => bad(i18n::f("{}：格式有误", &[&i18n::t("授信金额")])),
        app_flow::Refusal::DateRequired => bad(i18n::f("{}：格式有误", &[&i18n::t("日期")])),
        app_flow::Refusal::ReasonRequired => bad(i18n::t("请写明拒绝理由").into()),
    })?;
    let (amt, on, detail) = match &input {
        app_flow::Step::Grant { amount, on } => {
            (Some(*amount), on.map(|d| d.to_string()), wan(Some(*amount)))
        }
        app_flow::Step::Disburse { on } => (None, on.map(|d| d.to_string()), String::new()),
        app_flow::Step::Decline { reason } => (None, None, (*reason).to_owned()),
        app_flow::Step::Accept => (None, None, String::new()),
    };
    let (owner, _) = st.store.recipients(&a.uscc, None).await?;
    let text = i18n::both(|| i18n::f("贷款申请“{}”：{}", &[&a.product, &kind_label(&f.to)]));
    let msgs: Vec<Message> = owner
        .into_iter()
        .map(|u| text.to(u, "/finance#applications"))
        .collect();
    st.store
        .application_step(
            id,
            inst,
            a.status,
            to,
            amt,
            on.as_deref(),
            &detail,
            Some(user.user.id),
            &msgs,
        )
        .await?;
    crate::mail::deliver(st, &msgs);
    Ok(())
}
