//! The simulated delivery result of a message, decided by its phone number.
//!
//! Every number is delivered except a few reserved test numbers, which fail with one gateway
//! status each. They are in the 555-0100 to 555-0199 range that North American numbering keeps
//! for fiction, so no real handset has them.
//!
//! | phone | `deliveryStatus` | `externalDeliveryStatus` |
//! | --- | --- | --- |
//! | [`FAILED_NUMBER`] `+12025550101` | `DeliveredFailed` | `Failed` |
//! | [`EXPIRED_NUMBER`] `+12025550102` | `DeliveredFailed` | `Expired` |
//! | [`REJECTED_NUMBER`] `+12025550103` | `DeliveredFailed` | `Rejected` |
//! | any other valid number | `Delivered` | `Delivered` |

use clearline::{DeliveryReport, DeliveryStatus};

/// A number whose SMS fails with the gateway status `Failed`.
pub const FAILED_NUMBER: &str = "+12025550101";

/// A number whose SMS fails with the gateway status `Expired`.
pub const EXPIRED_NUMBER: &str = "+12025550102";

/// A number whose SMS fails with the gateway status `Rejected`.
pub const REJECTED_NUMBER: &str = "+12025550103";

/// The `reasonText` of a delivered message.
pub const DELIVERED_REASON: &str = "Delivered to handset";

/// A reserved test number and the failure it simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservedNumber {
    /// The canonical E.164 number.
    pub phone: &'static str,
    /// The `externalDeliveryStatus` of its report.
    pub external_status: &'static str,
    /// The `reasonText` of its report.
    pub reason: &'static str,
}

/// The reserved test numbers; every other number is delivered.
pub const RESERVED_NUMBERS: [ReservedNumber; 3] = [
    ReservedNumber {
        phone: FAILED_NUMBER,
        external_status: "Failed",
        reason: "Undeliverable: the carrier reported an unknown subscriber",
    },
    ReservedNumber {
        phone: EXPIRED_NUMBER,
        external_status: "Expired",
        reason: "Expired: the handset was unreachable for the whole validity period",
    },
    ReservedNumber {
        phone: REJECTED_NUMBER,
        external_status: "Rejected",
        reason: "Rejected: the destination carrier blocked the message",
    },
];

/// Builds the delivery report of a message sent to `phone` (canonical E.164).
///
/// ```
/// use clearline::DeliveryStatus;
/// use clearline_sandbox::delivery::{report_for, EXPIRED_NUMBER};
///
/// let report = report_for("msg_1", EXPIRED_NUMBER);
/// assert_eq!(report.status, DeliveryStatus::DeliveredFailed);
/// assert_eq!(report.external_status.as_deref(), Some("Expired"));
///
/// assert!(report_for("msg_2", "+12025551234").is_delivered());
/// ```
pub fn report_for(message_id: &str, phone: &str) -> DeliveryReport {
    let reserved = RESERVED_NUMBERS.iter().find(|number| number.phone == phone);
    let (status, external_status, reason) = match reserved {
        Some(number) => (
            DeliveryStatus::DeliveredFailed,
            number.external_status,
            number.reason,
        ),
        None => (DeliveryStatus::Delivered, "Delivered", DELIVERED_REASON),
    };
    DeliveryReport {
        message_id: message_id.to_owned(),
        status,
        external_status: Some(external_status.to_owned()),
        reason: Some(reason.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_numbers_are_valid_e164() {
        for number in RESERVED_NUMBERS {
            let canonical = clearline::validate::canonical_phone(number.phone).ok();
            assert_eq!(canonical.as_deref(), Some(number.phone));
        }
    }

    #[test]
    fn report_round_trips_through_core_parser() {
        for phone in [
            FAILED_NUMBER,
            EXPIRED_NUMBER,
            REJECTED_NUMBER,
            "+447700900123",
        ] {
            let report = report_for("msg_1", phone);
            let parsed = DeliveryReport::parse_str(&report.to_json()).ok();
            assert_eq!(parsed.as_ref(), Some(&report));
        }
    }
}
