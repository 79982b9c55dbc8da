//! Hostile delivery-report bodies that the shared vectors cannot carry cheaply.
// Tests fail by panicking.
#![allow(clippy::panic)]

use clearline::callback::MAX_CALLBACK_BODY_BYTES;
use clearline::{DeliveryReport, ErrorKind};

const TEN_MIB: usize = 10 * 1024 * 1024;

/// Builds a 10 MiB body that breaks every rule the parser checks after the size: it is not an
/// object, nests 10 million levels deep and ends in a byte that is not UTF-8.
fn ten_mib_of_every_fault() -> Vec<u8> {
    let mut body = vec![b'['; TEN_MIB - 1];
    body.push(0xFF);
    body
}

#[test]
fn ten_mib_body_fails_on_size() {
    let body = ten_mib_of_every_fault();
    let Err(err) = DeliveryReport::parse(&body) else {
        panic!("a 10 MiB body was accepted");
    };

    assert_eq!(err.kind(), ErrorKind::CallbackParse);
    assert_eq!(err.field(), None);
    let expected = format!("{TEN_MIB} bytes, more than the maximum of {MAX_CALLBACK_BODY_BYTES}");
    assert!(err.message().contains(&expected), "{err}");
}

#[test]
fn ten_mib_text_fails_on_size() {
    let body = format!(
        "{{\"messageId\":\"m1\",\"deliveryStatus\":\"Delivered\",\"x\":{}",
        "{\"a\":".repeat(TEN_MIB / 5)
    );
    let Err(err) = DeliveryReport::parse_str(&body) else {
        panic!("a 10 MiB body was accepted");
    };

    assert_eq!(err.kind(), ErrorKind::CallbackParse);
    assert!(err.message().contains("more than the maximum"), "{err}");
    assert!(!err.message().contains("nests deeper"), "{err}");
}
