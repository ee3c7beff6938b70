//! The variables of one render call, seen by minijinja as lazy objects: a string that holds
//! Jinja is rendered only when a template reads it, as Ansible does.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Environment, Error, ErrorKind, State};

use crate::{TemplateError, Vars};

/// Nesting deeper than this is treated as a loop even if no exact cycle was seen.
const MAX_DEPTH: usize = 64;

/// Name under which the scope can be found from filters and functions.
pub(crate) const SCOPE_KEY: &str = "__rsible_scope";

/// The last lookup that found nothing, so an undefined error can name it as Jinja would.
#[derive(Clone, Debug)]
pub(crate) enum Miss {
    Var(String),
    Attr { ty: &'static str, key: String },
}

impl Miss {
    pub(crate) fn message(&self) -> String {
        match self {
            Miss::Var(name) => format!("'{name}' is undefined"),
            Miss::Attr { ty, key } => format!("object of type '{ty}' has no attribute {key}"),
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Miss::Var(name) => name.clone(),
            Miss::Attr { key, .. } => key.trim_matches('\'').to_owned(),
        }
    }
}

#[derive(Default)]
struct ScopeState {
    in_progress: Vec<usize>,
    cache: HashMap<usize, Value>,
    last_miss: Option<Miss>,
    /// The first error met while rendering a variable; it is more precise than the generic
    /// error minijinja reports for the invalid value that carried it.
    pending: Option<TemplateError>,
}

pub(crate) struct Scope {
    pub(crate) env: Arc<Environment<'static>>,
    pub(crate) vars: Arc<Vars>,
    pub(crate) search_paths: Vec<PathBuf>,
    /// Where `{% include %}` looks (empty: nowhere), for the message when it finds nothing.
    pub(crate) loader_dirs: Vec<PathBuf>,
    /// The parts of the variables that are data (see [`crate::UNTRUSTED_VARS`]).
    untrusted: Vec<Vec<Seg>>,
    state: Mutex<ScopeState>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<vars>")
    }
}

/// One step into a variable: a dict key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Idx(usize),
}

/// The entries of [`crate::UNTRUSTED_VARS`] in `vars`: a name is a whole variable, a list of
/// keys and indexes is a part of one.
pub(crate) fn untrusted_paths(vars: &Vars) -> Vec<Vec<Seg>> {
    let Some(serde_json::Value::Array(entries)) = vars.get(crate::UNTRUSTED_VARS) else {
        return Vec::new();
    };
    let seg = |v: &serde_json::Value| match v {
        serde_json::Value::String(k) => Some(Seg::Key(k.clone())),
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .map(Seg::Idx),
        _ => None,
    };
    entries
        .iter()
        .filter_map(|e| match e {
            serde_json::Value::Array(parts) => parts.iter().map(seg).collect(),
            other => seg(other).map(|s| vec![s]),
        })
        .filter(|p: &Vec<Seg>| !p.is_empty())
        .collect()
}

/// True when `path` is inside one of the `untrusted` parts.
pub(crate) fn is_data(untrusted: &[Vec<Seg>], path: &[Seg]) -> bool {
    untrusted.iter().any(|u| path.starts_with(u))
}

impl Scope {
    pub(crate) fn new(
        env: Arc<Environment<'static>>,
        vars: Arc<Vars>,
        search_paths: Vec<PathBuf>,
    ) -> Arc<Self> {
        Self::with_loader_dirs(env, vars, search_paths, Vec::new())
    }

