//! YAML inventories, read as Ansible's `plugins/inventory/yaml.py` reads them.
//!
//! ```yaml
//! all:
//!   hosts:
//!     web[01:02]:
//!   children:
//!     db:
//!       hosts:
//!         db1: {ansible_port: 2222}
//!       vars: {tier: gold}
//! ```

use rsible_source::{Position, SourceId, Span};
use serde_json::Value;

use crate::fields::{invalid, wrong_type};
use crate::inventory::{expand_host_key, Inventory};
use crate::{Node, NodeKind, ParseError};

pub(crate) fn parse_yaml_inventory(
    inv: &mut Inventory,
    source: SourceId,
    doc: Option<&Node>,
) -> Result<(), ParseError> {
    let Some(doc) = doc.filter(|d| d.kind != NodeKind::Null) else {
        return Err(ParseError::Invalid {
            message: "Parsed empty YAML file".to_owned(),
            span: Span::point(source, Position::new(1, 1)),
            hint: None,
        });
    };
    let Some(pairs) = doc.as_map() else {
        return Err(wrong_type("a YAML inventory", "a mapping of groups", doc));
    };
    if doc.get("plugin").is_some() {
        return Err(invalid(
            "Plugin configuration YAML file, not YAML inventory",
            doc,
        ));
    }
    for (name, data) in pairs {
        parse_group(inv, &name.key_string(), data)?;
    }
    Ok(())
}

/// A section value: a mapping, null, or a lone string meaning `{string: null}`.
fn section_entries(
    section: &Node,
    key: &str,
    group: &str,
) -> Result<Vec<(String, Option<Node>)>, ParseError> {
    match &section.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Str(s) => Ok(vec![(s.clone(), None)]),
        NodeKind::Map(pairs) => Ok(pairs
            .iter()
            .map(|(k, v)| (k.key_string(), Some(v.clone())))
            .collect()),
        _ => Err(invalid(
            format!(
                "Invalid \"{key}\" entry for \"{group}\" group, requires a dictionary, found {} instead",
                section.type_name()
            ),
            section,
        )),
    }
}

fn parse_group(inv: &mut Inventory, group: &str, data: &Node) -> Result<(), ParseError> {
    let pairs = match &data.kind {
        NodeKind::Null => {
            inv.add_group(group);
            return Ok(());
        }
        NodeKind::Map(pairs) => pairs,
        _ => {
            inv.warnings.push(format!(
                "Skipping '{group}' as this is not a valid group definition"
            ));
            return Ok(());
        }
    };
    inv.add_group(group);
    for (key, value) in pairs {
        let key = key.key_string();
        match key.as_str() {
            "vars" => {
                for (name, v) in section_entries(value, &key, group)? {
                    let v = v.map_or(Value::Null, |n| n.to_value());
                    if let Some(g) = inv.groups.get_mut(group) {
                        g.vars.insert(name, v);
                    }
                }
            }
            "children" => {
                for (child, v) in section_entries(value, &key, group)? {
                    let null = Node {
                        kind: NodeKind::Null,
                        span: value.span,
                        style: None,
                        untrusted: false,
                    };
                    parse_group(inv, &child, v.as_ref().unwrap_or(&null))?;
                    inv.add_child(group, &child);
                }
            }
            "hosts" => {
                for (pattern, v) in section_entries(value, &key, group)? {
                    let (hosts, port) =
                        expand_host_key(&pattern).map_err(|m| invalid(m, value))?;
                    let vars = match v.as_ref().map(|n| &n.kind) {
                        None | Some(NodeKind::Null) => Vec::new(),
                        Some(NodeKind::Map(vars)) => vars
                            .iter()
                            .map(|(k, v)| (k.key_string(), v.to_value()))
                            .collect(),
                        Some(_) => {
                            let node = v.as_ref().unwrap_or(value);
                            return Err(invalid(
                                format!("Invalid data from file, expected dictionary for host '{pattern}'"),
                                node,
                            ));
                        }
                    };
                    for host in hosts {
                        inv.add_host(&host, Some(group));
                        if let Some(h) = inv.hosts.get_mut(&host) {
                            if let Some(port) = port {
                                h.vars.insert("ansible_port".to_owned(), Value::from(port));
                            }
                            h.vars.extend(vars.iter().cloned());
                        }
                    }
                }
            }
            other => inv.warnings.push(format!(
                "Skipping unexpected key ({other}) in group ({group}), only \"vars\", \"children\" and \"hosts\" are valid"
            )),
        }
    }
    Ok(())
}
