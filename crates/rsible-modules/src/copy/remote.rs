//! copy with `remote_src: yes`: source and destination are both on the target.

use std::fmt::Write as _;

use serde_json::json;

use crate::args::Mode;
use crate::copy::{file_args, Args};
use crate::file::{self, INFO_FN};
use crate::target::script::run_script;
use crate::util::failed;
use crate::{ModuleContext, ModuleError, ResultMap};
use rsible_connection::shell::quote;

/// `remote_src: yes`: the copy happens on the target.
pub(crate) fn remote_copy(
    ctx: &ModuleContext<'_>,
    a: &Args,
    dest: &str,
) -> Result<ResultMap, ModuleError> {
    let src = crate::target::script::expand_path(ctx, a.src.as_deref().unwrap_or_default())?;
    let dest = crate::target::script::expand_path(ctx, dest)?;
    let mut s = String::from(INFO_FN);
    let _ = writeln!(s, "s={} ; f={}", quote(&src), quote(&dest));
    s.push_str("[ -e \"$s\" ] || { echo \"x:Source $s not found\"; exit 0; }\n");
    s.push_str("if [ -d \"$s\" ]; then echo dir:; exit 0; fi\n");
    s.push_str("if [ -d \"$f\" ]; then f=\"${f%/}/$(basename -- \"$s\")\"; fi\n");
    s.push_str("echo \"p:$f\"; echo \"S:$(sha1sum < \"$s\" | cut -d' ' -f1)\"; echo \"M:$(md5sum < \"$s\" | cut -d' ' -f1)\"\n");
    s.push_str("if [ -f \"$f\" ]; then echo \"c:$(sha1sum < \"$f\" | cut -d' ' -f1)\"; fi\n");
    let out = run_script(ctx, s)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let tag = |t: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(t).map(str::to_owned))
    };
    if let Some(msg) = tag("x:") {
        return Ok(failed(msg));
    }
    if tag("dir:").is_some() {
        if ctx.check_mode {
            return Ok(crate::util::map(json!({"changed": true})));
        }
        let slash = if src.ends_with('/') { "." } else { "" };
        let script = format!(
            "mkdir -p -- {d} && cp -R -p -- {s}{slash} {d}",
            s = quote(&src),
            d = quote(&dest)
        );
        let out = run_script(ctx, script)?;
        if out.rc != 0 {
            return Ok(failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
        return Ok(crate::util::map(
            json!({"changed": true, "dest": dest, "src": src}),
        ));
    }
    let path = tag("p:").unwrap_or(dest.clone());
    let sum = tag("S:").unwrap_or_default();
    let md5 = tag("M:").unwrap_or_default();
    let changed = tag("c:").as_deref() != Some(sum.as_str());
    if changed && !ctx.check_mode {
        let mut script = String::new();
        if a.backup {
            let _ = writeln!(
                script,
                "f={}; if [ -f \"$f\" ]; then b=\"$f.$$.$(date +%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$f\" \"$b\" && echo \"b:$b\"; fi",
                quote(&path)
            );
        }
        let _ = writeln!(
            script,
            // Written through the shell so a new file gets the umask's mode, as Ansible's
            // atomic_move gives it; an existing file keeps its mode.
            "t={p}.rsible.$$ && cat -- {s} > \"$t\" && {{ [ ! -e {p} ] || chmod \"$(stat -c %a -- {p})\" \"$t\"; }} && mv -f -- \"$t\" {p}",
            p = quote(&path),
            s = quote(&src)
        );
        let out = run_script(ctx, script)?;
        if out.rc != 0 {
            return Ok(failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
    }
    let fa = file_args(
        a,
        &path,
        "file",
        a.mode.clone().filter(|m| *m != Mode::Preserve),
        None,
    );
    let mut r = if ctx.check_mode && changed {
        ResultMap::new()
    } else {
        file::run_file(ctx, &fa)?
    };
    r.remove("path");
    r.remove("diff");
    let was = r.get("changed") == Some(&json!(true));
    r.insert("changed".into(), json!(changed || was));
    r.insert("checksum".into(), json!(sum));
    r.insert("md5sum".into(), json!(md5));
    r.insert("dest".into(), json!(path));
    r.insert("src".into(), json!(src));
    Ok(r)
}
