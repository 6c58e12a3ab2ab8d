//! The bulk exchange through HTTP: the registry's changes page by page with a cursor (every firm
//! once, then nothing until something changes, then only that), as NDJSON or CSV, within the
//! caller's scope; the titles in force; bad parameters refused as problems; other roles refused.

mod common;
use common::*;

use axum::http::{StatusCode, header};
use std::collections::BTreeSet;
use tower::ServiceExt;
use zjtx_store::Scope;

struct Page {
    status: StatusCode,
    lines: Vec<String>,
    next: String,
    more: bool,
    content_type: String,
}

async fn page(w: &World, path: &str, token: &str) -> Page {
    let res = zjtx_web::router(w.state.clone())
        .oneshot(json_req("GET", path, Some(token), None))
        .await
        .unwrap_or_else(|e| match e {});
    let head = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, next, more, content_type) = (
        res.status(),
        head("x-next-cursor"),
        head("x-more") == "true",
        head(header::CONTENT_TYPE.as_str()),
    );
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    Page {
        status,
        lines: String::from_utf8_lossy(&body)
            .lines()
            .map(str::to_owned)
            .collect(),
        next,
        more,
        content_type,
    }
}

fn code(line: &str) -> String {
    serde_json::from_str::<serde_json::Value>(line).unwrap_or_default()["uscc"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_registry_is_exchanged_by_cursor_within_scope() {
    let mut w = world("exchange").await;
    w.state.exchange_settle_secs = 1;
    let store = w.state.store.clone();
    // Changes are handed out once their second has passed.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let city = api_token(&w, "city").await;
    let all: BTreeSet<String> = store
        .changed_since(&Scope::all(), None, i64::MAX, 100_000)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(e, _)| e.uscc)
        .collect();
    assert!(all.len() >= 100, "{}", all.len());

    // Page by page: every firm once.
    let mut seen = Vec::new();
    let mut since = String::new();
    let mut pages = 0;
    loop {
        let p = page(
            &w,
            &format!("/api/v1/exchange/enterprises?limit=50&since={since}"),
            &city,
        )
        .await;
        assert_eq!(p.status, StatusCode::OK);
        assert_eq!(p.content_type, "application/x-ndjson");
        seen.extend(p.lines.iter().map(|l| code(l)));
        since = p.next;
        pages += 1;
        if !p.more {
            break;
        }
        assert_eq!(p.lines.len(), 50);
    }
    assert_eq!(pages, all.len().div_ceil(50));
    assert_eq!(seen.len(), all.len(), "each once");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), all);
    // Nothing new: nothing, and the same cursor.
    let p = page(
        &w,
        &format!("/api/v1/exchange/enterprises?since={since}"),
        &city,
    )
    .await;
    assert!(p.lines.is_empty() && !p.more);
    assert_eq!(p.next, since);
    // A firm moves district: the next call carries it alone.
    store
        .move_enterprise(&w.other_firm, "330106", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let p = page(
        &w,
        &format!("/api/v1/exchange/enterprises?since={since}"),
        &city,
    )
    .await;
    assert_eq!(
        p.lines.iter().map(|l| code(l)).collect::<Vec<_>>(),
        vec![w.other_firm.clone()]
    );
    let moved: serde_json::Value = serde_json::from_str(&p.lines[0]).unwrap_or_default();
    assert_eq!(moved["region_code"], "330106");

    // CSV: a header, then the same rows.
    let p = page(&w, "/api/v1/exchange/enterprises?format=csv&limit=5", &city).await;
    assert!(p.content_type.starts_with("text/csv"));
    assert!(p.lines[0].starts_with("uscc,name,region_code"));
    assert_eq!(p.lines.len(), 6);

    // A district sees its own firms only: exactly its registry.
    let xihu = api_token(&w, "xihu").await;
    let p = page(&w, "/api/v1/exchange/enterprises", &xihu).await;
    let scope = Scope {
        regions: Some(
            store
                .region_and_below("330106")
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        uscc: None,
    };
    let own: BTreeSet<String> = store
        .changed_since(&scope, None, i64::MAX, 100_000)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(e, _)| e.uscc)
        .collect();
    assert!(!own.is_empty() && own.len() < all.len());
    assert_eq!(
        p.lines.iter().map(|l| code(l)).collect::<BTreeSet<_>>(),
        own
    );

    // Titles in force: as many lines as the store holds.
    let want = store
        .titles_in_scope(&Scope::all(), &w.state.today().to_string())
        .await
        .unwrap_or_default()
        .len();
    let p = page(&w, "/api/v1/exchange/titles", &city).await;
    assert!(want > 0);
    assert_eq!(p.lines.len(), want);

    // Bad parameters are problems; other roles are refused.
    for q in ["limit=0", "limit=x", "since=garbage", "format=xml"] {
        let p = page(&w, &format!("/api/v1/exchange/enterprises?{q}"), &city).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(p.content_type, "application/problem+json", "{q}");
    }
    for who in ["firm", "bank"] {
        let t = api_token(&w, who).await;
        let p = page(&w, "/api/v1/exchange/enterprises", &t).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{who}");
    }
}

