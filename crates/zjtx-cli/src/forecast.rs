//! `zjtx forecast`: a programme's rules over a projects file before its call opens — recipients
//! and totals (city and district), by district and by title, the budget breach, and, with
//! `--compare`, a second parameter set beside the first; `zjtx generate-projects` writes a
//! deterministic projects file to try it on.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use zjtx_core::num::Wan;
use zjtx_core::programme::{
    self, Forecast, PROJECT_COLUMNS, Programme, forecast, parse, synth_projects,
};
use zjtx_sheet::guard::XlsxLimits;
use zjtx_sheet::{Format, SheetError};

/// A programme file's path, or the id of a programme compiled in.
fn load(what: &str) -> Result<Programme> {
    let path = Path::new(what);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{} cannot be read", path.display()))?;
        return Ok(parse(&path.display().to_string(), &text)?);
    }
    let all = programme::embedded()?;
    let ids: Vec<String> = all.iter().map(|p| p.id.clone()).collect();
    all.into_iter().find(|p| p.id == what).with_context(|| {
        format!(
            "{what:?} is neither a programme file nor a built-in programme ({})",
            ids.join(", ")
        )
    })
}

fn line(
    out: &mut impl std::io::Write,
    label: &str,
    f: &[&Forecast],
    get: impl Fn(&Forecast) -> String,
) -> std::io::Result<()> {
    write!(out, "{label:<28}")?;
    for x in f {
        write!(out, " {:>27}", get(x))?;
    }
    writeln!(out)
}

fn wan(w: Wan) -> String {
    w.to_string()
}

/// Prints the forecast (and the comparison) on standard output; JSON with `json`.
pub fn run(
    programme: &str,
    input: &Path,
    as_of: NaiveDate,
    compare: Option<&str>,
    json: bool,
) -> Result<ExitCode> {
    let mut sets = vec![load(programme)?];
    if let Some(c) = compare {
        sets.push(load(c)?);
    }
    let format = match Format::of(input) {
        Some(f @ (Format::Csv | Format::Xlsx)) => f,
        _ => bail!("{}: a projects file is .csv or .xlsx", input.display()),
    };
    let file = std::fs::File::open(input).map_err(|e| SheetError::io(input, e))?;
    let projects = match zjtx_sheet::projects::read_projects(
        std::io::BufReader::new(file),
        format,
        &XlsxLimits::LOCAL,
    ) {
        Ok(p) => p,
        Err(SheetError::Refused { errors }) => {
            eprintln!(
                "{}: the projects file has errors and was not used:",
                input.display()
            );
            for e in &errors {
                eprintln!("  {e}");
            }
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let results: Vec<Forecast> = sets
        .iter()
        .map(|p| forecast(p, projects.iter().map(|(a, b)| (a, b)), as_of))
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let refs: Vec<&Forecast> = results.iter().collect();
    writeln!(out, "{} projects, as of {as_of}", projects.len())?;
    line(&mut out, "programme", &refs, |f| f.programme.clone())?;
    line(&mut out, "eligible recipients", &refs, |f| {
        f.eligible.recipients.to_string()
    })?;
    line(&mut out, "total (10k yuan)", &refs, |f| {
        wan(f.eligible.amount)
    })?;
    line(&mut out, "  city", &refs, |f| wan(f.eligible.city))?;
    line(&mut out, "  district", &refs, |f| wan(f.eligible.district))?;
    line(&mut out, "city budget breach", &refs, |f| {
        f.city_breach.map(wan).unwrap_or_else(|| "-".into())
    })?;
    line(&mut out, "district budget breach", &refs, |f| {
        f.district_breach.map(wan).unwrap_or_else(|| "-".into())
    })?;
    line(&mut out, "undecided (blank facts)", &refs, |f| {
        f.undecided.recipients.to_string()
    })?;
    line(&mut out, "  their amount", &refs, |f| {
        wan(f.undecided.amount)
    })?;
    let mut districts: Vec<&String> = results.iter().flat_map(|f| f.by_district.keys()).collect();
    districts.sort();
    districts.dedup();
    for d in districts {
        let name = zjtx_core::enterprise::DISTRICTS
            .iter()
            .find(|(c, _)| c == d)
            .map_or_else(
                || {
                    if d.is_empty() {
                        "(no district)".to_owned()
                    } else {
                        d.clone()
                    }
                },
                |(c, n)| format!("{c} {n}"),
            );
        line(&mut out, &format!("district {name}"), &refs, |f| {
            f.by_district
                .get(d)
                .map(|t| format!("{} / {}", t.recipients, wan(t.amount)))
                .unwrap_or_else(|| "0 / 0".into())
        })?;
    }
    for t in ["giant", "srdi", "innovative", "tech_sme", "none"] {
        line(&mut out, &format!("title {t}"), &refs, |f| {
            f.by_tier
                .get(t)
                .map(|x| format!("{} / {}", x.recipients, wan(x.amount)))
                .unwrap_or_else(|| "0 / 0".into())
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `rows` generated projects as a projects file (.csv).
pub fn generate(rows: usize, seed: u64, output: &Path) -> Result<()> {
    if Format::of(output) != Some(Format::Csv) {
        bail!(
            "{}: generated projects are written as .csv",
            output.display()
        );
    }
    let mut w = csv::Writer::from_path(output).map_err(SheetError::csv)?;
    w.write_record(PROJECT_COLUMNS.iter().map(|(k, _)| *k))
        .map_err(SheetError::csv)?;
    for (f, p) in synth_projects(rows, seed) {
        w.write_record(programme::project_cells(&f, &p))
            .map_err(SheetError::csv)?;
    }
    w.flush().context("writing the projects file")?;
    eprintln!(
        "wrote {rows} projects (seed {seed}) to {}",
        output.display()
    );
    Ok(())
}
