//! Acceptance test: the article's `provisioning/install.yaml` — its roles and its last three
//! plays, unchanged — run against two tier-1b test hosts named `nadu1` and `nadu2`, under
//! `ansible-playbook` (the oracle) and `rsible-playbook`, each on fresh hosts, compared.
//!
//! Per program, three runs on the same hosts:
//! 1. the whole playbook: play 1 stages the fixture kernel locally, the roles install it
//!    (synchronize, `update-grub` stand-in, a real in-host reboot), apt from the local
//!    repository, the downloads from the test's HTTP server, the builds; it stops at
//!    `Load drivers` on both hosts (a namespace host cannot load `rdma_rxe`): exit 2;
//! 2. the same with `--start-at-task "Add SoftRoCE device"`: the rest of the rdma role and the
//!    last three plays (ib_send_bw server started async on nadu1, the client on nadu2,
//!    async_status polling) run: exit 0;
//! 3. the whole playbook again: idempotence, and the same stop at `Load drivers`.
//!
//! Compared after masking (addresses, temp paths, dates, job ids, key material): exit codes,
//! stdout, and each host's end state. See `docs/article-on-test-hosts.md`.
//!
//! `ansible_runs_the_article_as_the_fixtures_intend` runs only ansible-playbook and checks the
//! fixtures against it; `rsible_runs_the_article_like_ansible` runs both and compares.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::{compare, fixtures, hosts, http::FileServer, Outcome};

const STEPS: [(&str, &[&str]); 3] = [
    ("1 full run", &[]),
    (
        "2 --start-at-task \"Add SoftRoCE device\"",
        &["--start-at-task", "Add SoftRoCE device"],
    ),
    ("3 second full run", &[]),
];

struct Step {
    outcome: Outcome,
    /// Masked stdout.
    stdout: String,
    /// Masked stdout with the Reboot task's race outcome replaced (`compare::canonical_reboot`).
    canonical: String,
    /// Masked end state per host.
    states: Vec<(String, String)>,
}

struct ProgramRun {
    label: &'static str,
    steps: Vec<Step>,
    setup: Duration,
    notes: Vec<String>,
}

/// How often a program run is started again on fresh hosts when the playbook's reboot race
/// (see `compare::canonical_reboot`) made hosts unreachable.
const ATTEMPTS: usize = 3;

/// Runs the three steps with `program`, on fresh hosts, until a run's `Reboot` task did not
/// leave a host unreachable (the reboot landed while the async job was still being polled: a
/// race in the playbook, not in the program).
fn run_program(label: &'static str, program: &Path) -> ProgramRun {
    let mut lost = Vec::new();
    for attempt in 1..=ATTEMPTS {
        match run_program_once(label, program) {
            Ok(mut run) => {
                run.notes.extend(lost);
                return run;
            }
            Err(why) => lost.push(format!("{label} attempt {attempt}: {why}")),
        }
    }
    panic!(
        "{label}: every one of {ATTEMPTS} runs lost hosts at the Reboot task:\n{}",
        lost.join("\n")
    );
}

