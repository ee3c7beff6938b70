use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;

use serde_json::json;

use super::*;
use crate::testing::{args, keys, Env, RunResult};
use rsible_connection::local::LocalConnection;

fn run(env: &Env, a: Value) -> ResultMap {
    let conn = LocalConnection::new();
    UNARCHIVE.run(&env.ctx(&conn), &args(a)).result()
}

/// A playbook dir with `files/x.tar.gz`, `files/x.zip`, … of `top/a.txt` (0640) and
/// `top/sub/b.txt`, made with tar and zip as the Ansible runs were.
fn fixture() -> tempfile::TempDir {
    let pb = tempfile::tempdir().unwrap();
    let src = pb.path().join("src");
    std::fs::create_dir_all(src.join("top/sub")).unwrap();
    std::fs::write(src.join("top/a.txt"), "hello\n").unwrap();
    std::fs::write(src.join("top/sub/b.txt"), "b\n").unwrap();
    std::fs::create_dir_all(pb.path().join("files")).unwrap();
    let sh = |cmd: &str| {
        let ok = std::process::Command::new("sh")
            .args(["-c", cmd])
            .current_dir(&src)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{cmd}");
    };
    sh("chmod 0640 top/a.txt && tar czf ../files/x.tar.gz top && tar cJf ../files/x.tar.xz top && tar cf ../files/x.tar top");
    if Path::new("/usr/bin/zip").exists() {
        sh("zip -qr ../files/x.zip top");
    }
    std::fs::write(pb.path().join("files/not-an-archive.txt"), "hello\n").unwrap();
    pb
}

fn env_at(pb: &Path) -> Env {
    Env {
        playbook_dir: pb.to_path_buf(),
        ..Env::default()
    }
}

// Keys, handlers, commands and changed/ok as ansible-playbook 2.19 reported them for the
// same tasks (`connection: local`, as root).
#[test]
fn tar_gz_from_the_controller_then_ok() {
    let pb = fixture();
    let env = env_at(pb.path());
    let out = tempfile::tempdir().unwrap();
    let d = out.path().display().to_string();
    let r = run(&env, json!({"src": "x.tar.gz", "dest": d}));
    assert!(!r.contains_key("failed"), "{r:?}");
    assert_eq!(
        keys(&r),
        [
            "changed",
            "dest",
            "extract_results",
            "gid",
            "group",
            "handler",
            "mode",
            "owner",
            "size",
            "src",
            "state",
            "uid"
        ]
    );
    assert_eq!(
        (&r["changed"], &r["handler"], &r["state"]),
        (&json!(true), &json!("TgzArchive"), &json!("directory"))
    );
    let src = r["src"].as_str().unwrap();
    assert!(
        src.contains("/.ansible/tmp/ansible-tmp-") && src.ends_with("/source"),
        "{src}"
    );
    assert_eq!(
        r["extract_results"],
        json!({"cmd": ["/usr/bin/tar", "--extract", "-C", d, "-z", "-f", src], "err": "", "out": "", "rc": 0})
    );
    assert!(!Path::new(src).exists(), "the remote temp dir is removed");
    assert_eq!(
        std::fs::read_to_string(out.path().join("top/sub/b.txt")).unwrap(),
        "b\n"
    );
    let r = run(&env, json!({"src": "x.tar.gz", "dest": d}));
    assert_eq!(
        keys(&r),
        [
            "changed", "dest", "gid", "group", "handler", "mode", "owner", "size", "src", "state",
            "uid"
        ]
    );
    assert_eq!(r["changed"], false);
    // An edited member counts (2.19 also looks at `Contents differ`/`Size differs`).
    std::fs::write(out.path().join("top/a.txt"), "changed\n").unwrap();
    assert_eq!(
        run(&env, json!({"src": "x.tar.gz", "dest": d}))["changed"],
        true
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("top/a.txt")).unwrap(),
        "hello\n"
    );
}

