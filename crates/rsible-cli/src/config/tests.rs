use std::path::{Path, PathBuf};

use super::*;

fn file_with(text: &str) -> (tempfile::TempDir, ConfigFile) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ansible.cfg");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let file = ConfigFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (dir, file)
}

fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn environment_overrides_the_file() {
    let (_dir, file) = file_with(
        "[defaults]\nforks = 3.0\nremote_user = 'bob'\ntimeout = 7\n[ssh_connection]\ntimeout = 8\n",
    );
    let env = env_of(&[("ANSIBLE_REMOTE_USER", "envuser"), ("HOME", "/h")]);
    let s = Settings::new(&env, Some(file), PathBuf::from("/cwd"));
    assert_eq!(s.get("ANSIBLE_FORKS").as_deref(), Some("3"));
    assert_eq!(s.get("ANSIBLE_REMOTE_USER").as_deref(), Some("envuser"));
    // The key listed last in Ansible's definition wins.
    assert_eq!(s.get("ANSIBLE_TIMEOUT").as_deref(), Some("8"));
    assert_eq!(s.get("ANSIBLE_SSH_TIMEOUT").as_deref(), Some("8"));
    assert_eq!(s.get("ANSIBLE_BECOME"), None);
    // Not a setting: a plain environment lookup.
    assert_eq!(s.get("HOME").as_deref(), Some("/h"));
    match s.get_with_origin("ANSIBLE_FORKS") {
        Some((_, origin @ Origin::File { line: 2, .. })) => {
            assert!(s.describe(&origin).starts_with("[defaults] forks ("));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn last_environment_variable_of_a_setting_wins() {
    let env = env_of(&[
        ("ANSIBLE_HOST_KEY_CHECKING", "true"),
        ("ANSIBLE_SSH_HOST_KEY_CHECKING", "false"),
    ]);
    let s = Settings::new(&env, None, PathBuf::from("/cwd"));
    assert_eq!(s.get("ANSIBLE_HOST_KEY_CHECKING").as_deref(), Some("false"));
    assert!(!s.flag("ANSIBLE_HOST_KEY_CHECKING", true));
    let env = env_of(&[("NO_COLOR", "1")]);
    let s = Settings::new(&env, None, PathBuf::from("/cwd"));
    assert!(s.flag("ANSIBLE_NOCOLOR", false));
}

// Expected from ansible-config dump with the same file (paths relative to its directory).
#[test]
fn paths_resolve_against_the_file_directory() {
    let (dir, file) = file_with(
        "[defaults]\ninventory = hosts, /abs/inv\nroles_path = roles:~/r:../up\nprivite = x\nprivate_key_file = \"keys/id\"\n[ssh_connection]\ncontrol_path_dir = cp\n[tags]\nrun = a, 'b'\n",
    );
    let env = env_of(&[("HOME", "/home/u")]);
    let s = Settings::new(&env, Some(file), PathBuf::from("/cwd"));
    let d = dir.path().display().to_string();
    let parent = dir
        .path()
        .parent()
        .unwrap_or(Path::new("/"))
        .display()
        .to_string();
    assert_eq!(
        s.get("ANSIBLE_INVENTORY"),
        Some(format!("{d}/hosts,/abs/inv"))
    );
    assert_eq!(
        s.get("ANSIBLE_ROLES_PATH"),
        Some(format!("{d}/roles:/home/u/r:{parent}/up"))
    );
    assert_eq!(
        s.get("ANSIBLE_PRIVATE_KEY_FILE"),
        Some(format!("{d}/keys/id"))
    );
    assert_eq!(
        s.get("ANSIBLE_SSH_CONTROL_PATH_DIR").as_deref(),
        Some("/cwd/cp")
    );
    assert_eq!(s.get("ANSIBLE_RUN_TAGS").as_deref(), Some("a,b"));
    let warnings: Vec<String> = s
        .check()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|w| w.text)
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].ends_with("ansible.cfg:4: unknown setting [defaults] privite, ignored"));
    assert!(warnings[1].contains("ansible.cfg:5: the quotes around [defaults] private_key_file"));
}

#[test]
fn settings_rsible_does_not_apply_are_reported() {
    let (_dir, file) = file_with(
        "[defaults]\nnocows = 1\nstrategy = linear\nprivate_role_vars = true\ncallback_whitelist = timer\nbecome = true\nforce_handlers = False\n[colors]\nok = blue\n[privilege_escalation]\nbecome = true\n[DEFAULT]\nforks = 2\nbogus = 1\n",
    );
    let s = Settings::new(&|_| None, Some(file), PathBuf::from("/"));
    let warnings: Vec<(u32, String)> = s
        .check()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|w| (w.line, w.text))
        .collect();
    let lines: Vec<u32> = warnings.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [4, 5, 6, 14], "{warnings:?}");
    assert!(warnings[0]
        .1
        .ends_with("[defaults] private_role_vars is not supported by rsible, ignored"));
    assert!(warnings[1].1.contains("callbacks_enabled"));
    assert!(warnings[2].1.contains("[privilege_escalation]"));
    assert!(warnings[3]
        .1
        .ends_with("unknown setting [DEFAULT] bogus, ignored"));
}

#[test]
fn bad_values_stop_with_the_line() {
    for (text, line) in [
        ("[defaults]\n\nforks = many\n", 3),
        ("[defaults]\ngathering = sometimes\n", 2),
        ("[diff]\ncontext = 1.5\n", 2),
    ] {
        let (_dir, file) = file_with(text);
        let s = Settings::new(&|_| None, Some(file), PathBuf::from("/"));
        let err = s.check().err();
        let rendered = err.as_ref().map(|e| e.diagnostic().render(false));
        assert!(
            rendered
                .as_deref()
                .is_some_and(|r| r.contains(&format!("ansible.cfg:{line}:1"))),
            "{text:?}: {rendered:?}"
        );
    }
}

#[test]
fn unreadable_files_are_refused_as_ansible_does() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("settings");
    std::fs::write(&path, "[defaults]\n").unwrap_or_else(|e| panic!("{e}"));
    let err = ConfigFile::load(&path).err().map(|e| e.to_string());
    assert_eq!(
        err,
        Some(format!(
            "Unsupported configuration file extension for {}: ",
            path.display()
        ))
    );
    let path = dir.path().join("bad.cfg");
    std::fs::write(&path, "[defaults]\nforks = 3\nfoo\n").unwrap_or_else(|e| panic!("{e}"));
    let err = ConfigFile::load(&path).err();
    assert_eq!(
        err.as_ref().map(ToString::to_string),
        Some(format!(
            "Error reading config file ({}): Source contains parsing errors: '<string>'\n\t[line  3]: 'foo\\n'",
            path.display()
        ))
    );
    let rendered = err
        .map(|e| e.diagnostic().render(false))
        .unwrap_or_default();
    assert!(rendered.contains("bad.cfg:3:1"), "{rendered}");
}
