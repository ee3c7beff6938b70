//! Every module, given arbitrary arguments built from its own spec (extreme numbers, wrong
//! types, nested values, unknown keys), returns a result or an error and never panics.
//!
//! The target is a fake connection that answers every command with rc 0 and no output, so
//! nothing on this machine changes. Controller paths are kept out of the generated strings
//! (no `/`, `.`, `~` or `:`): `copy`/`template` would otherwise read real files and `unarchive`
//! download URLs.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::testing::{Env, FakeConnection};
use crate::{Module, ModuleError};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(-0.0)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "yes",
            "no",
            "0644",
            "u=rwx,g-w",
            "-1",
            "1e300",
            "inf",
            "nan",
            "9223372036854775807",
            "18446744073709551616",
            "present",
            "absent",
            "latest",
            "directory",
            "link",
            "hard",
            "touch",
            "status",
            "cleanup",
            "{{ 1 }}",
            "{{",
            "a=b c=d",
        ])
        .prop_map(Value::from),
        "[a-zA-Z0-9 _=,{}%*-]{0,12}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Argument maps for `module`: known names with arbitrary values, sometimes an unknown key.
fn arguments(module: &'static dyn Module) -> impl Strategy<Value = Map<String, Value>> {
    let mut names: Vec<&'static str> = module.info().args.names.to_vec();
    // A module without parameters (`service_facts`) still gets unknown keys.
    let max = if names.is_empty() { 0 } else { 6 };
    if names.is_empty() {
        names.push("_");
    }
    let known = prop::collection::vec((prop::sample::select(names), value()), 0..=max);
    let unknown = prop::option::weighted(0.1, ("[a-z_]{1,8}", value()));
    (known, unknown).prop_map(move |(pairs, extra)| {
        let mut args: Map<String, Value> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if let Some((k, v)) = extra {
            args.insert(k, v);
        }
        for key in sleeps(module) {
            args.remove(*key);
        }
        // `wait_for` waits `delay`, then up to `timeout` seconds (300 by default).
        if module.info().id.name == "wait_for" {
            args.remove("delay");
            args.insert("timeout".into(), json!(0));
        }
        args
    })
}

/// Parameters that make a module wait that long on the controller (`wait_for_connection`'s
/// `delay`, `pause`'s duration): arbitrary values would hang the test, not find a panic.
fn sleeps(module: &dyn Module) -> &'static [&'static str] {
    match module.info().id.name {
        "wait_for_connection" => &["delay"],
        "pause" => &["seconds", "minutes"],
        _ => &[],
    }
}

/// `synchronize` runs rsync on the controller when no connection is delegated: with arbitrary
/// paths it would copy files around this machine. Its argument handling is covered by its own
/// tests.
fn runs_safely(module: &&'static dyn Module) -> bool {
    module.info().id.name != "synchronize"
}

fn safe_modules_indices() -> Vec<usize> {
    let all = crate::registry::all();
    (0..all.len()).filter(|&i| runs_safely(&all[i])).collect()
}

fn check(module: &'static dyn Module, args: &Map<String, Value>, check_mode: bool) {
    // `wait_for` would wait its default 300 seconds.
    let mut args = args.clone();
    if module.info().id.name == "wait_for" && !args.contains_key("timeout") {
        args.insert("timeout".into(), json!(0));
    }
    let args = &args;
    let env = Env {
        check_mode,
        ..Env::default()
    };
    let fake = FakeConnection::default();
    // Any result or error is an answer; only a panic (or a hang) fails.
    if let Err(ModuleError::Args(e)) = module.run(&env.ctx(&fake), args) {
        assert!(
            !e.to_string().is_empty(),
            "{}: empty argument error",
            module.info().id.name
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn no_module_panics_on_any_arguments(
        (index, args, check_mode) in prop::sample::select(safe_modules_indices())
            .prop_flat_map(|i| (Just(i), arguments(crate::registry::all()[i]), any::<bool>()))
    ) {
        check(crate::registry::all()[index], &args, check_mode);
    }
}

#[test]
fn every_module_takes_extreme_numbers_in_every_parameter() {
    let extremes = [
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e300),
        json!("1e300"),
        json!("inf"),
        json!(-1),
    ];
    for module in crate::registry::all().iter().copied().filter(runs_safely) {
        for name in module.info().args.names {
            if sleeps(module).contains(name) {
                continue;
            }
            for v in &extremes {
                let mut args = Map::new();
                args.insert((*name).to_owned(), v.clone());
                check(module, &args, false);
            }
        }
    }
}