#[test]
fn tar_and_xz_use_tar_archive() {
    let pb = fixture();
    let env = env_at(pb.path());
    for f in ["x.tar", "x.tar.xz"] {
        let out = tempfile::tempdir().unwrap();
        let d = out.path().display().to_string();
        let r = run(&env, json!({"src": f, "dest": d}));
        assert_eq!(
            (&r["changed"], &r["handler"]),
            (&json!(true), &json!("TarArchive")),
            "{f}"
        );
        let cmd = r["extract_results"]["cmd"].as_array().unwrap().clone();
        assert_eq!(
            cmd[..4],
            [
                json!("/usr/bin/tar"),
                json!("--extract"),
                json!("-C"),
                json!(d)
            ]
        );
        assert_eq!(cmd[4], "-f");
        assert_eq!(run(&env, json!({"src": f, "dest": d}))["changed"], false);
    }
}

#[test]
fn zip_reports_the_itemized_diff_then_ok() {
    if !Path::new("/usr/bin/unzip").exists() || !Path::new("/usr/bin/zip").exists() {
        return;
    }
    let pb = fixture();
    let env = env_at(pb.path());
    let out = tempfile::tempdir().unwrap();
    let d = out.path().display().to_string();
    let check = Env {
        check_mode: true,
        ..env_at(pb.path())
    };
    let r = run(&check, json!({"src": "x.zip", "dest": d}));
    assert_eq!(r["changed"], true);
    assert!(!r.contains_key("extract_results"));
    assert!(!out.path().join("top").exists());
    let r = run(&env, json!({"src": "x.zip", "dest": d, "list_files": true}));
    assert_eq!(
        (&r["changed"], &r["handler"]),
        (&json!(true), &json!("ZipArchive"))
    );
    assert_eq!(
        r["diff"],
        json!({"prepared": ">d++++++.?? top/\n>d++++++.?? top/sub/\n>f++++++.?? top/sub/b.txt\n>f++++++.?? top/a.txt\n"})
    );
    assert_eq!(
        r["files"],
        json!(["top/", "top/sub/", "top/sub/b.txt", "top/a.txt"])
    );
    let cmd = &r["extract_results"]["cmd"];
    assert_eq!(cmd[0], "/usr/bin/unzip");
    assert_eq!(
        (&cmd[1], &cmd[3], &cmd[4]),
        (&json!("-o"), &json!("-d"), &json!(d))
    );
    let r = run(&env, json!({"src": "x.zip", "dest": d}));
    assert_eq!(r["changed"], false, "{r:?}");
    assert!(!r.contains_key("diff"));
    // The same edits and runs as an ansible-playbook 2.19 run, with its diffs.
    let sh = format!(
        "printf 'HELLO\\n' > {d}/top/a.txt && touch -d '2001-01-01 00:00:00' {d}/top/a.txt && chmod 0600 {d}/top/sub/b.txt"
    );
    assert!(std::process::Command::new("sh")
        .args(["-c", &sh])
        .status()
        .unwrap()
        .success());
    let edited = ".f...p...?? top/sub/b.txt\n.fc.t....?? top/a.txt\n";
    let r = run(&check, json!({"src": "x.zip", "dest": d}));
    assert_eq!(
        (&r["changed"], &r["diff"]["prepared"]),
        (&json!(true), &json!(edited))
    );
    let r = run(&env, json!({"src": "x.zip", "dest": d}));
    assert_eq!(
        (&r["changed"], &r["diff"]["prepared"]),
        (&json!(true), &json!(edited))
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("top/a.txt")).unwrap(),
        "hello\n"
    );
    let r = run(&env, json!({"src": "x.zip", "dest": d, "mode": "0600"}));
    assert_eq!(
        (&r["changed"], &r["diff"]["prepared"]),
        (&json!(true), &json!(".d...p...?? top/\n.d...p...?? top/sub/\n.f...p...?? top/sub/b.txt\n.f...p...?? top/a.txt\n"))
    );
    let r = run(&env, json!({"src": "x.zip", "dest": d, "mode": "0600"}));
    assert_eq!(r["changed"], false);
    let r = run(
        &env,
        json!({"src": "x.zip", "dest": d, "exclude": ["top/sub/*"], "list_files": true}),
    );
    assert_eq!(
        (&r["changed"], &r["diff"]["prepared"], &r["files"]),
        (
            &json!(true),
            &json!(".d...p...?? top/\n.f...p...?? top/a.txt\n"),
            &json!(["top/", "top/a.txt"])
        )
    );
}

