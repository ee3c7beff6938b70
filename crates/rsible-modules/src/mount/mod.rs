//! `ansible.posix.mount`: entries of `/etc/fstab` (or another fstab) and what is mounted, on
//! Linux, as the collection's module manages them.
//!
//! ```yaml
//! - ansible.posix.mount: { path: /srv/cache, src: tmpfs, fstype: tmpfs, opts: size=64m, state: mounted }
//! ```
//!
//! The fstab is read and edited here line by line and written back (temp file renamed over
//! it) only when an entry changes; `/proc/self/mountinfo` is read once, as the module reads
//! it; `mount`, `umount` and `mount -o remount` run on the target when the state asks for
//! them (never in check mode).

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::script::{
    bin_path, expand_path, marker, run_argv, run_script, BACKUP_FN, BIN_PATH_FN,
};
use crate::util::failed;
use crate::{
    Collection, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions, ResultMap,
};
use rsible_connection::shell::quote;

mod fstab;
#[cfg(test)]
mod tests;

use fstab::{linux_mounts, set_mount, unset_mount, Entry, Mounts};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "mount",
    ArgSpec::new(
        "ansible.posix.mount",
        &[
            "backup",
            "boot",
            "dump",
            "fstab",
            "fstype",
            "opts",
            "opts_no_log",
            "passno",
            "path",
            "src",
            "state",
            "name",
        ],
    )
    .aliases(&["name"]),
)
.in_collection(Collection::Posix);

const STATES: &[&str] = &[
    "absent",
    "absent_from_fstab",
    "mounted",
    "present",
    "unmounted",
    "remounted",
    "ephemeral",
];

pub(crate) struct Mount;
pub(crate) static MOUNT: Mount = Mount;

/// The module's `args`: what it writes into the fstab and returns.
#[derive(Clone, Debug)]
pub(super) struct Args {
    pub name: String,
    pub src: Option<String>,
    pub fstype: Option<String>,
    pub opts: String,
    pub dump: String,
    pub passno: String,
    pub fstab: String,
    pub boot: String,
    pub warnings: Vec<String>,
    pub backup_file: String,
}

impl Args {
    pub(super) fn entry(&self) -> Entry {
        Entry {
            src: self.src.clone().unwrap_or_else(|| "None".into()),
            name: self.name.clone(),
            fstype: self.fstype.clone().unwrap_or_else(|| "None".into()),
            opts: self.opts.clone(),
            dump: self.dump.clone(),
            passno: self.passno.clone(),
        }
    }

    fn result(&self, changed: bool) -> ResultMap {
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(changed));
        r.insert("name".into(), json!(self.name));
        r.insert("opts".into(), json!(self.opts));
        r.insert("dump".into(), json!(self.dump));
        r.insert("passno".into(), json!(self.passno));
        r.insert("fstab".into(), json!(self.fstab));
        r.insert("boot".into(), json!(self.boot));
        // ansible-core 2.19 takes the `warnings` the module passes to `exit_json` as its
        // own warnings (dropping an empty list) and deprecates passing them.
        if !self.warnings.is_empty() {
            r.insert("warnings".into(), json!(self.warnings));
        }
        r.insert("backup_file".into(), json!(self.backup_file));
        if let Some(s) = &self.src {
            r.insert("src".into(), json!(s));
        }
        if let Some(f) = &self.fstype {
            r.insert("fstype".into(), json!(f));
        }
        r.insert("failed".into(), json!(false));
        r.insert(
            "deprecations".into(),
            json!([{
                "msg": "Passing `warnings` to `exit_json` or `fail_json` is deprecated.",
                "collection_name": "ansible.builtin",
                "version": "2.23",
                "deprecator": {"resolved_name": "ansible.builtin", "type": null},
            }]),
        );
        r
    }
}

/// `remove_values` for `opts_no_log`: the options never appear in the result.
fn hide(v: &mut Value, secret: &str) {
    match v {
        Value::String(s) if s.contains(secret) => *s = s.replace(secret, "********"),
        Value::Array(items) => items.iter_mut().for_each(|i| hide(i, secret)),
        Value::Object(m) => m.values_mut().for_each(|i| hide(i, secret)),
        _ => {}
    }
}

