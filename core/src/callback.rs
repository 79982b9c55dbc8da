//! Parsing of delivery reports, the JSON bodies ClearLine POSTs to a callback URL.
//!
//! Callbacks carry no signature, so a body may come from anyone. The parser accepts only a UTF-8
//! JSON object of at most [`MAX_CALLBACK_BODY_BYTES`], nested at most [`MAX_CALLBACK_NESTING`]
//! levels deep, with a non-empty string `messageId` and a string `deliveryStatus`. It tolerates
//! what the API leaves open: unknown fields, new status values, and a missing or null
//! `externalDeliveryStatus` or `reasonText`. Because the same report can arrive more than once,
//! receivers should treat `message_id` as an idempotency key. [`DeliveryReportRef`] is the same
//! parse with the text borrowed from the body instead of copied.
//!
//! ```
//! use clearline::callback::DeliveryReport;
//!
//! let body = br#"{"messageId":"msg_1","deliveryStatus":"Delivered","price":0.05}"#;
//! let report = DeliveryReport::parse(body)?;
//! assert_eq!(report.message_id, "msg_1");
//! # Ok::<(), clearline::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Largest delivery-report body accepted, in bytes. ClearLine's reports are a few hundred.
///
/// ```
/// use clearline::{callback::MAX_CALLBACK_BODY_BYTES, DeliveryReport};
///
/// let oversized = vec![b' '; MAX_CALLBACK_BODY_BYTES + 1];
/// assert!(DeliveryReport::parse(&oversized).is_err());
/// ```
pub const MAX_CALLBACK_BODY_BYTES: usize = 64 * 1024;

/// Deepest nesting of JSON objects and arrays accepted in a report. Reports are flat.
///
/// ```
/// use clearline::{callback::MAX_CALLBACK_NESTING, DeliveryReport};
///
/// let nested = format!(
///     r#"{{"messageId":"m1","deliveryStatus":"Delivered","x":{}{}}}"#,
///     "[".repeat(MAX_CALLBACK_NESTING),
///     "]".repeat(MAX_CALLBACK_NESTING),
/// );
/// let err = DeliveryReport::parse_str(&nested).unwrap_err();
/// assert!(err.to_string().contains("nests deeper"));
/// ```
pub const MAX_CALLBACK_NESTING: usize = 32;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The resolved outcome of an SMS, `deliveryStatus` in the report.
///
/// Known values are matched ignoring ASCII case; any other value is kept as
/// [`DeliveryStatus::Unknown`], so a status ClearLine adds later never breaks a receiver.
///
/// ```
/// use clearline::DeliveryStatus;
///
/// assert_eq!(DeliveryStatus::parse("delivered"), DeliveryStatus::Delivered);
/// assert_eq!(DeliveryStatus::parse("Queued"), DeliveryStatus::Unknown("Queued".into()));
/// assert_eq!(DeliveryStatus::DeliveredFailed.as_str(), "DeliveredFailed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// The handset received the SMS.
    Delivered,
    /// The SMS was not delivered; `external_status` and `reason` say why.
    DeliveredFailed,
    /// A value this version does not know, as received.
    Unknown(String),
}

impl DeliveryStatus {
    /// Maps a raw `deliveryStatus` value to a status.
    ///
    /// ```
    /// use clearline::DeliveryStatus;
    ///
    /// assert_eq!(DeliveryStatus::parse("DELIVEREDFAILED"), DeliveryStatus::DeliveredFailed);
    /// assert_eq!(DeliveryStatus::parse("Expired"), DeliveryStatus::Unknown("Expired".into()));
    /// ```
    pub fn parse(raw: &str) -> DeliveryStatus {
        if raw.eq_ignore_ascii_case("Delivered") {
            DeliveryStatus::Delivered
        } else if raw.eq_ignore_ascii_case("DeliveredFailed") {
            DeliveryStatus::DeliveredFailed
        } else {
            DeliveryStatus::Unknown(raw.to_owned())
        }
    }

