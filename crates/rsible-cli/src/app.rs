//! What `rsible-playbook` does, from argv to exit status.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser;
use rsible_parser::{load_playbook, Inventory, Playbook};
use rsible_runner::{Callback, RunOptions};

use crate::args::{split_tags, Args};
use crate::config::Settings;
use crate::exit_status::ExitStatus;
use crate::list::{print_listing, Listing};
use crate::output::{timer, DefaultCallback, DisplayOptions, JsonCallback, Sinks};
use crate::stats_merge::MergedStats;
use crate::{options, retry, term, version, CliError};

/// Parses argv (program name first) the way ansible-playbook's argparse setup accepts it.
pub fn parse_args<I, T>(argv: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    Args::try_parse_from(argv)
}

/// Runs `rsible-playbook` with the process's arguments and environment.
pub fn run(argv: Vec<OsString>) -> ExitStatus {
    let process_env = crate::env::process_env;
    let prog = version::prog_name(argv.first().map(OsString::as_os_str), "rsible-playbook");
    let args = match parse_args(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Ok
                }
                _ => ExitStatus::UsageError,
            };
        }
    };
    let Some(settings) = load_settings(&process_env) else {
        return ExitStatus::OptionsError;
    };
    if args.version {
        let mut out = std::io::stdout();
        let _ = out.write_all(version::version_text(&prog, settings.config_path()).as_bytes());
        let _ = out.flush();
        return ExitStatus::Ok;
    }
    let env = |name: &str| settings.get(name);
    let color = crate::output::color::color_enabled(&env, std::io::stdout().is_terminal());
    term::install_interrupt_handler(color);
    let err_out = |msg: &str| {
        let text = crate::output::color::stringc(
            &format!("[ERROR]: {msg}"),
            crate::output::color::Color::Error,
            color,
        );
        let _ = writeln!(std::io::stderr(), "{text}");
    };
    let render = |d: &rsible_source::Diagnostic| {
        let _ = write!(std::io::stderr(), "{}", d.render(color));
    };
    match run_parsed(&args, &settings) {
        Ok(status) => status,
        Err(CliError::Parse(d)) => {
            render(&d);
            ExitStatus::ParseError
        }
        Err(CliError::Failed(d)) => {
            render(&d);
            ExitStatus::Error
        }
        Err(CliError::Config(d)) => {
            render(&d);
            ExitStatus::OptionsError
        }
        Err(CliError::Options(m)) => {
            err_out(&m);
            ExitStatus::OptionsError
        }
        Err(CliError::Error(m)) => {
            err_out(&m);
            ExitStatus::Error
        }
    }
}

/// `--syntax-check` passes a playbook whose modules Ansible knows; those rsible does not
/// implement yet are named, since a host that reaches one fails there.
fn warn_unimplemented(playbooks: &[(std::path::PathBuf, rsible_parser::Playbook)]) {
    let mut names: Vec<String> = playbooks
        .iter()
        .flat_map(|(_, pb)| rsible_runner::unimplemented_modules(pb))
        .collect();
    names.sort();
    names.dedup();
    if !names.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "[WARNING]: rsible does not implement these modules yet; a host that reaches one of them fails there: {}",
            names.join(", ")
        );
    }
}

/// Finds and reads `ansible.cfg` as ansible-core does (both binaries): Ansible's warning for a
/// file passed over in a world-writable directory, and its error (exit 5) for a file it
/// cannot read, on stderr.
pub fn load_settings<'a>(process_env: &'a dyn Fn(&str) -> Option<String>) -> Option<Settings<'a>> {
    let (settings, warning) = Settings::discover(process_env);
    let color = crate::output::color::color_enabled(process_env, std::io::stderr().is_terminal());
    if let Some(w) = warning {
        let text = crate::output::color::stringc(
            &format!("[WARNING]: {w}"),
            crate::output::color::Color::Warn,
            color,
        );
        let _ = writeln!(std::io::stderr(), "{text}");
    }
    match settings {
        Ok(s) => Some(s),
        Err(e) => {
            let _ = write!(std::io::stderr(), "{}", e.diagnostic().render(color));
            None
        }
    }
}

