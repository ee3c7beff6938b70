//! Error kinds, Ansible's wording and positions mapped into the YAML file.

use rsible_source::{Position, SourceId, Span};
use rsible_template::{Origin, Templar, TemplateError, Value, Vars};

fn vars(json: Value) -> Vars {
    json.as_object().cloned().unwrap_or_default()
}

fn origin_at(line: u32, column: u32, exact_lines: bool) -> Origin {
    let at = Position::new(line, column);
    Origin {
        span: Some(Span::new(SourceId(0), at, at)),
        exact_lines,
        search_paths: Vec::new(),
    }
}

#[test]
fn undefined_variable_is_typed_and_named() {
    let t = Templar::new();
    let err = t
        .render_str("{{ foo }}", &Vars::new(), &Origin::default())
        .unwrap_err();
    match &err {
        TemplateError::Undefined { name, message, .. } => {
            assert_eq!(name, "foo");
            assert_eq!(message, "'foo' is undefined");
        }
        other => panic!("expected Undefined, got {other:?}"),
    }
    assert!(err
        .diagnostic()
        .render(false)
        .contains("'foo' is undefined"));
}

#[test]
fn nested_variable_error_names_the_inner_variable() {
    let t = Templar::new();
    let v = vars(serde_json::json!({"a": "{{ b }}/x"}));
    let err = t.render_str("{{ a }}", &v, &Origin::default()).unwrap_err();
    assert_eq!(err.ansible_message(), "'b' is undefined");
}

#[test]
fn error_on_first_line_points_inside_the_scalar() {
    let t = Templar::new();
    let err = t
        .render_str("abc {{ foo }}", &Vars::new(), &origin_at(7, 10, true))
        .unwrap_err();
    let span = err.span().expect("span");
    assert_eq!(span.start.line, 7);
    assert_eq!(span.start.column, 10 + 7);
}

#[test]
fn error_on_later_line_moves_down() {
    let t = Templar::new();
    let err = t
        .render_str(
            "line one\nline {{ foo }}\n",
            &Vars::new(),
            &origin_at(3, 5, true),
        )
        .unwrap_err();
    assert_eq!(err.span().expect("span").start.line, 4);
}

#[test]
fn quoted_scalar_errors_point_at_its_start() {
    let t = Templar::new();
    let err = t
        .render_str("abc\n{{ foo }}", &Vars::new(), &origin_at(3, 5, false))
        .unwrap_err();
    let span = err.span().expect("span");
    assert_eq!((span.start.line, span.start.column), (3, 5));
}

#[test]
fn syntax_error_is_syntax_kind() {
    let t = Templar::new();
    let err = t
        .render_str("{{ 1 }", &Vars::new(), &origin_at(1, 1, true))
        .unwrap_err();
    assert!(matches!(err, TemplateError::Syntax { .. }), "{err:?}");
    assert_eq!(
        err.ansible_message(),
        "Syntax error in template: unexpected '}'"
    );
}

#[test]
fn self_reference_is_a_loop_error_not_a_crash() {
    let t = Templar::new();
    let v = vars(serde_json::json!({"a": "{{ b }}", "b": "{{ a }}"}));
    let err = t.render_str("{{ a }}", &v, &Origin::default()).unwrap_err();
    assert!(err
        .ansible_message()
        .starts_with("Recursive loop detected in template"));
}

#[test]
fn condition_accepts_bool_values_and_rejects_others() {
    let t = Templar::new();
    let v = vars(serde_json::json!({"flag": true, "n": 3}));
    assert!(t.eval_condition("flag", &v, &Origin::default()).unwrap());
    assert!(!t
        .eval_condition("not flag", &v, &Origin::default())
        .unwrap());
    // ansible-core 2.19: "Task failed: Empty conditional expressions are not allowed."
    let err = t.eval_condition(" ", &v, &Origin::default()).unwrap_err();
    assert_eq!(
        err.ansible_message(),
        "Empty conditional expressions are not allowed."
    );
    let err = t.eval_condition("n", &v, &Origin::default()).unwrap_err();
    assert!(err
        .ansible_message()
        .contains("Conditionals must have a boolean result"));
}

