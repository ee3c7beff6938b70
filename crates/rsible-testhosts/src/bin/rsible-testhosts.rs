//! `rsible-testhosts up|down|cleanup`: test hosts for benchmarks and manual use.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use rsible_testhosts::{cleanup_stale, HostSet, Tier};

#[derive(Parser)]
#[command(
    name = "rsible-testhosts",
    about = "Real SSH test hosts in network namespaces"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start hosts, write DIR/{inventory,ssh_config,id_ed25519,known_hosts,hosts.json,state},
    /// and keep them running until killed (SIGINT/SIGTERM) or `down`.
    Up {
        #[arg(long, default_value_t = 1)]
        count: usize,
        #[arg(long, value_enum, default_value = "1")]
        tier: TierArg,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value = "h")]
        prefix: String,
        /// Where tiers 1b and 1c keep their bootstrapped root filesystems.
        #[arg(long, default_value = rsible_testhosts::DEFAULT_CACHE_DIR)]
        rootfs_cache: PathBuf,
    },
    /// Stop the hosts an `up --dir DIR` runs.
    Down {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Remove leftovers of crashed runs (live host sets are kept).
    Cleanup,
}

#[derive(Clone, Copy, ValueEnum)]
enum TierArg {
    #[value(name = "1")]
    Shared,
    #[value(name = "1b")]
    OwnRoot,
    #[value(name = "1c")]
    Systemd,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Up {
            count,
            tier,
            dir,
            prefix,
            rootfs_cache,
        } => up(count, tier, &dir, &prefix, &rootfs_cache),
        Cmd::Down { dir } => down(&dir),
        Cmd::Cleanup => cleanup(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error>;

fn up(
    count: usize,
    tier: TierArg,
    dir: &Path,
    prefix: &str,
    rootfs_cache: &Path,
) -> Result<(), AnyError> {
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })?;
    let tier = match tier {
        TierArg::Shared => Tier::Shared,
        TierArg::OwnRoot => Tier::OwnRoot,
        TierArg::Systemd => Tier::Systemd,
    };
    let started = Instant::now();
    let set = HostSet::builder()
        .count(count)
        .tier(tier)
        .name_prefix(prefix)
        .rootfs_cache(rootfs_cache)
        .start()?;
    let elapsed = started.elapsed();
    set.write_files(dir)?;
    let state = serde_json::json!({
        "pid": std::process::id(),
        "run_dir": set.run_dir(),
    });
    // Written last: its presence tells scripts that the hosts are up.
    fs_err::write(dir.join("state"), state.to_string() + "\n")?;
    println!(
        "{count} host(s) up in {:.2} s; inventory: {}",
        elapsed.as_secs_f64(),
        dir.join("inventory").display()
    );
    let _ = rx.recv();
    let _ = fs_err::remove_file(dir.join("state"));
    set.teardown()?;
    println!("hosts stopped");
    Ok(())
}

fn down(dir: &Path) -> Result<(), AnyError> {
    let path = dir.join("state");
    let text = fs_err::read_to_string(&path)?;
    let state: serde_json::Value = serde_json::from_str(&text)?;
    let pid = state["pid"]
        .as_u64()
        .ok_or(rsible_testhosts::Error::NoState { path: path.clone() })?;
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while proc_dir.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if proc_dir.exists() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = fs_err::remove_file(&path);
    // Whatever the killed process could not remove itself.
    cleanup_stale()?;
    println!("hosts stopped");
    Ok(())
}

fn cleanup() -> Result<(), AnyError> {
    let report = cleanup_stale()?;
    if report.is_empty() {
        println!("nothing to clean up");
    } else {
        println!(
            "killed {} process(es); removed namespaces {:?}, links {:?}, dirs {:?}",
            report.processes, report.namespaces, report.links, report.dirs
        );
    }
    Ok(())
}