fn run_parsed(args: &Args, settings: &Settings<'_>) -> Result<ExitStatus, CliError> {
    let config_warnings = settings
        .check()
        .map_err(|e| CliError::Config(e.diagnostic()))?;
    let env = |name: &str| settings.get(name);
    let env: &dyn Fn(&str) -> Option<String> = &env;
    if let Some(flag) = args.unsupported() {
        return Err(CliError::Options(format!(
            "the option {flag} is not supported by rsible yet"
        )));
    }
    for pb in &args.playbooks {
        if !pb.exists() {
            return Err(CliError::Error(format!(
                "the playbook: {} could not be found",
                pb.display()
            )));
        }
        if !pb.is_file() {
            return Err(CliError::Error(format!(
                "the playbook: {} does not appear to be a file",
                pb.display()
            )));
        }
    }
    let mut run_opts = options::run_options(args, env)?;
    let listing = Listing::from_args(args);
    if listing.is_none() && options::asks_become_pass(args, env) {
        let pass = term::prompt_password("BECOME password: ")
            .map_err(|e| CliError::Error(format!("cannot read the become password: {e}")))?;
        run_opts.become_password = Some(pass);
    }

    let display_opts = DisplayOptions::from_env(
        env,
        run_opts.verbosity,
        run_opts.check,
        std::io::stdout().is_terminal(),
        term::terminal_width(),
    );
    let columns = display_opts.columns;
    let callback = make_callback(env, display_opts)?;
    let cb = callback.as_callback();
    match settings.config_path() {
        Some(path) => cb.verbose(1, None, &format!("Using {} as config file", path.display())),
        None => cb.verbose(1, None, "No config file found; using defaults"),
    }
    for w in &config_warnings {
        cb.warning(&w.text);
    }
    let extras = RunExtras {
        timer: enabled_callbacks(env, cb).then(|| (std::time::Instant::now(), columns)),
        retry: settings
            .flag("ANSIBLE_RETRY_FILES_ENABLED", false)
            .then(|| env("ANSIBLE_RETRY_FILES_SAVE_PATH").map(PathBuf::from)),
    };

    crate::vault::install(&crate::vault::request(args, env), cb)?;
    let mut inventory = load_inventories(args, env, cb)?;
    if inventory.hosts.is_empty() {
        cb.warning(
            "provided hosts list is empty, only localhost is available. Note that the implicit localhost does not match 'all'",
        );
    } else if let Some(limit) = &run_opts.limit {
        // ansible-playbook's `get_host_list`: `all`, restricted by the limit, must leave a host.
        let all = rsible_parser::match_hosts(&inventory, "all")
            .map_err(|e| CliError::Parse(e.diagnostic()))?;
        let limited = rsible_parser::match_hosts(&inventory, limit)
            .map_err(|e| CliError::Parse(e.diagnostic()))?;
        if !all.iter().any(|h| limited.contains(h)) {
            return Err(CliError::Error(
                "Specified inventory, host pattern and/or --limit leaves us with no hosts to target."
                    .to_owned(),
            ));
        }
    }

    let mut parse_opts = rsible_runner::parse_options();
    parse_opts.roles_path = options::roles_path(env);
    parse_opts.collections_path = options::collections_path(env);
    run_opts.role_search = (
        parse_opts.roles_path.clone(),
        parse_opts.collections_path.clone(),
    );
    let mut playbooks: Vec<(PathBuf, Playbook)> = Vec::new();
    for path in &args.playbooks {
        let loaded = load_playbook(path, &parse_opts);
        show_warnings(cb);
        let pb = loaded.map_err(|e| match e {
            // Ansible raises a plain AnsibleError (exit 1) for these, not a parser error.
            rsible_parser::ParseError::RoleNotFound { .. }
            | rsible_parser::ParseError::Removed { .. }
            | rsible_parser::ParseError::Vault { .. } => CliError::Failed(e.diagnostic()),
            _ => CliError::Parse(e.diagnostic()),
        })?;
        // `group_vars/` and `host_vars/` beside the playbook count too.
        rsible_parser::load_vars_dirs(&mut inventory, &pb.dir)
            .map_err(|e| CliError::Parse(e.diagnostic()))?;
        playbooks.push((path.clone(), pb));
    }

    if let Some(listing) = listing {
        if listing.syntax {
            warn_unimplemented(&playbooks);
        }
        for (path, pb) in &playbooks {
            print_listing(
                listing,
                path,
                pb,
                &inventory,
                &run_opts,
                &mut std::io::stdout(),
            )
            .map_err(|e| CliError::from_run(&e))?;
        }
        return Ok(ExitStatus::Ok);
    }

    run_all(&playbooks, &inventory, &run_opts, cb, &extras)
}

/// What the settings add around the run: the `timer` callback (its start and the banner
/// width) and retry files (`Some(save path)` when enabled).
struct RunExtras {
    timer: Option<(std::time::Instant, usize)>,
    retry: Option<Option<PathBuf>>,
}

