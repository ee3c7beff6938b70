//! Inventories: INI or YAML files, directories of them, and `-i host1,host2,` lists, plus the
//! `group_vars/` and `host_vars/` beside them.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;
use walkdir::WalkDir;

use crate::host_range::{expand_hosts, split_port};
use crate::inventory_ini::parse_ini;
use crate::inventory_yaml::parse_yaml_inventory;
use crate::yaml::load_yaml_file;
use crate::{NodeKind, ParseError};

/// A host as the inventory declares it.
#[derive(Clone, Debug, Default)]
pub struct InventoryHost {
    pub name: String,
    /// Inline and `host_vars/` variables, in order.
    pub vars: IndexMap<String, Value>,
}

/// A group with its direct members.
#[derive(Clone, Debug, Default)]
pub struct InventoryGroup {
    pub name: String,
    pub hosts: Vec<String>,
    pub children: Vec<String>,
    pub vars: IndexMap<String, Value>,
}

/// Hosts and groups in declaration order. `all` and `ungrouped` always exist.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub hosts: IndexMap<String, InventoryHost>,
    pub groups: IndexMap<String, InventoryGroup>,
    /// Files the inventory came from (for `inventory_dir`, `host_vars/` lookup).
    pub sources: Vec<PathBuf>,
    /// Warnings Ansible would print while reading the inventory (`[WARNING]: …` lines).
    pub warnings: Vec<String>,
    /// Directories whose `group_vars/` and `host_vars/` were read, in order: the groups and
    /// hosts a play adds (`add_host`, `group_by`) read theirs there too.
    pub vars_dirs: Vec<PathBuf>,
    /// A `group_vars`/`host_vars` file that could not be decrypted. Ansible reads those when
    /// a play starts, so the run stops there (after the `PLAY` banner), not while loading.
    pub vault_error: Option<(PathBuf, rsible_vault::VaultError)>,
}

/// File name endings Ansible skips in an inventory directory (`INVENTORY_IGNORE_EXTS`).
const IGNORED_EXTS: &[&str] = &[
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];

impl Inventory {
    /// An inventory with only the `all` and `ungrouped` groups.
    pub fn new() -> Self {
        let mut inv = Self::default();
        inv.add_group("all");
        inv.add_group("ungrouped");
        inv.add_child("all", "ungrouped");
        inv
    }

    /// Adds a group if it is not there yet.
    pub fn add_group(&mut self, name: &str) {
        if !self.groups.contains_key(name) {
            self.groups.insert(
                name.to_owned(),
                InventoryGroup {
                    name: name.to_owned(),
                    ..InventoryGroup::default()
                },
            );
        }
    }

    /// Makes `child` a child group of `parent` (both created if needed).
    pub fn add_child(&mut self, parent: &str, child: &str) {
        self.add_group(child);
        self.add_group(parent);
        if let Some(g) = self.groups.get_mut(parent) {
            if !g.children.iter().any(|c| c == child) {
                g.children.push(child.to_owned());
            }
        }
    }

    /// Adds a host if it is not there yet, and makes it a member of `group`.
    pub fn add_host(&mut self, name: &str, group: Option<&str>) {
        if !self.hosts.contains_key(name) {
            self.hosts.insert(
                name.to_owned(),
                InventoryHost {
                    name: name.to_owned(),
                    vars: IndexMap::new(),
                },
            );
        }
        if let Some(group) = group {
            self.add_group(group);
            if let Some(g) = self.groups.get_mut(group) {
                if !g.hosts.iter().any(|h| h == name) {
                    g.hosts.push(name.to_owned());
                }
            }
        }
    }

    /// The groups that list `group` as a child.
    pub(crate) fn parents(&self, group: &str) -> Vec<&str> {
        self.groups
            .values()
            .filter(|g| g.children.iter().any(|c| c == group))
            .map(|g| g.name.as_str())
            .collect()
    }

    /// `group` and every group below it, breadth first (Ansible's `get_descendants`).
    pub(crate) fn descendants(&self, group: &str) -> Vec<&str> {
        let mut ordered: Vec<&str> = Vec::new();
        let Some((_, name, _)) = self.groups.get_full(group) else {
            return ordered;
        };
        ordered.push(name.as_str());
        let mut i = 0;
        while i < ordered.len() {
            if let Some(g) = self.groups.get(ordered[i]) {
                for child in &g.children {
                    if !ordered.contains(&child.as_str()) {
                        ordered.push(child.as_str());
                    }
                }
            }
            i += 1;
        }
        ordered
    }

