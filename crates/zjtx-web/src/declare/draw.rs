//! The expert pool and the draw.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "experts.html")]
pub struct ExpertsPage {
    pub tr: Tr,
    pub nav: Nav,
    pub experts: Vec<zjtx_store::ExpertRow>,
}

pub async fn experts(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<ExpertsPage, AppError> {
    Ok(ExpertsPage {
        tr: Tr,
        nav: Nav::of(&user),
        experts: st.store.experts().await?,
    })
}

#[derive(Deserialize)]
pub struct ExpertForm {
    pub csrf: String,
    pub username: String,
    pub name: String,
    pub fields: String,
    pub employer: String,
    /// One per line: `USCC kind` (employment, shareholding, relation).
    pub conflicts: String,
}

pub async fn add_expert(
    State(st): State<AppState>,
    user: CurrentUser,
    Form(f): Form<ExpertForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let account = st
        .store
        .user_by_name(f.username.trim())
        .await?
        .filter(|u| u.role == Role::Expert)
        .ok_or_else(|| conflict(i18n::t("没有该专家账户（角色须为评审专家）")))?;
    let uscc = |s: &str, line: usize| {
        zjtx_core::ids::Uscc::parse(s.trim())
            .map(|u| u.to_string())
            .map_err(|e| AppError::BadRequest(i18n::f("利益冲突第 {} 行：{}", &[&line, &e])))
    };
    let employer = match f.employer.trim() {
        "" => None,
        s => Some(uscc(s, 0)?),
    };
    let mut conflicts = Vec::new();
    for (i, line) in f.conflicts.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (code, kind) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let kind = kind.trim();
        if !["employment", "shareholding", "relation"].contains(&kind) {
            return Err(AppError::BadRequest(i18n::f(
                "利益冲突第 {} 行：{}",
                &[
                    &(i + 1),
                    &i18n::t("类型应为 employment、shareholding 或 relation"),
                ],
            )));
        }
        conflicts.push((uscc(code, i + 1)?, kind.to_owned()));
    }
    let fields: Vec<&str> = f
        .fields
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if f.name.trim().is_empty() || fields.is_empty() {
        return Err(AppError::BadRequest(i18n::t("请填写姓名与评审领域").into()));
    }
    if f.name.trim().chars().count() > 100 || f.fields.chars().count() > 500 {
        return Err(AppError::BadRequest(i18n::t("内容过长").into()));
    }
    st.store
        .add_expert(
            account.id,
            f.name.trim(),
            &fields.join(","),
            employer.as_deref(),
            &conflicts,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to("/experts"))
}

#[derive(Deserialize)]
pub struct DrawForm {
    pub csrf: String,
}

/// Commits a fresh random seed for a batch's next draw round, unless one is committed: only its
/// SHA-256 is published until the draw reveals it, so nobody (the bureau included) can try seeds.
pub(super) async fn commit_next_seed(
    store: &zjtx_store::Store,
    batch: i64,
    actor: Option<i64>,
) -> Result<(), AppError> {
    let seed = auth::random_token()?;
    store
        .commit_seed(batch, &seed, &zjtx_core::draw::commitment(&seed), actor)
        .await?;
    Ok(())
}

/// Opens a batch: stores it and commits the seed of its first draw round.
pub async fn open_batch(
    store: &zjtx_store::Store,
    b: &NewBatch,
    actor: Option<i64>,
) -> Result<i64, AppError> {
    let id = store.create_batch(b, actor).await?;
    commit_next_seed(store, id, actor).await?;
    Ok(id)
}

