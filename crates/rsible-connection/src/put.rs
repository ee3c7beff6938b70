//! The one way a file is written on a target, whichever the transport: the bytes go to the
//! target's shell on stdin, which writes them beside the destination and renames them over it.
//! Running it as an ordinary request means `become` and the user's umask apply exactly as they
//! do to every other command.

use crate::shell::quote_path;
use crate::{Become, Connection, ConnectionError, ExecRequest};

/// Options for writing a file on the target.
#[derive(Clone, Debug, Default)]
pub struct PutOptions {
    pub mode: Option<u32>,
    pub become_: Option<Become>,
}

/// Writes `data` to `dest` in one round trip through `conn`.
pub(crate) fn put_via_shell<C: Connection + ?Sized>(
    conn: &C,
    data: &[u8],
    dest: &str,
    opts: &PutOptions,
) -> Result<(), ConnectionError> {
    let mut req =
        ExecRequest::shell(put_script(dest, opts.mode)).with_become(opts.become_.as_ref());
    req.stdin = Some(data.to_vec());
    let out = conn.exec(&req)?;
    if out.rc == 0 {
        Ok(())
    } else {
        Err(ConnectionError::Failed(format!(
            "cannot write {dest}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The shell script that writes stdin to a temp file beside `dest` and renames it over.
///
/// Permissions follow Ansible's `atomic_move`: an existing file keeps its mode (and owner when
/// we may set it), a new one gets `0666 & ~umask` of the target user (by creating it under
/// that umask); an explicit mode wins. The temp file is created exclusively (`set -C`) and
/// only readable by us until it is complete. Few processes keep it fast: `cat`, `mv` and, for
/// existing files or explicit modes, `stat`/`chown`/`chmod`.
fn put_script(dest: &str, mode: Option<u32>) -> String {
    let (new_umask, keep, chmod) = match mode {
        Some(m) => (
            "umask 077",
            "chown \"${s#* }\" \"$t\" 2>/dev/null || :".to_owned(),
            format!("chmod {m:o} \"$t\" && "),
        ),
        None => (
            ":",
            "chown \"${s#* }\" \"$t\" 2>/dev/null; chmod \"${s%% *}\" \"$t\"".to_owned(),
            String::new(),
        ),
    };
    format!(
        "d={d}; t=\"$d.rsible-$$\"; s=; \
         if [ -d \"$d\" ]; then echo \"$d: is a directory\" >&2; exit 1; fi; \
         if [ -e \"$d\" ]; then s=$(stat -L -c '%a %u:%g' -- \"$d\") || exit 1; umask 077; \
         else {new_umask}; fi; \
         set -C; cat > \"$t\" || {{ rm -f -- \"$t\"; exit 1; }}; \
         {{ [ -z \"$s\" ] || {{ {keep}; }}; }} && {chmod}mv -f -- \"$t\" \"$d\" \
         || {{ rm -f -- \"$t\"; exit 1; }}",
        d = quote_path(dest)
    )
}
