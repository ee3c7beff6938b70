//! `--list-hosts`, `--list-tasks`, `--list-tags` and `--syntax-check` output
//! (`ansible/cli/playbook.py: run`).

use std::io::Write;
use std::path::Path;

use rsible_parser::{Inventory, Playbook};
use rsible_runner::{RunError, RunOptions};
use serde_json::Value;

use crate::args::Args;
use crate::output::python::py_repr;

/// Which listing was asked for; any of them means nothing is run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub hosts: bool,
    pub tasks: bool,
    pub tags: bool,
    pub syntax: bool,
}

impl Listing {
    pub fn from_args(args: &Args) -> Option<Self> {
        let l = Self {
            hosts: args.list_hosts,
            tasks: args.list_tasks,
            tags: args.list_tags,
            syntax: args.syntax_check,
        };
        (l != Self::default()).then_some(l)
    }
}

/// One play's hosts: (display name, pattern, hosts), as `rsible_runner::list_hosts` gives them.
pub type PlayHosts = (String, String, Vec<String>);
/// One play's tasks: (display name, pattern, [(task name, tags)]).
pub type PlayTasks = (String, String, Vec<(String, Vec<String>)>);

/// Prints one playbook's listing.
pub fn print_listing(
    listing: Listing,
    path: &Path,
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let hosts = if listing.hosts && !listing.syntax {
        rsible_runner::list_hosts(playbook, inventory, opts)?
    } else {
        Vec::new()
    };
    let tasks = if (listing.tasks || listing.tags) && !listing.syntax {
        rsible_runner::list_tasks(playbook, inventory, opts)?
    } else {
        Vec::new()
    };
    let play_tags: Vec<Vec<String>> = playbook.plays.iter().map(|p| p.tags.clone()).collect();
    let text = format_listing(listing, path, &play_tags, &hosts, &tasks);
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(())
}

/// The text ansible-playbook prints for the listing options (`play_tags`: each play's own tags).
pub fn format_listing(
    listing: Listing,
    path: &Path,
    play_tags: &[Vec<String>],
    hosts: &[PlayHosts],
    tasks: &[PlayTasks],
) -> String {
    let mut text = format!("\nplaybook: {}\n", path.display());
    if listing.syntax {
        return text;
    }
    let count = play_tags.len().max(hosts.len()).max(tasks.len());
    for idx in 0..count {
        let play_tags: Vec<String> = play_tags
            .get(idx)
            .map(|t| sorted_unique(t.iter().cloned()))
            .unwrap_or_default();
        let (name, pattern) = hosts
            .get(idx)
            .map(|(n, p, _)| (n.clone(), p.clone()))
            .or_else(|| tasks.get(idx).map(|(n, p, _)| (n.clone(), p.clone())))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n  play #{} ({pattern}): {name}\tTAGS: [{}]",
            idx + 1,
            play_tags.join(",")
        ));
        if let Some((_, _, play_hosts)) = hosts.get(idx) {
            let pattern_list = Value::Array(vec![Value::String(pattern.clone())]);
            text.push_str(&format!(
                "\n    pattern: {}\n    hosts ({}):",
                py_repr(&pattern_list),
                play_hosts.len()
            ));
            for h in play_hosts {
                text.push_str(&format!("\n      {h}"));
            }
        }
        text.push('\n');
        if listing.tasks || listing.tags {
            let mut taskmsg = String::new();
            if listing.tasks {
                taskmsg.push_str("    tasks:\n");
            }
            let mut all_tags = play_tags.clone();
            if let Some((_, _, play_tasks)) = tasks.get(idx) {
                for (task_name, task_tags) in play_tasks {
                    all_tags.extend(task_tags.iter().cloned());
                    if listing.tasks {
                        let cur = sorted_unique(play_tags.iter().chain(task_tags).cloned());
                        taskmsg
                            .push_str(&format!("      {task_name}\tTAGS: [{}]\n", cur.join(", ")));
                    }
                }
            }
            if listing.tags {
                let cur = sorted_unique(all_tags);
                taskmsg.push_str(&format!("      TASK TAGS: [{}]\n", cur.join(", ")));
            }
            text.push_str(&taskmsg);
        }
    }
    text
}

fn sorted_unique(tags: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = tags.into_iter().collect();
    v.sort();
    v.dedup();
    v
}
