//! `random` and `shuffle` (ansible-core's `rand` and `randomize_list`): with a seed, the
//! numbers and orders Python's `random.Random(seed)` gives; without, fresh ones.

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::Error;
use serde_json::Value as Json;

use super::pyrandom::{PyRandom, Seed};
use crate::convert::{json_to_value, py_type, value_to_json};
use crate::filter_args::bind;
use crate::filters::fail;

/// A generator seeded from the process's random hash keys and the clock (Ansible's
/// `SystemRandom`: nothing about these values needs to be reproducible or secret).
fn unseeded() -> PyRandom {
    use std::hash::{BuildHasher, RandomState};
    let r = RandomState::new().hash_one(std::time::SystemTime::now());
    PyRandom::new(Seed::Int(i128::from(r)))
}

/// `Random(seed)`; `None` for a seed Python refuses (lists, dicts).
fn seeded(seed: &Json) -> Option<PyRandom> {
    Some(PyRandom::new(match seed {
        Json::Bool(b) => Seed::Int(i128::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Seed::Int(i128::from(i)),
            None => match n.as_u64() {
                Some(u) => Seed::Int(i128::from(u)),
                // Python hashes a float seed; an integral one hashes to itself.
                None => Seed::Int(n.as_f64().filter(|f| f.fract() == 0.0)? as i128),
            },
        },
        Json::String(s) => Seed::Str(s),
        _ => return None,
    }))
}

fn int_arg(v: Option<&Value>) -> Result<Option<i128>, Error> {
    match v.map(value_to_json).transpose()? {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(i128::from(b))),
        Some(Json::Number(n)) => Ok(n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_f64().map(|f| f as i128))),
        Some(other) => Err(fail(
            "random",
            format!(
                "'{}' object cannot be interpreted as an integer",
                py_type(&other)
            ),
        )),
    }
}

/// `random(end, start=None, step=None, seed=None)`.
pub(crate) fn random(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["start", "step", "seed"], &args, &kwargs)?;
    let seed = a[2].as_ref().map(value_to_json).transpose()?;
    let mut rng = match seed {
        None | Some(Json::Null) => unseeded(),
        Some(s) => seeded(&s).ok_or_else(|| {
            fail(
                "random",
                "The only supported seed types are: None,\nint, float, str, bytes, and bytearray.",
            )
        })?,
    };
    let start = int_arg(a[0].as_ref())?.filter(|s| *s != 0);
    let step = int_arg(a[1].as_ref())?.filter(|s| *s != 0);
    let end = value_to_json(&v)?;
    let items: Vec<Json> = match end {
        Json::Bool(b) => return randrange(&mut rng, start.unwrap_or(0), i128::from(b), step),
        Json::Number(ref n) if n.is_i64() || n.is_u64() => {
            let e = n
                .as_i64()
                .map_or_else(|| n.as_u64().map_or(0, i128::from), i128::from);
            return randrange(&mut rng, start.unwrap_or(0), e, step);
        }
        Json::Array(a) => a,
        Json::String(s) => s.chars().map(|c| Json::String(c.to_string())).collect(),
        Json::Object(m) => m.keys().cloned().map(Json::String).collect(),
        _ => {
            return Err(fail(
                "random",
                "random can only be used on sequences and integers",
            ))
        }
    };
    if start.is_some() || step.is_some() {
        return Err(fail(
            "random",
            "start and step can only be used with integer values",
        ));
    }
    if items.is_empty() {
        return Err(fail("random", "Cannot choose from an empty sequence"));
    }
    let at = rng.below(items.len() as u64) as usize;
    Ok(json_to_value(&items[at]))
}

/// `Random.randrange(start, stop, step)` with its errors.
fn randrange(
    rng: &mut PyRandom,
    start: i128,
    stop: i128,
    step: Option<i128>,
) -> Result<Value, Error> {
    let width = stop - start;
    let step = step.unwrap_or(1);
    if step == 1 {
        if width <= 0 {
            return Err(fail(
                "random",
                format!("empty range for randrange() ({start}, {stop}, {width})"),
            ));
        }
        return Ok(Value::from(start + i128::from(rng.below(width as u64))));
    }
    let n = if step > 0 {
        (width + step - 1).div_euclid(step)
    } else {
        (width + step + 1).div_euclid(step)
    };
    if n <= 0 {
        return Err(fail("random", "empty range for randrange()"));
    }
    Ok(Value::from(start + step * i128::from(rng.below(n as u64))))
}

/// `shuffle(seed=None)`: a falsy seed shuffles at random; what cannot be listed or seeded is
/// returned as it is, as the filter swallows the error.
pub(crate) fn shuffle(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["seed"], &args, &kwargs)?;
    let mut items: Vec<Json> = match value_to_json(&v)? {
        Json::Array(a) => a,
        Json::String(s) => s.chars().map(|c| Json::String(c.to_string())).collect(),
        Json::Object(m) => m.keys().cloned().map(Json::String).collect(),
        _ => return Ok(v),
    };
    let seed = a[0]
        .as_ref()
        .map(value_to_json)
        .transpose()?
        .filter(crate::convert::py_truthy);
    let rng = match seed {
        Some(s) => seeded(&s),
        None => Some(unseeded()),
    };
    if let Some(mut rng) = rng {
        rng.shuffle(&mut items);
    }
    Ok(json_to_value(&Json::Array(items)))
}
