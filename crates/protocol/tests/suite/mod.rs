mod fixtures;
mod malformed;
mod round_trip;
mod typed_payloads;
