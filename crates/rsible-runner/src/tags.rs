/// Whether a task with `task_tags` runs under `--tags`/`--skip-tags`, as Ansible decides
/// (`always` runs unless skipped by name, `never` only when asked for by name).
pub(crate) fn should_run(task_tags: &[String], only: &[String], skip: &[String]) -> bool {
    let has = |t: &str| task_tags.iter().any(|x| x == t);
    let tagged = !task_tags.is_empty();
    if !only.is_empty() && !only.iter().any(|t| t == "all") {
        let wanted = only
            .iter()
            .any(|t| has(t) || (t == "tagged" && tagged) || (t == "untagged" && !tagged))
            || has("always");
        if !wanted {
            return false;
        }
    } else if has("never") && !only.iter().any(|t| has(t) && t != "never") {
        return false;
    }
    if skip
        .iter()
        .any(|t| has(t) || (t == "tagged" && tagged) || (t == "untagged" && !tagged))
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::should_run;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn tag_selection_follows_ansible() {
        assert!(should_run(&v(&[]), &v(&[]), &v(&[])));
        assert!(!should_run(&v(&[]), &v(&["a"]), &v(&[])));
        assert!(should_run(&v(&["a", "b"]), &v(&["a"]), &v(&[])));
        assert!(should_run(&v(&["always"]), &v(&["a"]), &v(&[])));
        assert!(!should_run(&v(&["always"]), &v(&["a"]), &v(&["always"])));
        assert!(!should_run(&v(&["never"]), &v(&[]), &v(&[])));
        assert!(should_run(&v(&["never", "x"]), &v(&["x"]), &v(&[])));
        assert!(!should_run(&v(&["a"]), &v(&[]), &v(&["a"])));
        assert!(should_run(&v(&["a"]), &v(&["tagged"]), &v(&[])));
        assert!(!should_run(&v(&["a"]), &v(&["untagged"]), &v(&[])));
    }
}