    /// Returns the API's spelling of a known status, or the raw value of an unknown one.
    ///
    /// ```
    /// use clearline::DeliveryStatus;
    ///
    /// assert_eq!(DeliveryStatus::parse("delivered").as_str(), "Delivered");
    /// assert_eq!(DeliveryStatus::parse("Queued").as_str(), "Queued");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::DeliveredFailed => "DeliveredFailed",
            DeliveryStatus::Unknown(raw) => raw,
        }
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed delivery report.
///
/// ```
/// use clearline::{DeliveryReport, DeliveryStatus};
///
/// let body = br#"{"messageId": "msg_1", "deliveryStatus": "DeliveredFailed",
///                 "externalDeliveryStatus": "Expired", "reasonText": "Handset off"}"#;
/// let report = DeliveryReport::parse(body).unwrap();
/// assert_eq!(report.message_id, "msg_1");
/// assert_eq!(report.status, DeliveryStatus::DeliveredFailed);
/// assert_eq!(report.external_status.as_deref(), Some("Expired"));
/// assert!(report.is_failed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryReport {
    /// The `messageId` the send returned.
    pub message_id: String,
    /// The resolved status.
    pub status: DeliveryStatus,
    /// The raw gateway status (`Delivered`, `Failed`, `Expired`, `Rejected`, ...), if given.
    pub external_status: Option<String>,
    /// The gateway's human-readable result, if given.
    pub reason: Option<String>,
}

impl DeliveryReport {
    /// Parses a callback body.
    ///
    /// This is [`DeliveryReportRef::parse`] with the text copied out of the body, so the two
    /// accept and reject the same bodies with the same errors.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::CallbackParse`] when the body is larger than
    /// [`MAX_CALLBACK_BODY_BYTES`], is not UTF-8, is not a JSON object, nests too deep, repeats a
    /// report field, or lacks a valid `messageId` or `deliveryStatus`. The message names the field and what was
    /// expected.
    ///
    /// ```
    /// use clearline::{DeliveryReport, ErrorKind};
    ///
    /// let report = DeliveryReport::parse(br#"{"messageId":"m1","deliveryStatus":"Delivered"}"#)?;
    /// assert!(report.is_delivered());
    ///
    /// let err = DeliveryReport::parse(b"messageId=m1&deliveryStatus=Delivered").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::CallbackParse);
    /// assert!(err.to_string().contains("form-encoded"));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<DeliveryReport> {
        DeliveryReportRef::parse(body).map(DeliveryReport::from)
    }

    /// Parses a callback body given as text.
    ///
    /// # Errors
    ///
    /// As for [`DeliveryReport::parse`].
    ///
    /// ```
    /// use clearline::DeliveryReport;
    ///
    /// let report = DeliveryReport::parse_str(r#"{"messageId":"m1","deliveryStatus":"Queued"}"#)?;
    /// assert_eq!(report.status.as_str(), "Queued");
    /// assert!(!report.is_delivered() && !report.is_failed());
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn parse_str(body: &str) -> Result<DeliveryReport> {
        DeliveryReport::parse(body.as_bytes())
    }

    /// Builds a report from fields a framework already decoded (a Python `dict`, a JavaScript
    /// object), with the same rules as [`DeliveryReport::parse`].
    ///
    /// ```
    /// use clearline::callback::{FieldValue, ReportFields};
    /// use clearline::DeliveryReport;
    ///
    /// let fields = ReportFields {
    ///     message_id: FieldValue::Text("msg_1".into()),
    ///     delivery_status: FieldValue::Text("Delivered".into()),
    ///     ..ReportFields::default()
    /// };
    /// assert!(DeliveryReport::from_fields(fields).unwrap().is_delivered());
    /// ```
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::CallbackParse`] naming the field at fault.
    pub fn from_fields(fields: ReportFields<'_>) -> Result<DeliveryReport> {
        DeliveryReportRef::from_fields(fields).map(DeliveryReport::from)
    }

    /// `true` when the status is [`DeliveryStatus::Delivered`].
    ///
    /// ```
    /// let report = clearline::DeliveryReport::parse_str(r#"{"messageId":"m1","deliveryStatus":"delivered"}"#)?;
    /// assert!(report.is_delivered());
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn is_delivered(&self) -> bool {
        self.status == DeliveryStatus::Delivered
    }

    /// `true` when the status is [`DeliveryStatus::DeliveredFailed`].
    ///
    /// ```
    /// let body = r#"{"messageId":"m1","deliveryStatus":"DeliveredFailed","reasonText":null}"#;
    /// let report = clearline::DeliveryReport::parse_str(body)?;
    /// assert!(report.is_failed());
    /// assert_eq!(report.reason, None);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn is_failed(&self) -> bool {
        self.status == DeliveryStatus::DeliveredFailed
    }

    /// Serializes the report in the API's JSON shape, as ClearLine (or the sandbox) sends it.
    ///
    /// ```
    /// use clearline::{DeliveryReport, DeliveryStatus};
    ///
    /// let report = DeliveryReport {
    ///     message_id: "msg_1".into(),
    ///     status: DeliveryStatus::Delivered,
    ///     external_status: Some("Delivered".into()),
    ///     reason: None,
    /// };
    /// let json = report.to_json();
    /// assert_eq!(DeliveryReport::parse(json.as_bytes()).unwrap(), report);
    /// ```
    pub fn to_json(&self) -> String {
        let wire = WireReport {
            message_id: &self.message_id,
            delivery_status: self.status.as_str(),
            external_delivery_status: self.external_status.as_deref(),
            reason_text: self.reason.as_deref(),
        };
        // Serializing a struct of strings cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

/// The report body as the API writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireReport<'a> {
    message_id: &'a str,
    delivery_status: &'a str,
    external_delivery_status: Option<&'a str>,
    reason_text: Option<&'a str>,
}

