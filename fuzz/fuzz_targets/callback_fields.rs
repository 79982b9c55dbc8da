//! Generated delivery reports with arbitrary field values, types and layouts.
//! The input format and the checks are documented on the function called below.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| clearline_fuzz::callback::check_fields(data));
