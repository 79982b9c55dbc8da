//! Checks of the delivery-report parser, `DeliveryReport::parse` and `parse_str`.

use clearline::callback::MAX_CALLBACK_BODY_BYTES;
use clearline::{DeliveryReport, DeliveryReportRef, DeliveryStatus, Error, ErrorKind};
use serde_json::Value;

use crate::errors::{assert_no_key, check_error};
use crate::frame;
use crate::json::{self, Reading};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The report fields, as named in the JSON body.
const REPORT_FIELDS: [&str; 4] = [
    "messageId",
    "deliveryStatus",
    "externalDeliveryStatus",
    "reasonText",
];

/// Parses arbitrary bytes as a callback body and checks the outcome.
///
/// A report must survive a round trip through `to_json`, agree with what `serde_json` reads from
/// the same body, and come out the same from `DeliveryReportRef::parse`, and from `parse_str`
/// when the body is UTF-8. A rejection must be a bounded `CallbackParse` error that never quotes
/// the body. A body that `serde_json` reads as a valid report may be rejected only for nesting
/// too deep or a repeated report field.
pub fn check_body(body: &[u8]) {
    let outcome = DeliveryReport::parse(body);

    let borrowed = DeliveryReportRef::parse(body).map(DeliveryReportRef::into_owned);
    assert_eq!(
        summary(&outcome),
        summary(&borrowed),
        "DeliveryReport::parse and DeliveryReportRef::parse disagree on {:?}",
        String::from_utf8_lossy(body)
    );

    if let Ok(text) = std::str::from_utf8(body) {
        let from_str = DeliveryReport::parse_str(text);
        assert_eq!(
            summary(&outcome),
            summary(&from_str),
            "parse and parse_str disagree on {text:?}"
        );
    }

    match &outcome {
        Ok(report) => check_report(body, report),
        Err(err) => check_rejection(body, err),
    }
}

/// Builds a report body from framed fields, parses it, and compares the outcome with the rules.
///
/// The input is `layout 0xFF messageId 0xFF deliveryStatus 0xFF externalDeliveryStatus 0xFF
/// reasonText (0xFF key 0xFF value)*`. Each value field starts with its JSON type: `-` absent,
/// `n` null, `s` a string (the rest of the field), `1` a number, `t` a boolean, `[` an array,
/// `{` an object. A field starting with any other byte is a string of the whole field. The layout
/// field may contain `p` (pretty-printed), `r` (members in reverse order), `u` (non-ASCII
/// written as `\u` escapes), `w` (whitespace around the body) and `b` (a UTF-8 byte order mark).
pub fn check_fields(data: &[u8]) {
    let mut fields = data.split(|&byte| byte == frame::SEPARATOR);
    let layout = fields.next().unwrap_or_default();

    let mut members: Vec<(String, Member)> = Vec::new();
    for name in REPORT_FIELDS {
        let member = Member::decode(fields.next().unwrap_or(b"-"));
        members.push((name.to_owned(), member));
    }
    while let (Some(key), Some(value)) = (fields.next(), fields.next()) {
        members.push((frame::text(key).into_owned(), Member::decode(value)));
    }
    members.retain(|(_, member)| *member != Member::Absent);
    if layout.contains(&b'r') {
        members.reverse();
    }

    let body = render(&members, layout);
    let outcome = DeliveryReport::parse(&body);
    let expected = expected_outcome(&members, body.len());
    match (&outcome, &expected) {
        (Ok(report), Ok(expected)) => assert_eq!(report, expected, "wrong report for {members:?}"),
        (Err(err), Err(expected)) => {
            assert!(
                expected.matches(err),
                "expected a rejection for {expected:?}, got {err} for {members:?}"
            );
        }
        _ => panic!(
            "expected {expected:?}, got {:?} for the body {:?}",
            summary(&outcome),
            String::from_utf8_lossy(&body)
        ),
    }

    check_body(&body);
}

/// One member value of a generated body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Member {
    Absent,
    Null,
    Text(String),
    Number,
    Boolean,
    Array,
    Object,
}

impl Member {
    fn decode(field: &[u8]) -> Member {
        match field.split_first() {
            None | Some((b'-', _)) => Member::Absent,
            Some((b'n', _)) => Member::Null,
            Some((b's', rest)) => Member::Text(frame::text(rest).into_owned()),
            Some((b'1', _)) => Member::Number,
            Some((b't', _)) => Member::Boolean,
            Some((b'[', _)) => Member::Array,
            Some((b'{', _)) => Member::Object,
            Some(_) => Member::Text(frame::text(field).into_owned()),
        }
    }

