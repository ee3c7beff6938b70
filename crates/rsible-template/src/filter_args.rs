//! Binding a filter's arguments as Python binds a call: by position, then by name.
//!
//! Ansible's filters are Python functions, so `int(base=16)` and `ternary(true_val='y')` are
//! as valid as the positional forms. minijinja passes named arguments separately as
//! [`Kwargs`]; [`bind`] puts each in the slot of its parameter.

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind};

/// The value of each parameter in `names`, `None` where the call left it out.
pub(crate) fn bind(
    names: &[&str],
    args: &[Value],
    kwargs: &Kwargs,
) -> Result<Vec<Option<Value>>, Error> {
    if args.len() > names.len() {
        return Err(Error::from(ErrorKind::TooManyArguments));
    }
    let mut out: Vec<Option<Value>> = args.iter().cloned().map(Some).collect();
    out.resize(names.len(), None);
    for (slot, name) in out.iter_mut().zip(names) {
        if let Some(v) = kwargs.get::<Option<Value>>(name)? {
            if slot.is_some() {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("got multiple values for argument '{name}'"),
                ));
            }
            *slot = Some(v);
        }
    }
    kwargs.assert_all_used()?;
    Ok(out)
}

/// A bound argument as `T`, or `None` when the call left it out.
pub(crate) fn opt<T>(slot: Option<&Value>) -> Result<Option<T>, Error>
where
    T: TryFrom<Value, Error = Error>,
{
    slot.cloned().map(T::try_from).transpose()
}

/// A bound string argument, or `None` when the call left it out.
pub(crate) fn opt_str(slot: Option<&Value>) -> Result<Option<String>, Error> {
    match slot {
        None => Ok(None),
        Some(v) => match v.as_str() {
            Some(s) => Ok(Some(s.to_owned())),
            None if v.is_none() => Ok(None),
            None => Ok(Some(v.to_string())),
        },
    }
}
