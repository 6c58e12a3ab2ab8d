//! `zjtx`: the command line of the ZJTX platform.
#![forbid(unsafe_code)]

mod backup;
mod demo_catalogue;
mod demo_chains;
mod demo_challenges;
mod demo_finance;
mod demo_funds;
mod explain;
mod forecast;
mod platform;

/// mimalloc rather than glibc's allocator: the server allocates and frees per request on many
/// threads, and serves 5–25% more lists, searches and pages a second with it at a million firms
/// (docs/PERFORMANCE.md §3, "The allocator"); `zjtx evaluate` runs as fast either way.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use zjtx_core::RuleSet;
use zjtx_core::rules::{self, RuleSource};
use zjtx_sheet::SheetError;
use zjtx_sheet::pipeline::{EvalOptions, evaluate_file};

#[derive(Parser)]
#[command(
    name = "zjtx",
    version,
    about = "ZJTX 专精特新 platform: evaluate enterprises against the national tier criteria"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesArg {
    /// The rule set in force on the as-of date.
    Auto,
    #[value(name = "miit-2022")]
    Miit2022,
    #[value(name = "miit-2026")]
    Miit2026,
    /// Both rule sets: two output rows per enterprise.
    Both,
}

#[derive(clap::Args)]
struct RuleArgs {
    /// Evaluation date (YYYY-MM-DD); picks the rule set and the reference year. Default: today.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Which rule set(s) to apply.
    #[arg(long, value_enum, default_value = "auto")]
    rules: RulesArg,
    /// A directory of rule files (common.toml, miit-2022.toml, miit-2026.toml) overriding the built-in ones.
    #[arg(long, env = "ZJTX_RULES_DIR")]
    rules_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate every enterprise of a template file (CSV or XLSX).
    Evaluate {
        input: PathBuf,
        #[command(flatten)]
        rules: RuleArgs,
        /// Evaluate the valid rows of a file with errors and report the others on standard error.
        #[arg(long)]
        skip_invalid: bool,
        /// Output file: .csv, .xlsx or .json (JSON carries the full trace). Default: CSV on standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print a readable scorecard of one enterprise of a template file.
    Explain {
        input: PathBuf,
        /// The enterprise's unified social credit code.
        #[arg(long)]
        uscc: String,
        #[command(flatten)]
        rules: RuleArgs,
        /// Language of the scorecard.
        #[arg(long, value_enum, default_value = "zh")]
        lang: LangArg,
    },
    /// Write a synthetic city in the template (deterministic for a seed).
    Generate {
        #[arg(long)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Reference year of the figures. Default: last year.
        #[arg(long)]
        year: Option<i32>,
        /// Output file: .csv or .xlsx.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Forecast a funding programme over a projects file (CSV or XLSX): recipients, totals by
    /// district and title, budget breach; --compare puts a second parameter set beside it. Exit
    /// 1 if the file has errors (listed).
    Forecast {
        /// A programme file (.toml), or the id of a built-in programme (tech-upgrade-2026, …).
        programme: String,
        /// The projects file.
        input: PathBuf,
        /// The day the rules are applied on (titles held, …). Default: today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// A second programme file (or id) to compare.
        #[arg(long)]
        compare: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a synthetic projects file (.csv), deterministic for a seed.
    GenerateProjects {
        #[arg(long)]
        rows: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write the empty template (.xlsx) with Chinese headers, validation and an explanation sheet.
    Template {
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Serve the platform, configured by --config FILE (TOML), the environment and these flags,
    /// in that order of precedence from lowest; `zjtx config check` shows the result.
    Serve {
        /// The configuration file (`zjtx config example` writes one with every setting).
        #[arg(long, env = "ZJTX_CONFIG")]
        config: Option<PathBuf>,
        /// database.url: sqlite://PATH or postgres://… (also DATABASE_URL).
        #[arg(long)]
        database_url: Option<String>,
        /// database.data_dir: the embedded SQLite database's directory.
        #[arg(long)]
        data: Option<PathBuf>,
        /// server.listen (also ZJTX_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// server.secure_cookies = false: only to try the platform over plain HTTP. By default
        /// cookies are Secure (the platform is served behind HTTPS); the demo, on the loopback
        /// address, is the exception.
        #[arg(long)]
        insecure_cookies: bool,
    },
    /// The configuration: check a file with the environment, or print an example.
    Config {
        #[command(subcommand)]
        cmd: ConfigCommand,
    },
    /// Send the reviewers' daily digest (in-app, and by e-mail when ZJTX_SMTP is set).
    Digest {
        #[command(flatten)]
        db: platform::DbArgs,
        /// The platform's address, for the links in e-mails.
        #[arg(long, env = "ZJTX_BASE_URL", default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Run the database migrations.
    Migrate {
        #[command(flatten)]
        db: platform::DbArgs,
    },
    /// Import a template file (CSV or XLSX) into the database, as the web's import does: every
    /// cell checked first (any error refuses the whole file, nothing written), each firm
    /// evaluated, then one transaction; --district keeps it to one district's firms as a district
    /// office's upload is.
    Import {
        #[command(flatten)]
        db: platform::DbArgs,
        /// The file.
        file: PathBuf,
        /// The day the firms are evaluated on. Default: today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Refuse the file unless every firm is of this district (a code such as 330106), and
        /// refuse moving a registered firm to another district.
        #[arg(long)]
        district: Option<String>,
    },
    /// Create a demo database with a generated city and one account per role, print the logins, serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// How many firms the generated city has (the first run only), e.g. 1000000 for a load
        /// test; written in imports of 100,000.
        #[arg(long, default_value_t = 3000)]
        firms: usize,
        #[arg(long, default_value = "./zjtx-demo")]
        data: PathBuf,
        /// The password of every demo account (default: a random one, printed).
        #[arg(long)]
        demo_password: Option<String>,
    },
    /// Manage accounts.
    User {
        #[command(flatten)]
        db: platform::DbArgs,
        #[command(subcommand)]
        cmd: platform::UserCommand,
    },
    /// Back up the database (SQLite: a consistent copy taken while the server runs; PostgreSQL:
    /// pg_dump) and the evidence files into a new directory, with a manifest of every file's
    /// SHA-256.
    Backup {
        #[command(flatten)]
        db: platform::DbArgs,
        /// The evidence directory (default: DATA/evidence if it exists, else ./zjtx-evidence).
        #[arg(long, env = "ZJTX_EVIDENCE_DIR")]
        evidence: Option<PathBuf>,
        /// The new directory to write the backup into.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new data directory, every file checked against the manifest
    /// first (PostgreSQL: the evidence files, and the pg_restore command to run).
    Restore {
        /// The backup's directory.
        #[arg(long)]
        from: PathBuf,
        /// The new data directory.
        #[arg(long)]
        data: PathBuf,
        /// Where the evidence files go (default: DATA/evidence).
        #[arg(long)]
        evidence: Option<PathBuf>,
    },
    /// Seal the audit log into its hash chain and verify the whole chain; exits 1 if a sealed
    /// record was changed, removed or reordered. Prints the chain's head hash to note.
    AuditVerify {
        #[command(flatten)]
        db: platform::DbArgs,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Read the file (if any) and the environment as `serve` would, report every mistake with
    /// where it is, and print the effective settings with secrets masked; exits 1 if invalid.
    Check {
        #[arg(long, env = "ZJTX_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Print a configuration file with every setting, its default, its variable and its use.
    Example,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Zh,
    En,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// Rule files from a directory; files it does not have come from the built-in set.
struct DirSource(PathBuf);

impl RuleSource for DirSource {
    fn read(&self, file: &str) -> Result<Option<String>, String> {
        let p = self.0.join(file);
        match std::fs::read_to_string(&p) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", p.display())),
        }
    }
}

impl RuleArgs {
    fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(zjtx_store::Clock::system_today)
    }

    fn load(&self) -> Result<Vec<RuleSet>> {
        if let Some(d) = &self.rules_dir
            && !d.is_dir()
        {
            bail!("--rules-dir {} is not a directory", d.display());
        }
        let src: Box<dyn RuleSource> = match &self.rules_dir {
            Some(d) => Box::new(DirSource(d.clone())),
            None => Box::new(rules::Embedded),
        };
        let all = rules::load_all(src.as_ref()).context("failed to load the rule files")?;
        let as_of = self.as_of();
        let pick = |id: &str| all.iter().find(|r| r.id == id).cloned();
        Ok(match self.rules {
            RulesArg::Auto => vec![
                zjtx_core::rule_set_for(&all, as_of)
                    .cloned()
                    .with_context(|| format!("no rule set applies on {as_of}"))?,
            ],
            RulesArg::Miit2022 => pick("miit-2022").into_iter().collect(),
            RulesArg::Miit2026 => pick("miit-2026").into_iter().collect(),
            RulesArg::Both => all,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    init_logs(
        false,
        &std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
    );
    tokio::runtime::Runtime::new().context("failed to start the async runtime")
}

/// Logs to standard error: text, or one JSON object a line (with the request's span: its id,
/// method and path) for a log collector.
fn init_logs(json: bool, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        fmt.json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
            .ok();
    } else {
        fmt.try_init().ok();
    }
}

/// `serve`'s configuration: the file, the environment, then the flags.
fn serve_config(
    file: Option<&Path>,
    database_url: Option<String>,
    data: Option<PathBuf>,
    listen: Option<String>,
    insecure_cookies: bool,
) -> Result<zjtx_web::config::Config> {
    let mut c = zjtx_web::config::Config::from_env(file)?;
    if let Some(u) = database_url {
        c.set_flag("database.url", &u)?;
    }
    if let Some(d) = data {
        c.set_flag("database.data_dir", &d.display().to_string())?;
    }
    if let Some(l) = listen {
        c.set_flag("server.listen", &l)?;
    }
    if insecure_cookies {
        c.set_flag("server.secure_cookies", "false")?;
    }
    Ok(c)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            config,
            database_url,
            data,
            listen,
            insecure_cookies,
        } => {
            let c = serve_config(
                config.as_deref(),
                database_url,
                data,
                listen,
                insecure_cookies,
            )?;
            init_logs(c.get("log.format") == "json", c.get("log.level"));
            tokio::runtime::Runtime::new()
                .context("failed to start the async runtime")?
                .block_on(platform::serve(&c))
                .map(|_| ExitCode::SUCCESS)
        }
        Command::Config { cmd } => match cmd {
            ConfigCommand::Check { config } => {
                match zjtx_web::config::Config::from_env(config.as_deref()) {
                    Ok(c) => {
                        print!("{}", c.describe());
                        eprintln!("configuration valid");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        eprintln!("configuration invalid:\n{e}");
                        Ok(ExitCode::from(1))
                    }
                }
            }
            ConfigCommand::Example => {
                print!("{}", zjtx_web::config::example());
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Digest { db, base_url } => runtime()?
            .block_on(platform::digest(&db, &base_url))
            .map(|_| ExitCode::SUCCESS),
        Command::Migrate { db } => runtime()?
            .block_on(platform::migrate(&db))
            .map(|_| ExitCode::SUCCESS),
        Command::Import {
            db,
            file,
            as_of,
            district,
        } => runtime()?.block_on(platform::import(
            &db,
            &file,
            as_of.unwrap_or_else(zjtx_store::Clock::system_today),
            district,
        )),
        Command::Demo {
            listen,
            firms,
            data,
            demo_password,
        } => runtime()?
            .block_on(platform::demo(&data, &listen, demo_password, firms))
            .map(|_| ExitCode::SUCCESS),
        Command::Backup { db, evidence, to } => {
            let dir = backup::evidence_dir(evidence, &db.data);
            runtime()?
                .block_on(backup::backup(&db, &dir, &to))
                .map(|_| ExitCode::SUCCESS)
        }
        Command::Restore {
            from,
            data,
            evidence,
        } => {
            let dir = evidence.unwrap_or_else(|| data.join("evidence"));
            runtime()?
                .block_on(backup::restore(&from, &data, &dir))
                .map(|_| ExitCode::SUCCESS)
        }
        Command::AuditVerify { db } => runtime()?.block_on(platform::audit_verify(&db)),
        Command::User { db, cmd } => runtime()?
            .block_on(platform::user(&db, cmd))
            .map(|_| ExitCode::SUCCESS),
        Command::Evaluate {
            input,
            rules,
            skip_invalid,
            output,
        } => evaluate(&input, &rules, skip_invalid, output.as_deref()),
        Command::Explain {
            input,
            uscc,
            rules,
            lang,
        } => {
            let sets = rules.load()?;
            let lang = match lang {
                LangArg::Zh => zjtx_core::glossary::Lang::Zh,
                LangArg::En => zjtx_core::glossary::Lang::En,
            };
            explain::run(&input, &uscc, &sets, rules.as_of(), lang)
        }
        Command::Generate {
            rows,
            seed,
            year,
            output,
        } => {
            let year = year
                .unwrap_or_else(|| chrono::Datelike::year(&zjtx_store::Clock::system_today()) - 1);
            let it = zjtx_core::synth::Generator::new(seed, year).take(rows as usize);
            match zjtx_sheet::Format::of(&output) {
                Some(zjtx_sheet::Format::Csv) => {
                    let f = std::fs::File::create(&output)
                        .with_context(|| format!("failed to create {}", output.display()))?;
                    zjtx_sheet::write::write_enterprises_csv(
                        std::io::BufWriter::with_capacity(1 << 20, f),
                        it,
                    )?;
                }
                Some(zjtx_sheet::Format::Xlsx) => {
                    zjtx_sheet::write::write_enterprises_xlsx(&output, it)?
                }
                _ => bail!("{}: output must be .csv or .xlsx", output.display()),
            }
            eprintln!(
                "wrote {rows} enterprises (seed {seed}, year {year}) to {}",
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Forecast {
            programme,
            input,
            as_of,
            compare,
            json,
        } => forecast::run(
            &programme,
            &input,
            as_of.unwrap_or_else(zjtx_store::Clock::system_today),
            compare.as_deref(),
            json,
        ),
        Command::GenerateProjects { rows, seed, output } => {
            forecast::generate(rows, seed, &output).map(|_| ExitCode::SUCCESS)
        }
        Command::Template { output } => {
            if zjtx_sheet::Format::of(&output) != Some(zjtx_sheet::Format::Xlsx) {
                bail!("{}: the template is an .xlsx file", output.display());
            }
            zjtx_sheet::write::write_template(&output)?;
            eprintln!("wrote the template to {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn evaluate(
    input: &Path,
    rules: &RuleArgs,
    skip_invalid: bool,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let sets = rules.load()?;
    let opts = EvalOptions {
        as_of: rules.as_of(),
        sets: sets.iter().collect(),
        skip_invalid,
    };
    // Standard output gets the CSV only once the whole file is known to be good.
    let tmp;
    let out = match output {
        Some(p) => p,
        None => {
            tmp = std::env::temp_dir().join(format!("zjtx-evaluate-{}.csv", std::process::id()));
            &tmp
        }
    };
    match evaluate_file(input, out, &opts) {
        Ok(report) => {
            for u in &report.unknown_columns {
                eprintln!("warning: unknown {u} (kept aside, not used)");
            }
            for e in &report.skipped {
                eprintln!("skipped: {e}");
            }
            if output.is_none() {
                let data = std::fs::read(out).context("failed to read back the results")?;
                let _ = std::fs::remove_file(out);
                std::io::stdout()
                    .write_all(&data)
                    .context("failed to write the results")?;
            }
            eprintln!(
                "evaluated {} of {} enterprises under {} ({} rows written{})",
                report.evaluated,
                report.rows,
                sets.iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                report.written,
                if report.skipped.is_empty() {
                    String::new()
                } else {
                    format!(", {} errors in skipped rows", report.skipped.len())
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(SheetError::Refused { errors }) => {
            eprintln!(
                "error: {} was refused: {} error(s); nothing was written",
                input.display(),
                errors.len()
            );
            for e in &errors {
                eprintln!("  {e}");
            }
            eprintln!("(fix the file, or use --skip-invalid to evaluate the valid rows only)");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