fn run_program_once(label: &'static str, program: &Path) -> Result<ProgramRun, String> {
    let started = Instant::now();
    let mut notes = Vec::new();
    let sandbox = common::sandbox();
    let scratch = sandbox.root();
    let scratch_text = scratch.display().to_string();

    let rootfs = rsible_testhosts::ensure_rootfs(Path::new(rsible_testhosts::DEFAULT_CACHE_DIR))
        .unwrap_or_else(|e| panic!("tier-1b root filesystem: {e}"));
    let (repo, built) = fixtures::apt_repo(&rootfs);
    notes.extend(built);
    let host_bin = fixtures::host_bin(scratch);
    let set = hosts::start(&repo, &host_bin);
    let files = scratch.join("hosts");
    set.write_files(&files)
        .unwrap_or_else(|e| panic!("client files: {e}"));

    let www = scratch.join("www");
    fixtures::tarballs(scratch, &www);
    let server = FileServer::start(hosts::gateway(&set), &www);
    let inventory = scratch.join("inventory");
    let urls = [
        ("iproute2_url", server.url("iproute2-5.9.0.tar.gz")),
        ("perftest_url", server.url("v4.4-0.32.tar.gz")),
    ];
    std::fs::write(&inventory, hosts::inventory(&set, &files, &urls))
        .unwrap_or_else(|e| panic!("{}: {e}", inventory.display()));
    let provisioning = fixtures::provisioning(scratch);
    let kernel_src = fixtures::kernel_src(scratch);
    let rdma_core_src = fixtures::rdma_core_src(scratch);
    let setup = started.elapsed();

    let mut steps = Vec::new();
    for (name, extra) in STEPS {
        let mut cmd = sandbox.command(program);
        cmd.current_dir(&provisioning)
            .arg("-i")
            .arg(&inventory)
            .arg("-e")
            .arg(format!("kernel_src={}", kernel_src.display()))
            .arg("-e")
            .arg(format!("rdma_core_src={}", rdma_core_src.display()))
            .args(extra)
            .arg("install.yaml");
        let outcome = sandbox.run(&mut cmd);
        let stdout = compare::mask(&outcome.stdout, &scratch_text);
        let (canonical, reboots) = compare::canonical_reboot(&stdout);
        if !reboots.is_empty() {
            let boots: Vec<String> = set
                .hosts()
                .iter()
                .map(|h| format!("{} booted {}x", h.name, set.boots(h).unwrap_or(0)))
                .collect();
            let note = format!(
                "{label} step {name}: Reboot task {reboots:?}; {}",
                boots.join(", ")
            );
            if reboots.iter().any(|(_, how)| *how == "unreachable") {
                save(label, &format!("{name} lost race"), &outcome, &stdout);
                set.teardown()
                    .unwrap_or_else(|e| panic!("tearing the hosts down: {e}"));
                return Err(format!(
                    "{note} (hosts unreachable: the reboot landed during the async poll; \
                     retried on fresh hosts)"
                ));
            }
            notes.push(note);
        }
        let states: Vec<(String, String)> = set
            .hosts()
            .iter()
            .map(|h| {
                let state = hosts::end_state(&set, h);
                (h.name.clone(), compare::mask(&state, &scratch_text))
            })
            .collect();
        save(label, name, &outcome, &stdout);
        for (host, state) in &states {
            save_text(label, &format!("{name} {host} state"), state);
        }
        steps.push(Step {
            outcome,
            stdout,
            canonical,
            states,
        });
    }
    let served = server.log.lock().map(|l| l.len()).unwrap_or(0);
    notes.push(format!(
        "{label}: the file server answered {served} requests"
    ));
    drop(server);
    set.teardown()
        .unwrap_or_else(|e| panic!("tearing the hosts down: {e}"));
    Ok(ProgramRun {
        label,
        steps,
        setup,
        notes,
    })
}

/// Keeps each run's raw and masked output under the target directory for reading after a
/// failure.
fn save(label: &str, step: &str, outcome: &Outcome, masked: &str) {
    let dir = report_dir();
    let stem: String = format!("{label}-{step}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(format!("{stem}.out")),
        format!("{}\n--- stderr ---\n{}", outcome.stdout, outcome.stderr),
    );
    let _ = std::fs::write(dir.join(format!("{stem}.masked")), masked);
}

fn save_text(label: &str, what: &str, text: &str) {
    let dir = report_dir();
    let stem: String = format!("{label}-{what}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{stem}.txt")), text);
}

fn report_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("article")
}