    /// [`Self::new`] for an environment whose loader searches `loader_dirs`.
    pub(crate) fn with_loader_dirs(
        env: Arc<Environment<'static>>,
        vars: Arc<Vars>,
        search_paths: Vec<PathBuf>,
        loader_dirs: Vec<PathBuf>,
    ) -> Arc<Self> {
        Arc::new(Self {
            env,
            untrusted: untrusted_paths(&vars),
            vars,
            search_paths,
            loader_dirs,
            state: Mutex::new(ScopeState::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ScopeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The scope of the render that `state` belongs to.
    pub(crate) fn from_state(state: &State) -> Option<Arc<Scope>> {
        state.lookup(SCOPE_KEY)?.downcast_object::<Scope>()
    }

    pub(crate) fn record_miss(&self, miss: Miss) {
        self.lock().last_miss = Some(miss);
    }

    pub(crate) fn last_miss(&self) -> Option<Miss> {
        self.lock().last_miss.clone()
    }

    pub(crate) fn take_pending(&self) -> Option<TemplateError> {
        self.lock().pending.take()
    }

    pub(crate) fn set_pending(&self, err: TemplateError) {
        let mut st = self.lock();
        if st.pending.is_none() {
            st.pending = Some(err);
        }
    }

    fn is_untrusted(&self, path: &[Seg]) -> bool {
        matches!(path.first(), Some(Seg::Key(k)) if k == crate::UNTRUSTED_VARS)
            || is_data(&self.untrusted, path)
    }

    /// The minijinja view of the root context.
    pub(crate) fn context(self: &Arc<Self>) -> Value {
        Value::from_dyn_object(self.clone())
    }

    fn node(&self, path: &[Seg]) -> Option<&serde_json::Value> {
        let (first, rest) = path.split_first()?;
        let Seg::Key(k) = first else { return None };
        let mut cur = self.vars.get(k)?;
        for seg in rest {
            cur = match (seg, cur) {
                (Seg::Key(k), serde_json::Value::Object(m)) => m.get(k)?,
                (Seg::Idx(i), serde_json::Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn wrap(self: &Arc<Self>, v: &serde_json::Value, path: Vec<Seg>, trusted: bool) -> Value {
        match v {
            serde_json::Value::String(s) if crate::vault_mark::is_marked(s) => {
                self.undecryptable(s)
            }
            serde_json::Value::String(s) if trusted && crate::Templar::is_template(s) => {
                self.resolve_str(s)
            }
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                Value::from_object(LazyNode {
                    scope: self.clone(),
                    path,
                    trusted,
                })
            }
            other => crate::convert::json_to_value(other),
        }
    }

    /// A `!vault` value the loader could not decrypt, now used: Ansible's error.
    fn undecryptable(&self, marked: &str) -> Value {
        let (reason, origin) = crate::vault_mark::parse(marked);
        let err = TemplateError::Caused(Box::new(crate::Caused {
            context: "Error rendering template".to_owned(),
            cause: format!("Attempt to use undecryptable variable: {reason}"),
            origin,
            span: None,
        }));
        let msg = err.to_string();
        self.set_pending(err);
        Value::from(Error::new(ErrorKind::InvalidOperation, msg))
    }

    /// Renders a variable's string on first use; the result is cached for this render call.
    fn resolve_str(self: &Arc<Self>, s: &str) -> Value {
        let key = s.as_ptr() as usize;
        {
            let mut st = self.lock();
            if let Some(v) = st.cache.get(&key) {
                return v.clone();
            }
            if st.in_progress.contains(&key) || st.in_progress.len() >= MAX_DEPTH {
                let msg = "Recursive loop detected in template: maximum recursion depth exceeded while calling a Python object";
                if st.pending.is_none() {
                    st.pending = Some(TemplateError::Render {
                        message: msg.to_owned(),
                        span: None,
                    });
                }
                return Value::from(Error::new(ErrorKind::InvalidOperation, msg));
            }
            st.in_progress.push(key);
        }
        let rendered = crate::render::render_native(self, s, None);
        let mut st = self.lock();
        st.in_progress.retain(|k| *k != key);
        match rendered {
            Ok(v) => {
                st.cache.insert(key, v.clone());
                v
            }
            Err(e) => {
                let msg = e.to_string();
                if st.pending.is_none() {
                    st.pending = Some(e);
                }
                Value::from(Error::new(ErrorKind::InvalidOperation, msg))
            }
        }
    }
}

impl Object for Scope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if name == SCOPE_KEY {
            return Some(Value::from_dyn_object(self.clone()));
        }
        match self.vars.get(name) {
            Some(v) => {
                let path = vec![Seg::Key(name.to_owned())];
                let trusted = !self.is_untrusted(&path);
                Some(self.wrap(v, path, trusted))
            }
            // Ansible's `vars`: every variable, templated on access like the rest.
            None if name == "vars" => Some(Value::from_dyn_object(self.clone())),
            // A function such as `lookup` is found by minijinja after the context said no;
            // recording it would hide the variable that is really missing.
            None if self.env.globals().any(|(global, _)| global == name) => None,
            None => {
                self.record_miss(Miss::Var(name.to_owned()));
                None
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.vars
                .keys()
                .filter(|k| k.as_str() != crate::UNTRUSTED_VARS)
                .map(|k| Value::from(k.as_str()))
                .collect(),
        )
    }
}

/// A dict or list inside the variables, read without copying it.
#[derive(Debug)]
struct LazyNode {
    scope: Arc<Scope>,
    path: Vec<Seg>,
    /// False for data (registered results, facts): its strings are never templated.
    trusted: bool,
}

impl LazyNode {
    fn child(&self, seg: Seg) -> Vec<Seg> {
        let mut p = self.path.clone();
        p.push(seg);
        p
    }
}

impl Object for LazyNode {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.scope.node(&self.path) {
            Some(serde_json::Value::Array(_)) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.scope.node(&self.path)? {
            serde_json::Value::Object(m) => {
                let k = key.as_str()?;
                match m.get(k) {
                    Some(v) => {
                        let path = self.child(Seg::Key(k.to_owned()));
                        let trusted = self.trusted && !self.scope.is_untrusted(&path);
                        Some(self.scope.wrap(v, path, trusted))
                    }
                    None => {
                        self.scope.record_miss(Miss::Attr {
                            ty: "dict",
                            key: format!("'{k}'"),
                        });
                        None
                    }
                }
            }
            serde_json::Value::Array(a) => {
                let idx = key.as_i64()?;
                let real = if idx < 0 {
                    i64::try_from(a.len()).ok()? + idx
                } else {
                    idx
                };
                match usize::try_from(real)
                    .ok()
                    .and_then(|i| a.get(i).map(|v| (i, v)))
                {
                    Some((i, v)) => {
                        let path = self.child(Seg::Idx(i));
                        let trusted = self.trusted && !self.scope.is_untrusted(&path);
                        Some(self.scope.wrap(v, path, trusted))
                    }
                    None => {
                        self.scope.record_miss(Miss::Attr {
                            ty: "list",
                            key: idx.to_string(),
                        });
                        None
                    }
                }
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.scope.node(&self.path) {
            Some(serde_json::Value::Object(m)) => {
                Enumerator::Values(m.keys().map(|k| Value::from(k.as_str())).collect())
            }
            Some(serde_json::Value::Array(a)) => Enumerator::Seq(a.len()),
            _ => Enumerator::Empty,
        }
    }
}
