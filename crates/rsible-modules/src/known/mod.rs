//! Every module name Ansible would resolve, implemented by rsible or not: a playbook written
//! for Ansible parses, and only a host that reaches an unimplemented module fails there
//! (multi-platform roles guard other families' modules with `when:`).

mod names;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

struct Table {
    builtin: HashSet<&'static str>,
    redirects: HashMap<&'static str, &'static str>,
    collections: HashMap<&'static str, HashSet<&'static str>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table {
        builtin: names::BUILTIN.split(' ').collect(),
        redirects: names::BUILTIN_REDIRECTS.iter().copied().collect(),
        collections: names::COLLECTIONS
            .iter()
            .map(|(c, n)| (*c, n.split(' ').collect()))
            .collect(),
    })
}

/// The fully qualified name Ansible resolves a task's action name to (`apt_key` →
/// `ansible.builtin.apt_key`, `ufw` → `community.general.ufw`, `ansible.posix.mount` as
/// written), or `None` when ansible-core and the `ansible` package's collections know no such
/// module or action.
pub fn resolve_module_name(written: &str) -> Option<String> {
    let t = table();
    let bare = written
        .strip_prefix("ansible.builtin.")
        .or_else(|| written.strip_prefix("ansible.legacy."))
        .unwrap_or(written);
    if !bare.contains('.') {
        if t.builtin.contains(bare) {
            return Some(format!("ansible.builtin.{bare}"));
        }
        return t.redirects.get(bare).map(|target| (*target).to_owned());
    }
    let mut parts = written.splitn(3, '.');
    let (ns, coll, name) = (parts.next()?, parts.next()?, parts.next()?);
    let collection = t.collections.get(format!("{ns}.{coll}").as_str())?;
    collection.contains(name).then(|| written.to_owned())
}

#[cfg(test)]
mod tests {
    use super::resolve_module_name as resolve;

    #[test]
    fn names_resolve_as_in_ansible() {
        assert_eq!(
            resolve("lineinfile").as_deref(),
            Some("ansible.builtin.lineinfile")
        );
        assert_eq!(
            resolve("ansible.legacy.package").as_deref(),
            Some("ansible.builtin.package")
        );
        assert_eq!(resolve("ufw").as_deref(), Some("community.general.ufw"));
        assert_eq!(
            resolve("ansible.builtin.synchronize").as_deref(),
            Some("ansible.posix.synchronize")
        );
        assert_eq!(
            resolve("community.general.pacman").as_deref(),
            Some("community.general.pacman")
        );
        assert_eq!(
            resolve("ansible.posix.mount").as_deref(),
            Some("ansible.posix.mount")
        );
        assert_eq!(
            resolve("include_vars").as_deref(),
            Some("ansible.builtin.include_vars")
        );
        assert_eq!(resolve("no_such_module"), None);
        assert_eq!(resolve("community.general.no_such_module"), None);
        assert_eq!(resolve("nosuch.collection.copy"), None);
        // Tombstoned: removed from ansible-core, Ansible refuses it.
        assert_eq!(resolve("include"), None);
    }
}
