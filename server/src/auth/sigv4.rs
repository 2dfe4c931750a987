//! AWS Signature Version 4, checked the way AWS checks it, so boto3 clients (the
//! `sagemaker` and `sagemaker-runtime` clients) sign in with a Glassbox access key:
//! the canonical request (method, path encoded as botocore does for non-S3 services,
//! sorted query, the listed headers trimmed, the body's SHA-256 computed here), the string
//! to sign, the derived key, and a constant-time comparison; a request more than five
//! minutes off the server's clock is refused, as AWS does. Tested against the published
//! AWS SigV4 test suite's vectors.

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use super::secrets::{hmac_sha256, same};

pub const SCHEME: &str = "AWS4-HMAC-SHA256";
/// How far a request's time may be from the server's.
const MAX_SKEW_SECONDS: i64 = 300;

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    pub key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub fn parse_authorization(header: &str) -> Result<Credential, String> {
    let rest = header
        .strip_prefix(SCHEME)
        .ok_or("not an AWS4-HMAC-SHA256 authorization")?
        .trim();
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or("a malformed Authorization header")?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return Err(format!("an unknown Authorization field {k:?}")),
        }
    }
    let credential = credential.ok_or("the Authorization header has no Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err("the Credential must be KEY/DATE/REGION/SERVICE/aws4_request".into());
    };
    Ok(Credential {
        key_id: key_id.into(),
        date: date.into(),
        region: region.into(),
        service: service.into(),
        signed_headers: signed
            .ok_or("the Authorization header has no SignedHeaders")?
            .split(';')
            .map(str::to_string)
            .collect(),
        signature: signature
            .ok_or("the Authorization header has no Signature")?
            .to_string(),
    })
}

/// AWS's URI encoding: unreserved characters kept, every other byte as %XX (upper case);
/// `/` kept when `keep_slash`.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header's values, trimmed, inner runs of spaces collapsed, joined by commas.
fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// The canonical request for `path` as it came on the wire (botocore encodes it once
/// more for non-S3 services, so `%` becomes `%25`).
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    signed: &[String],
    body: &[u8],
) -> Result<String, String> {
    let mut lines = vec![
        method.to_string(),
        uri_encode(if path.is_empty() { "/" } else { path }, true),
        canonical_query(query),
    ];
    for name in signed {
        let value = header_value(headers, name)
            .ok_or_else(|| format!("the signed header {name:?} is not in the request"))?;
        lines.push(format!("{name}:{value}"));
    }
    lines.push(String::new());
    lines.push(signed.join(";"));
    lines.push(hex::encode(Sha256::digest(body)));
    Ok(lines.join("\n"))
}

