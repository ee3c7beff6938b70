//! The fstab edits and the mountinfo reading of the module, on text.

use std::collections::HashMap;

/// One fstab entry as the module compares it (escaped as written in the file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub src: String,
    pub name: String,
    pub fstype: String,
    pub opts: String,
    pub dump: String,
    pub passno: String,
}

const MISSING: &str = "\u{0}0";

/// `_escape_fstab`: backslash, space and ampersand as octal escapes.
pub(super) fn escape(v: &str) -> String {
    v.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('&', "\\046")
}

impl Entry {
    fn escaped(&self) -> Self {
        Self {
            src: escape(&self.src),
            name: escape(&self.name),
            fstype: escape(&self.fstype),
            opts: escape(&self.opts),
            dump: escape(&self.dump),
            passno: escape(&self.passno),
        }
    }

    fn line(&self) -> String {
        format!(
            "{} {} {} {} {} {}\n",
            self.src, self.name, self.fstype, self.opts, self.dump, self.passno
        )
    }

    /// Whether a line's fields (`ld`) name this entry: the mount point, or for swap
    /// (`none`) the source too (only when `src` was given).
    fn matches(&self, ld: &Entry, raw_src: &str, src_given: bool) -> bool {
        !(ld.name != self.name
            || (src_given && ld.name == "none" && ld.fstype == "swap" && ld.src != raw_src))
    }
}

/// `_set_mount_save_old`: the fstab with the entry added or updated, and whether it changed.
pub(crate) fn set_mount(text: &str, args: &Entry, src_given: bool) -> (String, bool) {
    let esc = args.escaped();
    let mut out = String::new();
    let (mut exists, mut changed) = (false, false);
    for line in text.split_inclusive('\n') {
        let line = if line.ends_with('\n') {
            line.to_owned()
        } else {
            format!("{line}\n")
        };
        if line.trim().is_empty() || line.trim().starts_with('#') {
            out.push_str(&line);
            continue;
        }
        let fields: Vec<&str> = line
            .split('#')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if !(4..=6).contains(&fields.len()) {
            out.push_str(&line);
            continue;
        }
        let mut ld = Entry {
            src: fields[0].into(),
            name: fields[1].into(),
            fstype: fields[2].into(),
            opts: fields[3].into(),
            // The module fills the optional fields with the int 0, which no text equals.
            dump: fields.get(4).copied().unwrap_or(MISSING).into(),
            passno: fields.get(5).copied().unwrap_or(MISSING).into(),
        };
        if !esc.matches(&ld, &args.src, src_given) {
            out.push_str(&line);
            continue;
        }
        exists = true;
        // `changed` stays set once a matching line differed, as in the module.
        for (have, want) in [
            (&mut ld.src, &esc.src),
            (&mut ld.fstype, &esc.fstype),
            (&mut ld.opts, &esc.opts),
            (&mut ld.dump, &esc.dump),
            (&mut ld.passno, &esc.passno),
        ] {
            if have != want {
                have.clone_from(want);
                changed = true;
            }
        }
        if changed {
            out.push_str(&ld.line());
        } else {
            out.push_str(&line);
        }
    }
    if !exists {
        out.push_str(&esc.line());
        changed = true;
    }
    (out, changed)
}

/// `unset_mount`: the fstab without the entry, and whether it changed.
pub(crate) fn unset_mount(text: &str, args: &Entry, src_given: bool) -> (String, bool) {
    let name = escape(&args.name);
    let mut out = String::new();
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() || line.trim().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 6 {
            out.push_str(line);
            continue;
        }
        let ld = Entry {
            src: f[0].into(),
            name: f[1].into(),
            fstype: f[2].into(),
            ..Entry::default()
        };
        if ld.name != name
            || (src_given && ld.name == "none" && ld.fstype == "swap" && ld.src != args.src)
        {
            out.push_str(line);
            continue;
        }
        changed = true;
    }
    (out, changed)
}

/// One mounted filesystem as `get_linux_mounts` records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mounted {
    pub src: String,
    pub fs: String,
}

pub(crate) type Mounts = HashMap<String, Mounted>;

struct Info {
    id: i64,
    parent: i64,
    root: String,
    dst: String,
    fs: String,
    src: String,
}

/// `get_linux_mounts`: each mount point's source, the bind source (the root within its
/// parent) for mounts under another.
pub(crate) fn linux_mounts(text: &str) -> Mounts {
    let infos: Vec<Info> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 7 {
                return None;
            }
            Some(Info {
                id: f[0].parse().ok()?,
                parent: f[1].parse().ok()?,
                root: f[3].into(),
                dst: f[4].into(),
                fs: f[f.len() - 3].into(),
                src: f[f.len() - 2].into(),
            })
        })
        .collect();
    // A dict keyed by id: a later line with the same id wins, in the first line's place.
    let mut by_id: Vec<Info> = Vec::new();
    for i in infos {
        match by_id.iter_mut().find(|x| x.id == i.id) {
            Some(slot) => *slot = i,
            None => by_id.push(i),
        }
    }
    let mut mounts = Mounts::new();
    for mnt in &by_id {
        let parent = (mnt.parent != 1)
            .then(|| by_id.iter().find(|p| p.id == mnt.parent))
            .flatten();
        let src = match parent {
            Some(m) => {
                let mut root = mnt.root.clone();
                if m.root.len() > 1 && root.starts_with(&format!("{}/", m.root)) {
                    root = root[m.root.len()..].to_owned();
                }
                if m.dst != "/" {
                    root = format!("{}{root}", m.dst);
                }
                root
            }
            None => mnt.src.clone(),
        };
        mounts.insert(
            mnt.dst.clone(),
            Mounted {
                src,
                fs: mnt.fs.clone(),
            },
        );
    }
    mounts
}