/// Draws experts for every declaration the districts recommended, from a seed the bureau
/// publishes (say, a lottery result announced beforehand), and records inputs and result.
pub async fn draw(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<DrawForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&f.csrf)?;
    let b = batch_or_404(&st, id).await?;
    // The seed was committed before (when the batch opened, or at the last round): the draw
    // reveals it. A batch from before commitments gets one now, and draws after it.
    let Some((seed, _)) = st.store.next_seed(id).await? else {
        commit_next_seed(&st.store, id, Some(user.user.id)).await?;
        return Err(conflict(i18n::t(
            "已公布本轮随机种子的承诺值（SHA-256），请再次点击抽取",
        )));
    };
    let seed = seed.as_str();
    // Each round draws for the recommended declarations that have no experts yet.
    let mut cases: Vec<zjtx_core::draw::Case> = Vec::new();
    for d in st
        .store
        .declarations(id, &[Status::Recommended], None)
        .await?
    {
        if st.store.experts_of(d.id).await?.is_empty() {
            cases.push(zjtx_core::draw::Case {
                id: d.id,
                uscc: d.uscc,
                field: d.ecosystem,
            });
        }
    }
    if cases.is_empty() {
        return Err(conflict(i18n::t("没有待专家评审的申报")));
    }
    let experts: Vec<zjtx_core::draw::Expert> = st
        .store
        .experts()
        .await?
        .into_iter()
        .filter(|x| x.active)
        .map(|x| zjtx_core::draw::Expert {
            id: x.id,
            fields: x.fields.split(',').map(str::to_owned).collect(),
            conflicts: x.conflicts.into_iter().map(|(u, _)| u).collect(),
        })
        .collect();
    let k = usize::try_from(b.experts_per).unwrap_or(3);
    // Published without the firms' codes or the experts' ties: the same draw.
    let (cases, experts) = zjtx_core::draw::pseudonymise(&cases, &experts);
    let result = zjtx_core::draw::draw(seed, &cases, &experts, k);
    let inputs = draw_inputs_json(&cases, &experts);
    let result_json = serde_json::to_string(
        &result
            .iter()
            .map(|a| serde_json::json!({ "declaration": a.case, "experts": a.experts, "short": a.short, "by_field": a.by_field }))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let pairs: Vec<(i64, i64)> = result
        .iter()
        .flat_map(|a| a.experts.iter().map(move |e| (a.case, *e)))
        .collect();
    let next = auth::random_token()?;
    st.store
        .record_draw(
            id,
            seed,
            b.experts_per,
            &inputs,
            &result_json,
            &pairs,
            (&next, &zjtx_core::draw::commitment(&next)),
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/draws/{id}")))
}

pub(super) fn draw_inputs_json(
    cases: &[zjtx_core::draw::Case],
    experts: &[zjtx_core::draw::Expert],
) -> String {
    serde_json::json!({
        "declarations": cases.iter().map(|c| serde_json::json!({ "id": c.id, "uscc": c.uscc, "field": c.field })).collect::<Vec<_>>(),
        "experts": experts.iter().map(|e| serde_json::json!({ "id": e.id, "fields": e.fields, "conflicts": e.conflicts })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Reads a published draw's inputs back.
pub fn parse_draw_inputs(
    inputs: &str,
) -> Option<(Vec<zjtx_core::draw::Case>, Vec<zjtx_core::draw::Expert>)> {
    let v: serde_json::Value = serde_json::from_str(inputs).ok()?;
    let strings = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let cases = v["declarations"]
        .as_array()?
        .iter()
        .map(|c| {
            Some(zjtx_core::draw::Case {
                id: c["id"].as_i64()?,
                uscc: c["uscc"].as_str()?.to_owned(),
                field: c["field"].as_str().map(str::to_owned),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let experts = v["experts"]
        .as_array()?
        .iter()
        .map(|e| {
            Some(zjtx_core::draw::Expert {
                id: e["id"].as_i64()?,
                fields: strings(&e["fields"]),
                conflicts: strings(&e["conflicts"]),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((cases, experts))
}

pub struct DrawLine {
    pub declaration: i64,
    pub experts: Vec<(i64, String)>,
    pub short: bool,
}

/// One round of a draw, recomputed from its published record.
pub struct DrawRound {
    pub round: i64,
    pub seed: String,
    pub k: i64,
    pub lines: Vec<DrawLine>,
    pub reproduced: bool,
    pub inputs: String,
    /// The commitment published before the draw, and when; `None` for a draw from before
    /// commitments.
    pub commitment: Option<(String, String)>,
    /// Whether the revealed seed's SHA-256 is the commitment.
    pub committed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "draw.html")]
pub struct DrawPage {
    pub tr: Tr,
    pub b: Batch,
    pub rounds: Vec<DrawRound>,
    /// The next round's commitment, published and not yet revealed.
    pub next: Option<(i64, String, String)>,
}

pub(super) fn day_of(at: i64) -> String {
    crate::common::local_time(at, "%Y-%m-%d %H:%M")
}

/// Recomputes a round from its seed and inputs and compares it with the stored result.
pub(super) fn recompute(
    dr: &zjtx_store::DrawRow,
    commits: &[zjtx_store::SeedCommit],
) -> Result<DrawRound, AppError> {
    let (cases, experts) = parse_draw_inputs(&dr.inputs)
        .ok_or_else(|| AppError::Internal("draw inputs unreadable".into()))?;
    // Draws recorded before inputs were published pseudonymously are shown so too.
    let (cases, experts) = zjtx_core::draw::pseudonymise(&cases, &experts);
    let commitment = commits
        .iter()
        .find(|c| c.round == dr.round && c.committed_at <= dr.drawn_at);
    let again = zjtx_core::draw::draw(
        &dr.seed,
        &cases,
        &experts,
        usize::try_from(dr.k).unwrap_or(0),
    );
    let stored: serde_json::Value = serde_json::from_str(&dr.result).unwrap_or_default();
    let reproduced = stored.as_array().is_some_and(|a| {
        a.len() == again.len()
            && a.iter().zip(&again).all(|(s, x)| {
                s["declaration"].as_i64() == Some(x.case)
                    && s["experts"]
                        .as_array()
                        .map(|v| v.iter().filter_map(|e| e.as_i64()).collect::<Vec<_>>())
                        == Some(x.experts.clone())
            })
    });
    let lines = again
        .iter()
        .map(|a| DrawLine {
            declaration: a.case,
            experts: a
                .experts
                .iter()
                .map(|e| {
                    (
                        *e,
                        zjtx_core::draw::hex(&zjtx_core::draw::ticket(&dr.seed, a.case, *e)),
                    )
                })
                .collect(),
            short: a.short,
        })
        .collect();
    Ok(DrawRound {
        round: dr.round,
        seed: dr.seed.clone(),
        k: dr.k,
        lines,
        reproduced,
        inputs: draw_inputs_json(&cases, &experts),
        committed: commitment
            .is_some_and(|c| c.commitment == zjtx_core::draw::commitment(&dr.seed)),
        commitment: commitment.map(|c| (c.commitment.clone(), day_of(c.committed_at))),
    })
}

/// `GET /draws/{batch}`: the published draws of a batch, public, each round recomputed from its
/// seed on every view.
pub async fn draw_page(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<DrawPage, AppError> {
    let b = batch_or_404(&st, id).await?;
    let draws = st.store.draws_of(id).await?;
    let commits = st.store.seed_commits(id).await?;
    if draws.is_empty() && commits.is_empty() {
        return Err(AppError::NotFound);
    }
    let rounds = draws
        .iter()
        .map(|d| recompute(d, &commits))
        .collect::<Result<Vec<_>, _>>()?;
    let next = commits
        .iter()
        .find(|c| c.round == draws.len() as i64 + 1)
        .map(|c| (c.round, c.commitment.clone(), day_of(c.committed_at)));
    Ok(DrawPage {
        tr: Tr,
        b,
        rounds,
        next,
    })
}
