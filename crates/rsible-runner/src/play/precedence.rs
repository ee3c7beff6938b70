//! The variables a task sees on a host, lowest precedence first (see [`crate::vars`]), then
//! the magic variables; and the play's `vars_files`.

use rsible_parser::{Node, NodeKind, Task};
use rsible_template::{Origin, Value, Vars};

use super::{PlayCtx, Runner};
use crate::host_state::HostState;
use crate::template_node::{python_str, render_node};
use crate::{vars, RunError};

/// `hostvars` (when needed) and `groups`, built once per task for all its hosts.
pub(super) type Magic = (Option<Value>, Value);

impl Runner<'_> {
    /// `vars_files` of the play for one host: each entry templated, read, merged.
    pub(super) fn load_vars_files(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
    ) -> Result<Vec<(String, Node)>, RunError> {
        let mut out: Vec<(String, Node)> = Vec::new();
        if ctx.play.vars_files.is_empty() {
            return Ok(out);
        }
        let mut v = self.base_vars(ctx, host, None, &Vars::new());
        for entry in &ctx.play.vars_files {
            let candidates: Vec<&Node> = match entry.as_seq() {
                Some(list) => list.iter().collect(),
                None => vec![entry],
            };
            for cand in &candidates {
                let path = render_node(&self.shared.templar, cand, &v, &Origin::default())?;
                let path = std::path::PathBuf::from(python_str(&path));
                let path = if path.is_absolute() {
                    path
                } else {
                    self.shared.playbook.dir.join(path)
                };
                // Ansible 2.19 passes over a vars file that does not exist, without a word.
                if !path.exists() {
                    continue;
                }
                for (k, node) in read_vars_file(&path)? {
                    v.insert(k.clone(), node.to_value());
                    match out.iter_mut().find(|(name, _)| *name == k) {
                        Some(slot) => slot.1 = node,
                        None => out.push((k, node)),
                    }
                }
                break;
            }
        }
        Ok(out)
    }

    /// The `vars_files` whose names hold no template, read before the play is announced:
    /// Ansible loads them then (`get_vars(play=…)`), so a file it cannot read or decrypt
    /// stops the run before the `PLAY` banner.
    pub(super) fn check_static_vars_files(
        &self,
        play: &rsible_parser::Play,
    ) -> Result<(), RunError> {
        for entry in &play.vars_files {
            let candidates: Vec<&Node> = match entry.as_seq() {
                Some(list) => list.iter().collect(),
                None => vec![entry],
            };
            for cand in candidates {
                let Some(name) = cand.as_str() else { break };
                if rsible_template::Templar::is_template(name) {
                    break;
                }
                let path = self.shared.playbook.dir.join(name);
                if path.exists() {
                    read_vars_file(&path)?;
                    break;
                }
            }
        }
        Ok(())
    }

    /// `hostvars` (only when something may read it: it is the one variable whose size grows
    /// with the number of hosts) and `groups`, built once per task for all its hosts.
    pub(super) fn shared_magic(&self, ctx: &PlayCtx<'_>, task: Option<&Task>) -> Magic {
        let sh = &self.shared;
        let needed = ctx.vars_mention_hostvars
            || task.is_none_or(|t| {
                let search = vars::search_paths(t.role.as_deref(), &sh.playbook.dir);
                crate::task::may_read_hostvars(t, &search) || vars::task_mentions(t, "hostvars")
            })
            || self
                .include_vars
                .iter()
                .any(|v| vars::value_mentions(&Value::Object(v.clone()), "hostvars"));
        let hostvars = needed.then(|| vars::hostvars(&sh.inventory, &self.states, &sh.extra_vars));
        (hostvars, vars::groups(&sh.inventory))
    }

    /// Every variable a task sees on `host`.
    pub(super) fn base_vars(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        task: Option<&Task>,
        extra_task_vars: &Vars,
    ) -> Vars {
        let magic = self.shared_magic(ctx, task);
        self.base_vars_with(ctx, host, task, extra_task_vars, &magic)
    }

    /// [`Self::base_vars`] with the shared magic variables already built.
    pub(super) fn base_vars_with(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        task: Option<&Task>,
        extra_task_vars: &Vars,
        magic: &Magic,
    ) -> Vars {
        let mut v = self.layered_vars(ctx, host, task, extra_task_vars);
        self.connection_vars(&mut v, ctx, host, task);
        self.magic_vars(&mut v, ctx, host, task, magic);
        v
    }

    /// The precedence levels, lowest first; registered values and facts are marked as data
    /// from the host.
    fn layered_vars(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        task: Option<&Task>,
        extra_task_vars: &Vars,
    ) -> Vars {
        let sh = &self.shared;
        let merge = sh.opts.hash_merge;
        let role = task.and_then(|t| t.role.as_ref());
        // `!unsafe` strings of the variables written in YAML stay untemplated (docs/trust.md).
        let mut layers = vars::Layers::new(merge);
        for role in &ctx.public_roles {
            layers.nodes(&role.defaults);
        }
        if let Some(role) = role {
            layers.nodes(&role.defaults);
        }
        let inventory = vars::inventory_vars(&sh.inventory, host);
        layers.values(&inventory);
        if let Some(st) = self.states.get(host) {
            vars::inject_facts(&mut layers.vars, &st.facts, &st.plain_facts);
        }
        layers.nodes(&ctx.play.vars);
        if let Some(files) = ctx.vars_files.get(host) {
            layers.nodes(files);
        }
        for role in &ctx.public_roles {
            layers.nodes(&role.vars);
        }
        if let Some(role) = role {
            layers.nodes(&role.vars);
        }
        if let Some(task) = task {
            layers.nodes(&task.keywords.vars);
        }
        let mut untrusted: Vec<Value> = Vec::new();
        if let Some(st) = self.states.get(host) {
            layers.values(&st.included);
            layers.values(&st.registered);
            // Results and facts are data from the host: never templated again (Ansible 2.19).
            untrusted.extend(st.registered.keys().map(|k| Value::from(k.as_str())));
            untrusted.extend(
                st.facts
                    .keys()
                    .map(|k| Value::from(vars::fact_var_name(k, &st.plain_facts))),
            );
            if !st.facts.is_empty() {
                untrusted.push(Value::from("ansible_facts"));
            }
        }
        // Role params and include params outrank set_fact and registered values.
        if let Some(role) = role {
            layers.nodes(&role.params);
        }
        for scope in &self.include_vars {
            layers.values(scope);
        }
        layers.values(extra_task_vars);
        layers.values(&sh.extra_vars);
        let (mut v, marks) = layers.finish();
        untrusted.extend(marks);
        v.insert(
            rsible_template::UNTRUSTED_VARS.into(),
            Value::Array(untrusted),
        );
        v
    }

    /// PlayContext.update_vars: connection keywords become the variables a module sees,
    /// unless the inventory already set them.
    fn connection_vars(&self, v: &mut Vars, ctx: &PlayCtx<'_>, host: &str, task: Option<&Task>) {
        let keyword = match task {
            Some(t) => crate::task::Inherited::new(t, ctx.play).remote_user(),
            None => ctx.play.remote_user.as_ref(),
        };
        let remote_user = keyword
            .map(Node::to_value)
            .or_else(|| self.shared.opts.remote_user.clone().map(Value::from));
        if let Some(user) = remote_user {
            if !v.contains_key("ansible_user") && !v.contains_key("ansible_ssh_user") {
                v.insert("ansible_user".into(), user);
            }
        }
        // The transport and the address, as `connect.rs` resolves them: roles test
        // `ansible_connection` although no inventory sets it.
        if !v.contains_key("ansible_connection") {
            let keyword = match task {
                Some(t) => match crate::task::Inherited::new(t, ctx.play).connection() {
                    crate::task::Connection::Task(n) | crate::task::Connection::Play(n) => {
                        n.as_str().filter(|s| !s.contains("{{")).map(str::to_owned)
                    }
                    crate::task::Connection::Unset => None,
                },
                None => ctx
                    .play
                    .connection
                    .as_ref()
                    .and_then(Node::as_str)
                    .filter(|s| !s.contains("{{"))
                    .map(str::to_owned),
            };
            let connection = keyword
                .or_else(|| self.shared.opts.connection.clone())
                .unwrap_or_else(|| "ssh".to_owned());
            v.insert("ansible_connection".into(), Value::from(connection));
        }
        let address = ["ansible_host", "ansible_ssh_host"]
            .iter()
            .find_map(|k| v.get(*k).cloned())
            .unwrap_or_else(|| Value::from(host));
        for k in ["ansible_host", "ansible_ssh_host"] {
            v.entry(k).or_insert_with(|| address.clone());
        }
        let timeout = self.shared.opts.timeout.unwrap_or(10);
        for (k, default) in [
            ("ansible_pipelining", Value::Bool(false)),
            ("ansible_timeout", Value::from(timeout)),
            ("ansible_module_compression", Value::from("ZIP_DEFLATED")),
            ("ansible_shell_executable", Value::from("/bin/sh")),
        ] {
            v.entry(k).or_insert(default);
        }
    }

    /// The magic variables: the host's names and groups, the play's hosts, the run's settings.
    fn magic_vars(
        &self,
        v: &mut Vars,
        ctx: &PlayCtx<'_>,
        host: &str,
        task: Option<&Task>,
        (hostvars, groups): &Magic,
    ) {
        let sh = &self.shared;
        let dir = sh.playbook.dir.display().to_string();
        v.insert("playbook_dir".into(), Value::from(dir));
        v.insert("inventory_hostname".into(), Value::from(host));
        v.insert(
            "inventory_hostname_short".into(),
            Value::from(vars::short_name(host)),
        );
        v.insert("group_names".into(), vars::group_names(&sh.inventory, host));
        v.insert("groups".into(), groups.clone());
        if let Some(hostvars) = hostvars {
            v.insert("hostvars".into(), hostvars.clone());
        }
        v.insert("ansible_check_mode".into(), Value::Bool(sh.opts.check));
        v.insert("ansible_diff_mode".into(), Value::Bool(sh.opts.diff));
        v.insert("ansible_verbosity".into(), Value::from(sh.opts.verbosity));
        v.insert("omit".into(), Value::from(sh.omit.as_str()));
        self.play_host_vars(v, ctx);
        v.insert("ansible_play_name".into(), Value::from(ctx.name.as_str()));
        let names = |list: &[String]| -> Value {
            Value::Array(list.iter().map(|t| Value::from(t.as_str())).collect())
        };
        v.insert(
            "ansible_run_tags".into(),
            if sh.opts.tags.is_empty() {
                Value::Array(vec![Value::from("all")])
            } else {
                names(&sh.opts.tags)
            },
        );
        v.insert("ansible_skip_tags".into(), names(&sh.opts.skip_tags));
        let name_list =
            |list: Vec<String>| Value::Array(list.into_iter().map(Value::from).collect());
        v.insert(
            "ansible_play_role_names".into(),
            name_list(ctx.play_role_names.clone()),
        );
        v.insert("role_names".into(), name_list(ctx.play_role_names.clone()));
        // Ansible makes these from a Python set; rsible keeps the order roles were loaded in.
        let mut deps: Vec<String> = Vec::new();
        for r in ctx.play.roles.iter().chain(&ctx.play.imported_roles) {
            if r.dependency && !deps.contains(&r.display_name()) {
                deps.push(r.display_name());
            }
        }
        let mut all = deps.clone();
        for n in &ctx.play_role_names {
            if !all.contains(n) {
                all.push(n.clone());
            }
        }
        v.insert("ansible_dependent_role_names".into(), name_list(deps));
        v.insert("ansible_role_names".into(), name_list(all));
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            v.insert("ansible_role_name".into(), Value::from(role.display_name()));
            v.insert(
                "ansible_collection_name".into(),
                role.collection.clone().map_or(Value::Null, Value::from),
            );
            v.insert(
                "role_path".into(),
                Value::from(role.path.display().to_string()),
            );
            v.insert("role_name".into(), Value::from(role.name.as_str()));
        }
        if let Some(task) = task {
            v.insert(
                "ansible_search_path".into(),
                vars::ansible_search_path(task, &sh.playbook.dir),
            );
        }
        if let Some(src) = sh.inventory.sources.first() {
            v.insert(
                "inventory_file".into(),
                Value::from(src.display().to_string()),
            );
            if let Some(dir) = src.parent() {
                v.insert(
                    "inventory_dir".into(),
                    Value::from(dir.display().to_string()),
                );
            }
        }
    }

    /// `ansible_play_hosts`, `ansible_play_batch` (and `play_hosts`): the hosts still in the
    /// play, and in the batch; `ansible_play_hosts_all`: every host the play matched.
    fn play_host_vars(&self, v: &mut Vars, ctx: &PlayCtx<'_>) {
        let active = |hosts: &[String]| -> Vec<Value> {
            hosts
                .iter()
                .filter(|h| self.states.get(*h).is_none_or(HostState::is_active))
                .map(|h| Value::from(h.as_str()))
                .collect()
        };
        let batch = active(&ctx.hosts);
        v.insert(
            "ansible_play_hosts".into(),
            Value::Array(active(&ctx.play_hosts)),
        );
        v.insert("ansible_play_batch".into(), Value::Array(batch.clone()));
        v.insert("play_hosts".into(), Value::Array(batch));
        v.insert(
            "ansible_play_hosts_all".into(),
            Value::Array(
                ctx.all_hosts
                    .iter()
                    .map(|h| Value::from(h.as_str()))
                    .collect(),
            ),
        );
    }

    /// Vars for templating play-level things (task names): extra vars and play vars.
    /// What a task's name and tags are templated with before it runs on any host, as
    /// Ansible's strategy does: [`Self::play_level_vars`] with the task's role (defaults, vars,
    /// params) and the task's own `vars`, extra vars still last.
    pub(super) fn task_level_vars(&self, ctx: &PlayCtx<'_>, task: &Task) -> Vars {
        let mut v = Vars::new();
        if let Some(role) = &task.role {
            vars::extend_nodes(&mut v, &role.defaults);
        }
        vars::extend_nodes(&mut v, &ctx.play.vars);
        if let Some(role) = &task.role {
            vars::extend_nodes(&mut v, &role.vars);
        }
        vars::extend_nodes(&mut v, &task.keywords.vars);
        if let Some(role) = &task.role {
            vars::extend_nodes(&mut v, &role.params);
        }
        vars::extend(&mut v, &self.shared.extra_vars);
        v.insert(
            "playbook_dir".into(),
            Value::from(self.shared.playbook.dir.display().to_string()),
        );
        v
    }

    pub(super) fn play_level_vars(&self, ctx: &PlayCtx<'_>) -> Vars {
        let mut v = Vars::new();
        vars::extend_nodes(&mut v, &ctx.play.vars);
        vars::extend(&mut v, &self.shared.extra_vars);
        v.insert(
            "playbook_dir".into(),
            Value::from(self.shared.playbook.dir.display().to_string()),
        );
        v
    }
}

/// The variables of one `vars_files` file (nothing for an empty one).
fn read_vars_file(path: &std::path::Path) -> Result<Vec<(String, Node)>, RunError> {
    let docs = rsible_parser::load_yaml_file(path).map_err(|e| match e {
        // Ansible's `AnsibleError` (exit 1), not a parser error.
        rsible_parser::ParseError::Vault { source, .. } => RunError::Other(format!(
            "Invalid vars_files file '{}': {source}",
            path.display()
        )),
        e => RunError::Parse(e),
    })?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    match doc.as_map() {
        Some(pairs) => Ok(pairs
            .iter()
            .map(|(k, val)| (k.key_string(), val.clone()))
            .collect()),
        None if matches!(doc.kind, NodeKind::Null) => Ok(Vec::new()),
        None => Err(RunError::Parse(rsible_parser::ParseError::WrongType {
            keyword: "vars_files".into(),
            expected: "a mapping of variables",
            found: doc.type_name(),
            span: doc.span,
        })),
    }
}
