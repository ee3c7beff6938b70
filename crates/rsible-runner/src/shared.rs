//! What every part of a run reads: the playbook, the inventory, the options, the templar, and
//! the connector. Only the play changes the inventory, between tasks (`add_host`, `group_by`).

use std::borrow::Cow;

use rsible_parser::{Inventory, Playbook};
use rsible_template::{Templar, Vars};

use crate::{vars, Connector, RunOptions};

/// State every worker thread reads and none changes.
pub(crate) struct Shared<'a> {
    pub playbook: &'a Playbook,
    /// The run's inventory: the one given, until a play adds hosts or groups to its copy.
    pub inventory: Cow<'a, Inventory>,
    pub opts: &'a RunOptions,
    pub templar: Templar,
    /// The value of `omit`: arguments equal to it are dropped.
    pub omit: String,
    pub extra_vars: Vars,
    /// For task files read at run time (`include_tasks`).
    pub parse_opts: rsible_parser::ParseOptions,
    pub connector: &'a dyn Connector,
}

impl<'a> Shared<'a> {
    pub(crate) fn new(
        playbook: &'a Playbook,
        inventory: &'a Inventory,
        opts: &'a RunOptions,
        connector: &'a dyn Connector,
    ) -> Self {
        let mut extra_vars = Vars::new();
        for ev in &opts.extra_vars {
            vars::extend(&mut extra_vars, ev);
        }
        Self {
            playbook,
            inventory: Cow::Borrowed(inventory),
            opts,
            templar: Templar::new(),
            // Random, so that no value a playbook writes can be mistaken for it.
            omit: format!("__omit_place_holder__{}", random_hex()),
            extra_vars,
            parse_opts: rsible_parser::ParseOptions {
                roles_path: opts.role_search.0.clone(),
                collections_path: opts.role_search.1.clone(),
                ..parse_options()
            },
            connector,
        }
    }
}

/// What the parser accepts as a task action: every module, plus what the runner runs itself.
pub fn parse_options() -> rsible_parser::ParseOptions {
    rsible_parser::ParseOptions {
        modules: crate::task::action_names(),
        roles_path: Vec::new(),
        collections_path: Vec::new(),
        other_modules: Some(rsible_modules::resolve_module_name),
        library_modules: Vec::new(),
    }
}

fn random_hex() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}