impl From<DeliveryReportRef<'_>> for DeliveryReport {
    fn from(report: DeliveryReportRef<'_>) -> Self {
        DeliveryReport {
            message_id: report.message_id.into_owned(),
            status: report.status,
            external_status: report.external_status.map(Cow::into_owned),
            reason: report.reason.map(Cow::into_owned),
        }
    }
}

/// A parsed delivery report whose text borrows from the body.
///
/// [`DeliveryReportRef::parse`] applies the parsing rules: [`DeliveryReport::parse`] calls it and
/// copies the text, so both accept and reject the same bodies with the same errors. A field is
/// copied here only when it must be: a string with escape sequences (such as `\"` or `\u00e9`),
/// which has to be decoded, and a status this version does not know, which
/// [`DeliveryStatus::Unknown`] owns. Use this type where the report is read once, for example to
/// hand its fields to another language, and [`DeliveryReport`] where it is kept.
///
/// ```
/// use std::borrow::Cow;
///
/// use clearline::callback::DeliveryReportRef;
/// use clearline::DeliveryStatus;
///
/// let body = br#"{"messageId":"msg_1","deliveryStatus":"Delivered","reasonText":"say \"hi\""}"#;
/// let report = DeliveryReportRef::parse(body)?;
/// assert!(matches!(report.message_id, Cow::Borrowed("msg_1")));
/// assert_eq!(report.status, DeliveryStatus::Delivered);
/// // The escaped quotes had to be decoded, so this field is a copy.
/// assert!(matches!(report.reason, Some(Cow::Owned(_))));
/// assert_eq!(report.reason.as_deref(), Some("say \"hi\""));
///
/// let owned = report.into_owned();
/// assert_eq!(owned.message_id, "msg_1");
/// # Ok::<(), clearline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryReportRef<'a> {
    /// The `messageId` the send returned.
    pub message_id: Cow<'a, str>,
    /// The resolved status.
    pub status: DeliveryStatus,
    /// The raw gateway status (`Delivered`, `Failed`, `Expired`, `Rejected`, ...), if given.
    pub external_status: Option<Cow<'a, str>>,
    /// The gateway's human-readable result, if given.
    pub reason: Option<Cow<'a, str>>,
}

impl<'a> DeliveryReportRef<'a> {
    /// Parses a callback body, borrowing the text of the report from it.
    ///
    /// # Errors
    ///
    /// As for [`DeliveryReport::parse`], with the same messages.
    ///
    /// ```
    /// use clearline::callback::DeliveryReportRef;
    ///
    /// let body = br#"{"messageId":"m1","deliveryStatus":"DeliveredFailed","reasonText":null}"#;
    /// let report = DeliveryReportRef::parse(body)?;
    /// assert!(report.is_failed());
    /// assert_eq!(report.reason, None);
    ///
    /// let err = DeliveryReportRef::parse(br#"{"messageId":"","deliveryStatus":"Delivered"}"#);
    /// assert_eq!(err.unwrap_err().field(), Some("messageId"));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn parse(body: &'a [u8]) -> Result<DeliveryReportRef<'a>> {
        if body.len() > MAX_CALLBACK_BODY_BYTES {
            return Err(Error::callback_parse(
                None,
                format!(
                    "invalid delivery report: the body is {} bytes, more than the maximum of \
                     {MAX_CALLBACK_BODY_BYTES}; ClearLine's reports are a few hundred bytes, so \
                     this request is not one",
                    body.len()
                ),
            ));
        }
        // A UTF-8 byte order mark is not JSON, but some servers (notably on .NET) write one.
        let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
        let start = body.trim_ascii_start();
        if start.is_empty() {
            return Err(Error::callback_parse(
                None,
                "invalid delivery report: the body is empty; expected a JSON object",
            ));
        }
        if start[0] != b'{' {
            return Err(Error::callback_parse(None, not_an_object_message(start)));
        }

