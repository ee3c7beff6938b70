//! Which strings are templates: playbook vars are, registered results are not
//! (checked with ansible-playbook 2.19: `register` of `echo "{{ '{{' }} nope }}"` prints
//! `{{ nope }}`, and `vars['x']` with `x: "{{ y }}"`, `y: 5` gives 5).

use rsible_template::{Origin, Templar, Value, Vars, UNTRUSTED_VARS};
use serde_json::json;

fn vars(v: Value) -> Vars {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn registered_results_are_not_templated() {
    let v = vars(json!({
        "r": {"stdout": "{{ nope }}", "lines": ["{{ nope }}"]},
        UNTRUSTED_VARS: ["r"],
    }));
    let t = Templar::new();
    let o = Origin::default();
    assert_eq!(
        t.render_str("{{ r.stdout }}", &v, &o).unwrap(),
        json!("{{ nope }}")
    );
    assert_eq!(
        t.render_str("{{ r.lines }}", &v, &o).unwrap(),
        json!(["{{ nope }}"])
    );
    assert!(t
        .eval_condition("r.stdout is search('nope')", &v, &o)
        .unwrap());
}

// A part of a variable can be data while the rest comes from the playbook (`set_fact` of a
// dict mixing a literal with a command's output): only that part is left untemplated.
#[test]
fn parts_of_a_variable_can_be_data() {
    let v = vars(json!({
        "f": {"lit": "{{ y }}", "out": "{{ nope }}", "list": ["{{ y }}", "{{ nope }}"]},
        "y": 5,
        UNTRUSTED_VARS: [["f", "out"], ["f", "list", 1]],
    }));
    let t = Templar::new();
    let o = Origin::default();
    assert_eq!(t.render_str("{{ f.lit }}", &v, &o).unwrap(), json!(5));
    assert_eq!(
        t.render_str("{{ f.out }}", &v, &o).unwrap(),
        json!("{{ nope }}")
    );
    assert_eq!(
        t.render_str("{{ f.list }}", &v, &o).unwrap(),
        json!([5, "{{ nope }}"])
    );
}

#[test]
fn vars_magic_templates_lazily() {
    let v = vars(json!({"x": "{{ y }}", "y": 5}));
    let t = Templar::new();
    assert_eq!(
        t.render_str("{{ vars['x'] }}", &v, &Origin::default())
            .unwrap(),
        json!(5)
    );
}

#[test]
fn playbook_vars_are_templated_recursively() {
    let v = vars(json!({
        "home_dir": "/home/vagrant",
        "rdma_core_src_vm": "{{home_dir}}/rdma-core/",
        "iproute2_version": "5.9.0",
        "iproute2_archive": "iproute2-{{ iproute2_version }}.tar.gz",
        "iproute2_url": "https://mirrors.edge.kernel.org/pub/linux/utils/net/iproute2/{{ iproute2_archive }}",
    }));
    let t = Templar::new();
    let o = Origin::default();
    assert_eq!(
        t.render_str("{{rdma_core_src_vm}}/build", &v, &o).unwrap(),
        json!("/home/vagrant/rdma-core//build")
    );
    assert_eq!(
        t.render_str("{{ iproute2_url | quote }}", &v, &o).unwrap(),
        json!("https://mirrors.edge.kernel.org/pub/linux/utils/net/iproute2/iproute2-5.9.0.tar.gz")
    );
}

#[test]
fn bound_variables_give_the_same_results() {
    let v = vars(json!({"x": "{{ y }}", "y": 5, "flag": true}));
    let t = Templar::new();
    let o = Origin::default();
    let bound = t.bind(std::sync::Arc::new(v.clone()));
    assert_eq!(
        bound.render_str("{{ x }}", &o).unwrap(),
        t.render_str("{{ x }}", &v, &o).unwrap()
    );
    assert!(bound.eval_condition("flag", &o).unwrap());
    assert_eq!(bound.eval_expr("x + 1", &o).unwrap(), json!(6));
    assert_eq!(bound.render_text("{{ x }}\n", &o).unwrap(), "5\n");
}
