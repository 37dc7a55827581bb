//! `chengguo`: the one binary. `serve` runs the platform; the other subcommands operate on the
//! same database (migrate, import, export, admin, audit, backup, restore).

mod eval;
mod settings;

use anyhow::{bail, Context, Result};
use chengguo_core::{Actor, Role};
use chengguo_store::{NewUser, Store};
use clap::{Args, Parser, Subcommand};
use settings::Settings;
use std::path::PathBuf;

/// mimalloc instead of the system allocator: imports parse millions of cells on one thread
/// and free them on the writer's (measured on the 1,000,000-contract import, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "chengguo",
    version,
    about = "成果 Chengguo — platform for the local transformation of S&T achievements"
)]
struct Cli {
    /// Optional TOML settings file (also CHENGGUO_CONFIG).
    #[arg(long, global = true, env = "CHENGGUO_CONFIG")]
    config: Option<PathBuf>,
    /// Log as JSON lines (also CHENGGUO_LOG_JSON=1).
    #[arg(long, global = true, env = "CHENGGUO_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct Db {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB (default sqlite://chengguo.db;
    /// DATABASE_URL when absent).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (pages, JSON API, /healthz, /metrics).
    Serve {
        #[command(flatten)]
        db: Db,
        /// Address to listen on (default 127.0.0.1:8080; CHENGGUO_ADDR).
        #[arg(long, env = "CHENGGUO_ADDR")]
        addr: Option<String>,
        /// Load the demo data into an empty database and print the demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and list them.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
    /// Import records from a file (CSV in UTF-8 or GB18030, XLSX, JSONL). All rows or none.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export records to CSV or XLSX.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Accounts and tokens.
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// The audit chain.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// The plan as data (docs/plan-format.md).
    Plan {
        #[command(subcommand)]
        cmd: PlanCmd,
    },
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// Quality evaluations: `eval search` measures search on CSL (docs/benchmarks.md).
    Eval {
        #[command(subcommand)]
        cmd: eval::EvalCmd,
    },
    /// Rebuild the search index from the database, and ask every running server on the same
    /// database to rebuild its own.
    Reindex {
        #[command(flatten)]
        db: Db,
        /// Index directory (default: the server's, see docs/CONFIGURATION.md).
        #[arg(long)]
        index_dir: Option<PathBuf>,
    },
    /// Write a consistent online copy of the database to a new SQLite file.
    Backup {
        #[command(flatten)]
        db: Db,
        /// The backup file (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Load a backup (the SQLite file `chengguo backup` writes, from either database) into a new,
    /// empty SQLite or PostgreSQL database: all rows or none, then verify the audit chain.
    Restore {
        #[command(flatten)]
        db: Db,
        /// The backup file (it is only read).
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Technology contracts (docs/formats.md, Contracts); rows with registered_on are imported as
    /// registered; unknown parties become organizations.
    Contracts {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
        /// Check every row (and duplicates against the database); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Achievements (docs/formats.md, Achievements): ref, title, abstract, keywords,
    /// owner_credit_code, …; the same ref of the same owner updates its record.
    Achievements {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
        /// Check every row and report problems; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Technical demands (docs/formats.md, Demands); the same ref of the same owner updates.
    Demands {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
        /// Check every row and report problems; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Organizations: name, credit_code, division_code, nature, kind[, description].
    Organizations {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
        /// Check every row and report problems; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ExportWhat {
    /// All organizations; the format follows the file's extension (.csv or .xlsx).
    Organizations {
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Create an account.
    CreateUser {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        /// public, enterprise, unit, broker, registrar, district or bureau (repeat or comma-separate for several).
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        /// Credit code of the account's organization.
        #[arg(long)]
        org: Option<String>,
        /// For district officers: the district's division code.
        #[arg(long)]
        district: Option<String>,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Create an API token for an account; the token is the last line printed.
    CreateToken {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (default and most: the api_token_days setting).
        #[arg(long)]
        days: Option<i64>,
    },
    /// List accounts.
    ListUsers {
        #[command(flatten)]
        db: Db,
    },
    /// List API tokens (of one account, or all): id, account, name, expiry, last use, state.
    ListTokens {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: Option<String>,
    },
    /// Revoke an API token by its id (see list-tokens).
    RevokeToken {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        id: i64,
    },
    /// Set a new password for an account (the password policy applies); its sessions end.
    ResetPassword {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
    },
    /// Disable an account: it cannot log in, its sessions end and its tokens stop working.
    DisableUser {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account.
    EnableUser {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum PlanCmd {
    /// Check a plan file (TOML) and store it as the next version of its plan, which becomes the
    /// current plan. Every problem is printed as FILE:LINE:COLUMN: PATH: MESSAGE; nothing is stored
    /// then and the exit code is 1.
    Load {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
        /// Check only; store nothing.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Recompute the chain; exits non-zero naming the first entry that does not match.
    Verify {
        #[command(flatten)]
        db: Db,
    },
}

fn operator() -> Actor {
    Actor::system(&std::env::var("USER").unwrap_or_else(|_| "operator".into()))
}

async fn open(settings: &Settings, db: &Db) -> Result<Store> {
    let url = settings.database_url(db.database_url.as_deref());
    Store::open(&url)
        .await
        .with_context(|| format!("opening database {url}"))
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let code = match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

async fn run(cli: Cli) -> Result<i32> {
    let settings = Settings::load(cli.config.as_deref())?;
    init_logging(cli.log_json || settings.log_json);
    match cli.command {
        Command::Serve { db, addr, demo } => serve(&settings, &db, addr, demo).await,
        Command::Migrate { db } => {
            let store = open(&settings, &db).await?;
            for (v, d) in store.applied_migrations().await? {
                println!("{v:>6}  {d}");
            }
            println!("database {} is up to date", store.display_url());
            Ok(0)
        }
        Command::Import {
            what: ImportWhat::Contracts { file, db, dry_run },
        } => import_contracts(&settings, &db, &file, dry_run).await,
        Command::Import {
            what: ImportWhat::Achievements { file, db, dry_run },
        } => {
            let store = open(&settings, &db).await?;
            let limits = settings.import.limits();
            let bytes = match read_import_file(&file, &limits)? {
                Ok(b) => b,
                Err(code) => return Ok(code),
            };
            let format = chengguo_web::imports::detect_format(file.to_str(), &bytes);
            let report = chengguo_web::imports::records::import_achievements(
                &store,
                &operator(),
                &bytes,
                format,
                &limits,
                dry_run,
            )
            .await?;
            Ok(print_report(&file, &report))
        }
        Command::Import {
            what: ImportWhat::Demands { file, db, dry_run },
        } => {
            let store = open(&settings, &db).await?;
            let limits = settings.import.limits();
            let bytes = match read_import_file(&file, &limits)? {
                Ok(b) => b,
                Err(code) => return Ok(code),
            };
            let format = chengguo_web::imports::detect_format(file.to_str(), &bytes);
            let report = chengguo_web::imports::records::import_demands(
                &store,
                &operator(),
                &bytes,
                format,
                &limits,
                dry_run,
            )
            .await?;
            Ok(print_report(&file, &report))
        }
        Command::Import {
            what: ImportWhat::Organizations { file, db, dry_run },
        } => {
            let store = open(&settings, &db).await?;
            let limits = settings.import.limits();
            let bytes = match read_import_file(&file, &limits)? {
                Ok(b) => b,
                Err(code) => return Ok(code),
            };
            let format = chengguo_web::imports::detect_format(file.to_str(), &bytes);
            let report = chengguo_web::imports::import_orgs(
                &store,
                &operator(),
                &bytes,
                format,
                &limits,
                dry_run,
            )
            .await?;
            Ok(print_report(&file, &report))
        }
        Command::Export {
            what: ExportWhat::Organizations { to, db },
        } => {
            let store = open(&settings, &db).await?;
            let orgs = store.all_orgs().await?;
            let headers = [
                "name",
                "credit_code",
                "division_code",
                "nature",
                "kind",
                "description",
            ];
            let rows: Vec<Vec<String>> = orgs
                .into_iter()
                .map(|o| {
                    vec![
                        o.name,
                        o.credit_code,
                        o.division_code,
                        o.nature,
                        o.kind.as_str().into(),
                        o.description,
                    ]
                })
                .collect();
            let n = rows.len();
            let bytes = match to.extension().and_then(|e| e.to_str()) {
                Some("xlsx") => {
                    let cells = rows
                        .into_iter()
                        .map(|r| r.into_iter().map(chengguo_io::Cell::Text).collect())
                        .collect::<Vec<_>>();
                    chengguo_io::write_xlsx("organizations", &headers, &cells)?
                }
                Some("csv") => chengguo_io::write_csv(&headers, &rows),
                _ => bail!("--to must end in .csv or .xlsx"),
            };
            std::fs::write(&to, bytes).with_context(|| format!("writing {}", to.display()))?;
            println!("exported {n} organizations to {}", to.display());
            Ok(0)
        }
        Command::Admin { cmd } => admin(&settings, cmd).await,
        Command::Audit {
            cmd: AuditCmd::Verify { db },
        } => {
            let store = open(&settings, &db).await?;
            match store.audit_verify().await? {
                Ok(n) => {
                    println!("audit chain intact: {n} entries verified");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("audit chain BROKEN: {e}");
                    Ok(2)
                }
            }
        }
        Command::Plan {
            cmd: PlanCmd::Load { file, db, check },
        } => plan_load(&settings, &file, &db, check).await,
        Command::Eval { cmd } => eval::run(cmd).await,
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(chengguo_web::api::openapi())?
            );
            Ok(0)
        }
        Command::Reindex { db, index_dir } => reindex(&settings, &db, index_dir).await,
        Command::Backup { db, to } => {
            let store = open(&settings, &db).await?;
            let summary = store.backup_to(&to).await?;
            for (t, n) in summary.tables {
                println!("{t:<24} {n:>10}");
            }
            println!("backup written to {} (an SQLite database: serve it with --database-url sqlite://{})", to.display(), to.display());
            Ok(0)
        }
        Command::Restore { db, from } => restore(&settings, &db, &from).await,
    }
}

/// `chengguo restore`: progress on stderr for tables of 100,000 rows or more (every 10 %), the
/// rows of each table on stdout, then the audit chain's verification (exit 2 when broken).
async fn restore(settings: &Settings, db: &Db, from: &std::path::Path) -> Result<i32> {
    let store = open(settings, db).await?;
    let started = std::time::Instant::now();
    let mut last_step = 0u64;
    let mut progress = |table: &str, done: u64, total: u64| {
        if total >= 100_000 {
            let step = done * 10 / total;
            if step != last_step || done == total {
                eprintln!("  {table}: {done} of {total} rows");
            }
            last_step = if done == total { 0 } else { step };
        }
    };
    let summary = store
        .restore_from(from, &mut progress)
        .await
        .with_context(|| format!("restoring {}", from.display()))?;
    if !summary.migrated.is_empty() {
        println!(
            "the backup was brought up to date first (migrations {:?})",
            summary.migrated
        );
    }
    for (t, n) in &summary.tables {
        println!("{t:<24} {n:>10}");
    }
    let rows: u64 = summary.tables.iter().map(|(_, n)| n).sum();
    println!(
        "restored {rows} rows of {} tables from {} into {} in {:.1}s (audit entry {})",
        summary.tables.len(),
        from.display(),
        store.display_url(),
        started.elapsed().as_secs_f64(),
        summary.audit_seq
    );
    match store.audit_verify().await? {
        Ok(n) => {
            println!("audit chain intact: {n} entries verified");
            Ok(0)
        }
        Err(e) => {
            eprintln!("audit chain BROKEN: {e}");
            Ok(2)
        }
    }
}

/// `chengguo reindex`: the request goes through the database (an audited setting), so that every
/// server's sync loop rebuilds its index; the local directory is rebuilt here unless a running
/// server holds it.
async fn reindex(settings: &Settings, db: &Db, index_dir: Option<PathBuf>) -> Result<i32> {
    let store = open(settings, db).await?;
    let url = settings.database_url(db.database_url.as_deref());
    store
        .set_setting(
            &Actor::system("reindex"),
            chengguo_store::search::REBUILD_SETTING,
            &serde_json::json!(chengguo_store::now()),
        )
        .await?;
    let Some(dir) = index_dir.or_else(|| settings.search_index_dir(&url)) else {
        println!("no index directory for {url}: running servers rebuild their in-memory index");
        return Ok(0);
    };
    if chengguo_search::dir_in_use(&dir) {
        println!(
            "a running server holds {}: it rebuilds its index within a second (as does every server on this database)",
            dir.display()
        );
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let (svc, report) = chengguo_store::SearchService::open(store.clone(), Some(&dir)).await?;
    let report = if report.rebuilt {
        report
    } else {
        svc.rebuild().await?
    };
    println!(
        "rebuilt {}: {} documents in {:.1}s (database change {})",
        dir.display(),
        report.upserted,
        started.elapsed().as_secs_f64(),
        report.seq
    );
    drop(svc);
    store.close().await;
    Ok(0)
}

/// The file's bytes, mapped into memory rather than copied: a million-row file is 250 MB,
/// and reading it whole before the first row is parsed took a few tenths of a second.
/// The file must not change while it is imported (as with any reader of a file in place).
#[allow(unsafe_code)]
fn map_file(file: &std::path::Path) -> Result<bytes::Bytes> {
    let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    if f.metadata().map(|m| m.len() == 0).unwrap_or(false) {
        // An empty file cannot be mapped.
        return Ok(bytes::Bytes::new());
    }
    // SAFETY: the mapping is read-only and the file is not written by this process; a file
    // changed by another process during the import is the documented misuse above.
    let map =
        unsafe { memmap2::Mmap::map(&f) }.with_context(|| format!("reading {}", file.display()))?;
    Ok(bytes::Bytes::from_owner(map))
}

/// Refuses a file over the upload limit before reading it: `Ok(Err(exit code))` after printing
/// the report that says so.
fn check_import_file(
    file: &std::path::Path,
    limits: &chengguo_io::Limits,
) -> Result<Result<(), i32>> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    match chengguo_io::check_file_len(len, limits) {
        Ok(()) => Ok(Ok(())),
        Err(e) => {
            let mut report = chengguo_web::imports::ImportReport::default();
            report.problem(chengguo_web::imports::read_problem(&e));
            Ok(Err(print_report(file, &report)))
        }
    }
}

/// Reads an import file, unless it is over the upload limit ([`check_import_file`]).
fn read_import_file(
    file: &std::path::Path,
    limits: &chengguo_io::Limits,
) -> Result<Result<Vec<u8>, i32>> {
    if let Err(code) = check_import_file(file, limits)? {
        return Ok(Err(code));
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(Ok(bytes))
}

/// `chengguo import contracts`: a progress bar while rows are written, then a summary.
async fn import_contracts(
    settings: &Settings,
    db: &Db,
    file: &std::path::Path,
    dry_run: bool,
) -> Result<i32> {
    let store = open(settings, db).await?;
    let started = std::time::Instant::now();
    let limits = settings.import.limits();
    if let Err(code) = check_import_file(file, &limits)? {
        return Ok(code);
    }
    let bytes = map_file(file)?;
    let format = chengguo_web::imports::detect_format(file.to_str(), &bytes);
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {percent:>3}% read · {msg} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("reading and checking {}", file.display()));
    // Redrawn on a timer too: the last step (indexes, summary, commit) reports once and lasts.
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    let shown = bar.clone();
    let verb = if dry_run { "checked" } else { "written" };
    let r = chengguo_web::imports::contracts::import_contracts(
        &store,
        &operator(),
        bytes,
        format,
        &limits,
        dry_run,
        move |p| {
            shown.set_length(p.total);
            shown.set_position(p.read);
            let done = if dry_run { p.rows } else { p.written };
            let then = if p.finishing {
                "; building indexes, summary, commit"
            } else {
                ""
            };
            shown.set_message(format!("{} rows read, {done} {verb}{then}", p.rows));
        },
    )
    .await?;
    bar.finish_and_clear();
    let code = print_report(file, &r.report);
    let secs = started.elapsed().as_secs_f64();
    if code == 0 {
        if !dry_run {
            println!(
                "{} registered, {} drafts; {} organizations created for parties new to the platform",
                r.registered_rows,
                r.report.created - r.registered_rows.min(r.report.created),
                r.organizations_created
            );
        }
        println!(
            "{:.1} s ({:.0} rows/s)",
            secs,
            r.report.rows as f64 / secs.max(1e-9),
        );
    }
    Ok(code)
}

async fn plan_load(
    settings: &Settings,
    file: &std::path::Path,
    db: &Db,
    check: bool,
) -> Result<i32> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let plan = match chengguo_core::plan::parse_plan(&text) {
        Ok(p) => p,
        Err(errs) => {
            for e in &errs {
                eprintln!("{}:{e}", file.display());
            }
            eprintln!("{} problem(s); the plan was not loaded", errs.len());
            return Ok(1);
        }
    };
    println!(
        "{}: plan '{}' ({}), {} objectives, {} tasks, {} policy figures, {} safeguards",
        file.display(),
        plan.key,
        plan.title_zh,
        plan.objectives.len(),
        plan.tasks.len(),
        plan.policies.len(),
        plan.safeguards.len()
    );
    if check {
        println!("check only: the plan is valid; nothing was stored");
        return Ok(0);
    }
    let store = open(settings, db).await?;
    let stored = store.load_plan(&operator(), &plan, &text).await?;
    println!(
        "loaded as version {} of '{}' (id {}); it is now the current plan",
        stored.version, plan.key, stored.id
    );
    Ok(0)
}

fn print_report(file: &std::path::Path, r: &chengguo_web::imports::ImportReport) -> i32 {
    println!(
        "{}: {} rows ({})",
        file.display(),
        r.rows,
        if r.encoding.is_empty() {
            "unreadable"
        } else {
            &r.encoding
        }
    );
    for c in &r.ignored_columns {
        println!("note: column '{c}' is not part of the format and was ignored");
    }
    if !r.ok() {
        for p in &r.problems {
            eprintln!("{p}");
        }
        let total = r.problems_total.max(r.problems.len());
        if total > r.problems.len() {
            eprintln!(
                "… and {} more (the first {} are listed)",
                total - r.problems.len(),
                r.problems.len()
            );
        }
        eprintln!("{total} problem(s); nothing was imported");
        return 1;
    }
    if r.dry_run {
        println!(
            "dry run: all {} rows are valid; nothing was written",
            r.rows
        );
    } else {
        println!(
            "imported: {} created, {} updated, {} unchanged",
            r.created, r.updated, r.unchanged
        );
    }
    0
}

async fn admin(settings: &Settings, cmd: AdminCmd) -> Result<i32> {
    match cmd {
        AdminCmd::CreateUser {
            db,
            username,
            password,
            role,
            org,
            district,
            display_name,
        } => {
            if let Err(p) = settings.password_policy().check(&username, &password) {
                anyhow::bail!("--password: {p}");
            }
            let store = open(settings, &db).await?;
            let roles = role
                .iter()
                .map(|r| r.parse::<Role>().map_err(anyhow::Error::msg))
                .collect::<Result<Vec<_>>>()?;
            let org_id = match org {
                Some(code) => {
                    let code = chengguo_core::CreditCode::parse(&code)
                        .map_err(|e| anyhow::anyhow!("--org: {e}"))?;
                    Some(
                        store
                            .org_by_credit_code(code.as_str())
                            .await?
                            .with_context(|| {
                                format!("--org: no organization has credit code {code}")
                            })?
                            .id,
                    )
                }
                None => None,
            };
            let district_code = match district {
                Some(d) => Some(
                    chengguo_core::DivisionCode::parse(&d)
                        .map_err(|e| anyhow::anyhow!("--district: {e}"))?
                        .to_string(),
                ),
                None => None,
            };
            let u = store
                .create_user(
                    &operator(),
                    &NewUser {
                        username,
                        password,
                        display_name,
                        roles,
                        org_id,
                        district_code,
                    },
                )
                .await?;
            println!(
                "created account '{}' (id {}) with roles {}",
                u.username,
                u.id,
                u.roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            );
            Ok(0)
        }
        AdminCmd::CreateToken {
            db,
            username,
            name,
            days,
        } => {
            let max = settings.api_token_days;
            let days = days.unwrap_or(max);
            if !(1..=max).contains(&days) {
                anyhow::bail!("--days: between 1 and {max}");
            }
            let store = open(settings, &db).await?;
            let u = account(&store, &username).await?;
            let (token, info) = store
                .create_token_expiring(&operator(), u.id, &name, days)
                .await?;
            println!(
                "API token {} for '{}', expires {} (shown once; use as 'Authorization: Bearer <token>'):",
                info.id,
                u.username,
                info.expires_at.as_deref().unwrap_or("-")
            );
            println!("{token}");
            Ok(0)
        }
        AdminCmd::ListTokens { db, username } => {
            let store = open(settings, &db).await?;
            let owner = match username {
                Some(n) => Some(account(&store, &n).await?.id),
                None => None,
            };
            for t in store.list_tokens(owner).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.active() {
                    "active"
                } else {
                    "expired"
                };
                println!(
                    "{:<6} {:<20} {:<20} expires {:<28} last used {:<28} {state}",
                    t.id,
                    t.username,
                    t.name,
                    t.expires_at.as_deref().unwrap_or("-"),
                    t.last_used_at.as_deref().unwrap_or("never"),
                );
            }
            Ok(0)
        }
        AdminCmd::RevokeToken { db, id } => {
            let store = open(settings, &db).await?;
            let t = store.revoke_token(&operator(), id, None).await?;
            println!(
                "revoked API token {} ('{}' of '{}')",
                t.id, t.name, t.username
            );
            Ok(0)
        }
        AdminCmd::ResetPassword {
            db,
            username,
            password,
        } => {
            if let Err(p) = settings.password_policy().check(&username, &password) {
                anyhow::bail!("--password: {p}");
            }
            let store = open(settings, &db).await?;
            let u = account(&store, &username).await?;
            store
                .set_password(&operator(), u.id, &password, None)
                .await?;
            println!(
                "password of '{}' reset; its sessions have ended",
                u.username
            );
            Ok(0)
        }
        AdminCmd::DisableUser { db, username } => {
            let store = open(settings, &db).await?;
            let u = account(&store, &username).await?;
            store.set_user_disabled(&operator(), u.id, true).await?;
            println!(
                "account '{}' disabled: it cannot log in, its sessions have ended and its tokens are refused",
                u.username
            );
            Ok(0)
        }
        AdminCmd::EnableUser { db, username } => {
            let store = open(settings, &db).await?;
            let u = account(&store, &username).await?;
            store.set_user_disabled(&operator(), u.id, false).await?;
            println!("account '{}' enabled", u.username);
            Ok(0)
        }
        AdminCmd::ListUsers { db } => {
            let store = open(settings, &db).await?;
            for u in store.list_users().await? {
                println!(
                    "{:<20} {:<30} {}",
                    u.username,
                    u.roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    u.display_name
                );
            }
            Ok(0)
        }
    }
}

async fn account(store: &Store, username: &str) -> Result<chengguo_store::User> {
    store
        .user_by_username(username)
        .await?
        .with_context(|| format!("no account named '{username}'"))
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CHENGGUO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(settings: &Settings, db: &Db, addr: Option<String>, demo: bool) -> Result<i32> {
    let store = open(settings, db).await?;
    let addr = addr
        .or_else(|| settings.addr.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    if demo {
        let s = chengguo_store::demo::load(&store).await?;
        if s.skipped {
            println!("demo: the database already has data; nothing loaded");
        } else {
            println!(
                "demo: loaded {} organizations and {} accounts",
                s.organizations,
                s.accounts.len()
            );
        }
    }
    // A platform without a plan shows no indicators: start with Shenyang's, which another city
    // replaces with `chengguo plan load`.
    if store
        .ensure_plan(&Actor::system("serve"), chengguo_core::plan::SHENYANG_2022)
        .await?
    {
        println!("plan: no plan was loaded; loaded the Shenyang plan (plans/shenyang-2022.toml)");
    }
    let mut config = chengguo_web::WebConfig {
        demo_hint: demo,
        secure_cookies: settings.secure_cookies,
        session_ttl_hours: settings.session_ttl_hours,
        session_idle_minutes: settings.session_idle_minutes,
        login_max_failures: settings.login_max_failures,
        login_max_failures_per_address: settings.login_max_failures_per_address,
        login_window_minutes: settings.login_window_minutes,
        trusted_proxies: settings.trusted_proxies(),
        metrics_token: settings.metrics_token.clone(),
        api_token_days: settings.api_token_days,
        password_policy: settings.password_policy(),
        ..Default::default()
    };
    config.max_upload_bytes =
        usize::try_from(settings.import.max_upload_bytes).unwrap_or(usize::MAX);
    config.import_limits = settings.import.limits();
    config.import_concurrency = settings.import.concurrency;
    config.import_queue_wait_ms = settings.import.queue_wait_ms;
    let url = settings.database_url(db.database_url.as_deref());
    let index_dir = settings.search_index_dir(&url);
    let started = std::time::Instant::now();
    let (search, report) = chengguo_store::SearchService::open(store.clone(), index_dir.as_deref())
        .await
        .context("opening the search index")?;
    match search.location() {
        chengguo_store::search::IndexLocation::Dir(d) => println!(
            "search: index {} ({} documents {} in {:.1}s)",
            d.display(),
            report.upserted,
            if report.rebuilt { "built" } else { "updated" },
            started.elapsed().as_secs_f64()
        ),
        chengguo_store::search::IndexLocation::Memory { reason } => {
            println!("search: index in memory ({reason})")
        }
    }
    let search = std::sync::Arc::new(search);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sync_loop = tokio::spawn(search.clone().run(
        std::time::Duration::from_millis(settings.search_sync_ms),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let app = chengguo_web::app(chengguo_web::AppState::new(store.clone(), config, search));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!(
        "Chengguo is serving http://{local}/  (database: {})",
        store.display_url()
    );
    if demo {
        println!(
            "demo logins (password '{}'):",
            chengguo_store::demo::DEMO_PASSWORD
        );
        for (u, roles) in [
            ("bureau", "bureau 科技局"),
            ("district", "district 区县 (浑南区)"),
            ("unit", "unit 高校院所 (东北大学)"),
            ("enterprise", "enterprise 企业 (新松机器人)"),
            ("broker", "broker 技术经纪人"),
            ("registrar", "registrar 登记员 (浑南服务站)"),
            ("public", "public 公众"),
        ] {
            println!("  {u:<11} {roles}");
        }
    }
    tracing::info!(%local, "listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let _ = stop_tx.send(());
    let _ = sync_loop.await;
    store.close().await;
    println!("Chengguo stopped");
    Ok(0)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
