//! Platform benchmark (see docs/PERFORMANCE.md). Loads `ZJTX_BENCH_ENTERPRISES` generated
//! enterprises (default 1,000,000) into `ZJTX_BENCH_DATABASE_URL` (default a fresh SQLite file),
//! times the import of a 100,000-row template file through the same path as the browser's commit,
//! then serves the application on loopback and drives `ZJTX_BENCH_CLIENTS` keep-alive clients
//! (default 50) for `ZJTX_BENCH_SECONDS` (default 10) per page, reporting latency percentiles.
//! All traffic stays on 127.0.0.1; the load is bounded in time.

use std::time::{Duration, Instant};

// The server's allocator (as `zjtx`'s): the benchmark serves the application in its own process.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zjtx_core::rules::{Embedded, load_all};
use zjtx_store::{NewUser, Role, Store};
use zjtx_web::{AppState, auth};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One GET over a kept-alive connection; returns the status.
async fn get(conn: &mut BufReader<TcpStream>, path: &str, cookie: &str) -> std::io::Result<u16> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\n\r\n");
    conn.get_mut().write_all(req.as_bytes()).await?;
    // Read the head, then exactly Content-Length bytes of body.
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).await? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).await?;
    Ok(status)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn load(
    addrs: &[std::net::SocketAddr],
    cookie: &str,
    clients: usize,
    secs: u64,
    paths: &[String],
) -> (Vec<Duration>, usize) {
    let paths = std::sync::Arc::new(paths.to_vec());
    let each = move |c: usize, i: usize| paths[(c * 7919 + i) % paths.len()].clone();
    load_each(addrs, cookie, clients, secs, std::sync::Arc::new(each)).await
}

/// The path a client asks for at each step (its number, the step).
type PathOf = std::sync::Arc<dyn Fn(usize, usize) -> String + Send + Sync>;