impl Module for Mount {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(&INFO.args, args, &[("name", "path")])?;
        p.required("path");
        p.required("state");
        let boot = p.bool("boot").unwrap_or(true);
        let dump = p.str("dump").unwrap_or_else(|| "0".into());
        let fstab = p.str("fstab");
        let fstype = p.str("fstype");
        let path = p.str("path").unwrap_or_default();
        let opts = p.str("opts");
        let opts_no_log = p.bool("opts_no_log").unwrap_or(false);
        let passno = p.str("passno").unwrap_or_else(|| "0".into());
        let src = p.str("src");
        let backup = p.bool("backup").unwrap_or(false);
        let state = p.choice("state", STATES).unwrap_or_default();
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        if matches!(state.as_str(), "mounted" | "present" | "ephemeral") {
            let missing: Vec<&str> = [("src", src.is_some()), ("fstype", fstype.is_some())]
                .iter()
                .filter(|(_, set)| !set)
                .map(|(n, _)| *n)
                .collect();
            if !missing.is_empty() {
                return Ok(failed(format!(
                    "state is {state} but all of the following are missing: {}",
                    missing.join(", ")
                ))
                .into());
            }
        }
        let path = expand_path(ctx, &path)?;
        let src = match src {
            Some(s) => Some(expand_path(ctx, &s)?),
            None => None,
        };
        let mut a = Args {
            name: path,
            src,
            fstype,
            opts: opts.clone().unwrap_or_else(|| "defaults".into()),
            dump,
            passno,
            fstab: fstab.clone().unwrap_or_else(|| "/etc/fstab".into()),
            boot: "yes".into(),
            warnings: Vec::new(),
            backup_file: String::new(),
        };
        let mut job = Job {
            ctx,
            state,
            backup,
            fstab_given: fstab.is_some(),
            m: marker(),
            mounts: None,
        };
        let mut r = match job.run(&mut a, boot)? {
            Ok(changed) => a.result(changed),
            Err(r) => r,
        };
        if let (true, Some(secret)) = (opts_no_log, opts.filter(|o| !o.is_empty())) {
            let mut v = Value::Object(r);
            hide(&mut v, &secret);
            r = crate::util::map(v);
        }
        Ok(r.into())
    }
}

struct Job<'a> {
    ctx: &'a ModuleContext<'a>,
    state: String,
    backup: bool,
    fstab_given: bool,
    m: String,
    /// `/proc/self/mountinfo` as read at the start (`None`: unreadable).
    mounts: Option<Mounts>,
}

type Outcome<T> = Result<Result<T, ResultMap>, ModuleError>;

