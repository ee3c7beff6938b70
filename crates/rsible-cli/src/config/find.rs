//! Which `ansible.cfg` is used (`config/manager.py: find_ini_config_file`): the first readable
//! one of `$ANSIBLE_CONFIG` (a file, or a directory holding `ansible.cfg`), `./ansible.cfg`
//! unless the working directory is world-writable, `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::paths;

/// The file found, and Ansible's warning when one in the working directory was passed over.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub path: Option<PathBuf>,
    pub warning: Option<String>,
}

/// Where to look, so tests need not change the process's directory or environment.
pub struct Places<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub cwd: Option<&'a Path>,
    pub system: &'a Path,
}

/// The system-wide file.
pub const SYSTEM_CONFIG: &str = "/etc/ansible/ansible.cfg";

pub fn find(places: &Places<'_>) -> Found {
    let env = places.env;
    let cwd = places.cwd;
    let mut candidates: Vec<PathBuf> = Vec::new();

    let from_env = env("ANSIBLE_CONFIG").map(|value| {
        let base = cwd.unwrap_or(Path::new("/"));
        let path = paths::resolve(&value, base, base, env);
        if path.is_dir() {
            path.join("ansible.cfg")
        } else {
            path
        }
    });
    candidates.extend(from_env.clone());

    let mut skipped_cwd: Option<&Path> = None;
    if let Some(dir) = cwd {
        let cwd_cfg = dir.join("ansible.cfg");
        let world_writable = std::fs::metadata(dir)
            .map(|m| m.permissions().mode() & 0o002 != 0)
            .unwrap_or(false);
        if world_writable {
            // A file others could have put there is not trusted, but its presence is reported.
            if cwd_cfg.exists() {
                skipped_cwd = Some(dir);
            }
        } else {
            candidates.push(cwd_cfg);
        }
    }
    candidates.push(PathBuf::from(paths::expand_user("~/.ansible.cfg", env)));
    candidates.push(places.system.to_path_buf());

    let path = candidates.into_iter().find(|p| readable(p));
    let warning = match skipped_cwd {
        Some(dir) if from_env.is_none() || from_env != path => Some(format!(
            "Ansible is being run in a world writable directory ({}), ignoring it as an ansible.cfg source. For more information see https://docs.ansible.com/ansible/devel/reference_appendices/config.html#cfg-in-world-writable-dir",
            dir.display()
        )),
        _ => None,
    };
    Found { path, warning }
}

fn readable(path: &Path) -> bool {
    path.exists() && std::fs::File::open(path).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    fn write(path: &Path) {
        std::fs::write(path, "[defaults]\n").unwrap_or_else(|e| panic!("{e}"));
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn order_is_env_cwd_home_system() {
        let root = tempdir();
        let (cwd, home, conf) = (
            root.path().join("cwd"),
            root.path().join("home"),
            root.path().join("conf"),
        );
        for d in [&cwd, &home, &conf] {
            std::fs::create_dir(d).unwrap_or_else(|e| panic!("{e}"));
            chmod(d, 0o755);
        }
        let system = root.path().join("system.cfg");
        let home_s = home.display().to_string();
        let conf_s = conf.display().to_string();
        let find_with = |config: Option<&str>| {
            let env = |k: &str| match k {
                "HOME" => Some(home_s.clone()),
                "ANSIBLE_CONFIG" => config.map(str::to_owned),
                _ => None,
            };
            find(&Places {
                env: &env,
                cwd: Some(&cwd),
                system: &system,
            })
        };
        assert_eq!(find_with(None), Found::default());
        write(&system);
        assert_eq!(find_with(None).path, Some(system.clone()));
        write(&home.join(".ansible.cfg"));
        assert_eq!(find_with(None).path, Some(home.join(".ansible.cfg")));
        write(&cwd.join("ansible.cfg"));
        assert_eq!(find_with(None).path, Some(cwd.join("ansible.cfg")));
        // A directory means its ansible.cfg; a missing file is passed over.
        write(&conf.join("ansible.cfg"));
        assert_eq!(
            find_with(Some(&conf_s)).path,
            Some(conf.join("ansible.cfg"))
        );
        assert_eq!(
            find_with(Some("/nonexistent.cfg")).path,
            Some(cwd.join("ansible.cfg"))
        );

        chmod(&cwd, 0o777);
        let found = find_with(None);
        assert_eq!(found.path, Some(home.join(".ansible.cfg")));
        assert_eq!(
            found.warning,
            Some(format!("Ansible is being run in a world writable directory ({}), ignoring it as an ansible.cfg source. For more information see https://docs.ansible.com/ansible/devel/reference_appendices/config.html#cfg-in-world-writable-dir", cwd.display()))
        );
        // No warning when ANSIBLE_CONFIG named the file that was used.
        assert_eq!(find_with(Some(&conf_s)).warning, None);
        chmod(&cwd, 0o755);
    }
}
