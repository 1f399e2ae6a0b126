//! Four ways to read one log line into the route it hit and what the
//! request cost. They differ in what they allocate per line, which is the
//! point: a `serde_json::Value` tree (a map plus a `String` per key and
//! string value), a struct of owned `String`s (one per string field), a
//! struct of `&str` borrowed from the line (none), and a hand-rolled
//! splitter that looks only at the fields it needs (none).

use serde::Deserialize;
use serde_json::Value;

/// What one request adds to its route's statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub ts: u64,
    pub status: u16,
    pub latency_us: u64,
    pub warning: bool,
    pub msg_bytes: u64,
}

impl Request {
    fn new(ts: u64, level: &str, status: u16, latency_us: u64, msg: &str) -> Request {
        Request {
            ts,
            status,
            latency_us,
            warning: level == "WARN",
            msg_bytes: msg.len() as u64,
        }
    }
}

/// A way to parse a line; `Key` is the route as this strategy holds it.
pub trait Strategy {
    type Key<'a>: AsRef<str> + Eq + std::hash::Hash + Send;
    fn parse(line: &str) -> Result<(Self::Key<'_>, Request), String>;
}

/// `serde_json::Value`: no types declared, everything allocated.
pub struct Dynamic;

/// serde into a struct of owned `String`s.
pub struct Owned;

/// serde into a struct of `&str` borrowed from the line. (Borrowing fails
/// on a string with escapes; `Cow<str>` would take both. This log has none.)
pub struct Borrowed;

/// A hand-rolled splitter for the flat, escape-free objects this log holds.
pub struct Split;

impl Strategy for Dynamic {
    type Key<'a> = String;
    fn parse(line: &str) -> Result<(String, Request), String> {
        let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let Value::Object(mut map) = value else {
            return Err("not a JSON object".into());
        };
        let mut take = |key: &str| map.remove(key).ok_or(format!("no field `{key}`"));
        let number = |v: Value, key: &str| v.as_u64().ok_or(format!("`{key}` is not a number"));
        let text = |v: Value, key: &str| match v {
            Value::String(s) => Ok(s),
            _ => Err(format!("`{key}` is not a string")),
        };
        let route = text(take("route")?, "route")?;
        let level = text(take("level")?, "level")?;
        let msg = text(take("msg")?, "msg")?;
        let request = Request::new(
            number(take("ts")?, "ts")?,
            &level,
            to_status(number(take("status")?, "status")?)?,
            number(take("latency_us")?, "latency_us")?,
            &msg,
        );
        Ok((route, request))
    }
}

#[derive(Deserialize)]
struct OwnedRecord {
    ts: u64,
    level: String,
    route: String,
    status: u16,
    latency_us: u64,
    msg: String,
}

impl Strategy for Owned {
    type Key<'a> = String;
    fn parse(line: &str) -> Result<(String, Request), String> {
        let r: OwnedRecord = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let request = Request::new(r.ts, &r.level, r.status, r.latency_us, &r.msg);
        Ok((r.route, request))
    }
}

#[derive(Deserialize)]
struct BorrowedRecord<'a> {
    ts: u64,
    level: &'a str,
    route: &'a str,
    status: u16,
    latency_us: u64,
    msg: &'a str,
}

impl Strategy for Borrowed {
    type Key<'a> = &'a str;
    fn parse(line: &str) -> Result<(&str, Request), String> {
        let r: BorrowedRecord = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let request = Request::new(r.ts, r.level, r.status, r.latency_us, r.msg);
        Ok((r.route, request))
    }
}

impl Strategy for Split {
    type Key<'a> = &'a str;
    fn parse(line: &str) -> Result<(&str, Request), String> {
        let body = line
            .strip_prefix('{')
            .and_then(|l| l.strip_suffix('}'))
            .ok_or("not a one-line JSON object")?;
        let (mut ts, mut level, mut route, mut status, mut latency, mut msg) =
            (None, None, None, None, None, None);
        let mut rest = body;
        while !rest.is_empty() {
            let (key, value, after) = field(rest)?;
            match key {
                "ts" => ts = Some(value),
                "level" => level = Some(value),
                "route" => route = Some(value),
                "status" => status = Some(value),
                "latency_us" => latency = Some(value),
                "msg" => msg = Some(value),
                _ => {}
            }
            rest = after;
        }
        let number = |v: Option<&str>, key: &str| {
            need(v, key)?
                .parse::<u64>()
                .map_err(|_| format!("`{key}` is not a number"))
        };
        let request = Request::new(
            number(ts, "ts")?,
            need(level, "level")?,
            to_status(number(status, "status")?)?,
            number(latency, "latency_us")?,
            need(msg, "msg")?,
        );
        Ok((need(route, "route")?, request))
    }
}

/// The first `"key":value` of `text`, the value without its quotes, and
/// what follows the comma after it.
fn field(text: &str) -> Result<(&str, &str, &str), String> {
    let cut = || format!("cut short at `{text}`");
    let text = text.strip_prefix('"').ok_or_else(cut)?;
    let (key, text) = text.split_once("\":").ok_or_else(cut)?;
    let (value, rest) = match text.strip_prefix('"') {
        Some(quoted) => {
            let (value, after) = quoted.split_once('"').ok_or_else(cut)?;
            (value, after)
        }
        None => text.split_at(text.find(',').unwrap_or(text.len())),
    };
    Ok((key, value, rest.strip_prefix(',').unwrap_or(rest)))
}

fn need<'a>(value: Option<&'a str>, key: &str) -> Result<&'a str, String> {
    value.ok_or_else(|| format!("no field `{key}`"))
}

fn to_status(n: u64) -> Result<u16, String> {
    u16::try_from(n).map_err(|_| format!("status {n} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"ts":17,"level":"WARN","route":"/api/users/3","status":404,"latency_us":250,"msg":"no such resource"}"#;

    fn expected() -> Request {
        Request {
            ts: 17,
            status: 404,
            latency_us: 250,
            warning: true,
            msg_bytes: 16,
        }
    }

    #[test]
    fn every_strategy_reads_the_same_request() {
        let (route, r) = Dynamic::parse(LINE).unwrap();
        assert_eq!((route.as_str(), r), ("/api/users/3", expected()));
        let (route, r) = Owned::parse(LINE).unwrap();
        assert_eq!((route.as_str(), r), ("/api/users/3", expected()));
        assert_eq!(Borrowed::parse(LINE).unwrap(), ("/api/users/3", expected()));
        assert_eq!(Split::parse(LINE).unwrap(), ("/api/users/3", expected()));
    }

    #[test]
    fn every_strategy_rejects_a_cut_line() {
        let cut = &LINE[..LINE.len() / 2];
        assert!(Dynamic::parse(cut).unwrap_err().contains("EOF"));
        assert!(Owned::parse(cut).unwrap_err().contains("EOF"));
        assert!(Borrowed::parse(cut).unwrap_err().contains("EOF"));
        assert_eq!(Split::parse(cut).unwrap_err(), "not a one-line JSON object");
    }

    #[test]
    fn the_splitter_names_a_missing_field() {
        let line = r#"{"ts":1,"level":"INFO","route":"/a","latency_us":2,"msg":"m"}"#;
        assert_eq!(Split::parse(line).unwrap_err(), "no field `status`");
        assert_eq!(
            Split::parse(r#"{"ts":x,"level":"INFO"}"#).unwrap_err(),
            "`ts` is not a number"
        );
    }
}