    /// Every host in `group` or below it, in Ansible's order (`Group.get_hosts`).
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for g in self.descendants(group) {
            if let Some(g) = self.groups.get(g) {
                for h in &g.hosts {
                    if !hosts.contains(h) {
                        hosts.push(h.clone());
                    }
                }
            }
        }
        hosts
    }

    /// The groups a host belongs to, directly or through children, `all` included.
    pub(crate) fn host_groups(&self, host: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut queue: Vec<&str> = self
            .groups
            .values()
            .filter(|g| g.hosts.iter().any(|h| h == host))
            .map(|g| g.name.as_str())
            .collect();
        while let Some(g) = queue.pop() {
            if !out.contains(&g) {
                out.push(g);
                queue.extend(self.parents(g));
            }
        }
        out
    }

    /// Distance of a group from `all` along its longest path (Ansible's `Group.depth`).
    pub(crate) fn depth(&self, group: &str) -> usize {
        let mut seen: Vec<&str> = Vec::new();
        self.depth_inner(group, &mut seen)
    }

    fn depth_inner<'a>(&'a self, group: &'a str, seen: &mut Vec<&'a str>) -> usize {
        if seen.contains(&group) {
            return 0;
        }
        seen.push(group);
        let d = self
            .parents(group)
            .into_iter()
            .map(|p| self.depth_inner(p, seen) + 1)
            .max()
            .unwrap_or(0);
        seen.pop();
        d
    }

    /// Ansible's `reconcile_inventory`: top-level groups become children of `all`, and hosts in
    /// no group land in `ungrouped` (and leave it once they are in another group).
    pub(crate) fn reconcile(&mut self) {
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for name in &names {
            if name != "all" && self.parents(name).is_empty() {
                self.add_child("all", name);
            }
        }
        let hosts: Vec<String> = self.hosts.keys().cloned().collect();
        for host in hosts {
            let groups: Vec<String> = self
                .host_groups(&host)
                .into_iter()
                .map(str::to_owned)
                .collect();
            let others = groups.iter().any(|g| g != "all" && g != "ungrouped");
            let in_ungrouped = groups.iter().any(|g| g == "ungrouped");
            if in_ungrouped && others {
                if let Some(g) = self.groups.get_mut("ungrouped") {
                    g.hosts.retain(|h| *h != host);
                }
            } else if !in_ungrouped && !others {
                self.add_host(&host, Some("ungrouped"));
            }
        }
    }
}

/// Loads an INI or YAML inventory file, a directory of them, or a comma-separated host list
/// (`-i host1,host2,`).
pub fn load_inventory(source: &str) -> Result<Inventory, ParseError> {
    load_inventories(&[source])
}

/// Loads several `-i` sources into one inventory, in order (later variables win), then
/// settles `all`/`ungrouped` membership once, as Ansible does after parsing all sources.
pub fn load_inventories<S: AsRef<str>>(sources: &[S]) -> Result<Inventory, ParseError> {
    let mut inv = Inventory::new();
    for source in sources {
        add_source(&mut inv, source.as_ref())?;
    }
    if inv.sources.is_empty() && inv.hosts.is_empty() {
        inv.warnings
            .push("No inventory was parsed, only implicit localhost is available".to_owned());
    }
    inv.reconcile();
    Ok(inv)
}

/// Adds one more `-i` source to an inventory (Ansible accepts several). Call
/// [`load_inventories`] instead unless you settle group membership yourself.
pub fn add_source(inv: &mut Inventory, source: &str) -> Result<(), ParseError> {
    let path = Path::new(source);
    if !path.exists() && source.contains(',') {
        for entry in source.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (host, port) = split_port(entry);
            inv.add_host(&host, Some("ungrouped"));
            if let (Some(port), Some(h)) = (port, inv.hosts.get_mut(&host)) {
                h.vars.insert("ansible_port".to_owned(), Value::from(port));
            }
        }
        return Ok(());
    }
    if !path.exists() {
        let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        inv.warnings.push(format!(
            "Unable to parse {} as an inventory source",
            shown.display()
        ));
        return Ok(());
    }
    let abs = std::path::absolute(path).map_err(|e| ParseError::Read {
        path: path.to_owned(),
        source: e,
    })?;
    load_path(inv, &abs)?;
    let base = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    load_vars_dirs(inv, &base)?;
    Ok(())
}

fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || IGNORED_EXTS.iter().any(|e| name.ends_with(e))
}

