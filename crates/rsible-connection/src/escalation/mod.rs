//! `become`: the one command line that runs a request as another user on either transport, and
//! the reading of its output (success marker, sudo's prompt and complaints).

mod plan;
mod watch;

use std::fmt;
use std::str::FromStr;

pub(crate) use plan::plan;
#[cfg(feature = "ssh")]
pub(crate) use plan::{Escalation, Plan};
#[cfg(feature = "ssh")]
pub(crate) use watch::find;
pub(crate) use watch::{finish, Step};

/// How to run a command as another user (`become`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Become {
    pub method: BecomeMethod,
    /// Target user (`root` by default).
    pub user: String,
    /// `become_flags`; `-H -S -n` for sudo when not set.
    pub flags: Option<String>,
    /// Sent on stdin when sudo asks for it, never in argv or the environment.
    pub password: Option<String>,
}

/// The `become_method`s rsible implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BecomeMethod {
    Sudo,
    Su,
}

impl BecomeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sudo => "sudo",
            Self::Su => "su",
        }
    }
}

impl fmt::Display for BecomeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `become_method` that is not [`BecomeMethod`]; it names the method as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown become method `{0}`")]
pub struct UnknownBecomeMethod(pub String);

impl UnknownBecomeMethod {
    /// The task's error when a request would run as another user over `transport`.
    pub fn over(self, transport: &'static str) -> crate::ConnectionError {
        crate::ConnectionError::UnsupportedBecomeMethod {
            method: self.0,
            transport,
        }
    }
}

impl FromStr for BecomeMethod {
    type Err = UnknownBecomeMethod;

    /// Exactly as written: Ansible's plugin names are lowercase.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sudo" => Ok(Self::Sudo),
            "su" => Ok(Self::Su),
            other => Err(UnknownBecomeMethod(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_exactly() {
        assert_eq!("sudo".parse(), Ok(BecomeMethod::Sudo));
        assert_eq!("su".parse(), Ok(BecomeMethod::Su));
        let err = "doas".parse::<BecomeMethod>().unwrap_err();
        assert_eq!(
            err.over("ssh").to_string(),
            "become method `doas` is not supported over ssh (use sudo or su)"
        );
        assert!("Sudo".parse::<BecomeMethod>().is_err());
    }
}