        // serde_json checks UTF-8 only in the strings it keeps, but a report must be UTF-8
        // throughout. Checking here once also lets serde_json read the text without checking
        // each string again.
        let body = std::str::from_utf8(body).map_err(|err| {
            let offset = err.valid_up_to();
            Error::callback_parse(
                None,
                format!(
                    "invalid delivery report: the body is not valid UTF-8 (byte 0x{:02X} at \
                     offset {offset}); ClearLine sends UTF-8 JSON, so check that nothing \
                     re-encoded the request body",
                    body.get(offset).copied().unwrap_or_default()
                ),
            )
            .with_source(err)
        })?;

        // serde_json stops at 128 levels; reports are held to fewer.
        if nesting_exceeds(body.as_bytes(), MAX_CALLBACK_NESTING) {
            return Err(Error::callback_parse(
                None,
                format!(
                    "invalid delivery report: the JSON nests deeper than {MAX_CALLBACK_NESTING} \
                     levels; ClearLine's reports are flat objects"
                ),
            ));
        }

        let parsed: ParsedFields<'a> = serde_json::from_str(body).map_err(|err| {
            Error::callback_parse(
                None,
                format!("invalid delivery report: the body is not valid JSON ({err})"),
            )
            .with_source(err)
        })?;
        if let Some(field) = parsed.duplicate {
            return Err(duplicate_field_error(field));
        }
        DeliveryReportRef::from_fields(parsed.fields)
    }

    /// Parses a callback body given as text, borrowing the text of the report from it.
    ///
    /// # Errors
    ///
    /// As for [`DeliveryReport::parse`].
    ///
    /// ```
    /// use clearline::callback::DeliveryReportRef;
    ///
    /// let body = String::from(r#"{"messageId":"m1","deliveryStatus":"Delivered"}"#);
    /// let report = DeliveryReportRef::parse_str(&body)?;
    /// assert_eq!(report.message_id, "m1");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn parse_str(body: &'a str) -> Result<DeliveryReportRef<'a>> {
        DeliveryReportRef::parse(body.as_bytes())
    }

    /// Builds a report from fields a framework already decoded, with the same rules as
    /// [`DeliveryReportRef::parse`]. Text fields are kept as given, borrowed or owned.
    ///
    /// ```
    /// use clearline::callback::{DeliveryReportRef, FieldValue, ReportFields};
    ///
    /// let fields = ReportFields {
    ///     message_id: FieldValue::Text("msg_1".into()),
    ///     delivery_status: FieldValue::Text("Delivered".into()),
    ///     reason_text: FieldValue::Other("a number"),
    ///     ..ReportFields::default()
    /// };
    /// let err = DeliveryReportRef::from_fields(fields).unwrap_err();
    /// assert_eq!(err.field(), Some("reasonText"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::CallbackParse`] naming the field at fault.
    pub fn from_fields(fields: ReportFields<'a>) -> Result<DeliveryReportRef<'a>> {
        let message_id = required_text(fields.message_id, "messageId", "the id the send returned")?;
        if message_id.trim().is_empty() {
            return Err(Error::callback_parse(
                Some("messageId"),
                "invalid delivery report: \"messageId\" is empty; expected the id the send \
                 returned",
            ));
        }
        let status = required_text(
            fields.delivery_status,
            "deliveryStatus",
            "a status such as \"Delivered\" or \"DeliveredFailed\"",
        )?;
        let external_status =
            optional_text(fields.external_delivery_status, "externalDeliveryStatus")?;
        let reason = optional_text(fields.reason_text, "reasonText")?;

        Ok(DeliveryReportRef {
            message_id,
            status: DeliveryStatus::parse(&status),
            external_status,
            reason,
        })
    }

    /// `true` when the status is [`DeliveryStatus::Delivered`].
    pub fn is_delivered(&self) -> bool {
        self.status == DeliveryStatus::Delivered
    }

    /// `true` when the status is [`DeliveryStatus::DeliveredFailed`].
    pub fn is_failed(&self) -> bool {
        self.status == DeliveryStatus::DeliveredFailed
    }

    /// Copies the borrowed text into a [`DeliveryReport`].
    ///
    /// ```
    /// use clearline::callback::DeliveryReportRef;
    ///
    /// let body = br#"{"messageId":"m1","deliveryStatus":"Delivered"}"#.to_vec();
    /// let report = DeliveryReportRef::parse(&body)?.into_owned();
    /// drop(body);
    /// assert_eq!(report.message_id, "m1");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn into_owned(self) -> DeliveryReport {
        DeliveryReport::from(self)
    }
}

