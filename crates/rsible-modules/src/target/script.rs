//! Running a module's shell script on the target: the request with the task's environment and
//! `become`, `~` expansion as the target user, and the shell functions several scripts share.

use crate::{ConnectionError, ExecOutput, ExecRequest, ModuleContext};

/// A request carrying the task's `environment:` and `become`.
pub(crate) fn task_request(ctx: &ModuleContext<'_>, mut req: ExecRequest) -> ExecRequest {
    req.env.extend(ctx.environment.iter().cloned());
    req.become_ = ctx.become_.clone();
    req
}

/// Runs a module's shell script on the target as the task's user, with its environment.
pub(crate) fn run_script(
    ctx: &ModuleContext<'_>,
    script: String,
) -> Result<ExecOutput, ConnectionError> {
    ctx.conn
        .exec(&task_request(ctx, ExecRequest::shell(script)))
}

/// A script's exit status and its output as text.
pub(crate) struct Ran {
    pub rc: i32,
    pub out: String,
    pub err: String,
}

/// [`run_script`] with the output decoded (invalid UTF-8 replaced).
pub(crate) fn run_text(ctx: &ModuleContext<'_>, script: String) -> Result<Ran, ConnectionError> {
    let out = run_script(ctx, script)?;
    Ok(Ran {
        rc: out.rc,
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Expands a leading `~` of a `type='path'` parameter as the (become) user on the target.
pub(crate) fn expand_path(ctx: &ModuleContext<'_>, path: &str) -> Result<String, ConnectionError> {
    ctx.conn.expand_user(path, ctx.become_.as_ref())
}

/// Shell creating the module's temp dir the way Ansible names it (`ansible-tmp-<time>-<pid>-
/// <rand>` under `~/.ansible/tmp` of the user the module runs as) and printing `tmp:<path>`.
pub(crate) fn mkdir_tmp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    format!(
        "t=\"$HOME/.ansible/tmp/ansible-tmp-{now}-{}-{}\"; (umask 077 && mkdir -p \"$t\") && echo \"tmp:$t\"",
        std::process::id(),
        rand::random::<u64>() % 1_000_000_000_000_000
    )
}

/// The working directory of a low-level command (`raw`, `script`): Ansible's local connection
/// runs them in the playbook's directory, other connections in the login directory.
pub(crate) fn low_level_cwd(ctx: &ModuleContext<'_>) -> Option<String> {
    ctx.connection_info
        .as_ref()
        .is_none_or(|c| c.transport == "local")
        .then(|| ctx.playbook_dir.display().to_string())
}

/// A fresh token that no command output can contain by accident; scripts use it to mark the
/// lines they print for the module rather than for the user.
pub(crate) fn marker() -> String {
    format!("RSIBLE-{:016x}", rand::random::<u64>())
}

/// Shell function `_bin NAME`: prints the path `get_bin_path` would find (`$PATH`, then
/// `/sbin`, `/usr/sbin`, `/usr/local/sbin`), or its failure message and returns 1.
pub(crate) const BIN_PATH_FN: &str = r#"_bin() { _bp="$PATH"; for _bd in /sbin /usr/sbin /usr/local/sbin; do case ":$_bp:" in *":$_bd:"*) ;; *) if [ -e "$_bd" ]; then _bp="$_bp:$_bd"; fi ;; esac; done; _bo=$IFS; IFS=:; set -f; for _bd in $_bp; do if [ -n "$_bd" ] && [ -e "$_bd/$1" ] && [ ! -d "$_bd/$1" ] && [ -x "$_bd/$1" ]; then IFS=$_bo; set +f; printf '%s\n' "$_bd/$1"; return 0; fi; done; IFS=$_bo; set +f; printf 'Failed to find required executable "%s" in paths: %s\n' "$1" "$_bp"; return 1; }
"#;

/// Shell function `_loc`: prints the locale `get_best_parsable_locale` picks from `locale -a`.
pub(crate) const BEST_LOCALE_FN: &str = r#"_loc() { _la=$(locale -a 2>/dev/null) && [ -n "$_la" ] || { echo C; return; }; for _l in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8 C POSIX; do if printf '%s\n' "$_la" | grep -qx -- "$_l"; then echo "$_l"; return; fi; done; echo C; }
"#;

/// Shell function `_backup FILE`: `backup_local`'s copy `FILE.<pid>.<date>@<time>~` (mode and
/// times kept), its path printed.
pub(crate) const BACKUP_FN: &str = r#"_backup() { _bk="$1.$$.$(date +%Y-%m-%d@%H:%M:%S~)"; cp -p -- "$1" "$_bk" && printf '%s\n' "$_bk"; }
"#;

/// `run_command(argv)`: `argv` run as the task's user with `stdin` and the extra `env`, its
/// `(rc, stdout, stderr)` as text.
pub(crate) fn run_argv(
    ctx: &ModuleContext<'_>,
    argv: Vec<String>,
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Result<(i32, String, String), ConnectionError> {
    let mut req = ExecRequest::argv(argv);
    req.stdin = stdin.map(|s| s.as_bytes().to_vec());
    req.env
        .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let out = ctx.conn.exec(&task_request(ctx, req))?;
    Ok((
        out.rc,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `get_bin_path(name, required=True)` on the target: the program's path, or the module's
/// failure message.
pub(crate) fn bin_path(
    ctx: &ModuleContext<'_>,
    name: &str,
) -> Result<Result<String, String>, ConnectionError> {
    let out = run_script(
        ctx,
        format!(
            "{BIN_PATH_FN}_bin {}",
            rsible_connection::shell::quote(name)
        ),
    )?;
    let text = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
    Ok(if out.rc == 0 { Ok(text) } else { Err(text) })
}
