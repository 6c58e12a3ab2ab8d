//! The work the server does by itself once a day (issue 18), at `schedule.daily_at` in the zone
//! of deadlines: the reviewers' digest and the enterprises' deadline reminders (what `zjtx
//! digest` sends), notices of consents that ended, reminders of titles coming to their end,
//! removal of uploads never confirmed, and the audit log's retention. However many instances
//! serve, one runs it each day: the day is claimed in the database (`Store::claim_run`), and a
//! claim whose instance died in the run is taken over after `STALE_SECS`.

use chrono::{NaiveDate, NaiveTime};
use zjtx_store::{Message, Store, StoreError};

use crate::{AppState, i18n};

/// The daily job's name in `scheduled_runs`.
pub const DAILY: &str = "daily";
/// A claimed run not finished after this long is taken over by another instance.
pub const STALE_SECS: i64 = 3600;

/// What the configuration says of the schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub daily_at: NaiveTime,
    /// Audit records older than this many days are removed (0: kept).
    pub audit_days: i64,
    /// Links in e-mails.
    pub base_url: String,
    /// This instance's name in the claims: host and process.
    pub owner: String,
}

impl Schedule {
    pub fn from_config(c: &crate::config::Config) -> Schedule {
        Schedule {
            daily_at: NaiveTime::parse_from_str(c.get("schedule.daily_at"), "%H:%M")
                .unwrap_or_default(),
            audit_days: c.int("retention.audit_days"),
            base_url: c.get("server.base_url").trim_end_matches('/').to_owned(),
            owner: owner(),
        }
    }
}

/// host:pid.
pub fn owner() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// What a day's run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Reviewers and enterprises given their digest or reminders.
    pub told: usize,
    pub mailed: usize,
    pub consents_ended: usize,
    pub titles_reminded: usize,
    pub imports_purged: u64,
    pub audit_removed: u64,
}

/// Runs the day's work if it is due at `now` and no other instance has: the report when this
/// instance ran it.
pub async fn run_due(
    st: &AppState,
    sched: &Schedule,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Report>, StoreError> {
    if zjtx_store::Clock::local(now).time() < sched.daily_at {
        return Ok(None);
    }
    let today = st.today();
    let day = today.to_string();
    if !st
        .store
        .claim_run(DAILY, &day, &sched.owner, STALE_SECS)
        .await?
    {
        return Ok(None);
    }
    tracing::info!(%day, owner = %sched.owner, "scheduled: the daily work starts");
    let done = daily(st, sched, today).await;
    let outcome = match &done {
        Ok(r) => serde_json::to_string(r).unwrap_or_default(),
        Err(e) => format!("failed: {e}"),
    };
    st.store
        .finish_run(DAILY, &day, &sched.owner, &outcome)
        .await?;
    st.store
        .audit(None, "scheduled_daily", Some(&day), &outcome)
        .await?;
    match &done {
        Ok(_) => tracing::info!(%day, outcome, "scheduled: the daily work is done"),
        Err(e) => tracing::error!(%day, error = %e, "scheduled: the daily work failed"),
    }
    done.map(Some)
}

/// The day's work itself.
pub async fn daily(
    st: &AppState,
    sched: &Schedule,
    today: NaiveDate,
) -> Result<Report, StoreError> {
    i18n::with_lang(i18n::Lang::Zh, async {
        let mut r = Report::default();
        (r.told, r.mailed) = crate::declare::digest(
            &st.store,
            &st.rules,
            st.mailer.as_deref(),
            today,
            &sched.base_url,
        )
        .await?;
        r.consents_ended = consents_ended(&st.store, today).await?;
        r.titles_reminded = titles_ending(st, today).await?;
        r.imports_purged = st.store.purge_pending_imports().await?;
        // The database's notes of changes for the kept screenings (`finance::ScreenCache`).
        st.store
            .forget_subject_changes(zjtx_store::now() - zjtx_store::SUBJECT_CHANGES_KEPT_SECS)
            .await?;
        if sched.audit_days > 0 {
            r.audit_removed = st
                .store
                .retire_audit(zjtx_store::now() - sched.audit_days * 86_400)
                .await?;
        }
        Ok(r)
    })
    .await
}

/// Tells each firm and the institution's staff of a consent whose last day was yesterday.
async fn consents_ended(store: &Store, today: NaiveDate) -> Result<usize, StoreError> {
    let Some(yesterday) = today.pred_opt() else {
        return Ok(0);
    };
    let ended = store.consents_ended_on(&yesterday.to_string()).await?;
    for c in &ended {
        let (firm, _) = store.recipients(&c.uscc, None).await?;
        let to_firm = i18n::both(|| {
            i18n::f(
                "您对“{}”的数据授权已于 {} 到期，机构已不能查看您的数据；如需继续对接，请重新授权",
                &[&c.institution, &yesterday],
            )
        });
        let to_staff =
            i18n::both(|| i18n::f("“{}”对本机构的数据授权已于 {} 到期", &[&c.firm, &yesterday]));
        let mut msgs: Vec<Message> = firm.iter().map(|id| to_firm.to(*id, "/finance")).collect();
        msgs.extend(c.staff.iter().map(|id| to_staff.to(*id, "/finance")));
        store.notify(&msgs).await?;
    }
    Ok(ended.len())
}

/// Reminds a titled firm on the day its title's re-review window opens and again
/// `remind_update_days` before the title ends.
async fn titles_ending(st: &AppState, today: NaiveDate) -> Result<usize, StoreError> {
    let Some(rs) = zjtx_core::rule_set_for(&st.rules, today).or(st.rules.first()) else {
        return Ok(0);
    };
    let window = rs.titles.rereview_window_months;
    let mut days = vec![today + chrono::Months::new(window)];
    let soon = today + chrono::Days::new(u64::from(rs.common.declaration.remind_update_days));
    if !days.contains(&soon) {
        days.push(soon);
    }
    let mut told = 0;
    for day in days {
        for (uscc, tier) in st.store.titles_ending_on(&day.to_string()).await? {
            let (firm, _) = st.store.recipients(&uscc, None).await?;
            let text = i18n::both(|| {
                i18n::f(
                    "{}称号将于 {} 到期；有效期最后 {} 个月内可申请复核",
                    &[
                        &zjtx_core::glossary::tier_short(&tier, i18n::lang()),
                        &day,
                        &window,
                    ],
                )
            });
            let link = format!("/titles/{uscc}");
            let msgs: Vec<Message> = firm.iter().map(|id| text.to(*id, &link)).collect();
            st.store.notify(&msgs).await?;
            told += 1;
        }
    }
    Ok(told)
}

/// Checks every minute whether the day's work is due (from the configuration's `schedule.*`).
pub fn spawn(st: AppState, sched: Schedule) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_due(&st, &sched, chrono::Utc::now()).await {
                tracing::error!(error = %e, "scheduled: the check failed; next minute");
            }
        }
    })
}
