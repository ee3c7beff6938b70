use rsible_parser::{Inventory, Playbook};

use crate::{Callback, RunError, RunOptions, RunOutcome};

/// Runs every play of a playbook against an inventory, reporting through `callback`.
pub fn run_playbook(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
    callback: &dyn Callback,
) -> Result<RunOutcome, RunError> {
    let _ = (playbook, inventory, opts, callback);
    Ok(RunOutcome::Ok)
}

/// One play's hosts for `--list-hosts`: (play display name, pattern, hosts).
pub fn list_hosts(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
) -> Result<Vec<(String, String, Vec<String>)>, RunError> {
    let _ = (playbook, inventory, opts);
    Ok(Vec::new())
}

/// One play's tasks for `--list-tasks`: (play display name, pattern, [(task name, tags)]).
#[expect(clippy::type_complexity, reason = "plain data for the CLI to print")]
pub fn list_tasks(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
) -> Result<Vec<(String, String, Vec<(String, Vec<String>)>)>, RunError> {
    let _ = (playbook, inventory, opts);
    Ok(Vec::new())
}
