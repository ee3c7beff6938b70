use serde_json::json;

use super::*;
use crate::testing::{args, Env, FakeConnection, RunResult as _};

// Expected values from ansible.modules.pip's helpers.
#[test]
fn package_names_are_recovered_as_the_module_does() {
    let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        recover_package_names(&v(&[
            "django>1.11.1",
            "<1.11.3",
            "ipaddress",
            "simpleproject>1.1.0",
            "<2.0.0"
        ])),
        v(&[
            "django>1.11.1,<1.11.3",
            "ipaddress",
            "simpleproject>1.1.0,<2.0.0"
        ])
    );
    assert_eq!(
        recover_package_names(&v(&["django>1.11.1,<1.11.3,ipaddress", "pkg[a,b]>=1"])),
        v(&["django>1.11.1,<1.11.3", "ipaddress", "pkg[a,b]>=1"])
    );
    assert!(is_venv_command("python3 -m venv"));
    assert!(is_venv_command("pyvenv"));
    assert!(!is_venv_command("virtualenv"));
    assert!(!is_venv_command("python3 -m virtualenv"));
    assert_eq!(
        Package::new("rsible-demo", Some("1.0")).render(),
        "rsible-demo==1.0"
    );
    assert_eq!(
        Package::new("rsible-demo", Some(" >=1.0")).render(),
        "rsible-demo>=1.0"
    );
    let p = Package::new("Rsible_Demo>=1.1", None);
    assert!(p.is_present(&["pip==23.0", "rsible-demo==1.2"]));
    assert!(!p.is_present(&["rsible-demo==1.0"]));
    assert!(!Package::new("git+https://x.invalid/y.git", None).is_present(&["y==1"]));
}

#[test]
fn arguments_are_checked_as_ansible() {
    let conn = FakeConnection::default();
    let env = Env::default();
    let run = |a: serde_json::Value| PIP.run(&env.ctx(&conn), &args(a)).result();
    assert_eq!(
        run(json!({"name": "x", "requirements": "r"}))["msg"],
        "parameters are mutually exclusive: name|requirements"
    );
    assert_eq!(
        run(json!({"name": "x", "executable": "pip3", "virtualenv": "/v"}))["msg"],
        "parameters are mutually exclusive: executable|virtualenv"
    );
    assert_eq!(
        run(json!({"name": "x", "state": "bogus"}))["msg"],
        "value of state must be one of: present, absent, latest, forcereinstall, got: bogus"
    );
    assert_eq!(
        run(json!({"state": "present"}))["msg"],
        "one of the following is required: name, requirements"
    );
    assert_eq!(
        run(json!({"name": "x", "state": "latest", "version": "1"}))["msg"],
        "version is incompatible with state=latest"
    );
    assert!(conn.lines().is_empty());
}

#[test]
fn installs_into_an_existing_virtualenv() {
    let conn = FakeConnection::with_outputs(vec![
        FakeConnection::out(0, "T:/tmp\nP:/usr/bin/python3\nM:1\nL:C.UTF-8\nA:1\n", ""),
        FakeConnection::out(0, "", ""), // the virtualenv's pip3 is there
        FakeConnection::out(0, "Successfully installed rsible-demo-1.0\n", ""),
    ]);
    let env = Env::default();
    let r = PIP
        .run(
            &env.ctx(&conn),
            &args(
                json!({"name": ["rsible-demo"], "version": "1.0", "virtualenv": "/v",
                         "extra_args": "--no-index --find-links '/w h'"}),
            ),
        )
        .result();
    assert_eq!(r["changed"], json!(true), "{r:?}");
    assert_eq!(
        r["cmd"],
        json!([
            "/v/bin/pip3",
            "install",
            "--no-index",
            "--find-links",
            "/w h",
            "rsible-demo==1.0"
        ])
    );
    assert_eq!(r["name"], json!(["rsible-demo"]));
    assert_eq!(r["virtualenv"], json!("/v"));
    let lines = conn.lines();
    let last = lines.last().cloned().unwrap_or_default();
    assert!(last.contains("PATH=/v/bin:"), "{last}");
    assert!(last.contains("cd /tmp"), "{last}");
}
