//! Host patterns in inventories: `web[01:20]`, `db-[a:c]`, `node[1:10:2]`, and `host:port`.

/// Why a host range cannot be expanded (messages as `expand_hostname_range` words them).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RangeError(pub(crate) String);

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Splits a trailing `:port` off a host pattern (`db1:2222`, `web[1:3]:22`, `[::1]:22`).
pub(crate) fn split_port(pattern: &str) -> (String, Option<u16>) {
    // `[v6]:port`
    if let Some(rest) = pattern.strip_prefix('[') {
        if let Some((addr, tail)) = rest.split_once(']') {
            if addr.contains(':') {
                if let Some(port) = tail.strip_prefix(':').and_then(|p| p.parse().ok()) {
                    return (addr.to_owned(), Some(port));
                }
                if tail.is_empty() {
                    return (addr.to_owned(), None);
                }
            }
        }
    }
    // Colons outside `[...]`: exactly one, followed by digits, is a port.
    let mut depth = 0i32;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    if let [at] = colons[..] {
        let port = &pattern[at + 1..];
        if let Ok(p) = port.parse::<u16>() {
            if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) {
                return (pattern[..at].to_owned(), Some(p));
            }
        }
    }
    (pattern.to_owned(), None)
}

/// Expands every `[begin:end(:step)]` in a host name, left to right.
pub(crate) fn expand_hosts(pattern: &str) -> Result<Vec<String>, RangeError> {
    if !pattern.contains('[') {
        return Ok(vec![pattern.to_owned()]);
    }
    let open = pattern.find('[').unwrap_or_default();
    let close = pattern[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| RangeError("host range must be begin:end or begin:end:step".into()))?;
    let head = &pattern[..open];
    let range = &pattern[open + 1..close];
    let tail = &pattern[close + 1..];
    let bounds: Vec<&str> = range.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(RangeError(
            "host range must be begin:end or begin:end:step".into(),
        ));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step_text = bounds.get(2).copied().unwrap_or("1");
    if end.is_empty() {
        return Err(RangeError("host range must specify end value".into()));
    }
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err(RangeError(
                "host range must specify equal-length begin and end formats".into(),
            ));
        }
        beg.len()
    } else {
        0
    };
    let step: i64 = step_text.trim().parse().map_err(|_| {
        RangeError(format!(
            "invalid literal for int() with base 10: '{step_text}'"
        ))
    })?;
    if step <= 0 {
        return Err(RangeError("host range step must be positive".into()));
    }
    let step_usize = usize::try_from(step).unwrap_or(1);
    let items: Vec<String> = match (LETTERS.find(beg), LETTERS.find(end)) {
        (Some(b), Some(e)) if beg.len() == 1 && end.len() == 1 => {
            if b > e {
                return Err(RangeError("host range must have begin <= end".into()));
            }
            LETTERS[b..=e]
                .chars()
                .step_by(step_usize)
                .map(String::from)
                .collect()
        }
        _ => {
            let parse = |s: &str| {
                s.trim().parse::<i64>().map_err(|_| {
                    RangeError(format!("invalid literal for int() with base 10: '{s}'"))
                })
            };
            let (b, e) = (parse(beg)?, parse(end)?);
            let count = if e < b { 0 } else { (e - b) / step + 1 };
            if count > 1_000_000 {
                return Err(RangeError("host range is too large".into()));
            }
            (0..count)
                .map(|i| format!("{:0width$}", b + i * step))
                .collect()
        }
    };
    let mut hosts = Vec::new();
    for item in items {
        hosts.extend(expand_hosts(&format!("{head}{item}{tail}"))?);
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from `ansible.plugins.inventory.expand_hostname_range`.
    #[test]
    fn expands_like_ansible() {
        assert_eq!(
            expand_hosts("web[01:03]").unwrap_or_default(),
            ["web01", "web02", "web03"]
        );
        assert_eq!(
            expand_hosts("db-[a:c]").unwrap_or_default(),
            ["db-a", "db-b", "db-c"]
        );
        assert_eq!(
            expand_hosts("n[1:10:4]x").unwrap_or_default(),
            ["n1x", "n5x", "n9x"]
        );
        assert_eq!(
            expand_hosts("h[:1][a:b]").unwrap_or_default(),
            ["h0a", "h0b", "h1a", "h1b"]
        );
        assert!(expand_hosts("h[01:3]").is_err());
        assert!(expand_hosts("h[1]").is_err());
        assert_eq!(split_port("db1:2222"), ("db1".to_owned(), Some(2222)));
        assert_eq!(split_port("web[1:3]:22"), ("web[1:3]".to_owned(), Some(22)));
        assert_eq!(split_port("web[1:3]"), ("web[1:3]".to_owned(), None));
        assert_eq!(split_port("[::1]:22"), ("::1".to_owned(), Some(22)));
    }
}
