//! Time-based one-time passwords (TOTP, RFC 6238, with HOTP of RFC 4226): the second factor of
//! the accounts that sign acts, approve, award or pay. SHA-1, 6 digits, 30-second steps, as
//! every authenticator application reads them from an `otpauth://` address.

use hmac::{KeyInit, Mac};

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps before and after the current one that are still accepted (clock drift).
pub const DRIFT_STEPS: i64 = 1;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// The step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The HOTP value (RFC 4226) of a counter, with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length: `new_from_slice` does not fail for HMAC.
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(digits)
}

/// The code shown at a Unix time, zero-padded.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> String {
    let step = u64::try_from(step_at(unix_seconds)).unwrap_or(0);
    format!("{:0width$}", hotp(secret, step, DIGITS), width = DIGITS as usize)
}

/// The step a typed code matches at a Unix time, within the drift window; `None` if it
/// matches none. Spaces in the code are ignored. The caller refuses a step already used.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS).find(|&step| {
        u64::try_from(step).is_ok_and(|counter| {
            let expected = format!(
                "{:0width$}",
                hotp(secret, counter, DIGITS),
                width = DIGITS as usize
            );
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator applications take secrets.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 0x1f) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    out
}

/// The inverse of [`base32_encode`] (case-insensitive, spaces and padding ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|&b| char::from(b) == upper)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The `otpauth://` address an authenticator application reads from the QR code.
pub fn provisioning_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        base32_encode(secret),
        issuer = percent_encode(issuer),
        account = percent_encode(account),
    )
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed and its 8-digit values.
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn the_rfc_6238_test_vectors_for_sha1() {
        for (time, expected) in [
            (59, 94287082),
            (1_111_111_109, 7081804),
            (1_111_111_111, 14050471),
            (1_234_567_890, 89005924),
            (2_000_000_000, 69279037),
            (20_000_000_000, 65353130),
        ] {
            let step = u64::try_from(step_at(time)).expect("positive");
            assert_eq!(hotp(SEED, step, 8), expected, "T = {time}");
            // The 6-digit code is the same value's last six digits.
            assert_eq!(
                code_at(SEED, time),
                format!("{:06}", expected % 1_000_000),
                "T = {time}"
            );
        }
    }

    #[test]
    fn the_rfc_4226_test_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, value) in expected.iter().enumerate() {
            assert_eq!(hotp(SEED, counter as u64, 6), *value, "counter {counter}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let now = 1_234_567_890;
        let code = code_at(SEED, now);
        assert_eq!(matching_step(SEED, &code, now), Some(step_at(now)));
        assert_eq!(matching_step(SEED, &code, now + 30), Some(step_at(now)));
        assert_eq!(matching_step(SEED, &code, now - 30), Some(step_at(now)));
        assert_eq!(matching_step(SEED, &code, now + 90), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(SEED, &spaced, now), Some(step_at(now)));
        assert_eq!(matching_step(SEED, "12345", now), None);
        assert_eq!(matching_step(SEED, "abcdef", now), None);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_decode("MZXW6YTBOI").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(
            base32_decode("mzxw 6ytb oi======").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(base32_decode(&base32_encode(SEED)).as_deref(), Some(SEED));
        assert_eq!(base32_decode("1"), None);
    }

    #[test]
    fn the_provisioning_uri_names_issuer_account_and_secret() {
        let uri = provisioning_uri("vereda", "ana@agencia.gov.co", b"foobar");
        assert_eq!(
            uri,
            "otpauth://totp/vereda:ana@agencia.gov.co?secret=MZXW6YTBOI&issuer=vereda&algorithm=SHA1&digits=6&period=30"
        );
    }
}