/// Returns `true` when objects and arrays in `body` nest deeper than `max_depth`. Brackets inside
/// strings do not count. The scan is linear and needs no stack, whatever the input.
fn nesting_exceeds(body: &[u8], max_depth: usize) -> bool {
    // Nesting needs an opening bracket per level, so a body with few of them, a typical report
    // included, passes without the scan below. Counting into a byte per chunk of 255 compiles to
    // vector instructions and cannot overflow.
    let openings: usize = body
        .chunks(255)
        .map(|chunk| {
            let count: u8 = chunk
                .iter()
                .map(|&byte| u8::from(byte == b'{' || byte == b'['))
                .sum();
            usize::from(count)
        })
        .sum();
    if openings <= max_depth {
        return false;
    }

    let mut depth = 0usize;
    let mut index = 0;
    while let Some(&byte) = body.get(index) {
        match byte {
            b'"' => {
                // A report is mostly strings, so their contents are skipped with `memchr`, which
                // stops only at a quote or a backslash. An unterminated string ends the scan.
                index += 1;
                loop {
                    let Some(rest) = body.get(index..) else {
                        return false;
                    };
                    let Some(offset) = memchr::memchr2(b'"', b'\\', rest) else {
                        return false;
                    };
                    index += offset;
                    if body[index] == b'"' {
                        break;
                    }
                    // A backslash escapes the next byte, a quote included.
                    index += 2;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    false
}

/// Describes a body that is not a JSON object, with a hint for common mistakes.
fn not_an_object_message(start: &[u8]) -> String {
    let found = match start[0] {
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' if start.starts_with(b"true") || start.starts_with(b"false") => "a boolean",
        b'n' if start.starts_with(b"null") => "null",
        b'-' | b'0'..=b'9' => "a number",
        _ => "",
    };
    if !found.is_empty() {
        return format!("invalid delivery report: expected a JSON object, found {found}");
    }
    let head = &start[..start.len().min(256)];
    if head.contains(&b'=') && !head.contains(&b'<') {
        return "invalid delivery report: the body looks form-encoded, not JSON; ClearLine sends \
                JSON, so check that the endpoint passes the raw request body"
            .to_owned();
    }
    "invalid delivery report: the body is not JSON; expected a JSON object".to_owned()
}

fn required_text<'a>(
    value: FieldValue<'a>,
    field: &'static str,
    expected: &str,
) -> Result<Cow<'a, str>> {
    match value {
        FieldValue::Text(text) => Ok(text),
        FieldValue::Missing => Err(Error::callback_parse(
            Some(field),
            format!("invalid delivery report: missing field \"{field}\"; expected {expected}"),
        )),
        FieldValue::Null => Err(Error::callback_parse(
            Some(field),
            format!("invalid delivery report: \"{field}\" is null; expected {expected}"),
        )),
        FieldValue::Other(kind) => Err(Error::callback_parse(
            Some(field),
            format!(
                "invalid delivery report: \"{field}\" is {kind}; expected a string, {expected}"
            ),
        )),
    }
}

fn optional_text<'a>(value: FieldValue<'a>, field: &'static str) -> Result<Option<Cow<'a, str>>> {
    match value {
        FieldValue::Text(text) => Ok(Some(text)),
        FieldValue::Missing | FieldValue::Null => Ok(None),
        FieldValue::Other(kind) => Err(Error::callback_parse(
            Some(field),
            format!("invalid delivery report: \"{field}\" is {kind}; expected a string or null"),
        )),
    }
}

/// One report field as found in the body.
///
/// ```
/// use clearline::callback::{FieldValue, ReportFields};
/// use clearline::DeliveryReport;
///
/// let fields = ReportFields {
///     message_id: FieldValue::Text("m1".into()),
///     delivery_status: FieldValue::Other("a number"),
///     ..ReportFields::default()
/// };
/// let err = DeliveryReport::from_fields(fields).unwrap_err();
/// assert_eq!(err.field(), Some("deliveryStatus"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// The field is absent.
    #[default]
    Missing,
    /// The field is `null` (Python `None`, JavaScript `null` or `undefined`).
    Null,
    /// The field is a string.
    Text(Cow<'a, str>),
    /// The field has another type, named as in JSON: `"a number"`, `"a boolean"`, `"an array"`,
    /// `"an object"`.
    Other(&'static str),
}

/// The four report fields, before the rules are applied.
///
/// ```
/// use clearline::callback::{FieldValue, ReportFields};
/// use clearline::DeliveryReport;
///
/// let fields = ReportFields {
///     message_id: FieldValue::Text("m1".into()),
///     delivery_status: FieldValue::Text("DeliveredFailed".into()),
///     external_delivery_status: FieldValue::Text("Expired".into()),
///     reason_text: FieldValue::Null,
/// };
/// let report = DeliveryReport::from_fields(fields)?;
/// assert_eq!(report.external_status.as_deref(), Some("Expired"));
/// # Ok::<(), clearline::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFields<'a> {
    /// `messageId`.
    pub message_id: FieldValue<'a>,
    /// `deliveryStatus`.
    pub delivery_status: FieldValue<'a>,
    /// `externalDeliveryStatus`.
    pub external_delivery_status: FieldValue<'a>,
    /// `reasonText`.
    pub reason_text: FieldValue<'a>,
}

fn duplicate_field_error(field: &'static str) -> Error {
    Error::callback_parse(
        Some(field),
        format!(
            "invalid delivery report: the field \"{field}\" appears more than once; a report \
             carries each field once, so this request is not one from ClearLine"
        ),
    )
}

impl<'de> Deserialize<'de> for ReportFields<'de> {
    /// Deserializes the four report fields from a map, ignoring any other key.
    ///
    /// # Errors
    ///
    /// When a report field appears twice, or the input is not a map.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let parsed = ParsedFields::deserialize(deserializer)?;
        match parsed.duplicate {
            Some(field) => Err(de::Error::custom(duplicate_field_error(field))),
            None => Ok(parsed.fields),
        }
    }
}

