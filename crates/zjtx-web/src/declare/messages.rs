//! Messages and the expert's queue.

use super::*;

/// A declaration waiting for a reviewer, with its deadline.
pub struct QueueItem {
    pub d: Declaration,
    pub batch: String,
    pub deadline: String,
    pub overdue: bool,
}

/// What waits for a reviewer today: for a district office, the submitted declarations of its
/// district; for the city, what districts recommended; for an expert, the declarations drawn for
/// them and not yet scored. Archived batches are done.
pub async fn queue_for(
    store: &zjtx_store::Store,
    user: &zjtx_store::User,
    today: NaiveDate,
) -> Result<Vec<QueueItem>, StoreError> {
    let batches: Vec<Batch> = store
        .batches()
        .await?
        .into_iter()
        .filter(|b| !b.archived)
        .collect();
    let item = |d: Declaration, b: &Batch, deadline: &str| QueueItem {
        overdue: date(deadline).is_some_and(|l| today > l),
        deadline: deadline.to_owned(),
        batch: b.title.clone(),
        d,
    };
    let mut out = Vec::new();
    match user.role {
        Role::District => {
            let regions = match &user.region_code {
                Some(r) => store.region_and_below(r).await?,
                None => Vec::new(),
            };
            for b in &batches {
                for d in store
                    .declarations(b.id, &[Status::Submitted], Some(&regions))
                    .await?
                {
                    out.push(item(d, b, &b.district_until));
                }
            }
        }
        Role::City => {
            for b in &batches {
                for d in store
                    .declarations(b.id, &[Status::Recommended], None)
                    .await?
                {
                    out.push(item(d, b, &b.city_until));
                }
            }
        }
        Role::Expert => {
            if let Some(x) = store.expert_of_user(user.id).await? {
                for d in store.assigned_to(x).await? {
                    let scored = store
                        .reviews(d.id)
                        .await?
                        .iter()
                        .any(|r| r.level == ReviewLevel::Expert && r.reviewer_id == user.id);
                    if d.status != Status::Recommended || scored {
                        continue;
                    }
                    if let Some(b) = batches.iter().find(|b| b.id == d.batch_id) {
                        out.push(item(d, b, &b.city_until));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// An enterprise's deadlines coming up: a draft (or a returned declaration) due within seven days,
/// and the yearly update of a title granted here due within thirty days and not yet made.
pub async fn reminders_for(
    store: &zjtx_store::Store,
    rules: &[zjtx_core::RuleSet],
    user: &zjtx_store::User,
    today: NaiveDate,
) -> Result<Vec<(i18n::Said, String)>, StoreError> {
    let Some(uscc) = user.uscc.as_deref() else {
        return Ok(Vec::new());
    };
    let Some(horizons) = rules.first().map(|r| &r.common.declaration) else {
        return Ok(Vec::new());
    };
    let within = |days: u32| today + chrono::Days::new(u64::from(days));
    let mut out = Vec::new();
    for d in store.declarations_of(uscc).await? {
        let Some(b) = store.batch(d.batch_id).await? else {
            continue;
        };
        let due = match d.status {
            Status::Draft => &b.declare_until,
            Status::Returned => &b.district_until,
            _ => continue,
        };
        if !b.archived
            && date(due)
                .is_some_and(|l| today <= l && l <= within(horizons.remind_declaration_days))
        {
            out.push((
                i18n::both(|| i18n::f("申报“{}”将于 {} 截止，尚未提交", &[&b.title, due])),
                format!("/declarations/{}", d.id),
            ));
        }
    }
    let year = today.year() - 1;
    let events = store.title_events(uscc).await?;
    for dec in store.decisions_of(uscc).await? {
        let holds = store
            .titles(uscc)
            .await?
            .iter()
            .any(|(t, u)| *t == dec.tier && date(u).is_some_and(|u| u >= today));
        let done = events.iter().any(|e| {
            e.tier == dec.tier && e.kind == Event::Update && e.year == Some(i64::from(year))
        });
        if let Some(due) = update_deadline(rules, &dec.rules, year)
            && holds
            && owes_update(dec.valid_from.as_deref(), year)
            && !done
            && today <= due
            && due <= within(horizons.remind_update_days)
        {
            out.push((
                i18n::both(|| i18n::f("请在 {} 前完成 {} 年度信息更新", &[&due, &year])),
                format!("/titles/{uscc}"),
            ));
        }
    }
    Ok(out)
}

/// The daily digest: every enabled reviewer with something waiting gets an in-app message and,
/// with a mailer and an address, an e-mail listing it. Returns (reviewers told, e-mails sent).
pub async fn digest(
    store: &zjtx_store::Store,
    rules: &[zjtx_core::RuleSet],
    mailer: Option<&crate::mail::Mailer>,
    today: NaiveDate,
    base_url: &str,
) -> Result<(usize, usize), StoreError> {
    let (mut told, mut mailed) = (0, 0);
    for u in store.users().await? {
        if u.disabled {
            continue;
        }
        if u.role == Role::Enterprise {
            let reminders = reminders_for(store, rules, &u, today).await?;
            if !reminders.is_empty() {
                let msgs: Vec<Message> = reminders
                    .iter()
                    .map(|(text, link)| text.to(u.id, link))
                    .collect();
                store.notify(&msgs).await?;
                told += 1;
                if let (Some(m), Some(to)) = (mailer, u.email.as_deref()) {
                    let body: String = reminders
                        .iter()
                        .map(|(t, l)| format!("{}\n{base_url}{l}\n", t.zh))
                        .collect();
                    match m
                        .send(to, &format!("ZJTX: {}", reminders[0].0.zh), &body)
                        .await
                    {
                        Ok(()) => mailed += 1,
                        Err(e) => tracing::warn!(error = %e, "digest: an e-mail was not sent"),
                    }
                }
            }
            continue;
        }
        if !matches!(u.role, Role::District | Role::City | Role::Expert) {
            continue;
        }
        let queue = queue_for(store, &u, today).await?;
        if queue.is_empty() {
            continue;
        }
        let overdue = queue.iter().filter(|q| q.overdue).count();
        let said = i18n::both(|| {
            i18n::f(
                "今日待办：{} 份申报，其中逾期 {} 份",
                &[&queue.len(), &overdue],
            )
        });
        let text = said.zh.clone();
        store.notify(&[said.to(u.id, "/messages")]).await?;
        told += 1;
        if let (Some(m), Some(to)) = (mailer, u.email.as_deref()) {
            let body: String = queue
                .iter()
                .map(|q| {
                    format!(
                        "{} · {} · {} {}{}\n{base_url}/declarations/{}\n",
                        q.batch,
                        q.d.name,
                        i18n::t("截止"),
                        q.deadline,
                        if q.overdue { " !" } else { "" },
                        q.d.id
                    )
                })
                .collect();
            match m.send(to, &format!("ZJTX: {text}"), &body).await {
                Ok(()) => mailed += 1,
                Err(e) => tracing::warn!(error = %e, "digest: an e-mail was not sent"),
            }
        }
    }
    Ok((told, mailed))
}

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
pub struct MessagesPage {
    pub tr: Tr,
    pub nav: Nav,
    /// Each message with when it was sent (local time).
    pub items: Vec<(zjtx_store::Notification, String)>,
    /// How many were unread before this page was opened (they are read now).
    pub unread: usize,
    pub queue: Vec<QueueItem>,
}

/// `GET /messages`: what waits for the user (reviewers' queues, with deadlines and overdue
/// marks) and their messages (marked read on view).
pub async fn messages(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<MessagesPage, AppError> {
    let items = st.store.notifications(user.user.id).await?;
    st.store.mark_read(user.user.id).await?;
    let queue = queue_for(&st.store, &user.user, st.today()).await?;
    // Read now: the header's badge counted them before this page marked them.
    let mut nav = Nav::of(&user);
    nav.unread = 0;
    Ok(MessagesPage {
        tr: Tr,
        nav,
        unread: items.iter().filter(|m| !m.read).count(),
        items: items
            .into_iter()
            .map(|m| {
                let at = crate::common::local_time(m.created_at, "%Y-%m-%d %H:%M");
                (m, at)
            })
            .collect(),
        queue,
    })
}