#[test]
fn action_checks_come_first() {
    let pb = fixture();
    let env = env_at(pb.path());
    let out = tempfile::tempdir().unwrap();
    let d = out.path().display().to_string();
    let r = run(&env, json!({"src": "x.tar.gz", "dest": d, "creates": d}));
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "skipped": true, "msg": format!("skipped, since {d} exists")})
    );
    let r = run(
        &env,
        json!({"src": "x.tar.gz", "dest": format!("{d}/missing")}),
    );
    assert_eq!(
        r["msg"],
        format!("dest '{d}/missing' must be an existing dir")
    );
    let r = run(&env, json!({"src": "nope.tgz", "dest": d}));
    let p = pb.path().display();
    assert_eq!(
        r["msg"],
        format!("Task failed: Could not find or access 'nope.tgz'\nSearched in:\n\t{p}/files/nope.tgz\n\t{p}/nope.tgz\n\t{p}/files/nope.tgz\n\t{p}/nope.tgz on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option")
    );
    let r = run(
        &env,
        json!({"src": "http://127.0.0.1:1/x.tar.gz", "dest": d}),
    );
    assert_eq!(
        r["msg"],
        "Unsupported option, an URI src (http://127.0.0.1:1/x.tar.gz) is only supported when remote_src is True"
    );
    let r = run(
        &env,
        json!({"src": format!("{p}/nonexist.tar.gz"), "dest": d, "remote_src": true}),
    );
    assert_eq!(
        r["msg"],
        format!("Source '{p}/nonexist.tar.gz' does not exist")
    );
    let r = run(&env, json!({"src": "x.tar.gz", "dest": d, "bogus": 1}));
    assert_eq!(r["msg"], "Unsupported parameters for (ansible.legacy.unarchive) module: bogus. Supported parameters include: attributes, copy, creates, decrypt, dest, exclude, extra_opts, group, include, io_buffer_size, keep_newer, list_files, mode, owner, remote_src, selevel, serole, setype, seuser, src, unsafe_writes, validate_certs (attr).");
    // Nothing was unpacked by any of these.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn check_mode_skips_tar_and_failures_name_every_handler() {
    let pb = fixture();
    let out = tempfile::tempdir().unwrap();
    let d = out.path().display().to_string();
    let check = Env {
        check_mode: true,
        ..env_at(pb.path())
    };
    let r = run(&check, json!({"src": "x.tar.gz", "dest": d}));
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "skipped": true, "msg": "remote module (ansible.legacy.unarchive) does not support check mode when using gtar"})
    );
    let src = format!("{}/files/not-an-archive.txt", pb.path().display());
    let r = run(
        &env_at(pb.path()),
        json!({"src": src, "dest": d, "remote_src": "yes"}),
    );
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.starts_with(&format!("Failed to find handler for \"{src}\". Make sure the required command to extract the file is installed.\n")), "{msg}");
    assert!(msg.contains("Command \"/usr/bin/tar\" could not handle archive: Unable to list files in the archive: \ngzip: stdin: not in gzip format\n"), "{msg}");
}

