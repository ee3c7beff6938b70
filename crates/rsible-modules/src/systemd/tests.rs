use super::*;

#[test]
fn show_output_is_parsed_as_ansible_does() {
    let text = "Id=ssh.service\nActiveState=active \nExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ; ignore_errors=no }\nExecReload={ path=/bin/kill\n  argv[]=/bin/kill -HUP\n }\nDescription=a=b\nno equals here\n";
    let parsed = parse_systemctl_show(text);
    assert_eq!(parsed["Id"], "ssh.service");
    assert_eq!(parsed["ActiveState"], "active");
    assert_eq!(
        parsed["ExecStart"],
        "{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ; ignore_errors=no }"
    );
    assert_eq!(
        parsed["ExecReload"],
        "{ path=/bin/kill\n  argv[]=/bin/kill -HUP\n }"
    );
    assert_eq!(parsed["Description"], "a=b");
    assert_eq!(parsed.len(), 5);
}

#[test]
fn ignored_requests_are_recognised() {
    assert!(request_was_ignored(
        "Operation on or unit type of x not supported on this system, ignoring request"
    ));
    assert!(!request_was_ignored("Id=x\nignoring request"));
}

fn args(v: Value) -> Args {
    serde_json::from_value(v).expect("args")
}

#[test]
fn choices_and_required_by_are_checked_as_ansible_does() {
    assert_eq!(
        validate(&args(json!({"name": "ssh", "state": "running"}))).as_deref(),
        Some("value of state must be one of: reloaded, restarted, started, stopped, got: running")
    );
    assert_eq!(
        validate(&args(json!({"enabled": true}))).as_deref(),
        Some("missing parameter(s) required by 'enabled': name")
    );
    assert_eq!(validate(&args(json!({"daemon_reload": true}))), None);
    assert_eq!(
        validate(&args(json!({"name": "x", "state": "started"}))),
        None
    );
}