// ansible-core 2.19 renders a conditional that is all template, then evaluates a string
// result only if it is a trusted variable's value (`when: "{{ expr }}"`); a string the
// template built is "Encountered untrusted template or expression.".
#[test]
fn all_template_condition_follows_trusted_variables_only() {
    let t = Templar::new();
    let v = vars(serde_json::json!({
        "expr": "1 == 1", "falsy": "1 == 2", "indirect": "{{ expr }}", "flag": true,
        "built": "{{ '1 == ' ~ '1' }}",
    }));
    let eval = |c: &str| t.eval_condition(c, &v, &Origin::default());
    assert!(eval("{{ expr }}").unwrap());
    assert!(!eval("{{ falsy }}").unwrap());
    assert!(eval("{{ indirect }}").unwrap());
    assert!(eval("{{ flag }}").unwrap());
    for refused in ["{{ built }}", "{{ '1 == 1' }}", "{{ expr }} and {{ expr }}"] {
        assert_eq!(
            eval(refused).unwrap_err().ansible_message(),
            "Encountered untrusted template or expression.",
            "{refused}"
        );
    }
    assert_eq!(
        eval("{{ '' }}").unwrap_err().ansible_message(),
        "Empty conditional expressions are not allowed."
    );
}

#[test]
fn render_value_renders_keys_and_nested_strings() {
    let t = Templar::new();
    let v = vars(serde_json::json!({"k": "key", "x": 2}));
    let input = serde_json::json!({"{{ k }}": ["{{ x }}", "lit", {"n": "{{ x + 1 }}"}]});
    let got = t.render_value(&input, &v, &Origin::default()).unwrap();
    assert_eq!(got, serde_json::json!({"key": [2, "lit", {"n": 3}]}));
}

#[test]
fn plain_strings_are_returned_unchanged() {
    let t = Templar::new();
    let got = t
        .render_str("{ not: jinja } [1, 2]", &Vars::new(), &Origin::default())
        .unwrap();
    assert_eq!(got, Value::String("{ not: jinja } [1, 2]".into()));
}

#[test]
fn filter_failures_name_the_plugin_as_ansible_does() {
    // ansible-core words these "The filter plugin 'ansible.builtin.X' failed: <python error>";
    // the Python error text itself differs, the prefix does not.
    let t = Templar::new();
    for (tpl, plugin) in [
        ("{{ 'a' | regex_replace('(', 'x') }}", "regex_replace"),
        ("{{ '{bad' | from_json }}", "from_json"),
    ] {
        let err = t
            .render_str(tpl, &Vars::new(), &Origin::default())
            .unwrap_err();
        let want = format!("The filter plugin 'ansible.builtin.{plugin}' failed: ");
        assert!(err.ansible_message().starts_with(&want), "{err}");
    }
}

#[test]
fn expanduser_uses_the_controller_home() {
    let home = std::env::var("HOME").unwrap_or_default();
    if home.is_empty() {
        return;
    }
    let got = Templar::new()
        .render_str("{{ '~/x' | expanduser }}", &Vars::new(), &Origin::default())
        .unwrap();
    assert_eq!(
        got,
        Value::String(format!("{}/x", home.trim_end_matches('/')))
    );
}

#[test]
fn error_in_literal_block_points_at_its_line() {
    use rsible_source::SourceMap;
    let text = "- debug:\n    msg: |\n      first line\n      second {{ foo }}\n";
    let id = SourceMap::add("/virtual/literal.yml", text);
    // The scalar's span starts at the `|` indicator (line 2, column 10).
    let at = Position::new(2, 10);
    let origin = Origin {
        span: Some(Span::new(id, at, at)),
        exact_lines: true,
        search_paths: Vec::new(),
    };
    let err = Templar::new()
        .render_str("first line\nsecond {{ foo }}\n", &Vars::new(), &origin)
        .unwrap_err();
    let span = err.span().expect("span");
    assert_eq!((span.start.line, span.start.column), (4, 7 + 10));
}

#[test]
fn undefined_lone_expression_points_at_the_expression() {
    let err = Templar::new()
        .render_str("{{ foo }}", &Vars::new(), &origin_at(5, 12, true))
        .unwrap_err();
    let span = err.span().expect("span");
    assert_eq!((span.start.line, span.start.column), (5, 12 + 3));
}