/// Every file below `dir` (links followed), in name order, depth first, leaving out the
/// entries whose name `skip` accepts and what lies below them.
fn files_below(dir: &Path, skip: fn(&str) -> bool) -> Result<Vec<PathBuf>, ParseError> {
    let mut files = Vec::new();
    let entries = WalkDir::new(dir)
        .min_depth(1)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !skip(&entry.file_name().to_string_lossy()));
    for entry in entries {
        let entry = entry.map_err(|err| ParseError::Read {
            path: err.path().unwrap_or(dir).to_owned(),
            source: err.into(),
        })?;
        if !entry.file_type().is_dir() {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// An inventory file, or every file below an inventory directory but the [`ignored`] ones.
fn load_path(inv: &mut Inventory, path: &Path) -> Result<(), ParseError> {
    if !path.is_dir() {
        return load_file(inv, path);
    }
    for file in files_below(path, ignored)? {
        load_file(inv, &file)?;
    }
    Ok(())
}

fn load_file(inv: &mut Inventory, path: &Path) -> Result<(), ParseError> {
    let text = match crate::vault::read_text(path) {
        Ok(text) => text,
        // Every inventory plugin fails on it; Ansible warns and goes on without the source.
        Err(ParseError::Vault { source, .. }) => {
            inv.warnings.extend([
                format!("Failed to parse inventory with 'yaml' plugin: {source}"),
                format!("Failed to parse inventory with 'ini' plugin: Failed to parse inventory: {source}"),
                format!("Unable to parse {} as an inventory source", path.display()),
            ]);
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    inv.sources.push(path.to_owned());
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let source = rsible_source::SourceMap::add(path, text.as_str());
    let yaml_ext = matches!(ext.as_str(), "yml" | "yaml" | "json");
    if yaml_ext || ext.is_empty() {
        let parsed = crate::yaml::load_yaml_source(source, &text);
        let looks_yaml = matches!(&parsed, Ok(docs) if docs.first().is_some_and(|d| matches!(d.kind, NodeKind::Map(_))));
        if yaml_ext || looks_yaml {
            let docs = parsed?;
            return parse_yaml_inventory(inv, source, docs.first());
        }
    }
    parse_ini(inv, source, &text)
}

/// Merges `group_vars/` and `host_vars/` found in `dir` into the inventory's group and host
/// variables (later sources win). The runner calls this again for the playbook directory.
pub fn load_vars_dirs(inv: &mut Inventory, dir: &Path) -> Result<(), ParseError> {
    if !inv.vars_dirs.iter().any(|d| d == dir) {
        inv.vars_dirs.push(dir.to_owned());
    }
    let groups: Vec<String> = inv.groups.keys().cloned().collect();
    for group in groups {
        let vars = deferred_vault(inv, vars_for(&dir.join("group_vars"), &group))?;
        if let Some(g) = inv.groups.get_mut(&group) {
            g.vars.extend(vars);
        }
    }
    let hosts: Vec<String> = inv.hosts.keys().cloned().collect();
    for host in hosts {
        let vars = deferred_vault(inv, vars_for(&dir.join("host_vars"), &host))?;
        if let Some(h) = inv.hosts.get_mut(&host) {
            h.vars.extend(vars);
        }
    }
    Ok(())
}

/// A vars file that could not be decrypted is kept for the play to report (the first one).
fn deferred_vault(
    inv: &mut Inventory,
    vars: Result<Vec<(String, Value)>, ParseError>,
) -> Result<Vec<(String, Value)>, ParseError> {
    match vars {
        Err(ParseError::Vault { path, source }) => {
            inv.vault_error.get_or_insert((path, source));
            Ok(Vec::new())
        }
        other => other,
    }
}

/// Variables for `name` in a `group_vars`/`host_vars` directory: `name`, `name.yml`,
/// `name.yaml`, `name.json`, or every file in `name/`.
pub(crate) fn vars_for(dir: &Path, name: &str) -> Result<Vec<(String, Value)>, ParseError> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for ext in ["", ".yml", ".yaml", ".json"] {
        let path = dir.join(format!("{name}{ext}"));
        if path.is_dir() {
            load_vars_tree(&path, &mut out)?;
        } else if path.is_file() {
            load_vars_file(&path, &mut out)?;
        }
    }
    Ok(out)
}

/// The vars files below a `group_vars/<group>/` (or `host_vars/<host>/`) directory.
fn load_vars_tree(dir: &Path, out: &mut Vec<(String, Value)>) -> Result<(), ParseError> {
    let skip = |name: &str| name.starts_with('.') || IGNORED_EXTS.iter().any(|e| name.ends_with(e));
    for file in files_below(dir, skip)? {
        let ext = file.extension().map(|e| e.to_string_lossy().into_owned());
        if matches!(ext.as_deref(), None | Some("yml" | "yaml" | "json")) {
            load_vars_file(&file, out)?;
        }
    }
    Ok(())
}

/// A vars file's top-level mapping (an empty file is no variables).
pub(crate) fn load_vars_file(
    path: &Path,
    out: &mut Vec<(String, Value)>,
) -> Result<(), ParseError> {
    let docs = load_yaml_file(path)?;
    let Some(doc) = docs.first() else {
        return Ok(());
    };
    match &doc.kind {
        NodeKind::Null => Ok(()),
        NodeKind::Map(pairs) => {
            out.extend(pairs.iter().map(|(k, v)| (k.key_string(), v.to_value())));
            Ok(())
        }
        _ => Err(crate::fields::wrong_type("a vars file", "a mapping", doc)),
    }
}

/// Hosts of one pattern key, with its port (`web[1:3]:22`).
pub(crate) fn expand_host_key(key: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (pattern, port) = split_port(key);
    let hosts = expand_hosts(&pattern).map_err(|e| e.0)?;
    Ok((hosts, port))
}
