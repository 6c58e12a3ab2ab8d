//! `zjtx backup` and `zjtx restore`: the database as of one moment (SQLite: `Store::backup_into`,
//! taken while the server runs; PostgreSQL: `pg_dump`, when it is on the PATH) and the evidence
//! files, with a manifest of every file's SHA-256 that the restore checks before it writes
//! anything.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::platform::DbArgs;

const MANIFEST: &str = "MANIFEST.json";
const SQLITE_FILE: &str = "zjtx.db";
const PG_FILE: &str = "zjtx.pgdump";

fn sha256_of(path: &Path) -> Result<(String, u64)> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    let n =
        std::io::copy(&mut f, &mut h).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((hex::encode(h.finalize()), n))
}

fn entry(root: &Path, rel: &str) -> Result<Value> {
    let (sha, bytes) = sha256_of(&root.join(rel))?;
    Ok(json!({ "path": rel, "sha256": sha, "bytes": bytes }))
}

/// The evidence directory: the one given (or `ZJTX_EVIDENCE_DIR`), else `DATA/evidence` when it
/// exists (the demo's), else `./zjtx-evidence` (the server's default).
pub fn evidence_dir(given: Option<PathBuf>, data: &Path) -> PathBuf {
    given.unwrap_or_else(|| {
        let in_data = data.join("evidence");
        if in_data.is_dir() {
            in_data
        } else {
            PathBuf::from("zjtx-evidence")
        }
    })
}

/// Backs up the database and the evidence files into `to` (a new or empty directory).
pub async fn backup(db: &DbArgs, evidence: &Path, to: &Path) -> Result<()> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        bail!(
            "{} is not empty: a backup goes into a new directory",
            to.display()
        );
    }
    std::fs::create_dir_all(to.join("evidence"))
        .with_context(|| format!("cannot create {}", to.display()))?;
    let url = db.url()?;
    let mut files = Vec::new();
    let backend;
    if url.starts_with("postgres") {
        backend = "postgres";
        let out = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(to.join(PG_FILE))
            .arg(&url)
            .output()
            .context("pg_dump is needed to back up PostgreSQL (Debian: postgresql-client)")?;
        if !out.status.success() {
            bail!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        files.push(entry(to, PG_FILE)?);
    } else {
        backend = "sqlite";
        let store = db.open().await?;
        store
            .backup_into(&to.join(SQLITE_FILE))
            .await
            .context("the database copy failed")?;
        files.push(entry(to, SQLITE_FILE)?);
    }
    // After the database: every file a record of the copy names was written before its record.
    let mut names: Vec<String> = match std::fs::read_dir(evidence) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| !n.ends_with(".part"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut mismatched = Vec::new();
    for n in &names {
        let rel = format!("evidence/{n}");
        std::fs::copy(evidence.join(n), to.join(&rel))
            .with_context(|| format!("cannot copy {}", evidence.join(n).display()))?;
        let e = entry(to, &rel)?;
        // Evidence is stored under its own SHA-256: a file whose content no longer matches its
        // name was damaged before this backup.
        if n.len() == 64 && e["sha256"].as_str() != Some(n.as_str()) {
            mismatched.push(n.clone());
        }
        files.push(e);
    }
    let manifest = json!({
        "format": 1,
        "created_at": chrono::Utc::now().to_rfc3339(),
        "backend": backend,
        "evidence_from": evidence.display().to_string(),
        "files": files,
    });
    std::fs::write(to.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    println!(
        "backed up the {backend} database and {} evidence file(s) into {}",
        names.len(),
        to.display()
    );
    if !mismatched.is_empty() {
        bail!(
            "evidence files whose content does not match their name (damaged before the backup): {}",
            mismatched.join(", ")
        );
    }
    Ok(())
}

/// Restores a backup into `data` (its SQLite database) and `evidence`, after checking every
/// file against the manifest; refuses to overwrite a database.
pub async fn restore(from: &Path, data: &Path, evidence: &Path) -> Result<()> {
    let text = std::fs::read_to_string(from.join(MANIFEST))
        .with_context(|| format!("{} has no {MANIFEST}: not a backup", from.display()))?;
    let manifest: Value = serde_json::from_str(&text).context("the manifest cannot be read")?;
    let files = manifest["files"].as_array().cloned().unwrap_or_default();
    let mut bad = Vec::new();
    for f in &files {
        let rel = f["path"].as_str().unwrap_or_default();
        if rel.contains("..") || rel.starts_with('/') {
            bail!("the manifest names a path outside the backup: {rel}");
        }
        match sha256_of(&from.join(rel)) {
            Ok((sha, _)) if Some(sha.as_str()) == f["sha256"].as_str() => {}
            _ => bad.push(rel.to_owned()),
        }
    }
    if !bad.is_empty() {
        bail!(
            "files missing or changed since the backup, nothing restored: {}",
            bad.join(", ")
        );
    }
    std::fs::create_dir_all(data)?;
    std::fs::create_dir_all(evidence)?;
    let mut copied = 0;
    for f in &files {
        let rel = f["path"].as_str().unwrap_or_default();
        if let Some(name) = rel.strip_prefix("evidence/") {
            std::fs::copy(from.join(rel), evidence.join(name))?;
            copied += 1;
        }
    }
    if manifest["backend"] == "postgres" {
        println!(
            "restored {copied} evidence file(s) into {}; restore the database with: pg_restore --no-owner --dbname \"$DATABASE_URL\" {}",
            evidence.display(),
            from.join(PG_FILE).display()
        );
        return Ok(());
    }
    let target = data.join(SQLITE_FILE);
    if target.exists() {
        bail!(
            "{} exists: restore into a new data directory",
            target.display()
        );
    }
    std::fs::copy(from.join(SQLITE_FILE), &target)?;
    // It opens, and its migrations are current.
    let db = DbArgs {
        database_url: None,
        data: data.to_path_buf(),
        pool: None,
    };
    db.open()
        .await
        .context("the restored database does not open")?;
    println!(
        "restored the database into {} and {copied} evidence file(s) into {}",
        target.display(),
        evidence.display()
    );
    Ok(())
}