/// Checks a signed request with the key's secret at time `now`.
#[allow(clippy::too_many_arguments)] // the request's parts, as they came
pub fn verify(
    c: &Credential,
    secret: &str,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), String> {
    if !c.signed_headers.iter().any(|h| h == "host") {
        return Err("the signature must cover the Host header".into());
    }
    let amz_date =
        header_value(headers, "x-amz-date").ok_or("a signed request needs an X-Amz-Date header")?;
    let when = NaiveDateTime::parse_from_str(&amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| format!("X-Amz-Date {amz_date:?} is not YYYYMMDDTHHMMSSZ"))?
        .and_utc();
    let skew = (now - when).num_seconds();
    if skew.abs() > MAX_SKEW_SECONDS {
        return Err(format!(
            "the request was signed at {amz_date}, {} s from the server's clock; signatures are accepted within {MAX_SKEW_SECONDS} s",
            skew.abs()
        ));
    }
    if !amz_date.starts_with(&c.date) {
        return Err("the Credential's date is not the X-Amz-Date's".into());
    }
    if let Some(claimed) = header_value(headers, "x-amz-content-sha256") {
        if claimed != hex::encode(Sha256::digest(body)) {
            return Err("X-Amz-Content-Sha256 is not the body's hash".into());
        }
    }
    let creq = canonical_request(method, path, query, headers, &c.signed_headers, body)?;
    let scope = format!("{}/{}/{}/aws4_request", c.date, c.region, c.service);
    let to_sign = format!(
        "{SCHEME}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(creq.as_bytes()))
    );
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), c.date.as_bytes());
    let k_region = hmac_sha256(&k_date, c.region.as_bytes());
    let k_service = hmac_sha256(&k_region, c.service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    let expected = hex::encode(hmac_sha256(&k_signing, to_sign.as_bytes()));
    if same(expected.as_bytes(), c.signature.as_bytes()) {
        Ok(())
    } else {
        Err("the signature does not match: a wrong secret, or the request changed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The AWS SigV4 test suite's credentials and time.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn at() -> DateTime<Utc> {
        NaiveDateTime::parse_from_str("20150830T123600Z", "%Y%m%dT%H%M%SZ")
            .unwrap()
            .and_utc()
    }

    /// One vector: the request's parts and the suite's signature.
    fn check(
        method: &str,
        path: &str,
        query: &str,
        extra: &[(&str, &str)],
        body: &str,
        signed: &str,
        signature: &str,
    ) {
        let mut h = HeaderMap::new();
        h.append("host", HeaderValue::from_static("example.amazonaws.com"));
        h.append("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        for (k, v) in extra {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let auth = format!(
            "{SCHEME} Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={signature}"
        );
        let c = parse_authorization(&auth).unwrap();
        assert_eq!(
            verify(&c, SECRET, method, path, query, &h, body.as_bytes(), at()),
            Ok(()),
            "{method} {path}?{query}"
        );
        // Any change breaks it: another secret, another body, another time.
        assert!(verify(&c, "x", method, path, query, &h, body.as_bytes(), at()).is_err());
        assert!(verify(&c, SECRET, method, path, query, &h, b"tampered", at()).is_err());
        let late = at() + chrono::Duration::seconds(301);
        assert!(
            verify(&c, SECRET, method, path, query, &h, body.as_bytes(), late)
                .unwrap_err()
                .contains("301 s")
        );
    }

    #[test]
    fn the_aws_sigv4_test_suite() {
        let hd = "host;x-amz-date";
        check(
            "GET",
            "/",
            "",
            &[],
            "",
            hd,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        );
        check(
            "GET",
            "/",
            "Param2=value2&Param1=value1",
            &[],
            "",
            hd,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        );
        check(
            "GET",
            "/",
            "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            &[],
            "",
            hd,
            "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
        );
        check(
            "GET",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "",
            &[],
            "",
            hd,
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        );
        check(
            "GET",
            "/ሴ",
            "",
            &[],
            "",
            hd,
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        );
        check(
            "GET",
            "/",
            "",
            &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            "",
            "host;my-header1;my-header2;x-amz-date",
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        );
        check(
            "POST",
            "/",
            "",
            &[("My-Header1", "value1")],
            "",
            "host;my-header1;x-amz-date",
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        );
        check(
            "POST",
            "/",
            "",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "Param1=value1",
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        );
    }

    #[test]
    fn malformed_authorizations_say_what_is_wrong() {
        assert!(parse_authorization("Bearer x").is_err());
        assert!(parse_authorization(&format!(
            "{SCHEME} Credential=A/B, SignedHeaders=host, Signature=0"
        ))
        .unwrap_err()
        .contains("KEY/DATE/REGION/SERVICE"));
        let c = parse_authorization(&format!(
            "{SCHEME} Credential=A/20150830/us-east-1/sagemaker/aws4_request, SignedHeaders=x-amz-date, Signature=00"
        ))
        .unwrap();
        assert!(
            verify(&c, SECRET, "GET", "/", "", &HeaderMap::new(), b"", at())
                .unwrap_err()
                .contains("Host")
        );
    }
}
