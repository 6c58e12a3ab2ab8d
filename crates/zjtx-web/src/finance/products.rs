//! Products.

use super::*;
use zjtx_core::workflow::product as product_flow;
use zjtx_store::ProductStatus;

/// A refusal of the product workflow as the user reads it.
fn product_refused(r: product_flow::Refusal) -> AppError {
    match r {
        product_flow::Refusal::NotYourSeat => AppError::Forbidden,
        product_flow::Refusal::WrongState(s) => conflict(i18n::f(
            "产品当前状态为“{}”，不能进行此操作",
            &[&kind_label(s.as_str())],
        )),
        product_flow::Refusal::ReasonRequired => bad(i18n::t("退回或不予推荐须写明理由").into()),
    }
}

/// A product as an institution submits it; the repeated keys are check boxes and multiple selects.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProductForm {
    pub csrf: String,
    pub name: String,
    pub kind: String,
    pub min_amount: String,
    pub max_amount: String,
    pub term_min: String,
    pub term_max: String,
    pub rate_kind: String,
    pub rate_bp: String,
    pub collateral: Vec<String>,
    pub revenue_min: String,
    pub tiers: Vec<String>,
    pub sizes: Vec<String>,
    pub districts: Vec<String>,
    pub ecosystems: Vec<String>,
    pub repayment: String,
    pub channel: String,
}

/// An institution submits a product; the bureau reviews it before it is listed.
pub async fn create_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Fields(form): Fields<ProductForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    let inst = institution_of(&user)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("名称")])));
    }
    let kind = form.kind.as_str();
    if !fin::PRODUCT_KINDS.contains(&kind) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("产品类型")])));
    }
    let min_amount = amount(&form.min_amount, i18n::t("最低金额"))?;
    let max_amount = amount(&form.max_amount, i18n::t("最高金额"))?;
    let term_min = int(&form.term_min, i18n::t("最短期限（月）"), 1, 360)?;
    let term_max = int(&form.term_max, i18n::t("最长期限（月）"), 1, 360)?;
    if min_amount > max_amount || term_min > term_max {
        return Err(bad(i18n::t("金额或期限的下限高于上限").into()));
    }
    let rate_kind = form.rate_kind.as_str();
    if !["fixed", "lpr"].contains(&rate_kind) {
        return Err(bad(i18n::f("{}：格式有误", &[&i18n::t("利率")])));
    }
    let rate_bp = int(&form.rate_bp, i18n::t("利率（基点）"), 0, 5000)?;
    let collateral = picks(&form.collateral, "collateral", fin::COLLATERAL)?;
    if collateral.is_empty() {
        return Err(bad(i18n::t("请选择至少一种担保方式").into()));
    }
    let revenue_min = match form.revenue_min.trim() {
        "" => None,
        v => Some(amount(v, i18n::t("营业收入下限"))?),
    };
    let districts_all: Vec<String> = st
        .districts(&zjtx_store::Scope::all())
        .await?
        .into_iter()
        .map(|r| r.code.clone())
        .collect();
    let district_refs: Vec<&str> = districts_all.iter().map(String::as_str).collect();
    let el = Eligibility {
        tiers: picks(
            &form.tiers,
            "tiers",
            &["innovative", "tech_sme", "srdi", "giant"],
        )?,
        sizes: picks(&form.sizes, "sizes", &["medium", "small", "micro", "large"])?,
        revenue_min,
        districts: picks(&form.districts, "districts", &district_refs)?,
        ecosystems: picks(
            &form.ecosystems,
            "ecosystems",
            zjtx_core::enterprise::ECOSYSTEMS,
        )?,
    };
    let text = |v: &str| v.trim().chars().take(200).collect::<String>();
    st.store
        .create_product(
            &NewProduct {
                institution_id: inst,
                name: name.to_owned(),
                kind: kind.to_owned(),
                min_amount,
                max_amount,
                term_min,
                term_max,
                rate_kind: rate_kind.to_owned(),
                rate_bp,
                collateral: collateral.join(","),
                repayment: text(&form.repayment),
                channel: text(&form.channel),
                eligibility: serde_json::to_string(&el)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            },
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/finance"))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    pub csrf: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn review_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let input = match f.decision.as_str() {
        "list" => product_flow::Step::List,
        "reject" => product_flow::Step::Reject {
            reason: f.reason.trim(),
        },
        _ => return Err(bad(i18n::t("请选择审核结论").into())),
    };
    let p = st.store.product(id).await?.ok_or(AppError::NotFound)?;
    let to = product_flow::step(p.status, product_flow::Seat::Reviewer, &input)
        .map_err(product_refused)?;
    let list = to == ProductStatus::Listed;
    let staff: Vec<i64> = st
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.institution_id == Some(p.institution_id))
        .map(|u| u.id)
        .collect();
    let link = format!("/finance/products/{id}");
    let text = i18n::both(|| i18n::f("产品“{}”：{}", &[&p.name, &kind_label(to.as_str())]));
    let msgs: Vec<Message> = staff.into_iter().map(|u| text.to(u, &link)).collect();
    st.store
        .review_product(id, list, f.reason.trim(), Some(user.user.id), &msgs)
        .await?;
    crate::mail::deliver(&st, &msgs);
    Ok(Redirect::to("/finance"))
}