    fn to_json(&self) -> String {
        match self {
            Member::Absent | Member::Null => "null".to_owned(),
            Member::Text(text) => json_string(text),
            Member::Number => "-12.5e3".to_owned(),
            Member::Boolean => "false".to_owned(),
            Member::Array => r#"["Delivered",[1,null]]"#.to_owned(),
            Member::Object => r#"{"deliveryStatus":{"x":[]}}"#.to_owned(),
        }
    }
}

fn json_string(text: &str) -> String {
    // Serializing a string to JSON cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// Writes the members as a JSON object in the requested layout.
fn render(members: &[(String, Member)], layout: &[u8]) -> Vec<u8> {
    let pretty = layout.contains(&b'p');
    let separator = if pretty { ",\n  " } else { "," };
    let pairs: Vec<String> = members
        .iter()
        .map(|(key, member)| {
            let colon = if pretty { ": " } else { ":" };
            format!("{}{colon}{}", json_string(key), member.to_json())
        })
        .collect();
    let mut text = if pretty {
        format!("{{\n  {}\n}}", pairs.join(separator))
    } else {
        format!("{{{}}}", pairs.join(separator))
    };

    if layout.contains(&b'u') {
        text = escape_non_ascii(&text);
    }
    if layout.contains(&b'w') {
        text = format!(" \r\n\t{text}\n ");
    }
    let mut body = Vec::with_capacity(text.len() + UTF8_BOM.len());
    if layout.contains(&b'b') {
        body.extend_from_slice(UTF8_BOM);
    }
    body.extend_from_slice(text.as_bytes());
    body
}

/// Replaces every non-ASCII character with `\u` escapes of its UTF-16 code units. Valid here
/// because a generated body has non-ASCII characters only inside strings.
fn escape_non_ascii(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            escaped.push(ch);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in ch.encode_utf16(&mut units) {
            escaped.push_str(&format!("\\u{unit:04x}"));
        }
    }
    escaped
}

