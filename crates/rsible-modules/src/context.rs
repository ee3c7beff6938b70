use std::path::PathBuf;

use rsible_template::{Origin, Templar, Vars};

use crate::{Become, Connection};

/// Everything a module may use besides its arguments.
pub struct ModuleContext<'a> {
    /// The target (after `delegate_to`).
    pub conn: &'a dyn Connection,
    pub templar: &'a Templar,
    /// Every variable visible to the task (for `debug: var=`, `template`, `assert`).
    pub vars: &'a Vars,
    /// Where the task came from: position and lookup search paths.
    pub origin: &'a Origin,
    /// Where `src:` of copy/template is searched: the role's `files/` or `templates/` first.
    pub role_path: Option<PathBuf>,
    pub playbook_dir: PathBuf,
    pub become_: Option<Become>,
    /// The task's `environment:`, already templated.
    pub environment: Vec<(String, String)>,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
}
