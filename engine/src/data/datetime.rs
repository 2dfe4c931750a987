//! Recognising date and date-time columns: ISO 8601 and the common day/month orders.

use chrono::{NaiveDate, NaiveDateTime};

/// The formats tried, in order. Month-first precedes day-first, as pandas does, when a
/// column fits both; a value with a day above 12 settles it.
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%m-%d-%Y", "%d-%m-%Y", "%d.%m.%Y",
];
const TIME_SUFFIXES: &[&str] = &[
    "",
    " %H:%M:%S",
    " %H:%M",
    "T%H:%M:%S",
    "T%H:%M",
    " %H:%M:%S%.f",
    "T%H:%M:%S%.f",
];

/// A recognised date format (strftime syntax, as Python's `datetime.strptime` reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat(pub String);

impl DateFormat {
    /// Parse one value to seconds since 1970-01-01T00:00:00 (no time zone).
    pub fn parse(&self, s: &str) -> Option<f64> {
        let s = s.trim();
        let s = s.strip_suffix('Z').unwrap_or(s);
        let dt = if self.0.contains("%H") {
            NaiveDateTime::parse_from_str(s, &self.0).ok()?
        } else {
            NaiveDate::parse_from_str(s, &self.0)
                .ok()?
                .and_hms_opt(0, 0, 0)?
        };
        Some(dt.and_utc().timestamp() as f64)
    }
}

/// The first format under which every value parses, if any. `values` are non-missing cells.
pub fn detect<'a>(values: impl Iterator<Item = &'a str> + Clone) -> Option<DateFormat> {
    let first = values.clone().next()?;
    // Cheap rejections before trying formats: dates have digits and separators only.
    if !first.trim().bytes().next()?.is_ascii_digit() || first.trim().len() < 8 {
        return None;
    }
    for date in DATE_FORMATS {
        for time in TIME_SUFFIXES {
            let fmt = DateFormat(format!("{date}{time}"));
            if fmt.parse(first).is_some() && values.clone().all(|v| fmt.parse(v).is_some()) {
                return Some(fmt);
            }
        }
    }
    None
}

/// Seconds since the epoch back to an ISO 8601 string.
pub fn to_iso(secs: f64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|d| {
            let n = d.naive_utc();
            if n.time() == chrono::NaiveTime::MIN {
                n.format("%Y-%m-%d").to_string()
            } else {
                n.format("%Y-%m-%dT%H:%M:%S").to_string()
            }
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_day_first() {
        let v = ["2021-03-04", "2022-12-31"];
        assert_eq!(detect(v.iter().copied()).unwrap().0, "%Y-%m-%d");
        let v = ["04/03/2021", "31/12/2022"];
        assert_eq!(detect(v.iter().copied()).unwrap().0, "%d/%m/%Y");
        let v = ["04/03/2021", "12/31/2022"];
        assert_eq!(detect(v.iter().copied()).unwrap().0, "%m/%d/%Y");
        let v = ["2021-03-04 10:11:12", "2021-03-05T10:11:12"];
        assert!(detect(v.iter().copied()).is_none());
        let v = ["2021-03-04T10:11:12Z"];
        assert_eq!(detect(v.iter().copied()).unwrap().0, "%Y-%m-%dT%H:%M:%S");
        assert!(detect(["12345678901"].iter().copied()).is_none());
        assert!(detect(["hello world"].iter().copied()).is_none());
    }
}