/// `callbacks_enabled`: whether `timer` is on. Other callbacks are named in a warning, as
/// Ansible names one it cannot load.
fn enabled_callbacks(env: &dyn Fn(&str) -> Option<String>, cb: &dyn Callback) -> bool {
    let mut timer = false;
    for name in crate::env::first(env, &["ANSIBLE_CALLBACKS_ENABLED"])
        .map(|v| split_tags(&[v]))
        .unwrap_or_default()
    {
        match name.as_str() {
            "timer" | "ansible.posix.timer" => timer = true,
            other => cb.warning(&format!(
                "Skipping callback plugin '{other}': rsible does not support it"
            )),
        }
    }
    timer
}

fn run_all(
    playbooks: &[(PathBuf, Playbook)],
    inventory: &Inventory,
    opts: &RunOptions,
    callback: &dyn Callback,
    extras: &RunExtras,
) -> Result<ExitStatus, CliError> {
    let merged = MergedStats::new(callback);
    let mut status = ExitStatus::Ok;
    for (path, pb) in playbooks {
        let outcome = rsible_runner::run_playbook(pb, inventory, opts, &merged)
            .map_err(|e| CliError::from_run(&e))?;
        status = ExitStatus::from(outcome);
        if let (Some(save_dir), Some(stats)) = (&extras.retry, merged.take_last()) {
            let hosts = retry::hosts_to_retry(&stats);
            if !hosts.is_empty() {
                match retry::write(&retry::retry_path(path, save_dir.as_deref()), &hosts) {
                    Ok(msg) => {
                        let mut out = std::io::stdout();
                        let _ = write!(out, "{msg}");
                        let _ = out.flush();
                    }
                    Err(warning) => callback.warning(&warning),
                }
            }
        }
        // Hosts that failed stay failed for later playbooks in Ansible; without that state
        // across runs, stopping is the faithful choice.
        if status != ExitStatus::Ok {
            break;
        }
    }
    show_warnings(&merged);
    merged.finish();
    if let Some((start, columns)) = extras.timer {
        let mut out = std::io::stdout();
        let _ = out.write_all(timer::playbook_recap(start.elapsed(), columns).as_bytes());
        let _ = out.flush();
    }
    Ok(status)
}

/// Warnings the readers recorded (duplicate keys…), on stderr.
fn show_warnings(callback: &dyn Callback) {
    for w in rsible_source::take_warnings() {
        callback.diagnostic(&w);
    }
}

/// The stdout callback chosen by `ANSIBLE_STDOUT_CALLBACK`.
enum Renderer {
    Default(Box<DefaultCallback>),
    Json(JsonCallback),
}

impl Renderer {
    fn as_callback(&self) -> &dyn Callback {
        match self {
            Self::Default(c) => c.as_ref(),
            Self::Json(c) => c,
        }
    }
}

fn make_callback(
    env: &dyn Fn(&str) -> Option<String>,
    opts: DisplayOptions,
) -> Result<Renderer, CliError> {
    let name = crate::env::first(env, &["ANSIBLE_STDOUT_CALLBACK"])
        .unwrap_or_else(|| "default".to_owned());
    match name.as_str() {
        "default" | "ansible.builtin.default" => Ok(Renderer::Default(Box::new(
            DefaultCallback::new(opts, Sinks::std()),
        ))),
        "json" | "ansible.posix.json" => {
            let indent = crate::env::first(env, &["ANSIBLE_JSON_INDENT"])
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(4);
            let indent = usize::try_from(indent).ok().filter(|i| *i > 0);
            Ok(Renderer::Json(
                JsonCallback::new(indent, Sinks::std()).with_verbosity(opts.verbosity),
            ))
        }
        other => Err(CliError::Error(format!(
            "Invalid callback for stdout specified: {other}"
        ))),
    }
}

/// Loads every inventory source in order; warns as Ansible does for sources that cannot be
/// read and when none could be.
fn load_inventories(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    callback: &dyn Callback,
) -> Result<Inventory, CliError> {
    let explicit =
        !args.inventory.is_empty() || crate::env::first(env, &["ANSIBLE_INVENTORY"]).is_some();
    let mut sources = Vec::new();
    for source in options::inventory_sources(args, env) {
        let is_host_list = source.contains(',');
        if !is_host_list && !Path::new(&source).exists() {
            if explicit {
                callback.warning(&format!(
                    "Unable to parse {} as an inventory source",
                    absolute(Path::new(&source)).display()
                ));
            }
            continue;
        }
        sources.push(source);
    }
    let inventory =
        rsible_parser::load_inventories(&sources).map_err(|e| CliError::Parse(e.diagnostic()))?;
    for w in &inventory.warnings {
        callback.warning(w);
    }
    Ok(inventory)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_owned(), |cwd| cwd.join(p))
    }
}
