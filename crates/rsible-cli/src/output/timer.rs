//! The `timer` callback (`ansible.posix.timer`, enabled with `callbacks_enabled = timer`): how
//! long the run took, after the recap.

use std::time::Duration;

/// What the callback prints at the end: its banner, then the time as `timedelta` splits it.
/// The `\n\r` is the plugin's own (Ansible's display then adds the newline).
pub fn playbook_recap(elapsed: Duration, columns: usize) -> String {
    const TITLE: &str = "PLAYBOOK RECAP";
    let secs = elapsed.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let stars = "*".repeat(columns.saturating_sub(TITLE.len()).max(3));
    format!(
        "\n{TITLE} {stars}\nPlaybook run took {days} days, {} hours, {} minutes, {} seconds\n\r\n",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Bytes of ansible-playbook 2.19.14 with `callbacks_enabled = timer` (ansible.posix 1.x),
    // stdout not a terminal.
    #[test]
    fn matches_ansible_output() {
        // 65 stars: the banner line is 80 bytes with its newline.
        let expected = format!(
            "\nPLAYBOOK RECAP {}\nPlaybook run took 0 days, 0 hours, 0 minutes, 0 seconds\n\r\n",
            "*".repeat(65)
        );
        assert_eq!(playbook_recap(Duration::from_millis(400), 79), expected);
        assert!(playbook_recap(Duration::from_secs(90_061), 79)
            .contains("took 1 days, 1 hours, 1 minutes, 1 seconds\n"));
    }
}
