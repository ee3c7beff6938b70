use super::*;
use crate::testing::args;

/// Each case's file, parameters and the module's own edit of it (`do_ini` of community.general
/// 11.4.2, recorded by `tests/fixtures/gen_ini_file_oracle.py`).
const ORACLE: &str = include_str!("../../tests/fixtures/ini_file_oracle.json");

fn ini_of(kw: &Value) -> Ini {
    let s = |k: &str| kw.get(k).and_then(Value::as_str).map(str::to_owned);
    let b = |k: &str, d: bool| kw.get(k).and_then(Value::as_bool).unwrap_or(d);
    let list = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ini {
        section: s("section"),
        section_has_values: kw
            .get("section_has_values")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| Condition {
                        option: c["option"].as_str().unwrap().to_owned(),
                        values: list(c.get("values")),
                    })
                    .collect()
            }),
        option: s("option"),
        values: list(kw.get("values")),
        present: s("state").as_deref() != Some("absent"),
        exclusive: b("exclusive", true),
        no_extra_spaces: b("no_extra_spaces", false),
        ignore_spaces: b("ignore_spaces", false),
        allow_no_value: b("allow_no_value", false),
        modify_inactive_option: b("modify_inactive_option", true),
    }
}

#[test]
fn edits_are_the_modules() {
    let cases: Vec<Value> = serde_json::from_str(ORACLE).unwrap();
    assert!(cases.len() > 30);
    for case in cases {
        let text = decode(case["text"].as_str().unwrap().as_bytes()).unwrap();
        let lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
        let got = edit_lines(lines, &ini_of(&case["args"]));
        if let Some(e) = case.get("error") {
            assert!(got.is_err(), "{case}: expected the module to raise {e}");
            continue;
        }
        assert_eq!(text, case["before"].as_str().unwrap(), "{case}");
        let (lines, changed, msg) = got.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            (lines.concat().as_str(), changed, msg),
            (
                case["after"].as_str().unwrap(),
                case["changed"].as_bool().unwrap(),
                case["msg"].as_str().unwrap()
            ),
            "{case}"
        );
    }
}

// Messages from ansible-playbook 2.19 runs with these arguments.
#[test]
fn arguments_are_refused_as_ansible_refuses_them() {
    let refused = |v: Value| match read_args(&args(v)) {
        Ok(Err(msg)) => msg,
        Ok(Ok(_)) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        refused(json!({"path": "a", "option": "o", "value": "v", "state": "maybe"})),
        "value of state must be one of: absent, present, got: maybe"
    );
    assert_eq!(
        refused(json!({"value": "v", "values": ["a"], "state": "maybe"})),
        "parameters are mutually exclusive: value|values"
    );
    assert_eq!(
        refused(json!({"path": "a", "option": "o"})),
        "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."
    );
    assert_eq!(
        refused(json!({"section": "s", "value": "v"})),
        "missing required arguments: path"
    );
    assert_eq!(
        refused(json!({"path": "a", "value": "v", "section_has_values": [{"value": "x"}]})),
        "missing required arguments: option found in section_has_values"
    );
    assert_eq!(
        refused(
            json!({"path": "a", "value": "v", "section_has_values": [{"option": "x", "value": "x", "values": ["y"]}]})
        ),
        "parameters are mutually exclusive: value|values found in section_has_values"
    );
    assert_eq!(
        refused(json!({"path": "a", "value": 1, "section_has_values": [{"option": "x", "bogus": 1}]})),
        "Unsupported parameters for (community.general.ini_file) module: section_has_values.bogus. Supported parameters include: option, value, values."
    );
    assert_eq!(
        refused(json!({"path": "a", "value": "v", "section_has_values": "x"})),
        "dictionary requested, could not parse JSON or key=value"
    );
    let ok = read_args(&args(json!({"dest": "a", "value": 1, "section": "s"})))
        .unwrap()
        .ok()
        .unwrap();
    assert_eq!(
        (ok.path.as_str(), ok.ini.values),
        ("a", vec!["1".to_owned()])
    );
}

#[test]
fn decoding_is_pythons() {
    assert_eq!(decode(b"\xef\xbb\xbfa\r\nb\rc").unwrap(), "a\nb\nc");
    assert_eq!(
        decode(b"ab\xffc").unwrap_err(),
        "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"
    );
    assert_eq!(
        decode(b"a\xc3(").unwrap_err(),
        "'utf-8' codec can't decode byte 0xc3 in position 1: invalid continuation byte"
    );
}
