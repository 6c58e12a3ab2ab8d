//! The server's daily work (issue 18): due at the configured time, run by one of two instances
//! on one database, once a day, taken over when its instance died in it; what it does.

mod common;
use common::*;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use zjtx_store::Store;
use zjtx_web::AppState;
use zjtx_web::schedule::{Schedule, run_due};

fn at(day: NaiveDate, hh: u32) -> chrono::DateTime<chrono::Utc> {
    // The test binary sets no zone: local time is the host's, as the clock reads it.
    let local = NaiveDateTime::new(day, NaiveTime::from_hms_opt(hh, 0, 0).unwrap_or_default());
    let offset = zjtx_store::Clock::local(chrono::Utc::now())
        .signed_duration_since(chrono::Utc::now().naive_utc());
    chrono::DateTime::from_naive_utc_and_offset(local - offset, chrono::Utc)
}

#[tokio::test]
async fn the_daily_work_runs_once_a_day_on_one_instance() {
    let w = world("schedule").await;
    let store = &w.state.store;
    // A second instance: its own connections and clock, the same database.
    let path = std::env::temp_dir().join(format!(
        "zjtx-web-test-{}-schedule/t.db",
        std::process::id()
    ));
    let other_store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let other =
        AppState::new(other_store, w.state.rules.to_vec(), false).unwrap_or_else(|e| panic!("{e}"));
    let d = NaiveDate::from_ymd_opt(2026, 6, 10).unwrap_or_default();
    for s in [&w.state, &other] {
        s.set_today(Some(d));
    }
    let sched = |owner: &str| Schedule {
        daily_at: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default(),
        // Retention on: nothing here is old enough to go.
        audit_days: 180,
        base_url: "https://zjtx.example".into(),
        owner: owner.into(),
    };

    // What the day has to do: a consent that ended yesterday, a title whose re-review window
    // opens today (its last six months), an upload never confirmed.
    let bank = the_bank(&w, "测试银行").await;
    // One ended yesterday; one still runs.
    for until in ["2026-06-09", "2026-12-31"] {
        store
            .grant_consent(
                &w.xihu_firm,
                bank,
                "basic",
                false,
                "融资对接",
                "2026-01-01",
                until,
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sql(
        store,
        &format!(
            "INSERT INTO titles (uscc, tier, valid_until) VALUES ('{}', 'srdi', '2026-12-10') \
         ON CONFLICT (uscc, tier) DO UPDATE SET valid_until = excluded.valid_until",
            w.xihu_firm
        ),
    )
    .await;
    let firm = store
        .user_by_name("firm")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no firm account"));
    store
        .put_pending_import("old-upload", firm.id, "a.csv", b"uscc\n")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sql(
        store,
        "UPDATE pending_imports SET created_at = created_at - 7200",
    )
    .await;

    // Before the hour: nothing.
    assert_eq!(
        run_due(&w.state, &sched("a:1"), at(d, 7))
            .await
            .ok()
            .flatten(),
        None
    );

    // Both instances at once, after the hour: one runs it.
    let (sa, sb) = (sched("a:1"), sched("b:2"));
    let (a, b) = tokio::join!(
        run_due(&w.state, &sa, at(d, 8)),
        run_due(&other, &sb, at(d, 8))
    );
    let ran: Vec<_> = [a, b]
        .into_iter()
        .filter_map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(ran.len(), 1, "exactly one instance ran the day: {ran:?}");
    // The titles ending in six months (the window opens) or in 30 days (the update reminder),
    // among them the one above.
    let due_titles = |day: NaiveDate| async move {
        let mut n = 0;
        for end in [day + chrono::Months::new(6), day + chrono::Days::new(30)] {
            n += store
                .titles_ending_on(&end.to_string())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .len();
        }
        n
    };
    let r = &ran[0];
    assert_eq!(
        (r.consents_ended, r.titles_reminded, r.imports_purged),
        (1, due_titles(d).await, 1),
        "{r:?}"
    );
    assert!(r.titles_reminded >= 1);
    assert_eq!(r.audit_removed, 0);
    let texts = |id: i64| async move {
        store
            .notifications(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|n| (n.text, n.link))
            .collect::<Vec<_>>()
    };
    let told = texts(firm.id).await;
    assert_eq!(
        told.iter()
            .filter(|(t, _)| t.contains("测试银行") && t.contains("2026-06-09 到期"))
            .count(),
        1,
        "{told:?}"
    );
    assert!(
        told.iter()
            .any(|(t, l)| t.contains("称号将于 2026-12-10 到期")
                && *l == format!("/titles/{}", w.xihu_firm)),
        "{told:?}"
    );
    let staff = store
        .user_by_name("bank")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no bank account"));
    assert_eq!(texts(staff.id).await.len(), 1, "the bank's staff told once");
    assert!(
        store
            .pending_import("old-upload", firm.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );

    // Later the same day, on either instance: not again.
    for (s, o) in [(&w.state, "a:1"), (&other, "b:2")] {
        assert_eq!(run_due(s, &sched(o), at(d, 20)).await.ok().flatten(), None);
    }
    assert_eq!(texts(staff.id).await.len(), 1);

    // The next day runs again (nothing ended yesterday this time).
    let next = d.succ_opt().unwrap_or_default();
    for s in [&w.state, &other] {
        s.set_today(Some(next));
    }
    let r = run_due(&other, &sched("b:2"), at(next, 8))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the next day did not run"));
    assert_eq!(
        (r.consents_ended, r.titles_reminded),
        (0, due_titles(next).await)
    );

    // An instance that died in its run: after an hour another takes the day over.
    let day = next.to_string();
    sql(store, &format!(
        "UPDATE scheduled_runs SET finished_at = NULL, outcome = NULL, started_at = started_at - 600 WHERE day = '{day}'"
    ))
    .await;
    assert_eq!(
        run_due(&w.state, &sched("a:1"), at(next, 9))
            .await
            .ok()
            .flatten(),
        None,
        "not yet stale"
    );
    sql(
        store,
        &format!("UPDATE scheduled_runs SET started_at = started_at - 7200 WHERE day = '{day}'"),
    )
    .await;
    assert!(
        run_due(&w.state, &sched("a:1"), at(next, 9))
            .await
            .ok()
            .flatten()
            .is_some()
    );
    let runs = store
        .scheduled_runs()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].owner.as_str(), runs[0].day.as_str()),
        ("a:1", day.as_str())
    );
    assert!(
        runs[0]
            .outcome
            .as_deref()
            .unwrap_or_default()
            .contains("\"consents_ended\":0")
    );
}
