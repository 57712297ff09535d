//! The `sportello` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sportello::config::{Config, ConfigError, Layers, LogFormat};
use sportello::storage::files::FileStore;
use sportello::{Server, demo, jobs, letters, open_database};

/// mimalloc: a request allocates many small objects (headers, futures, strings); glibc's
/// allocator took a quarter of a small request's time under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "sportello",
    version,
    about = "Sportello: the digital front office of a public institution"
)]
struct Cli {
    /// TOML configuration file (see docs/configuration.md).
    #[arg(long, global = true, env = "SPORTELLO_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (and this node's job runner).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// sqlite://<file> or postgres://…
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Demo mode: local SQLite file, demo data in an empty database, plain-HTTP cookies.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Background jobs: counts by state, dead letters, retry.
    Jobs {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Put a dead job back in the queue.
        #[arg(long, value_name = "JOB_ID")]
        retry: Option<String>,
    },
    /// The audit log: `verify` walks the hash chain and names the first broken link.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Printed letters: print batches.
    Letters {
        #[command(subcommand)]
        command: LettersCommand,
    },
    /// The catalogue: import content files (see docs/catalog.md).
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Print the configuration reference (the source of docs/configuration.md).
    ConfigDocs,
    /// Application forms: load definition files (see docs/forms.md).
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Replay a click day against a running site: N synthetic citizens log in with their PIN
    /// and file one application each (bonus asilo nido) through the API. Seeds the synthetic
    /// citizens first (as `admin synthetic-citizens`) in the database of this configuration
    /// unless `--no-seed`. Ends with one line:
    /// `submissions/s: X p50_ms: Y p99_ms: Z errors: E`.
    Loadgen {
        /// The site, e.g. http://127.0.0.1:8080.
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// How many citizens arrive (each files one application).
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        citizens: u64,
        /// Over how many seconds they arrive, evenly spaced.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        duration: f64,
        /// Requests in flight at most.
        #[arg(long, value_name = "N", default_value_t = 512)]
        concurrency: usize,
        /// Index of the first synthetic citizen (another range files fresh applications).
        #[arg(long, value_name = "N", default_value_t = 0)]
        first: u64,
        /// File as a browser does: save the answers as a draft, then file the draft (two
        /// requests), instead of filing in one request.
        #[arg(long)]
        drafts: bool,
        /// The synthetic citizens already exist: do not touch the database.
        #[arg(long)]
        no_seed: bool,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum FormsCommand {
    /// Check every `*.toml` in DIR and store the new versions, all or nothing (a bad file is
    /// named with its line, and the forms in service stay as they were). Every node picks up
    /// the new versions within seconds.
    Load {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// FOR LOAD TESTS ONLY: create synthetic citizens 0..COUNT ("Cittadino Sintetico", valid
    /// codici fiscali, a PIN dispositivo derived from the codice fiscale, a residence in Rome).
    /// Existing ones are left alone. Never run it on a site real people use.
    SyntheticCitizens {
        #[arg(long, value_name = "COUNT")]
        count: u64,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Import `<section>/<slug>.toml` files from DIR as published pages (all or nothing on a
    /// bad file; pages that already exist are left alone). `--demo` imports the demo content.
    Import {
        /// Directory holding servizi/, notizie/, bandi/, avvisi/, video/.
        #[arg(value_name = "DIR", required_unless_present = "demo")]
        dir: Option<PathBuf>,
        /// Import the demo catalogue shipped in the binary instead.
        #[arg(long)]
        demo: bool,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditAction {
    /// Check every entry's hash and link; exit 1 at the first broken one.
    Verify {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum LettersCommand {
    /// Close the open print batch and write its merged PDF and CSV manifest into DIR.
    Export {
        /// Directory to write into (created if missing).
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    sportello::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// One clear line, no backtrace.
fn fail(message: &str) -> ExitCode {
    eprintln!("sportello: error: {message}");
    ExitCode::FAILURE
}

fn load_config(
    file: Option<&PathBuf>,
    bind: Option<String>,
    database_url: Option<String>,
    demo: bool,
) -> Result<Config, ConfigError> {
    let mut layers = Layers::defaults();
    if demo {
        // Demo runs on plain HTTP on this machine, under a name nobody mistakes for a real office.
        layers = layers
            .flag("cookie_secure", "--demo", Some("false".to_owned()))
            .flag(
                "institution_name",
                "--demo",
                Some("Sportello dimostrativo".to_owned()),
            )
            // Without a mail server or SMS gateway configured, the demo logs messages instead.
            .flag("notify_log_fallback", "--demo", Some("true".to_owned()));
    }
    if let Some(path) = file {
        layers = layers.file(path)?;
    }
    layers
        .env(std::env::vars())?
        .flag("bind", "--bind", bind)
        .flag("database_url", "--database-url", database_url)
        .build()
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::ConfigDocs => {
            print!("{}", sportello::config::reference_markdown());
            Ok(())
        }
        Command::Migrate { database_url } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let db = open_database(&config, true).await.map_err(|e| e.to_string())?;
            db.close().await;
            println!("migrations applied to {}", config.database_url.redacted());
            Ok(())
        }
        Command::Jobs { database_url, retry } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let db = open_database(&config, false).await.map_err(|e| e.to_string())?;
            if let Some(id) = retry {
                let requeued = jobs::queue::retry_dead(&db, &id)
                    .await
                    .map_err(|e| e.to_string())?;
                db.close().await;
                return if requeued {
                    println!("job {id} is queued again");
                    Ok(())
                } else {
                    Err(format!("no dead job with id {id}"))
                };
            }
            for (state, count) in jobs::queue::counts(&db).await.map_err(|e| e.to_string())? {
                println!("{state:>8} {count}");
            }
            for job in jobs::queue::dead_letters(&db, 20)
                .await
                .map_err(|e| e.to_string())?
            {
                println!(
                    "dead {} {} after {} attempts: {}",
                    job.id,
                    job.kind,
                    job.attempts,
                    job.last_error.unwrap_or_default()
                );
            }
            db.close().await;
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Verify { database_url },
        } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let db = open_database(&config, false).await.map_err(|e| e.to_string())?;
            let verdict = sportello::audit::verify(&db).await.map_err(|e| e.to_string());
            db.close().await;
            match verdict? {
                sportello::audit::Verdict::Intact { entries } => {
                    println!("audit log intact: {entries} entries, every link holds");
                    Ok(())
                }
                sportello::audit::Verdict::Broken { seq, reason } => {
                    Err(format!("audit log broken at entry {seq}: {reason}"))
                }
            }
        }
        Command::Letters {
            command: LettersCommand::Export { out, database_url },
        } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let db = open_database(&config, false).await.map_err(|e| e.to_string())?;
            let result = export_letters(&config, &db, &out).await;
            db.close().await;
            result
        }
        Command::Catalog {
            command:
                CatalogCommand::Import {
                    dir,
                    demo,
                    database_url,
                },
        } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let files = match (&dir, demo) {
                (_, true) => sportello::catalog::demo_files().map_err(|e| e.to_string())?,
                (Some(dir), false) => read_catalog_dir(dir)?,
                (None, false) => return Err("give a directory or --demo".to_owned()),
            };
            let db = open_database(&config, config.auto_migrate)
                .await
                .map_err(|e| e.to_string())?;
            let result = sportello::catalog::store::import(&db, &files).await;
            db.close().await;
            let added = result.map_err(|e| e.to_string())?;
            println!("{} file(s) read, {added} page(s) added", files.len());
            Ok(())
        }
        Command::Forms {
            command: FormsCommand::Load { dir, database_url },
        } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let files = sportello::domande::registry::read_dir(&dir)?;
            let db = open_database(&config, config.auto_migrate)
                .await
                .map_err(|e| e.to_string())?;
            let result = sportello::domande::registry::load_files(&db, &files, None).await;
            db.close().await;
            let report = result.map_err(|e| e.to_string())?;
            println!(
                "{} file(s) read, {} unchanged, {} new version(s) stored{}",
                files.len(),
                report.unchanged,
                report.added.len(),
                report
                    .added
                    .iter()
                    .map(|(code, version)| format!(" {code}@{version}"))
                    .collect::<String>()
            );
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::SyntheticCitizens { count, database_url },
        } => {
            let config =
                load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
            init_logging(&config);
            let added = seed_synthetic(&config, count).await?;
            println!("{added} synthetic citizen(s) added; {count} exist");
            Ok(())
        }
        Command::Loadgen {
            url,
            citizens,
            duration,
            concurrency,
            first,
            drafts,
            no_seed,
            database_url,
        } => {
            if !(duration.is_finite() && duration > 0.0) || citizens == 0 {
                return Err("--citizens and --duration must be positive".to_owned());
            }
            if !no_seed {
                let config =
                    load_config(cli.config.as_ref(), None, database_url, false).map_err(|e| e.to_string())?;
                let added = seed_synthetic(&config, first + citizens).await?;
                eprintln!("{added} synthetic citizen(s) added");
            }
            let options = sportello::loadgen::Options {
                url,
                citizens,
                duration: std::time::Duration::from_secs_f64(duration),
                concurrency,
                first,
                drafts,
            };
            let summary = sportello::loadgen::run(&options).await?;
            eprintln!(
                "{} citizens in {:.1} s: {} filed, {} deferred by the server (503/429 with Retry-After), {} errors",
                citizens,
                summary.elapsed.as_secs_f64(),
                summary.submissions,
                summary.deferred,
                summary.errors
            );
            for sample in &summary.samples {
                eprintln!("error: {sample}");
            }
            println!("{}", summary.line());
            Ok(())
        }
        Command::Serve {
            bind,
            database_url,
            demo,
        } => {
            let config =
                load_config(cli.config.as_ref(), bind, database_url, demo).map_err(|e| e.to_string())?;
            init_logging(&config);
            let server = Server::build(config.clone()).await.map_err(|e| e.to_string())?;
            let addr = server.local_addr().map_err(|e| e.to_string())?;
            if demo {
                let loaded = demo::load_if_empty(
                    server.db(),
                    &server.state().files,
                    &server.state().pin_key,
                    &config.institution_name,
                )
                .await
                .map_err(|e| e.to_string())?;
                sportello::catalog::refresh_now(server.state()).await;
                print_demo_banner(&config, addr, loaded);
            }
            tracing::info!(%addr, files = server.state().files.description(), database = server.db().backend(), node = %config.node_name, "listening");
            server.run_until_stopped().await.map_err(|e| e.to_string())
        }
    }
}

/// Creates synthetic citizens `0..count` in the configured database.
async fn seed_synthetic(config: &Config, count: u64) -> Result<u64, String> {
    let db = open_database(config, config.auto_migrate)
        .await
        .map_err(|e| e.to_string())?;
    let key = sportello::identity::pins::load_key(&db, config.pin_key.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let added = sportello::loadgen::seed(&db, &key, count).await;
    db.close().await;
    added.map_err(|e| e.to_string())
}

/// Reads every `<section>/<slug>.toml` under `dir` (all must parse).
fn read_catalog_dir(dir: &std::path::Path) -> Result<Vec<sportello::catalog::model::ContentFile>, String> {
    let mut texts = Vec::new();
    for kind in sportello::catalog::model::Kind::ALL {
        let folder = dir.join(kind.section());
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let name = format!(
                    "{}/{}",
                    kind.section(),
                    path.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                );
                texts.push((name, text));
            }
        }
    }
    if texts.is_empty() {
        return Err(format!("no content files under {}", dir.display()));
    }
    sportello::catalog::parse_files(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| e.to_string())
}

/// `sportello letters export`: closes the open batch and writes its files.
async fn export_letters(
    config: &Config,
    db: &sportello::storage::Db,
    out: &std::path::Path,
) -> Result<(), String> {
    let files = FileStore::open(&config.files).map_err(|e| e.to_string())?;
    let Some(batch) = letters::close_open_batch(db, &files, "cli")
        .await
        .map_err(|e| format!("cannot close the print batch: {e}"))?
    else {
        println!("Nessuna lettera da stampare: non c'è un lotto aperto.");
        return Ok(());
    };
    let files = letters::download_batch(db, &files, &batch.id, "cli")
        .await
        .map_err(|e| format!("cannot read the print batch {}: {e}", batch.id))?
        .ok_or_else(|| format!("the print batch {} disappeared", batch.id))?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let pdf = out.join(format!("lotto-{}.pdf", batch.id));
    let csv = out.join(format!("lotto-{}.csv", batch.id));
    std::fs::write(&pdf, &files.pdf).map_err(|e| format!("cannot write {}: {e}", pdf.display()))?;
    std::fs::write(&csv, &files.manifest_csv).map_err(|e| format!("cannot write {}: {e}", csv.display()))?;
    println!("Lotto {} chiuso: {} lettere.", batch.id, batch.letter_count);
    println!("{}", pdf.display());
    println!("{}", csv.display());
    Ok(())
}

fn print_demo_banner(config: &Config, addr: std::net::SocketAddr, loaded: bool) {
    println!();
    println!("  Sportello (demo) è pronto: http://{addr}");
    println!(
        "  Database: {}{}",
        config.database_url.redacted(),
        if loaded {
            " (dati dimostrativi caricati)"
        } else {
            ""
        }
    );
    println!("  Cittadini (accesso con codice fiscale e PIN su /accedi):");
    for citizen in demo::CITIZENS {
        let pin = match citizen.pin {
            demo::DemoPin::Active { pin, level } => format!("PIN {pin} ({level})"),
            demo::DemoPin::ToActivate { first, second } => {
                format!("PIN da attivare su /accedi/attiva-pin: {first} + {second}")
            }
        };
        println!(
            "    {}  {:<24} {}  – {}",
            citizen.codice_fiscale, citizen.name, pin, citizen.note
        );
    }
    println!(
        "  Personale (su /personale/accedi; password \"{}\", codice TOTP dall'app con il segreto {}):",
        demo::STAFF_PASSWORD,
        demo::STAFF_TOTP
    );
    for member in demo::STAFF {
        println!("    {:<14} {}", member.username, member.role.as_str());
    }
    println!("  Per fermarlo: Ctrl-C");
    println!();
}