/// `load` with each client's paths made by `path_of`.
async fn load_each(
    addrs: &[std::net::SocketAddr],
    cookie: &str,
    clients: usize,
    secs: u64,
    path_of: PathOf,
) -> (Vec<Duration>, usize) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let cookie = cookie.to_owned();
        let path_of = path_of.clone();
        // Clients spread over the instances in turn (a round-robin balancer's placement).
        let addr = addrs[c % addrs.len()];
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let Ok(stream) = TcpStream::connect(addr).await else {
                return (lat, 1);
            };
            let mut conn = BufReader::new(stream);
            let mut i = 0;
            while Instant::now() < deadline {
                let path = path_of(c, i);
                i += 1;
                let t = Instant::now();
                match get(&mut conn, &path, &cookie).await {
                    Ok(200) => lat.push(t.elapsed()),
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    all.sort();
    (all, errors)
}

fn report(what: &str, lat: &[Duration], secs: u64, errors: usize) {
    println!(
        "{what:<36} {:>7} requests, {:>6.0}/s, p50 {:>6.1} ms, p99 {:>6.1} ms, max {:>6.1} ms, errors {errors}",
        lat.len(),
        lat.len() as f64 / secs as f64,
        percentile(lat, 0.50),
        percentile(lat, 0.99),
        percentile(lat, 1.0),
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env("ZJTX_BENCH_ENTERPRISES", 1_000_000);
    let clients = env("ZJTX_BENCH_CLIENTS", 50);
    let secs = env("ZJTX_BENCH_SECONDS", 10) as u64;
    let dir = std::env::temp_dir().join(format!("zjtx-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let url = std::env::var("ZJTX_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    let store = Store::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
        .seed_reference()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rules = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
    let as_of = chrono::Local::now().date_naive();
    let rs = zjtx_core::rule_set_for(&rules, as_of).unwrap_or_else(|| panic!("no set"));
    println!(
        "backend {}, {n} enterprises, {clients} clients, {secs} s per page",
        store.backend()
    );

    // Load the database in imports of 100,000.
    let t = Instant::now();
    let mut generator = zjtx_core::synth::Generator::new(1, 2025);
    let mut loaded = 0;
    let (mut tagged, mut tagging) = (0, Duration::ZERO);
    while loaded < n {
        let k = (n - loaded).min(100_000);
        let rows: Vec<_> = generator
            .by_ref()
            .take(k)
            .map(|e| {
                let s = zjtx_core::evaluate(&e, rs, as_of);
                (e, s)
            })
            .collect();
        store
            .import(&rows, None, as_of)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .refresh_statistics()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let t_tags = Instant::now();
        let tags = zjtx_core::synth::chain_tags(rows.iter().map(|(e, _)| e));
        store
            .set_chains(&tags, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tagging += t_tags.elapsed();
        tagged += tags.len();
        loaded += k;
    }
    println!(
        "loaded {loaded} enterprises in {:.1} s, of which chain tags of {tagged} in {:.1} s",
        t.elapsed().as_secs_f64(),
        tagging.as_secs_f64()
    );

    // Import a 100,000-row file as the browser's commit does: read and check it, evaluate, store.
    let mut csv = Vec::new();
    zjtx_sheet::write::write_enterprises_csv(
        &mut csv,
        zjtx_core::synth::Generator::new(2, 2025).take(100_000),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::now();
    let whole = zjtx_sheet::read::read_whole("import.csv", csv).unwrap_or_else(|e| panic!("{e}"));
    assert!(whole.errors.is_empty());
    let rows: Vec<_> = whole
        .rows
        .into_iter()
        .map(|(_, e)| {
            let s = zjtx_core::evaluate(&e, rs, as_of);
            (e, s)
        })
        .collect();
    store
        .import(&rows, None, as_of)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "import of a 100,000-row file (read, check, evaluate, commit): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    store
        .refresh_statistics()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "statistics refreshed after it (the web runs this in the background): {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // A live PostgreSQL database is vacuumed by autovacuum after a bulk load; do it now, so that it
    // does not run during the measurement and index-only scans have their visibility map.
    let t = Instant::now();
    store.maintain().await.unwrap_or_else(|e| panic!("{e}"));
    println!(
        "maintenance after the load (VACUUM ANALYZE / PRAGMA optimize): {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // This instance's search index, built before serving (the server would build it at start,
    // during the first measurements): its time and what it adds to the process's memory.
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let (t, before) = (Instant::now(), rss());
    store.fresh_search().await.unwrap_or_else(|e| panic!("{e}"));
    println!(
        "search index built in {:.1} s, resident memory +{} MB",
        t.elapsed().as_secs_f64(),
        rss().saturating_sub(before) / 1024
    );

    // Serve, with a city account's session.
    let hash = auth::hash_password("bench-password-123").unwrap_or_else(|e| panic!("{e}"));
    let uid = store
        .add_user(&NewUser {
            username: "bench".into(),
            password_hash: hash,
            role: Role::City,
            region_code: Some("330100".into()),
            uscc: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = auth::random_token().unwrap_or_else(|e| panic!("{e}"));
    store
        .create_session(&auth::token_hash(&token), uid, "csrf", 3600)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = format!("{}={token}", auth::SESSION_COOKIE);
    let state = AppState::new(store.clone(), rules, false).unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zjtx_web::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));

    // Pages to ask for: filtered lists (and deep pages), and enterprise pages.
    let sample = store
        .list(
            &zjtx_store::Filter {
                per_page: 200,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_default();
    let codes: Vec<String> = sample.items.iter().map(|e| e.uscc.clone()).collect();
    let regions = ["330106", "330108", "330110", "330109", "330102"];
    let tiers = ["giant", "srdi", "innovative", "tech_sme", "none"];
    let mut lists: Vec<String> = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        lists.push(format!("/enterprises?region={r}"));
        lists.push(format!(
            "/enterprises?region={r}&top_tier={}",
            tiers[i % tiers.len()]
        ));
        lists.push(format!(
            "/enterprises?top_tier={}&after={}",
            tiers[i % tiers.len()],
            codes.get(i * 37).cloned().unwrap_or_default()
        ));
    }
    lists.push("/enterprises".into());
    let pages: Vec<String> = codes.iter().map(|c| format!("/enterprises/{c}")).collect();
    // One chain of each ecosystem, alone, with a district, and a deep page.
    let mut chain_lists: Vec<String> = Vec::new();
    for (i, eco) in zjtx_core::enterprise::ECOSYSTEMS.iter().enumerate() {
        let Some(c) = zjtx_core::enterprise::chains()
            .iter()
            .find(|c| c.ecosystem == *eco)
        else {
            continue;
        };
        let c = zjtx_web::common::urlencode(c.name);
        chain_lists.push(format!("/enterprises?chain={c}"));
        chain_lists.push(format!("/enterprises?chain={c}&region={}", regions[i]));
        chain_lists.push(format!(
            "/enterprises?chain={c}&after={}",
            codes.get(i * 37).cloned().unwrap_or_default()
        ));
    }
    // Searches through the index: two-character queries (common and rare), a longer one, one
    // that matches nothing, and one within a district.
    let searches: Vec<String> = [
        "科技",
        "西湖",
        "精密",
        "光电",
        "伺服",
        "医疗",
        "伺服电机",
        "鲸鱼",
        "科技&region=330106",
    ]
    .iter()
    .map(|q| {
        let (q, rest) = q.split_once('&').map_or((*q, ""), |(a, b)| (a, b));
        let sep = if rest.is_empty() { "" } else { "&" };
        format!(
            "/enterprises?q={}{sep}{rest}",
            zjtx_web::common::urlencode(q)
        )
    })
    .collect();

    // Searches combined with a condition the database decides (a size, a chain): the matches are
    // read in the index's order, a chunk at a time.
    let filtered_searches: Vec<String> = ["size=small", "top_tier=srdi"]
        .iter()
        .flat_map(|f| {
            ["科技", "光电", "伺服电机"]
                .iter()
                .map(move |q| format!("/enterprises?q={}&{f}", zjtx_web::common::urlencode(q)))
        })
        .collect();
    for (what, paths) in [
        ("enterprise list (filtered, paged)", &lists),
        ("enterprise page (scorecard)", &pages),
        ("list by chain (filtered, paged)", &chain_lists),
        ("search (2-4 characters)", &searches),
        (
            "search with a condition of the database's",
            &filtered_searches,
        ),
    ] {
        let (lat, errors) = load(&[addr], &cookie, clients, secs, paths).await;
        report(what, &lat, secs, errors);
    }
    // The same searches, each asked as the instance has not answered it before: a cursor of
    // the request's own that sorts before every match (rank 0, a code of digits), so that each
    // reads the first page afresh instead of recalling it (`search::Index::recalled`).
    let fresh: PathOf = {
        let searches = searches.clone();
        std::sync::Arc::new(move |c: usize, i: usize| {
            format!(
                "{}&after=0:{:018}",
                searches[(c * 7919 + i) % searches.len()],
                c * 1_000_000 + i
            )
        })
    };
    let (lat, errors) = load_each(&[addr], &cookie, clients, secs, fresh.clone()).await;
    report("search, each afresh", &lat, secs, errors);
    // Mixed: half the clients search while the other half read lists and enterprise pages — the
    // searches must not starve the rest.
    let mut plain = lists.clone();
    plain.extend(pages.iter().take(50).cloned());
    let half = (clients / 2).max(1);
    let one = [addr];
    let ((s_lat, s_err), (p_lat, p_err)) = tokio::join!(
        load_each(&one, &cookie, half, secs, fresh),
        load(&one, &cookie, half, secs, &plain),
    );
    report("mixed: searches (each afresh)", &s_lat, secs, s_err);
    report("mixed: lists and pages meanwhile", &p_lat, secs, p_err);

    // Screening by a bank to which `ZJTX_BENCH_CONSENTS` firms (default 10,000) consented: every
    // request reads all of them (one joined query), decides what each consent shows, logs every
    // read, and renders a page of 200.
    let consents = env("ZJTX_BENCH_CONSENTS", 10_000);
    let t = Instant::now();
    let bank = store
        .create_institution("基准银行", "bank", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bank_user = store
        .add_user(&NewUser {
            username: "bench-bank".into(),
            password_hash: auth::hash_password("bench-password-123")
                .unwrap_or_else(|e| panic!("{e}")),
            role: Role::Institution,
            region_code: None,
            uscc: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .set_institution("bench-bank", bank, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let today = chrono::Local::now().date_naive();
    let (from, until) = (
        today.to_string(),
        (today + chrono::Days::new(365)).to_string(),
    );
    let mut f = zjtx_store::Filter {
        per_page: 200,
        ..Default::default()
    };
    let mut granted = 0;
    while granted < consents {
        let page = store
            .list(&f, &zjtx_store::Scope::all())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for e in page.items.iter().take(consents - granted) {
            store
                .grant_consent(
                    &e.uscc,
                    bank,
                    "titles,evaluations,profile,financials",
                    granted % 4 == 0,
                    "授信",
                    &from,
                    &until,
                    None,
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            granted += 1;
        }
        match page.next {
            Some(n) => f.after = Some(n),
            None => break,
        }
    }
    println!(
        "{granted} consents granted to one bank in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // The planner's statistics after the grants, as autovacuum would refresh them on a live
    // database (PostgreSQL otherwise plans the screening for an empty table of consents).
    store
        .refresh_statistics()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = auth::random_token().unwrap_or_else(|e| panic!("{e}"));
    store
        .create_session(&auth::token_hash(&token), bank_user, "csrf", 3600)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bank_cookie = format!("{}={token}", auth::SESSION_COOKIE);
    let screenings: Vec<String> = [
        "",
        "?tier=srdi",
        "?region=330106",
        "?size=small",
        "?revenue_min=1000",
    ]
    .iter()
    .map(|q| format!("/finance/screen{q}"))
    .collect();
    let (lat, errors) = load(&[addr], &bank_cookie, clients, secs, &screenings).await;
    report(
        &format!("screening ({granted} consenting)"),
        &lat,
        secs,
        errors,
    );
    let _ = stop_tx.send(());
    let _ = server.await;

    // Scale-out (`ZJTX_BENCH_INSTANCES`, e.g. "1,2,4"): that many servers on the same database,
    // each with its own pool and state as a separate `zjtx serve` would have, the clients spread
    // over them in turn. (They share this process and its cores, as instances on one machine
    // share its cores.)
    let counts: Vec<usize> = std::env::var("ZJTX_BENCH_INSTANCES")
        .unwrap_or_default()
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .collect();
    let mut plain_pages: Vec<String> = lists.clone();
    plain_pages.extend(pages.iter().take(50).cloned());
    for k in counts {
        let mut addrs = Vec::new();
        let mut stops = Vec::new();
        let mut servers = Vec::new();
        let mut pools = Vec::new();
        for _ in 0..k {
            let s = Store::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            pools.push(s.db().clone());
            let rules = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
            s.fresh_search().await.unwrap_or_else(|e| panic!("{e}"));
            let state = AppState::new(s, rules, false).unwrap_or_else(|e| panic!("{e}"));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            addrs.push(listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            stops.push(tx);
            servers.push(tokio::spawn(zjtx_web::serve(listener, state, async move {
                let _ = rx.await;
            })));
        }
        for (what, paths, who) in [
            ("lists and enterprise pages", &plain_pages, &cookie),
            ("search", &searches, &cookie),
            ("screening", &screenings, &bank_cookie),
        ] {
            let (lat, errors) = load(&addrs, who, clients, secs, paths).await;
            report(&format!("{k} instance(s): {what}"), &lat, secs, errors);
        }
        for tx in stops {
            let _ = tx.send(());
        }
        for s in servers {
            let _ = s.await;
        }
        // The instances' connections closed, as their processes' exit would: the next round's
        // instances (k × 16 connections) and this process's own pool must fit in the server's
        // `max_connections` (100 by default), as OPERATIONS.md asks of a deployment. Without
        // this the rounds' pools added up and PostgreSQL refused connections at four instances.
        for p in pools {
            match p {
                zjtx_store::Db::Sqlite(p) => p.close().await,
                zjtx_store::Db::Postgres(p) => p.close().await,
            }
        }
    }
    // ZJTX_BENCH_KEEP=1 keeps the SQLite file, to look at query plans on the loaded data.
    if std::env::var("ZJTX_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