/// The report fields and the first report field found more than once, if any.
struct ParsedFields<'a> {
    fields: ReportFields<'a>,
    duplicate: Option<&'static str>,
}

impl<'de> Deserialize<'de> for ParsedFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_map(ReportFieldsVisitor)
    }
}

struct ReportFieldsVisitor;

impl<'de> Visitor<'de> for ReportFieldsVisitor {
    type Value = ParsedFields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut fields = ReportFields::default();
        let mut duplicate = None;
        while let Some(key) = map.next_key::<ReportKey>()? {
            let (name, slot) = match key {
                ReportKey::MessageId => ("messageId", &mut fields.message_id),
                ReportKey::DeliveryStatus => ("deliveryStatus", &mut fields.delivery_status),
                ReportKey::ExternalDeliveryStatus => (
                    "externalDeliveryStatus",
                    &mut fields.external_delivery_status,
                ),
                ReportKey::ReasonText => ("reasonText", &mut fields.reason_text),
                ReportKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // The rest of the object is still read, so that a syntax error after the duplicate
            // is reported as one.
            let value = map.next_value::<FieldValue<'de>>()?;
            if *slot == FieldValue::Missing {
                *slot = value;
            } else {
                duplicate.get_or_insert(name);
            }
        }
        Ok(ParsedFields { fields, duplicate })
    }
}

/// A key of the report object, matched without copying it.
enum ReportKey {
    MessageId,
    DeliveryStatus,
    ExternalDeliveryStatus,
    ReasonText,
    /// Any key that is not a report field.
    Other,
}

