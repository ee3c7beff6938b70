//! `tests/fixtures/err/*.yml`: each must fail, and the rendered diagnostic is snapshotted
//! under `snapshots/it__errors__<fixture>.snap`. Positions in the snapshots were checked by
//! hand against the fixture, and against where `ansible-playbook --syntax-check` points when
//! Ansible reports the same problem.

use std::path::Path;

use rsible_parser::load_playbook;

use crate::{fixture, options};

#[test]
fn error_fixtures() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<_> = std::fs::read_dir(fixture("fixtures/err"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    assert!(files.len() >= 10, "fixtures missing: {files:?}");
    for path in files {
        // A relative path keeps the snapshots independent of the checkout location.
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rendered = match load_playbook(Path::new(rel), &options()) {
            Ok(_) => "loaded without error".to_owned(),
            Err(e) => e.diagnostic().render(false),
        };
        insta::with_settings!({ filters => vec![(root, "[CRATE]")], prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("err_{name}"), rendered);
        });
    }
}