pub async fn withdraw_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::CsrfOnly>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let inst = institution_of(&user)?;
    let p = st.store.product(id).await?.ok_or(AppError::NotFound)?;
    let seat = if p.institution_id == inst {
        product_flow::Seat::Owner
    } else {
        product_flow::Seat::Other
    };
    product_flow::step(p.status, seat, &product_flow::Step::Withdraw).map_err(product_refused)?;
    st.store
        .withdraw_product(id, inst, Some(user.user.id))
        .await?;
    Ok(Redirect::to("/finance"))
}

#[derive(Template, WebTemplate)]
#[template(path = "fin_product.html")]
pub struct ProductPage {
    pub tr: Tr,
    pub nav: Nav,
    pub v: ProductView,
    pub el: Vec<String>,
    pub mine: Option<MatchView>,
    pub needs: Vec<zjtx_store::Need>,
    pub eligible: Vec<(String, String)>,
    pub can_apply: bool,
}

/// `GET /finance/products/{id}`: a product; for an enterprise, how it matches; for its institution
/// (consenting firms only) and the bureau, the eligible enterprises.
pub async fn product_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<ProductPage, AppError> {
    let p = st.store.product(id).await?.ok_or(AppError::NotFound)?;
    let owner =
        user.user.institution_id == Some(p.institution_id) && user.user.role == Role::Institution;
    let listed = p.status == ProductStatus::Listed;
    let (el_spec, t) = (eligibility(&p), terms(&p));
    let mut el = Vec::new();
    if !el_spec.tiers.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("tier"),
            el_spec
                .tiers
                .iter()
                .map(|k| glossary::tier_short(k, lang()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    if !el_spec.sizes.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("size"),
            el_spec
                .sizes
                .iter()
                .map(|k| glossary::size_by_key(k, lang()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    if let Some(r) = el_spec.revenue_min {
        el.push(format!("{} ≥ {}", kind_label("revenue"), wan(Some(r))));
    }
    if !el_spec.districts.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("district"),
            el_spec.districts.join("、")
        ));
    }
    if !el_spec.ecosystems.is_empty() {
        el.push(format!(
            "{}：{}",
            kind_label("ecosystem"),
            el_spec
                .ecosystems
                .iter()
                .map(|e| glossary::ecosystem(e, lang()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    let (mut mine, mut needs, mut eligible) = (None, Vec::new(), Vec::new());
    match user.user.role {
        Role::Enterprise if listed => {
            let uscc = own_uscc(&user)?;
            let row = st.store.enterprise(uscc).await?.ok_or(AppError::NotFound)?;
            let m = fin::check(&el_spec, &t, &facts(&st, &row).await?, None);
            mine = Some(MatchView {
                eligible: m.eligible,
                met: m
                    .reasons
                    .iter()
                    .filter(|r| r.met)
                    .map(reason_text)
                    .collect(),
                missed: m
                    .reasons
                    .iter()
                    .filter(|r| !r.met)
                    .map(reason_text)
                    .collect(),
                p: p.clone(),
            });
            needs = st
                .store
                .needs(Some(uscc))
                .await?
                .into_iter()
                .filter(|n| n.status == "open")
                .collect();
        }
        Role::Institution if owner => {
            // Eligible on what the consents show: a firm whose consents leave a rule undecided
            // is not listed, and the decision uses nothing the firm has not shown this bank.
            let route = format!("product:{}", p.id);
            each_consenting(
                &st,
                user.user.id,
                p.institution_id,
                &route,
                |uscc, name, c| {
                    if fin::check(&el_spec, &t, &c.facts, None).eligible {
                        eligible.push((uscc.to_owned(), name.to_owned()));
                    }
                },
            )
            .await?;
        }
        Role::City => {
            // The bureau sees the whole registry; the first 200 eligible enterprises.
            let today = st.today().to_string();
            // What the list can decide exactly narrows it: the revenue floor, and a district, a
            // size or an ecosystem when the product names only one; the rest is checked per row.
            let one = |v: &[String]| (v.len() == 1).then(|| v[0].clone());
            let mut f = zjtx_store::Filter {
                per_page: 200,
                today: st.today(),
                revenue_min: el_spec.revenue_min,
                region: one(&el_spec.districts),
                size: one(&el_spec.sizes),
                ecosystem: one(&el_spec.ecosystems),
                ..Default::default()
            };
            loop {
                let page = st.store.list(&f, &zjtx_store::Scope::all()).await?;
                // The page's titles in one query.
                let codes: Vec<String> = page.items.iter().map(|r| r.uscc.clone()).collect();
                let titles = st.store.titles_in_force(&codes, &today).await?;
                for row in &page.items {
                    let held = titles
                        .iter()
                        .filter(|(u, _)| *u == row.uscc)
                        .map(|(_, t)| t.clone())
                        .collect();
                    if eligible.len() < 200
                        && fin::check(&el_spec, &t, &facts_from(row, held), None).eligible
                    {
                        eligible.push((row.uscc.clone(), row.name.clone()));
                    }
                }
                match page.next {
                    Some(n) if eligible.len() < 200 => f.after = Some(n),
                    _ => break,
                }
            }
        }
        _ if listed => {}
        _ => return Err(AppError::NotFound),
    }
    Ok(ProductPage {
        tr: Tr,
        nav: Nav::of(&user),
        can_apply: mine.as_ref().is_some_and(|m| m.eligible),
        v: product_view(p),
        el,
        mine,
        needs,
        eligible,
    })
}
