//! Arbitrary phone, message, callback URL and maximum length through `SendRequest::prepare`.
//! The input format and the checks are documented on the function called below.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| clearline_fuzz::send::check(data));