/// Titles: a snapshot with the cursor it leaves off at, then only what changed after it — a
/// revoked firm's titles as removed — within the caller's scope; bad cursors refused.
#[tokio::test]
async fn titles_are_exchanged_as_a_snapshot_then_by_their_changes() {
    let mut w = world("exchange-titles").await;
    w.state.exchange_settle_secs = 1;
    let store = w.state.store.clone();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let city = api_token(&w, "city").await;
    let today = w.state.today().to_string();
    let held = store
        .titles_in_scope(&Scope::all(), &today)
        .await
        .unwrap_or_default();
    assert!(!held.is_empty());

    // The snapshot, and nothing after its cursor yet.
    let snap = page(&w, "/api/v1/exchange/titles", &city).await;
    assert_eq!(snap.lines.len(), held.len());
    assert!(!snap.next.is_empty(), "a cursor");
    let after = format!("/api/v1/exchange/title-changes?since={}", snap.next);
    let p = page(&w, &after, &city).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.lines.is_empty() && !p.more, "{:?}", p.lines);
    assert_eq!(p.next, snap.next);

    // From the start, by pages: every title held, each once.
    let mut seen = Vec::new();
    let mut since = String::new();
    loop {
        let p = page(
            &w,
            &format!("/api/v1/exchange/title-changes?limit=7&since={since}"),
            &city,
        )
        .await;
        assert_eq!(p.content_type, "application/x-ndjson");
        for l in &p.lines {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            seen.push((code(l), v["tier"].as_str().unwrap_or_default().to_owned()));
        }
        since = p.next;
        if !p.more {
            break;
        }
    }
    // Every title the registry holds, expired ones too (each with its date).
    let mut want: Vec<(String, String)> = store
        .titles_in_scope(&Scope::all(), "1900-01-01")
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.uscc, t.tier))
        .collect();
    assert!(want.len() > held.len());
    want.sort();
    seen.sort();
    assert_eq!(seen, want);

    // A firm's titles revoked: after the snapshot's cursor, exactly its titles, as removed.
    let firm = held[0].uscc.clone();
    let its: usize = held.iter().filter(|t| t.uscc == firm).count();
    store
        .revoke(&firm, "弄虚作假", "2029-12-31", None, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let p = page(&w, &after, &city).await;
    assert_eq!(p.lines.len(), its, "{:?}", p.lines);
    for l in &p.lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
        assert_eq!(v["uscc"], firm.as_str());
        assert_eq!(v["removed"], true);
        assert!(v["valid_until"].is_null());
    }

    // A district reads its own firms' changes only.
    let xihu = api_token(&w, "xihu").await;
    let p = page(&w, "/api/v1/exchange/title-changes", &xihu).await;
    let firms = store
        .region_and_below("330106")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for l in &p.lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
        assert!(firms.iter().any(|r| v["region_code"] == r.as_str()), "{l}");
    }
    for q in ["since=1.x.srdi", "since=garbage", "limit=0", "format=csv"] {
        let p = page(&w, &format!("/api/v1/exchange/title-changes?{q}"), &city).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{q}");
    }
}
