//! `docs/status.md` lists every keyword of the parser's table with where it is accepted and
//! whether rsible runs it: the documentation cannot drift from what the parser refuses.

use rsible_parser::keywords::{Default, Scope, Status, KEYWORDS, META_REFUSED};

fn expected_rows() -> Vec<String> {
    let mut rows = Vec::new();
    for k in KEYWORDS {
        let at = |s: Scope| if k.scopes.contains(&s) { "✓" } else { "" };
        let status = match k.status {
            Status::Runs => "runs".to_owned(),
            Status::DefaultOnly(d, reason) => {
                let d = match d {
                    Default::False => "false".to_owned(),
                    Default::Zero => "0".to_owned(),
                    Default::Str(s) => s.to_owned(),
                };
                format!("only `{d}`: {reason}")
            }
            Status::Refused(reason) => format!("refused: {reason}"),
        };
        rows.push(format!(
            "| `{}` | {} | {} | {} | {status} |",
            k.name,
            at(Scope::Play),
            at(Scope::Block),
            at(Scope::Task)
        ));
    }
    for (name, reason) in META_REFUSED {
        rows.push(format!("| `meta: {name}` | | | ✓ | refused: {reason} |"));
    }
    rows
}

#[test]
fn status_md_lists_the_keyword_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/status.md");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let documented: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("## Keywords"))
        .filter(|l| l.starts_with("| `"))
        .collect();
    let expected = expected_rows();
    assert!(
        documented == expected,
        "docs/status.md's keyword table differs from the parser's; expected rows:\n{}",
        expected.join("\n")
    );
}