/// What the oracle must do with these fixtures; a failure here means the fixtures (not rsible)
/// are wrong.
fn check_oracle(run: &ProgramRun) -> Vec<String> {
    let mut problems = Vec::new();
    let want_rc = [2, 0, 2];
    for (i, step) in run.steps.iter().enumerate() {
        if step.outcome.rc != want_rc[i] {
            problems.push(format!(
                "{}: step {} exited {} instead of {}:\n{}\n{}",
                run.label,
                STEPS[i].0,
                step.outcome.rc,
                want_rc[i],
                step.outcome.stdout,
                step.outcome.stderr
            ));
        }
    }
    let expect = |i: usize, needle: &str, problems: &mut Vec<String>| {
        if !run.steps[i].stdout.contains(needle) {
            problems.push(format!(
                "{}: step {} stdout lacks {needle:?}",
                run.label, STEPS[i].0
            ));
        }
    };
    if problems.is_empty() {
        expect(0, "TASK [rdma_install : Load drivers]", &mut problems);
        expect(0, "fatal: [nadu1]: FAILED!", &mut problems);
        expect(0, "TASK [kernel_install : Reboot]", &mut problems);
        expect(1, "TASK [Check back the server]", &mut problems);
        let state = &run.steps[1].states;
        for (host, text) in state {
            for needle in [
                "/boot/vmlinuz-2.6.39-rsible",
                "/lib/modules/2.6.39-rsible/kernel/drivers/net/dummy/dummy.ko",
                "/usr/include/infiniband/verbs.h",
                "/usr/sbin/rdma",
                "/usr/bin/ib_send_bw",
                "rxe0 rxe eth1",
                "siw0 siw eth1",
                "lldb ",
                "/home/vagrant/iproute2-5.9.0/installed",
            ] {
                if !text.contains(needle) {
                    problems.push(format!(
                        "{}: {host} after step 2 lacks {needle:?}",
                        run.label
                    ));
                }
            }
        }
    }
    problems
}

fn report(runs: &[ProgramRun]) -> String {
    let mut out = String::from("article on nadu1/nadu2: wall time per run\n");
    for run in runs {
        let _ = write!(
            out,
            "  {:<16} setup {:>6.1} s",
            run.label,
            run.setup.as_secs_f64()
        );
        for (i, step) in run.steps.iter().enumerate() {
            let _ = write!(
                out,
                " | step {} rc {} {:>6.1} s",
                i + 1,
                step.outcome.rc,
                step.outcome.wall.as_secs_f64()
            );
        }
        out.push('\n');
        for note in &run.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    out
}

/// Two host sets at once would skew each other's timings on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

fn oracle() -> ProgramRun {
    let run = run_program("ansible-playbook", &common::ansible_playbook());
    let problems = check_oracle(&run);
    assert!(
        problems.is_empty(),
        "the fixtures do not behave as intended under ansible-playbook:\n{}\n{}",
        problems.join("\n"),
        report(std::slice::from_ref(&run))
    );
    run
}

#[test]
fn ansible_runs_the_article_as_the_fixtures_intend() {
    if !common::supported() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let run = oracle();
    eprintln!("{}", report(&[run]));
}

#[test]
fn rsible_runs_the_article_like_ansible() {
    if !common::supported() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let runs = [
        oracle(),
        run_program("rsible-playbook", &common::rsible_playbook()),
    ];
    let summary = report(&runs);
    let _ = std::fs::write(report_dir().join("timings.txt"), &summary);
    eprintln!("{summary}");
    let (want, got) = (&runs[0], &runs[1]);
    let mut problems = Vec::new();
    for (i, (w, g)) in want.steps.iter().zip(&got.steps).enumerate() {
        let step = STEPS[i].0;
        if w.outcome.rc != g.outcome.rc {
            problems.push(format!(
                "step {step}: exit code {} under ansible-playbook, {} under rsible-playbook",
                w.outcome.rc, g.outcome.rc
            ));
        }
        // The outputs must be equal as printed; only when both took different, equally valid
        // ways through the Reboot race may they be equal after canonicalising that task.
        if let Some(d) = compare::diff(&w.stdout, &g.stdout, &format!("step {step}: stdout")) {
            if w.canonical == g.canonical {
                eprintln!("step {step}: the outputs differ only in the Reboot race outcome");
            } else {
                problems.push(d);
            }
        }
        for ((host, ws), (_, gs)) in w.states.iter().zip(&g.states) {
            if let Some(d) = compare::diff(ws, gs, &format!("step {step}: end state of {host}")) {
                problems.push(d);
            }
        }
    }
    let _ = std::fs::write(report_dir().join("differences.txt"), problems.join("\n"));
    assert!(
        problems.is_empty(),
        "rsible-playbook differs from ansible-playbook on the article \
         (all outputs under {}):\n{}\n{summary}",
        report_dir().display(),
        problems.join("\n")
    );
}
