//! The platform commands: `serve`, `migrate`, `demo` and `user`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::Datelike;
use zjtx_core::rules::{Embedded, load_all};
use zjtx_store::{NewUser, Role, Store};
use zjtx_web::AppState;

/// Where the database is: `DATABASE_URL`, else a SQLite file in the data directory.
#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://… (default: a SQLite file in --data).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Data directory of the embedded SQLite database.
    #[arg(long, default_value = "./zjtx-demo")]
    pub data: PathBuf,
    /// Connections in the pool (`database.pool_size`; default: the backend's).
    #[arg(skip)]
    pub pool: Option<u32>,
}

impl DbArgs {
    pub fn url(&self) -> Result<String> {
        if let Some(u) = &self.database_url {
            return Ok(u.clone());
        }
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("failed to create {}", self.data.display()))?;
        Ok(format!("sqlite://{}", self.data.join("zjtx.db").display()))
    }

    pub async fn open(&self) -> Result<Store> {
        let url = self.url()?;
        let store = Store::connect_sized(&url, self.pool)
            .await
            .context("failed to open the database")?;
        store
            .migrate()
            .await
            .context("failed to run the migrations")?;
        store
            .seed_reference()
            .await
            .context("failed to seed the reference data")?;
        Ok(store)
    }
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from standard input (one line) unless --password.
    Add {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Region (division code) of a district account.
        #[arg(long)]
        region: Option<String>,
        /// The enterprise (USCC) of an enterprise account.
        #[arg(long)]
        uscc: Option<String>,
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a new password (read from standard input unless --password); ends every session of
    /// the account.
    Passwd {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Remove an account's second factor (a lost phone): its next sign-in enrols again where its
    /// role requires one.
    TotpReset { username: String },
    /// Set an account's e-mail address (messages also go there when ZJTX_SMTP is set); an empty
    /// address removes it.
    Email { username: String, address: String },
    /// List the accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        format!("{s:?} is not one of city, district, enterprise, institution, provider, expert")
    })
}