impl Job<'_> {
    /// `(rc, out + err)`, the text only on failure, as `mount()`/`umount()` return it.
    fn exec(&self, argv: Vec<String>) -> Result<(i32, String), ModuleError> {
        let (rc, out, err) = run_argv(self.ctx, argv, None, &[])?;
        Ok((rc, if rc == 0 { String::new() } else { out + &err }))
    }

    fn script(&self, script: String) -> Result<(i32, String, String), ModuleError> {
        let out = run_script(self.ctx, script)?;
        Ok((
            out.rc,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    fn bin(&self, name: &str) -> Result<Result<String, String>, ModuleError> {
        Ok(bin_path(self.ctx, name)?)
    }

    /// The ansible.posix `ismount`: another device than `path/..`, or the same inode.
    fn ismount(&self, path: &str) -> Result<bool, ModuleError> {
        let (_, out, _) = self.script(format!(
            "p={}; if [ -L \"$p\" ] || [ ! -e \"$p\" ]; then echo no; exit 0; fi\n\
             q=$(realpath -m -- \"$p/..\") || {{ echo no; exit 0; }}\n\
             a=$(stat -c '%d %i' -- \"$p\") && b=$(stat -c '%d %i' -- \"$q\") || {{ echo no; exit 0; }}\n\
             if [ \"${{a% *}}\" != \"${{b% *}}\" ] || [ \"${{a#* }}\" = \"${{b#* }}\" ]; then echo yes; else echo no; fi",
            quote(path)
        ))?;
        Ok(out.trim() == "yes")
    }

    /// `is_bind_mounted` on Linux with the mountinfo read at the start.
    fn bind_mounted(&self, dest: &str, src: Option<&str>) -> bool {
        let Some(mounts) = &self.mounts else {
            return false;
        };
        match (mounts.get(dest), src) {
            (Some(_), None) => true,
            (Some(m), Some(s)) => m.src == s,
            (None, _) => false,
        }
    }

    fn mounted(&self, path: &str, src: Option<&str>) -> Result<bool, ModuleError> {
        Ok(self.ismount(path)? || self.bind_mounted(path, src))
    }

    fn fstab_args(&self, a: &Args) -> Vec<String> {
        if a.fstab != "/etc/fstab" && !a.fstab.is_empty() {
            vec!["-T".into(), a.fstab.clone()]
        } else {
            Vec::new()
        }
    }

    fn ephemeral_args(&self, a: &Args) -> Vec<String> {
        let mut v = vec![
            "-t".to_owned(),
            a.fstype.clone().unwrap_or_else(|| "None".into()),
        ];
        if a.opts != "defaults" {
            v.extend(["-o".to_owned(), a.opts.clone()]);
        }
        v.push(a.src.clone().unwrap_or_else(|| "None".into()));
        v
    }

    /// `mount()`: `(rc, out + err)`.
    fn mount(&self, a: &Args) -> Outcome<(i32, String)> {
        let bin = match self.bin("mount")? {
            Ok(b) => b,
            Err(msg) => return Ok(Err(failed(msg))),
        };
        let mut argv = vec![bin];
        if self.state == "ephemeral" {
            argv.extend(self.ephemeral_args(a));
        } else {
            argv.extend(self.fstab_args(a));
        }
        argv.push(a.name.clone());
        Ok(Ok(self.exec(argv)?))
    }

    fn umount(&self, path: &str) -> Outcome<(i32, String)> {
        let bin = match self.bin("umount")? {
            Ok(b) => b,
            Err(msg) => return Ok(Err(failed(msg))),
        };
        Ok(Ok(self.exec(vec![bin, path.to_owned()])?))
    }

    /// `remount()`: `mount -o remount`, else `umount` and `mount`.
    fn remount(&self, a: &Args) -> Outcome<(i32, String)> {
        let bin = match self.bin("mount")? {
            Ok(b) => b,
            Err(msg) => return Ok(Err(failed(msg))),
        };
        let with_opts = self.state == "remounted" && a.opts != "defaults";
        let mut argv = vec![bin, "-o".into()];
        argv.push(if with_opts {
            format!("remount,{}", a.opts)
        } else {
            "remount".into()
        });
        if self.state == "ephemeral" {
            argv.extend(self.ephemeral_args(a));
        } else {
            argv.extend(self.fstab_args(a));
        }
        argv.push(a.name.clone());
        let (rc, msg) = self.exec(argv)?;
        if rc == 0 {
            return Ok(Ok((rc, msg)));
        }
        if with_opts {
            return Ok(Err(failed("Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a \"state: unmounted\" followed by a \"state: mounted\" using the full desired mount options instead.")));
        }
        let (rc, msg) = match self.umount(&a.name)? {
            Ok(r) => r,
            Err(f) => return Ok(Err(f)),
        };
        if rc != 0 {
            return Ok(Ok((rc, msg)));
        }
        self.mount(a)
    }

    /// The fstab's text (after making sure it exists, as the module does even in check mode).
    fn read_fstab(&self, a: &Args) -> Outcome<String> {
        let (rc, out, err) = self.script(format!(
            "f={}\nif [ ! -e \"$f\" ]; then d=$(dirname -- \"$f\"); [ -e \"$d\" ] || mkdir -p -- \"$d\" || exit 3; : >>\"$f\" || exit 4; fi\n\
             echo '{m}'; exec cat -- \"$f\"",
            quote(&a.fstab),
            m = self.m
        ))?;
        match rc {
            0 => Ok(Ok(out
                .strip_prefix(&format!("{}\n", self.m))
                .unwrap_or_default()
                .to_owned())),
            4 if err.contains("Permission denied") => Ok(Err(failed(format!(
                "Failed to open {} due to permission issue",
                a.fstab
            )))),
            _ => Ok(Err(failed(format!(
                "Failed to open {} due to {}",
                a.fstab,
                err.trim_end()
            )))),
        }
    }

    /// `write_fstab`: a backup first when asked, then the new text.
    fn write_fstab(&self, a: &Args, text: &str) -> Result<String, ModuleError> {
        let mut backup = String::new();
        if self.backup {
            let (_, out, _) = self.script(format!(
                "{BACKUP_FN}f={}; [ -f \"$f\" ] && _backup \"$f\"",
                quote(&a.fstab)
            ))?;
            backup = out.trim_end().to_owned();
        }
        let opts = PutOptions {
            mode: None,
            become_: self.ctx.become_.clone(),
        };
        self.ctx.conn.put_file(text.as_bytes(), &a.fstab, &opts)?;
        Ok(backup)
    }

    fn run(&mut self, a: &mut Args, boot: bool) -> Outcome<bool> {
        let (_, info, _) = self.script(format!(
            "if [ -r /proc/self/mountinfo ]; then echo '{m}'; exec cat /proc/self/mountinfo; fi",
            m = self.m
        ))?;
        self.mounts = info
            .strip_prefix(&format!("{}\n", self.m))
            .map(linux_mounts);
        if self.mounts.is_none() {
            a.warnings.push(
                "Cannot open file /proc/self/mountinfo. Bind mounts might be misinterpreted."
                    .into(),
            );
        }
        let opts: Vec<&str> = a.opts.split(',').collect();
        if boot && opts.contains(&"noauto") {
            a.warnings
                .push("Ignore the 'boot' due to 'opts' contains 'noauto'.".into());
        } else if !boot {
            a.boot = "no".into();
            a.opts = format!("{},noauto", a.opts);
        }
        let _ = self.fstab_given;
        let fstab_text = if self.state == "ephemeral" {
            String::new()
        } else {
            match self.read_fstab(a)? {
                Ok(t) => t,
                Err(f) => return Ok(Err(f)),
            }
        };
        let check = self.ctx.check_mode;
        let name = a.name.clone();
        let mut changed = false;
        match self.state.as_str() {
            "absent_from_fstab" | "absent" => {
                let (text, c) = unset_mount(&fstab_text, &a.entry(), a.src.is_some());
                changed = c;
                if changed && !check {
                    a.backup_file = self.write_fstab(a, &text)?;
                }
                if self.state == "absent" && changed && !check {
                    if self.mounted(&name, None)? {
                        match self.umount(&name)? {
                            Err(f) => return Ok(Err(f)),
                            Ok((0, _)) => {}
                            Ok((_, msg)) => {
                                return Ok(Err(failed(format!("Error unmounting {name}: {msg}"))))
                            }
                        }
                    }
                    let (rc, _, err) = self.script(format!(
                        "p={}; [ -e \"$p\" ] || exit 0; rmdir -- \"$p\"",
                        quote(&name)
                    ))?;
                    if rc != 0 {
                        return Ok(Err(failed(format!(
                            "Error rmdir {name}: {}",
                            os_error(&err, &name)
                        ))));
                    }
                }
            }
            "unmounted" => {
                if self.mounted(&name, None)? {
                    if !check {
                        match self.umount(&name)? {
                            Err(f) => return Ok(Err(f)),
                            Ok((0, _)) => {}
                            Ok((_, msg)) => {
                                return Ok(Err(failed(format!("Error unmounting {name}: {msg}"))))
                            }
                        }
                    }
                    changed = true;
                }
            }
            "mounted" | "ephemeral" => {
                let mut created: Vec<String> = Vec::new();
                if !check {
                    let (rc, out, err) = self.script(format!(
                        "p={}; [ -e \"$p\" ] && exit 0\n\
                         c=; case \"$p\" in /*) ;; *) c=. ;; esac\n\
                         set -f; IFS=/; for d in $p; do [ -n \"$d\" ] || continue; c=\"$c/$d\"; if [ ! -e \"$c\" ]; then mkdir -- \"$c\" || exit 1; printf '%s\\n' \"$c\"; fi; done",
                        quote(&name)
                    ))?;
                    if rc != 0 {
                        return Ok(Err(failed(format!(
                            "Error making dir {name}: {}",
                            os_error(&err, &name)
                        ))));
                    }
                    created = out
                        .lines()
                        .map(|l| l.trim_start_matches("./").to_owned())
                        .collect();
                }
                let old_text = fstab_text.clone();
                if self.state != "ephemeral" {
                    let (text, c) = set_mount(&fstab_text, &a.entry(), a.src.is_some());
                    changed = c;
                    if changed && !check {
                        a.backup_file = self.write_fstab(a, &text)?;
                    }
                }
                let mut res: (i32, String) = (0, String::new());
                if self.mounted(&name, a.src.as_deref())? {
                    if changed && !check {
                        res = match self.remount(a)? {
                            Ok(r) => r,
                            Err(f) => return Ok(Err(f)),
                        };
                        changed = true;
                    }
                    if self.state == "ephemeral" {
                        if self.same_src(a)? {
                            changed = true;
                            if !check {
                                res = match self.remount(a)? {
                                    Ok(r) => r,
                                    Err(f) => return Ok(Err(f)),
                                };
                            }
                        } else {
                            return Ok(Err(failed("Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a \"state: unmounted\" followed by a \"state: ephemeral\", or use a different destination path.")));
                        }
                    }
                } else {
                    changed = true;
                    if !check {
                        res = match self.mount(a)? {
                            Ok(r) => r,
                            Err(f) => return Ok(Err(f)),
                        };
                    }
                }
                if res.0 != 0 {
                    if self.state != "ephemeral" {
                        let _ = self.write_fstab(a, &old_text);
                    }
                    let dirs: Vec<String> = created.iter().rev().map(|d| quote(d)).collect();
                    if !dirs.is_empty() {
                        self.script(format!("rmdir -- {} 2>/dev/null; true", dirs.join(" ")))?;
                    }
                    return Ok(Err(failed(format!("Error mounting {name}: {}", res.1))));
                }
            }
            "present" => {
                let (text, c) = set_mount(&fstab_text, &a.entry(), a.src.is_some());
                changed = c;
                if changed && !check {
                    a.backup_file = self.write_fstab(a, &text)?;
                }
            }
            "remounted" => {
                if !check {
                    match self.remount(a)? {
                        Err(f) => return Ok(Err(f)),
                        Ok((0, _)) => {}
                        Ok((_, msg)) => {
                            return Ok(Err(failed(format!("Error remounting {name}: {msg}"))))
                        }
                    }
                }
                changed = true;
            }
            _ => return Ok(Err(failed("Unexpected position reached"))),
        }
        Ok(Ok(changed))
    }

    /// `_is_same_mount_src`: `src` is what is mounted at the path (mountinfo, else `mount -v`).
    fn same_src(&self, a: &Args) -> Result<bool, ModuleError> {
        let src = a.src.clone().unwrap_or_default();
        if !self.ismount(&a.name)? && !self.bind_mounted(&a.name, None) {
            return Ok(false);
        }
        if self.bind_mounted(&a.name, Some(&src)) {
            return Ok(true);
        }
        let (_, out, _) = self.script(format!("{BIN_PATH_FN}m=$(_bin mount) && \"$m\" -v"))?;
        Ok(out.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 2 && f[0] == src && f[2] == a.name
        }))
    }
}

/// Python's `OSError` text from a tool's message (`rmdir: failed to remove 'x': Directory not
/// empty`): `[Errno N] Text: 'path'`.
fn os_error(stderr: &str, path: &str) -> String {
    let text = stderr.trim_end().rsplit(": ").next().unwrap_or_default();
    let errno = match text {
        "Directory not empty" => 39,
        "Permission denied" => 13,
        "No such file or directory" => 2,
        "Not a directory" => 20,
        "Device or resource busy" => 16,
        "File exists" => 17,
        "Read-only file system" => 30,
        _ => 0,
    };
    format!(
        "[Errno {errno}] {text}: {}",
        rsible_template::py_repr(&json!(path))
    )
}
