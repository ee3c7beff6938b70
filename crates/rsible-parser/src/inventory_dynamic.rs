//! The inventory a play changes while it runs: `add_host` and `group_by`, as ansible-core's
//! `InventoryManager.add_dynamic_host` and `add_dynamic_group` apply their results. Each says
//! whether it changed anything, which is the task's `changed`.

use serde_json::{Map, Value};

use crate::inventory::{vars_for, Inventory};
use crate::ParseError;

impl Inventory {
    /// `add_host`: `host` (created as a member of `all` when new), its variables merged over
    /// its own, and each of `groups` (created when new) it joins. True when the host, its
    /// variables or its groups changed.
    pub fn add_dynamic_host(
        &mut self,
        host: &str,
        groups: &[String],
        vars: &Map<String, Value>,
    ) -> Result<bool, ParseError> {
        let mut changed = false;
        if !self.hosts.contains_key(host) {
            self.add_host(host, Some("all"));
            self.read_vars_dirs(host, "host_vars")?;
            changed = true;
        }
        if let Some(h) = self.hosts.get_mut(host) {
            for (k, v) in vars {
                if h.vars.get(k) != Some(v) {
                    h.vars.insert(k.clone(), v.clone());
                    changed = true;
                }
            }
        }
        for group in groups {
            changed |= self.new_group(group)?;
            let g = self.groups.get_mut(group.as_str());
            if let Some(g) = g.filter(|g| !g.hosts.iter().any(|h| h == host)) {
                g.hosts.push(host.to_owned());
                changed = true;
            }
        }
        if changed {
            self.reconcile();
        }
        Ok(changed)
    }

    /// `group_by`: `group` (created when new) under each of `parents` (created when new), with
    /// `host` in it unless it already is (directly or through a child group). True when a
    /// parent was created, a group got a new child or the host joined.
    pub fn add_dynamic_group(
        &mut self,
        host: &str,
        group: &str,
        parents: &[String],
    ) -> Result<bool, ParseError> {
        self.new_group(group)?;
        let mut changed = false;
        for parent in parents {
            changed |= self.new_group(parent)?;
        }
        for parent in parents.iter().filter(|p| p.as_str() != group) {
            let known = self
                .groups
                .get(parent.as_str())
                .is_some_and(|g| g.children.iter().any(|c| c == group));
            if !known {
                self.add_child(parent, group);
                changed = true;
            }
        }
        if !self.group_hosts(group).iter().any(|h| h == host) {
            if let Some(g) = self.groups.get_mut(group) {
                g.hosts.push(host.to_owned());
            }
            changed = true;
        }
        if changed {
            self.reconcile();
        }
        Ok(changed)
    }

    /// Creates `group` with the variables its `group_vars/` hold; true when it is new.
    fn new_group(&mut self, group: &str) -> Result<bool, ParseError> {
        if self.groups.contains_key(group) {
            return Ok(false);
        }
        self.add_group(group);
        self.read_vars_dirs(group, "group_vars")?;
        Ok(true)
    }

    /// Reads `<dir>/<kind>/<name>` of every directory the inventory read variables from.
    fn read_vars_dirs(&mut self, name: &str, kind: &str) -> Result<(), ParseError> {
        let mut found = Vec::new();
        for dir in &self.vars_dirs {
            found.extend(vars_for(&dir.join(kind), name)?);
        }
        let vars = if kind == "host_vars" {
            self.hosts.get_mut(name).map(|h| &mut h.vars)
        } else {
            self.groups.get_mut(name).map(|g| &mut g.vars)
        };
        if let Some(vars) = vars {
            vars.extend(found);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{group_names, match_hosts};

    fn inventory() -> Inventory {
        let mut inv = Inventory::new();
        inv.add_host("w1", Some("web"));
        inv.add_host("w2", Some("web"));
        inv.reconcile();
        inv
    }

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn add_host_changes_once() {
        let mut inv = inventory();
        let groups = vec!["dyn".to_owned()];
        let v = vars(json!({"color": "blue"}));
        assert_eq!(inv.add_dynamic_host("n1", &groups, &v).ok(), Some(true));
        assert_eq!(inv.add_dynamic_host("n1", &groups, &v).ok(), Some(false));
        let more = vars(json!({"color": "red"}));
        assert_eq!(inv.add_dynamic_host("n1", &[], &more).ok(), Some(true));
        assert_eq!(
            inv.add_dynamic_host("n2", &[], &Map::new()).ok(),
            Some(true)
        );
        // New hosts are members of `all` itself, so they come first (ansible-core's order).
        assert_eq!(
            match_hosts(&inv, "all").unwrap_or_default(),
            ["n1", "n2", "w1", "w2"]
        );
        assert_eq!(group_names(&inv, "n1"), ["dyn"]);
        assert_eq!(inv.group_hosts("ungrouped"), ["n2"]);
        assert_eq!(inv.hosts["n1"].vars["color"], "red");
    }

    #[test]
    fn group_by_changes_once() {
        let mut inv = inventory();
        let parents = vec!["painted".to_owned(), "all".to_owned()];
        assert_eq!(inv.add_dynamic_group("w1", "c", &parents).ok(), Some(true));
        assert_eq!(inv.add_dynamic_group("w1", "c", &parents).ok(), Some(false));
        assert_eq!(inv.add_dynamic_group("w2", "c", &parents).ok(), Some(true));
        assert_eq!(group_names(&inv, "w1"), ["c", "painted", "web"]);
        assert_eq!(
            inv.groups.keys().collect::<Vec<_>>(),
            ["all", "ungrouped", "web", "c", "painted"]
        );
        assert_eq!(
            match_hosts(&inv, "painted").unwrap_or_default(),
            ["w1", "w2"]
        );
    }
}
