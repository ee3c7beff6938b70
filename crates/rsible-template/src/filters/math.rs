//! `mathstuff.py`'s filters that are not set operations: `log pow root human_readable
//! human_to_bytes combinations permutations zip_longest rekey_on_member`.

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::Error;
use serde_json::{Map, Value as Json};

use crate::convert::{json_to_value, py_repr, py_str, value_to_json};
use crate::filter_args::{bind, opt_str};
use crate::filters::{fail, list_of};

/// A number as Python's `math` functions take it (`bool` is an `int`).
fn number(v: &Json) -> Option<f64> {
    match v {
        Json::Bool(b) => Some(f64::from(u8::from(*b))),
        Json::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn arg_number(v: Option<&Value>) -> Result<Option<Json>, Error> {
    v.map(value_to_json).transpose()
}

/// `math`'s TypeError for a value that is not a number, after the filter's own words.
fn not_number(plugin: &str, v: &Json) -> Error {
    fail(
        plugin,
        format!(
            "{plugin}() can only be used on numbers: must be real number, not {}",
            crate::convert::py_type(v)
        ),
    )
}

fn real(plugin: &str, v: &Json) -> Result<f64, Error> {
    number(v).ok_or_else(|| not_number(plugin, v))
}

/// `log(x, base=e)`: `math.log10` for base 10, else `math.log(x, base)`.
pub(crate) fn log(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["base"], &args, &kwargs)?;
    let x = real("log", &value_to_json(&v)?)?;
    let base = match arg_number(a[0].as_ref())? {
        None => None,
        Some(b) => Some(real("log", &b)?),
    };
    let domain = |f: f64| f <= 0.0;
    if domain(x) || base.is_some_and(domain) {
        return Err(fail("log", "math domain error"));
    }
    let r = match base {
        Some(10.0) => x.log10(),
        Some(1.0) => return Err(fail("log", "float division by zero")),
        Some(b) => x.ln() / b.ln(),
        None => x.ln(),
    };
    Ok(Value::from(r))
}

/// `pow(x, y)`: `math.pow`, always a float.
pub(crate) fn pow(v: Value, y: Value) -> Result<Value, Error> {
    let x = real("pow", &value_to_json(&v)?)?;
    let y = real("pow", &value_to_json(&y)?)?;
    let r = x.powf(y);
    if x < 0.0 && y.fract() != 0.0 || (x == 0.0 && y < 0.0) {
        return Err(fail("pow", "math domain error"));
    }
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(fail("pow", "math range error"));
    }
    Ok(Value::from(r))
}

/// `root(x, base=2)`: `math.sqrt` or `x ** (1 / base)`.
pub(crate) fn root(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["base"], &args, &kwargs)?;
    let bad = || {
        fail(
            "root",
            "root() can only be used on numbers: math domain error",
        )
    };
    let x = real("root", &value_to_json(&v)?)?;
    let base = match arg_number(a[0].as_ref())? {
        None => 2.0,
        Some(Json::String(s)) => s.trim().parse::<f64>().map_err(|_| {
            fail(
                "root",
                format!(
                    "root() can only be used on numbers: could not convert string to float: {}",
                    crate::convert::py_str_repr(&s)
                ),
            )
        })?,
        Some(b) => real("root", &b)?,
    };
    if base == 2.0 {
        if x < 0.0 {
            return Err(bad());
        }
        return Ok(Value::from(x.sqrt()));
    }
    if base == 0.0 {
        return Err(fail("root", "float division by zero"));
    }
    if x < 0.0 {
        return Err(bad());
    }
    Ok(Value::from(x.powf(1.0 / base)))
}

const SIZE_RANGES: &[(char, u32)] = &[
    ('Y', 80),
    ('Z', 70),
    ('E', 60),
    ('P', 50),
    ('T', 40),
    ('G', 30),
    ('M', 20),
    ('K', 10),
    ('B', 0),
];

const VALID_UNITS: &[(char, [(&str, &str); 2])] = &[
    ('B', [("byte", "B"), ("bit", "b")]),
    ('K', [("kilobyte", "KB"), ("kilobit", "Kb")]),
    ('M', [("megabyte", "MB"), ("megabit", "Mb")]),
    ('G', [("gigabyte", "GB"), ("gigabit", "Gb")]),
    ('T', [("terabyte", "TB"), ("terabit", "Tb")]),
    ('P', [("petabyte", "PB"), ("petabit", "Pb")]),
    ('E', [("exabyte", "EB"), ("exabit", "Eb")]),
    ('Z', [("zetabyte", "ZB"), ("zetabit", "Zb")]),
    ('Y', [("yottabyte", "YB"), ("yottabit", "Yb")]),
];

