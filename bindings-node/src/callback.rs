//! Delivery-report parsing for the three forms a Node server hands over: raw bytes, a string, or
//! an object a JSON body parser already decoded (as `express.json()` does).
//!
//! Each returns the report packed into one string, which `lib/callback.js` turns into the
//! report object: building the object here would take one Node-API call per property.
//!
//! All three end in the core's rules: bytes and strings go to `DeliveryReport::parse`, and an
//! object's four report properties become `ReportFields` for `DeliveryReport::from_fields`, so
//! the same body is accepted or rejected, with the same message, whatever its form.

use std::borrow::Cow;

use clearline::callback::{DeliveryReportRef, FieldValue, ReportFields};
use clearline::DeliveryStatus;
use napi::bindgen_prelude::{JsObjectValue, Object, Unknown, Utf16String};
use napi::{Env, JsString, JsValue, Result, ValueType};
use napi_derive::napi;

use crate::error::ErrorExt;
use crate::packed::Packer;
use crate::runtime::guard;
use crate::text;

/// A parsed delivery report as an object, for the sandbox's records of delivered reports.
#[napi(object, use_nullable = true)]
pub struct DeliveryReport {
    /// The `messageId` the send returned.
    pub message_id: String,
    /// `Delivered`, `DeliveredFailed`, or the raw value of a status this version does not know.
    pub status: String,
    /// `false` when `status` is a value this version does not know.
    pub known_status: bool,
    /// The raw gateway status (`Delivered`, `Failed`, `Expired`, `Rejected`, ...), if given.
    pub external_status: Option<String>,
    /// The gateway's human-readable result, if given.
    pub reason: Option<String>,
    /// `true` when `status` is `Delivered`.
    pub is_delivered: bool,
    /// `true` when `status` is `DeliveredFailed`.
    pub is_failed: bool,
}

impl From<clearline::DeliveryReport> for DeliveryReport {
    fn from(report: clearline::DeliveryReport) -> Self {
        let is_delivered = report.is_delivered();
        let is_failed = report.is_failed();
        let known_status = !matches!(report.status, DeliveryStatus::Unknown(_));
        let status = match report.status {
            DeliveryStatus::Unknown(raw) => raw,
            known => known.as_str().to_owned(),
        };
        DeliveryReport {
            message_id: report.message_id,
            status,
            known_status,
            external_status: report.external_status,
            reason: report.reason,
            is_delivered,
            is_failed,
        }
    }
}

/// Flags of a packed report; `lib/callback.js` reads the same values.
const STATUS_DELIVERED: u16 = 0;
const STATUS_FAILED: u16 = 1;
const STATUS_UNKNOWN: u16 = 2;
const HAS_EXTERNAL_STATUS: u16 = 4;
const HAS_REASON: u16 = 8;

/// Packs a parsed report into one string (see `src/packed.rs`): a unit of flags (the status in
/// the low two bits, then whether the external status and the reason are present), the
/// `messageId`, the raw status when it is unknown, then the external status and the reason when
/// present. The text is read from the borrowed report, so the packed string is the only copy.
fn pack(report: &DeliveryReportRef<'_>) -> Utf16String {
    let texts = [
        Some(report.message_id.as_ref()),
        Some(report.status.as_str()),
        report.external_status.as_deref(),
        report.reason.as_deref(),
    ];
    let capacity = 1 + texts
        .iter()
        .flatten()
        .map(|text| text.len() + 2)
        .sum::<usize>();
    let mut packer = Packer::with_capacity(capacity);
    let (status, unknown) = match &report.status {
        DeliveryStatus::Delivered => (STATUS_DELIVERED, None),
        DeliveryStatus::DeliveredFailed => (STATUS_FAILED, None),
        DeliveryStatus::Unknown(raw) => (STATUS_UNKNOWN, Some(raw.as_str())),
    };
    let mut flags = status;
    if report.external_status.is_some() {
        flags |= HAS_EXTERNAL_STATUS;
    }
    if report.reason.is_some() {
        flags |= HAS_REASON;
    }

    packer.unit(flags);
    packer.text(&report.message_id);
    if let Some(raw) = unknown {
        packer.text(raw);
    }
    if let Some(external_status) = &report.external_status {
        packer.text(external_status);
    }
    if let Some(reason) = &report.reason {
        packer.text(reason);
    }
    packer.finish()
}

/// Parses a report body given as a `Buffer` or `Uint8Array`.
#[napi(js_name = "parseCallbackBytes")]
pub fn parse_callback_bytes(env: Env, body: &[u8]) -> Result<Utf16String> {
    guard(&env, || parse(&env, body))
}

/// Parses a report body given as a string. A lone surrogate in it is invalid UTF-8 to the
/// parser, as the same text would be on the wire.
#[napi(js_name = "parseCallbackText")]
pub fn parse_callback_text(env: Env, body: JsString) -> Result<Utf16String> {
    guard(&env, || text::with_bytes(body, |bytes| parse(&env, bytes))?)
}

/// Parses a report that a JSON body parser already turned into an object or array.
#[napi(js_name = "parseCallbackObject")]
pub fn parse_callback_object(env: Env, body: Object) -> Result<Utf16String> {
    guard(&env, || {
        if body.is_array()? {
            // The core's message for a body that is a JSON array; its first byte decides.
            return parse(&env, b"[]");
        }
        let fields = ReportFields {
            message_id: field(&body, "messageId")?,
            delivery_status: field(&body, "deliveryStatus")?,
            external_delivery_status: field(&body, "externalDeliveryStatus")?,
            reason_text: field(&body, "reasonText")?,
        };
        DeliveryReportRef::from_fields(fields)
            .map(|report| pack(&report))
            .map_err(|err| err.into_napi(&env))
    })
}

fn parse(env: &Env, body: &[u8]) -> Result<Utf16String> {
    DeliveryReportRef::parse(body)
        .map(|report| pack(&report))
        .map_err(|err| err.into_napi(env))
}

/// Reads one report property as the core's `FieldValue`, naming JavaScript types as JSON would.
fn field(body: &Object, name: &str) -> Result<FieldValue<'static>> {
    let value: Unknown = body.get_named_property(name)?;
    let field = match value.get_type()? {
        ValueType::String => {
            // Coercing a string returns the same string.
            match text::read(value.coerce_to_string()?)? {
                Some(text) => FieldValue::Text(Cow::Owned(text)),
                None => FieldValue::Other("a string with a lone surrogate (not valid Unicode)"),
            }
        }
        ValueType::Undefined if !body.has_named_property(name)? => FieldValue::Missing,
        ValueType::Undefined | ValueType::Null => FieldValue::Null,
        ValueType::Boolean => FieldValue::Other("a boolean"),
        ValueType::Number | ValueType::BigInt => FieldValue::Other("a number"),
        ValueType::Object if value.is_array()? => FieldValue::Other("an array"),
        ValueType::Object => FieldValue::Other("an object"),
        ValueType::Function => FieldValue::Other("a function"),
        ValueType::Symbol => FieldValue::Other("a symbol"),
        _ => FieldValue::Other("a value JSON cannot hold"),
    };
    Ok(field)
}
