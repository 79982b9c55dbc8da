//! Arbitrary bytes as a delivery-report body, through `DeliveryReport::parse` and `parse_str`.
//! The input format and the checks are documented on the function called below.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| clearline_fuzz::callback::check_body(data));