fn read_password(given: Option<String>, username: &str) -> Result<String> {
    let pw = match given {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("failed to read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    zjtx_web::password::check(&pw, username).map_err(|w| anyhow::anyhow!(w.english()))?;
    Ok(pw)
}

pub async fn user(db: &DbArgs, cmd: UserCommand) -> Result<()> {
    let store = db.open().await?;
    match cmd {
        UserCommand::Add {
            username,
            role,
            region,
            uscc,
            password,
        } => {
            match role {
                Role::District if region.is_none() => bail!("a district account needs --region"),
                Role::Enterprise if uscc.is_none() => bail!("an enterprise account needs --uscc"),
                _ => {}
            }
            let uscc = uscc
                .map(|u| {
                    zjtx_core::ids::Uscc::parse(&u)
                        .map(|u| u.to_string())
                        .map_err(|e| anyhow::anyhow!("--uscc {u:?} {e}"))
                })
                .transpose()?;
            let hash = zjtx_web::auth::hash_password(&read_password(password, &username)?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let id = store
                .add_user(&NewUser {
                    username: username.clone(),
                    password_hash: hash,
                    role,
                    region_code: region,
                    uscc,
                })
                .await?;
            store
                .audit(None, "user_add", Some(&username), role.key())
                .await?;
            eprintln!("added {username} ({}), id {id}", role.key());
        }
        UserCommand::Passwd { username, password } => {
            let hash = zjtx_web::auth::hash_password(&read_password(password, &username)?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if !store.set_password(&username, &hash).await? {
                bail!("no user {username:?}");
            }
            // A new password ends every session of the account.
            if let Some(u) = store.user_by_name(&username).await? {
                store.end_sessions(u.id, None).await?;
            }
            store
                .audit(None, "user_passwd", Some(&username), "")
                .await?;
            eprintln!("password of {username} changed");
        }
        UserCommand::Disable { username } => {
            if !store.set_disabled(&username, true).await? {
                bail!("no user {username:?}");
            }
            store
                .audit(None, "user_disable", Some(&username), "")
                .await?;
            eprintln!("{username} disabled");
        }
        UserCommand::TotpReset { username } => {
            let Some(u) = store.user_by_name(&username).await? else {
                bail!("no user {username:?}");
            };
            store.remove_totp(u.id).await?;
            store.end_sessions(u.id, None).await?;
            store.audit(None, "totp_reset", Some(&username), "").await?;
            eprintln!("second factor of {username} removed; its sessions ended");
        }
        UserCommand::Email { username, address } => {
            let address = address.trim();
            if !address.is_empty() && address.parse::<lettre::Address>().is_err() {
                bail!("{address:?} is not an e-mail address");
            }
            let value = (!address.is_empty()).then_some(address);
            if !store.set_email(&username, value).await? {
                bail!("no user {username:?}");
            }
            store.audit(None, "user_email", Some(&username), "").await?;
            eprintln!("e-mail address of {username} set");
        }
        UserCommand::List { json } => {
            let users = store.users().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    let scope = u.region_code.clone().or(u.uscc.clone()).unwrap_or_default();
                    println!(
                        "{:<16} {:<12} {:<20} {}",
                        u.username,
                        u.role.key(),
                        scope,
                        if u.disabled { "disabled" } else { "" }
                    );
                }
            }
        }
    }
    Ok(())
}

/// Seals what is settled, then recomputes the chain.
pub async fn audit_verify(db: &DbArgs) -> Result<ExitCode> {
    let store = db.open().await?;
    let sealed = store.seal_audit().await?;
    let check = store.verify_audit().await?;
    let oldest = check
        .oldest_at
        .map(zjtx_web::common::local_day)
        .unwrap_or_else(|| "-".into());
    println!(
        "sealed now: {sealed}; in the chain: {}; not yet sealed: {}; oldest record: {oldest}",
        check.sealed, check.unsealed
    );
    if let Some((seq, hash, removed)) = &check.anchor {
        println!(
            "retention removed {removed} records from the chain's start; it begins after position {seq} (hash {hash})"
        );
    }
    match check.broken {
        Some((seq, id)) => {
            println!(
                "BROKEN at chain position {seq} (record {id}): a sealed record was changed, removed or reordered"
            );
            Ok(ExitCode::from(1))
        }
        None => {
            println!(
                "chain intact; head {}",
                check.head.as_deref().unwrap_or("-")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The daily digest (run it once a day, e.g. from cron): every reviewer with declarations waiting
/// gets an in-app message, and an e-mail when ZJTX_SMTP is set and the account has an address.
pub async fn digest(db: &DbArgs, base_url: &str) -> Result<()> {
    // The deadlines' zone, as the server has it (ZJTX_TIME_ZONE, Asia/Shanghai by default).
    zjtx_store::Clock::set_zone(zjtx_web::config::Config::from_env(None)?.zone());
    let store = db.open().await?;
    let mailer = zjtx_web::mail::Mailer::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let today = zjtx_store::Clock::system_today();
    let rules = load_all(&Embedded).context("failed to load the rule files")?;
    let (told, mailed) =
        zjtx_web::declare::digest(&store, &rules, mailer.as_ref(), today, base_url)
            .await
            .context("the digest failed")?;
    eprintln!("digest: {told} reviewers told, {mailed} e-mails sent");
    Ok(())
}

pub async fn migrate(db: &DbArgs) -> Result<()> {
    let store = db.open().await?;
    eprintln!("migrations applied ({})", store.backend());
    Ok(())
}

/// How long the requests in flight may take to finish once the server is told to stop (the
/// demo's; `serve` takes `limits.shutdown_grace_secs`).
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Ctrl-C, or SIGTERM (what systemd and container runtimes send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `zjtx serve`, as configured.
pub async fn serve(c: &zjtx_web::config::Config) -> Result<()> {
    zjtx_store::Clock::set_zone(c.zone());
    let db = DbArgs {
        database_url: c.opt("database.url").map(str::to_owned),
        data: c.get("database.data_dir").into(),
        pool: u32::try_from(c.int("database.pool_size"))
            .ok()
            .filter(|n| *n > 0),
    };
    let store = db.open().await?;
    let rules = load_all(&Embedded).context("failed to load the rule files")?;
    let mut state = AppState::new(store, rules, c.flag("server.secure_cookies"))
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .configure(c);
    if let Some(relay) = c.opt("mail.smtp") {
        let m = zjtx_web::mail::Mailer::new(relay, c.get("mail.from"))
            .map_err(|e| anyhow::anyhow!(e))?;
        eprintln!("e-mail on (mail.smtp)");
        state.mailer = Some(std::sync::Arc::new(m));
    }
    if c.flag("schedule.enabled") {
        let sched = zjtx_web::schedule::Schedule::from_config(c);
        eprintln!(
            "daily work at {} ({}), one instance a day",
            sched.daily_at.format("%H:%M"),
            c.zone()
        );
        zjtx_web::schedule::spawn(state.clone(), sched);
    }
    let grace = std::time::Duration::from_secs(c.int("limits.shutdown_grace_secs") as u64);
    run_server(state, c.get("server.listen"), grace).await
}

/// Serves until a stop signal, then lets requests finish for at most `grace`.
async fn run_server(state: AppState, listen: &str, grace: std::time::Duration) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("failed to listen on {listen}"))?;
    eprintln!("ZJTX listening on http://{}", listener.local_addr()?);
    // On a stop signal the server takes no new connection and lets the requests in flight finish,
    // for at most SHUTDOWN_GRACE.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let server = zjtx_web::serve(listener, state, async move {
        let mut stopped = stopped;
        let _ = stopped.changed().await;
    });
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => return r.context("the server failed"),
        () = stop_signal() => {
            eprintln!("stopping: requests in flight have up to {} s to finish", grace.as_secs());
            let _ = stop.send(true);
        }
    }
    match tokio::time::timeout(grace, server).await {
        Ok(r) => {
            eprintln!("stopped");
            r.context("the server failed")
        }
        Err(_) => {
            eprintln!(
                "stopped with requests still running after {} s",
                grace.as_secs()
            );
            Ok(())
        }
    }
}

/// Enterprises in the demo city.
/// The smallest demo city: enough firms for every district and workflow of the demo.
const DEMO_MIN_ENTERPRISES: usize = 3000;
/// Firms generated and imported at a time.
const DEMO_BATCH: usize = 100_000;
/// Experts in the demo pool.
const DEMO_EXPERTS: usize = 5;

/// The demo's finance zone, once: a bank (the `bank` account is its staff) with two listed
/// products, one open to every firm and one for SRDI firms and little giants.
async fn demo_finance(store: &Store) -> Result<()> {
    if !store.institutions().await?.is_empty() {
        return Ok(());
    }
    let bank = store
        .create_institution("杭州银行（演示）", "bank", None)
        .await?;
    store.set_institution("bank", bank, None).await?;
    let wan = |w: i64| w * 10_000;
    for (name, eligibility) in [
        (
            "科创信用贷（演示）",
            zjtx_core::finance::Eligibility::default(),
        ),
        (
            "专精特新贷（演示）",
            zjtx_core::finance::Eligibility {
                tiers: vec!["srdi".into(), "giant".into()],
                ..Default::default()
            },
        ),
    ] {
        let id = store
            .create_product(
                &zjtx_store::NewProduct {
                    institution_id: bank,
                    name: name.into(),
                    kind: "loan".into(),
                    min_amount: wan(10),
                    max_amount: wan(3000),
                    term_min: 6,
                    term_max: 36,
                    rate_kind: "lpr".into(),
                    rate_bp: 30,
                    collateral: "credit".into(),
                    repayment: "按月付息，到期还本".into(),
                    channel: "线上申请".into(),
                    eligibility: serde_json::to_string(&eligibility)?,
                },
                None,
            )
            .await?;
        store
            .review_product(id, true, "演示产品", None, &[])
            .await?;
    }
    Ok(())
}

/// `zjtx import FILE`: the web import's checks, scope and transaction from the command line.
pub async fn import(
    db: &DbArgs,
    file: &Path,
    as_of: chrono::NaiveDate,
    district: Option<String>,
) -> Result<ExitCode> {
    let store = db.open().await?;
    if let Some(d) = &district
        && !zjtx_core::enterprise::DISTRICTS.iter().any(|(c, _)| c == d)
    {
        anyhow::bail!("--district {d}: not a district code of the city (e.g. 330106)");
    }
    let started = std::time::Instant::now();
    let path = file.to_path_buf();
    let (rows, errors, unknown) = tokio::task::spawn_blocking(move || {
        let mut reader = zjtx_sheet::read::TemplateReader::open(&path)?;
        let unknown = reader.unknown_columns();
        let mut dedup = zjtx_sheet::read::Dedup::inline();
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        while let Some(parsed) = reader.next_parsed(16_384)? {
            for (row, r) in parsed {
                match r {
                    Ok(e) => match dedup.check(row, &e.uscc) {
                        Ok(()) => rows.push(e),
                        Err(err) => errors.push(err),
                    },
                    Err(mut errs) => errors.append(&mut errs),
                }
            }
        }
        Ok::<_, zjtx_sheet::SheetError>((rows, errors, unknown))
    })
    .await?
    .with_context(|| format!("failed to read {}", file.display()))?;
    for u in &unknown {
        eprintln!("ignored: {u} (not a template column)");
    }
    if !errors.is_empty() {
        for e in errors.iter().take(20) {
            eprintln!("{e}");
        }
        eprintln!(
            "{} errors in {}: nothing imported",
            errors.len(),
            file.display()
        );
        return Ok(ExitCode::from(1));
    }
    let read = started.elapsed();
    let rules = load_all(&Embedded).context("failed to load the rule files")?;
    let rs = zjtx_core::rule_set_for(&rules, as_of)
        .with_context(|| format!("no rule set applies on {as_of}"))?
        .clone();
    let evaluated: Vec<_> = tokio::task::spawn_blocking(move || {
        rows.into_iter()
            .map(|e| {
                let s = zjtx_core::evaluate(&e, &rs, as_of);
                (e, s)
            })
            .collect()
    })
    .await?;
    let guard = zjtx_store::ImportGuard {
        regions: district.map(|d| vec![d]),
        moves: false,
    };
    let summary = store.import_as(&evaluated, None, as_of, &guard).await?;
    let committed = started.elapsed();
    store.refresh_statistics().await?;
    println!(
        "imported {} enterprises ({} new, {} yearly records) from {}: read and checked in {:.2} s, committed at {:.2} s, statistics refreshed at {:.2} s",
        summary.enterprises,
        summary.created,
        summary.years,
        file.display(),
        read.as_secs_f64(),
        committed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The demo's declaration season: an expert pool (accounts `expert1`…, every field, the first one
/// employed by the demo firm) and an open SRDI batch for this year, once.
async fn demo_declarations(
    store: &Store,
    hash: &str,
    firm: &str,
    today: chrono::NaiveDate,
) -> Result<()> {
    let fields = zjtx_core::enterprise::ECOSYSTEMS.join(",");
    for i in 1..=DEMO_EXPERTS {
        let name = format!("expert{i}");
        if store.user_by_name(&name).await?.is_some() {
            store.set_password(&name, hash).await?;
            store.set_disabled(&name, false).await?;
            continue;
        }
        let id = store
            .add_user(&NewUser {
                username: name.clone(),
                password_hash: hash.to_owned(),
                role: Role::Expert,
                region_code: None,
                uscc: None,
            })
            .await?;
        let employer = (i == 1).then_some(firm);
        store
            .add_expert(id, &format!("专家{i}"), &fields, employer, &[], None)
            .await?;
    }
    if store.batches().await?.is_empty() {
        let rules = load_all(&Embedded).context("failed to load the rule files")?;
        let rs = zjtx_core::rule_set_for(&rules, today).context("no rule set applies today")?;
        let day = |n: u64| (today + chrono::Days::new(n)).to_string();
        zjtx_web::declare::open_batch(
            store,
            &zjtx_store::NewBatch {
                tier: "srdi".into(),
                year: i64::from(today.year()),
                rules: rs.id.clone(),
                title: format!("{} 年度专精特新中小企业认定", today.year()),
                declare_until: day(30),
                district_until: day(45),
                city_until: day(60),
                notice_days: i64::from(rs.common.declaration.notice_days_default),
                quota: None,
                experts_per: i64::from(rs.common.declaration.experts_per_default),
            },
            None,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

/// Creates (or reopens) the demo database with a generated city and one account per role, prints
/// the logins, and serves it.
pub async fn demo(data: &Path, listen: &str, password: Option<String>, firms: usize) -> Result<()> {
    // The environment's settings apply (the zone of deadlines, limits); the database, the
    // evidence directory and plain-HTTP cookies are the demo's own.
    let config = zjtx_web::config::Config::from_env(None)?;
    zjtx_store::Clock::set_zone(config.zone());
    let db = DbArgs {
        database_url: None,
        data: data.to_path_buf(),
        pool: None,
    };
    let store = db.open().await?;
    let today = zjtx_store::Clock::system_today();
    let rules = load_all(&Embedded).context("failed to load the rule files")?;
    let rs = zjtx_core::rule_set_for(&rules, today).context("no rule set applies today")?;
    let existing = store
        .list(
            &zjtx_store::Filter {
                per_page: 1,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await?
        .total;
    if existing == 0 {
        let mut generator = zjtx_core::synth::Generator::new(2026, today.year() - 1);
        let mut tags = Vec::new();
        let mut left = firms.max(DEMO_MIN_ENTERPRISES);
        while left > 0 {
            let n = left.min(DEMO_BATCH);
            left -= n;
            let rows: Vec<_> = generator
                .by_ref()
                .take(n)
                .map(|e| {
                    let s = zjtx_core::evaluate(&e, rs, today);
                    (e, s)
                })
                .collect();
            // The year before, imported first (as a bureau loads its history): revenue and main
            // revenue lower by 0–30% (varying by firm, so that growth differs), a certificate
            // issued later not yet held — so that the year's transitions, movements, cohorts and
            // re-entries have something to show.
            let before: Vec<_> = rows
                .iter()
                .enumerate()
                .map(|(i, (e, _))| {
                    let mut b = e.clone();
                    let year = today.year() - 2;
                    b.year = Some(year);
                    let keep = 70 + i64::try_from((i * 37) % 31).unwrap_or(0);
                    let cut = |w: Option<zjtx_core::num::Wan>| {
                        w.and_then(|v| zjtx_core::num::Wan::from_units(v.units() / 100 * keep))
                    };
                    b.revenue = cut(b.revenue);
                    b.main_revenue = cut(b.main_revenue);
                    b.high_tech_issued_on = b.high_tech_issued_on.filter(|d| d.year() <= year);
                    let s = zjtx_core::evaluate(&b, rs, today);
                    (b, s)
                })
                .collect();
            store
                .import(&before, None, today)
                .await
                .context("failed to import the demo city's year before")?;
            store
                .import(&rows, None, today)
                .await
                .context("failed to import the demo city")?;
            tags.extend(zjtx_core::synth::chain_tags(rows.iter().map(|(e, _)| e)));
        }
        store.refresh_statistics().await?;
        store
            .set_chains(&tags, None)
            .await
            .context("failed to tag the demo city's chains")?;
        eprintln!(
            "generated a demo city of {} enterprises",
            firms.max(DEMO_MIN_ENTERPRISES)
        );
    }
    // The demo firm (西湖区) and the poster of the demo's open challenges (滨江区).
    let firm = first_firm_in(&store, "330106").await?;
    let lead = first_firm_in(&store, "330108").await?;
    let password = match password {
        Some(p) => {
            // The demo's accounts are real accounts: the same policy holds.
            zjtx_web::password::check(&p, "demo")
                .map_err(|w| anyhow::anyhow!("--demo-password: {}", w.english()))?;
            p
        }
        None => loop {
            let token = zjtx_web::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?;
            let p = format!("Zj-{}", &token[..16]);
            if zjtx_web::password::check(&p, "demo").is_ok() {
                break p;
            }
        },
    };
    let hash = zjtx_web::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let accounts = [
        ("city", Role::City, Some("330100"), None, "杭州市经信局"),
        ("xihu", Role::District, Some("330106"), None, "西湖区经信局"),
        (
            "firm",
            Role::Enterprise,
            None,
            Some(firm.uscc.clone()),
            "企业",
        ),
        (
            "lead",
            Role::Enterprise,
            None,
            Some(lead.uscc.clone()),
            "发榜企业（揭榜挂帅）",
        ),
        ("bank", Role::Institution, None, None, "金融机构"),
        ("provider", Role::Provider, None, None, "数字化服务商"),
    ];
    for (name, role, region, uscc, _) in &accounts {
        let exists = store.user_by_name(name).await?.is_some();
        if exists {
            store.set_password(name, &hash).await?;
            store.set_disabled(name, false).await?;
        } else {
            store
                .add_user(&NewUser {
                    username: (*name).to_owned(),
                    password_hash: hash.clone(),
                    role: *role,
                    region_code: region.map(str::to_owned),
                    uscc: uscc.clone(),
                })
                .await?;
        }
    }
    println!(
        "ZJTX demo: {} enterprises in {}",
        store.count_enterprises().await?,
        data.display()
    );
    println!("Open http://{listen}/ and sign in with any of these (password for all: {password}):");
    for (name, _, _, _, what) in &accounts {
        println!("  {name:<10} {what}");
    }
    demo_declarations(&store, &hash, &firm.uscc, today).await?;
    demo_finance(&store).await?;
    crate::demo_finance::demo_finance_activity(&store, today, &firm.uscc).await?;
    crate::demo_chains::demo_chains(&store, today).await?;
    crate::demo_chains::demo_segments(&store).await?;
    crate::demo_catalogue::demo_catalogue(&store, today, rs.common.catalogue.notice_working_days)
        .await?;
    crate::demo_funds::demo_funds(&store, today, &firm.uscc).await?;
    crate::demo_funds::demo_providers(&store, today, &rs.common.providers).await?;
    crate::demo_funds::demo_clearings(&store, today, &rs.common.clearings).await?;
    crate::demo_challenges::demo_challenges(
        &store,
        today,
        &rs.common.challenge,
        &lead.uscc,
        &firm.uscc,
    )
    .await?;
    println!("  (firm is {} {})", firm.name, firm.uscc);
    println!(
        "  expert1 … expert{DEMO_EXPERTS}  评审专家 (expert1 works for the firm: never drawn for it)"
    );
    let rules = load_all(&Embedded).context("failed to load the rule files")?;
    let state = AppState::new(store, rules, false)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .configure(&config)
        .with_evidence_dir(data.join("evidence"));
    run_server(state, listen, SHUTDOWN_GRACE).await
}

/// The first enterprise (in code order) of a district of the demo city.
async fn first_firm_in(store: &Store, region: &str) -> Result<zjtx_store::EnterpriseRow> {
    store
        .list(
            &zjtx_store::Filter {
                region: Some(region.into()),
                per_page: 1,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await?
        .items
        .into_iter()
        .next()
        .with_context(|| format!("the demo city has no enterprise in district {region}"))
}