/// The rejection a generated body must get.
#[derive(Debug)]
enum Rejection {
    TooLarge,
    Duplicate(Vec<&'static str>),
    Field(&'static str),
}

impl Rejection {
    fn matches(&self, err: &Error) -> bool {
        match self {
            Rejection::TooLarge => err.to_string().contains("more than the maximum"),
            Rejection::Duplicate(names) => {
                err.to_string().contains("appears more than once")
                    && err.field().is_some_and(|field| names.contains(&field))
            }
            Rejection::Field(name) => err.field() == Some(*name),
        }
    }
}

/// States the parser's rules for a generated body: size first, then repeated report fields, then
/// the fields in the order `messageId`, `deliveryStatus`, `externalDeliveryStatus`, `reasonText`.
fn expected_outcome(
    members: &[(String, Member)],
    body_len: usize,
) -> Result<DeliveryReport, Rejection> {
    if body_len > MAX_CALLBACK_BODY_BYTES {
        return Err(Rejection::TooLarge);
    }

    let repeated: Vec<&'static str> = REPORT_FIELDS
        .into_iter()
        .filter(|name| members.iter().filter(|(key, _)| key == name).count() > 1)
        .collect();
    if !repeated.is_empty() {
        return Err(Rejection::Duplicate(repeated));
    }

    let value = |name: &str| {
        members
            .iter()
            .find(|(key, _)| key == name)
            .map_or(&Member::Absent, |(_, member)| member)
    };
    let message_id = match value("messageId") {
        Member::Text(text) if !text.trim().is_empty() => text.clone(),
        _ => return Err(Rejection::Field("messageId")),
    };
    let status = match value("deliveryStatus") {
        Member::Text(text) => DeliveryStatus::parse(text),
        _ => return Err(Rejection::Field("deliveryStatus")),
    };
    let optional = |name: &'static str| match value(name) {
        Member::Absent | Member::Null => Ok(None),
        Member::Text(text) => Ok(Some(text.clone())),
        _ => Err(Rejection::Field(name)),
    };
    Ok(DeliveryReport {
        message_id,
        status,
        external_status: optional("externalDeliveryStatus")?,
        reason: optional("reasonText")?,
    })
}

/// Returns an outcome in comparable form: the report, or the error's kind, field and message.
fn summary(
    outcome: &clearline::Result<DeliveryReport>,
) -> Result<DeliveryReport, (ErrorKind, Option<&'static str>, String)> {
    match outcome {
        Ok(report) => Ok(report.clone()),
        Err(err) => Err((err.kind(), err.field(), err.to_string())),
    }
}

fn check_report(body: &[u8], report: &DeliveryReport) {
    let shown = String::from_utf8_lossy(body);
    assert!(
        body.len() <= MAX_CALLBACK_BODY_BYTES,
        "accepted a body of {} bytes",
        body.len()
    );
    assert!(
        !report.message_id.trim().is_empty(),
        "accepted a blank messageId in {shown:?}"
    );

    assert_eq!(
        report.is_delivered(),
        report.status == DeliveryStatus::Delivered,
        "is_delivered() disagrees with {:?}",
        report.status
    );
    assert_eq!(
        report.is_failed(),
        report.status == DeliveryStatus::DeliveredFailed,
        "is_failed() disagrees with {:?}",
        report.status
    );
    assert_eq!(
        DeliveryStatus::parse(report.status.as_str()),
        report.status,
        "the status does not survive as_str and parse"
    );

    let json = report.to_json();
    let reparsed = DeliveryReport::parse_str(&json);
    assert_eq!(
        reparsed.as_ref().ok(),
        Some(report),
        "to_json does not round-trip: {json:?} from {shown:?} gives {:?}",
        summary(&reparsed)
    );

    // The same body read by serde_json alone must carry the same values.
    let value = match json::read(body) {
        Reading::Value(value) => value,
        Reading::Unrepresentable => return,
        Reading::Invalid(err) => panic!("accepted a body serde_json rejects ({err}): {shown:?}"),
    };
    let text = |name: &str| value.get(name).and_then(Value::as_str);
    assert_eq!(
        text("messageId"),
        Some(report.message_id.as_str()),
        "messageId of {shown:?}"
    );
    assert_eq!(
        text("deliveryStatus").map(DeliveryStatus::parse).as_ref(),
        Some(&report.status),
        "deliveryStatus of {shown:?}"
    );
    assert_eq!(
        text("externalDeliveryStatus"),
        report.external_status.as_deref(),
        "externalDeliveryStatus of {shown:?}"
    );
    assert_eq!(
        text("reasonText"),
        report.reason.as_deref(),
        "reasonText of {shown:?}"
    );
}

fn check_rejection(body: &[u8], err: &Error) {
    let shown = String::from_utf8_lossy(&body[..body.len().min(512)]);
    check_error(err, &shown);
    assert_no_key(err, &shown);

    assert_eq!(
        err.kind(),
        ErrorKind::CallbackParse,
        "wrong kind for {shown:?}"
    );
    assert_eq!(
        err.status(),
        None,
        "an HTTP status on a parse error for {shown:?}"
    );
    assert!(
        err.field()
            .is_none_or(|field| REPORT_FIELDS.contains(&field)),
        "the field {:?} is not a report field",
        err.field()
    );
    let message = err.to_string();
    assert!(
        message.starts_with("invalid delivery report: "),
        "message {message:?} for {shown:?}"
    );

    if body.len() > MAX_CALLBACK_BODY_BYTES {
        assert!(
            message.contains("more than the maximum"),
            "a body of {} bytes was not rejected by size first: {message}",
            body.len()
        );
        return;
    }

    // A body serde_json reads as a valid report may fail only on the rules serde_json does not
    // know: the nesting limit and repeated report fields.
    if reads_as_valid_report(body) {
        assert!(
            message.contains("nests deeper") || message.contains("appears more than once"),
            "rejected a valid report ({message}): {shown:?}"
        );
    }
}

/// Returns `true` when serde_json reads `body` as an object whose report fields are valid.
fn reads_as_valid_report(body: &[u8]) -> bool {
    let Reading::Value(Value::Object(object)) = json::read(body) else {
        return false;
    };
    let message_id_valid = object
        .get("messageId")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.trim().is_empty());
    let status_valid = object.get("deliveryStatus").is_some_and(Value::is_string);
    let optional_valid = |name: &str| {
        object
            .get(name)
            .is_none_or(|value| value.is_null() || value.is_string())
    };
    message_id_valid
        && status_valid
        && optional_valid("externalDeliveryStatus")
        && optional_valid("reasonText")
}
