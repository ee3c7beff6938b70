//! The file attributes every module with `add_file_common_args` takes (`mode`, `owner`,
//! `group` …), applied after the module wrote its file (`set_fs_attributes_if_different`), and
//! `add_path_info`, which every result naming a `path` or `dest` gets.

use serde::Deserialize;
use serde_json::Value;

use crate::args::{de_opt_string, Mode};
use crate::file;
use crate::target::file_state::{path_info, Info, INFO_FN};
use crate::target::script::run_script;
use crate::{ModuleContext, ModuleError, ResultMap};
use rsible_connection::shell::quote;

/// `add_file_common_args`. SELinux contexts are accepted and left alone: the targets rsible
/// supports run without SELinux, where Ansible leaves them alone too. `attributes` (chattr)
/// is refused by [`FileAttrs::refusal`].
#[derive(Debug, Default, Deserialize)]
#[expect(
    dead_code,
    reason = "accepted like Ansible's argument_spec; SELinux contexts are not applied"
)]
pub(crate) struct FileAttrs {
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub group: Option<String>,
    #[serde(default, alias = "attr")]
    pub attributes: Option<Value>,
    #[serde(default)]
    pub seuser: Option<Value>,
    #[serde(default)]
    pub serole: Option<Value>,
    #[serde(default)]
    pub setype: Option<Value>,
    #[serde(default)]
    pub selevel: Option<Value>,
    #[serde(default)]
    pub unsafe_writes: Option<Value>,
}

impl FileAttrs {
    /// `attributes` would need chattr semantics rsible does not implement.
    pub(crate) fn refusal(&self) -> Option<String> {
        self.attributes
            .as_ref()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .map(|_| "rsible does not set file attributes (chattr): remove 'attributes'".to_owned())
    }

    /// `set_fs_attributes_if_different(file_args, changed)`: whether anything changed, or the
    /// failed result when an attribute could not be set. No diff: these modules give none.
    pub(crate) fn apply(
        &self,
        ctx: &ModuleContext<'_>,
        path: &str,
    ) -> Result<Result<bool, ResultMap>, ModuleError> {
        if self.mode.is_none() && self.owner.is_none() && self.group.is_none() {
            return Ok(Ok(false));
        }
        let a = file::Args::attributes_of(
            path,
            "file",
            self.mode.clone(),
            self.owner.clone(),
            self.group.clone(),
            None,
        );
        let r = file::run_file(ctx, &a)?;
        if r.get("failed").and_then(Value::as_bool) == Some(true) {
            return Ok(Err(r));
        }
        Ok(Ok(r.get("changed").and_then(Value::as_bool) == Some(true)))
    }
}

/// `add_path_info`: the attributes of whatever is at the result's `path` (else `dest`).
pub(crate) fn add_path_info(ctx: &ModuleContext<'_>, r: &mut ResultMap) -> Result<(), ModuleError> {
    let Some(p) = r
        .get("path")
        .or_else(|| r.get("dest"))
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(());
    };
    let q = quote(&p);
    let out = run_script(ctx, format!("{INFO_FN}_lt {q}\n"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut l, mut t) = (Info::default(), Info::default());
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("l:") {
            l = Info::parse(v);
        } else if let Some(v) = line.strip_prefix("t:") {
            t = Info::parse(v);
        }
    }
    path_info(r, &l, &t);
    Ok(())
}

/// `atomic_move($s, $d)`: a copy beside `$d`, given `$d`'s mode and owner when it exists
/// (else `0666 & ~umask`), renamed over it; `$s` is removed.
pub(crate) const ATOMIC_MOVE: &str =
    "n=\"$(dirname -- \"$d\")/.rsible-$$-$(basename -- \"$d\")\"; m=\n\
if [ -e \"$d\" ]; then m=$(stat -L -c '%a %u:%g' -- \"$d\") || exit 1; fi\n\
cp -- \"$s\" \"$n\" || exit 1\n\
if [ -n \"$m\" ]; then chown \"${m#* }\" \"$n\" 2>/dev/null; chmod \"${m%% *}\" \"$n\"; \
else chmod \"$(printf %o $((0666 & ~0$(umask))))\" \"$n\"; fi\n\
mv -f -- \"$n\" \"$d\" || { rm -f -- \"$n\"; exit 1; }\n\
rm -f -- \"$s\"\n";