#[test]
fn mode_applies_to_every_member_once() {
    let pb = fixture();
    let env = env_at(pb.path());
    let out = tempfile::tempdir().unwrap();
    let d = out.path().display().to_string();
    let src = format!("{}/files/x.tar.gz", pb.path().display());
    let r = run(
        &env,
        json!({"src": src, "dest": d, "remote_src": true, "mode": "0700"}),
    );
    assert_eq!((&r["changed"], &r["src"]), (&json!(true), &json!(src)));
    use std::os::unix::fs::PermissionsExt as _;
    for p in ["top", "top/a.txt", "top/sub", "top/sub/b.txt"] {
        let m = std::fs::metadata(out.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(m, 0o700, "{p}");
    }
    let r = run(
        &env,
        json!({"src": src, "dest": d, "remote_src": true, "mode": "0700"}),
    );
    assert_eq!(r["changed"], false);
}

/// Serves `body` for `/x.tar.gz` and a 404 with reason "File not found" (as Python's
/// http.server words it) for anything else, to `n` connections.
fn serve(body: Vec<u8>, n: usize) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(n) {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => req.extend_from_slice(&buf[..k]),
                }
            }
            let line = String::from_utf8_lossy(&req)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let resp = if line.starts_with("GET /x.tar.gz ") {
                let mut r = format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                    .into_bytes();
                r.extend_from_slice(&body);
                r
            } else {
                b"HTTP/1.0 404 File not found\r\nContent-Length: 0\r\n\r\n".to_vec()
            };
            let _ = s.write_all(&resp);
        }
    });
    port
}

#[test]
fn url_with_remote_src_is_downloaded_on_the_target() {
    let pb = fixture();
    let body = std::fs::read(pb.path().join("files/x.tar.gz")).unwrap();
    let port = serve(body.clone(), 3);
    let env = env_at(pb.path());
    let out = tempfile::tempdir().unwrap();
    let d = out.path().display().to_string();
    let url = format!("http://127.0.0.1:{port}/x.tar.gz");
    let r = run(&env, json!({"src": url, "dest": d, "remote_src": true}));
    assert_eq!(
        (&r["changed"], &r["handler"]),
        (&json!(true), &json!("TgzArchive")),
        "{r:?}"
    );
    let src = r["src"].as_str().unwrap();
    let name = Path::new(src)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with('x') && name.ends_with(".tar.gz") && name.len() == 16,
        "{src}"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("top/a.txt")).unwrap(),
        "hello\n"
    );
    let r = run(&env, json!({"src": url, "dest": d, "remote_src": true}));
    assert_eq!(r["changed"], false);
    let r = run(
        &env,
        json!({"src": format!("http://127.0.0.1:{port}/nope.tar.gz"), "dest": d, "remote_src": true}),
    );
    assert_eq!(
        r["msg"],
        format!("Failure downloading http://127.0.0.1:{port}/nope.tar.gz, HTTP Error 404: File not found")
    );
    // Nothing listens on a port just released.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(
        &env,
        json!({"src": format!("http://127.0.0.1:{closed}/x.tar.gz"), "dest": d, "remote_src": true}),
    );
    assert_eq!(
        r["msg"],
        format!("Failure downloading http://127.0.0.1:{closed}/x.tar.gz, Request failed: <urlopen error [Errno 111] Connection refused>")
    );
}

#[test]
fn tar_diff_lines_that_count() {
    let o = Opts {
        extra_opts: &[],
        exclude: &[],
        include: &[],
        owner: None,
        group: None,
        keep_newer: false,
    };
    let out = "top/a.txt: Mod time differs\ntop/a.txt: Contents differ\n";
    assert!(!handler::tar_differences(out, "", false, &o, false).is_empty());
    assert!(handler::tar_differences("top/a.txt: Uid differs\n", "", false, &o, false).is_empty());
    assert!(!handler::tar_differences("top/a.txt: Uid differs\n", "", true, &o, false).is_empty());
    assert!(handler::tar_differences("top/a.txt: Mode differs\n", "", true, &o, true).is_empty());
    assert!(handler::tar_differences(
        "",
        "/usr/bin/tar: : Warning: Cannot stat: No such file or directory\n",
        true,
        &o,
        false
    )
    .is_empty());
    assert!(!handler::tar_differences(
        "",
        "/usr/bin/tar: top/x: Warning: Cannot stat: No such file or directory\n",
        true,
        &o,
        false
    )
    .is_empty());
    assert_eq!(handler::escape_decode("caf\\303\\251 \\\\x"), "café \\x");
}