/// `human_readable(size, isbits=False, unit=None)`: `bytes_to_human`.
pub(crate) fn human_readable(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["isbits", "unit"], &args, &kwargs)?;
    let isbits = a[0].as_ref().is_some_and(Value::is_true);
    let unit = opt_str(a[1].as_ref())?;
    let size = match value_to_json(&v)? {
        Json::Bool(b) => f64::from(u8::from(b)),
        Json::Number(n) => n.as_f64().unwrap_or(0.0),
        other => {
            let t = crate::convert::py_type(&other);
            let why = if unit.is_some() {
                format!("unsupported operand type(s) for /: '{t}' and 'int'")
            } else {
                format!("'>=' not supported between instances of '{t}' and 'int'")
            };
            return Err(fail(
                "human_readable",
                format!("human_readable() failed on bad input: {why}"),
            ));
        }
    };
    let base = if isbits { "bits" } else { "Bytes" };
    let mut chosen = SIZE_RANGES[SIZE_RANGES.len() - 1];
    for &(suffix, shift) in SIZE_RANGES {
        let limit = 2f64.powi(shift as i32);
        let wanted = match &unit {
            None => size >= limit,
            Some(u) => u.to_uppercase().starts_with(suffix),
        };
        chosen = (suffix, shift);
        if wanted {
            break;
        }
    }
    let (suffix, shift) = chosen;
    let suffix = if shift != 0 {
        format!("{suffix}{}", &base[..1])
    } else {
        base.to_owned()
    };
    Ok(Value::from(format!(
        "{:.2} {suffix}",
        size / 2f64.powi(shift as i32)
    )))
}

/// Python's `round()` of a float to an int: halves to even.
fn py_round(f: f64) -> i128 {
    let r = f.round();
    let r = if (f - f.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - f.signum()
    } else {
        r
    };
    r as i128
}

/// `human_to_bytes(size, default_unit=None, isbits=False)`.
pub(crate) fn human_to_bytes(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["default_unit", "isbits"], &args, &kwargs)?;
    let default_unit = opt_str(a[0].as_ref())?;
    let isbits = a[1].as_ref().is_some_and(Value::is_true);
    let text = py_str(&value_to_json(&v)?);
    let bad = |why: String| {
        fail(
            "human_to_bytes",
            format!("human_to_bytes() can't interpret the input: {why}"),
        )
    };
    let junk = || {
        bad(format!(
            "human_to_bytes() can't interpret following string: {text}"
        ))
    };
    let re = regex::Regex::new(r"^([0-9]*\.?[0-9]+)(?:\s*([A-Za-z]+))?\s*$").map_err(|_| junk())?;
    let caps = re.captures(&text).ok_or_else(junk)?;
    let num: f64 = caps[1].parse().map_err(|_| junk())?;
    let Some(unit) = caps.get(2).map(|m| m.as_str().to_owned()).or(default_unit) else {
        return Ok(Value::from(py_round(num)));
    };
    let range_key = unit
        .chars()
        .next()
        .and_then(|c| c.to_uppercase().next())
        .unwrap_or(' ');
    let Some((_, shift)) = SIZE_RANGES.iter().find(|(k, _)| *k == range_key) else {
        return Err(bad(format!(
            "human_to_bytes() failed to convert {text} (unit = {unit}). The suffix must be one of Y, Z, E, P, T, G, M, K, B"
        )));
    };
    if unit.chars().count() > 1 {
        let (class, class_name) = if isbits { ('b', "bit") } else { ('B', "byte") };
        let expect = if range_key == 'B' {
            format!("expect {class} or {class_name}")
        } else {
            format!("expect {range_key}{class} or {range_key}")
        };
        let group = VALID_UNITS
            .iter()
            .find(|(k, _)| *k == range_key)
            .map(|(_, g)| g[usize::from(isbits)]);
        if !group.is_some_and(|(name, short)| unit.to_lowercase() == name || unit == short) {
            return Err(bad(format!(
                "human_to_bytes() failed to convert {text}. Value is not a valid string ({expect})"
            )));
        }
    }
    Ok(Value::from(py_round(num * 2f64.powi(*shift as i32))))
}

fn combos(items: &[Json], r: usize, start: usize, cur: &mut Vec<Json>, out: &mut Vec<Json>) {
    if cur.len() == r {
        out.push(Json::Array(cur.clone()));
        return;
    }
    for i in start..items.len() {
        cur.push(items[i].clone());
        combos(items, r, i + 1, cur, out);
        cur.pop();
    }
}

