//! What differs between an ansible-playbook run and an rsible-playbook run of the same case,
//! collected so that a failing test shows every difference at once.

use crate::diff::diff;
use crate::run::Outcome;

#[derive(Debug, Clone)]
pub struct Differences {
    problems: Vec<String>,
    context: usize,
}

impl Differences {
    /// No difference yet; text diffs show `context` lines around each change.
    pub fn new(context: usize) -> Self {
        Self {
            problems: Vec::new(),
            context,
        }
    }

    pub fn push(&mut self, problem: String) {
        self.problems.push(problem);
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn as_slice(&self) -> &[String] {
        &self.problems
    }

    /// The exit codes, `label` (e.g. "run 2") naming the run when not empty.
    pub fn exit_codes(&mut self, label: &str, expected: &Outcome, actual: &Outcome) {
        if expected.rc != actual.rc {
            self.push(format!(
                "{}exit code: ansible-playbook {} vs rsible-playbook {}",
                prefix(label),
                expected.rc,
                actual.rc
            ));
        }
    }

    /// Two texts made comparable (masked), `what` naming them in the diff's headers.
    pub fn text(&mut self, label: &str, what: &str, expected: &str, actual: &str) {
        if let Some(d) = diff(
            expected,
            actual,
            &format!("{}{what}", prefix(label)),
            self.context,
        ) {
            self.push(d);
        }
    }

    /// A second run must change nothing: every host's recap says `changed=0`.
    pub fn idempotent(&mut self, label: &str, who: &str, stdout: &str) {
        let recap = recap(stdout);
        let changed: Vec<&String> = recap.iter().filter(|l| !l.contains("changed=0")).collect();
        if recap.is_empty() || !changed.is_empty() {
            self.push(format!(
                "{}{who} is not idempotent: {changed:?}\n{stdout}",
                prefix(label)
            ));
        }
    }

    /// rsible's stderr, when something already differs: it is not compared, but it usually says
    /// why rsible went another way.
    pub fn explain_with_stderr(&mut self, label: &str, stderr: &str) {
        if !self.is_empty() && !stderr.is_empty() {
            self.push(format!("{}rsible stderr:\n{stderr}", prefix(label)));
        }
    }

    /// Fails the test with every difference when there is any.
    #[track_caller]
    pub fn assert_none(&self, name: &str) {
        assert!(
            self.is_empty(),
            "{name}: rsible-playbook differs from ansible-playbook\n\n{}",
            self.problems.join("\n")
        );
    }
}

fn prefix(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("{label}: ")
    }
}

/// The recap lines (`host : ok=… changed=…`), by host, blanks squeezed.
pub fn recap(stdout: &str) -> Vec<String> {
    let mut lines: Vec<String> = stdout
        .split("PLAY RECAP")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter(|l| l.contains(" : ok="))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn outcome(rc: i32, stdout: &str) -> Outcome {
        Outcome {
            rc,
            stdout: stdout.to_owned(),
            stderr: String::new(),
            wall: Duration::ZERO,
        }
    }

    #[test]
    fn differences_are_labelled_and_idempotence_reads_the_recap() {
        let mut d = Differences::new(3);
        d.exit_codes("run 1", &outcome(0, ""), &outcome(0, ""));
        d.text("run 1", "stdout", "a\n", "a\n");
        d.idempotent(
            "run 2",
            "rsible-playbook",
            "PLAY RECAP ***\nh1 : ok=1 changed=0\n",
        );
        assert!(d.is_empty(), "{:?}", d.as_slice());
        d.explain_with_stderr("run 1", "ignored while nothing differs");
        assert!(d.is_empty());

        d.exit_codes("", &outcome(0, ""), &outcome(2, ""));
        d.idempotent(
            "run 2",
            "rsible-playbook",
            "PLAY RECAP ***\nh1 : ok=1 changed=1\n",
        );
        d.explain_with_stderr("run 1", "why");
        assert_eq!(
            d.as_slice()[0],
            "exit code: ansible-playbook 0 vs rsible-playbook 2"
        );
        assert!(d.as_slice()[1].starts_with("run 2: rsible-playbook is not idempotent"));
        assert_eq!(d.as_slice()[2], "run 1: rsible stderr:\nwhy");
    }
}