// The same task sequence as an ansible-playbook 2.19 run; its results, minus temp paths.
#[test]
fn tar_options_match_ansible() {
    let pb = fixture();
    let env = env_at(pb.path());
    let out = tempfile::tempdir().unwrap();
    let o = out.path().display().to_string();
    for sub in ["a", "b", "c"] {
        std::fs::create_dir(out.path().join(sub)).unwrap();
    }
    let cmd_of = |r: &ResultMap| {
        let mut c: Vec<Value> = r["extract_results"]["cmd"].as_array().unwrap().clone();
        let src = r["src"].clone();
        for x in &mut c {
            if *x == src {
                *x = json!("<src>");
            }
        }
        c
    };
    let a = json!({"src": "x.tar.gz", "dest": format!("{o}/a"), "extra_opts": ["--strip-components=1"], "list_files": true});
    let r = run(&env, a.clone());
    assert_eq!(r["files"], json!(["", "sub/", "sub/b.txt", "a.txt"]));
    assert_eq!(
        cmd_of(&r),
        [
            json!("/usr/bin/tar"),
            json!("--extract"),
            json!("-C"),
            json!(format!("{o}/a")),
            json!("-z"),
            json!("--show-transformed-names"),
            json!("--strip-components=1"),
            json!("-f"),
            json!("<src>")
        ]
    );
    assert_eq!(run(&env, a)["changed"], false);

    let b = json!({"src": "x.tar.gz", "dest": format!("{o}/b"), "exclude": ["top/sub"], "list_files": true});
    let r = run(&env, b.clone());
    assert_eq!(r["files"], json!(["top/", "top/a.txt"]));
    assert_eq!(cmd_of(&r)[5], "--exclude=top/sub");
    assert_eq!(run(&env, b)["changed"], false);
    assert!(!out.path().join("b/top/sub").exists());

    if std::process::Command::new("id")
        .arg("nobody")
        .output()
        .is_ok_and(|o| o.status.success())
        && is_root()
    {
        let c = json!({"src": "x.tar.gz", "dest": format!("{o}/c"), "include": ["top/a.txt"], "list_files": true, "owner": "nobody"});
        let r = run(&env, c.clone());
        assert_eq!(r["files"], json!(["top/a.txt"]));
        let cmd = cmd_of(&r);
        assert_eq!(
            (&cmd[5], &cmd[8]),
            (&json!("--owner=nobody"), &json!("top/a.txt"))
        );
        assert_eq!(run(&env, c)["changed"], false);
    }

    // A newer file: keep_newer still extracts (tar reports the age), and so does a plain run.
    let touch = format!("touch -d '2030-01-01 00:00:00' {o}/b/top/a.txt");
    assert!(std::process::Command::new("sh")
        .args(["-c", &touch])
        .status()
        .unwrap()
        .success());
    let r = run(
        &env,
        json!({"src": "x.tar.gz", "dest": format!("{o}/b"), "exclude": ["top/sub"], "keep_newer": true}),
    );
    assert_eq!(r["changed"], true);
    assert_eq!(cmd_of(&r)[5], "--keep-newer-files");
    assert!(r["extract_results"]["err"]
        .as_str()
        .unwrap()
        .contains("top/a.txt"));
    let r = run(
        &env,
        json!({"src": "x.tar.gz", "dest": format!("{o}/b"), "exclude": ["top/sub"]}),
    );
    assert_eq!(r["changed"], true);
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}