fn perms(items: &[Json], r: usize, used: &mut Vec<bool>, cur: &mut Vec<Json>, out: &mut Vec<Json>) {
    if cur.len() == r {
        out.push(Json::Array(cur.clone()));
        return;
    }
    for i in 0..items.len() {
        if !used[i] {
            used[i] = true;
            cur.push(items[i].clone());
            perms(items, r, used, cur, out);
            cur.pop();
            used[i] = false;
        }
    }
}

fn count_arg(plugin: &str, v: &Value) -> Result<usize, Error> {
    match value_to_json(v)? {
        Json::Number(n) if n.is_i64() => usize::try_from(n.as_i64().unwrap_or(-1))
            .map_err(|_| fail(plugin, "r must be non-negative")),
        Json::Bool(b) => Ok(usize::from(b)),
        other => Err(fail(
            plugin,
            format!(
                "'{}' object cannot be interpreted as an integer",
                crate::convert::py_type(&other)
            ),
        )),
    }
}

/// `itertools.combinations(iterable, r)`.
pub(crate) fn combinations(v: Value, r: Value) -> Result<Value, Error> {
    let items = list_of("combinations", &v)?;
    let r = count_arg("combinations", &r)?;
    let mut out = Vec::new();
    combos(&items, r, 0, &mut Vec::new(), &mut out);
    Ok(json_to_value(&Json::Array(out)))
}

/// `itertools.permutations(iterable, r=None)`.
pub(crate) fn permutations(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["r"], &args, &kwargs)?;
    let items = list_of("permutations", &v)?;
    let r = match a[0].as_ref().filter(|r| !r.is_none()) {
        Some(r) => count_arg("permutations", r)?,
        None => items.len(),
    };
    let mut out = Vec::new();
    if r <= items.len() {
        perms(
            &items,
            r,
            &mut vec![false; items.len()],
            &mut Vec::new(),
            &mut out,
        );
    }
    Ok(json_to_value(&Json::Array(out)))
}

/// `itertools.zip_longest(*iterables, fillvalue=None)`.
pub(crate) fn zip_longest(v: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill = match kwargs.get::<Option<Value>>("fillvalue")? {
        Some(f) => value_to_json(&f)?,
        None => Json::Null,
    };
    kwargs.assert_all_used()?;
    let mut lists = vec![list_of("zip_longest", &v)?];
    for o in others.iter() {
        lists.push(list_of("zip_longest", o)?);
    }
    let n = lists.iter().map(Vec::len).max().unwrap_or(0);
    let rows = (0..n)
        .map(|i| {
            Json::Array(
                lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                    .collect(),
            )
        })
        .collect();
    Ok(json_to_value(&Json::Array(rows)))
}

/// `rekey_on_member(data, key, duplicates='error')`.
pub(crate) fn rekey_on_member(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["key", "duplicates"], &args, &kwargs)?;
    let Some(key) = a[0].as_ref() else {
        return Err(minijinja::Error::from(
            minijinja::ErrorKind::MissingArgument,
        ));
    };
    let key = value_to_json(key)?;
    let duplicates = opt_str(a[1].as_ref())?.unwrap_or_else(|| "error".to_owned());
    let plugin = "rekey_on_member";
    if duplicates != "error" && duplicates != "overwrite" {
        return Err(fail(
            plugin,
            format!(
                "duplicates parameter to rekey_on_member has unknown value {}",
                crate::convert::py_str_repr(&duplicates)
            ),
        ));
    }
    let items: Vec<Json> = match value_to_json(&v)? {
        Json::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
        Json::Array(a) => a,
        _ => return Err(fail(plugin, "Type is not a valid list, set, or dict")),
    };
    let key_name = py_str(&key);
    let mut out = Map::new();
    for item in items {
        let Json::Object(m) = &item else {
            return Err(fail(plugin, "List item is not a valid dict"));
        };
        let Some(elem) = m.get(&key_name) else {
            return Err(fail(
                plugin,
                format!("Key {} was not found.", py_repr(&key)),
            ));
        };
        let k = py_str(elem);
        if out.get(&k).is_some_and(crate::convert::py_truthy) && duplicates == "error" {
            return Err(fail(
                plugin,
                format!(
                    "Key {} is not unique, cannot convert to dict.",
                    py_repr(elem)
                ),
            ));
        }
        out.insert(k, item.clone());
    }
    Ok(json_to_value(&Json::Object(out)))
}
