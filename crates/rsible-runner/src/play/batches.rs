//! `serial`: the play's hosts cut into batches that each run the whole play.

use rsible_parser::Play;
use rsible_template::{Origin, Value};

use crate::shared::Shared;
use crate::template_node::{python_str, render_node};
use crate::RunError;

/// The play's hosts cut into `serial` batches: a number, a percentage of the hosts, or a list
/// of those (the last one repeats), as Ansible's `_get_serialized_batches`.
pub(super) fn serial_batches(
    shared: &Shared<'_>,
    play: &Play,
    hosts: &[String],
) -> Result<Vec<Vec<String>>, RunError> {
    let Some(node) = &play.serial else {
        return Ok(vec![hosts.to_vec()]);
    };
    let value = render_node(
        &shared.templar,
        node,
        &shared.extra_vars,
        &Origin::default(),
    )?;
    let sizes: Vec<Value> = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    if sizes.is_empty() {
        return Ok(vec![hosts.to_vec()]);
    }
    let total = hosts.len();
    let mut batches = Vec::new();
    let mut rest = hosts;
    let mut i = 0;
    while !rest.is_empty() {
        let n = batch_size(&sizes[i.min(sizes.len() - 1)], total).min(rest.len());
        batches.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    Ok(batches)
}

/// One `serial` entry as a number of hosts (Ansible's `pct_to_int`): a percentage is at least
/// one host; zero, a negative number or what does not read as one means all of them.
fn batch_size(v: &Value, total: usize) -> usize {
    let text = python_str(v);
    match text.trim().strip_suffix('%') {
        Some(pct) => {
            let pct: f64 = pct.trim().parse().unwrap_or(100.0);
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "host counts"
            )]
            let n = ((pct / 100.0) * total as f64) as usize;
            n.max(1)
        }
        None => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => total.max(1),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::batch_size;
    use serde_json::json;

    #[test]
    fn sizes_as_ansible_counts_them() {
        assert_eq!(batch_size(&json!(2), 5), 2);
        assert_eq!(batch_size(&json!("40%"), 5), 2);
        assert_eq!(batch_size(&json!("10%"), 5), 1);
        assert_eq!(batch_size(&json!(0), 5), 5);
        assert_eq!(batch_size(&json!("x"), 3), 3);
    }
}