impl<'de> Deserialize<'de> for ReportKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_identifier(ReportKeyVisitor)
    }
}

struct ReportKeyVisitor;

impl Visitor<'_> for ReportKeyVisitor {
    type Value = ReportKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, key: &str) -> std::result::Result<Self::Value, E> {
        Ok(self.visit_key(key.as_bytes()))
    }

    fn visit_bytes<E>(self, key: &[u8]) -> std::result::Result<Self::Value, E> {
        Ok(self.visit_key(key))
    }
}

impl ReportKeyVisitor {
    fn visit_key(self, key: &[u8]) -> ReportKey {
        match key {
            b"messageId" => ReportKey::MessageId,
            b"deliveryStatus" => ReportKey::DeliveryStatus,
            b"externalDeliveryStatus" => ReportKey::ExternalDeliveryStatus,
            b"reasonText" => ReportKey::ReasonText,
            _ => ReportKey::Other,
        }
    }
}

impl<'de> Deserialize<'de> for FieldValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(FieldValueVisitor)
    }
}

struct FieldValueVisitor;

impl<'de> Visitor<'de> for FieldValueVisitor {
    type Value = FieldValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Text(Cow::Owned(text)))
    }

    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Null)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Other("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(FieldValue::Other("a number"))
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(FieldValue::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(FieldValue::Other("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn parse(body: &str) -> Result<DeliveryReport> {
        DeliveryReport::parse_str(body)
    }

    fn message(body: &str) -> String {
        parse(body).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn minimal_report_parses() {
        let report = parse(r#"{"messageId":"m1","deliveryStatus":"Delivered"}"#);
        let report = report.ok();
        assert_eq!(report.as_ref().map(|r| r.is_delivered()), Some(true));
        assert_eq!(report.and_then(|r| r.reason), None);
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let report =
            parse(r#"{"messageId":"m\u0031","deliveryStatus":"Delivered","reasonText":"a\"b"}"#);
        let report = report.ok();
        assert_eq!(report.as_ref().map(|r| r.message_id.as_str()), Some("m1"));
        assert_eq!(report.and_then(|r| r.reason).as_deref(), Some("a\"b"));
    }

    #[test]
    fn borrowed_parse_borrows_plain_strings() {
        let body = br#"{"messageId":"m1","deliveryStatus":"Delivered","externalDeliveryStatus":"Delivered","reasonText":"ok"}"#;
        let report = DeliveryReportRef::parse(body).ok();
        let borrowed = |text: Option<&Cow<'_, str>>| matches!(text, Some(Cow::Borrowed(_)));
        assert!(borrowed(report.as_ref().map(|r| &r.message_id)));
        assert!(borrowed(
            report.as_ref().and_then(|r| r.external_status.as_ref())
        ));
        assert!(borrowed(report.as_ref().and_then(|r| r.reason.as_ref())));
    }

    #[test]
    fn borrowed_parse_decodes_escaped_strings() {
        let body = br#"{"messageId":"m\u0031","deliveryStatus":"Delivered","reasonText":"a\"b"}"#;
        let report = DeliveryReportRef::parse(body).ok();
        let message_id = report.as_ref().map(|r| &r.message_id);
        assert!(
            matches!(message_id, Some(Cow::Owned(id)) if id == "m1"),
            "{message_id:?}"
        );
        let reason = report.as_ref().and_then(|r| r.reason.as_ref());
        assert!(
            matches!(reason, Some(Cow::Owned(text)) if text == "a\"b"),
            "{reason:?}"
        );
    }

    #[test]
    fn escaped_keys_name_report_fields() {
        let report = parse(r#"{"message\u0049d":"m1","delivery\u0053tatus":"Delivered"}"#);
        assert_eq!(report.ok().map(|r| r.message_id), Some("m1".to_owned()));
    }

    #[test]
    fn borrowed_and_owned_parse_agree() {
        let bodies = [
            r#"{"messageId":"m1","deliveryStatus":"queued","reasonText":null,"x":[{}]}"#,
            r#"{"messageId":" ","deliveryStatus":"Delivered"}"#,
            r#"{"messageId":"m1","deliveryStatus":"Delivered","reasonText":5}"#,
            r#"{"messageId":"m1","messageId":"m2","deliveryStatus":"Delivered"}"#,
            r#"{"messageId":"m1","deliveryStatus":"Delivered""#,
            "[1]",
        ];
        for body in bodies {
            let owned = parse(body).map_err(|err| err.to_string());
            let borrowed = DeliveryReportRef::parse_str(body)
                .map(DeliveryReportRef::into_owned)
                .map_err(|err| err.to_string());
            assert_eq!(owned, borrowed, "{body}");
        }
    }

    #[test]
    fn duplicate_field_is_rejected() {
        let err = parse(r#"{"messageId":"a","messageId":"b","deliveryStatus":"Delivered"}"#).err();
        assert_eq!(err.as_ref().and_then(Error::field), Some("messageId"));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("\"messageId\" appears more than once"),
            "{text}"
        );
    }

    #[test]
    fn duplicate_field_fails_serde_deserialize() {
        let json = r#"{"reasonText":"a","reasonText":null}"#;
        let err = serde_json::from_str::<ReportFields<'_>>(json).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("\"reasonText\" appears more than once"),
            "{text}"
        );
    }

    #[test]
    fn utf8_bom_is_skipped() {
        let report = DeliveryReport::parse(
            b"\xEF\xBB\xBF{\"messageId\":\"m\",\"deliveryStatus\":\"Delivered\"}",
        );
        assert_eq!(report.ok().map(|r| r.message_id), Some("m".to_owned()));
    }

    #[test]
    fn wrong_type_names_field_and_type() {
        let err = parse(r#"{"messageId":5,"deliveryStatus":"Delivered"}"#).err();
        assert_eq!(err.as_ref().and_then(Error::field), Some("messageId"));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("is a number"), "{text}");
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let body = format!(
            r#"{{"messageId":"m","deliveryStatus":"Delivered","x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let err = parse(&body).err();
        assert_eq!(
            err.as_ref().map(Error::kind),
            Some(ErrorKind::CallbackParse)
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("deeper than 32 levels"), "{text}");
    }

    #[test]
    fn nesting_at_the_limit_is_accepted() {
        let levels = MAX_CALLBACK_NESTING - 1;
        let body = format!(
            r#"{{"messageId":"m","deliveryStatus":"Delivered","x":{}{}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        );
        assert!(parse(&body).is_ok());

        let deeper = format!(
            r#"{{"messageId":"m","deliveryStatus":"Delivered","x":{}{}}}"#,
            "[".repeat(levels + 1),
            "]".repeat(levels + 1)
        );
        assert!(parse(&deeper).is_err());
    }

    #[test]
    fn nesting_scan_skips_strings_and_escapes() {
        // An escaped quote does not end the string, so the brackets after it do not count.
        assert!(!nesting_exceeds(br#"{"a":"\"[[[[","b":1}"#, 2));
        // An escaped backslash does end before the closing quote.
        assert!(nesting_exceeds(br#"{"a":"\\",[[["#, 2));
        assert!(nesting_exceeds(b"[[[", 2));
        assert!(!nesting_exceeds(b"[[]][[]]", 2));
    }

    #[test]
    fn nesting_scan_stops_at_unterminated_string() {
        assert!(!nesting_exceeds(br#"{"a":"[[[["#, 2));
        assert!(!nesting_exceeds(br#"{"a":"\"#, 2));
        assert!(!nesting_exceeds(b"{\"", 2));
    }

    #[test]
    fn brackets_in_strings_do_not_nest() {
        let reason = "[{".repeat(100);
        let body = format!(
            r#"{{"messageId":"m","deliveryStatus":"Delivered","reasonText":"{reason}\\"}}"#
        );
        let report = parse(&body).ok();
        assert_eq!(report.and_then(|r| r.reason).map(|r| r.len()), Some(201));
    }

    #[test]
    fn form_encoded_body_gets_hint() {
        let text = message("messageId=m1&deliveryStatus=Delivered");
        assert!(text.contains("form-encoded"), "{text}");
    }

    #[test]
    fn oversized_body_is_rejected_before_parsing() {
        let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_CALLBACK_BODY_BYTES));
        let text = message(&body);
        assert!(text.contains("more than the maximum"), "{text}");
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let err =
            DeliveryReport::parse(b"{\"messageId\":\"\xff\",\"deliveryStatus\":\"Delivered\"}");
        assert_eq!(err.err().map(|e| e.kind()), Some(ErrorKind::CallbackParse));
    }
}
